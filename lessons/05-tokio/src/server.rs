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

use bytes::Bytes;
use lesson_01_raw_tcp::request::Version;
use lesson_01_raw_tcp::response::{self, Status};
use lesson_01_raw_tcp::server::HEAD_TIMEOUT;
use lesson_03_flusher::writer::{Framing, Head as ResponseHead};
use lesson_04_http_parse::body::Reader;
use lesson_04_http_parse::framing::{self, Refusal};
use lesson_04_http_parse::head::{self, CONTINUE, Head, MAX_HEAD, Scanner};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::task::JoinSet;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

use crate::produce::{Live, Producer, Stats};
use crate::site::{Answer, Demo, Fields, Site, Takeover, Upgraded};
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
    shared: Arc<Shared>,
}

/// What every connection of a server shares.
struct Shared {
    config: Config,
    stats: Arc<Stats>,
    site: Box<dyn Site>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Lesson 05's own routes ([`Demo`]), with the page's pause from
    /// `config`.
    pub fn new(listener: TcpListener, config: Config) -> Server {
        let demo = Demo {
            pause: config.pause,
        };
        Server::with_site(listener, config, demo)
    }

    /// A server for `site`: how lessons 06 to 08 serve their pages.
    pub fn with_site(
        listener: TcpListener,
        config: Config,
        site: impl Site,
    ) -> Server {
        let shared = Shared {
            config,
            stats: Arc::default(),
            site: Box::new(site),
        };
        Server {
            listener,
            shared: Arc::new(shared),
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
        Arc::clone(&self.shared.stats)
    }

    // ANCHOR: run
    /// Serves until `shutdown` completes, then stops accepting, gives the
    /// connections [`Config::grace`] to finish the response in hand, and
    /// cuts whatever is left. Returns how many were cut.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> usize {
        let token = CancellationToken::new();
        let permits =
            Arc::new(Semaphore::new(self.shared.config.max_connections));
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
            let shared = Arc::clone(&self.shared);
            let token = token.clone();
            connections.spawn(async move {
                let _live = Live::new(&shared.stats.connections);
                connection(stream, &shared, &token).await;
                drop(permit);
            });
        }
        drop(self.listener); // new clients are refused from now on
        token.cancel();
        let grace = self.shared.config.grace;
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
#[derive(Debug)]
enum Sent {
    /// All of it: the connection may carry another.
    Whole { close: bool },
    /// Not all: the client left, stopped reading, or a refusal closed it.
    Cut,
    /// `101 Switching Protocols`: the connection is the site's now.
    Upgrade(Takeover),
}

// ANCHOR: connection
/// Serves requests on one connection until a side closes, or shutdown.
async fn connection(
    mut stream: TcpStream,
    shared: &Shared,
    shutdown: &CancellationToken,
) {
    let config = &shared.config;
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
                exchange(&mut rd, &mut wr, &mut buf, &head, close, shared).await
            }
            Ok(None) => break,
            Err(refusal) => refuse(&mut wr, &refusal).await,
        };
        // ANCHOR: handover
        match sent {
            Sent::Whole { close: false } => {}
            Sent::Whole { close: true } | Sent::Cut => break,
            Sent::Upgrade(Takeover(take)) => {
                let upgraded = Upgraded {
                    stream,
                    early: buf,
                    shutdown: shutdown.clone(),
                };
                return take(upgraded).await;
            }
        }
        // ANCHOR_END: handover
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
            return Err(Refusal::too_slow(limit));
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
    shared: &Shared,
) -> Sent {
    // Framing first: where this body ends is where the next request
    // starts (lesson 04).
    let framed = framing::body(head.version, &head.field_pairs())
        .and_then(|body| Ok((body, Reader::new(body)?)));
    // A refusal the head decides (a body over the limit, say) goes out
    // at once, and before any `100 Continue`, which would ask for it.
    let (body, mut reader) = match framed {
        Ok(framed) => framed,
        Err(refusal) => return refuse(wr, &refusal).await,
    };
    // RFC 9110 §10.1.1: "the origin server MUST NOT wait for the content
    // before sending the 100 (Continue) response": a client that expects
    // it may hold its body back until then. Nothing buffers `wr`, so the
    // write is the send.
    if head.expects_continue() && body.follows() {
        let sent = timeout(shared.config.send_timeout, wr.write_all(CONTINUE));
        if !matches!(sent.await, Ok(Ok(()))) {
            return Sent::Cut;
        }
    }
    let read = async {
        loop {
            if let Some(body) = reader.feed(buf)? {
                return Ok(body);
            }
            if rd.read_buf(buf).await.unwrap_or(0) == 0 {
                return Err(reader.eof());
            }
        }
    };
    match timeout(shared.config.head_timeout, read).await {
        Ok(Ok(_body)) => {}
        Ok(Err(refusal)) => return refuse(wr, &refusal).await,
        Err(_) => return Sent::Cut,
    }
    respond(rd, wr, buf, head, close, shared).await
}

