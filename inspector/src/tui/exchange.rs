//! One request and its response, as the TUI keeps it: compact metadata for
//! every chunk and read, and the newest wire bytes up to a budget.
//!
//! The decoding and timing are the headless inspector's: reads go through
//! a [`Session`], and its records become [`Row`]s. Nothing here parses
//! HTTP again. Chunk bytes are not copied out of records either: a row
//! knows where its bytes sit on the wire, and [`Wire`] keeps the newest
//! of those bytes, so the hex and raw views read them from there.

use std::collections::VecDeque;
use std::ops::Range;
use std::time::Duration;

use crate::http2;
use crate::session::{Chunk, Record, Session};
use crate::svg::Lane;
use crate::transport::Connection;
use crate::verdict::Verdict;
use crate::ws::Opcode;

/// Time since the request was written, in microseconds.
pub type Micros = u64;

/// How many chunk rows, and separately reads, are kept. At 64 bytes a row
/// that is at most 128 MiB of metadata; beyond it the oldest rows go, and
/// the status bar counts them. A capture can run forever without the
/// inspector's memory growing without bound.
pub const MAX_ROWS: usize = 2 << 20;

/// The default wire-byte budget for the hex and raw views.
pub const DEFAULT_BUDGET: usize = 64 << 20;

/// What a row in the chunk table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A chunk with data.
    Chunk,
    /// The last-chunk, `0`, which ends the body.
    Last,
    /// One read's worth of a body that is not chunked.
    Data,
    /// Where the response broke the protocol. It is the final row.
    Error,
    /// A WebSocket frame: from the server, with its bytes on the wire, or
    /// sent by the inspector (`client`), with a preview in its `line`.
    Frame {
        opcode: Opcode,
        fin: bool,
        client: bool,
    },
    /// An HTTP/2 frame from the server: its type, flags and stream. The
    /// response's DATA frames are its pieces. The stream fits a byte, to
    /// keep rows at 64 bytes: the inspector opens stream 1 alone and
    /// refuses pushes, so the others are 0 and, at most, a stray (shown
    /// as 255 if over).
    H2 { frame: u8, flags: u8, stream: u8 },
}

/// One row of the chunk table, kept small: a capture can hold millions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub kind: Kind,
    /// How many reads carried some of it.
    pub reads: u32,
    /// Where it starts on the wire (its size line, for a chunk).
    pub offset: u64,
    /// Its data bytes.
    pub size: u64,
    /// When its first byte arrived, and when its last did.
    pub t_first: Micros,
    pub t: Micros,
    /// Of a coded body: the bytes of content its data decoded to.
    pub content: u64,
    /// The size line as sent, when it is not simply `size` in lowercase
    /// hex (an extension, leading zeros, upper case). Most are, and then
    /// nothing is allocated. For a frame: what to show for it when its
    /// bytes are not on the wire: a close's code and reason, or what the
    /// inspector sent.
    line: Option<Box<str>>,
}

impl Row {
    /// The size line exactly as sent, without its CRLF. Empty for rows
    /// that are not chunks.
    pub fn size_line(&self) -> String {
        match (&self.line, self.kind) {
            (Some(line), _) => line.to_string(),
            (None, Kind::Chunk | Kind::Last) => format!("{:x}", self.size),
            (None, _) => String::new(),
        }
    }

    /// A frame's stand-in for its bytes (see `line`).
    pub fn note(&self) -> Option<&str> {
        match self.kind {
            Kind::Frame { .. } | Kind::H2 { .. } => self.line.as_deref(),
            _ => None,
        }
    }

    /// Where its data starts on the wire: after the size line and CRLF.
    pub fn data_offset(&self) -> u64 {
        match self.kind {
            Kind::Chunk | Kind::Last => self.offset + self.size_line_len() + 2,
            Kind::Frame { client: false, .. } => {
                self.offset + frame_header_len(self.size)
            }
            // The 9-byte header, and a padded frame's Pad Length.
            Kind::H2 { flags, .. } => {
                self.offset + 9 + u64::from(flags & http2::PADDED != 0)
            }
            Kind::Data | Kind::Error | Kind::Frame { .. } => self.offset,
        }
    }

