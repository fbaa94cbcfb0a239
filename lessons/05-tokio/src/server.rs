//! Lesson 04's server on tokio: a task per connection instead of a thread,
//! so thousands of streams cost thousands of small tasks, not threads.
//!
//! What is new is everything a thread hid:
//! - a client that goes away mid-stream is noticed at once, by reading
//!   while writing, and its producer is stopped ([`stream`]);
//! - a client that reads slowly slows its producer down, and one that
//!   stops reading is cut off after [`Config::send_timeout`];
//! - Ctrl-C stops accepting, lets the streams in flight finish for
//!   [`Config::grace`], and cuts the rest ([`Server::run`]).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use lesson_01_raw_tcp::request::Version;
use lesson_01_raw_tcp::response::{self, Status};
use lesson_01_raw_tcp::server::HEAD_TIMEOUT;
use lesson_03_flusher::writer::Head as ResponseHead;
use lesson_04_http_parse::body::Reader;
use lesson_04_http_parse::framing::{self, Refusal};
use lesson_04_http_parse::head::{self, Head, MAX_HEAD, Scanner};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::task::JoinSet;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

use crate::produce::{Live, MAX_CHUNKS, MAX_SIZE, Producer, Source, Stats};
use crate::writer::{Body, ChunkedWriter};

// ANCHOR: config
/// How the server behaves; [`Config::new`] gives the defaults.
#[derive(Debug, Clone)]
pub struct Config {
    /// Each part of the page waits this long for its data.
    pub pause: Duration,
    /// A request head must arrive whole within this, and so must a body.
    pub head_timeout: Duration,
    /// A chunk that can't be written within this is the last: the client
    /// has stopped reading, and holds memory for nothing.
    pub send_timeout: Duration,
    /// How long streams in flight may go on after Ctrl-C.
    pub grace: Duration,
    /// The most connections served at once. More wait in the kernel's
    /// accept queue, and memory stays bounded however many come.
    pub max_connections: usize,
}

impl Config {
    pub fn new(pause: Duration) -> Config {
        Config {
            pause,
            head_timeout: HEAD_TIMEOUT,
            send_timeout: Duration::from_secs(30),
            grace: Duration::from_secs(5),
            max_connections: 10_000,
        }
    }
}
// ANCHOR_END: config

/// A bound listener, ready to [`run`](Server::run).
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    config: Arc<Config>,
    stats: Arc<Stats>,
}

impl Server {
    pub fn new(listener: TcpListener, config: Config) -> Server {
        Server {
            listener,
            config: Arc::new(config),
            stats: Arc::default(),
        }
    }

    /// Binds `127.0.0.1:0`: for tests and the tour.
    pub async fn bind_any(config: Config) -> io::Result<Server> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        Ok(Server::new(listener, config))
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The live counters, which stay readable while the server runs.
    pub fn stats(&self) -> Arc<Stats> {
        Arc::clone(&self.stats)
    }

    // ANCHOR: run
    /// Serves until `shutdown` completes, then stops accepting, gives the
    /// connections [`Config::grace`] to finish the response in hand, and
    /// cuts whatever is left. Returns how many were cut.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> usize {
        let token = CancellationToken::new();
        let permits = Arc::new(Semaphore::new(self.config.max_connections));
        let mut connections = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            // A permit first: at the limit, stop accepting until a
            // connection ends.
            let permit = tokio::select! {
                permit = Arc::clone(&permits).acquire_owned() => {
                    permit.expect("the semaphore is never closed")
                }
                () = &mut shutdown => break,
            };
            let stream = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    // Out of file descriptors, say: the clients already
                    // connected are still served. Wait, and go on.
                    Err(e) => {
                        eprintln!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                },
                // Reap finished connections as they end.
                Some(_) = connections.join_next() => continue,
                () = &mut shutdown => break,
            };
            let (config, stats) = (self.config.clone(), self.stats.clone());
            let token = token.clone();
            connections.spawn(async move {
                let _live = Live::new(&stats.connections);
                connection(stream, &config, &stats, &token).await;
                drop(permit);
            });
        }
        drop(self.listener); // new clients are refused from now on
        token.cancel();
        let grace = self.config.grace;
        let finished = timeout(grace, async {
            while connections.join_next().await.is_some() {}
        });
        if finished.await.is_ok() {
            return 0;
        }
        // Those that ended as the grace ran out were not cut.
        while connections.try_join_next().is_some() {}
        let cut = connections.len();
        // Aborting a connection drops its producer, which aborts too.
        connections.shutdown().await;
        cut
    }
    // ANCHOR_END: run
}

