//! Recordings: a capture kept with its timing, to share or to replay.
//!
//! `--record FILE` writes everything a session is made of, as it happens;
//! `--file FILE` feeds it back through a [`Session`], which then makes the
//! very records, times included, that the live run made. The format is
//! JSON lines, so that other tools read it with what they have:
//!
//! ```text
//! {"flusher_recording":1,"url":"http://..","request":"R0VUIC8g..","connection":{"connect_ms":0.1,"http2":false}}
//! {"t_ns":1204113,"in":"SFRUUC8xLjEgMjAwIE9L.."}
//! {"t_ns":1310422,"out":"gYLb0W8Ls7g="}
//! {"t_ns":1602337015,"eof":true}
//! ```
//!
//! The first line is the header: the format's version, the URL, the
//! request (base64), and how the connection was made (`null` if it never
//! was). Then one line per event, in order: bytes `in` from the server,
//! bytes `out` that the inspector wrote after the request (WebSocket
//! frames, masked as they went), and the end: `eof`, or an `error`.
//! Times are integer nanoseconds since the request was written, so that
//! they read back exactly.

use std::fs::File;
use std::io::{self, BufRead, BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::capture::READ_BUFFER;
use crate::session::{Record, Session, millis};
use crate::transport::{Connection, TlsFailure};

/// The version this inspector writes, and the only one it reads.
pub const VERSION: u64 = 1;

/// A recording's first line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The format's version: [`VERSION`]. Its name says what the file
    /// is to whoever opens it.
    pub flusher_recording: u64,
    pub url: String,
    /// The request the session is made from, as written on HTTP/1.1.
    #[serde(with = "base64_bytes")]
    pub request: Vec<u8>,
    /// Over HTTP/2, the request as it went (its header list, described):
    /// what `--plain` shows. Absent when it is `request`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "base64_option"
    )]
    pub sent: Option<Vec<u8>>,
    /// How the connection was made; `null` if it never was.
    pub connection: Option<Connected>,
}

/// A header's `connection`: the `head` record's fields, and whether the
/// connection spoke HTTP/2, which records do not say as a field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connected {
    #[serde(flatten)]
    pub connection: Connection,
    pub http2: bool,
}

impl Header {
    /// The header of a session with `request`, `sent` as it went, on
    /// `connection`.
    pub fn new(
        url: &str,
        request: &[u8],
        sent: &[u8],
        connection: Option<&Connection>,
    ) -> Header {
        Header {
            flusher_recording: VERSION,
            url: url.to_owned(),
            request: request.to_vec(),
            sent: (sent != request).then(|| sent.to_vec()),
            // The flag in its own field: the head's fields leave it out.
            connection: connection.map(|c| Connected {
                connection: Connection {
                    http2: false,
                    ..c.clone()
                },
                http2: c.http2,
            }),
        }
    }

    /// The request as it went on the wire.
    pub fn sent(&self) -> &[u8] {
        self.sent.as_deref().unwrap_or(&self.request)
    }

    /// The connection, HTTP/2 flag included.
    pub fn connection(&self) -> Option<Connection> {
        self.connection.as_ref().map(|c| Connection {
            http2: c.http2,
            ..c.connection.clone()
        })
    }

    /// A session for the recorded response, as the live run made it,
    /// except that what the inspector sent comes from the recording.
    pub fn session(&self, max_data: usize) -> Session {
        Session::for_request(&self.request, max_data)
            .replaying()
            .with_connection(self.connection().as_ref())
    }
}

/// One event after the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A read returned these bytes from the server.
    In(Duration, Vec<u8>),
    /// The inspector wrote these bytes: WebSocket frames.
    Out(Duration, Vec<u8>),
    /// The server closed the connection.
    Eof(Duration),
    /// Connecting, reading or writing failed; `tls` for a handshake the
    /// server refused, which `--json` shows as an `error` record.
    Failed {
        at: Duration,
        message: String,
        tls: bool,
    },
}

impl Event {
    /// When it happened, since the request was written.
    pub fn at(&self) -> Duration {
        match self {
            Event::In(at, _) | Event::Out(at, _) | Event::Eof(at) => *at,
            Event::Failed { at, .. } => *at,
        }
    }
}

/// An event line, as written and read: `t_ns` and one of the others.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Line {
    t_ns: u64,
    #[serde(
        rename = "in",
        default,
        skip_serializing_if = "Option::is_none",
        with = "base64_option"
    )]
    input: Option<Vec<u8>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "base64_option"
    )]
    out: Option<Vec<u8>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    eof: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// With `error`: `tls` for a refused handshake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
}

