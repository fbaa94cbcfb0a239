//! `--har FILE`: the exchanges as an HTTP Archive, HAR 1.2
//! (<http://www.softwareishard.com/blog/har-12-spec/>), the file a bug
//! report can carry and DevTools, Firefox and WebPageTest can open.
//!
//! An entry is built from an exchange's records, one at a time
//! ([`Builder::take`]), so the proxy keeps no records, only what the
//! entry needs. What HAR has no field for is added in fields whose names
//! start with `_`, as HAR 1.2 asks of custom fields:
//!
//! - `_chunks`: one `{t_ms, bytes, content_bytes}` per piece of the body
//!   (a chunk, a read of a plain body, an HTTP/2 DATA frame), after
//!   WebPageTest's per-chunk records. `t_ms` is when the piece was
//!   complete, from the request's write, as the `chunk` record's; `bytes`
//!   its data on the wire (a chunk's size, a DATA frame's payload);
//!   `content_bytes` what it decoded to, the same without a coding.
//! - `_verdict`: the `verdict` record; `_error`: the `error` record.
//!
//! The standard timings come from the same records: `connect` and `ssl`
//! from the head's `connect_ms` and `tls_ms` (HAR counts `ssl` inside
//! `connect`), `wait` to the head, `receive` from the head to the end.
//! `startedDateTime` is the wall clock when the request was written,
//! less the connection's setup: when the entry's `time` starts.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;

use crate::compare::Run;
use crate::proxy::{News, RequestRecord};
use crate::session::Record;
use crate::svg::Keep;
use crate::verdict::Verdict;

/// The most content an entry keeps as its `text`; past it, the text is
/// left out, as it is when a piece's data was cut at `--max-data`.
pub const MAX_TEXT: usize = 8 << 20;

/// The whole file: `{"log": {...}}`.
#[derive(Debug, Clone, Serialize)]
pub struct Har {
    pub log: Log,
}

#[derive(Debug, Clone, Serialize)]
pub struct Log {
    pub version: &'static str,
    pub creator: Creator,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Creator {
    pub name: &'static str,
    pub version: &'static str,
}

impl Har {
    pub fn new(entries: Vec<Entry>) -> Self {
        Har {
            log: Log {
                version: "1.2",
                creator: Creator {
                    name: "flusher-inspector",
                    version: env!("CARGO_PKG_VERSION"),
                },
                entries,
            },
        }
    }

    /// Writes the archive to `path`, whole or not at all: it goes to a
    /// file beside it, which then takes its name, so that a reader (or a
    /// Ctrl-C) never finds half an archive. An error names the file.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let named = |e: io::Error| {
            io::Error::new(e.kind(), format!("{}: {e}", path.display()))
        };
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let text = serde_json::to_string_pretty(self)? + "\n";
        std::fs::write(&partial, text).map_err(named)?;
        std::fs::rename(&partial, path).map_err(named)
    }
}

/// One exchange: `log.entries[]`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub started_date_time: String,
    /// The sum of the timings that apply, in milliseconds.
    pub time: f64,
    pub request: Request,
    pub response: Response,
    /// Nothing is cached: an empty object, as HAR asks.
    pub cache: Empty,
    pub timings: Timings,
    /// The proxy's connection the exchange came on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    /// The proxy's number for the exchange: `--json`'s `exchange`.
    #[serde(rename = "_exchange", skip_serializing_if = "Option::is_none")]
    pub exchange: Option<u64>,
    #[serde(rename = "_chunks")]
    pub chunks: Vec<Piece>,
    #[serde(rename = "_verdict", skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    #[serde(rename = "_error", skip_serializing_if = "Option::is_none")]
    pub error: Option<Failure>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Empty {}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub method: String,
    pub url: String,
    pub http_version: String,
    pub cookies: Vec<Empty>,
    pub headers: Vec<Header>,
    pub query_string: Vec<Header>,
    /// The head's bytes, -1 where HPACK made them unknowable.
    pub headers_size: i64,
    pub body_size: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// 0 when no head came, as browsers write a failed request.
    pub status: u16,
    pub status_text: String,
    pub http_version: String,
    pub cookies: Vec<Empty>,
    pub headers: Vec<Header>,
    pub content: Content,
    #[serde(rename = "redirectURL")]
    pub redirect_url: String,
    pub headers_size: i64,
    /// The body's bytes on the wire: coded, without chunk framing.
    pub body_size: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Content {
    /// Bytes of content, decoded.
    pub size: u64,
    /// Bytes saved by the content coding, for a coded body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<i64>,
    pub mime_type: String,
    /// The content, decoded; left out when it was not all kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// `base64` for content that is not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// `timings`, in milliseconds; -1 for what does not apply or is not
/// known.
#[derive(Debug, Clone, Serialize)]
pub struct Timings {
    pub blocked: f64,
    pub dns: f64,
    pub connect: f64,
    pub ssl: f64,
    pub send: f64,
    pub wait: f64,
    pub receive: f64,
}

/// A piece of the body: `_chunks[]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Piece {
    pub t_ms: f64,
    pub bytes: u64,
    pub content_bytes: u64,
}