    /// The whole frame on the wire: size line, data and CRLF. For a
    /// last-chunk the trailers follow, and are not counted.
    pub fn frame(&self) -> Range<u64> {
        let end = match self.kind {
            Kind::Chunk | Kind::Last => self.data_offset() + self.size + 2,
            Kind::Data | Kind::Frame { client: false, .. } => {
                self.data_offset() + self.size
            }
            Kind::H2 { .. } => self.offset + 9 + self.size,
            Kind::Error => self.offset + 1,
            // Not on the wire this keeps: the server's bytes.
            Kind::Frame { client: true, .. } => self.offset,
        };
        self.offset..end
    }

    fn size_line_len(&self) -> u64 {
        match &self.line {
            Some(line) => line.len() as u64,
            None => u64::from(hex_digits(self.size)),
        }
    }
}

/// The header length of an unmasked frame with a `len`-byte payload: a
/// server's frame (RFC 6455 §5.2).
fn frame_header_len(len: u64) -> u64 {
    match len {
        0..=125 => 2,
        126..=0xFFFF => 4,
        _ => 10,
    }
}

/// One `read(2)` that returned bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadRow {
    pub t: Micros,
    pub offset: u64,
    pub len: u32,
}

impl ReadRow {
    pub fn range(&self) -> Range<u64> {
        self.offset..self.offset + u64::from(self.len)
    }
}

/// The response head, as the status bar and headers view show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub t: Micros,
    pub status: u16,
    pub reason: String,
    pub version: String,
    pub headers: Vec<[String; 2]>,
    pub framing: &'static str,
    pub bytes: usize,
    /// How the connection was made, in lines: the Headers view shows
    /// them.
    pub connection: Vec<String>,
}

/// A server-sent event, as the detail pane lists it under the chunk that
/// completed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// The row (chunk or read) that completed it.
    pub row: u64,
    pub id: Box<str>,
    pub event: Box<str>,
    /// The start of its data, as received: its lines joined by LFs.
    pub preview: Box<str>,
    /// The first and last chunk that carried it, if the body is chunked.
    pub chunks: Option<[u64; 2]>,
}

/// How much of an event's data the TUI keeps.
const EVENT_PREVIEW: usize = 120;

/// How much decoded content of each piece of a coded body the TUI keeps,
/// and of all pieces together: the newest pieces' text is what the
/// detail pane shows.
const CONTENT_PREVIEW: usize = 2048;
const CONTENT_BUDGET: usize = 4 << 20;

/// A protocol error: where, what, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub t: Micros,
    pub offset: u64,
    pub kind: &'static str,
    pub message: String,
}

/// Where the exchange is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Connecting,
    Streaming,
    Complete,
    /// A protocol error (see [`Exchange::fault`]) or an I/O error.
    Failed(String),
}

/// The newest wire bytes, up to a budget, addressed by their offset in the
/// response.
#[derive(Debug, Clone)]
pub struct Wire {
    bytes: VecDeque<u8>,
    /// The offset of `bytes[0]`: how many older bytes were evicted.
    start: u64,
    budget: usize,
}

impl Wire {
    pub fn new(budget: usize) -> Self {
        Wire {
            bytes: VecDeque::new(),
            start: 0,
            budget,
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        self.bytes.extend(bytes);
        let excess = self.bytes.len().saturating_sub(self.budget);
        if excess > 0 {
            self.bytes.drain(..excess);
            self.start += excess as u64;
        }
    }

    /// How many bytes were evicted to stay within the budget.
    pub fn evicted(&self) -> u64 {
        self.start
    }

    /// The offset just past the newest byte.
    pub fn end(&self) -> u64 {
        self.start + self.bytes.len() as u64
    }

    /// The bytes still kept of `range`, and where they start.
    pub fn get(&self, range: Range<u64>) -> (u64, impl Iterator<Item = u8>) {
        let from = range.start.clamp(self.start, self.end());
        let to = range.end.clamp(from, self.end());
        let local = |at: u64| usize::try_from(at - self.start).unwrap_or(0);
        (from, self.bytes.range(local(from)..local(to)).copied())
    }
}

/// A deque that forgets its oldest items past a cap, and counts them, so
/// that item `n` keeps its number for as long as it is kept.
#[derive(Debug, Clone)]
pub struct Log<T> {
    items: VecDeque<T>,
    evicted: u64,
    cap: usize,
}

impl<T> Log<T> {
    pub(crate) fn new(cap: usize) -> Self {
        Log {
            items: VecDeque::new(),
            evicted: 0,
            cap,
        }
    }

