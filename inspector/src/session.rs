//! A timed decode: reads go in with their arrival times, records come out,
//! one per head, chunk, read of a plain body, trailer section, end or error.
//!
//! The records are the inspector's headless contract (`--json`): their names
//! and fields are in `shared/DESIGN.md` ("Inspector contract"), and later
//! layers only add to them.
//!
//! Memory stays bounded on endless streams: a chunk keeps at most
//! `max_data` of its bytes, and the session forgets reads once no chunk in
//! progress needs their times.

use std::collections::VecDeque;
use std::time::Duration;

use serde::Serialize;

use crate::decode::{Decoder, Event, Field, Head, Status};
use crate::error::Error;
use crate::sse::{SseEvent, SseParser};

/// One line of `--json` output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Head {
        t_ms: f64,
        status: u16,
        reason: String,
        version: String,
        headers: Vec<[String; 2]>,
        framing: &'static str,
        /// Extra: the head's size in bytes.
        bytes: usize,
    },
    Chunk(Chunk),
    /// Body bytes of a non-chunked response, one record per read.
    Data {
        t_ms: f64,
        offset: u64,
        len: usize,
        data: String,
        data_hex: String,
        truncated: bool,
    },
    Trailers {
        headers: Vec<[String; 2]>,
    },
    End {
        t_ms: f64,
        chunks: u64,
        body_bytes: u64,
    },
    Error {
        t_ms: f64,
        offset: u64,
        kind: &'static str,
        message: String,
    },
    /// A server-sent event, in a `text/event-stream` body: after the
    /// chunk or read that completed it.
    Event {
        t_ms: f64,
        /// The last event ID in effect.
        id: String,
        /// Its type: `message` unless an `event` field said otherwise.
        event: String,
        data: String,
        /// A `retry` field in its block, in milliseconds.
        retry: Option<u64>,
        /// The first and last chunk that carried it; none without chunks.
        chunks: Option<[u64; 2]>,
    },
}

impl Record {
    /// The chunk this record is, if it is one that carries data: not the
    /// last-chunk.
    pub fn into_data_chunk(self) -> Option<Chunk> {
        match self {
            Record::Chunk(chunk) if !chunk.last => Some(chunk),
            _ => None,
        }
    }
}

/// A complete chunk (the last-chunk included, with size 0).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chunk {
    pub index: u64,
    /// When the first byte of its size line arrived.
    pub t_first_ms: f64,
    /// When its final CRLF arrived.
    pub t_ms: f64,
    /// The size line exactly as sent, without CRLF.
    pub size_line: String,
    pub size: u64,
    /// Its data as lossy UTF-8, at most `max_data` bytes of it.
    pub data: String,
    pub data_hex: String,
    /// How many reads carried some of it.
    pub reads: u64,
    /// Extra: where its size line starts in the response.
    pub offset: u64,
    /// Extra: whether `data` was cut at `max_data`.
    pub truncated: bool,
    /// Extra: whether this is the last-chunk (size 0), which `end`'s
    /// `chunks` does not count.
    pub last: bool,
}

/// A chunk being received.
#[derive(Debug)]
struct Open {
    index: u64,
    offset: u64,
    size_line: String,
    size: u64,
    data: Vec<u8>,
    /// Server-sent events it completed, sent after it.
    events: Vec<SseEvent>,
    /// The read that carried its first byte: when, and its number.
    t_first: Duration,
    first_read: u64,
}

/// A read that may still matter: where it started, when, and its number.
#[derive(Debug, Clone, Copy)]
struct ReadMark {
    start: u64,
    at: Duration,
    number: u64,
}

/// Decodes one response, timing every chunk by the reads that carried it.
#[derive(Debug)]
pub struct Session {
    decoder: Decoder,
    max_data: usize,
    /// The reads in which the next size line may have started: the
    /// newest, and any before it since the last chunk began.
    reads: VecDeque<ReadMark>,
    read_count: u64,
    open: Option<Open>,
    /// The event stream's reader, for a `text/event-stream` body.
    sse: Option<SseParser>,
    done: bool,
}

