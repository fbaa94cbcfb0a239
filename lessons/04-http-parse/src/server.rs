//! One connection, many requests: read a head, frame and read its body,
//! answer, and go round again until either side says close.
//!
//! A thread per connection, as in lessons 01-03: a kept-alive connection
//! holds its thread while idle, which is fine for a lesson and is what
//! lesson 05's tokio tasks fix. Idle connections are closed after
//! [`HEAD_TIMEOUT`] without a request, so they can't pile up for ever,
//! and a client that stops reading is cut after [`SEND_TIMEOUT`].

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use lesson_01_raw_tcp::page;
use lesson_01_raw_tcp::request::Version;
use lesson_01_raw_tcp::response::{self, Status};
use lesson_01_raw_tcp::server::{HEAD_TIMEOUT, close, is_timeout};
use lesson_03_flusher::writer::{ChunkedWriter, Framing, Head as ResponseHead};

use crate::body;
use crate::framing::{self, Refusal};
use crate::head::{self, Head, Scanner};

/// How long one write may wait for a client that does not read, as
/// lesson 05's `Config::send_timeout`.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves requests on `stream` until one side closes: what
/// `server::serve_connections` runs for each connection.
pub fn connection(stream: TcpStream, pause: Duration) {
    connection_with_timeout(stream, pause, HEAD_TIMEOUT);
}

/// [`connection`], where each head (or the next request on an idle
/// connection) must arrive whole within `head_timeout`.
pub fn connection_with_timeout(
    stream: TcpStream,
    pause: Duration,
    head_timeout: Duration,
) {
    connection_with_timeouts(stream, pause, head_timeout, SEND_TIMEOUT);
}

// ANCHOR: connection
/// [`connection_with_timeout`], where each write must be taken by the
/// client within `send_timeout`.
pub fn connection_with_timeouts(
    mut stream: TcpStream,
    pause: Duration,
    head_timeout: Duration,
    send_timeout: Duration,
) {
    // A chunk must leave when it is flushed (lesson 02).
    let _ = stream.set_nodelay(true);
    // A client that pipelines requests and never reads fills the socket's
    // buffers, and then a write waits for ever, holding this thread. A
    // write the client doesn't take within `send_timeout` fails instead,
    // and the connection is closed.
    let _ = stream.set_write_timeout(Some(send_timeout));
    // Bytes read but not yet used: a pipelined request sits here.
    let mut buf = Vec::new();
    while let Ok(Next::KeepAlive) =
        exchange(&mut stream, &mut buf, pause, head_timeout)
    {}
    close(stream);
}
// ANCHOR_END: connection

/// What happens after a response.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    KeepAlive,
    Close,
}

// ANCHOR: exchange
/// One request and its answer.
fn exchange(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    pause: Duration,
    head_timeout: Duration,
) -> io::Result<Next> {
    let head = match read_head(stream, buf, head_timeout)? {
        Ok(Some(head)) => head,
        // The client closed, or went quiet, between requests.
        Ok(None) => return Ok(Next::Close),
        Err(refusal) => return refuse(stream, &refusal),
    };
    // Where the body ends decides where the next request starts.
    let framing = match framing::body(head.version, &head.field_pairs()) {
        Ok(framing) => framing,
        Err(refusal) => return refuse(stream, &refusal),
    };
    // A body over the limit is refused from its head alone: at once,
    // and before any `100 Continue`, which would ask for it.
    let reader = match body::Reader::new(framing) {
        Ok(reader) => reader,
        Err(refusal) => return refuse(stream, &refusal),
    };
    // RFC 9110 §10.1.1: a client that sent `Expect: 100-continue` may
    // hold its body back until told to go on, and "the origin server
    // MUST NOT wait for the content before sending the 100 (Continue)
    // response". The stream is unbuffered: this write is the send.
    if head.expects_continue() && framing.follows() {
        stream.write_all(head::CONTINUE)?;
    }
    // This server's routes take no body, but it must still be read, or
    // its bytes would be taken for the next request. The whole body gets
    // as long as a head: a client that trickles it is cut off too.
    let mut body_stream = Deadline::after(head_timeout, stream);
    if let Err(refusal) = body::read(reader, buf, &mut body_stream)? {
        return refuse(stream, &refusal);
    }
    let close = head.wants_close();
    respond(stream, &head, close, pause)?;
    Ok(if close { Next::Close } else { Next::KeepAlive })
}
// ANCHOR_END: exchange