    pub(crate) fn push(&mut self, item: T) {
        if self.items.len() == self.cap {
            self.items.pop_front();
            self.evicted += 1;
        }
        self.items.push_back(item);
    }

    /// Item number `n`, counting from the first ever pushed.
    pub fn get(&self, n: u64) -> Option<&T> {
        let i = usize::try_from(n.checked_sub(self.evicted)?).ok()?;
        self.items.get(i)
    }

    /// The numbers of the items still kept.
    pub fn kept(&self) -> Range<u64> {
        self.evicted..self.total()
    }

    /// How many were ever pushed.
    pub fn total(&self) -> u64 {
        self.evicted + self.items.len() as u64
    }

    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    pub fn last(&self) -> Option<&T> {
        self.items.back()
    }

    /// Item number `n`, to change it.
    pub(crate) fn get_mut(&mut self, n: u64) -> Option<&mut T> {
        let i = usize::try_from(n.checked_sub(self.evicted)?).ok()?;
        self.items.get_mut(i)
    }

    pub(crate) fn iter_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = &mut T> {
        self.items.iter_mut()
    }

    /// The kept items numbered `range`, with their numbers.
    pub fn range(
        &self,
        range: Range<u64>,
    ) -> impl DoubleEndedIterator<Item = (u64, &T)> {
        let kept = self.kept();
        let from = range.start.clamp(kept.start, kept.end);
        let to = range.end.clamp(from, kept.end);
        let local = |n: u64| usize::try_from(n - self.evicted).unwrap_or(0);
        self.items
            .range(local(from)..local(to))
            .enumerate()
            .map(move |(i, item)| (from + i as u64, item))
    }

    /// The kept items, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.items.iter()
    }

    /// The number of the first kept item for which `before` is false,
    /// given that it holds for a prefix of them.
    pub fn partition_point(&self, before: impl FnMut(&T) -> bool) -> u64 {
        self.evicted + self.items.partition_point(before) as u64
    }
}

/// One request and everything its response has shown so far.
#[derive(Debug)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    /// The request as written.
    pub request: Vec<u8>,
    pub state: State,
    pub head: Option<Head>,
    pub trailers: Vec<[String; 2]>,
    pub fault: Option<Fault>,
    /// Chunk rows: every chunk, or every read of a plain body, and the
    /// error row if there is one.
    pub rows: Log<Row>,
    pub reads: Log<ReadRow>,
    /// Server-sent events, for a `text/event-stream` body.
    pub events: Log<EventRow>,
    /// Whether the body is coded (`Content-Encoding`): its rows carry
    /// how much content they decoded to.
    pub coded: bool,
    /// The decoded text of the newest pieces of a coded body, by row
    /// number, within [`CONTENT_BUDGET`] bytes.
    contents: VecDeque<(u64, Box<str>)>,
    contents_bytes: usize,
    pub wire: Wire,
    /// Data bytes of the body so far, and complete chunks (the
    /// last-chunk not counted).
    pub body_bytes: u64,
    pub chunks: u64,
    /// WebSocket frames, both ways.
    pub frames: u64,
    /// The newest time the capture reported: its latest read, or its end.
    pub now: Micros,
    session: Session,
    /// The candidates for the longest wait between two kept pieces of the
    /// body (see [`Exchange::longest_wait`]), as (the later row's number,
    /// the wait): newest last, waits decreasing, so the longest is first.
    /// Kept as rows arrive, so that the timeline need not scan every row
    /// on every frame. Usually a handful; at worst (waits that only
    /// shrink) one per kept row, 16 bytes to its 64.
    waits: VecDeque<(u64, Micros)>,
    /// The records of the read being taken in, empty between reads. It is
    /// kept, not made anew, so that its room is allocated once per
    /// exchange rather than again (and grown, for a read of many chunks)
    /// for every read of a flood.
    records: Vec<Record>,
    /// Every record, for `--svg`; none unless asked for, since an
    /// endless stream's records never stop growing.
    kept: Option<Vec<Record>>,
}

