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
}

/// Reads an event stream fed in pieces.
#[derive(Debug, Default)]
pub struct SseParser {
    /// The line being read, not yet ended.
    line: Vec<u8>,
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
        self.line.extend_from_slice(bytes);
        if self.line.len() < BOM.len() && BOM.starts_with(&self.line) {
            return;
        }
        self.started = true;
        let held = std::mem::take(&mut self.line);
        self.feed_lines(held.strip_prefix(BOM).unwrap_or(&held), chunk, out);
    }

    fn feed_lines(
        &mut self,
        bytes: &[u8],
        chunk: Option<u64>,
        out: &mut Vec<SseEvent>,
    ) {
        for &b in bytes {
            if self.after_cr && b == b'\n' {
                self.after_cr = false;
                continue;
            }
            self.after_cr = b == b'\r';
            if self.first_chunk.is_none() {
                self.first_chunk = chunk;
            }
            if b == b'\r' || b == b'\n' {
                let line = std::mem::take(&mut self.line);
                self.line_done(&String::from_utf8_lossy(&line), chunk, out);
            } else {
                self.line.push(b);
            }
        }
    }

    /// One whole line, as the standard's "process the field" steps say.
    fn line_done(
        &mut self,
        line: &str,
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
        match field {
            "event" => self.event = value.to_owned(),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
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

    fn dispatch(&mut self, chunk: Option<u64>, out: &mut Vec<SseEvent>) {
        let first = self.first_chunk.take();
        let retry = self.retry.take();
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
}