impl From<&Event> for Line {
    fn from(event: &Event) -> Line {
        let t_ns = u64::try_from(event.at().as_nanos()).unwrap_or(u64::MAX);
        match event {
            Event::In(_, bytes) => Line {
                t_ns,
                input: Some(bytes.clone()),
                ..Line::default()
            },
            Event::Out(_, bytes) => Line {
                t_ns,
                out: Some(bytes.clone()),
                ..Line::default()
            },
            Event::Eof(_) => Line {
                t_ns,
                eof: Some(true),
                ..Line::default()
            },
            Event::Failed { message, tls, .. } => Line {
                t_ns,
                error: Some(message.clone()),
                kind: tls.then(|| "tls".to_owned()),
                ..Line::default()
            },
        }
    }
}

impl TryFrom<Line> for Event {
    type Error = String;

    fn try_from(line: Line) -> Result<Event, String> {
        let at = Duration::from_nanos(line.t_ns);
        match line {
            Line {
                input: Some(bytes),
                out: None,
                eof: None,
                error: None,
                ..
            } => Ok(Event::In(at, bytes)),
            Line {
                input: None,
                out: Some(bytes),
                eof: None,
                error: None,
                ..
            } => Ok(Event::Out(at, bytes)),
            Line {
                input: None,
                out: None,
                eof: Some(true),
                error: None,
                ..
            } => Ok(Event::Eof(at)),
            Line {
                input: None,
                out: None,
                eof: None,
                error: Some(message),
                kind,
                ..
            } => Ok(Event::Failed {
                at,
                message,
                tls: kind.as_deref() == Some("tls"),
            }),
            _ => Err("an event has t_ns and exactly one of in, out, \
                      eof (true) or error"
                .into()),
        }
    }
}

/// Writes a recording as the session happens. Cloned, it is shared: the
/// TUI's capture thread writes reads, and its runtime what it sends.
#[derive(Debug, Clone)]
pub struct Recorder(Arc<Mutex<Writing>>);

#[derive(Debug)]
struct Writing {
    out: BufWriter<File>,
    path: PathBuf,
    /// When the request was written, which times count from: for what
    /// is sent from elsewhere than the capture ([`Recorder::sent_now`]).
    start: Instant,
}

impl Recorder {
    /// Creates `path` and writes `header` to it.
    pub fn create(path: &Path, header: &Header) -> io::Result<Recorder> {
        let named = |e: io::Error| {
            io::Error::new(e.kind(), format!("{}: {e}", path.display()))
        };
        let mut out = BufWriter::new(File::create(path).map_err(named)?);
        serde_json::to_writer(&mut out, header)?;
        out.write_all(b"\n").map_err(named)?;
        let writing = Writing {
            out,
            path: path.to_owned(),
            start: Instant::now(),
        };
        Ok(Recorder(Arc::new(Mutex::new(writing))))
    }

    /// Times count from `start`, when the request was written.
    pub fn starting(self, start: Instant) -> Self {
        self.lock().start = start;
        self
    }

    /// Writes `event`. What is written goes to the file at once once the
    /// capture has caught up with the server (a read that did not fill
    /// the buffer), and at the end: a recording of a stream that goes on
    /// is readable as it grows, and a flood costs no write per read.
    pub fn write(&self, event: &Event) -> io::Result<()> {
        let mut writing = self.lock();
        let caught_up = match event {
            Event::In(_, bytes) => bytes.len() < READ_BUFFER,
            Event::Out(..) | Event::Eof(_) | Event::Failed { .. } => true,
        };
        let Writing { out, path, .. } = &mut *writing;
        let named = |e: io::Error| {
            io::Error::new(
                e.kind(),
                format!("recording to {}: {e}", path.display()),
            )
        };
        serde_json::to_writer(&mut *out, &Line::from(event))?;
        out.write_all(b"\n").map_err(named)?;
        if caught_up {
            out.flush().map_err(named)?;
        }
        Ok(())
    }

