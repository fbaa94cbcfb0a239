//! HTTP/2, the protocol layer's other half: the frames a server sends,
//! read from the connection's plaintext as they arrive, and the client
//! that keeps the connection going.
//!
//! HTTP/2 has no chunked coding. A response is a HEADERS frame and DATA
//! frames on one stream, each with a 9-byte header (RFC 9113 §4.1), the
//! last flagged END_STREAM; flow control paces them (§5.2). So a DATA
//! frame is HTTP/2's piece, as a chunk is HTTP/1.1's.
//!
//! The `h2` crate runs the connection: the preface, SETTINGS and their
//! acknowledgement, PING answers, WINDOW_UPDATEs. It is given a socket
//! that hands every read to the inspector as well ([`Client`]), and the
//! session reads the frames from those bytes itself ([`FrameReader`]),
//! so each frame is timed by the read that completed it. Header blocks
//! are decoded again here with loona-hpack: h2 keeps its HPACK private.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::capture::READ_BUFFER;
use crate::error::{Error, ErrorKind};
use crate::transport::{Stream, Writer};

/// The largest frame payload the inspector accepts: the default of
/// SETTINGS_MAX_FRAME_SIZE, which it does not change (RFC 9113 §6.5.2).
pub const MAX_FRAME: u32 = 16_384;

/// The one stream the inspector opens: a client's first is 1 (§5.1.1).
pub const STREAM: u32 = 1;

/// Flags, by the bit each frame type gives them (RFC 9113 §6).
pub const END_STREAM: u8 = 0x1;
pub const ACK: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;
pub const PADDED: u8 = 0x8;
pub const PRIORITY: u8 = 0x20;

/// Frame types (RFC 9113 §6).
pub const DATA: u8 = 0x0;
pub const HEADERS: u8 = 0x1;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const PUSH_PROMISE: u8 = 0x5;
pub const GOAWAY: u8 = 0x7;
pub const WINDOW_UPDATE: u8 = 0x8;
pub const CONTINUATION: u8 = 0x9;

/// A frame's 9-byte header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// The payload's length.
    pub len: u32,
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
}

impl FrameHeader {
    fn parse(b: &[u8; 9]) -> FrameHeader {
        FrameHeader {
            len: u32::from_be_bytes([0, b[0], b[1], b[2]]),
            kind: b[3],
            flags: b[4],
            // The top bit is reserved, and ignored (§4.1).
            stream: u32::from_be_bytes([b[5], b[6], b[7], b[8]]) & 0x7FFF_FFFF,
        }
    }

