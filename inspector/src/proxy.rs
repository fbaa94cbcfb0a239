//! `inspector proxy --listen ADDR --to URL`: a reverse proxy that records
//! as it forwards. Put it between a browser and a server, and every
//! exchange on every connection goes through a [`Session`], as
//! `inspector URL`'s one does.
//!
//! Forwarding comes first: every byte goes on the moment it arrives, both
//! ways, with `TCP_NODELAY` on both sides, and nothing is changed (but a
//! `Via` field on requests with `--via`). The chunks the origin sent, size
//! lines and all, reach the client as they were. Recording only watches:
//! each response's bytes go to the session of the request they answer
//! once they are on their way to the client.
//!
//! A connection is two threads: one forwards the client's bytes and finds
//! the requests in them; the other forwards the server's and decodes each
//! response, in order, which is how HTTP/1.1 pairs them (pipelining
//! included).

use std::collections::VecDeque;
use std::io::{self, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::capture::READ_BUFFER;
use crate::decode::{Decoder, Status};
use crate::session::{Record, Session, millis};
use crate::target::Target;
use crate::transport::{self, Stream, Writer};

/// The longest request head the proxy reads, as lesson 04's servers do:
/// past it the client gets a `431`.
pub const MAX_HEAD: usize = 64 * 1024;

/// What the proxy tells its views.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum News {
    /// A request was forwarded: the `request` record.
    Request(RequestRecord),
    /// A record of exchange `exchange`'s response.
    Record { exchange: u64, record: Record },
    /// Bytes of exchange `exchange`'s response as they came, `at` after
    /// its request went: for a view that decodes them itself, as the TUI
    /// does. Only from [`start_with_reads`]; never a `--json` line.
    #[serde(skip)]
    Read {
        exchange: u64,
        at: Duration,
        bytes: Vec<u8>,
    },
    /// The server closed the connection `at` after exchange `exchange`'s
    /// request went, before its response was over (or as its end, when
    /// the close frames it). Only from [`start_with_reads`].
    #[serde(skip)]
    Closed { exchange: u64, at: Duration },
}

/// A request as the proxy forwarded it: the `request` record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestRecord {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub exchange: u64,
    /// The connection it came on: exchanges on one share it, in order.
    pub connection: u64,
    /// Since the proxy started: exchanges' own times start at 0.
    pub at_ms: f64,
    pub method: String,
    pub target: String,
    pub headers: Vec<[String; 2]>,
    /// The head's size in bytes.
    pub bytes: usize,
    /// Its version, `HTTP/1.1`, and the wall clock when it went on, for
    /// `--har`: not fields of the record.
    #[serde(skip)]
    pub version: String,
    #[serde(skip)]
    pub written: SystemTime,
    /// The head as the client sent it, for a view that decodes the
    /// response itself: its method and fields say how.
    #[serde(skip)]
    pub head: Vec<u8>,
}

/// Where to listen and where to forward.
#[derive(Debug, Clone)]
pub struct Options {
    pub listen: String,
    pub to: Target,
    pub transport: transport::Options,
    /// Add `Via: 1.1 flusher-inspector` to each request forwarded.
    pub via: bool,
    pub max_data: usize,
}

/// A running proxy: where it listens, and the news of what it forwards.
#[derive(Debug)]
pub struct Proxy {
    pub addr: std::net::SocketAddr,
    pub news: mpsc::Receiver<News>,
}

/// Starts the proxy: it listens at once, and serves on threads of its
/// own until the process ends.
pub fn start(options: Options) -> io::Result<Proxy> {
    serve(options, false)
}

/// [`start`], with news of every read of each response too
/// ([`News::Read`], [`News::Closed`]): what the TUI feeds its own
/// exchanges, as `inspector URL` does. The headless views do without
/// the copies.
pub fn start_with_reads(options: Options) -> io::Result<Proxy> {
    serve(options, true)
}