impl Session {
    /// A session for the response to `method`, keeping at most `max_data`
    /// bytes of each chunk or read.
    pub fn new(method: &str, max_data: usize) -> Self {
        Session {
            decoder: Decoder::new(method),
            max_data,
            reads: VecDeque::new(),
            read_count: 0,
            open: None,
            sse: None,
            done: false,
        }
    }

    /// Whether the response is complete or failed: stop reading.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Bytes that arrived `at`, after the request was written. Returns how
    /// many belonged to this response (the rest belong to the next one).
    pub fn read(
        &mut self,
        at: Duration,
        bytes: &[u8],
        emit: &mut impl FnMut(Record),
    ) -> usize {
        if self.done || bytes.is_empty() {
            return 0;
        }
        self.read_count += 1;
        self.reads.push_back(ReadMark {
            start: self.decoder.offset(),
            at,
            number: self.read_count,
        });
        match self.decode(at, emit, |d, mut on| d.feed(bytes, &mut on)) {
            Ok(Status::Partial) => bytes.len(),
            Ok(Status::Complete(n)) => {
                self.done = true;
                n
            }
            Err(e) => {
                self.fail(at, e, emit);
                bytes.len()
            }
        }
    }

    /// The connection closed `at`.
    pub fn eof(&mut self, at: Duration, emit: &mut impl FnMut(Record)) {
        if self.done {
            return;
        }
        match self.decode(at, emit, |d, mut on| d.finish(&mut on)) {
            Ok(()) => self.done = true,
            Err(e) => self.fail(at, e, emit),
        }
    }

