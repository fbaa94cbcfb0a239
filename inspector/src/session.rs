//! A timed decode: reads go in with their arrival times, records come out,
//! one per head, chunk, read of a plain body, trailer section, end or error;
//! and the layers above: the content of a coded body on each `chunk` and
//! `data`, an `event` per server-sent event, and a `verdict` at the end;
//! and after a WebSocket's `101` a `ws_frame` per frame, both ways (that
//! side is in `session/websocket.rs`). Over HTTP/2, an `h2_frame` per
//! frame, and the same head, pieces and end from them
//! (`session/http2.rs`).
//!
//! The records are the inspector's headless contract (`--json`): their names
//! and fields are in `shared/DESIGN.md` ("Inspector contract"), and later
//! layers only add to them.
//!
//! A session does no I/O. On a WebSocket it is the client, so it also has
//! bytes to send ([`Session::outgoing`]): pongs, closes, and the messages
//! it was given. Whoever reads the socket writes them.
//!
//! Memory stays bounded on endless streams: a chunk or frame keeps at most
//! `max_data` of its bytes, and the session forgets reads once no chunk or
//! frame in progress needs their times.

use std::collections::VecDeque;
use std::time::Duration;

use serde::Serialize;

use crate::content;
use crate::decode::{Decoder, Event, Field, Framing, Head, Status};
use crate::error::{Error, ErrorKind};
use crate::sse::{SseEvent, SseParser};
use crate::transport::Connection;
use crate::verdict::{Analysis, Verdict};
use crate::ws::{Opcode, close_payload};

mod http2;
mod websocket;

pub use websocket::WsClient;
use websocket::{Refusal, Ws, check_handshake};

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
        /// How the connection was made: `connect_ms`, and over TLS
        /// `tls_ms` and `tls`. None from a file.
        #[serde(flatten)]
        connection: Option<Connection>,
        /// Extra: what the decoder mended, as an obs-fold it replaced with
        /// a space (RFC 9112 §5.2); left out when nothing was.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        notes: Vec<String>,
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
        /// Of a coded body: the content this read's bytes yielded.
        #[serde(flatten)]
        content: Option<Content>,
    },
    Trailers {
        headers: Vec<[String; 2]>,
        /// What the decoder mended, as in the head's `notes`.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        notes: Vec<String>,
    },
    /// Did the response stream? After its `end` or `error`.
    Verdict(Verdict),
    End {
        t_ms: f64,
        chunks: u64,
        body_bytes: u64,
        /// Extra, after a WebSocket: its frames, both ways. The response
        /// is then over when the server closes the connection after its
        /// close frame.
        #[serde(skip_serializing_if = "Option::is_none")]
        frames: Option<u64>,
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
        /// Extra, only when true: a line or its data was over
        /// [`crate::sse::MAX_EVENT`] bytes, and cut there.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        truncated: bool,
        /// Extra, only when some were: how many more events the same
        /// piece completed after this one, which were not kept (a piece
        /// holds at most [`MAX_HELD`] bytes of events until its record).
        #[serde(skip_serializing_if = "is_zero")]
        dropped: u64,
    },
    /// An HTTP/2 frame from the server. The response's DATA frames are
    /// its pieces, as chunks are HTTP/1.1's.
    H2Frame(H2Frame),
    /// A WebSocket frame, after a `101`: from the server, or one the
    /// inspector sent.
    WsFrame {
        /// When its first and last bytes arrived; when it was sent.
        t_first_ms: f64,
        t_ms: f64,
        /// `server`, or `client` for the inspector's own.
        direction: &'static str,
        /// Where it starts in what the server sent; none for the client.
        offset: Option<u64>,
        /// The last frame of its message.
        fin: bool,
        /// `text`, `binary`, `continuation`, `close`, `ping` or `pong`.
        opcode: Opcode,
        masked: bool,
        /// The masking key, in hex, of a masked frame.
        mask_key: Option<String>,
        /// The header's size on the wire: 2 to 14 bytes.
        header_bytes: u8,
        /// The payload's length.
        len: u64,
        /// The payload, unmasked, at most `max_data` bytes of it.
        data: String,
        data_hex: String,
        truncated: bool,
        /// A close frame's code and reason.
        close_code: Option<u16>,
        close_reason: Option<String>,
        /// How many reads carried some of it.
        reads: u64,
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
    /// Of a coded body: the content its data yielded.
    #[serde(flatten)]
    pub content: Option<Content>,
}

/// An HTTP/2 frame the server sent (RFC 9113 §4.1, §6).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct H2Frame {
    /// When its first and last bytes arrived.
    pub t_first_ms: f64,
    pub t_ms: f64,
    /// Where its header starts in what the server sent.
    pub offset: u64,
    /// Its type: `DATA`, `HEADERS`, `SETTINGS`, ..., or `0x0b` for a type
    /// RFC 9113 does not define. (`type` names the record.)
    pub frame: String,
    pub flags: u8,
    pub stream: u32,
    /// Its payload's length, padding included.
    pub len: u32,
    /// How many reads carried some of it.
    pub reads: u64,
    /// DATA and HEADERS: whether it ends the stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_stream: Option<bool>,
    /// DATA: its data, without padding, at most `max_data` bytes of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_hex: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<bool>,
    /// DATA of a coded body: the content its data yielded.
    #[serde(flatten)]
    pub content: Option<Content>,
    /// WINDOW_UPDATE: how much more the server may receive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub increment: Option<u32>,
    /// RST_STREAM and GOAWAY: the error code's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// GOAWAY: the last stream the server will have handled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_stream: Option<u32>,
    /// SETTINGS that is not an ACK: each setting and its value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<Vec<(String, u32)>>,
}