impl Exchange {
    /// An exchange about to send `request` to `url`, keeping up to
    /// `budget` wire bytes and `max_rows` rows.
    pub fn new(
        method: &str,
        url: &str,
        request: Vec<u8>,
        budget: usize,
        max_rows: usize,
    ) -> Self {
        // No bytes in records: rows find theirs in `wire`.
        let session =
            Session::for_request(&request, 0).keeping_content(CONTENT_PREVIEW);
        Exchange {
            method: method.to_owned(),
            url: url.to_owned(),
            request,
            state: State::Connecting,
            head: None,
            trailers: Vec::new(),
            fault: None,
            rows: Log::new(max_rows),
            reads: Log::new(max_rows),
            events: Log::new(max_rows),
            coded: false,
            contents: VecDeque::new(),
            contents_bytes: 0,
            wire: Wire::new(budget),
            body_bytes: 0,
            chunks: 0,
            frames: 0,
            now: 0,
            session,
            waits: VecDeque::new(),
            records: Vec::new(),
            kept: None,
        }
    }

    /// Text messages to send once a WebSocket is open.
    pub fn sending(mut self, texts: Vec<String>) -> Self {
        self.session = self.session.sending(texts);
        self
    }

    /// Keeps every record, for `--svg`.
    pub fn keeping_records(mut self, keep: bool) -> Self {
        self.kept = keep.then(Vec::new);
        self
    }

    /// The exchange as a lane of the Timeline picture, with the records
    /// it kept.
    pub fn lane(&self) -> Lane {
        let records = self.kept.clone().unwrap_or_default();
        Lane::new(format!("{} {}", self.method, self.url), records)
    }

    /// Bytes to write to the server now: WebSocket frames the inspector
    /// sends.
    pub fn outgoing(&mut self) -> Vec<u8> {
        self.session.outgoing()
    }

    /// Whether a WebSocket is open and the inspector has not closed it.
    pub fn websocket_open(&self) -> bool {
        self.session.websocket_open()
    }

    /// Sends `text` as a WebSocket text message `at`.
    pub fn send_text(&mut self, at: Duration, text: &str) {
        let Exchange {
            session, records, ..
        } = self;
        session.send_text(at, text, &mut |r| records.push(r));
        self.take_records();
    }

    /// An exchange that replays a recording: what the inspector sent
    /// comes from it ([`Exchange::sent`]), not from the session.
    pub fn replaying(mut self) -> Self {
        self.session = self.session.replaying();
        self
    }

    /// Bytes the inspector wrote `at`, replayed from a recording: its
    /// WebSocket frames.
    pub fn sent(&mut self, at: Duration, bytes: &[u8]) {
        let Exchange {
            session, records, ..
        } = self;
        session.replay_sent(at, bytes, &mut |r| records.push(r));
        self.take_records();
    }

    /// Starts closing the WebSocket `at`.
    pub fn close(&mut self, at: Duration) {
        let Exchange {
            session, records, ..
        } = self;
        session.close(at, &mut |r| records.push(r));
        self.take_records();
    }

    /// The connection is up and the request is written; how it was
    /// made, for the head and the verdict.
    pub fn connected(&mut self, connection: Option<&Connection>) {
        self.session.set_connection(connection);
        // Over HTTP/2 the request went as a header list: show that.
        if let Some(c) = connection.filter(|c| c.http2) {
            let scheme = if c.tls.is_some() { "https" } else { "http" };
            if let Ok((request, _)) = http2::request(&self.request, scheme) {
                self.request = http2::describe(&request);
            }
        }
        self.streaming();
    }

    /// The request is out: from here the exchange is streaming.
    fn streaming(&mut self) {
        if self.state == State::Connecting {
            self.state = State::Streaming;
        }
    }

    /// Bytes that arrived `at`.
    pub fn read(&mut self, at: Duration, bytes: &[u8]) {
        let t = micros(at);
        self.now = self.now.max(t);
        if self.session.is_done() || bytes.is_empty() {
            return;
        }
        self.streaming();
        let offset = self.wire.end();
        // Only the bytes of this response count; a server that sends more
        // after it has sent something else.
        let Exchange {
            session, records, ..
        } = self;
        let used = session.read(at, bytes, &mut |r| records.push(r));
        self.reads.push(ReadRow {
            t,
            offset,
            len: u32::try_from(used).unwrap_or(u32::MAX),
        });
        self.wire.push(&bytes[..used]);
        self.take_records();
    }

    /// Turns the records of the latest read (or end) into rows and state,
    /// leaving `records` empty, with its room, for the next.
    fn take_records(&mut self) {
        let mut records = std::mem::take(&mut self.records);
        for record in records.drain(..) {
            if let Some(kept) = &mut self.kept {
                kept.push(record.clone());
            }
            self.record(record);
        }
        self.records = records;
    }

