//! The session over HTTP/2: an `h2_frame` record per frame the server
//! sends, and from the response's frames the records HTTP/1.1 gives: its
//! `head` (from the HEADERS frame's block), its pieces (the DATA frames,
//! with their content decoded), `trailers`, `end` and the verdict.

use std::time::Duration;

use loona_hpack::Decoder as Hpack;

use super::{
    H2Frame, Record, State, emit_events, fields_of, hex, millis, text_of,
};
use crate::decode::Event;
use crate::error::{Error, ErrorKind};
use crate::http2::{
    self, CONTINUATION, DATA, END_HEADERS, END_STREAM, FrameHeader,
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
        let fed = reader.feed(bytes, &mut |header, offset, payload| {
            if state.done || failed.is_some() {
                return;
            }
            if let Err(e) = rest.frame(state, at, header, offset, payload, emit)
            {
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
        header: FrameHeader,
        offset: u64,
        payload: &[u8],
        emit: &mut impl FnMut(Record),
    ) -> Result<(), Error> {
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
                return self.data(state, at, header, offset, payload, emit);
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
            HEADERS | CONTINUATION => {
                self.headers(state, at, header, offset, payload, emit)
            }
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
        header: FrameHeader,
        offset: u64,
        payload: &[u8],
        emit: &mut impl FnMut(Record),
    ) -> Result<(), Error> {
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
        header: FrameHeader,
        offset: u64,
        payload: &[u8],
        emit: &mut impl FnMut(Record),
    ) -> Result<(), Error> {
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
        let decoded = self.hpack.decode(&block).map_err(|e| Error {
            offset,
            kind: ErrorKind::H2Compression(e.to_string()),
        })?;
        if stream != STREAM {
            return Ok(());
        }
        let fields: Vec<[String; 2]> = decoded
            .into_iter()
            .map(|(n, v)| fields_of(&n, &v))
            .collect();
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
            state.on_event(Event::Trailers(to_fields(fields)), at, emit);
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