/// What a piece of a coded body (`Content-Encoding`) yielded, once
/// decoded: the fields a `chunk` or `data` record gains.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Content {
    /// How many bytes of content; 0 when the piece completed none, as a
    /// gzip header alone does.
    pub content_len: u64,
    /// The content as text, at most `max_data` bytes of it. A character
    /// cut between pieces is shown in the piece that completes it.
    pub content: String,
    /// Whether `content` was cut at `max_data`.
    pub content_truncated: bool,
}

/// A chunk being received.
#[derive(Debug)]
struct Open {
    index: u64,
    offset: u64,
    size_line: String,
    size: u64,
    data: Vec<u8>,
    /// The content its data yielded, if the body is coded.
    content: Option<Kept>,
    /// Server-sent events it completed, sent after it.
    events: Held,
    /// The read that carried its first byte: when, and its number.
    t_first: Duration,
    first_read: u64,
}

/// The body's content coding.
#[derive(Debug)]
enum Coding {
    Identity,
    Coded(content::Decoder),
    /// A coding no decoder here knows: an error at the first body byte.
    Unknown(String),
}

impl Coding {
    /// The coding that a head's `Content-Encoding` fields name.
    fn of(headers: &[[String; 2]]) -> Coding {
        let values = headers
            .iter()
            .filter(|[name, _]| name.eq_ignore_ascii_case("content-encoding"))
            .map(|[_, value]| value.as_str());
        match content::codings(values) {
            Ok(list) if list.is_empty() => Coding::Identity,
            Ok(list) => Coding::Coded(content::Decoder::new(&list)),
            Err(why) => Coding::Unknown(why),
        }
    }
}

/// Content kept from a piece of a coded body, up to `max_data` bytes.
#[derive(Debug, Default)]
struct Kept {
    bytes: Vec<u8>,
    /// All of the content, kept or not.
    len: u64,
    truncated: bool,
}

impl Kept {
    fn keep(&mut self, content: &[u8], limit: usize) {
        self.len += content.len() as u64;
        self.truncated |= self.bytes.len() + content.len() > limit;
        keep(&mut self.bytes, content, limit);
    }

    /// The fields of the piece it was kept from. `carry`
    /// holds the start of a character the previous piece cut, and takes
    /// the start of one this piece cuts, for the next.
    fn finish(self, carry: &mut Vec<u8>) -> Content {
        let mut text = std::mem::take(carry);
        text.extend_from_slice(&self.bytes);
        if !self.truncated
            && let Err(e) = std::str::from_utf8(&text)
            && e.error_len().is_none()
        {
            *carry = text.split_off(e.valid_up_to());
        }
        Content {
            content_len: self.len,
            content: text_of(text),
            content_truncated: self.truncated,
        }
    }
}

/// A read that may still matter: where it started, when, and its number.
#[derive(Debug, Clone, Copy)]
struct ReadMark {
    start: u64,
    at: Duration,
    number: u64,
}

/// Decodes one response, timing every chunk by the reads that carried it;
/// and after a WebSocket's `101`, every frame.
#[derive(Debug)]
pub struct Session {
    decoder: Decoder,
    /// Over HTTP/2, its frames, which the decoder then does not see.
    h2: Option<http2::H2>,
    /// Everything else, apart, so that the decoder's events can update it
    /// while the decoder is borrowed.
    state: State,
}

#[derive(Debug)]
struct State {
    max_data: usize,
    /// The most content of each piece of a coded body to keep as text.
    max_content: usize,
    /// The reads in which the next size line or frame may have started:
    /// the newest, and any before it since the last chunk or frame began.
    reads: VecDeque<ReadMark>,
    read_count: u64,
    open: Option<Open>,
    /// The event stream's reader, for a `text/event-stream` body.
    sse: Option<SseParser>,
    /// The body's content coding, once the head has named it.
    coding: Coding,
    /// The end of a character cut between pieces of content.
    carry: Vec<u8>,
    /// Where the coded body's last byte so far ends, on the wire.
    body_end: u64,
    /// Content over time, for the verdict.
    analysis: Analysis,
    /// How the connection was made, for the head record.
    connection: Option<Connection>,
    /// Whether a final head was read, and whether the response failed.
    head_seen: bool,
    /// Why the connection ends with this response, if its head says so.
    closes: Option<&'static str>,
    failed: bool,
    /// What the inspector does as a WebSocket client.
    client: WsClient,
    /// A WebSocket `101` was just read: whether it completes the
    /// handshake, and its length.
    upgrade: Option<(Result<(), String>, u64)>,
    /// A WebSocket handshake answered with a final status, not `101`:
    /// said once that response is over.
    refused: Option<Refusal>,
    /// The bytes of the heads read so far (`1xx` included): where the
    /// next one starts.
    heads_len: u64,
    /// The WebSocket, once open.
    ws: Option<Ws>,
    done: bool,
}