/// What failed: `_error`, the `error` record's fields.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub t_ms: f64,
    pub offset: u64,
    pub kind: &'static str,
    pub message: String,
}

/// The request of an entry, as it went.
#[derive(Debug, Clone)]
pub struct Sent {
    pub method: String,
    pub url: String,
    pub version: String,
    pub headers: Vec<[String; 2]>,
    pub headers_size: i64,
    pub body_size: i64,
}

impl Sent {
    /// From the bytes the inspector wrote to `url`: an HTTP/1.1 head
    /// and body, or over HTTP/2 the header list `http2::describe` gives.
    pub fn from_bytes(url: &str, sent: &[u8]) -> Sent {
        let end = memchr::memmem::find(sent, b"\r\n\r\n")
            .map_or(sent.len(), |i| i + 4);
        let (head, body) = sent.split_at(end);
        let text = String::from_utf8_lossy(head);
        if text.starts_with(":method: ") {
            let mut method = String::new();
            let mut headers = Vec::new();
            for line in text.lines().filter(|l| !l.is_empty()) {
                let (name, value) =
                    line.rsplit_once(": ").unwrap_or((line, ""));
                match name {
                    ":method" => method = value.to_owned(),
                    _ if name.starts_with(':') => {}
                    _ => headers.push([name.to_owned(), value.to_owned()]),
                }
            }
            return Sent {
                method,
                url: url.to_owned(),
                version: "HTTP/2".into(),
                headers,
                headers_size: -1,
                body_size: body.len() as i64,
            };
        }
        let mut fields = [httparse::EMPTY_HEADER; 128];
        let mut parsed = httparse::Request::new(&mut fields);
        let _ = parsed.parse(head);
        Sent {
            method: parsed.method.unwrap_or("GET").to_owned(),
            url: url.to_owned(),
            version: format!("HTTP/1.{}", parsed.version.unwrap_or(1)),
            headers: crate::session::request_fields(parsed.headers),
            headers_size: head.len() as i64,
            body_size: body.len() as i64,
        }
    }

    /// From the proxy's `request` record: its target on `base`, the
    /// upstream's `scheme://authority`.
    pub fn from_record(base: &str, record: &RequestRecord) -> Sent {
        // The body's size is its framing's: Content-Length, or unknown.
        let body_size = record
            .headers
            .iter()
            .find(|[name, _]| name.eq_ignore_ascii_case("content-length"))
            .map_or(0, |[_, value]| value.trim().parse().unwrap_or(-1));
        let chunked = record
            .headers
            .iter()
            .any(|[name, _]| name.eq_ignore_ascii_case("transfer-encoding"));
        Sent {
            method: record.method.clone(),
            url: format!("{base}{}", record.target),
            version: record.version.clone(),
            headers: record.headers.clone(),
            headers_size: record.bytes as i64,
            body_size: if chunked { -1 } else { body_size },
        }
    }
}

/// An entry being put together from an exchange's records.
#[derive(Debug)]
pub struct Builder {
    sent: Sent,
    /// The wall clock when the request was written: its records' 0.
    written: SystemTime,
    connection: Option<String>,
    exchange: Option<u64>,
    /// The first head's time, and the final head.
    first_head_ms: Option<f64>,
    head: Option<Head>,
    setup: Option<(f64, Option<f64>)>,
    pieces: Vec<Piece>,
    /// The content so far, while all of it is kept.
    text: Option<Vec<u8>>,
    /// The body is coded: `text` holds content, not wire bytes.
    coded: bool,
    end_ms: Option<f64>,
    body_bytes: u64,
    verdict: Option<Verdict>,
    error: Option<Failure>,
}

