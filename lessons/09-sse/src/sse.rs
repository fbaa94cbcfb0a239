//! The `text/event-stream` format (WHATWG HTML, "Server-sent events"):
//! an event is a block of `field: value` lines ended by a blank line.
//!
//! ```text
//! id: 5                  ← the client's last event ID, sent back on reconnecting
//! event: poem            ← the event's type: which listener gets it
//! data: first line       ← one `data` line per line of the data
//! data: second line
//!                        ← the blank line: dispatch the event
//! ```
//!
//! A line that starts with a colon is a comment: the client ignores it,
//! which makes it a heartbeat that keeps a quiet connection alive.

use std::fmt::Write as _;
use std::time::Duration;

// ANCHOR: event
/// One event, as the server sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Its id: the client keeps the last one it saw, and sends it in
    /// `Last-Event-ID` when it reconnects.
    pub id: Option<u64>,
    /// Its type. Without one, the client's `message` listeners get it.
    pub event: Option<&'static str>,
    /// Its data, which may hold several lines.
    pub data: String,
    /// How long the client waits before it reconnects, from now on.
    pub retry: Option<Duration>,
}

impl Event {
    /// The event on the wire. Each line of the data gets a `data:` line of
    /// its own: a line break inside one would end the field. The client
    /// splits lines at CRLF, LF or CR alike, so all three are split here.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Some(retry) = self.retry {
            let _ = writeln!(out, "retry: {}", retry.as_millis());
        }
        if let Some(id) = self.id {
            let _ = writeln!(out, "id: {id}");
        }
        if let Some(event) = self.event {
            let _ = writeln!(out, "event: {event}");
        }
        for line in lines(&self.data) {
            let _ = writeln!(out, "data: {line}");
        }
        out + "\n"
    }
}
// ANCHOR_END: event

/// The lines of `text`, split at CRLF, LF or CR, as an event stream's
/// parser splits them. An empty text is one empty line.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.find(['\r', '\n']) {
            Some(at) => {
                let skip = if text[at..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&text[at + skip..]);
                Some(&text[..at])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

// ANCHOR: comment
/// A comment line, which every client ignores: sent when the stream has
/// been quiet a while, so that proxies and the client's own timeouts
/// don't take it for dead.
pub const HEARTBEAT: &str = ": heartbeat\n\n";
// ANCHOR_END: comment

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_its_fields_then_a_blank_line() {
        let event = Event {
            id: Some(5),
            event: Some("poem"),
            data: "one\ntwo".into(),
            retry: Some(Duration::from_secs(1)),
        };
        assert_eq!(
            event.encode(),
            "retry: 1000\nid: 5\nevent: poem\ndata: one\ndata: two\n\n"
        );
    }

    #[test]
    fn every_kind_of_line_break_starts_a_data_line() {
        let event = Event {
            id: None,
            event: None,
            data: "a\r\nb\rc\nd\n".into(),
            retry: None,
        };
        assert_eq!(
            event.encode(),
            "data: a\ndata: b\ndata: c\ndata: d\ndata: \n\n"
        );
        let empty = Event {
            data: String::new(),
            ..event
        };
        assert_eq!(empty.encode(), "data: \n\n");
    }
}
