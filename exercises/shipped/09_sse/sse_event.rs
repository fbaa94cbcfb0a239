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
//
// TODO: A CR, a LF, or a CR and the LF right after it, each end a piece:
//   "a\r\nb\rc\nd"  → ["a", "b", "c", "d"]
//   "a\r\n\n\rb"    → ["a", "", "", "b"]
//
// TODO: There is always a last piece, even an empty one. (`str::lines`
// differs on this, and on a lone CR.)
//   "a\n"  → ["a", ""]
//   ""     → [""]
fn split_lines(text: &str) -> Vec<&str> {
    todo!()
}

/// `event` on the wire: its fields, then a blank line.
//
// TODO: Each field that is set, on a line of its own that ends in a LF,
// in this order: `retry`, `id`, `event`. Then a `data` line for each
// line of the data, as `split_lines` cuts it. Then a blank line.
//   { retry: 1000, id: "5", event: "poem", data: "one\ntwo" }
//     → "retry: 1000\nid: 5\nevent: poem\ndata: one\ndata: two\n\n"
//   { data: "hello" }       → "data: hello\n\n"
//   { data: "a\r\nb\rc\n" } → "data: a\ndata: b\ndata: c\ndata: \n\n"
//   { data: "" }            → "data: \n\n"
fn encode(event: &Event) -> String {
    todo!()
}

/// The events in `stream`, as a browser's `EventSource` dispatches them.
//
// TODO: Read the stream line by line, as `split_lines` cuts it. Its last
// piece has no line break after it, so it is not a line yet: skip it.
//   "data: hi\n\n"  → [{ data: "hi" }]
//   "data: hi\n"    → []  (no blank line has ended the event yet)
//
// TODO: A line that starts with ':' is a comment. Any other line is a
// field name, a ':', and a value, which loses one space at its start if
// it has one. A line without a ':' is a field name with an empty value.
//   ": heartbeat\n\n"  → []
//   "data:hi\n\n"      → [{ data: "hi" }]
//   "data:  hi\n\n"    → [{ data: " hi" }]
//
// TODO: The fields:
//   data   adds the value and a LF to the block's data
//   event  sets the block's type
//   id     sets the last event ID, unless the value holds a NUL; it stays
//          for the events after it ("" is `None`)
//   retry  sets the block's retry, if the value is all ASCII digits
//   any other field is ignored
//   "data: a\ndata: b\n\n"  → [{ data: "a\nb" }]  (the last LF removed)
//   "id: 7\nevent: x\ndata: 1\n\ndata: 2\n\n"
//     → [{ id: "7", event: "x", data: "1" }, { id: "7", data: "2" }]
//   "retry: 1s\ndata: x\n\n"  → [{ data: "x" }]
//
// TODO: A blank line ends the block, and dispatches its event if it has a
// data line. The block's type and retry go with it, dispatched or not.
//   "event: x\n\ndata: y\n\n"  → [{ data: "y" }]
fn parse(stream: &str) -> Vec<Event> {
    todo!()
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