#[derive(Debug)]
struct Head {
    status: u16,
    reason: String,
    version: String,
    headers: Vec<[String; 2]>,
    bytes: usize,
}

impl Builder {
    /// An entry for `sent`, written at `written`.
    pub fn new(sent: Sent, written: SystemTime) -> Self {
        Builder {
            sent,
            written,
            connection: None,
            exchange: None,
            first_head_ms: None,
            head: None,
            setup: None,
            pieces: Vec::new(),
            text: Some(Vec::new()),
            coded: false,
            end_ms: None,
            body_bytes: 0,
            verdict: None,
            error: None,
        }
    }

    /// Names the proxy's exchange, and the connection it came on.
    pub fn proxied(mut self, exchange: u64, connection: u64) -> Self {
        self.exchange = Some(exchange);
        self.connection = Some(connection.to_string());
        self
    }

    /// An entry from records kept whole: `--har` for one URL or target.
    pub fn of(sent: Sent, written: SystemTime, records: &[Record]) -> Entry {
        let mut builder = Builder::new(sent, written);
        for record in records {
            builder.take(record);
        }
        builder.entry()
    }

    /// Takes in the exchange's next record.
    pub fn take(&mut self, record: &Record) {
        match record {
            Record::Head {
                t_ms,
                status,
                reason,
                version,
                headers,
                bytes,
                connection,
                ..
            } => {
                self.first_head_ms.get_or_insert(*t_ms);
                if let Some(c) = connection {
                    self.setup = Some((c.connect_ms, c.tls_ms));
                }
                self.coded = headers
                    .iter()
                    .any(|[n, _]| n.eq_ignore_ascii_case("content-encoding"));
                self.head = Some(Head {
                    status: *status,
                    reason: reason.clone(),
                    version: version.clone(),
                    headers: headers.clone(),
                    bytes: *bytes,
                });
            }
            Record::Chunk(c) if !c.last => {
                self.piece(
                    c.t_ms,
                    c.size,
                    c.content.as_ref(),
                    &c.data_hex,
                    c.truncated,
                );
            }
            Record::Data {
                t_ms,
                len,
                data_hex,
                truncated,
                content,
                ..
            } => self.piece(
                *t_ms,
                *len as u64,
                content.as_ref(),
                data_hex,
                *truncated,
            ),
            // An empty DATA frame that only ends the stream is HTTP/2's
            // last-chunk: not a piece, as `end` counts them.
            Record::H2Frame(f)
                if f.frame == "DATA"
                    && !(f.len == 0 && f.end_stream == Some(true)) =>
            {
                let hex = f.data_hex.as_deref().unwrap_or_default();
                let truncated = f.truncated.unwrap_or(true);
                self.piece(
                    f.t_ms,
                    u64::from(f.len),
                    f.content.as_ref(),
                    hex,
                    truncated,
                );
            }
            Record::End {
                t_ms, body_bytes, ..
            } => {
                self.end_ms = Some(*t_ms);
                self.body_bytes = *body_bytes;
            }
            Record::Error {
                t_ms,
                offset,
                kind,
                message,
            } => {
                self.error = Some(Failure {
                    t_ms: *t_ms,
                    offset: *offset,
                    kind,
                    message: message.clone(),
                });
            }
            Record::Verdict(v) => self.verdict = Some(v.clone()),
            _ => {}
        }
    }

    /// A piece of the body: its time and sizes, and its content kept for
    /// `text` while all of it is.
    fn piece(
        &mut self,
        t_ms: f64,
        bytes: u64,
        content: Option<&crate::session::Content>,
        data_hex: &str,
        truncated: bool,
    ) {
        let content_bytes = content.map_or(bytes, |c| c.content_len);
        self.pieces.push(Piece {
            t_ms,
            bytes,
            content_bytes,
        });
        let kept = match (self.coded, content) {
            (true, Some(c)) if !c.content_truncated => {
                Some(c.content.as_bytes().to_vec())
            }
            (true, _) => None,
            (false, _) if truncated => None,
            (false, _) => unhex(data_hex),
        };
        if let (Some(text), Some(kept)) = (&mut self.text, kept) {
            text.extend_from_slice(&kept);
            if text.len() > MAX_TEXT {
                self.text = None;
            }
        } else {
            self.text = None;
        }
    }