    /// The clock moved on to `elapsed` without news: a stream that is
    /// waiting is still running.
    pub fn tick(&mut self, elapsed: Duration) {
        self.now = self.now.max(micros(elapsed));
    }

    /// The server closed the connection `at`.
    pub fn eof(&mut self, at: Duration) {
        self.now = self.now.max(micros(at));
        let Exchange {
            session, records, ..
        } = self;
        session.eof(at, &mut |r| records.push(r));
        self.take_records();
        if self.state == State::Streaming || self.state == State::Connecting {
            self.state = State::Complete;
        }
    }

    /// The connection failed: it could not be made, or broke.
    pub fn failed(&mut self, at: Duration, error: String) {
        self.now = self.now.max(micros(at));
        if !matches!(self.state, State::Complete | State::Failed(_)) {
            self.state = State::Failed(error);
        }
    }

    /// Why the connection ends with this response, if its head or its
    /// framing says so: no request may follow it on the connection.
    pub fn closes_connection(&self) -> Option<&'static str> {
        self.session.closes_connection()
    }

    /// Whether the response is over: complete, or failed.
    pub fn is_over(&self) -> bool {
        matches!(self.state, State::Complete | State::Failed(_))
    }

    /// Did the response stream? So far, or at its end.
    pub fn verdict(&self) -> Option<Verdict> {
        self.session.verdict()
    }

    /// When the first byte of the response arrived.
    pub fn first_byte(&self) -> Option<Micros> {
        self.reads.get(0).map(|r| r.t)
    }

    /// The rows (by number) that overlap the wire bytes `range`: the
    /// chunks a read carried.
    pub fn rows_in(&self, range: Range<u64>) -> Range<u64> {
        let first = self
            .rows
            .partition_point(|row| row.frame().end <= range.start);
        let end = self.rows.partition_point(|row| row.offset < range.end);
        first..end.max(first)
    }

    /// The events (by number) that row `row` completed.
    pub fn events_of(&self, row: u64) -> Range<u64> {
        let first = self.events.partition_point(|e| e.row < row);
        let end = self.events.partition_point(|e| e.row <= row);
        first..end
    }

    /// The reads (by number) that carried some of the wire bytes `range`.
    pub fn reads_in(&self, range: Range<u64>) -> Range<u64> {
        let first =
            self.reads.partition_point(|r| r.range().end <= range.start);
        let end = self.reads.partition_point(|r| r.offset < range.end);
        first..end.max(first)
    }

    /// The decoded text kept of row `row` of a coded body, if kept.
    pub fn content_of(&self, row: u64) -> Option<&str> {
        let i = self.contents.partition_point(|&(n, _)| n < row);
        self.contents
            .get(i)
            .filter(|&&(n, _)| n == row)
            .map(|(_, text)| &**text)
    }

    /// Keeps the decoded `text` of the row about to be pushed, forgetting
    /// the oldest beyond the budget.
    fn keep_content(&mut self, text: String) {
        self.coded = true;
        self.contents_bytes += text.len();
        self.contents.push_back((self.rows.total(), text.into()));
        while self.contents_bytes > CONTENT_BUDGET
            && let Some((_, old)) = self.contents.pop_front()
        {
            self.contents_bytes -= old.len();
        }
    }

    /// The longest wait between two consecutive pieces of the body among
    /// the kept rows, if there are two: between the arrivals of chunks,
    /// or of reads of a body that is not chunked.
    pub fn longest_wait(&self) -> Option<Micros> {
        self.waits.front().map(|&(_, wait)| wait)
    }

    /// Keeps `row`, and the wait before it among the longest.
    fn push_row(&mut self, row: Row) {
        // Only a last-chunk or an error row can follow the pieces, and
        // nothing follows those, so the previous row, if it is a piece,
        // is the previous piece.
        let piece = |row: &Row| matches!(row.kind, Kind::Chunk | Kind::Data);
        if piece(&row)
            && let Some(previous) = self.rows.last()
            && piece(previous)
        {
            let wait = row.t.saturating_sub(previous.t);
            // A shorter or equal wait before this one can never again be
            // the longest: this one stays kept for longer.
            while self.waits.back().is_some_and(|&(_, w)| w <= wait) {
                self.waits.pop_back();
            }
            self.waits.push_back((self.rows.total(), wait));
        }
        self.rows.push(row);
        // A wait counts while the row before it is kept.
        let first = self.rows.kept().start;
        while self.waits.front().is_some_and(|&(n, _)| n <= first) {
            self.waits.pop_front();
        }
    }

    fn record(&mut self, record: Record) {
        match record {
            Record::Head {
                t_ms,
                status,
                reason,
                version,
                headers,
                framing,
                bytes,
                connection,
                notes: _,
            } => {
                // A 1xx head is followed by the final one, which replaces
                // it here.
                self.head = Some(Head {
                    t: from_ms(t_ms),
                    status,
                    reason,
                    version,
                    headers,
                    framing,
                    bytes,
                    connection: connection
                        .map(|c| c.describe())
                        .unwrap_or_default(),
                });
            }
            Record::Chunk(chunk) => self.chunk(chunk),
            Record::Data {
                t_ms,
                offset,
                len,
                content,
                ..
            } => {
                let t = from_ms(t_ms);
                self.body_bytes += len as u64;
                let content_len = content.map_or(0, |c| {
                    self.keep_content(c.content);
                    c.content_len
                });
                self.push_row(Row {
                    kind: Kind::Data,
                    reads: 1,
                    offset,
                    size: len as u64,
                    t_first: t,
                    t,
                    content: content_len,
                    line: None,
                });
            }
            Record::Trailers { headers, .. } => self.trailers = headers,
            // The session keeps it, and says it whenever asked.
            Record::Verdict(_) => {}
            // After the row of the chunk or read that completed it.
            Record::Event {
                id,
                event,
                data,
                chunks,
                ..
            } => {
                let preview: String =
                    data.chars().take(EVENT_PREVIEW).collect();
                self.events.push(EventRow {
                    row: self.rows.total().saturating_sub(1),
                    id: id.into(),
                    event: event.into(),
                    preview: preview.into(),
                    chunks,
                });
            }
            Record::WsFrame {
                t_first_ms,
                t_ms,
                direction,
                offset,
                fin,
                opcode,
                len,
                data,
                close_code,
                close_reason,
                reads,
                ..
            } => {
                self.frames += 1;
                let client = direction == "client";
                // The inspector's frames are timed by the app's clock: keep
                // rows in time order, as the timeline's search needs.
                let floor = if client { self.now } else { 0 };
                let (t_first, t) =
                    (from_ms(t_first_ms).max(floor), from_ms(t_ms).max(floor));
                let line = match (close_code, client) {
                    (Some(code), _) => Some(format!(
                        "{code} {}",
                        close_reason.unwrap_or_default()
                    )),
                    (None, true) => Some(data),
                    (None, false) => None,
                };
                self.push_row(Row {
                    kind: Kind::Frame {
                        opcode,
                        fin,
                        client,
                    },
                    reads: u32::try_from(reads).unwrap_or(u32::MAX),
                    // The inspector's frames sit between the server's.
                    offset: offset.unwrap_or(self.wire.end()),
                    size: len,
                    t_first,
                    t,
                    content: 0,
                    line: line.map(String::into_boxed_str),
                });
            }
            Record::H2Frame(f) => {
                let kind = Kind::H2 {
                    frame: http2::kind(&f.frame),
                    flags: f.flags,
                    stream: u8::try_from(f.stream).unwrap_or(u8::MAX),
                };
                let content = f.content.map_or(0, |c| {
                    self.keep_content(c.content);
                    c.content_len
                });
                // DATA's pieces, as the session counts them: not an empty
                // frame that only ends the stream.
                if f.data.is_some() {
                    self.chunks +=
                        u64::from(f.len > 0 || f.end_stream != Some(true));
                    self.body_bytes += u64::from(f.len);
                }
                // What a frame that is not DATA says, in the preview.
                let mut said: Vec<String> = Vec::new();
                if f.frame == "HEADERS" {
                    said.push(
                        "header block (HPACK), decoded under Headers".into(),
                    );
                }
                said.extend(
                    f.settings
                        .iter()
                        .flatten()
                        .map(|(n, v)| format!("{n}={v}")),
                );
                said.extend(f.increment.map(|i| format!("+{i}")));
                said.extend(f.error_code);
                let line =
                    (!said.is_empty()).then(|| said.join(" ").into_boxed_str());
                self.push_row(Row {
                    kind,
                    reads: u32::try_from(f.reads).unwrap_or(u32::MAX),
                    offset: f.offset,
                    size: u64::from(f.len),
                    t_first: from_ms(f.t_first_ms),
                    t: from_ms(f.t_ms),
                    content,
                    line,
                });
            }
            Record::End { .. } => self.state = State::Complete,
            Record::Error {
                t_ms,
                offset,
                kind,
                message,
            } => {
                let t = from_ms(t_ms);
                self.push_row(Row {
                    kind: Kind::Error,
                    reads: 0,
                    offset,
                    size: 0,
                    t_first: t,
                    t,
                    content: 0,
                    line: None,
                });
                self.state = State::Failed(format!("{kind} at byte {offset}"));
                self.fault = Some(Fault {
                    t,
                    offset,
                    kind,
                    message,
                });
            }
        }
    }

    fn chunk(&mut self, chunk: Chunk) {
        let line = (!is_canonical(&chunk.size_line, chunk.size))
            .then(|| chunk.size_line.into_boxed_str());
        if !chunk.last {
            self.chunks += 1;
            self.body_bytes += chunk.size;
        }
        let content_len = chunk.content.map_or(0, |c| {
            self.keep_content(c.content);
            c.content_len
        });
        self.push_row(Row {
            content: content_len,
            kind: if chunk.last { Kind::Last } else { Kind::Chunk },
            reads: u32::try_from(chunk.reads).unwrap_or(u32::MAX),
            offset: chunk.offset,
            size: chunk.size,
            t_first: from_ms(chunk.t_first_ms),
            t: from_ms(chunk.t_ms),
            line,
        });
    }
}