fn serve(options: Options, reads: bool) -> io::Result<Proxy> {
    let listener = TcpListener::bind(&options.listen).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot listen on {}: {e}", options.listen),
        )
    })?;
    let addr = listener.local_addr()?;
    let (tx, news) = mpsc::channel();
    let shared = Arc::new(Shared {
        options,
        reads,
        began: Instant::now(),
        exchanges: AtomicU64::new(0),
        connections: AtomicU64::new(0),
    });
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let (shared, tx) = (Arc::clone(&shared), tx.clone());
            thread::spawn(move || connection(client, &shared, tx));
        }
    });
    Ok(Proxy { addr, news })
}

/// What every connection's threads share.
#[derive(Debug)]
struct Shared {
    options: Options,
    /// Whether to send [`News::Read`] and [`News::Closed`].
    reads: bool,
    began: Instant,
    exchanges: AtomicU64,
    connections: AtomicU64,
}

/// A request forwarded and not yet answered: the response side's queue.
#[derive(Debug)]
struct Pending {
    exchange: u64,
    /// Its head as sent, for the session: its method, a WebSocket key.
    head: Vec<u8>,
    /// When its head was on its way to the server: the exchange's 0.
    sent: Instant,
}

type Queue = Arc<Mutex<VecDeque<Pending>>>;

/// One client connection, to its end.
fn connection(client: TcpStream, shared: &Shared, news: mpsc::Sender<News>) {
    let _ = client.set_nodelay(true);
    let id = shared.connections.fetch_add(1, Ordering::Relaxed) + 1;
    let options = &shared.options;
    let to = &options.to;
    let server =
        transport::connect(&to.authority(), to.tls, &options.transport);
    let (server, _) = match server {
        Ok(connected) => connected,
        Err(e) => {
            // One line a browser shows, and the reason.
            let why = format!("the proxy cannot reach {}: {e}", to.authority());
            let _ = refuse(&client, 502, "Bad Gateway", &why);
            return;
        }
    };
    let (Ok(mut to_server), Ok(to_client)) =
        (server.writer(), client.try_clone())
    else {
        return;
    };
    let queue: Queue = Arc::default();
    thread::scope(|scope| {
        scope.spawn(|| {
            let mut client = client;
            forward_requests(
                &mut client,
                &mut to_server,
                shared,
                id,
                &queue,
                &news,
            );
            // The client has gone: so does the server's connection, which
            // ends the other thread's read.
            let _ = to_server.shutdown();
        });
        forward_responses(server, to_client, &queue, shared, &news);
    });
}

/// Forwards the client's bytes to the server as they come, and tells
/// the response side of each request in them, before the server can
/// answer it.
fn forward_requests(
    client: &mut TcpStream,
    server: &mut Writer,
    shared: &Shared,
    connection: u64,
    queue: &Queue,
    news: &mpsc::Sender<News>,
) {
    let mut requests = Requests::new(shared.options.via);
    let mut buf = vec![0; READ_BUFFER];
    loop {
        let n = match client.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let heads = match requests.feed(&buf[..n]) {
            Ok(heads) => heads,
            Err((status, reason, why)) => {
                let _ = refuse(client, status, reason, why);
                return;
            }
        };
        for head in heads {
            let exchange = shared.exchanges.fetch_add(1, Ordering::Relaxed) + 1;
            let at = shared.began.elapsed();
            let record = match shared.reads {
                true => {
                    RequestRecord::with_head(&head, exchange, connection, at)
                }
                false => request_record(&head, exchange, connection, at),
            };
            let _ = news.send(News::Request(record));
            lock(queue).push_back(Pending {
                exchange,
                head,
                sent: Instant::now(),
            });
        }
        // Without --via every byte goes on as it came; with it, the heads
        // go on whole, each with the field added.
        let forward = match requests.take_via() {
            Some(bytes) => server.write_all(&bytes),
            None => server.write_all(&buf[..n]),
        };
        if forward.is_err() {
            return;
        }
    }
}

/// An exchange whose response is being read.
struct Answering {
    exchange: u64,
    session: Session,
    sent: Instant,
}