    /// Whether the exchange is over: its verdict came, or a WebSocket's
    /// end, or an error before any head (no verdict follows one).
    pub fn over(&self, record: &Record) -> bool {
        match record {
            Record::Verdict(_)
            | Record::End {
                frames: Some(_), ..
            } => true,
            Record::Error { .. } => self.head.is_none(),
            _ => false,
        }
    }

    /// The entry, from what came so far.
    pub fn entry(&self) -> Entry {
        let (connect_ms, tls_ms) = self.setup.unwrap_or((-1.0, None));
        let tls_ms = tls_ms.unwrap_or(-1.0);
        // HAR counts the TLS handshake inside `connect` too.
        let connect = match connect_ms {
            c if c < 0.0 => -1.0,
            c => round(c + tls_ms.max(0.0)),
        };
        let last_ms = self
            .end_ms
            .or(self.error.as_ref().map(|e| e.t_ms))
            .or(self.pieces.last().map(|p| p.t_ms))
            .or(self.first_head_ms)
            .unwrap_or(0.0);
        let wait = self.first_head_ms.unwrap_or(last_ms);
        let receive = (last_ms - wait).max(0.0);
        let time = round(connect.max(0.0) + wait + receive);
        let started = self
            .written
            .checked_sub(Duration::from_secs_f64(connect.max(0.0) / 1e3))
            .unwrap_or(self.written);
        let head = self.head.as_ref();
        let field = |name: &str| {
            head.and_then(|h| {
                h.headers
                    .iter()
                    .find(|[n, _]| n.eq_ignore_ascii_case(name))
                    .map(|[_, v]| v.clone())
            })
        };
        let size: u64 = self.pieces.iter().map(|p| p.content_bytes).sum();
        let (text, encoding) = match &self.text {
            Some(bytes) if !bytes.is_empty() => {
                match std::str::from_utf8(bytes) {
                    Ok(text) => (Some(text.to_owned()), None),
                    Err(_) => (Some(BASE64.encode(bytes)), Some("base64")),
                }
            }
            _ => (None, None),
        };
        let comment = (self.text.is_none()).then(|| {
            "the content is not all here: a piece was longer than --max-data".to_owned()
        });
        let mut sent = self.sent.clone();
        // A target asked for in HTTP/1.1's bytes may answer in HTTP/2.
        if head.is_some_and(|h| h.version == "HTTP/2")
            && sent.version != "HTTP/2"
        {
            sent.version = "HTTP/2".into();
            sent.headers_size = -1;
        }
        Entry {
            started_date_time: iso_8601(started),
            time,
            request: Request {
                method: sent.method,
                query_string: query(&sent.url),
                url: sent.url,
                http_version: sent.version,
                cookies: Vec::new(),
                headers: headers(&sent.headers),
                headers_size: sent.headers_size,
                body_size: sent.body_size,
            },
            response: Response {
                status: head.map_or(0, |h| h.status),
                status_text: head
                    .map_or_else(String::new, |h| h.reason.clone()),
                http_version: head
                    .map_or_else(String::new, |h| h.version.clone()),
                cookies: Vec::new(),
                headers: head.map_or_else(Vec::new, |h| headers(&h.headers)),
                content: Content {
                    size,
                    compression: self
                        .coded
                        .then(|| size as i64 - self.body_bytes as i64),
                    mime_type: field("content-type").unwrap_or_default(),
                    text,
                    encoding,
                    comment,
                },
                redirect_url: field("location").unwrap_or_default(),
                headers_size: head.map_or(-1, |h| h.bytes as i64),
                body_size: match head {
                    Some(_) => self.body_bytes as i64,
                    None => -1,
                },
            },
            cache: Empty {},
            timings: Timings {
                blocked: -1.0,
                dns: -1.0,
                connect,
                ssl: if connect_ms < 0.0 {
                    -1.0
                } else {
                    round(tls_ms)
                },
                send: 0.0,
                wait: round(wait),
                receive: round(receive),
            },
            connection: self.connection.clone(),
            exchange: self.exchange,
            chunks: self.pieces.clone(),
            verdict: self.verdict.clone(),
            error: self.error.clone(),
        }
    }
}

