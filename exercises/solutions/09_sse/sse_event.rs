//! # Exercise: server-sent events, sent and read back
//!
//! Chapter: `book/src/09-sse.md`.
//!
//! A `text/event-stream` body is a series of events (WHATWG HTML,
//! "Server-sent events"). An event is a block of `field: value` lines,
//! and a blank line ends it:
//!
//! ```text
//! retry: 1000        ← how long the client waits to reconnect, in ms
//! id: 5              ← the client's last event ID, sent back on reconnecting
//! event: poem        ← its type: which listeners get it
//! data: first line   ← one `data` line per line of the data
//! data: second line
//!                    ← the blank line: the client dispatches the event
//! : heartbeat        ← a comment, which the client ignores
//! ```
//!
//! You write both sides: `encode`, the server's, and `parse`, the
//! browser's `EventSource`, which follows the standard's "Interpreting an
//! event stream". Events know nothing of chunks: one chunk may carry
//! several events, and one event may span several chunks. Here the stream
//! is read whole.
//!
//! Make the tests at the bottom pass:
//! `cargo run -p exercises -- run sse_event`.

fn main() {
    // You can experiment here, then run the tests with
    // `cargo run -p exercises -- run sse_event`.
}

/// One event: what the server sends, and what the browser reads back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Event {
    /// Its id. The client keeps the last one it saw, for the events after
    /// it too, and sends it in `Last-Event-ID` when it reconnects. `None`:
    /// no id yet.
    id: Option<String>,
    /// Its type. `None` is the default type, `message`.
    event: Option<String>,
    /// Its data, which may hold several lines.
    data: String,
    /// How long the client waits before it reconnects, in milliseconds.
    retry: Option<u64>,
}

impl Event {
    /// An event of the default type, with nothing but its data.
    fn message(data: &str) -> Event {
        Event {
            data: data.to_owned(),
            ..Event::default()
        }
    }

    /// Its type, as the browser's listeners see it.
    fn kind(&self) -> &str {
        self.event.as_deref().unwrap_or("message")
    }
}

/// A comment, which every client ignores: sent when the stream has been
/// quiet a while, so that proxies and the client's own timeouts don't take
/// it for dead.
const HEARTBEAT: &str = ": heartbeat\n\n";