impl Session {
    /// A session for the response to `method`, keeping at most `max_data`
    /// bytes of each chunk, read or frame that arrives.
    pub fn new(method: &str, max_data: usize) -> Self {
        Session {
            decoder: Decoder::new(method),
            h2: None,
            state: State {
                max_data,
                max_content: max_data,
                reads: VecDeque::new(),
                read_count: 0,
                open: None,
                sse: None,
                coding: Coding::Identity,
                carry: Vec::new(),
                body_end: 0,
                analysis: Analysis::new(),
                connection: None,
                head_seen: false,
                closes: None,
                failed: false,
                client: WsClient::default(),
                upgrade: None,
                refused: None,
                heads_len: 0,
                ws: None,
                done: false,
            },
        }
    }

    /// A session for the response to `request`, as written: its method,
    /// and its `Sec-WebSocket-Key` if it asks for a WebSocket.
    pub fn for_request(request: &[u8], max_data: usize) -> Self {
        let mut fields = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut fields);
        let _ = parsed.parse(request);
        let key = parsed
            .headers
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case("sec-websocket-key"))
            .map(|f| String::from_utf8_lossy(f.value).trim().to_owned());
        let mut session =
            Session::new(parsed.method.unwrap_or("GET"), max_data);
        session.state.client.key = key;
        session.state.client.live = true;
        session
    }

    /// Keeps at most `limit` bytes of each piece's content as text,
    /// instead of `max_data`.
    pub fn keeping_content(mut self, limit: usize) -> Self {
        self.state.max_content = limit;
        self
    }

    /// Sends `texts` as text messages once a WebSocket is open.
    pub fn sending(mut self, texts: Vec<String>) -> Self {
        self.state.client.send = texts;
        self
    }

    /// How the connection was made: the head record says it, and the
    /// verdict takes its connect as the round trip, so as not to take
    /// TCP's flights of one burst for a stream.
    pub fn with_connection(mut self, connection: Option<&Connection>) -> Self {
        self.set_connection(connection);
        self
    }

    /// A session for an exchange on a connection that an exchange before
    /// it made, and kept alive (`--repeat`): the connect's round trip
    /// still informs the verdict, but the head has no connect time of
    /// its own, since no connection was made for it.
    pub fn reusing(mut self, connection: Option<&Connection>) -> Self {
        self.set_rtt(connection);
        self
    }

    /// [`Session::with_connection`], once connected.
    pub fn set_connection(&mut self, connection: Option<&Connection>) {
        self.set_rtt(connection);
        self.state.connection = connection.cloned();
        if connection.is_some_and(|c| c.http2) {
            self.h2 = Some(http2::H2::default());
        }
    }

    /// The verdict takes the connect as the network's round trip.
    fn set_rtt(&mut self, connection: Option<&Connection>) {
        let analysis = std::mem::take(&mut self.state.analysis);
        self.state.analysis = analysis.rtt(connection.map(Connection::rtt));
    }

    /// The verdict on what has arrived so far: final once the response
    /// is over. None before a head, and for a WebSocket.
    pub fn verdict(&self) -> Option<Verdict> {
        self.state.verdict()
    }

    /// Whether the response is complete or failed: stop reading.
    pub fn is_done(&self) -> bool {
        self.state.done
    }

    /// Whether the response failed: an `error` record went out.
    pub fn failed(&self) -> bool {
        self.state.failed
    }

    /// Why the connection ends with this response, if its final head
    /// says so (RFC 9112 §9.3); `None` if it stays open for the next
    /// request.
    pub fn closes_connection(&self) -> Option<&'static str> {
        self.state.closes
    }

    /// Whether a WebSocket is open and the inspector has not closed it.
    pub fn websocket_open(&self) -> bool {
        self.state.ws.as_ref().is_some_and(|ws| !ws.sent_close)
    }

    /// Bytes to write to the server, now: WebSocket frames the inspector
    /// sends. Call after every read.
    pub fn outgoing(&mut self) -> Vec<u8> {
        self.outgoing_frames()
            .into_iter()
            .flat_map(|(_, f)| f)
            .collect()
    }

    /// [`Session::outgoing`], frame by frame, each with the time its
    /// record carries: what `--record` keeps.
    pub fn outgoing_frames(&mut self) -> Vec<(Duration, Vec<u8>)> {
        self.state
            .ws
            .as_mut()
            .map(|ws| std::mem::take(&mut ws.outgoing))
            .unwrap_or_default()
    }

    /// A session that replays a recording: it does not answer the
    /// server's pings and closes, nor send messages, since what the
    /// inspector sent is in the recording, given to
    /// [`Session::replay_sent`] (with the masks it went with).
    pub fn replaying(mut self) -> Self {
        self.state.client.live = false;
        self.state.client.send.clear();
        self
    }

    /// WebSocket frames the inspector sent `at`, as recorded: their
    /// records, as they were made when they were sent.
    pub fn replay_sent(
        &mut self,
        at: Duration,
        wire: &[u8],
        emit: &mut impl FnMut(Record),
    ) {
        if let Some(ws) = &mut self.state.ws {
            ws.replay_sent(at, wire, emit);
        }
    }

    /// Whether nothing waits in [`Session::outgoing`].
    pub fn outgoing_empty(&self) -> bool {
        self.state
            .ws
            .as_ref()
            .is_none_or(|ws| ws.outgoing.is_empty())
    }

    /// Sends `text` as a text message `at`, if the WebSocket is open and
    /// the inspector has not closed it: its frame waits in
    /// [`Session::outgoing`].
    pub fn send_text(
        &mut self,
        at: Duration,
        text: &str,
        emit: &mut impl FnMut(Record),
    ) {
        if let Some(ws) = self.state.ws.as_mut().filter(|ws| !ws.sent_close) {
            ws.send(at, Opcode::Text, text.as_bytes(), emit);
        }
    }

    /// Starts the WebSocket closing handshake `at`: a close frame with
    /// code 1000, "normal closure" (RFC 6455 §7.4.1). The server answers
    /// with its own and closes the connection.
    pub fn close(&mut self, at: Duration, emit: &mut impl FnMut(Record)) {
        if let Some(ws) = &mut self.state.ws {
            ws.close(at, close_payload(1000, ""), emit);
        }
    }

    /// Bytes that arrived `at`, after the request was written. Returns how
    /// many belonged to this response (the rest belong to the next one).
    pub fn read(
        &mut self,
        at: Duration,
        bytes: &[u8],
        emit: &mut impl FnMut(Record),
    ) -> usize {
        if self.state.done || bytes.is_empty() {
            return 0;
        }
        self.state.mark_read(at, self.offset());
        if let Some(h2) = &mut self.h2 {
            h2.read(&mut self.state, at, bytes, emit);
            return bytes.len();
        }
        if self.state.ws.is_some() {
            self.state.frames(at, bytes, emit);
            return bytes.len();
        }
        let state = &mut self.state;
        let decoded = self.decoder.feed(bytes, &mut |event| {
            state.on_event(event, at, emit);
        });
        match decoded {
            Ok(Status::Partial) => bytes.len(),
            Ok(Status::Complete(n)) => match self.state.upgrade.take() {
                None => {
                    self.state.done = true;
                    n
                }
                Some((Err(why), head_len)) => {
                    // The error is the head's: point at its first byte.
                    let offset = self.decoder.offset() - head_len;
                    let kind = ErrorKind::WsHandshake(why);
                    self.state.fail(at, Error { offset, kind }, emit);
                    bytes.len()
                }
                // The connection is the WebSocket's from here on.
                Some((Ok(()), _)) => {
                    self.state.open_websocket(self.decoder.offset());
                    self.state.frames(at, &bytes[n..], emit);
                    // What to send goes out once this read is taken in,
                    // unless the server has closed already.
                    for text in std::mem::take(&mut self.state.client.send) {
                        self.send_text(at, &text, emit);
                    }
                    bytes.len()
                }
            },
            Err(e) => {
                self.state.fail(at, e, emit);
                bytes.len()
            }
        }
    }

    /// The connection closed `at`.
    pub fn eof(&mut self, at: Duration, emit: &mut impl FnMut(Record)) {
        if self.state.done {
            return;
        }
        if let Some(h2) = &self.h2 {
            let offset = h2.offset();
            let kind =
                ErrorKind::UnexpectedEof("before the response's END_STREAM");
            self.state.fail(at, Error { offset, kind }, emit);
            return;
        }
        if let Some(ws) = &self.state.ws {
            // After the server's close frame, its closing the connection
            // is the clean end (RFC 6455 §7.1.1).
            match ws.reader.closed() {
                true => {
                    self.state.done = true;
                    emit(Record::End {
                        t_ms: millis(at),
                        chunks: 0,
                        body_bytes: 0,
                        frames: Some(ws.frames),
                    });
                }
                false => {
                    let offset = ws.reader.offset();
                    let kind = ErrorKind::WsNoClose;
                    self.state.fail(at, Error { offset, kind }, emit);
                }
            }
            return;
        }
        let state = &mut self.state;
        match self
            .decoder
            .finish(&mut |event| state.on_event(event, at, emit))
        {
            Ok(()) => self.state.done = true,
            Err(e) => self.state.fail(at, e, emit),
        }
    }

    /// Where the next byte from the server goes in the response.
    fn offset(&self) -> u64 {
        match (&self.h2, &self.state.ws) {
            (Some(h2), _) => h2.offset(),
            (None, Some(ws)) => ws.reader.offset(),
            (None, None) => self.decoder.offset(),
        }
    }
}

