//! The session over HTTP/2: an `h2_frame` record per frame the server
//! sends, and from the response's frames the records HTTP/1.1 gives: its
//! `head` (from the HEADERS frame's block), its pieces (the DATA frames,
//! with their content decoded), `trailers`, `end` and the verdict.

use std::time::Duration;

use loona_hpack::Decoder as Hpack;

use super::{
    H2Frame, Record, State, emit_events, fields_of, hex, millis, text_of,
};
use crate::decode::{Event, MAX_HEAD};
use crate::error::{Error, ErrorKind};
use crate::http2::{
    self, CONTINUATION, DATA, END_HEADERS, END_STREAM, Frame, FrameHeader,
    FrameReader, GOAWAY, HEADERS, RST_STREAM, SETTINGS, STREAM, WINDOW_UPDATE,
};

/// The frames read so far, and the response's state.
#[derive(Default)]
pub(super) struct H2 {
    reader: FrameReader,
    hpack: Hpack<'static>,
    /// A header block until its END_HEADERS: its stream, whether its
    /// HEADERS frame ended the stream, and its bytes.
    block: Option<(u32, bool, Vec<u8>)>,
    /// The final head has come; the count and bytes of DATA since.
    head: bool,
    data_frames: u64,
    body_bytes: u64,
}

impl std::fmt::Debug for H2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H2")
            .field("reader", &self.reader)
            .finish_non_exhaustive()
    }
}

impl H2 {
    /// Where the next byte from the server goes.
    pub(super) fn offset(&self) -> u64 {
        self.reader.offset()
    }

    /// Takes in a read that arrived `at`.
    pub(super) fn read(
        &mut self,
        state: &mut State,
        at: Duration,
        bytes: &[u8],
        emit: &mut impl FnMut(Record),
    ) {
        let H2 { reader, .. } = self;
        let mut failed = None;
        // The reader is borrowed while it calls back: the rest of `self`
        // is taken apart to be used meanwhile.
        let mut rest = Frames {
            hpack: &mut self.hpack,
            block: &mut self.block,
            head: &mut self.head,
            data_frames: &mut self.data_frames,
            body_bytes: &mut self.body_bytes,
        };
        let fed = reader.feed(bytes, &mut |frame| {
            if state.done || failed.is_some() {
                return;
            }
            if let Err(e) = rest.frame(state, at, frame, emit) {
                failed = Some(e);
            }
        });
        if let Some(e) = fed.err().or(failed)
            && !state.done
        {
            state.fail(at, e, emit);
        }
    }
}

/// [`H2`] but its reader.
struct Frames<'a> {
    hpack: &'a mut Hpack<'static>,
    block: &'a mut Option<(u32, bool, Vec<u8>)>,
    head: &'a mut bool,
    data_frames: &'a mut u64,
    body_bytes: &'a mut u64,
}

