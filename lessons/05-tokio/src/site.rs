//! What the server serves: a [`Site`] answers each request, and the
//! server does the HTTP around the answer (framing, HEAD, HTTP/1.0,
//! disconnects, backpressure). Lesson 05's own routes are [`Demo`];
//! lessons 06 to 08 bring their pages as sites of their own.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use lesson_01_raw_tcp::response::Status;
use lesson_04_http_parse::head::Head;
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::produce::{Chunks, MAX_CHUNKS, MAX_EVERY, MAX_SIZE, Source};

/// Answers requests. `answer` runs on the connection's task, so it must
/// not wait: the waiting belongs in the producer it returns.
pub trait Site: Send + Sync + 'static {
    fn answer(&self, request: &Head) -> Answer;
}

/// A producer not started yet: a request for HEAD never starts it.
pub type Make = Box<dyn FnOnce(Chunks) -> Made + Send>;
pub type Made = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What to send back.
pub enum Answer {
    /// 200, sent as it is made: chunked for HTTP/1.1, until the close for
    /// HTTP/1.0.
    Stream {
        content_type: &'static str,
        fields: Fields,
        make: Make,
    },
    /// 200, sent when all of it is ready, with `Content-Length`: the
    /// producer sends the whole body as its one chunk.
    Whole {
        content_type: &'static str,
        fields: Fields,
        make: Make,
    },
    /// `101 Switching Protocols`, with `fields`; then the connection is
    /// no longer HTTP's, and `take` gets it (lesson 10's WebSocket).
    Upgrade { fields: Fields, take: Takeover },
    /// Anything else: a status, extra fields, and a one-line reason.
    Plain {
        status: Status,
        fields: Fields,
        why: String,
    },
}

// ANCHOR: upgraded
/// A connection handed over after `101 Switching Protocols`.
#[derive(Debug)]
pub struct Upgraded {
    pub stream: TcpStream,
    /// Bytes the client sent after its request, already read: they
    /// belong to the new protocol.
    pub early: Vec<u8>,
    /// Cancelled when the server shuts down: say goodbye, then return.
    pub shutdown: CancellationToken,
}

/// What takes an upgraded connection over. The connection's task runs
/// it, so the connection counts as open until it returns.
pub struct Takeover(pub Box<dyn FnOnce(Upgraded) -> Made + Send>);
// ANCHOR_END: upgraded

impl std::fmt::Debug for Takeover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Takeover")
    }
}

/// Header fields an answer adds to those the server writes.
pub type Fields = Vec<(&'static str, String)>;

impl Answer {
    pub fn stream<F>(
        content_type: &'static str,
        make: impl FnOnce(Chunks) -> F + Send + 'static,
    ) -> Answer
    where
        F: Future<Output = ()> + Send + 'static,
    {
        Answer::Stream {
            content_type,
            fields: Vec::new(),
            make: boxed(make),
        }
    }

    pub fn whole<F>(
        content_type: &'static str,
        make: impl FnOnce(Chunks) -> F + Send + 'static,
    ) -> Answer
    where
        F: Future<Output = ()> + Send + 'static,
    {
        Answer::Whole {
            content_type,
            fields: Vec::new(),
            make: boxed(make),
        }
    }

    /// `101 Switching Protocols` with `fields`, then `take` runs on the
    /// connection.
    pub fn upgrade<F>(
        fields: Fields,
        take: impl FnOnce(Upgraded) -> F + Send + 'static,
    ) -> Answer
    where
        F: Future<Output = ()> + Send + 'static,
    {
        Answer::Upgrade {
            fields,
            take: Takeover(Box::new(|upgraded| Box::pin(take(upgraded)))),
        }
    }

    pub fn plain(status: Status, why: impl Into<String>) -> Answer {
        Answer::Plain {
            status,
            fields: Vec::new(),
            why: why.into(),
        }
    }

    /// This answer, with one more header field, such as
    /// `Cache-Control: no-cache`.
    pub fn field(
        mut self,
        name: &'static str,
        value: impl Into<String>,
    ) -> Answer {
        let value = value.into();
        match &mut self {
            Answer::Stream { fields, .. }
            | Answer::Whole { fields, .. }
            | Answer::Upgrade { fields, .. }
            | Answer::Plain { fields, .. } => fields.push((name, value)),
        }
        self
    }

    /// 405, with the `Allow` field that RFC 9110 §15.5.6 requires.
    pub fn not_allowed(request: &Head) -> Answer {
        Answer::Plain {
            status: Status::MethodNotAllowed,
            fields: vec![("Allow", "GET, HEAD".into())],
            why: format!("{} is not allowed here: GET or HEAD", request.method),
        }
    }
}

/// A producer's body, as [`Answer`] keeps it until it is started.
fn boxed<F>(make: impl FnOnce(Chunks) -> F + Send + 'static) -> Make
where
    F: Future<Output = ()> + Send + 'static,
{
    Box::new(|chunks| Box::pin(make(chunks)))
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Stream { content_type, .. } => {
                write!(f, "Stream({content_type})")
            }
            Answer::Whole { content_type, .. } => {
                write!(f, "Whole({content_type})")
            }
            Answer::Upgrade { fields, .. } => write!(f, "Upgrade({fields:?})"),
            Answer::Plain { status, why, .. } => {
                write!(f, "Plain({}, {why:?})", status.code())
            }
        }
    }
}

/// The path and query of a request's target.
pub fn path_and_query(request: &Head) -> (&str, &str) {
    request
        .target
        .split_once('?')
        .unwrap_or((&request.target, ""))
}

/// Lesson 05's routes: `/`, the page a part per pause, and
/// `/stream?n=10&size=64&every=0`, chunks made by a task.
#[derive(Debug, Clone)]
pub struct Demo {
    pub pause: Duration,
}

impl Site for Demo {
    fn answer(&self, request: &Head) -> Answer {
        let (path, query) = path_and_query(request);
        let (content_type, source) = match path {
            "/" => (
                "text/html; charset=utf-8",
                Ok(Source::Page { pause: self.pause }),
            ),
            "/stream" => ("text/plain; charset=utf-8", chunks(query)),
            _ => {
                return Answer::plain(
                    Status::NotFound,
                    format!("nothing at {path}: try / or /stream"),
                );
            }
        };
        match (request.method.as_str(), source) {
            ("GET" | "HEAD", Ok(source)) => {
                Answer::stream(content_type, |c| source.produce(c))
            }
            ("GET" | "HEAD", Err(why)) => {
                Answer::plain(Status::BadRequest, why)
            }
            _ => Answer::not_allowed(request),
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
    if n > MAX_CHUNKS
        || size == 0
        || size > MAX_SIZE as u64
        || every > MAX_EVERY
    {
        return Err(format!(
            "n goes up to {MAX_CHUNKS}, size from 1 to {MAX_SIZE}, \
             every up to {MAX_EVERY}"
        ));
    }
    Ok(Source::Chunks {
        n,
        size: usize::try_from(size).unwrap_or(MAX_SIZE),
        every: Duration::from_millis(every),
    })
}