    /// The type's name, or its number for a type RFC 9113 does not
    /// define (which a receiver ignores, §4.1).
    pub fn name(&self) -> String {
        name(self.kind)
    }

    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// The frame types RFC 9113 defines, by number.
const TYPES: [&str; 10] = [
    "DATA",
    "HEADERS",
    "PRIORITY",
    "RST_STREAM",
    "SETTINGS",
    "PUSH_PROMISE",
    "PING",
    "GOAWAY",
    "WINDOW_UPDATE",
    "CONTINUATION",
];

/// A frame type's name, or its number for a type RFC 9113 does not
/// define (which a receiver ignores, §4.1).
pub fn name(kind: u8) -> String {
    TYPES
        .get(usize::from(kind))
        .map_or_else(|| format!("{kind:#04x}"), |&n| n.to_owned())
}

/// The frame type a [`name`] names.
pub fn kind(name: &str) -> u8 {
    match TYPES.iter().position(|&n| n == name) {
        Some(i) => u8::try_from(i).unwrap_or(u8::MAX),
        None => name
            .strip_prefix("0x")
            .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            .unwrap_or(u8::MAX),
    }
}

/// An error code's name (RFC 9113 §7).
pub fn error_code(code: u32) -> String {
    let known = [
        "NO_ERROR",
        "PROTOCOL_ERROR",
        "INTERNAL_ERROR",
        "FLOW_CONTROL_ERROR",
        "SETTINGS_TIMEOUT",
        "STREAM_CLOSED",
        "FRAME_SIZE_ERROR",
        "REFUSED_STREAM",
        "CANCEL",
        "COMPRESSION_ERROR",
        "CONNECT_ERROR",
        "ENHANCE_YOUR_CALM",
        "INADEQUATE_SECURITY",
        "HTTP_1_1_REQUIRED",
    ];
    usize::try_from(code)
        .ok()
        .and_then(|i| known.get(i))
        .map_or_else(|| format!("{code:#x}"), |&n| n.to_owned())
}

/// A setting's name (RFC 9113 §6.5.2, RFC 8441, RFC 9218).
pub fn setting(id: u16) -> String {
    match id {
        1 => "HEADER_TABLE_SIZE".into(),
        2 => "ENABLE_PUSH".into(),
        3 => "MAX_CONCURRENT_STREAMS".into(),
        4 => "INITIAL_WINDOW_SIZE".into(),
        5 => "MAX_FRAME_SIZE".into(),
        6 => "MAX_HEADER_LIST_SIZE".into(),
        8 => "ENABLE_CONNECT_PROTOCOL".into(),
        9 => "NO_RFC7540_PRIORITIES".into(),
        _ => format!("{id:#x}"),
    }
}

/// A frame's bytes: its 9-byte header, then `payload`: what a server
/// sends, for tests to send.
pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len())
        .unwrap_or(u32::MAX)
        .to_be_bytes();
    let mut bytes = vec![len[1], len[2], len[3], kind, flags];
    bytes.extend_from_slice(&stream.to_be_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

/// A whole frame, as [`FrameReader`] hands it on.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub header: FrameHeader,
    /// Where its header starts in what the server sent.
    pub offset: u64,
    /// Its payload, padding included.
    pub payload: &'a [u8],
}

/// Reads frames from the server's bytes as they come, in any pieces.
#[derive(Debug, Default)]
pub struct FrameReader {
    /// Where the next byte goes in what the server sent.
    offset: u64,
    header: [u8; 9],
    /// Header bytes so far.
    have: usize,
    /// The frame being read: its header, where it starts, its payload
    /// so far.
    current: Option<(FrameHeader, u64)>,
    payload: Vec<u8>,
    frames: u64,
}