/// Forwards the server's bytes to the client as they come, and decodes
/// them as the responses to the requests in `queue`, in order.
fn forward_responses(
    mut server: Stream,
    mut client: TcpStream,
    queue: &Queue,
    shared: &Shared,
    news: &mpsc::Sender<News>,
) {
    let next = || {
        lock(queue).pop_front().map(|p| Answering {
            exchange: p.exchange,
            session: Session::for_request(&p.head, shared.options.max_data),
            sent: p.sent,
        })
    };
    let mut current: Option<Answering> = None;
    let mut buf = vec![0; READ_BUFFER];
    // A read error ends the connection as the server's close does.
    while let Ok(n @ 1..) = server.read(&mut buf) {
        let arrived = Instant::now();
        if client.write_all(&buf[..n]).is_err() {
            break;
        }
        let mut bytes = &buf[..n];
        while !bytes.is_empty() {
            // Bytes with no request to answer are not judged.
            let Some(x) = current.take().or_else(next) else {
                break;
            };
            let mut x = x;
            let at = arrived.saturating_duration_since(x.sent);
            let used = x.session.read(at, bytes, &mut tell(news, x.exchange));
            if shared.reads {
                let (exchange, bytes) = (x.exchange, bytes[..used].to_vec());
                let _ = news.send(News::Read {
                    exchange,
                    at,
                    bytes,
                });
            }
            bytes = &bytes[used..];
            // A WebSocket's frames are the client's and the server's to
            // answer: what the session would send is dropped.
            let _ = x.session.outgoing();
            if !x.session.is_done() {
                current = Some(x);
            }
        }
    }
    // The server closed: the end of a response that ends so, or an
    // error for each one still owed.
    let ended = Instant::now();
    while let Some(mut x) = current.take().or_else(next) {
        let at = ended.saturating_duration_since(x.sent);
        x.session.eof(at, &mut tell(news, x.exchange));
        if shared.reads {
            let _ = news.send(News::Closed {
                exchange: x.exchange,
                at,
            });
        }
    }
    let _ = client.shutdown(std::net::Shutdown::Write);
}

/// Sends a session's records on as exchange `exchange`'s.
fn tell(news: &mpsc::Sender<News>, exchange: u64) -> impl FnMut(Record) {
    move |record| {
        let _ = news.send(News::Record { exchange, record });
    }
}

/// Answers the client directly, and closes: RFC 9112 §9.6's way to say no.
fn refuse(
    mut client: &TcpStream,
    status: u16,
    reason: &str,
    why: &str,
) -> io::Result<()> {
    let body = format!("{why}\n");
    let answer = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    client.write_all(answer.as_bytes())?;
    client.shutdown(std::net::Shutdown::Both)
}

fn lock(queue: &Queue) -> std::sync::MutexGuard<'_, VecDeque<Pending>> {
    queue.lock().unwrap_or_else(PoisonError::into_inner)
}

impl RequestRecord {
    /// The record of a request whose head is `head`, keeping the head:
    /// what a proxy started with its reads tells of each request.
    pub fn with_head(
        head: &[u8],
        exchange: u64,
        connection: u64,
        at: Duration,
    ) -> RequestRecord {
        RequestRecord {
            head: head.to_vec(),
            ..request_record(head, exchange, connection, at)
        }
    }
}

fn request_record(
    head: &[u8],
    exchange: u64,
    connection: u64,
    at: Duration,
) -> RequestRecord {
    let mut fields = [httparse::EMPTY_HEADER; 128];
    let mut parsed = httparse::Request::new(&mut fields);
    let _ = parsed.parse(head);
    RequestRecord {
        kind: "request",
        exchange,
        connection,
        at_ms: millis(at),
        method: parsed.method.unwrap_or_default().to_owned(),
        target: parsed.path.unwrap_or_default().to_owned(),
        headers: crate::session::request_fields(parsed.headers),
        bytes: head.len(),
        version: format!("HTTP/1.{}", parsed.version.unwrap_or(1)),
        written: SystemTime::now(),
        head: Vec::new(),
    }
}

/// A refusal: status, reason phrase, and why, in a sentence.
type Refusal = (u16, &'static str, &'static str);