// ANCHOR: respond
/// Sends the site's answer, with the HTTP around it: the framing for the
/// client's version, `Connection: close` when the connection ends after
/// it, and no body for HEAD.
async fn respond(
    rd: &mut (impl AsyncRead + Unpin),
    wr: &mut (impl AsyncWrite + Unpin),
    buf: &mut Vec<u8>,
    head: &Head,
    close: bool,
    shared: &Shared,
) -> Sent {
    // ANCHOR: upgrade
    let (content_type, fields, make, whole) = match shared.site.answer(head) {
        Answer::Stream {
            content_type,
            fields,
            make,
        } => (content_type, fields, make, false),
        Answer::Whole {
            content_type,
            fields,
            make,
        } => (content_type, fields, make, true),
        Answer::Plain {
            status,
            fields,
            why,
        } => {
            let fields: Vec<(&str, &str)> =
                fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
            return plain(wr, status, &fields, &why, close).await;
        }
        Answer::Upgrade { fields, take } => {
            let response = ResponseHead::new(Status::SwitchingProtocols);
            let head = with_fields(response, &fields).encode(Framing::Close);
            return match wr.write_all(&head).await {
                Ok(()) => Sent::Upgrade(take),
                Err(_) => Sent::Cut,
            };
        }
    };
    // ANCHOR_END: upgrade
    // HTTP/1.0 has no chunks: a stream to it ends with the close.
    let http10 = head.version == Version::Http10;
    let close = close || (http10 && !whole);
    let response =
        ResponseHead::new(Status::Ok).field("Content-Type", content_type);
    let mut response = with_fields(response, &fields);
    if close {
        response = response.field("Connection", "close");
    }
    let body = if whole || http10 {
        Body::UntilClose
    } else {
        Body::Chunked
    };
    if head.method == "HEAD" {
        // The head GET would get, and no body (RFC 9110 §9.3.2). A whole
        // body's length is not known without making it: a HEAD answer
        // may leave Content-Length out (RFC 9110 §8.6).
        let writer = ChunkedWriter::new(wr, &response, body);
        return match writer.head_only().await {
            Ok(()) => Sent::Whole { close },
            Err(_) => Sent::Cut,
        };
    }
    let mut producer = Producer::spawn(Arc::clone(&shared.stats), make);
    let sent = if whole {
        // Nothing is sent until the body is whole: its length goes first.
        let body = tokio::select! {
            body = producer.next() => body.unwrap_or_default(),
            () = client_gone(rd, buf) => return Sent::Cut,
        };
        let mut writer =
            ChunkedWriter::new(wr, &response, Body::Length(body.len()));
        send(rd, buf, &mut writer, &[body], true, &shared.config).await
    } else {
        let writer = ChunkedWriter::new(wr, &response, body);
        stream(rd, buf, writer, producer, &shared.config).await
    };
    match sent {
        Sent::Whole { .. } => Sent::Whole { close },
        other => other,
    }
}
// ANCHOR_END: respond

/// `head`, with the fields an answer added.
fn with_fields(head: ResponseHead, fields: &Fields) -> ResponseHead {
    fields
        .iter()
        .fold(head, |head, (name, value)| head.field(name, value))
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
        if let Sent::Cut =
            send(rd, buf, &mut writer, &ready, !more, config).await
        {
            return Sent::Cut;
        }
        ready.clear();
    }
    Sent::Whole { close: false }
}

/// Sends `ready` (and the end, if `end`), watching the client meanwhile.
/// The send waits while the client's socket is full: backpressure.
async fn send<W: AsyncWrite + Unpin>(
    rd: &mut (impl AsyncRead + Unpin),
    buf: &mut Vec<u8>,
    writer: &mut ChunkedWriter<W>,
    ready: &[Bytes],
    end: bool,
    config: &Config,
) -> Sent {
    let send = timeout(config.send_timeout, writer.send_all(ready, end));
    tokio::select! {
        sent = send => match sent {
            Ok(Ok(())) => Sent::Whole { close: false },
            // Gone (reset, broken pipe) or stuck: stop either way.
            Ok(Err(_)) | Err(_) => Sent::Cut,
        },
        () = client_gone(rd, buf) => Sent::Cut,
    }
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
    plain(wr, refusal.status, &[], &refusal.reason, refusal.close).await
}

/// A plain-text answer (lesson 01's `write_plain`), on an async socket.
async fn plain(
    wr: &mut (impl AsyncWrite + Unpin),
    status: Status,
    fields: &[(&str, &str)],
    why: &str,
    close: bool,
) -> Sent {
    let mut answer = Vec::new();
    let _ = response::write_plain(&mut answer, status, fields, why, close);
    match wr.write_all(&answer).await {
        Ok(()) => Sent::Whole { close },
        Err(_) => Sent::Cut,
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