impl FrameReader {
    /// Where the next byte from the server goes.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Takes in `bytes`, calling `frame` with each frame they complete:
    /// its header, where it starts, its payload. An error for a frame
    /// that breaks the rules before its payload is read.
    pub fn feed(
        &mut self,
        mut bytes: &[u8],
        frame: &mut impl FnMut(Frame<'_>),
    ) -> Result<(), Error> {
        while !bytes.is_empty() {
            let Some((header, start)) = self.current else {
                let take = (9 - self.have).min(bytes.len());
                self.header[self.have..self.have + take]
                    .copy_from_slice(&bytes[..take]);
                self.have += take;
                bytes = &bytes[take..];
                self.offset += take as u64;
                if self.have == 9 {
                    self.have = 0;
                    let start = self.offset - 9;
                    let header = FrameHeader::parse(&self.header);
                    self.check(header, start)?;
                    self.frames += 1;
                    self.current = Some((header, start));
                    self.payload.clear();
                }
                continue;
            };
            let wanted = header.len as usize - self.payload.len();
            let take = wanted.min(bytes.len());
            // A whole payload in this read is passed as it is; only one
            // cut between reads is copied.
            if self.payload.is_empty() && take == wanted {
                self.offset += take as u64;
                self.current = None;
                frame(Frame {
                    header,
                    offset: start,
                    payload: &bytes[..take],
                });
            } else {
                self.payload.extend_from_slice(&bytes[..take]);
                self.offset += take as u64;
                if take == wanted {
                    self.current = None;
                    frame(Frame {
                        header,
                        offset: start,
                        payload: &self.payload,
                    });
                }
            }
            bytes = &bytes[take..];
        }
        // A frame with an empty payload is complete at its header.
        if let Some((header @ FrameHeader { len: 0, .. }, start)) = self.current
        {
            self.current = None;
            frame(Frame {
                header,
                offset: start,
                payload: &[],
            });
        }
        Ok(())
    }

    /// The rules a frame's header alone can break.
    fn check(&self, header: FrameHeader, start: u64) -> Result<(), Error> {
        let fail = |kind| {
            Err(Error {
                offset: start,
                kind,
            })
        };
        if self.frames == 0 && header.kind != SETTINGS {
            let said = String::from_utf8_lossy(&self.header);
            return fail(ErrorKind::H2Preface(if said.starts_with("HTTP/") {
                format!(
                    "the server answered in HTTP/1 ({said:?}…), not HTTP/2: \
                     it does not speak h2c with prior knowledge; drop \
                     --http2-prior-knowledge"
                )
            } else {
                format!(
                    "the server's first frame is not SETTINGS (it began \
                     {said:?}): an HTTP/2 server starts with SETTINGS \
                     (RFC 9113 §3.4); is this an HTTP/2 server?"
                )
            }));
        }
        if header.len > MAX_FRAME {
            return fail(ErrorKind::H2Frame(format!(
                "a {} frame of {} bytes is over the {MAX_FRAME} bytes that \
                 SETTINGS_MAX_FRAME_SIZE allows (RFC 9113 §4.2)",
                header.name(),
                header.len
            )));
        }
        Ok(())
    }
}

/// What a DATA or HEADERS frame's payload holds once its padding, and a
/// HEADERS frame's priority, are taken off (RFC 9113 §6.1, §6.2): `Err`
/// with a reason if the padding is longer than the frame.
pub fn unpadded(
    header: FrameHeader,
    payload: &[u8],
) -> Result<(usize, &[u8]), String> {
    let mut start = 0;
    let mut pad = 0;
    if header.has(PADDED) {
        pad =
            usize::from(*payload.first().ok_or("PADDED, with no Pad Length")?);
        start = 1;
    }
    if header.kind == HEADERS && header.has(PRIORITY) {
        start += 5;
    }
    let end = payload.len().checked_sub(pad).filter(|&end| end >= start);
    match end {
        Some(end) => Ok((start, &payload[start..end])),
        None => Err(format!(
            "the {} frame's padding is longer than the frame (RFC 9113 §6.1)",
            header.name()
        )),
    }
}

/// The request `http1` (as [`crate::target::Target::request`] wrote it)
/// as HTTP/2 sends it: `Host` becomes `:authority`, and fields that
/// belong to an HTTP/1.1 connection are left out (RFC 9113 §8.2.2).
pub fn request(
    http1: &[u8],
    scheme: &str,
) -> io::Result<(http::Request<()>, Option<Bytes>)> {
    let mut fields = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut fields);
    let head = match parsed.parse(http1) {
        Ok(httparse::Status::Complete(n)) => n,
        _ => return Err(io::Error::other("the request to send is malformed")),
    };
    let host = parsed
        .headers
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case("host"))
        .map(|f| String::from_utf8_lossy(f.value).into_owned())
        .unwrap_or_default();
    let uri = format!("{scheme}://{host}{}", parsed.path.unwrap_or("/"));
    let mut request = http::Request::builder()
        .method(parsed.method.unwrap_or("GET"))
        .uri(uri)
        .version(http::Version::HTTP_2);
    for field in parsed.headers.iter() {
        let connection_specific = [
            "host",
            "connection",
            "keep-alive",
            "proxy-connection",
            "transfer-encoding",
            "upgrade",
        ]
        .iter()
        .any(|n| field.name.eq_ignore_ascii_case(n));
        if !connection_specific {
            request = request.header(field.name, field.value);
        }
    }
    let request = request.body(()).map_err(io::Error::other)?;
    let body =
        (http1.len() > head).then(|| Bytes::copy_from_slice(&http1[head..]));
    Ok((request, body))
}

