//! Lesson 05's `/stream`, served by hyper: the peer that
//! `cargo xtask bench-tokio` measures lesson 05 against.
//!
//! ```console
//! $ cargo run --release -p lesson-05-tokio --example hyper_peer \
//!     [-- --addr HOST:PORT]
//! ```
//!
//! Only the HTTP side differs from lesson 05. The runtime is the same
//! (`#[tokio::main]`, multi-threaded), and so is the way a stream is
//! made: a task per response sends one shared buffer of
//! [`produce::pattern`] per chunk through a channel of [`produce::AHEAD`].
//! hyper parses the requests, frames the chunks and decides when to write:
//! the chunks already waiting in the channel go out in one `writev`.
//!
//! `GET /stream?n=N&size=S` sends `n` chunks of `size` bytes, like lesson
//! 05's (without `every`: the benchmark does not wait between chunks).

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{Either, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::CONTENT_TYPE;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use lesson_05_tokio::produce::{self, AHEAD, MAX_CHUNKS, MAX_SIZE};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

/// The frames a producer task makes, as hyper's body reads them.
type Chunks = StreamBody<ReceiverStream<Result<Frame<Bytes>, Infallible>>>;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = match addr_flag() {
        Ok(addr) => addr,
        Err(why) => {
            eprintln!("error: {why}\nusage: hyper_peer [--addr HOST:PORT]");
            std::process::exit(2);
        }
    };
    let listener = TcpListener::bind(addr).await?;
    // With port 0, the port is only known now; the xtask reads this line.
    println!("hyper peer: lesson 05's /stream on hyper");
    println!("listening on http://{}/", listener.local_addr()?);
    loop {
        // A failed accept (out of file descriptors) ends the peer, where
        // lesson 05 waits and goes on: a benchmark should stop and say so.
        let (stream, _) = listener.accept().await?;
        // A chunk must leave when it is written, as in lesson 05.
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let connection = http1::Builder::new()
                // A head must arrive within a deadline, as lesson 05's
                // must: the timer makes hyper arm one per request too.
                .timer(TokioTimer::new())
                .serve_connection(TokioIo::new(stream), service_fn(respond));
            // A client that leaves mid-stream is an error here; nothing
            // to do about it but drop the connection.
            let _ = connection.await;
        });
    }
}

/// `--addr HOST:PORT`, or `127.0.0.1:0` (a free port) without it.
fn addr_flag() -> Result<SocketAddr, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => Ok(SocketAddr::from(([127, 0, 0, 1], 0))),
        [flag, addr] if flag == "--addr" => {
            addr.parse().map_err(|e| format!("--addr {addr}: {e}"))
        }
        _ => Err(format!("unexpected arguments: {args:?}")),
    }
}

async fn respond(
    request: Request<Incoming>,
) -> Result<Response<Either<Chunks, Full<Bytes>>>, Infallible> {
    let answer = |status, why: &str| {
        let mut response =
            Response::new(Either::Right(Full::from(format!("{why}\n"))));
        *response.status_mut() = status;
        Ok(response)
    };
    if request.uri().path() != "/stream" {
        return answer(StatusCode::NOT_FOUND, "nothing here: try /stream");
    }
    let Some((n, size)) = query(request.uri().query().unwrap_or("")) else {
        return answer(StatusCode::BAD_REQUEST, "/stream?n=N&size=S");
    };
    // The producer, as lesson 05's `Producer` makes `Source::Chunks`: one
    // buffer, a reference-counted clone per chunk, at most AHEAD waiting.
    let (tx, rx) = mpsc::channel(AHEAD);
    tokio::spawn(async move {
        let data = Bytes::from(produce::pattern(size));
        for _ in 0..n {
            // An error means hyper dropped the body: the client left.
            if tx.send(Ok(Frame::data(data.clone()))).await.is_err() {
                return;
            }
        }
    });
    // No Content-Length: hyper sends a body of unknown length chunked.
    let body = StreamBody::new(ReceiverStream::new(rx));
    let mut response = Response::new(Either::Left(body));
    response.headers_mut().insert(
        CONTENT_TYPE,
        "text/plain; charset=utf-8".parse().expect("a valid value"),
    );
    Ok(response)
}

/// `n=10&size=64`, with lesson 05's defaults and limits.
fn query(query: &str) -> Option<(u64, usize)> {
    let (mut n, mut size) = (10, 64);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=')? {
            ("n", value) => n = value.parse().ok()?,
            ("size", value) => size = value.parse().ok()?,
            _ => return None,
        }
    }
    (n <= MAX_CHUNKS && (1..=MAX_SIZE).contains(&size)).then_some((n, size))
}