impl Frames<'_> {
    /// One whole frame: its record, and what it means for the response.
    fn frame(
        &mut self,
        state: &mut State,
        at: Duration,
        frame: Frame<'_>,
        emit: &mut impl FnMut(Record),
    ) -> Result<(), Error> {
        let Frame {
            header,
            offset,
            payload,
        } = frame;
        let fail = |kind| Err(Error { offset, kind });
        if self.block.is_some() && header.kind != CONTINUATION {
            return fail(ErrorKind::H2Frame(format!(
                "a {} frame came inside a header block, which only \
                 CONTINUATION frames may continue (RFC 9113 §6.10)",
                header.name()
            )));
        }
        match header.kind {
            DATA if header.stream == STREAM && *self.head => {
                return self.data(state, at, frame, emit);
            }
            DATA => {
                return fail(ErrorKind::H2Frame(format!(
                    "a DATA frame on stream {} before any response head on it",
                    header.stream
                )));
            }
            _ => {}
        }
        let mut record = frame_record(state, at, header, offset);
        let be32 = |at: usize| {
            payload
                .get(at..at + 4)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        };
        match header.kind {
            SETTINGS if !header.has(http2::ACK) => {
                let settings = payload.chunks_exact(6).map(|s| {
                    let id = u16::from_be_bytes([s[0], s[1]]);
                    (
                        http2::setting(id),
                        u32::from_be_bytes([s[2], s[3], s[4], s[5]]),
                    )
                });
                record.settings = Some(settings.collect());
            }
            WINDOW_UPDATE => {
                record.increment = be32(0).map(|i| i & 0x7FFF_FFFF)
            }
            RST_STREAM => record.error_code = be32(0).map(http2::error_code),
            GOAWAY => {
                record.last_stream = be32(0).map(|s| s & 0x7FFF_FFFF);
                record.error_code = be32(4).map(http2::error_code);
            }
            HEADERS => record.end_stream = Some(header.has(END_STREAM)),
            _ => {}
        }
        let (error_code, last_stream) =
            (record.error_code.clone(), record.last_stream);
        emit(Record::H2Frame(record));
        match header.kind {
            HEADERS | CONTINUATION => self.headers(state, at, frame, emit),
            RST_STREAM if header.stream == STREAM => {
                fail(ErrorKind::H2Reset(error_code.unwrap_or_default()))
            }
            GOAWAY
                if last_stream < Some(STREAM)
                    || error_code.as_deref() != Some("NO_ERROR") =>
            {
                fail(ErrorKind::H2GoAway(format!(
                    "GOAWAY with {}, last stream {} (RFC 9113 §6.8)",
                    error_code.unwrap_or_default(),
                    last_stream.unwrap_or_default()
                )))
            }
            _ => Ok(()),
        }
    }

    /// A DATA frame of the response: a piece, as a chunk is, through the
    /// same content decoding, event-stream reading and verdict.
    fn data(
        &mut self,
        state: &mut State,
        at: Duration,
        frame: Frame<'_>,
        emit: &mut impl FnMut(Record),
    ) -> Result<(), Error> {
        let Frame {
            header,
            offset,
            payload,
        } = frame;
        let (skip, data) =
            http2::unpadded(header, payload).map_err(|why| Error {
                offset,
                kind: ErrorKind::H2Frame(why),
            })?;
        state.on_event(
            Event::ChunkStart {
                index: *self.data_frames,
                offset,
                size: data.len() as u64,
                size_line: b"",
            },
            at,
            emit,
        );
        let data_offset = offset + 9 + skip as u64;
        state.on_event(
            Event::Data {
                offset: data_offset,
                bytes: data,
            },
            at,
            emit,
        );
        if state.done {
            return Ok(()); // its content failed to decode: said already
        }
        let Some(mut piece) = state.open.take() else {
            return Ok(());
        };
        // An empty DATA frame that only ends the stream is HTTP/2's
        // last-chunk: not a piece.
        if !(data.is_empty() && header.has(END_STREAM)) {
            *self.data_frames += 1;
        }
        *self.body_bytes += data.len() as u64;
        let events = std::mem::take(&mut piece.events);
        let last_read =
            state.reads.back().map_or(piece.first_read, |r| r.number);
        emit(Record::H2Frame(H2Frame {
            t_first_ms: millis(piece.t_first),
            t_ms: millis(at),
            offset,
            frame: header.name(),
            flags: header.flags,
            stream: header.stream,
            len: header.len,
            reads: last_read - piece.first_read + 1,
            end_stream: Some(header.has(END_STREAM)),
            truncated: Some(piece.data.len() < data.len()),
            data_hex: Some(hex(&piece.data)),
            data: Some(text_of(piece.data)),
            content: piece.content.map(|kept| kept.finish(&mut state.carry)),
            ..H2Frame::default()
        }));
        emit_events(events, at, emit);
        if header.has(END_STREAM) {
            self.end(state, at, offset + 9 + u64::from(header.len), emit);
        }
        Ok(())
    }

    /// A HEADERS or CONTINUATION frame: a header block, decoded once its
    /// END_HEADERS came; the response's head, or its trailers.
    fn headers(
        &mut self,
        state: &mut State,
        at: Duration,
        frame: Frame<'_>,
        emit: &mut impl FnMut(Record),
    ) -> Result<(), Error> {
        let Frame {
            header,
            offset,
            payload,
        } = frame;
        let fail = |kind| Err(Error { offset, kind });
        let (stream, end_stream, mut block) =
            match (header.kind, self.block.take()) {
                (HEADERS, None) => {
                    let (_, fragment) = http2::unpadded(header, payload)
                        .map_err(|why| Error {
                            offset,
                            kind: ErrorKind::H2Frame(why),
                        })?;
                    (header.stream, header.has(END_STREAM), fragment.to_vec())
                }
                (CONTINUATION, Some((stream, end, mut block)))
                    if stream == header.stream =>
                {
                    // A CONTINUATION flood is a block that never ends:
                    // past MAX_HEAD it is refused, as an HTTP/1.1 head is.
                    if block.len() + payload.len() > MAX_HEAD {
                        return fail(ErrorKind::H2Malformed(format!(
                            "a header block over {MAX_HEAD} bytes, the most \
                             the inspector reads (CONTINUATION frames that \
                             do not end)"
                        )));
                    }
                    block.extend_from_slice(payload);
                    (stream, end, block)
                }
                _ => {
                    return fail(ErrorKind::H2Frame(
                    "a CONTINUATION frame that continues no header block on \
                     its stream (RFC 9113 §6.10)"
                        .into(),
                ));
                }
            };
        if !header.has(END_HEADERS) {
            *self.block =
                Some((stream, end_stream, std::mem::take(&mut block)));
            return Ok(());
        }
        // Every block is decoded, whatever its stream: HPACK's table is
        // the connection's.
        // A few bytes may name a big entry of the dynamic table again and
        // again (an HPACK bomb): past MAX_HEAD decoded, in RFC 9113's
        // measure (§6.5.2: each field 32 more), fields are not kept.
        let mut fields: Vec<[String; 2]> = Vec::new();
        let mut size = 0;
        self.hpack
            .decode_with_cb(&block, |n, v| {
                size += n.len() + v.len() + 32;
                if size <= MAX_HEAD {
                    fields.push(fields_of(&n, &v));
                }
            })
            .map_err(|e| Error {
                offset,
                kind: ErrorKind::H2Compression(e.to_string()),
            })?;
        if stream != STREAM {
            return Ok(());
        }
        if size > MAX_HEAD {
            return fail(ErrorKind::H2Malformed(format!(
                "a header list of {size} bytes decoded, over the \
                 {MAX_HEAD} that the inspector reads (RFC 9113 §6.5.2 \
                 counts 32 more for each field)"
            )));
        }
        let end = offset + 9 + u64::from(header.len);
        if *self.head {
            if !end_stream {
                return fail(ErrorKind::H2Malformed(
                    "trailers without END_STREAM: a second header block must \
                     end the stream (RFC 9113 §8.1)"
                        .into(),
                ));
            }
            check(&fields, false).map_err(|why| Error {
                offset,
                kind: ErrorKind::H2Malformed(why),
            })?;
            state.on_event(
                Event::Trailers {
                    fields: to_fields(fields),
                    notes: Vec::new(),
                },
                at,
                emit,
            );
            self.end(state, at, end, emit);
            return Ok(());
        }
        let status = check(&fields, true).map_err(|why| Error {
            offset,
            kind: ErrorKind::H2Malformed(why),
        })?;
        *self.head = status >= 200;
        state.on_head(
            Record::Head {
                t_ms: millis(at),
                status,
                // HTTP/2 has no reason phrase (RFC 9113 §8.3.2).
                reason: String::new(),
                version: "HTTP/2".into(),
                headers: fields,
                framing: "frames",
                bytes: block.len(),
                connection: None,
                notes: Vec::new(),
            },
            at,
            emit,
        );
        if end_stream && status >= 200 {
            self.end(state, at, end, emit);
        }
        Ok(())
    }

    /// The response's stream ended `at`, its last frame ending at `end`.
    fn end(
        &mut self,
        state: &mut State,
        at: Duration,
        end: u64,
        emit: &mut impl FnMut(Record),
    ) {
        state.on_event(
            Event::End {
                offset: end,
                chunks: *self.data_frames,
                body_bytes: *self.body_bytes,
            },
            at,
            emit,
        );
    }
}

