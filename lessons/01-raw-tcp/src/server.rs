//! The accept loop: one thread per connection, one request per connection.
//!
//! A thread per connection is the simplest server that works, and fine for a
//! lesson: a few dozen clients at a time. Lesson 05 moves to tokio tasks and
//! serves thousands. Here, a flood of connections is turned away with a 503
//! (see [`MAX_CONNECTIONS`]) rather than allowed to end the server.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::request::{self, Request};
use crate::response::{self, Status};

/// How long a client may take to send its request head. Without a limit, a
/// client that sends one byte a minute holds a thread forever (slowloris).
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// How many connections are served at once, at most: each holds a thread.
///
/// Every thread reserves a stack (2 MiB of address space) and kernel memory,
/// so a flood of connections, even idle ones, would take threads until the
/// OS refuses one. With a limit, the flood costs a known amount of memory
/// and the server says "busy" (503) instead. 256 is far more than the few
/// dozen clients a lesson sees.
pub const MAX_CONNECTIONS: usize = 256;

/// What a lesson does with an accepted `GET` request: write a response on the
/// stream. An error means the stream failed, usually because the client went
/// away; the connection is then dropped.
pub trait Handler:
    Fn(&Request, &mut TcpStream) -> io::Result<()> + Send + Sync + 'static
{
}

impl<F> Handler for F where
    F: Fn(&Request, &mut TcpStream) -> io::Result<()> + Send + Sync + 'static
{
}

/// Binds `addr`, or explains in one line why it can't.
pub fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr).map_err(|e| match e.kind() {
        io::ErrorKind::AddrInUse => format!(
            "cannot listen on {addr}: the address is already in use. \
             Is another lesson still running? Stop it, or pass \
             --addr 127.0.0.1:0 to pick a free port."
        ),
        _ => format!("cannot listen on {addr}: {e}"),
    })
}

/// Accepts connections forever, each on its own thread, where `handler`
/// answers one request.
pub fn serve(listener: TcpListener, handler: impl Handler) {
    serve_connections(listener, move |stream| {
        handle_connection(stream, &handler);
    });
}

/// Accepts connections forever, each on its own thread, and gives each to
/// `connection`. Lesson 04 serves many requests per connection this way.
pub fn serve_connections(
    listener: TcpListener,
    connection: impl Fn(TcpStream) + Send + Sync + 'static,
) {
    serve_at_most(MAX_CONNECTIONS, listener, connection);
}

/// [`serve_connections`], with at most `limit` connections at once. Those
/// beyond it get a 503 and are closed.
fn serve_at_most(
    limit: usize,
    listener: TcpListener,
    connection: impl Fn(TcpStream) + Send + Sync + 'static,
) {
    let connection = Arc::new(connection);
    // The connections being served now. Only this loop adds to the count,
    // so nothing can raise it between the check and the `Slot::take`.
    let live = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(stream) => stream,
            // Accept fails for reasons such as running out of file
            // descriptors. Say so and carry on: the clients already
            // connected are still being served.
            Err(e) => {
                eprintln!("accept failed: {e}");
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        // At the limit, answer at once rather than queue: a queued client
        // would wait, with no word of why, for a thread that an idle client
        // may hold for 10 s. A 503 says "busy, come back".
        if live.load(Ordering::SeqCst) >= limit {
            busy(stream, "the server is busy: too many connections at once");
            continue;
        }
        // A second handle on the same socket, to answer with if no thread
        // starts: a failed spawn drops the stream it was given.
        let spare = stream.try_clone();
        let slot = Slot::take(&live);
        let connection = Arc::clone(&connection);
        // The OS can refuse a thread even below the limit: memory is short,
        // or the process limit is reached. `thread::spawn` would panic then,
        // and a panic here ends the server for every client. The Builder
        // returns the error instead.
        let spawned = thread::Builder::new().spawn(move || {
            let _slot = slot; // given back when the connection ends
            connection(stream);
        });
        if let Err(e) = spawned {
            eprintln!("cannot start a thread for a connection: {e}");
            if let Ok(stream) = spare {
                busy(stream, "the server is busy: it has no thread to spare");
            }
        }
    }
}

/// One connection's place among the `limit`. Its thread holds it; dropping
/// it gives the place back, even if the thread panics.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(live: &Arc<AtomicUsize>) -> Slot {
        live.fetch_add(1, Ordering::SeqCst);
        Slot(Arc::clone(live))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Answers `503 Service Unavailable` from the accept loop itself, and
/// closes. `Retry-After` says when to try again (RFC 9110 §10.2.3):
///
/// ```text
/// Retry-After = HTTP-date / delay-seconds
/// ```
///
/// One second: a place frees up as soon as any connection ends.
fn busy(mut stream: TcpStream, why: &str) {
    // No thread serves this connection, so the accept loop answers it, and
    // must never wait here: every new client waits behind it. Writes and
    // reads fail rather than block. The answer is small and the socket's
    // send buffer empty, so the write goes out whole.
    let _ = stream.set_nonblocking(true);
    let _ = response::write_plain(
        &mut stream,
        Status::ServiceUnavailable,
        &[("Retry-After", "1")],
        why,
        true,
    );
    // Close as `close` does, without its wait: send our FIN, then discard
    // what the client has sent already, so that the close does not reset.
    let _ = stream.shutdown(Shutdown::Write);
    let mut sink = [0; 4096];
    while let Ok(1..) = stream.read(&mut sink) {}
}

/// Binds `127.0.0.1:0` and serves on a background thread. Tests and the tour
/// start lesson servers this way, on a port nobody else is using.
pub fn spawn(handler: impl Handler) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let addr = listener.local_addr()?;
    thread::spawn(move || serve(listener, handler));
    Ok(addr)
}

