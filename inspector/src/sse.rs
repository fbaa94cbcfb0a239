//! The layer above chunks for `text/event-stream`: the body read as
//! server-sent events, the way a browser's `EventSource` reads it (WHATWG
//! HTML, "Server-sent events", "Interpreting an event stream").
//!
//! Events and chunks are independent: one chunk may carry several events,
//! and one event may span several chunks. So the parser is fed body bytes
//! with the index of the chunk that carried them, and each event says
//! which chunks it came in.
//!
//! Like the chunk decoder, it is sans-IO: bytes in, events out.
//!
//! A hostile server may send a line that never ends. The standard sets no
//! limit, so the parser sets one: it keeps at most [`MAX_EVENT`] bytes of
//! a line and of an event's data, reads on past the cut, and marks the
//! event `truncated`.

/// One event, dispatched by a blank line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The last event ID in effect: this event's `id`, or an earlier one.
    pub id: String,
    /// Its type: its `event` field, or `message`.
    pub event: String,
    /// Its `data` lines, joined by line feeds.
    pub data: String,
    /// A `retry` (reconnection time, in ms) in this event's block.
    pub retry: Option<u64>,
    /// The first and the last chunk that carried it (`None` for a body
    /// without chunks).
    pub chunks: Option<(u64, u64)>,
    /// A line of its block, or its data, was longer than [`MAX_EVENT`]:
    /// what is past the limit was read and dropped.
    pub truncated: bool,
}

/// The most bytes of one line, and of one event's data, that are kept:
/// 1 MiB.
///
/// Why cut and go on, rather than fail: a browser's `EventSource` has no
/// limit, so an over-long event is not an error of the stream. Reading
/// on keeps every later event exact: the cut loses only the excess, and
/// the event says so (`truncated`). Without a cap, one line of 1 GiB
/// without a line feed held 1 GiB here.
pub const MAX_EVENT: usize = 1024 * 1024;

/// Reads an event stream fed in pieces.
#[derive(Debug, Default)]
pub struct SseParser {
    /// The line being read, not yet ended: at most [`MAX_EVENT`] bytes.
    line: Vec<u8>,
    /// Bytes of that line were dropped, past [`MAX_EVENT`].
    line_cut: bool,
    /// This block lost bytes to the limit.
    truncated: bool,
    /// The last byte fed was a CR: a LF right after it ends no new line.
    after_cr: bool,
    /// Whether the stream's first bytes have been looked at for a BOM.
    started: bool,
    data: String,
    event: String,
    last_id: String,
    retry: Option<u64>,
    /// The chunk that carried the first byte of this block.
    first_chunk: Option<u64>,
}

impl SseParser {
    pub fn new() -> Self {
        SseParser::default()
    }

    /// Reads `bytes`, carried by chunk `chunk`, and pushes each event that
    /// a blank line completes onto `out`.
    pub fn feed(
        &mut self,
        bytes: &[u8],
        chunk: Option<u64>,
        out: &mut Vec<SseEvent>,
    ) {
        if self.started {
            return self.feed_lines(bytes, chunk, out);
        }
        // One UTF-8 byte order mark at the very start is skipped. It may
        // be split across feeds: hold what could still be one.
        const BOM: &[u8] = b"\xEF\xBB\xBF";
        let take = bytes.len().min(BOM.len() - self.line.len());
        self.line.extend_from_slice(&bytes[..take]);
        if self.line.len() < BOM.len() && BOM.starts_with(&self.line) {
            return;
        }
        self.started = true;
        let held = std::mem::take(&mut self.line);
        self.feed_lines(held.strip_prefix(BOM).unwrap_or(&held), chunk, out);
        self.feed_lines(&bytes[take..], chunk, out);
    }