/// A frame's record, with the fields every type has.
fn frame_record(
    state: &mut State,
    at: Duration,
    header: FrameHeader,
    offset: u64,
) -> H2Frame {
    let first = super::first_read(&mut state.reads, offset);
    let last_read = state.reads.back().map_or(first.number, |r| r.number);
    H2Frame {
        t_first_ms: millis(first.at),
        t_ms: millis(at),
        offset,
        frame: header.name(),
        flags: header.flags,
        stream: header.stream,
        len: header.len,
        reads: last_read - first.number + 1,
        ..H2Frame::default()
    }
}

/// The rules of RFC 9113 §8.2 and §8.3.2 for a response's fields (or,
/// with `head` false, its trailers'): returns the `:status`.
fn check(fields: &[[String; 2]], head: bool) -> Result<u16, String> {
    let mut status = None;
    let mut regular = false;
    for [name, value] in fields {
        if let Some(pseudo) = name.strip_prefix(':') {
            if pseudo != "status" || !head {
                return Err(format!(
                    "the pseudo-header :{pseudo} is not one a response has \
                     (RFC 9113 §8.3.2)"
                ));
            }
            if regular || status.is_some() {
                return Err(":status is not once, before every other field \
                            (RFC 9113 §8.3)"
                    .into());
            }
            status = Some(
                value
                    .parse::<u16>()
                    .ok()
                    .filter(|s| (100..1000).contains(s))
                    .ok_or_else(|| {
                        format!(":status {value:?} is not a three-digit code")
                    })?,
            );
            continue;
        }
        regular = true;
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!(
                "the field name {name:?} has upper case, which HTTP/2 forbids \
                 (RFC 9113 §8.2.1)"
            ));
        }
        let connection_specific = [
            "connection",
            "keep-alive",
            "proxy-connection",
            "transfer-encoding",
            "upgrade",
        ];
        if connection_specific.contains(&name.as_str())
            || name == "te" && value != "trailers"
        {
            return Err(format!(
                "the response has {name}: {value}, a field of HTTP/1.1's \
                 connections that makes an HTTP/2 message malformed (RFC 9113 \
                 §8.2.2); a proxy that translated HTTP/1.1 should have \
                 removed it"
            ));
        }
    }
    match (head, status) {
        (true, None) => {
            Err("the response has no :status (RFC 9113 §8.3.2)".into())
        }
        (_, status) => Ok(status.unwrap_or_default()),
    }
}