impl State {
    /// Notes a read that starts at `start`.
    fn mark_read(&mut self, at: Duration, start: u64) {
        self.read_count += 1;
        self.reads.push_back(ReadMark {
            start,
            at,
            number: self.read_count,
        });
    }

    fn fail(&mut self, at: Duration, e: Error, emit: &mut impl FnMut(Record)) {
        self.done = true;
        self.failed = true;
        emit(Record::Error {
            t_ms: millis(at),
            offset: e.offset,
            kind: e.kind.name(),
            message: e.kind.to_string(),
        });
        self.judge(emit);
    }

    /// The verdict so far: none before a final head, and none for a
    /// WebSocket, whose frames are not content.
    fn verdict(&self) -> Option<Verdict> {
        let judged =
            self.head_seen && self.ws.is_none() && self.upgrade.is_none();
        judged.then(|| self.analysis.verdict(self.done && !self.failed))
    }

    /// The verdict record, once the response is over.
    fn judge(&mut self, emit: &mut impl FnMut(Record)) {
        if let Some(verdict) = self.verdict() {
            emit(Record::Verdict(verdict));
        }
    }

    /// Decodes `bytes`, body bytes at `offset`, if the body is coded:
    /// what they yielded goes to `kept` and to the event stream's reader.
    /// Returns the content's length, or `Ok(None)` for a body that is not
    /// coded, whose bytes are its content.
    fn decode_content(
        &mut self,
        offset: u64,
        bytes: &[u8],
        chunk: Option<u64>,
        kept: &mut Option<Kept>,
        events: &mut Held,
    ) -> Result<Option<u64>, Error> {
        let State {
            coding,
            sse,
            max_content,
            body_end,
            ..
        } = self;
        let decoder = match coding {
            Coding::Identity => return Ok(None),
            Coding::Unknown(why) => {
                let kind = ErrorKind::ContentCoding(why.clone());
                return Err(Error { offset, kind });
            }
            Coding::Coded(decoder) => decoder,
        };
        let kept = kept.get_or_insert_default();
        let before = kept.len;
        *body_end = offset + bytes.len() as u64;
        decoder
            .feed(bytes, &mut |content| {
                kept.keep(content, *max_content);
                if let Some(sse) = sse {
                    events.feed(sse, content, chunk);
                }
            })
            .map_err(|failure| Error {
                offset: offset + failure.at as u64,
                kind: ErrorKind::ContentCoding(failure.message),
            })?;
        Ok(Some(kept.len - before))
    }