// ANCHOR: read_head
/// Reads until a whole head is in `buf`, and takes it out. `None` if the
/// client closed or timed out before starting one.
fn read_head(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    timeout: Duration,
) -> io::Result<Result<Option<Head>, Refusal>> {
    // Slowloris sends a byte just before each read would time out, so a
    // timeout per read never fires: the whole head has one deadline.
    let mut stream = Deadline::after(timeout, stream);
    let mut scanner = Scanner::default();
    let len = loop {
        match scanner.scan(buf) {
            Ok(Some(len)) => break len,
            Ok(None) => {}
            Err(e) => return Ok(Err(e.into())),
        }
        match body::fill(buf, &mut stream) {
            Ok(0) => return Ok(Ok(None)),
            Ok(_) => {}
            // Idle between requests: close quietly. Halfway through a
            // head: say why.
            Err(e) if is_timeout(&e) && buf.is_empty() => return Ok(Ok(None)),
            Err(e) if is_timeout(&e) => {
                return Ok(Err(Refusal::too_slow(timeout)));
            }
            Err(e) => return Err(e),
        }
    };
    let parsed = head::parse(&buf[..len]);
    buf.drain(..len);
    Ok(parsed.map(Some).map_err(Refusal::from))
}
// ANCHOR_END: read_head

// ANCHOR: respond
/// The routes: `GET` and `HEAD` of `/`.
fn respond(
    stream: &mut TcpStream,
    head: &Head,
    close: bool,
    pause: Duration,
) -> io::Result<()> {
    let target = head.target.split('?').next().unwrap_or_default();
    match (head.method.as_str(), target) {
        ("GET", "/") if head.version == Version::Http10 => {
            // No chunks for HTTP/1.0 (RFC 9112 §6.1): the whole page, with
            // Content-Length, and a close.
            response::write_page(stream, pause)
        }
        ("GET", "/") => write_page(stream, pause, close),
        ("HEAD", "/") => write_page_head(stream, head.version, close),
        (_, "/") => response::write_plain(
            stream,
            Status::MethodNotAllowed,
            &[("Allow", "GET, HEAD")],
            &format!(
                "{} is not allowed here: / takes GET and HEAD",
                head.method
            ),
            close,
        ),
        _ => response::write_plain(
            stream,
            Status::NotFound,
            &[],
            &format!("nothing at {target}: try /"),
            close,
        ),
    }
}
// ANCHOR_END: respond

fn page_head(close: bool) -> ResponseHead {
    let head = ResponseHead::new(Status::Ok)
        .field("Content-Type", "text/html; charset=utf-8");
    if close {
        head.field("Connection", "close")
    } else {
        head
    }
}

/// The page, a chunk per part, ended by the last-chunk: that zero chunk is
/// what tells the client the response is over while the connection stays
/// open for the next one.
fn write_page(
    stream: &mut TcpStream,
    pause: Duration,
    close: bool,
) -> io::Result<()> {
    let mut w = ChunkedWriter::new(stream, page_head(close));
    page::render(pause, |part| {
        w.write_all(part.as_bytes())?;
        // Flush on purpose: each part goes out as soon as it is ready.
        w.flush()
    })?;
    w.finish()?;
    Ok(())
}

// ANCHOR: write_page_head
/// What GET would send, without the body (RFC 9110 §9.3.2). For HTTP/1.1
/// that says `Transfer-Encoding: chunked`, and no chunk follows: a client
/// that asked with HEAD knows there is no body.
fn write_page_head(
    stream: &mut TcpStream,
    version: Version,
    close: bool,
) -> io::Result<()> {
    let framing = match version {
        Version::Http11 => Framing::Chunked,
        Version::Http10 => Framing::Length(page::html().len()),
    };
    stream.write_all(&page_head(close).encode(framing))
}
// ANCHOR_END: write_page_head

/// Answers a request that can't be served, and closes: after a framing
/// error, nothing more on this connection can be trusted.
fn refuse(stream: &mut impl Write, refusal: &Refusal) -> io::Result<Next> {
    response::write_plain(
        stream,
        refusal.status,
        &[],
        &refusal.reason,
        refusal.close,
    )?;
    Ok(if refusal.close {
        Next::Close
    } else {
        Next::KeepAlive
    })
}

/// A socket whose reads share one deadline: each read may wait only for
/// what is left of it, so no number of small reads can stretch it.
struct Deadline<'a> {
    stream: &'a mut TcpStream,
    at: Instant,
}

impl<'a> Deadline<'a> {
    fn after(timeout: Duration, stream: &'a mut TcpStream) -> Self {
        Deadline {
            stream,
            at: Instant::now() + timeout,
        }
    }
}

impl Read for Deadline<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let left = self.at.saturating_duration_since(Instant::now());
        // A zero timeout means none at all to the socket: never pass it.
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(left))?;
        self.stream.read(out)
    }
}