/// The most ready chunks sent in one write (three slices each, well
/// under the kernel's limit of 1024 per `writev`).
const BATCH: usize = 64;

/// What became of a response.
#[derive(Debug, PartialEq, Eq)]
enum Sent {
    /// All of it: the connection may carry another.
    Whole { close: bool },
    /// Not all: the client left, stopped reading, or a refusal closed it.
    Cut,
}

// ANCHOR: connection
/// Serves requests on one connection until a side closes, or shutdown.
async fn connection(
    mut stream: TcpStream,
    config: &Config,
    stats: &Arc<Stats>,
    shutdown: &CancellationToken,
) {
    // A chunk must leave when it is sent (lesson 02).
    let _ = stream.set_nodelay(true);
    let (mut rd, mut wr) = stream.split();
    // Bytes read but not yet used: a pipelined request waits here.
    let mut buf = Vec::with_capacity(4096);
    loop {
        // Between requests, shutdown closes the connection at once; in
        // the middle of one, it is answered and then closed.
        let head = tokio::select! {
            head = read_head(&mut rd, &mut buf, config.head_timeout) => head,
            () = shutdown.cancelled(), if buf.is_empty() => {
                // A request may have begun meanwhile: answer it, then close.
                if buf.is_empty() {
                    break;
                }
                read_head(&mut rd, &mut buf, config.head_timeout).await
            }
        };
        let sent = match head {
            Ok(Some(head)) => {
                let close = head.wants_close() || shutdown.is_cancelled();
                exchange(
                    &mut rd, &mut wr, &mut buf, &head, close, config, stats,
                )
                .await
            }
            Ok(None) => break,
            Err(refusal) => refuse(&mut wr, &refusal).await,
        };
        if sent != (Sent::Whole { close: false }) {
            break;
        }
    }
    close(&mut rd, &mut wr).await;
}
// ANCHOR_END: connection

/// Reads until a whole head is in `buf` and parses it, or `None` if the
/// client closes or goes quiet before sending one.
async fn read_head(
    rd: &mut (impl AsyncRead + Unpin),
    buf: &mut Vec<u8>,
    limit: Duration,
) -> Result<Option<Head>, Refusal> {
    let mut scanner = Scanner::default();
    // One deadline for the whole head, however it trickles in: slowloris.
    let read = async {
        loop {
            if let Some(len) = scanner.scan(buf)? {
                return Ok::<_, head::Error>(Some(len));
            }
            match rd.read_buf(buf).await {
                Ok(0) | Err(_) => return Ok(None),
                Ok(_) => {}
            }
        }
    };
    let len = match timeout(limit, read).await {
        Ok(Ok(Some(len))) => len,
        Ok(Ok(None)) => return Ok(None),
        Ok(Err(e)) => return Err(Refusal::from(e)),
        Err(_) if buf.is_empty() => return Ok(None),
        Err(_) => {
            return Err(Refusal {
                status: Status::RequestTimeout,
                reason: format!(
                    "the request head did not arrive within {} ms",
                    limit.as_millis()
                )
                .into(),
                close: true,
            });
        }
    };
    let head = head::parse(&buf[..len]);
    buf.drain(..len);
    head.map(Some).map_err(Refusal::from)
}