fn to_fields(fields: Vec<[String; 2]>) -> Vec<crate::decode::Field> {
    fields
        .into_iter()
        .map(|[name, value]| crate::decode::Field {
            name,
            value: value.into_bytes(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use loona_hpack::Encoder;

    use super::*;
    use crate::http2::frame;
    use crate::session::Session;
    use crate::transport::Connection;

    fn block(fields: &[(&str, &str)]) -> Vec<u8> {
        Encoder::new()
            .encode(fields.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())))
    }

    /// A session over HTTP/2, given `reads` at 0, 100, 200... ms.
    fn records(reads: &[Vec<u8>]) -> Vec<Record> {
        let connection = Connection {
            http2: true,
            ..Connection::default()
        };
        let mut session =
            Session::new("GET", 64).with_connection(Some(&connection));
        let mut out = Vec::new();
        for (i, read) in reads.iter().enumerate() {
            let at = Duration::from_millis(100 * i as u64);
            session.read(at, read, &mut |r| out.push(r));
        }
        if !session.is_done() {
            session.eof(Duration::from_secs(9), &mut |r| out.push(r));
        }
        out
    }

    fn settings() -> Vec<u8> {
        frame(SETTINGS, 0, 0, &[0, 3, 0, 0, 0, 100])
    }

    /// A short name for each record, to compare sequences.
    fn names(records: &[Record]) -> Vec<String> {
        records
            .iter()
            .map(|r| match r {
                Record::H2Frame(f) => format!("{} s{}", f.frame, f.stream),
                Record::Head {
                    status, version, ..
                } => format!("head {version} {status}"),
                Record::Trailers { .. } => "trailers".into(),
                Record::End {
                    chunks, body_bytes, ..
                } => format!("end {chunks} {body_bytes}"),
                Record::Verdict(v) => format!("verdict {}", v.pattern.name()),
                Record::Error { kind, .. } => format!("error {kind}"),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_response_is_its_head_its_data_frames_and_its_end() {
        let head = block(&[(":status", "200"), ("content-type", "text/plain")]);
        let reads = vec![
            [settings(), frame(HEADERS, END_HEADERS, 1, &head)].concat(),
            frame(DATA, 0, 1, b"one "),
            // Padded: a Pad Length of 2, and two bytes of padding.
            frame(DATA, http2::PADDED, 1, b"\x02two\0\0"),
            [
                frame(WINDOW_UPDATE, 0, 0, &[0, 0, 1, 0]),
                frame(DATA, END_STREAM, 1, b""),
            ]
            .concat(),
        ];
        let out = records(&reads);
        assert_eq!(
            names(&out),
            [
                "SETTINGS s0",
                "HEADERS s1",
                "head HTTP/2 200",
                "DATA s1",
                "DATA s1",
                "WINDOW_UPDATE s0",
                "DATA s1",
                "end 2 7",
                "verdict stream"
            ]
        );
        let Record::Head {
            headers,
            framing,
            reason,
            ..
        } = &out[2]
        else {
            panic!()
        };
        assert_eq!(headers[0], [":status".to_owned(), "200".to_owned()]);
        assert_eq!((*framing, reason.as_str()), ("frames", ""));
        let Record::H2Frame(padded) = &out[4] else {
            panic!()
        };
        assert_eq!(
            (padded.len, padded.data.as_deref(), padded.t_ms),
            (6, Some("two"), 200.0)
        );
        let Record::H2Frame(update) = &out[5] else {
            panic!()
        };
        assert_eq!(update.increment, Some(256));
        let Record::H2Frame(first) = &out[0] else {
            panic!()
        };
        assert_eq!(
            first.settings,
            Some(vec![("MAX_CONCURRENT_STREAMS".into(), 100)])
        );
    }

    #[test]
    fn a_header_block_may_continue_and_trailers_end_the_stream() {
        let head = block(&[(":status", "200"), ("x-long", "abcdefgh")]);
        let (a, b) = head.split_at(3);
        let trailers = block(&[("x-checksum", "42")]);
        let wire = [
            settings(),
            frame(HEADERS, 0, 1, a),
            frame(CONTINUATION, END_HEADERS, 1, b),
            frame(DATA, 0, 1, b"body"),
            frame(HEADERS, END_HEADERS | END_STREAM, 1, &trailers),
        ]
        .concat();
        // One byte a read: every frame is cut everywhere.
        let reads: Vec<Vec<u8>> = wire.iter().map(|&b| vec![b]).collect();
        let out = records(&reads);
        assert_eq!(
            names(&out),
            [
                "SETTINGS s0",
                "HEADERS s1",
                "CONTINUATION s1",
                "head HTTP/2 200",
                "DATA s1",
                "HEADERS s1",
                "trailers",
                "end 1 4",
                "verdict burst_at_end"
            ]
        );
        let Record::Head { headers, .. } = &out[3] else {
            panic!()
        };
        assert_eq!(headers[1], ["x-long".to_owned(), "abcdefgh".to_owned()]);
        let Record::H2Frame(data) = &out[4] else {
            panic!()
        };
        assert_eq!(
            (data.reads, data.offset),
            (13, 9 + 6 + 9 + 3 + 9 + (head.len() - 3) as u64)
        );
    }

    #[test]
    fn connection_specific_fields_make_a_response_malformed() {
        let head =
            block(&[(":status", "200"), ("transfer-encoding", "chunked")]);
        let out =
            records(&[
                [settings(), frame(HEADERS, END_HEADERS, 1, &head)].concat()
            ]);
        let Some(Record::Error {
            kind,
            message,
            offset,
            ..
        }) = out.last()
        else {
            panic!()
        };
        assert_eq!((*kind, *offset), ("h2_malformed", 15));
        assert!(message.contains("transfer-encoding: chunked"), "{message}");
        assert!(message.contains("§8.2.2"), "{message}");
    }

    #[test]
    fn a_reset_or_an_early_close_is_an_error() {
        let head = block(&[(":status", "200")]);
        let start =
            [settings(), frame(HEADERS, END_HEADERS, 1, &head)].concat();
        let reset = frame(RST_STREAM, 0, 1, &[0, 0, 0, 2]);
        let out = records(&[start.clone(), reset]);
        assert_eq!(
            names(&out)[3..],
            ["RST_STREAM s1", "error h2_reset", "verdict incomplete"]
        );
        let Some(Record::Error { message, .. }) = out.iter().rev().nth(1)
        else {
            panic!()
        };
        assert!(message.contains("INTERNAL_ERROR"), "{message}");
        let out = records(&[
            start.clone(),
            frame(GOAWAY, 0, 0, &[0, 0, 0, 0, 0, 0, 0, 1]),
        ]);
        assert!(
            names(&out).contains(&"error h2_goaway".to_owned()),
            "{:?}",
            names(&out)
        );
        let out = records(&[start, frame(DATA, 0, 1, b"x")]);
        let Some(Record::Error { kind, .. }) = out.iter().rev().nth(1) else {
            panic!()
        };
        assert_eq!(*kind, "unexpected_eof");
    }

    #[test]
    fn data_before_a_head_and_garbage_are_refused() {
        let out = records(&[[settings(), frame(DATA, 0, 1, b"x")].concat()]);
        assert_eq!(names(&out), ["SETTINGS s0", "error h2_frame"]);
        let out = records(&[b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec()]);
        assert_eq!(names(&out), ["error h2_preface"]);
    }

    /// The name of the error that ended the response, if one did.
    fn last(reads: &[Vec<u8>]) -> String {
        let names = names(&records(reads));
        names
            .into_iter()
            .find(|n| n.starts_with("error"))
            .unwrap_or_default()
    }

    #[test]
    fn a_header_block_that_never_ends_is_refused_past_max_head() {
        let status = block(&[(":status", "200")]);
        let mut reads =
            vec![[settings(), frame(HEADERS, 0, 1, &status)].concat()];
        // :status 200 again and again, 16 000 bytes a frame, never ended.
        let more = frame(CONTINUATION, 0, 1, &[0x88; 16_000]);
        reads.extend(std::iter::repeat_n(more, MAX_HEAD / 16_000 + 2));
        assert_eq!(last(&reads), "error h2_malformed");
    }

    #[test]
    fn a_header_block_that_decodes_past_max_head_is_refused() {
        // One field of 4000 bytes into the dynamic table (a literal with
        // incremental indexing, name :status), then 20 000 one-byte
        // references to it: 24 kB that decode to 80 MB.
        // Its length: 127, then 4000 - 127 = 30 * 128 + 33 in 7-bit groups.
        let mut bomb = vec![0x48, 0x7F, 0x80 | 33, 30];
        bomb.extend(vec![b'2'; 4000]);
        bomb.extend(vec![0xBE; 20_000]);
        let mut pieces = bomb.chunks(16_000).peekable();
        let mut reads = vec![settings()];
        let mut kind = HEADERS;
        while let Some(piece) = pieces.next() {
            let flags = if pieces.peek().is_none() {
                END_HEADERS
            } else {
                0
            };
            reads.push(frame(kind, flags, 1, piece));
            kind = CONTINUATION;
        }
        assert_eq!(last(&reads), "error h2_malformed");
    }
}