/// `request` as its header list, one `name: value` line each, as the
/// `--plain` view and the Headers view show a request.
pub fn describe(request: &http::Request<()>) -> Vec<u8> {
    let uri = request.uri();
    let mut lines = format!(
        ":method: {}\r\n:scheme: {}\r\n:authority: {}\r\n:path: {}\r\n",
        request.method(),
        uri.scheme_str().unwrap_or_default(),
        uri.authority().map(|a| a.as_str()).unwrap_or_default(),
        uri.path_and_query().map_or("/", |p| p.as_str()),
    );
    for (name, value) in request.headers() {
        lines += &format!(
            "{name}: {}\r\n",
            String::from_utf8_lossy(value.as_bytes())
        );
    }
    lines += "\r\n";
    lines.into_bytes()
}

/// Flow-control windows a browser opens: Chromium's 6 MiB for a stream
/// and 15 MiB for the connection. With capacity released as soon as
/// data arrives, only the network's round trip can make a server wait.
const STREAM_WINDOW: u32 = 6 << 20;
const CONNECTION_WINDOW: u32 = 15 << 20;

/// An HTTP/2 connection with one request on it, as `h2` runs it, read by
/// the inspector a read at a time.
pub struct Client {
    conn: h2::client::Connection<Tap, Bytes>,
    response: Option<h2::client::ResponseFuture>,
    body: Option<h2::RecvStream>,
    /// Kept so that h2 does not end the connection before the response.
    _send: h2::client::SendRequest<Bytes>,
    tap: Arc<Mutex<Tapped>>,
    /// The last read, for the caller.
    read: Vec<u8>,
    /// How the connection ended, once it has: reported after the reads.
    ended: Option<io::Result<()>>,
    writer: Writer,
    start: Instant,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

/// What the socket under h2 read last, shared with the [`Client`].
#[derive(Debug, Default)]
struct Tapped {
    bytes: Vec<u8>,
    /// How much of `bytes` h2 has taken.
    taken: usize,
    at: Duration,
    /// Whether the inspector has yet to see `bytes`.
    fresh: bool,
    eof: bool,
}

/// The socket as h2 sees it: blocking reads, each shown to the inspector
/// before the next. After a read, the next `poll_read` says Pending once,
/// so that control comes back to [`Client::next_read`] read by read.
struct Tap {
    stream: Stream,
    tapped: Arc<Mutex<Tapped>>,
    start: Instant,
}

impl AsyncRead for Tap {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let mut t = this.tapped.lock().unwrap_or_else(PoisonError::into_inner);
        if t.taken == t.bytes.len() {
            if t.fresh {
                // Let the inspector see this read before there is another.
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            if t.eof {
                return Poll::Ready(Ok(()));
            }
            t.bytes.resize(READ_BUFFER, 0);
            let n = loop {
                match this.stream.read(&mut t.bytes) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    read => break read?,
                }
            };
            t.at = this.start.elapsed();
            t.bytes.truncate(n);
            t.taken = 0;
            t.fresh = n > 0;
            t.eof = n == 0;
        }
        let take = buf.remaining().min(t.bytes.len() - t.taken);
        buf.put_slice(&t.bytes[t.taken..t.taken + take]);
        t.taken += take;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Tap {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.get_mut().stream.write_all(buf).map(|()| buf.len()))
    }

    fn poll_flush(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Polls `future` once. Nothing here waits on a waker: every wait is a
/// blocking read inside the socket, so polling again is always right.
fn poll_once<F: std::future::Future + Unpin>(
    future: &mut F,
) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(Waker::noop()))
}