/// Finds the requests in the bytes a client sends: each head, and the
/// end of its body, by its framing (RFC 9112 §6).
#[derive(Debug, Default)]
struct Requests {
    /// A head so far.
    head: Vec<u8>,
    body: Body,
    /// After a request that asks to switch protocols, the bytes are not
    /// HTTP any more: they pass through unread.
    through: bool,
    /// With --via: what to send, heads whole with the field added.
    via: Option<Vec<u8>>,
}

#[derive(Debug, Default)]
enum Body {
    #[default]
    None,
    Length(u64),
    /// A chunked body, found by the inspector's own decoder, fed a
    /// chunked response's head first: one chunked grammar, not two.
    Chunked(Box<Decoder>),
}

impl Requests {
    fn new(via: bool) -> Self {
        Requests {
            via: via.then(Vec::new),
            ..Requests::default()
        }
    }

    /// With --via, bytes to forward as they are.
    fn pass(&mut self, bytes: &[u8]) {
        if let Some(via) = &mut self.via {
            via.extend_from_slice(bytes);
        }
    }

    /// Takes in the client's next bytes; returns the heads they complete.
    fn feed(&mut self, mut bytes: &[u8]) -> Result<Vec<Vec<u8>>, Refusal> {
        let mut heads = Vec::new();
        while !bytes.is_empty() {
            if self.through {
                self.pass(bytes);
                break;
            }
            match &mut self.body {
                Body::Length(left) => {
                    let take = usize::try_from(*left)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len());
                    *left -= take as u64;
                    let (body, rest) = bytes.split_at(take);
                    bytes = rest;
                    if *left == 0 {
                        self.body = Body::None;
                    }
                    self.pass(body);
                    continue;
                }
                Body::Chunked(decoder) => {
                    let status =
                        decoder.feed(bytes, &mut |_| {}).map_err(|_| {
                            (
                                400,
                                "Bad Request",
                                "the request's chunked body is malformed",
                            )
                        })?;
                    let used = match status {
                        Status::Partial => bytes.len(),
                        Status::Complete(n) => {
                            self.body = Body::None;
                            n
                        }
                    };
                    let (body, rest) = bytes.split_at(used);
                    bytes = rest;
                    self.pass(body);
                    continue;
                }
                Body::None => {}
            }
            // A head: up to its empty line.
            let before = self.head.len();
            self.head.extend_from_slice(bytes);
            let mut fields = [httparse::EMPTY_HEADER; 128];
            let mut parsed = httparse::Request::new(&mut fields);
            let end = match parsed.parse(&self.head) {
                Ok(httparse::Status::Complete(end)) => end,
                Ok(httparse::Status::Partial) if self.head.len() > MAX_HEAD => {
                    return Err((
                        431,
                        "Request Header Fields Too Large",
                        "the request's head is over 64 KiB",
                    ));
                }
                Ok(httparse::Status::Partial) => break,
                Err(_) => {
                    return Err((
                        400,
                        "Bad Request",
                        "the request's head is malformed",
                    ));
                }
            };
            self.body = body_of(&parsed)?;
            self.through = parsed
                .headers
                .iter()
                .any(|f| f.name.eq_ignore_ascii_case("upgrade"));
            let head = self.head[..end].to_vec();
            bytes = &bytes[end - before..];
            self.head.clear();
            if let Some(via) = &mut self.via {
                via.extend_from_slice(&with_via(&head));
            }
            heads.push(head);
        }
        Ok(heads)
    }

    /// With --via, what to forward now, taken.
    fn take_via(&mut self) -> Option<Vec<u8>> {
        self.via.as_mut().map(std::mem::take)
    }
}