/// One request, its body read and thrown away, and its answer.
async fn exchange(
    rd: &mut (impl AsyncRead + Unpin),
    wr: &mut (impl AsyncWrite + Unpin),
    buf: &mut Vec<u8>,
    head: &Head,
    close: bool,
    config: &Config,
    stats: &Arc<Stats>,
) -> Sent {
    // Framing first: where this body ends is where the next request
    // starts (lesson 04).
    let body = framing::body(head.version, &head.field_pairs());
    let read = async {
        let mut reader = Reader::new(body?)?;
        loop {
            if let Some(body) = reader.feed(buf)? {
                return Ok(body);
            }
            if rd.read_buf(buf).await.unwrap_or(0) == 0 {
                return Err(reader.eof());
            }
        }
    };
    match timeout(config.head_timeout, read).await {
        Ok(Ok(_body)) => {}
        Ok(Err(refusal)) => return refuse(wr, &refusal).await,
        Err(_) => return Sent::Cut,
    }
    let route = Route::of(head, config);
    respond(rd, wr, buf, head, route, close, config, stats).await
}

/// What a request asks for.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Stream(Source),
    NotAllowed,
    NotFound(String),
    BadQuery(String),
}

impl Route {
    fn of(head: &Head, config: &Config) -> Route {
        let (path, query) =
            head.target.split_once('?').unwrap_or((&head.target, ""));
        let source = match path {
            "/" => Ok(Source::Page {
                pause: config.pause,
            }),
            "/stream" => chunks(query),
            _ => {
                return Route::NotFound(format!(
                    "nothing at {path}: try / or /stream"
                ));
            }
        };
        match (head.method.as_str(), source) {
            ("GET" | "HEAD", Ok(source)) => Route::Stream(source),
            ("GET" | "HEAD", Err(why)) => Route::BadQuery(why),
            _ => Route::NotAllowed,
        }
    }
}

/// `/stream?n=10&size=64&every=0`: `n` chunks of `size` bytes, `every`
/// milliseconds apart. Each is optional.
fn chunks(query: &str) -> Result<Source, String> {
    let (mut n, mut size, mut every) = (10, 64, 0);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{key}={value}: a whole number, please"))
        };
        match key {
            "n" => n = number()?,
            "size" => size = number()?,
            "every" => every = number()?,
            _ => return Err(format!("{key}: /stream takes n, size and every")),
        }
    }
    if n > MAX_CHUNKS || size == 0 || size > MAX_SIZE as u64 {
        return Err(format!(
            "n goes up to {MAX_CHUNKS}, size from 1 to {MAX_SIZE}"
        ));
    }
    Ok(Source::Chunks {
        n,
        size: usize::try_from(size).unwrap_or(MAX_SIZE),
        every: Duration::from_millis(every),
    })
}

#[allow(clippy::too_many_arguments)] // the connection's parts, passed down once
async fn respond(
    rd: &mut (impl AsyncRead + Unpin),
    wr: &mut (impl AsyncWrite + Unpin),
    buf: &mut Vec<u8>,
    head: &Head,
    route: Route,
    close: bool,
    config: &Config,
    stats: &Arc<Stats>,
) -> Sent {
    let (status, fields, why) = match route {
        Route::Stream(source) => {
            let http10 = head.version == Version::Http10;
            let mut response = ResponseHead::new(Status::Ok).field(
                "Content-Type",
                match source {
                    Source::Page { .. } => "text/html; charset=utf-8",
                    Source::Chunks { .. } => "text/plain; charset=utf-8",
                },
            );
            if close || http10 {
                response = response.field("Connection", "close");
            }
            let body = if http10 {
                Body::UntilClose
            } else {
                Body::Chunked
            };
            let writer = ChunkedWriter::new(wr, &response, body);
            if head.method == "HEAD" {
                // The head GET would get, and no body (RFC 9110 §9.3.2).
                return match writer.head_only().await {
                    Ok(()) => Sent::Whole {
                        close: close || http10,
                    },
                    Err(_) => Sent::Cut,
                };
            }
            let producer = Producer::spawn(source, Arc::clone(stats));
            return match stream(rd, buf, writer, producer, config).await {
                Sent::Whole { .. } => Sent::Whole {
                    close: close || http10,
                },
                Sent::Cut => Sent::Cut,
            };
        }
        Route::NotAllowed => (
            Status::MethodNotAllowed,
            &[("Allow", "GET, HEAD")][..],
            format!("{} is not allowed here: GET or HEAD", head.method),
        ),
        Route::NotFound(why) => (Status::NotFound, &[][..], why),
        Route::BadQuery(why) => (Status::BadRequest, &[][..], why),
    };
    let mut answer = Vec::new();
    let _ = response::write_plain(&mut answer, status, fields, &why, close);
    match wr.write_all(&answer).await {
        Ok(()) => Sent::Whole { close },
        Err(_) => Sent::Cut,
    }
}