/// [`spawn`], for a server that takes whole connections.
pub fn spawn_connections(
    connection: impl Fn(TcpStream) + Send + Sync + 'static,
) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let addr = listener.local_addr()?;
    thread::spawn(move || serve_connections(listener, connection));
    Ok(addr)
}

/// Reads one request, answers it, and closes the connection.
fn handle_connection(mut stream: TcpStream, handler: &impl Handler) {
    // A failure here only means this client is gone; there is nobody left to
    // tell, and other connections are unaffected. So errors end the
    // connection quietly.
    let _ = stream.set_read_timeout(Some(HEAD_TIMEOUT));
    let _ = match request::read_request(&mut stream) {
        Ok(req) if req.method == "GET" => handler(&req, &mut stream),
        Ok(req) => response::write_error(
            &mut stream,
            Status::NotImplemented,
            &format!(
                "{} is not implemented here: these lessons serve GET",
                req.method
            ),
        ),
        Err(e) => refuse(&mut stream, e),
    };
    close(stream);
}

/// Answers a request head that could not be read, if anyone is listening.
fn refuse(stream: &mut impl Write, e: request::Error) -> io::Result<()> {
    use request::Error::*;
    let status = match &e {
        Closed => return Ok(()),
        Io(io) if is_timeout(io) => {
            let why = format!(
                "the request head did not arrive within {} s",
                HEAD_TIMEOUT.as_secs()
            );
            return response::write_error(stream, Status::RequestTimeout, &why);
        }
        Io(_) => return Ok(()),
        TooLarge => Status::HeaderFieldsTooLarge,
        Malformed(_) => Status::BadRequest,
        UnsupportedVersion => Status::VersionNotSupported,
    };
    response::write_error(stream, status, &e.to_string())
}

/// Whether a read failed because its timeout passed.
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Closes without losing the response.
///
/// Closing a socket that still has unread bytes from the client makes the
/// kernel send a reset, which can destroy the response before the client
/// reads it. So: send our FIN first, then read and discard what the client
/// still sends, for a moment: the close in stages of RFC 9112 §9.6, often
/// called a "lingering close".
pub fn close(mut stream: TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    // One deadline for the whole drain, not one per read: a client that
    // trickles a byte at a time would otherwise keep it going for ever.
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut sink = [0; 4096];
    let mut drained = 0;
    while drained < 64 * 1024 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::mask_date;

    /// The status line and the reason that `refuse` answers `e` with.
    fn answer(e: request::Error) -> String {
        let mut out = Vec::new();
        refuse(&mut out, e).unwrap();
        if out.is_empty() {
            return String::new();
        }
        let text = String::from_utf8(mask_date(&out)).unwrap();
        let status = text.lines().next().unwrap();
        let reason = text.rsplit("\r\n\r\n").next().unwrap();
        format!("{status} | {}", reason.trim_end())
    }

    #[test]
    fn each_bad_head_gets_its_status_and_reason() {
        use request::Error::*;
        let timeout = io::Error::from(io::ErrorKind::WouldBlock);
        assert_eq!(
            answer(Io(timeout)),
            "HTTP/1.1 408 Request Timeout | \
             the request head did not arrive within 10 s"
        );
        assert_eq!(
            answer(TooLarge),
            "HTTP/1.1 431 Request Header Fields Too Large | \
             the request head is larger than 8192 bytes"
        );
        assert_eq!(
            answer(Malformed("the method is not a token")),
            "HTTP/1.1 400 Bad Request | the method is not a token"
        );
        assert_eq!(
            answer(UnsupportedVersion),
            "HTTP/1.1 505 HTTP Version Not Supported | \
             only HTTP/1.0 and HTTP/1.1 are supported"
        );
    }

    /// Starts `serve` with a `limit`; each connection answers one `GET`
    /// with "200 served".
    fn spawn_at_most(limit: usize) -> SocketAddr {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let handler = |_: &Request, stream: &mut TcpStream| {
            response::write_error(stream, Status::Ok, "served")
        };
        thread::spawn(move || {
            serve_at_most(limit, listener, move |stream| {
                handle_connection(stream, &handler);
            })
        });
        addr
    }

    /// Sends `GET /` on `stream` and returns the status line and the
    /// `Retry-After` field, if any.
    fn get(mut stream: TcpStream) -> String {
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            .unwrap();
        let mut out = Vec::new();
        // A refused connection may be reset after its answer: keep the
        // bytes that came first.
        let _ = stream.read_to_end(&mut out);
        let text = String::from_utf8_lossy(&out);
        text.lines()
            .filter(|l| l.starts_with("HTTP/1.1") || l.starts_with("Retry"))
            .collect::<Vec<_>>()
            .join(" | ")
    }

    #[test]
    fn at_the_limit_a_connection_is_told_to_retry_then_served() {
        let addr = spawn_at_most(1);
        // The first connection takes the only place and keeps it while it
        // sends nothing. Connections are accepted in order, so the second
        // one finds the limit reached.
        let idle = TcpStream::connect(addr).unwrap();
        let second = TcpStream::connect(addr).unwrap();
        assert_eq!(
            get(second),
            "HTTP/1.1 503 Service Unavailable | Retry-After: 1"
        );

        // Once the idle one leaves, its thread ends and gives the place
        // back, soon but not at once: retry, as Retry-After asks.
        drop(idle);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let answer = get(TcpStream::connect(addr).unwrap());
            if answer == "HTTP/1.1 200 OK" {
                break;
            }
            assert!(Instant::now() < deadline, "never served: {answer}");
            thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn nobody_is_answered_when_the_client_is_gone() {
        use request::Error::*;
        assert_eq!(answer(Closed), "");
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(answer(Io(reset)), "");
    }
}
