//! The accept loop: one thread per connection, one request per connection.
//!
//! A thread per connection is the simplest server that works, and fine for a
//! lesson: a few dozen clients at a time. Lesson 05 moves to tokio tasks and
//! serves thousands.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::request::{self, Request};
use crate::response::{self, Status};

/// How long a client may take to send its request head. Without a limit, a
/// client that sends one byte a minute holds a thread forever (slowloris).
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

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
    let connection = Arc::new(connection);
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                let connection = Arc::clone(&connection);
                thread::spawn(move || connection(stream));
            }
            // Accept fails for reasons such as running out of file
            // descriptors. Say so and carry on: the clients already
            // connected are still being served.
            Err(e) => {
                eprintln!("accept failed: {e}");
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
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

    #[test]
    fn nobody_is_answered_when_the_client_is_gone() {
        use request::Error::*;
        assert_eq!(answer(Closed), "");
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(answer(Io(reset)), "");
    }
}