// ANCHOR: stream
/// Writes the producer's chunks as they come, while watching the client.
///
/// Both waits (for the next chunk, and for the socket to take it) race
/// [`client_gone`]: a client that leaves is seen at once, not at the next
/// write, and returning drops the producer, which stops it.
async fn stream<W: AsyncWrite + Unpin>(
    rd: &mut (impl AsyncRead + Unpin),
    buf: &mut Vec<u8>,
    mut writer: ChunkedWriter<W>,
    mut producer: Producer,
    config: &Config,
) -> Sent {
    let mut ready = Vec::with_capacity(BATCH);
    let mut more = true;
    while more {
        let next = tokio::select! {
            next = producer.next() => next,
            () = client_gone(rd, buf) => return Sent::Cut,
        };
        more = next.is_some();
        ready.extend(next);
        // Chunks made meanwhile go out in the same write, and so does the
        // end, if it has come: fewer system calls, and no chunk waits.
        while more && ready.len() < BATCH {
            match producer.try_next() {
                Ok(chunk) => ready.push(chunk),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => more = false,
            }
        }
        // The send waits while the client's socket is full: backpressure.
        let send = timeout(config.send_timeout, writer.send_all(&ready, !more));
        tokio::select! {
            sent = send => match sent {
                Ok(Ok(())) => ready.clear(),
                // Gone (reset, broken pipe) or stuck: stop either way.
                Ok(Err(_)) | Err(_) => return Sent::Cut,
            },
            () = client_gone(rd, buf) => return Sent::Cut,
        }
    }
    Sent::Whole { close: false }
}

/// Completes when the client has closed its side or reset the
/// connection. Bytes it sends meanwhile (a pipelined request) are kept in
/// `buf`, up to a head's worth; after that it stops reading, and a client
/// that leaves is seen by the next write instead.
async fn client_gone(rd: &mut (impl AsyncRead + Unpin), buf: &mut Vec<u8>) {
    while buf.len() <= MAX_HEAD {
        buf.reserve(1024);
        // `read_buf` is cancel-safe: when the other branch wins, nothing
        // that was read is lost.
        match rd.read_buf(buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
    std::future::pending().await
}
// ANCHOR_END: stream

/// Answers a request that can't be served, and says whether to go on.
async fn refuse(wr: &mut (impl AsyncWrite + Unpin), refusal: &Refusal) -> Sent {
    let mut answer = Vec::new();
    let _ = response::write_plain(
        &mut answer,
        refusal.status,
        &[],
        &refusal.reason,
        refusal.close,
    );
    match wr.write_all(&answer).await {
        Ok(()) if !refusal.close => Sent::Whole { close: false },
        _ => Sent::Cut,
    }
}

/// Lesson 01's lingering close, async: our FIN first, then what the
/// client still sends is read and dropped for a moment, so that a reset
/// can't destroy the answer before the client has read it.
async fn close(
    rd: &mut (impl AsyncRead + Unpin),
    wr: &mut (impl AsyncWrite + Unpin),
) {
    let _ = wr.shutdown().await;
    let drain = async {
        let mut sink = [0; 4096];
        let mut drained = 0;
        while drained < 64 * 1024 {
            match rd.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n,
            }
        }
    };
    let _ = timeout(Duration::from_secs(1), drain).await;
}