/// `--har` for one URL, or a file: what `keep` kept, and the request
/// it saw go (a raw capture has none: then only `method` is known).
pub fn of_kept(url: Option<&str>, method: &str, keep: &Keep) -> Har {
    let url = url.unwrap_or_default();
    let (sent, written) = match keep.sent() {
        Some((bytes, at)) => (Sent::from_bytes(url, bytes), at),
        None => (
            Sent {
                method: method.to_owned(),
                url: url.to_owned(),
                version: "HTTP/1.1".into(),
                headers: Vec::new(),
                headers_size: -1,
                body_size: -1,
            },
            SystemTime::now(),
        ),
    };
    Har::new(vec![Builder::of(sent, written, keep.records())])
}

/// `--har` for `compare`: each target's run, its request made from
/// `request` as `compare` made it.
pub fn of_runs(runs: &[Run], request: &crate::target::Request) -> Har {
    let entries = runs
        .iter()
        .map(|run| {
            let bytes = run
                .url
                .parse::<crate::target::Target>()
                .map(|t| t.request(request))
                .unwrap_or_default();
            let sent = Sent::from_bytes(&run.url, &bytes);
            let written = run.started.unwrap_or_else(SystemTime::now);
            Builder::of(sent, written, &run.records)
        })
        .collect();
    Har::new(entries)
}

/// `--har` for the proxy: an entry per exchange, the file rewritten
/// whole as each one ends. So the file is always a complete archive of
/// the exchanges over so far, however the proxy is stopped (Ctrl-C
/// included: nothing is left to write at exit). Rewriting costs a write
/// of the archive per exchange, which is small beside the exchange.
#[derive(Debug)]
pub struct Proxied {
    path: PathBuf,
    /// The upstream, `scheme://authority`, that request targets go on.
    base: String,
    open: HashMap<u64, Builder>,
    done: Vec<Entry>,
}

impl Proxied {
    /// An archive at `path` of exchanges forwarded to `to`, a URL.
    pub fn new(path: PathBuf, to: &str) -> Self {
        let base = match to.parse::<crate::target::Target>() {
            Ok(to) if to.tls => format!("https://{}", to.authority()),
            Ok(to) => format!("http://{}", to.authority()),
            Err(_) => to.trim_end_matches('/').to_owned(),
        };
        Proxied {
            path,
            base,
            open: HashMap::new(),
            done: Vec::new(),
        }
    }

    /// Takes in the proxy's next news; writes the archive when an
    /// exchange ends.
    pub fn take(&mut self, news: &News) -> io::Result<()> {
        if let News::Request(r) = news {
            let sent = Sent::from_record(&self.base, r);
            let builder =
                Builder::new(sent, r.written).proxied(r.exchange, r.connection);
            self.open.insert(r.exchange, builder);
            return Ok(());
        }
        let News::Record { exchange, record } = news else {
            return Ok(());
        };
        let Some(builder) = self.open.get_mut(exchange) else {
            return Ok(());
        };
        builder.take(record);
        if !builder.over(record) {
            return Ok(());
        }
        if let Some(builder) = self.open.remove(exchange) {
            self.done.push(builder.entry());
        }
        Har::new(self.done.clone()).save(&self.path)
    }
}

/// The wall clock as ISO 8601, to the millisecond, in UTC.
fn iso_8601(at: SystemTime) -> String {
    let at = time::OffsetDateTime::from(at);
    let ms = at.millisecond();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

fn headers(fields: &[[String; 2]]) -> Vec<Header> {
    fields
        .iter()
        .map(|[name, value]| Header {
            name: name.clone(),
            value: value.clone(),
        })
        .collect()
}

/// The URL's query as name and value pairs, as written.
fn query(url: &str) -> Vec<Header> {
    let Some((_, query)) = url.split_once('?') else {
        return Vec::new();
    };
    let query = query.split('#').next().unwrap_or_default();
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Header {
                name: name.to_owned(),
                value: value.to_owned(),
            }
        })
        .collect()
}