    /// Writes bytes the inspector sends now, from outside the capture.
    pub fn sent_now(&self, bytes: &[u8]) -> io::Result<()> {
        let at = self.lock().start.elapsed();
        self.write(&Event::Out(at, bytes.to_vec()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Writing> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Records, to `path`, a session that failed before it was connected:
/// the request it would have sent, and why not (a refused TLS handshake
/// is told apart, as `--json` shows it as a record).
pub fn failed(
    path: &Path,
    url: &str,
    request: &[u8],
    e: &io::Error,
) -> io::Result<()> {
    let recorder =
        Recorder::create(path, &Header::new(url, request, request, None))?;
    recorder.write(&Event::Failed {
        at: Duration::ZERO,
        message: match TlsFailure::of(e) {
            Some(why) => why.to_string(),
            None => e.to_string(),
        },
        tls: TlsFailure::of(e).is_some(),
    })
}

/// Whether `input` holds a recording rather than a raw capture: a raw
/// capture starts with a status line, a recording with `{`. Looks
/// without taking anything.
pub fn is_recording(input: &mut impl BufRead) -> io::Result<bool> {
    let start = input.fill_buf()?;
    Ok(start.trim_ascii_start().first() == Some(&b'{'))
}

/// Reads a recording: its header, then its events one by one, so that a
/// long one is never in memory whole.
#[derive(Debug)]
pub struct Reader<R> {
    input: R,
    header: Header,
    /// The number of the last line read, for errors.
    line: usize,
    text: String,
}

impl<R: BufRead> Reader<R> {
    /// Reads the header. An unknown version is refused: its events may
    /// not mean what this inspector thinks.
    pub fn new(mut input: R) -> io::Result<Reader<R>> {
        let mut text = String::new();
        input.read_line(&mut text)?;
        // The version first, so that a newer file is refused for what it
        // is, not for a field this inspector does not know.
        #[derive(Deserialize)]
        struct Version {
            flusher_recording: Option<u64>,
        }
        let version: Version =
            serde_json::from_str(&text).map_err(|e| bad(1, &e))?;
        match version.flusher_recording {
            Some(VERSION) => {}
            Some(v) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "this is a version {v} recording, and this \
                         inspector reads version {VERSION} only: replay it \
                         with the inspector that made it, or a newer one"
                    ),
                ));
            }
            None => {
                return Err(bad(1, &"no flusher_recording: not a recording"));
            }
        }
        let header = serde_json::from_str(&text).map_err(|e| bad(1, &e))?;
        text.clear();
        Ok(Reader {
            input,
            header,
            line: 1,
            text,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The next event; `None` at the end of the file. Blank lines are
    /// skipped.
    pub fn next_event(&mut self) -> io::Result<Option<Event>> {
        loop {
            self.text.clear();
            if self.input.read_line(&mut self.text)? == 0 {
                return Ok(None);
            }
            self.line += 1;
            if self.text.trim().is_empty() {
                continue;
            }
            let line: Line = serde_json::from_str(&self.text)
                .map_err(|e| bad(self.line, &e))?;
            return Event::try_from(line)
                .map(Some)
                .map_err(|e| bad(self.line, &e));
        }
    }
}

/// A line of a recording that cannot be read, and why.
fn bad(line: usize, why: &dyn std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("recording, line {line}: {why}"),
    )
}

/// Waits until each event's time comes, divided by a speed: `--speed`.
#[derive(Debug)]
pub struct Pace {
    start: Instant,
    speed: f64,
}

impl Pace {
    /// From now, at `speed` times the recorded pace.
    pub fn new(speed: f64) -> Pace {
        Pace {
            start: Instant::now(),
            speed,
        }
    }

    /// Sleeps until `at`, at this pace, has come.
    pub fn wait(&self, at: Duration) {
        let due = self.start + at.div_f64(self.speed);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
    }
}

/// A recording fed through its session: the records of the live run.
#[derive(Debug)]
pub struct Replay<R> {
    recording: Reader<R>,
    session: Session,
    pace: Option<Pace>,
}

impl<R: BufRead> Replay<R> {
    /// Replays `recording`, keeping `max_data` of each piece; at once, or
    /// at `speed` times the recorded pace.
    pub fn new(
        recording: Reader<R>,
        max_data: usize,
        speed: Option<f64>,
    ) -> Self {
        Replay {
            session: recording.header().session(max_data),
            recording,
            pace: speed.map(Pace::new),
        }
    }

    pub fn header(&self) -> &Header {
        self.recording.header()
    }

    /// The next event through the session. Returns false once the
    /// recording is over; a failure recorded is this run's error, as it
    /// was the live run's.
    pub fn step(&mut self, emit: &mut impl FnMut(Record)) -> io::Result<bool> {
        let Some(event) = self.recording.next_event()? else {
            return Ok(false);
        };
        if let Some(pace) = &self.pace {
            pace.wait(event.at());
        }
        let session = &mut self.session;
        match event {
            Event::In(at, bytes) => {
                session.read(at, &bytes, emit);
            }
            Event::Out(at, bytes) => session.replay_sent(at, &bytes, emit),
            Event::Eof(at) => session.eof(at, emit),
            // A refused handshake is the server's answer: a record.
            Event::Failed {
                at,
                message,
                tls: true,
            } => emit(Record::Error {
                t_ms: millis(at),
                offset: 0,
                kind: "tls",
                message,
            }),
            Event::Failed { message, .. } => {
                return Err(io::Error::other(message));
            }
        }
        Ok(true)
    }
}

/// Bytes as base64 in a JSON string.
mod base64_bytes {
    use super::*;

    pub fn serialize<S: serde::Serializer>(
        bytes: &[u8],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&BASE64.encode(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        BASE64
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

/// [`base64_bytes`], for a field that may be absent.
mod base64_option {
    use super::*;

    pub fn serialize<S: serde::Serializer>(
        bytes: &Option<Vec<u8>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => base64_bytes::serialize(bytes, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        base64_bytes::deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::TlsDetails;

    fn header() -> Header {
        let connection = Connection {
            connect_ms: 0.123_456_789_012_345_6,
            tls_ms: Some(1.0 / 3.0),
            tls: Some(TlsDetails {
                version: "TLSv1.3".into(),
                cipher: "TLS13_AES_128_GCM_SHA256".into(),
                alpn: Some("h2".into()),
                subject: "CN=localhost".into(),
                issuer: "CN=test".into(),
                not_after: "2030-01-01T00:00:00Z".into(),
            }),
            http2: true,
        };
        Header::new(
            "https://localhost:8443/",
            b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
            b":method: GET\n",
            Some(&connection),
        )
    }

    fn events() -> Vec<Event> {
        vec![
            Event::In(Duration::from_nanos(1_234_567), b"HTTP/1.1 1".to_vec()),
            Event::Out(Duration::from_nanos(1_234_568), vec![0x81, 0x80, 0, 1]),
            Event::In(Duration::from_nanos(u64::MAX), vec![0; 70_000]),
            Event::Eof(Duration::from_secs(3)),
            Event::Failed {
                at: Duration::ZERO,
                message: "a \"quoted\"\nline".into(),
                tls: true,
            },
            Event::Failed {
                at: Duration::from_millis(10),
                message: "timed out".into(),
                tls: false,
            },
        ]
    }

    /// `header` and `events` written to a temporary file, read back.
    fn written(header: &Header, events: &[Event]) -> Vec<u8> {
        let path = std::env::temp_dir().join(format!(
            "recording-{}-{:?}.jsonl",
            std::process::id(),
            std::thread::current().id()
        ));
        let recorder = Recorder::create(&path, header).unwrap();
        for event in events {
            recorder.write(event).unwrap();
        }
        drop(recorder);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        bytes
    }

    fn read(bytes: &[u8]) -> io::Result<(Header, Vec<Event>)> {
        let mut reader = Reader::new(bytes)?;
        let mut events = Vec::new();
        while let Some(event) = reader.next_event()? {
            events.push(event);
        }
        Ok((reader.header, events))
    }

    #[test]
    fn a_recording_reads_back_as_written_times_and_floats_exactly() {
        let bytes = written(&header(), &events());
        let (header, events) = read(&bytes).unwrap();
        assert_eq!(header, self::header());
        assert!(header.connection().unwrap().http2);
        assert_eq!(header.sent(), b":method: GET\n");
        assert_eq!(events, self::events());
        assert!(is_recording(&mut &bytes[..]).unwrap());
        assert!(!is_recording(&mut &b"HTTP/1.1 200 OK\r\n"[..]).unwrap());
    }

    #[test]
    fn each_line_is_plain_json_with_the_documented_fields() {
        let bytes = written(&header(), &events()[..2]);
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with(
            r#"{"flusher_recording":1,"url":"https://localhost:8443/","request":"R0VU"#
        ));
        assert!(lines[0].ends_with(r#""http2":true}}"#), "{}", lines[0]);
        assert_eq!(lines[1], r#"{"t_ns":1234567,"in":"SFRUUC8xLjEgMQ=="}"#);
        assert_eq!(lines[2], r#"{"t_ns":1234568,"out":"gYAAAQ=="}"#);
    }

    #[test]
    fn a_bad_line_is_an_error_that_names_it() {
        let good = written(&header(), &events()[..1]);
        let error = |tail: &str| {
            let bytes = [&good[..], tail.as_bytes()].concat();
            read(&bytes).unwrap_err().to_string()
        };
        assert!(
            error("{\"t_ns\":5,\"in\":").starts_with("recording, line 3: "),
            "{}",
            error("{\"t_ns\":5,\"in\":")
        );
        assert_eq!(
            error("{\"t_ns\":5,\"eof\":true,\"in\":\"\"}\n"),
            "recording, line 3: an event has t_ns and exactly one of in, \
             out, eof (true) or error"
        );
        assert!(
            error("\n{\"t_ns\":5,\"in\":\"not base64!\"}\n")
                .starts_with("recording, line 4: "),
        );
        let headless = read(b"{\"url\":\"http://x/\"}\n").unwrap_err();
        assert_eq!(
            headless.to_string(),
            "recording, line 1: no flusher_recording: not a recording"
        );
    }

    #[test]
    fn an_unknown_version_is_refused_with_a_sentence() {
        let error =
            read(b"{\"flusher_recording\":2,\"anything\":[]}\n").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            error.to_string(),
            "this is a version 2 recording, and this inspector reads \
             version 1 only: replay it with the inspector that made it, or \
             a newer one"
        );
    }
}