    /// Turns one decoder event into records.
    fn on_event(
        &mut self,
        event: Event<'_>,
        at: Duration,
        emit: &mut impl FnMut(Record),
    ) {
        // After a failure (a coding error, inside this read), the rest of
        // the read is not looked at.
        if self.done {
            return;
        }
        match event {
            Event::Head(head) => {
                if head.status == 101 && head.lists("upgrade", "websocket") {
                    let check = check_handshake(&head, &self.client);
                    self.upgrade = Some((check, head.len as u64));
                } else if head.status == 101 && self.client.key.is_some() {
                    let why = "it has no Upgrade: websocket".to_owned();
                    self.upgrade = Some((Err(why), head.len as u64));
                }
                if head.status >= 200 {
                    self.closes = closes(&head);
                    // A final answer that is not 101: no WebSocket.
                    if self.client.key.is_some() {
                        self.refused = Some(Refusal::of(&head, self.heads_len));
                    }
                }
                self.heads_len += head.len as u64;
                self.on_head(head_record(head, at), at, emit);
            }
            Event::ChunkStart {
                index,
                offset,
                size,
                size_line,
            } => {
                let first = first_read(&mut self.reads, offset);
                self.open = Some(Open {
                    index,
                    offset,
                    size_line: String::from_utf8_lossy(size_line).into_owned(),
                    size,
                    data: Vec::new(),
                    content: None,
                    events: Held::default(),
                    t_first: first.at,
                    first_read: first.number,
                });
            }
            Event::Data { offset, bytes } => {
                // The piece these bytes belong to: the open chunk, or, for
                // a body that is not chunked, this read alone.
                let mut open = self.open.take();
                let (mut piece, mut piece_events) = (None, Held::default());
                let (chunk, kept, events) = match &mut open {
                    Some(c) => {
                        keep(&mut c.data, bytes, self.max_data);
                        (Some(c.index), &mut c.content, &mut c.events)
                    }
                    None => (None, &mut piece, &mut piece_events),
                };
                let decoded =
                    self.decode_content(offset, bytes, chunk, kept, events);
                let content_len = match decoded {
                    Ok(len) => len,
                    Err(e) => return self.fail(at, e, emit),
                };
                let body = bytes.len() as u64;
                self.analysis.arrived(at, body, content_len.unwrap_or(body));
                // A body that is not coded is its own content.
                if content_len.is_none()
                    && let Some(sse) = &mut self.sse
                {
                    events.feed(sse, bytes, chunk);
                }
                if open.is_some() {
                    self.open = open;
                    return;
                }
                let kept = &bytes[..bytes.len().min(self.max_data)];
                emit(Record::Data {
                    t_ms: millis(at),
                    offset,
                    len: bytes.len(),
                    data: text_of(kept.to_vec()),
                    data_hex: hex(kept),
                    truncated: kept.len() < bytes.len(),
                    content: piece.map(|piece| piece.finish(&mut self.carry)),
                });
                emit_events(piece_events, at, emit);
            }
            Event::ChunkEnd { .. } => {
                if let Some(mut chunk) = self.open.take() {
                    let events = std::mem::take(&mut chunk.events);
                    emit(self.finish_chunk(chunk, at));
                    emit_events(events, at, emit);
                }
            }
            // The last-chunk is complete at its own CRLF; trailers follow.
            Event::LastChunk {
                index,
                offset,
                size_line,
            } => {
                let first = first_read(&mut self.reads, offset);
                let last = Open {
                    index,
                    offset,
                    size_line: String::from_utf8_lossy(size_line).into_owned(),
                    size: 0,
                    data: Vec::new(),
                    content: None,
                    events: Held::default(),
                    t_first: first.at,
                    first_read: first.number,
                };
                emit(self.finish_chunk(last, at));
            }
            Event::Trailers { fields: f, notes } => emit(Record::Trailers {
                headers: fields(f),
                notes,
            }),
            // A WebSocket's 101 ends no message: its frames follow.
            Event::End { .. } if self.upgrade.is_some() => {}
            Event::End {
                chunks, body_bytes, ..
            } => {
                // Every coding must have come to its end with the body.
                if let Coding::Coded(decoder) = &mut self.coding
                    && body_bytes > 0
                    && let Err(why) = decoder.finish()
                {
                    let kind = ErrorKind::ContentCoding(why);
                    let offset = self.body_end;
                    return self.fail(at, Error { offset, kind }, emit);
                }
                emit(Record::End {
                    t_ms: millis(at),
                    chunks,
                    body_bytes,
                    frames: None,
                });
                // Over: the verdict is final.
                self.done = true;
                self.judge(emit);
                // A refusal is a response like any other, shown whole (its
                // body often says why: lesson 10's 426 names the version
                // it speaks) and judged so. Then the WebSocket asked for
                // fails, as RFC 6455 §4.1 has a client fail it.
                if let Some(refusal) = self.refused.take() {
                    self.failed = true;
                    emit(refusal.record(at));
                }
            }
        }
    }