/// Whether `line` is exactly `size` in lowercase hex, with nothing else:
/// then it need not be stored.
fn is_canonical(line: &str, size: u64) -> bool {
    line.len() == usize::from(hex_digits(size))
        && line.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// How many hex digits `n` takes, without leading zeros.
fn hex_digits(n: u64) -> u8 {
    let bits = u64::BITS - n.leading_zeros();
    u8::try_from(bits.div_ceil(4).max(1)).unwrap_or(16)
}

pub fn micros(d: Duration) -> Micros {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Records carry milliseconds rounded to the microsecond, so rounding
/// them to the nearest microsecond gives back exactly the microseconds
/// they were made from. This runs twice for every chunk: going through a
/// `Duration` (`try_from_secs_f64`) cost a tenth of the time of taking in
/// a flood of small chunks. Adding a half and truncating rounds as
/// `f64::round` does for these values (never near a half), without its
/// library call: x86-64's baseline has no rounding instruction.
#[expect(
    clippy::cast_possible_truncation,
    reason = "`as` saturates: a time past u64::MAX microseconds, which no \
              capture reaches, becomes the largest; NaN or negative, 0"
)]
fn from_ms(ms: f64) -> Micros {
    (ms * 1e3 + 0.5) as Micros
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(budget: usize, max_rows: usize) -> Exchange {
        Exchange::new("GET", "http://t/", Vec::new(), budget, max_rows)
    }

    const HEAD: &[u8] =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

    #[test]
    fn rows_know_their_frames_and_reads() {
        let mut x = exchange(1 << 20, 100);
        let ms = Duration::from_millis;
        x.read(ms(1), HEAD);
        x.read(ms(2), b"5;x=y\r\nhel");
        x.read(ms(3), b"lo\r\n0A\r\n0123456789\r\n0\r\n\r\n");
        assert_eq!(x.state, State::Complete);
        assert_eq!((x.chunks, x.body_bytes), (2, 15));
        let rows: Vec<_> = x.rows.iter().collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].size_line(), "5;x=y");
        assert_eq!(rows[1].size_line(), "0A");
        assert_eq!(rows[2].size_line(), "0");
        assert_eq!(rows[2].kind, Kind::Last);
        // The first chunk's frame, read back from the wire.
        let (_, bytes) = x.wire.get(rows[0].frame());
        assert_eq!(bytes.collect::<Vec<_>>(), b"5;x=y\r\nhello\r\n");
        let (_, bytes) = x.wire.get(rows[1].frame());
        assert_eq!(bytes.collect::<Vec<_>>(), b"0A\r\n0123456789\r\n");
        // Read 0 is the head, read 1 starts chunk 0, and read 2 ends it
        // and carries the rest.
        assert_eq!(x.rows_in(x.reads.get(0).unwrap().range()), 0..0);
        assert_eq!(x.rows_in(x.reads.get(1).unwrap().range()), 0..1);
        assert_eq!(x.rows_in(x.reads.get(2).unwrap().range()), 0..3);
        assert_eq!(x.reads_in(rows[0].frame()), 1..3);
        assert_eq!((rows[0].t_first, rows[0].t), (2000, 3000));
    }

    #[test]
    fn bytes_and_rows_stay_within_their_caps() {
        let mut x = exchange(64, 10);
        x.read(Duration::ZERO, HEAD);
        for i in 0..1000u64 {
            x.read(Duration::from_micros(i), b"3\r\nabc\r\n");
        }
        assert_eq!(x.chunks, 1000);
        assert_eq!(x.rows.total(), 1000);
        assert_eq!(x.rows.kept(), 990..1000);
        assert_eq!(x.reads.kept(), 991..1001);
        assert_eq!(x.wire.end() - x.wire.evicted(), 64);
        let newest = x.rows.get(999).unwrap();
        let (_, bytes) = x.wire.get(newest.frame());
        assert_eq!(bytes.collect::<Vec<_>>(), b"3\r\nabc\r\n");
        assert!(x.rows.get(989).is_none());
    }

    #[test]
    fn endless_events_keep_the_newest_and_count_the_rest() {
        let mut x = exchange(64, 10);
        x.read(
            Duration::ZERO,
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n",
        );
        for i in 0..1000u64 {
            x.read(Duration::from_micros(i), b"data: x\n\n");
        }
        assert_eq!(x.events.total(), 1000);
        assert_eq!(x.events.kept(), 990..1000);
        assert_eq!(x.events.evicted(), 990);
        assert_eq!(x.rows.kept(), 990..1000);
        assert_eq!(x.events.last().map(|e| &*e.preview), Some("x"));
    }

    #[test]
    fn endless_interim_heads_stay_within_the_caps() {
        // A server that floods `100 Continue`: every head replaces the
        // last, and the reads and bytes kept stay capped.
        let mut x = exchange(64, 10);
        let flood = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(100);
        for i in 0..1000u64 {
            x.read(Duration::from_micros(i), &flood);
        }
        assert_eq!(x.head.as_ref().map(|h| h.status), Some(100));
        assert_eq!(x.reads.kept(), 990..1000);
        assert_eq!(x.wire.end() - x.wire.evicted(), 64);
        assert_eq!(x.rows.total(), 0);
    }

    #[test]
    fn an_error_becomes_the_last_row() {
        let mut x = exchange(1 << 20, 100);
        x.read(Duration::ZERO, HEAD);
        x.read(Duration::from_millis(5), b"2\r\nok\r\nzz\r\n");
        let fault = x.fault.clone().unwrap();
        assert_eq!((fault.kind, fault.offset), ("invalid_chunk_size", 54));
        let last = x.rows.last().unwrap();
        assert_eq!((last.kind, last.offset), (Kind::Error, 54));
        assert!(matches!(x.state, State::Failed(_)));
        assert_eq!(x.chunks, 1);
    }

    #[test]
    fn record_times_convert_as_they_did_through_a_duration() {
        // As the session makes them, from the read's time.
        let ms = |d: Duration| crate::session::millis(d);
        let slow =
            |ms: f64| Duration::try_from_secs_f64(ms / 1e3).map_or(0, micros);
        // Every microsecond up to 2 s, then strides up to 40 days. (Past
        // about 48 days the `Duration` way lost a microsecond to rounding
        // now and then; this way stays exact for far longer.)
        let mut nanos = 0u64;
        while nanos < 40 * 86_400 * 1_000_000_000 {
            for at in [nanos, nanos + 499, nanos + 500, nanos + 999] {
                let ms = ms(Duration::from_nanos(at));
                assert_eq!(from_ms(ms), slow(ms), "{at} ns");
            }
            nanos += if nanos < 2_000_000_000 {
                1000
            } else {
                nanos / 997
            };
        }
        assert_eq!((from_ms(-1.0), from_ms(f64::NAN)), (0, 0));
    }

    #[test]
    fn canonical_size_lines_are_not_stored() {
        assert!(is_canonical("1a", 26));
        assert!(is_canonical("0", 0));
        assert!(!is_canonical("1A", 26));
        assert!(!is_canonical("01a", 26));
        assert!(!is_canonical("1a;x", 26));
        assert_eq!(hex_digits(0), 1);
        assert_eq!(hex_digits(0xffff_ffff_ffff_ffff), 16);
        assert_eq!(std::mem::size_of::<Row>(), 64);
    }
}