    /// Reads lines in bulk: each CR or LF (found by `memchr2`) ends one,
    /// and a LF right after a CR ends none.
    fn feed_lines(
        &mut self,
        mut bytes: &[u8],
        chunk: Option<u64>,
        out: &mut Vec<SseEvent>,
    ) {
        while let Some(&first) = bytes.first() {
            if std::mem::take(&mut self.after_cr) && first == b'\n' {
                bytes = &bytes[1..];
                continue;
            }
            if self.first_chunk.is_none() {
                self.first_chunk = chunk;
            }
            let Some(end) = memchr::memchr2(b'\r', b'\n', bytes) else {
                // The line goes on in a later feed.
                return self.hold(bytes);
            };
            self.hold(&bytes[..end]);
            self.after_cr = bytes[end] == b'\r';
            bytes = &bytes[end + 1..];
            // The line's buffer is reused: it never grows past the cap.
            let mut line = std::mem::take(&mut self.line);
            let cut = std::mem::take(&mut self.line_cut);
            self.line_done(&String::from_utf8_lossy(&line), cut, chunk, out);
            line.clear();
            self.line = line;
        }
    }

    /// Adds `bytes` to the line being read, as far as [`MAX_EVENT`]; the
    /// rest is dropped, and the line marked cut.
    fn hold(&mut self, bytes: &[u8]) {
        let room = MAX_EVENT.saturating_sub(self.line.len());
        self.line_cut |= bytes.len() > room;
        self.line.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    /// One whole line, as the standard's "process the field" steps say;
    /// `cut` if bytes of it were dropped.
    fn line_done(
        &mut self,
        line: &str,
        cut: bool,
        chunk: Option<u64>,
        out: &mut Vec<SseEvent>,
    ) {
        if line.is_empty() {
            return self.dispatch(chunk, out);
        }
        if line.starts_with(':') {
            return; // a comment
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => {
                (field, value.strip_prefix(' ').unwrap_or(value))
            }
            None => (line, ""),
        };
        if cut && matches!(field, "event" | "data" | "id") {
            self.truncated = true;
        }
        match field {
            "event" => self.event = value.to_owned(),
            "data" => self.push_data(value),
            "id" if !value.contains('\0') => self.last_id = value.to_owned(),
            "retry"
                if !value.is_empty()
                    && value.bytes().all(|b| b.is_ascii_digit()) =>
            {
                self.retry = value.parse().ok();
            }
            _ => {} // ignored, as a browser ignores it
        }
    }

    /// Appends a data line and its line feed, as far as [`MAX_EVENT`].
    fn push_data(&mut self, value: &str) {
        let room = MAX_EVENT.saturating_sub(self.data.len());
        if value.len() < room {
            self.data.push_str(value);
            self.data.push('\n');
            return;
        }
        self.truncated = true;
        if room == 0 {
            return;
        }
        // Cut on a character, and leave room for the line feed.
        let mut end = room - 1;
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        self.data.push_str(&value[..end]);
        self.data.push('\n');
    }

    fn dispatch(&mut self, chunk: Option<u64>, out: &mut Vec<SseEvent>) {
        let first = self.first_chunk.take();
        let retry = self.retry.take();
        let truncated = std::mem::take(&mut self.truncated);
        let event = std::mem::take(&mut self.event);
        if self.data.is_empty() {
            return; // no data: nothing is dispatched
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop(); // the line feed after the last line
        out.push(SseEvent {
            id: self.last_id.clone(),
            event: if event.is_empty() {
                "message".to_owned()
            } else {
                event
            },
            data,
            retry,
            chunks: first.zip(chunk),
            truncated,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(pieces: &[(&[u8], u64)]) -> Vec<SseEvent> {
        let mut parser = SseParser::new();
        let mut out = Vec::new();
        for &(bytes, chunk) in pieces {
            parser.feed(bytes, Some(chunk), &mut out);
        }
        out
    }

    #[test]
    fn fields_make_an_event_and_a_blank_line_sends_it() {
        let got = events(&[(
            b"retry: 1000\nid: 5\nevent: poem\ndata: one\ndata:two\n\n",
            0,
        )]);
        assert_eq!(
            got,
            [SseEvent {
                id: "5".into(),
                event: "poem".into(),
                data: "one\ntwo".into(),
                retry: Some(1000),
                chunks: Some((0, 0)),
                truncated: false,
            }]
        );
    }

    // ANCHOR: spans
    #[test]
    fn one_chunk_may_hold_two_events_and_one_event_span_three_chunks() {
        let got = events(&[
            (b"data: a\n\ndata: b\n\nda", 0),
            (b"ta: c\r", 1),
            (b"\n\r\n", 2),
        ]);
        let spans: Vec<_> =
            got.iter().map(|e| (e.data.as_str(), e.chunks)).collect();
        assert_eq!(
            spans,
            [
                ("a", Some((0, 0))),
                ("b", Some((0, 0))),
                ("c", Some((0, 2)))
            ]
        );
    }
    // ANCHOR_END: spans

    #[test]
    fn comments_blocks_without_data_and_unknown_fields_send_nothing() {
        let got = events(&[(
            b": heartbeat\n\nretry: 5\n\nevent: x\nfoo: bar\n\n",
            0,
        )]);
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn the_id_outlives_its_event_and_a_type_does_not() {
        let got = events(&[(b"id: 7\nevent: x\ndata: 1\n\ndata: 2\n\n", 0)]);
        assert_eq!(
            (got[1].id.as_str(), got[1].event.as_str()),
            ("7", "message")
        );
    }

    #[test]
    fn a_bom_split_across_reads_is_skipped_once() {
        let got = events(&[(b"\xEF\xBB", 0), (b"\xBFdata: x\n\n", 0)]);
        assert_eq!(got[0].data, "x");
        let got = events(&[(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\n", 0)]);
        assert!(got.is_empty(), "a second BOM starts a field named by it");
    }

    #[test]
    fn a_line_over_the_cap_is_cut_and_the_stream_reads_on() {
        let mut parser = SseParser::new();
        let mut out = Vec::new();
        parser.feed(b"data: ", Some(0), &mut out);
        // 2 MiB without a line feed, in 64 KiB reads.
        let piece = vec![b'x'; 64 * 1024];
        for _ in 0..32 {
            parser.feed(&piece, Some(0), &mut out);
            assert!(parser.line.len() <= MAX_EVENT, "{}", parser.line.len());
        }
        assert!(parser.line.capacity() <= 2 * MAX_EVENT);
        parser.feed(b"\n\ndata: next\r\n\r\n", Some(1), &mut out);
        let [long, next] = &out[..] else {
            panic!("{out:?}")
        };
        assert!(long.truncated);
        assert_eq!(long.data.len(), MAX_EVENT - "data: ".len());
        assert!(long.data.bytes().all(|b| b == b'x'));
        assert_eq!((long.chunks, next.chunks), (Some((0, 1)), Some((1, 1))));
        assert_eq!((next.data.as_str(), next.truncated), ("next", false));
    }

    #[test]
    fn data_lines_over_the_cap_are_cut_on_a_character() {
        let line = format!("data: {}\n", "é".repeat(100_000));
        let mut stream = line.repeat(8);
        stream.push('\n');
        let got = events(&[(stream.as_bytes(), 0)]);
        let [event] = &got[..] else { panic!("{got:?}") };
        assert!(event.truncated);
        assert!(event.data.len() < MAX_EVENT, "{}", event.data.len());
        assert!(event.data.len() > MAX_EVENT - 8, "{}", event.data.len());
    }

    #[test]
    fn an_over_long_comment_cuts_no_event() {
        let mut stream = b": ".to_vec();
        stream.extend(vec![b'-'; MAX_EVENT + 10]);
        stream.extend_from_slice(b"\ndata: x\n\n");
        let got = events(&[(&stream, 0)]);
        assert_eq!((got[0].data.as_str(), got[0].truncated), ("x", false));
    }

    #[test]
    fn every_split_reads_the_same_events() {
        let stream: &[u8] = b"\xEF\xBB\xBFid: 1\r\nevent: e\rdata: a\r\
                              \n\r\n: c\ndata: b\ndata:\n\ndata: z\n\n";
        let whole = events(&[(stream, 0)]);
        assert_eq!(whole.len(), 3);
        for at in 0..=stream.len() {
            let (a, b) = stream.split_at(at);
            assert_eq!(events(&[(a, 0), (b, 0)]), whole, "split at {at}");
        }
        let bytes: Vec<(&[u8], u64)> =
            stream.chunks(1).map(|b| (b, 0)).collect();
        assert_eq!(events(&bytes), whole, "a byte at a time");
    }
}