/// Bytes from the records' `data_hex`; none if it is not hex.
fn unhex(hex: &str) -> Option<Vec<u8>> {
    let digit =
        |b: u8| (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    hex.as_bytes()
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => Some(digit(*hi)? << 4 | digit(*lo)?),
            _ => None,
        })
        .collect()
}

/// To the microsecond, as the records' times are.
fn round(ms: f64) -> f64 {
    (ms * 1e3).round() / 1e3
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Session;

    fn records(response: &[u8]) -> Vec<Record> {
        let mut session = Session::new("GET", 4096);
        let mut records = Vec::new();
        let mut at = Duration::from_millis(5);
        // A read per line, 10 ms apart.
        for line in response.split_inclusive(|&b| b == b'\n') {
            session.read(at, line, &mut |r| records.push(r));
            at += Duration::from_millis(10);
        }
        session.eof(at, &mut |r| records.push(r));
        records
    }

    #[test]
    fn a_chunked_response_is_an_entry_with_its_chunks() {
        let records = records(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\
              Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        );
        let sent = Sent::from_bytes(
            "http://a:1/x?n=2&v",
            b"GET /x?n=2&v HTTP/1.1\r\nHost: a:1\r\n\r\n",
        );
        let written = SystemTime::UNIX_EPOCH + Duration::from_millis(1_500);
        let entry = Builder::of(sent, written, &records);
        assert_eq!(entry.started_date_time, "1970-01-01T00:00:01.500Z");
        assert_eq!(entry.request.method, "GET");
        assert_eq!(entry.request.http_version, "HTTP/1.1");
        assert_eq!(entry.request.headers_size, 36);
        assert_eq!(
            entry.request.query_string,
            [
                Header {
                    name: "n".into(),
                    value: "2".into()
                },
                Header {
                    name: "v".into(),
                    value: String::new()
                }
            ]
        );
        assert_eq!(entry.response.status, 200);
        assert_eq!(entry.response.content.mime_type, "text/plain");
        assert_eq!(entry.response.content.text.as_deref(), Some("hello world"));
        assert_eq!(entry.response.content.size, 11);
        assert_eq!(entry.response.body_size, 11);
        let sizes: Vec<u64> = entry.chunks.iter().map(|p| p.bytes).collect();
        assert_eq!(sizes, [5, 6]);
        // The head came with the 4th read, at 35 ms; the end with the
        // 10th, at 95 ms. No connection was timed: connect is -1.
        assert_eq!(entry.timings.wait, 35.0);
        assert_eq!(entry.timings.receive, 60.0);
        assert_eq!(entry.timings.connect, -1.0);
        assert_eq!(entry.time, 95.0);
        assert!(entry.verdict.is_some());
        let json = serde_json::to_value(Har::new(vec![entry])).unwrap();
        assert_eq!(json["log"]["version"], "1.2");
        assert_eq!(json["log"]["entries"][0]["_chunks"][1]["t_ms"], 75.0);
        assert_eq!(json["log"]["entries"][0]["response"]["redirectURL"], "");
    }

    #[test]
    fn no_head_is_status_0_and_the_error() {
        let sent = Sent::from_bytes("http://a:1/", b"GET / HTTP/1.1\r\n\r\n");
        let failed = Record::Error {
            t_ms: 0.0,
            offset: 0,
            kind: "connect",
            message: "refused".into(),
        };
        let mut builder = Builder::new(sent, SystemTime::UNIX_EPOCH);
        builder.take(&failed);
        assert!(builder.over(&failed));
        let entry = builder.entry();
        assert_eq!(entry.response.status, 0);
        assert_eq!(entry.response.body_size, -1);
        assert_eq!(entry.error.map(|e| e.message).as_deref(), Some("refused"));
    }

    #[test]
    fn an_http2_request_is_its_header_list() {
        let sent = Sent::from_bytes(
            "https://a/",
            b":method: GET\r\n:scheme: https\r\n:authority: a\r\n:path: /\r\n\
              accept: */*\r\n\r\n",
        );
        assert_eq!(sent.method, "GET");
        assert_eq!(sent.version, "HTTP/2");
        assert_eq!(sent.headers, [["accept".to_owned(), "*/*".to_owned()]]);
        assert_eq!(sent.headers_size, -1);
    }
}