impl Client {
    /// Starts HTTP/2 on `stream` and sends `request` (HTTP/1.1 bytes, as
    /// [`request`] takes them) for `scheme`. Returns the client, and the
    /// request as sent, described.
    pub fn start(
        stream: Stream,
        http1: &[u8],
        scheme: &str,
    ) -> io::Result<(Client, Vec<u8>)> {
        let (request, body) = request(http1, scheme)?;
        let sent = describe(&request);
        let writer = stream.writer()?;
        let tapped = Arc::new(Mutex::new(Tapped::default()));
        let start = Instant::now();
        let tap = Tap {
            stream,
            tapped: Arc::clone(&tapped),
            start,
        };
        let mut handshake = Box::pin(
            h2::client::Builder::new()
                .initial_window_size(STREAM_WINDOW)
                .initial_connection_window_size(CONNECTION_WINDOW)
                .handshake::<_, Bytes>(tap),
        );
        // Writes the preface and SETTINGS; it reads nothing.
        let Poll::Ready(ready) = poll_once(&mut handshake) else {
            return Err(io::Error::other(
                "the HTTP/2 handshake did not finish",
            ));
        };
        let (mut send, conn) = ready.map_err(h2_error)?;
        let (response, mut stream) = send
            .send_request(request, body.is_none())
            .map_err(h2_error)?;
        if let Some(body) = body {
            stream.send_data(body, true).map_err(h2_error)?;
        }
        let client = Client {
            conn,
            response: Some(response),
            body: None,
            _send: send,
            tap: tapped,
            read: Vec::new(),
            ended: None,
            writer,
            start,
        };
        Ok((client, sent))
    }

    /// When the request went out: reads are timed from here.
    pub fn start_time(&self) -> Instant {
        self.start
    }

    /// A handle to shut the connection down from another thread.
    pub fn writer(&self) -> io::Result<Writer> {
        self.writer.try_clone()
    }

    /// The socket under it, for its options.
    pub fn tcp(&self) -> &std::net::TcpStream {
        self.writer.tcp()
    }

    /// The next read of the connection: when, and its bytes. `None` once
    /// the connection is over.
    pub fn next_read(&mut self) -> io::Result<Option<(Duration, &[u8])>> {
        loop {
            if self.ended.is_none()
                && let Poll::Ready(ended) = poll_once(&mut self.conn)
            {
                self.ended = Some(ended.map_err(h2_error));
            }
            self.take_body();
            {
                let mut t = lock(&self.tap);
                if t.fresh {
                    t.fresh = false;
                    self.read.clear();
                    self.read.extend_from_slice(&t.bytes);
                    let at = t.at;
                    drop(t);
                    return Ok(Some((at, &self.read)));
                }
                if t.eof {
                    return Ok(None);
                }
            }
            match self.ended.take() {
                Some(Ok(())) => return Ok(None),
                Some(Err(e)) => {
                    self.ended = Some(Ok(()));
                    return Err(e);
                }
                None => {}
            }
        }
    }

    /// Takes the response's data from h2 as it comes and releases its
    /// capacity at once: the inspector never holds a server back.
    fn take_body(&mut self) {
        if let Some(response) = &mut self.response
            && let Poll::Ready(result) = poll_once(response)
        {
            self.response = None;
            // An error is the session's to explain, from the frames.
            self.body = result.ok().map(http::Response::into_body);
        }
        let Some(body) = &mut self.body else { return };
        loop {
            match body.poll_data(&mut Context::from_waker(Waker::noop())) {
                Poll::Ready(Some(Ok(data))) => {
                    let _ = body.flow_control().release_capacity(data.len());
                }
                Poll::Ready(_) => {
                    self.body = None;
                    return;
                }
                Poll::Pending => return,
            }
        }
    }
}

fn lock(tapped: &Mutex<Tapped>) -> std::sync::MutexGuard<'_, Tapped> {
    tapped.lock().unwrap_or_else(PoisonError::into_inner)
}