    /// A head, of either HTTP: the connection goes in its record, and a
    /// final head (not a 1xx) names the body's coding, says whether it is
    /// an event stream, and starts the verdict's clock.
    fn on_head(
        &mut self,
        mut record: Record,
        at: Duration,
        emit: &mut impl FnMut(Record),
    ) {
        if let Record::Head {
            version,
            framing,
            headers,
            status,
            connection,
            ..
        } = &mut record
        {
            connection.clone_from(&self.connection);
            if *status >= 200 {
                self.head_seen = true;
                self.coding = Coding::of(headers);
                if is_event_stream(headers) {
                    self.sse = Some(SseParser::new());
                }
                self.analysis.head(at, version, framing, headers);
            }
        }
        emit(record);
    }

    /// The record for a chunk whose final CRLF arrived `at`.
    fn finish_chunk(&mut self, chunk: Open, at: Duration) -> Record {
        let last_read =
            self.reads.back().map_or(chunk.first_read, |r| r.number);
        Record::Chunk(Chunk {
            index: chunk.index,
            t_first_ms: millis(chunk.t_first),
            t_ms: millis(at),
            truncated: (chunk.data.len() as u64) < chunk.size,
            size_line: chunk.size_line,
            size: chunk.size,
            data_hex: hex(&chunk.data),
            data: text_of(chunk.data),
            reads: last_read - chunk.first_read + 1,
            offset: chunk.offset,
            last: chunk.size == 0,
            content: chunk.content.map(|kept| kept.finish(&mut self.carry)),
        })
    }
}

/// Adds to `kept` what of `bytes` fits in `limit`.
fn keep(kept: &mut Vec<u8>, bytes: &[u8], limit: usize) {
    let room = limit.saturating_sub(kept.len());
    kept.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

/// Why the connection ends with the response that `head` starts, if it
/// does. RFC 9112 §9.3: a `close` connection option ends it; otherwise
/// HTTP/1.1 persists, and HTTP/1.0 only with `keep-alive`. And a body
/// that the close ends (§6.3 rule 8) leaves nothing after it.
fn closes(head: &Head) -> Option<&'static str> {
    if head.lists("connection", "close") {
        Some("its response said Connection: close")
    } else if head.framing == Framing::Close {
        Some(
            "its response has neither Content-Length nor chunked, so its body ends where the connection does",
        )
    } else if head.minor_version == 0 && !head.lists("connection", "keep-alive")
    {
        Some("it answered in HTTP/1.0, without Connection: keep-alive")
    } else {
        None
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
        connection: None,
        notes: head.notes,
    }
}

/// Whether a final head's fields start an event stream: its media type
/// is `text/event-stream`, parameters and case aside.
fn is_event_stream(headers: &[[String; 2]]) -> bool {
    headers.iter().any(|[name, value]| {
        let media = value.split(';').next().unwrap_or_default();
        name.eq_ignore_ascii_case("content-type")
            && media.trim().eq_ignore_ascii_case("text/event-stream")
    })
}

/// The most bytes of events that a chunk, read or DATA frame holds until
/// its own record goes out: 4 MiB, each event counted with its strings.
///
/// Why drop rather than emit early: events come right after the piece
/// that completed them, and the views hang them on that piece's row. A
/// piece that never ends, or a gzip bomb of tiny events, would otherwise
/// hold them all (a 1 GiB chunk of `data: x` lines is 10^8 events). The
/// last kept event says how many were dropped after it.
pub const MAX_HELD: usize = 4 * 1024 * 1024;

/// The events a piece completed, held for after its record.
#[derive(Debug, Default)]
struct Held {
    events: Vec<SseEvent>,
    bytes: usize,
    dropped: u64,
}