    /// Runs `step` on the decoder, turning the events it reports at `at`
    /// into records.
    fn decode<T>(
        &mut self,
        at: Duration,
        emit: &mut impl FnMut(Record),
        step: impl FnOnce(
            &mut Decoder,
            &mut dyn FnMut(Event<'_>),
        ) -> Result<T, Error>,
    ) -> Result<T, Error> {
        // Split the borrow: the decoder runs while the callback updates
        // the other fields.
        let Session {
            decoder,
            reads,
            open,
            sse,
            max_data,
            ..
        } = self;
        step(decoder, &mut |event| {
            on_event(event, at, *max_data, reads, open, sse, emit)
        })
    }

    fn fail(&mut self, at: Duration, e: Error, emit: &mut impl FnMut(Record)) {
        self.done = true;
        emit(Record::Error {
            t_ms: millis(at),
            offset: e.offset,
            kind: e.kind.name(),
            message: e.kind.to_string(),
        });
    }
}

/// Turns one decoder event into records. A free function, so that it can
/// borrow the session's fields while the decoder is borrowed too.
fn on_event(
    event: Event<'_>,
    at: Duration,
    max_data: usize,
    reads: &mut VecDeque<ReadMark>,
    open: &mut Option<Open>,
    sse: &mut Option<SseParser>,
    emit: &mut impl FnMut(Record),
) {
    match event {
        Event::Head(head) => {
            if is_event_stream(&head) {
                *sse = Some(SseParser::new());
            }
            emit(head_record(head, at));
        }
        Event::ChunkStart {
            index,
            offset,
            size,
            size_line,
        } => {
            *open = Some(start_chunk(index, offset, size, size_line, reads));
        }
        Event::Data { offset, bytes } => match open {
            Some(chunk) => {
                let room = max_data.saturating_sub(chunk.data.len());
                chunk
                    .data
                    .extend_from_slice(&bytes[..bytes.len().min(room)]);
                if let Some(sse) = sse {
                    sse.feed(bytes, Some(chunk.index), &mut chunk.events);
                }
            }
            None => {
                let kept = &bytes[..bytes.len().min(max_data)];
                emit(Record::Data {
                    t_ms: millis(at),
                    offset,
                    len: bytes.len(),
                    data: String::from_utf8_lossy(kept).into_owned(),
                    data_hex: hex(kept),
                    truncated: kept.len() < bytes.len(),
                });
                if let Some(sse) = sse {
                    let mut events = Vec::new();
                    sse.feed(bytes, None, &mut events);
                    emit_events(events, at, emit);
                }
            }
        },
        Event::ChunkEnd { .. } => {
            if let Some(mut chunk) = open.take() {
                let events = std::mem::take(&mut chunk.events);
                emit(finish_chunk(chunk, at, reads));
                emit_events(events, at, emit);
            }
        }
        // The last-chunk is complete at its own CRLF; trailers follow.
        Event::LastChunk {
            index,
            offset,
            size_line,
        } => {
            let last = start_chunk(index, offset, 0, size_line, reads);
            emit(finish_chunk(last, at, reads));
        }
        Event::Trailers(fields_) => emit(Record::Trailers {
            headers: fields(fields_),
        }),
        Event::End {
            chunks, body_bytes, ..
        } => {
            emit(Record::End {
                t_ms: millis(at),
                chunks,
                body_bytes,
            });
        }
    }
}

fn head_record(head: Head, at: Duration) -> Record {
    Record::Head {
        t_ms: millis(at),
        status: head.status,
        reason: head.reason,
        version: format!("HTTP/1.{}", head.minor_version),
        headers: fields(head.fields),
        framing: head.framing.name(),
        bytes: head.len,
    }
}

/// Whether `head` starts an event stream: a final answer whose media
/// type is `text/event-stream`, parameters and case aside.
fn is_event_stream(head: &Head) -> bool {
    head.status >= 200
        && head.fields.iter().any(|f| {
            let media =
                f.value.split(|&b| b == b';').next().unwrap_or_default();
            f.name.eq_ignore_ascii_case("content-type")
                && media
                    .trim_ascii()
                    .eq_ignore_ascii_case(b"text/event-stream")
        })
}

fn emit_events(
    events: Vec<SseEvent>,
    at: Duration,
    emit: &mut impl FnMut(Record),
) {
    for e in events {
        emit(Record::Event {
            t_ms: millis(at),
            id: e.id,
            event: e.event,
            data: e.data,
            retry: e.retry,
            chunks: e.chunks.map(|(first, last)| [first, last]),
        });
    }
}

/// A chunk whose size line (starting at `offset`) was just read.
fn start_chunk(
    index: u64,
    offset: u64,
    size: u64,
    size_line: &[u8],
    reads: &mut VecDeque<ReadMark>,
) -> Open {
    // The size line's first byte came in the last read that started at or
    // before it. No later chunk can start before this one, so only the
    // newest read needs keeping from now on.
    let first = reads
        .iter()
        .rposition(|r| r.start <= offset)
        .map_or(reads[0], |i| reads[i]);
    let newest = reads.len() - 1;
    reads.drain(..newest);
    Open {
        index,
        offset,
        size_line: String::from_utf8_lossy(size_line).into_owned(),
        size,
        data: Vec::new(),
        events: Vec::new(),
        t_first: first.at,
        first_read: first.number,
    }
}

/// The record for a chunk whose final CRLF arrived `at`.
fn finish_chunk(
    chunk: Open,
    at: Duration,
    reads: &VecDeque<ReadMark>,
) -> Record {
    let last_read = reads.back().map_or(chunk.first_read, |r| r.number);
    Record::Chunk(Chunk {
        index: chunk.index,
        t_first_ms: millis(chunk.t_first),
        t_ms: millis(at),
        truncated: (chunk.data.len() as u64) < chunk.size,
        size_line: chunk.size_line,
        size: chunk.size,
        data: String::from_utf8_lossy(&chunk.data).into_owned(),
        data_hex: hex(&chunk.data),
        reads: last_read - chunk.first_read + 1,
        offset: chunk.offset,
        last: chunk.size == 0,
    })
}

fn fields(fields: Vec<Field>) -> Vec<[String; 2]> {
    fields
        .into_iter()
        .map(|f| [f.name, String::from_utf8_lossy(&f.value).into_owned()])
        .collect()
}

/// Milliseconds, to the microsecond.
pub fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = vec![0; bytes.len() * 2];
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0xf)];
    }
    String::from_utf8(out).expect("hex digits are ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &[u8] =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

    #[test]
    fn memory_stays_bounded_on_an_endless_stream() {
        let mut session = Session::new("GET", 8);
        let mut chunks = 0;
        let mut count = |r: Record| {
            if let Record::Chunk(c) = r {
                assert!(c.data.len() <= 8);
                chunks += 1;
            }
        };
        session.read(Duration::ZERO, HEAD, &mut count);
        let big = [b"2000\r\n".as_slice(), &[b'x'; 0x2000], b"\r\n"].concat();
        for i in 0..20_000u64 {
            // Each chunk in two reads, the size line split from its data.
            let at = Duration::from_micros(i);
            session.read(at, &big[..3], &mut count);
            session.read(at, &big[3..], &mut count);
            assert!(
                session.reads.len() <= 2,
                "{} reads kept",
                session.reads.len()
            );
        }
        assert_eq!(chunks, 20_000);
        assert!(!session.is_done());
    }

    #[test]
    fn a_chunk_is_timed_by_its_first_and_last_reads() {
        let mut session = Session::new("GET", 64);
        let mut recs = Vec::new();
        let ms = Duration::from_millis;
        session.read(ms(1), HEAD, &mut |r| recs.push(r));
        session.read(ms(2), b"5\r", &mut |r| recs.push(r));
        session.read(ms(3), b"\nhel", &mut |r| recs.push(r));
        session.read(ms(4), b"lo\r\n0\r\n\r\n", &mut |r| recs.push(r));
        let Record::Chunk(chunk) = &recs[1] else {
            panic!("{recs:?}")
        };
        assert_eq!((chunk.t_first_ms, chunk.t_ms, chunk.reads), (2.0, 4.0, 3));
        assert_eq!(chunk.data, "hello");
        assert!(session.is_done());
    }

    /// A short name for each record, and the event data: the order they
    /// come in.
    fn names(records: &[Record]) -> Vec<String> {
        records
            .iter()
            .map(|r| match r {
                Record::Head { .. } => "head".to_owned(),
                Record::Chunk(c) => format!("chunk {}", c.index),
                Record::Data { .. } => "data".to_owned(),
                Record::Event { data, chunks, .. } => {
                    format!("event {data} {chunks:?}")
                }
                Record::End { .. } => "end".to_owned(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn an_event_stream_has_its_events_after_the_chunks_that_carried_them() {
        let mut session = Session::new("GET", 64);
        let mut recs = Vec::new();
        let head = b"HTTP/1.1 200 OK\r\nContent-Type: Text/Event-Stream; charset=utf-8\r\n\
                     Transfer-Encoding: chunked\r\n\r\n";
        let body = b"14\r\ndata: a\n\ndata: b\n\nda\r\n4\r\nta: \r\n3\r\nc\n\n\r\n0\r\n\r\n";
        session.read(Duration::ZERO, head, &mut |r| recs.push(r));
        session.read(Duration::ZERO, body, &mut |r| recs.push(r));
        assert_eq!(
            names(&recs),
            [
                "head",
                "chunk 0",
                "event a Some([0, 0])",
                "event b Some([0, 0])",
                "chunk 1",
                "chunk 2",
                "event c Some([0, 2])",
                "chunk 3",
                "end"
            ]
        );
    }

    #[test]
    fn a_body_without_chunks_has_its_events_after_each_read() {
        let mut session = Session::new("GET", 64);
        let mut recs = Vec::new();
        let head =
            b"HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";
        session.read(Duration::ZERO, head, &mut |r| recs.push(r));
        session.read(Duration::ZERO, b"data: a\n\nda", &mut |r| recs.push(r));
        session.read(Duration::ZERO, b"ta: b\n\n", &mut |r| recs.push(r));
        session.eof(Duration::ZERO, &mut |r| recs.push(r));
        assert_eq!(
            names(&recs),
            [
                "head",
                "data",
                "event a None",
                "data",
                "event b None",
                "end"
            ]
        );
    }

    #[test]
    fn other_bodies_have_no_events() {
        let mut session = Session::new("GET", 64);
        let mut recs = Vec::new();
        session.read(Duration::ZERO, HEAD, &mut |r| recs.push(r));
        session.read(
            Duration::ZERO,
            b"9\r\ndata: a\n\n\r\n0\r\n\r\n",
            &mut |r| recs.push(r),
        );
        assert_eq!(names(&recs), ["head", "chunk 0", "chunk 1", "end"]);
    }
}