fn h2_error(e: h2::Error) -> io::Error {
    if e.is_io() {
        return e.into_io().unwrap_or_else(|| io::Error::other("HTTP/2"));
    }
    io::Error::other(format!("HTTP/2: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every frame `bytes` holds, fed `step` bytes at a time.
    fn frames(
        bytes: &[u8],
        step: usize,
    ) -> Result<Vec<(FrameHeader, u64, Vec<u8>)>, Error> {
        let mut reader = FrameReader::default();
        let mut out = Vec::new();
        for piece in bytes.chunks(step) {
            reader.feed(piece, &mut |f| {
                out.push((f.header, f.offset, f.payload.to_vec()))
            })?;
        }
        Ok(out)
    }

    #[test]
    fn reads_frames_cut_anywhere() {
        let mut wire = frame(SETTINGS, 0, 0, &[0, 4, 0, 0, 0xff, 0xff]);
        wire.extend(frame(SETTINGS, ACK, 0, &[]));
        wire.extend(frame(DATA, END_STREAM, 1, b"hello"));
        for step in 1..=wire.len() {
            let got = frames(&wire, step).unwrap();
            assert_eq!(got.len(), 3, "step {step}");
            assert_eq!(
                got[0].0,
                FrameHeader {
                    len: 6,
                    kind: SETTINGS,
                    flags: 0,
                    stream: 0
                }
            );
            assert_eq!((got[1].0.flags, got[1].1), (ACK, 15));
            assert_eq!(
                (got[2].0.stream, got[2].1, &got[2].2[..]),
                (1, 24, &b"hello"[..])
            );
        }
    }

    #[test]
    fn the_first_frame_must_be_settings() {
        let e = frames(b"HTTP/1.1 400 Bad Request\r\n\r\n", 64).unwrap_err();
        assert_eq!((e.offset, e.kind.name()), (0, "h2_preface"));
        assert!(e.kind.to_string().contains("HTTP/1"), "{}", e.kind);
        let e = frames(&frame(DATA, 0, 1, b"x"), 64).unwrap_err();
        assert!(e.kind.to_string().contains("not SETTINGS"), "{}", e.kind);
    }

    #[test]
    fn a_frame_over_the_maximum_is_refused_at_its_header() {
        let mut wire = frame(SETTINGS, 0, 0, &[]);
        wire.extend_from_slice(&[0x00, 0x40, 0x01, DATA, 0, 0, 0, 0, 1]);
        let e = frames(&wire, 64).unwrap_err();
        assert_eq!((e.offset, e.kind.name()), (9, "h2_frame"));
    }

    #[test]
    fn padding_and_priority_come_off() {
        let data = FrameHeader {
            len: 8,
            kind: DATA,
            flags: PADDED,
            stream: 1,
        };
        assert_eq!(unpadded(data, b"\x03abcd\0\0\0"), Ok((1, &b"abcd"[..])));
        let headers = FrameHeader {
            len: 8,
            kind: HEADERS,
            flags: PRIORITY,
            stream: 1,
        };
        assert_eq!(
            unpadded(headers, b"\0\0\0\x03\x10abc"),
            Ok((5, &b"abc"[..]))
        );
        assert!(unpadded(data, b"\x09abcd").is_err());
    }

    #[test]
    fn a_request_loses_its_connection_fields() {
        let http1 = b"POST /x?y HTTP/1.1\r\nHost: h:8443\r\nConnection: close\r\nAccept: */*\r\nContent-Length: 2\r\n\r\nhi";
        let (request, body) = request(http1, "https").unwrap();
        assert_eq!(request.uri(), "https://h:8443/x?y");
        assert!(request.headers().get("connection").is_none());
        assert_eq!(body.as_deref(), Some(&b"hi"[..]));
        assert_eq!(
            String::from_utf8(describe(&request)).unwrap(),
            ":method: POST\r\n:scheme: https\r\n:authority: h:8443\r\n:path: /x?y\r\n\
             accept: */*\r\ncontent-length: 2\r\n\r\n"
        );
    }
}