/// The pieces of `text` between its line breaks, which are CRLF, LF and
/// CR alike. The last piece is what follows the last line break.
fn split_lines(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(['\r', '\n']) {
        pieces.push(&rest[..at]);
        // A CR and the LF right after it are one line break, not two.
        let skip = if rest[at..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[at + skip..];
    }
    // Unlike `str::lines`, a line break at the end leaves an empty piece
    // after it, and an empty text is one empty piece.
    pieces.push(rest);
    pieces
}

/// `event` on the wire: its fields, then a blank line.
fn encode(event: &Event) -> String {
    let mut out = String::new();
    if let Some(retry) = event.retry {
        out += &format!("retry: {retry}\n");
    }
    if let Some(id) = &event.id {
        out += &format!("id: {id}\n");
    }
    if let Some(kind) = &event.event {
        out += &format!("event: {kind}\n");
    }
    // A line break inside a value would end its field, so each line of the
    // data gets a field of its own. The client splits lines at CR too: so
    // must the server, or a lone CR would cut a line that it can't see.
    for line in split_lines(&event.data) {
        out += &format!("data: {line}\n");
    }
    out + "\n"
}

/// The events in `stream`, as a browser's `EventSource` dispatches them.
fn parse(stream: &str) -> Vec<Event> {
    let mut events = Vec::new();
    // The block being read: each data line followed by a LF, its type,
    // its retry. A blank line starts the next block empty.
    let mut data = String::new();
    let mut kind = String::new();
    let mut retry = None;
    // The last event ID outlives its block.
    let mut last_id = String::new();

    let mut lines = split_lines(stream);
    // The last piece has no line break after it: either nothing, or a line
    // that has not ended yet, which is not read.
    lines.pop();
    for line in lines {
        if line.is_empty() {
            let kind = std::mem::take(&mut kind);
            let retry = retry.take();
            if data.is_empty() {
                continue; // no data line: nothing is dispatched
            }
            data.pop(); // the LF after the last line
            events.push(Event {
                id: (!last_id.is_empty()).then(|| last_id.clone()),
                event: (!kind.is_empty()).then_some(kind),
                data: std::mem::take(&mut data),
                retry,
            });
            continue;
        }
        if line.starts_with(':') {
            continue; // a comment
        }
        // Only the first colon splits, and only one space after it goes.
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => {
                (field, value.strip_prefix(' ').unwrap_or(value))
            }
            None => (line, ""),
        };
        match field {
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "event" => kind = value.to_owned(),
            "id" if !value.contains('\0') => last_id = value.to_owned(),
            "retry"
                if !value.is_empty()
                    && value.bytes().all(|b| b.is_ascii_digit()) =>
            {
                retry = value.parse().ok();
            }
            _ => {} // ignored, as a browser ignores it
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event with an id, and maybe a type.
    fn event(id: &str, kind: Option<&str>, data: &str) -> Event {
        Event {
            id: Some(id.to_owned()),
            event: kind.map(str::to_owned),
            ..Event::message(data)
        }
    }

    #[test]
    fn lines_end_at_crlf_lf_and_cr_alike() {
        assert_eq!(split_lines("a\r\nb\rc\nd"), ["a", "b", "c", "d"]);
        // One CRLF is one line break; a LF then a CR are two.
        assert_eq!(split_lines("a\r\n\n\rb"), ["a", "", "", "b"]);
    }

    #[test]
    fn the_last_piece_follows_the_last_line_break() {
        assert_eq!(split_lines("a\n"), ["a", ""]);
        assert_eq!(split_lines("a\n\n"), ["a", "", ""]);
        assert_eq!(split_lines(""), [""]);
    }

    #[test]
    fn an_event_is_its_fields_then_a_blank_line() {
        let event = Event {
            retry: Some(1000),
            ..event("5", Some("poem"), "one\ntwo")
        };
        assert_eq!(
            encode(&event),
            "retry: 1000\nid: 5\nevent: poem\ndata: one\ndata: two\n\n"
        );
        assert_eq!(encode(&Event::message("hello")), "data: hello\n\n");
    }

    #[test]
    fn every_kind_of_line_break_starts_a_data_line() {
        assert_eq!(
            encode(&Event::message("a\r\nb\rc\nd\n")),
            "data: a\ndata: b\ndata: c\ndata: d\ndata: \n\n"
        );
    }

    #[test]
    fn an_empty_data_is_one_empty_data_line() {
        // Without it, the block would have no data line, and the client
        // would dispatch nothing.
        assert_eq!(encode(&Event::message("")), "data: \n\n");
    }

    #[test]
    fn a_blank_line_dispatches_the_block() {
        let stream =
            "retry: 1000\nid: 5\nevent: poem\ndata: one\ndata: two\n\n";
        assert_eq!(
            parse(stream),
            [Event {
                retry: Some(1000),
                ..event("5", Some("poem"), "one\ntwo")
            }]
        );
        assert_eq!(
            parse("data: a\n\ndata: b\n\n"),
            [Event::message("a"), Event::message("b")]
        );
    }

    #[test]
    fn crlf_and_cr_end_lines_in_the_stream_too() {
        assert_eq!(
            parse("data: a\r\ndata: b\r\r\ndata: c\r\n\r\n"),
            [Event::message("a\nb"), Event::message("c")]
        );
    }

    #[test]
    fn an_event_without_its_blank_line_is_not_dispatched() {
        assert_eq!(parse("data: a\n\ndata: b\n"), [Event::message("a")]);
        assert_eq!(parse("data: a\n\ndata: b"), [Event::message("a")]);
        assert_eq!(parse(""), []);
    }

    #[test]
    fn only_one_space_after_the_colon_is_removed() {
        assert_eq!(parse("data:x\n\n"), [Event::message("x")]);
        assert_eq!(parse("data:  x\n\n"), [Event::message(" x")]);
        assert_eq!(parse("data: a: b\n\n"), [Event::message("a: b")]);
    }

    #[test]
    fn a_line_without_a_colon_is_a_field_with_an_empty_value() {
        assert_eq!(parse("data\ndata\n\n"), [Event::message("\n")]);
    }

    #[test]
    fn only_the_last_line_feed_of_the_data_is_removed() {
        assert_eq!(parse("data: a\ndata:\n\n"), [Event::message("a\n")]);
        assert_eq!(parse("data:\n\n"), [Event::message("")]);
    }

    #[test]
    fn comments_and_heartbeats_are_ignored() {
        let stream = format!(
            "{HEARTBEAT}data: a\n: a comment inside a block\ndata: b\n\n:\n\n"
        );
        assert_eq!(parse(&stream), [Event::message("a\nb")]);
    }

    #[test]
    fn the_id_stays_for_the_events_after_it_and_the_type_does_not() {
        let got = parse("id: 7\nevent: x\ndata: 1\n\ndata: 2\n\n");
        assert_eq!(got, [event("7", Some("x"), "1"), event("7", None, "2")]);
        assert_eq!(got[1].kind(), "message");
        // An empty id forgets the last one.
        let got = parse("id: 7\ndata: 1\n\nid\ndata: 2\n\n");
        assert_eq!(got, [event("7", None, "1"), Event::message("2")]);
    }

    #[test]
    fn an_id_holding_a_nul_is_ignored() {
        let got = parse("id: 7\ndata: 1\n\nid: 8\0\ndata: 2\n\n");
        assert_eq!(got, [event("7", None, "1"), event("7", None, "2")]);
    }

    #[test]
    fn a_block_without_data_dispatches_nothing() {
        assert_eq!(parse("event: x\nretry: 5\n\n"), []);
        // Its type and retry went with it; the id stayed.
        assert_eq!(
            parse("event: x\nretry: 5\nid: 1\n\ndata: y\n\n"),
            [event("1", None, "y")]
        );
    }

    #[test]
    fn retry_is_read_only_if_it_is_all_digits() {
        let retry = |stream: &str| parse(stream)[0].retry;
        assert_eq!(retry("retry: 250\ndata: x\n\n"), Some(250));
        assert_eq!(retry("retry: 1s\ndata: x\n\n"), None);
        assert_eq!(retry("retry: -5\ndata: x\n\n"), None);
        assert_eq!(retry("retry:  5\ndata: x\n\n"), None);
        assert_eq!(retry("retry: \ndata: x\n\n"), None);
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let stream = "foo: bar\nData: no\ndata : no\ndata: x\n\n";
        assert_eq!(parse(stream), [Event::message("x")]);
        assert_eq!(parse("foo: bar\n\n"), []);
    }

    #[test]
    fn parse_gives_back_what_encode_sent() {
        let events = [
            Event {
                retry: Some(3000),
                ..event("1", Some("poem"), "one\ntwo")
            },
            event("2", None, ""),
            event("3", Some("log"), "\nthree\n\nlines\n"),
            event("4", None, ": not a comment, data: not a field"),
        ];
        for event in events.clone() {
            assert_eq!(parse(&encode(&event)), [event]);
        }
        // The same events as one stream, with heartbeats between them.
        let stream: String =
            events.iter().map(|e| encode(e) + HEARTBEAT).collect();
        assert_eq!(parse(&stream), events);
    }

    #[test]
    fn cr_and_crlf_in_the_data_come_back_as_line_feeds() {
        let sent = Event::message("a\rb\r\nc");
        assert_eq!(parse(&encode(&sent)), [Event::message("a\nb\nc")]);
    }
}