/// The body a request's head announces (RFC 9112 §6.1–6.3).
fn body_of(request: &httparse::Request<'_, '_>) -> Result<Body, Refusal> {
    let field = |name: &str| {
        request
            .headers
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    };
    let length = field("content-length");
    let chunked = field("transfer-encoding");
    match (length, chunked) {
        (Some(_), Some(_)) => Err((
            400,
            "Bad Request",
            "the request has both Content-Length and Transfer-Encoding (RFC 9112 §6.3)",
        )),
        (None, Some(te))
            if te.value.trim_ascii().eq_ignore_ascii_case(b"chunked") =>
        {
            let mut decoder = Decoder::new("POST");
            let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
            decoder.feed(head, &mut |_| {}).map_err(|_| {
                (400, "Bad Request", "the request's framing is malformed")
            })?;
            Ok(Body::Chunked(Box::new(decoder)))
        }
        (None, Some(_)) => Err((
            501,
            "Not Implemented",
            "the request's Transfer-Encoding is not chunked alone",
        )),
        (Some(length), None) => std::str::from_utf8(length.value)
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .map(|n| if n == 0 { Body::None } else { Body::Length(n) })
            .ok_or((
                400,
                "Bad Request",
                "the request's Content-Length is not a number",
            )),
        (None, None) => Ok(Body::None),
    }
}

/// `head` with `Via: 1.1 flusher-inspector` before its empty line.
fn with_via(head: &[u8]) -> Vec<u8> {
    let end = head.len() - 2;
    [
        &head[..end],
        b"Via: 1.1 flusher-inspector\r\n",
        &head[end..],
    ]
    .concat()
}

/// `--json`'s line for `news`: a request record as it is, a response's
/// record with its `exchange` first.
pub fn json_line(news: &News) -> io::Result<String> {
    match news {
        News::Request(request) => Ok(serde_json::to_string(request)?),
        News::Record { exchange, record } => {
            crate::json::tagged("exchange", exchange, record)
        }
        News::Read { .. } | News::Closed { .. } => Err(io::Error::other(
            "a read is not a record: --json's proxy starts without reads",
        )),
    }
}

/// `--plain`'s lines: one per exchange, once it is over.
#[derive(Debug, Default)]
pub struct Lines {
    /// What is known of each exchange not yet over: its request line,
    /// and its status and framing once its head came.
    open: std::collections::HashMap<u64, (String, String)>,
}

impl Lines {
    /// Takes in `news`; returns an exchange's line once it is over.
    pub fn take(&mut self, news: News) -> Option<String> {
        let (exchange, record) = match news {
            News::Request(r) => {
                let said = format!("{} {}", r.method, r.target);
                self.open.insert(r.exchange, (said, String::new()));
                return None;
            }
            News::Record { exchange, record } => (exchange, record),
            News::Read { .. } | News::Closed { .. } => return None,
        };
        let (request, answer) = self.open.get_mut(&exchange)?;
        match record {
            Record::Head {
                status, framing, ..
            } => {
                *answer = format!("{status} {framing}");
                None
            }
            // The error goes where the verdict's sentence would: it is
            // what the exchange came to.
            // Without a head there is no verdict to wait for.
            Record::Error { message, .. } if answer.is_empty() => {
                let line =
                    format!("#{exchange:<4} {request:<30} error: {message}");
                self.open.remove(&exchange);
                Some(line)
            }
            Record::Error { message, .. } => {
                *answer += &format!(" error: {message}");
                None
            }
            Record::Verdict(_) if answer.contains(" error: ") => {
                let line = format!("#{exchange:<4} {request:<30} {answer}");
                self.open.remove(&exchange);
                Some(line)
            }
            Record::Verdict(v) => {
                let line = format!(
                    "#{exchange:<4} {request:<30} {answer:<20} {:<12} head {}  {}",
                    v.pattern.name(),
                    v.head_ms.map_or("—".into(), crate::human::time),
                    v.sentence()
                );
                self.open.remove(&exchange);
                Some(line)
            }
            // A WebSocket has no verdict: its end is its line.
            Record::End {
                t_ms,
                frames: Some(frames),
                ..
            } => {
                let line = format!(
                    "#{exchange:<4} {request:<30} {answer:<20} websocket    {frames} frames in {}",
                    crate::human::time(t_ms)
                );
                self.open.remove(&exchange);
                Some(line)
            }
            _ => None,
        }
    }
}