impl Held {
    /// Reads `bytes` as events; keeps those that fit in [`MAX_HELD`].
    fn feed(&mut self, sse: &mut SseParser, bytes: &[u8], chunk: Option<u64>) {
        let mut fresh = Vec::new();
        sse.feed(bytes, chunk, &mut fresh);
        for event in fresh {
            let size = size_of::<SseEvent>()
                + event.id.len()
                + event.event.len()
                + event.data.len();
            // The first always fits: each of its strings is capped.
            if self.dropped > 0
                || !self.events.is_empty() && self.bytes + size > MAX_HELD
            {
                self.dropped += 1;
                continue;
            }
            self.bytes += size;
            self.events.push(event);
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn emit_events(held: Held, at: Duration, emit: &mut impl FnMut(Record)) {
    let last = held.events.len().saturating_sub(1);
    for (i, e) in held.events.into_iter().enumerate() {
        emit(Record::Event {
            t_ms: millis(at),
            id: e.id,
            event: e.event,
            data: e.data,
            retry: e.retry,
            chunks: e.chunks.map(|(first, last)| [first, last]),
            truncated: e.truncated,
            dropped: if i == last { held.dropped } else { 0 },
        });
    }
}

/// The read that carried the byte at `offset`, which starts a chunk or a
/// frame: the last read that started at or before it. No later chunk or
/// frame can start before this one, so only the newest read is kept.
fn first_read(reads: &mut VecDeque<ReadMark>, offset: u64) -> ReadMark {
    let first = reads
        .iter()
        .rposition(|r| r.start <= offset)
        .map_or(reads[0], |i| reads[i]);
    let newest = reads.len() - 1;
    reads.drain(..newest);
    first
}

/// A request's fields, as httparse found them, as records show fields.
pub(crate) fn request_fields(
    fields: &[httparse::Header<'_>],
) -> Vec<[String; 2]> {
    fields
        .iter()
        .map(|f| fields_of(f.name.as_bytes(), f.value))
        .collect()
}

/// A field's name and value as text.
fn fields_of(name: &[u8], value: &[u8]) -> [String; 2] {
    [
        String::from_utf8_lossy(name).into_owned(),
        String::from_utf8_lossy(value).into_owned(),
    ]
}

fn fields(fields: Vec<Field>) -> Vec<[String; 2]> {
    fields
        .into_iter()
        .map(|f| [f.name, String::from_utf8_lossy(&f.value).into_owned()])
        .collect()
}

/// Bytes as text: moved as they are when they are UTF-8, the usual case,
/// which `from_utf8` checks many bytes at a time; lossy otherwise. On a
/// flood of text `from_utf8_lossy`'s byte-by-byte walk was a third of
/// `--json`'s time.
fn text_of(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Milliseconds, to the microsecond.
pub fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn hex(bytes: &[u8]) -> String {
    // A digit by arithmetic, not by indexing a table of digits: a loop
    // without loads compiles to vector instructions, 16 bytes or more at
    // a time, two to three times as fast on `--json`'s 4 KiB per chunk.
    let digit = |n: u8| if n < 10 { b'0' + n } else { b'a' - 10 + n };
    let mut out = vec![0; bytes.len() * 2];
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = digit(b >> 4);
        pair[1] = digit(b & 0xf);
    }
    String::from_utf8(out).expect("hex digits are ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &[u8] =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

    /// RFC 9112 §9.3, from the response's side: what keeps the
    /// connection for a next request, and what ends it.
    #[test]
    fn a_head_says_whether_the_connection_outlives_its_response() {
        let cases: [(&[u8], Option<&str>); 6] = [
            (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", None),
            (
                b"HTTP/1.1 200 OK\r\nConnection: x, Close\r\n\
                  Content-Length: 0\r\n\r\n",
                Some("said Connection: close"),
            ),
            (b"HTTP/1.1 200 OK\r\n\r\n", Some("neither Content-Length")),
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
                Some("HTTP/1.0"),
            ),
            (
                b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\
                  Content-Length: 0\r\n\r\n",
                None,
            ),
            // A 1xx says nothing of the final response's connection.
            (
                b"HTTP/1.1 103 Early Hints\r\nConnection: close\r\n\r\n\
                  HTTP/1.1 204 No Content\r\n\r\n",
                None,
            ),
        ];
        for (response, said) in cases {
            let mut session = Session::new("GET", 64);
            session.read(Duration::ZERO, response, &mut |_| {});
            let why = session.closes_connection();
            match said {
                None => assert_eq!(why, None, "{response:?}"),
                Some(said) => assert!(
                    why.is_some_and(|why| why.contains(said)),
                    "{response:?}: {why:?}"
                ),
            }
        }
    }

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
                session.state.reads.len() <= 2,
                "{} reads kept",
                session.state.reads.len()
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
                Record::Verdict(v) => format!("verdict {}", v.pattern.name()),
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
                "end",
                "verdict single_piece"
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
                "end",
                "verdict single_piece"
            ]
        );
    }

    #[test]
    fn a_chunk_holds_at_most_max_held_bytes_of_events() {
        let mut session = Session::new("GET", 64);
        let mut recs = Vec::new();
        let head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                     Transfer-Encoding: chunked\r\n\r\n";
        session.read(Duration::ZERO, head, &mut |r| recs.push(r));
        // One chunk of 2^20 events, "data: x" each.
        let events = 1 << 20;
        let size = format!("{:x}\r\n", 9 * events);
        session.read(Duration::ZERO, size.as_bytes(), &mut |r| recs.push(r));
        let read = b"data: x\n\n".repeat(64 * 1024);
        for _ in 0..(events / (64 * 1024)) {
            session.read(Duration::ZERO, &read, &mut |r| recs.push(r));
            let held = session.state.open.as_ref().map(|o| o.events.bytes);
            assert!(held <= Some(MAX_HELD), "{held:?}");
        }
        session.read(Duration::ZERO, b"\r\n", &mut |r| recs.push(r));
        let kept: Vec<u64> = recs
            .iter()
            .filter_map(|r| match r {
                Record::Event { dropped, .. } => Some(*dropped),
                _ => None,
            })
            .collect();
        let dropped = *kept.last().unwrap();
        assert!(kept.len() * size_of::<SseEvent>() <= MAX_HELD);
        assert_eq!(kept.len() as u64 + dropped, events as u64);
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
        assert_eq!(
            names(&recs),
            ["head", "chunk 0", "chunk 1", "end", "verdict single_piece"]
        );
    }

    use crate::content::tests::gzip;

    /// A chunk of `data`, framed.
    fn chunk(data: &[u8]) -> Vec<u8> {
        [format!("{:x}\r\n", data.len()).as_bytes(), data, b"\r\n"].concat()
    }

    #[test]
    fn a_coded_body_has_its_content_per_chunk() {
        let mut session = Session::new("GET", 64);
        let mut recs = Vec::new();
        let head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\
                     Transfer-Encoding: chunked\r\n\r\n";
        let text = "caf\u{e9} au lait, \u{e9}t\u{e9}".as_bytes();
        let coded = gzip(text);
        let ms = Duration::from_millis;
        session.read(ms(1), head, &mut |r| recs.push(r));
        // The header alone, then the rest in two chunks much later.
        session.read(ms(1), &chunk(&coded[..10]), &mut |r| recs.push(r));
        session.read(ms(900), &chunk(&coded[10..20]), &mut |r| recs.push(r));
        let rest = [chunk(&coded[20..]), b"0\r\n\r\n".to_vec()].concat();
        session.read(ms(900), &rest, &mut |r| recs.push(r));
        let contents: Vec<(u64, String)> = recs
            .iter()
            .filter_map(|r| match r {
                Record::Chunk(Chunk {
                    content: Some(c), ..
                }) => Some((c.content_len, c.content.clone())),
                _ => None,
            })
            .collect();
        let joined: String = contents.iter().map(|(_, c)| c.as_str()).collect();
        assert_eq!(joined, String::from_utf8(text.to_vec()).unwrap());
        let lens: u64 = contents.iter().map(|(n, _)| n).sum();
        assert_eq!(lens, text.len() as u64);
        assert_eq!(contents[0], (0, String::new()));
        let Some(Record::Verdict(v)) = recs.last() else {
            panic!("{recs:?}")
        };
        assert_eq!(v.pattern, crate::verdict::Pattern::BurstAtEnd);
        assert_eq!(v.content_bytes, text.len() as u64);
        assert_eq!(v.clues[0].code, "compression");
        // The last-chunk has no content of its own.
        let Some(Record::Chunk(last)) = recs.iter().rev().nth(2) else {
            panic!("{recs:?}")
        };
        assert!(last.last && last.content.is_none());
    }

    #[test]
    fn a_coding_error_is_an_error_at_its_byte() {
        let mut session = Session::new("GET", 64);
        let mut recs = Vec::new();
        let head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\
                     Content-Length: 12\r\n\r\n";
        session.read(Duration::ZERO, head, &mut |r| recs.push(r));
        session.read(Duration::ZERO, b"not gzip at all", &mut |r| recs.push(r));
        assert!(session.is_done());
        let error = recs.iter().find_map(|r| match r {
            Record::Error { kind, offset, .. } => Some((*kind, *offset)),
            _ => None,
        });
        assert_eq!(error, Some(("content_coding", head.len() as u64)));
        assert!(matches!(recs.last(), Some(Record::Verdict(v)) if !v.complete));
    }

    #[test]
    fn a_coded_body_that_stops_early_is_an_error_at_its_end() {
        let mut session = Session::new("GET", 64);
        let mut recs = Vec::new();
        let coded = gzip(b"hello");
        let cut = &coded[..12];
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Encoding: br, gzip\r\n\
             Content-Length: {}\r\n\r\n",
            cut.len()
        );
        session.read(Duration::ZERO, head.as_bytes(), &mut |r| recs.push(r));
        session.read(Duration::ZERO, cut, &mut |r| recs.push(r));
        let Some(Record::Error { kind, offset, .. }) =
            recs.iter().find(|r| matches!(r, Record::Error { .. }))
        else {
            panic!("{recs:?}")
        };
        assert_eq!(*kind, "content_coding");
        assert_eq!(*offset, (head.len() + cut.len()) as u64);
    }

    #[test]
    fn an_event_stream_is_read_from_its_content() {
        let mut session = Session::new("GET", 64);
        let mut recs = Vec::new();
        let coded = gzip(b"data: a\n\ndata: b\n\n");
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
             Content-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
            coded.len()
        );
        session.read(Duration::ZERO, head.as_bytes(), &mut |r| recs.push(r));
        session.read(Duration::ZERO, &coded, &mut |r| recs.push(r));
        let events: Vec<String> = recs
            .iter()
            .filter_map(|r| match r {
                Record::Event { data, .. } => Some(data.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(events, ["a", "b"]);
    }
}
