//! A timed capture of one HTTP exchange: the bytes, and when each read
//! returned.
//!
//! Timing is the whole point, so the client does as little as possible
//! between reads: no parsing, no allocation per read beyond growing one
//! buffer. Times are measured from the moment the request was written.
//!
//! [`Live::repeat`] (`--repeat`) sends the request again on the same
//! connection once each response is over: several exchanges, one after
//! another, on HTTP/1.1's keep-alive.
//!
//! `--max-time` is a watchdog thread, not a timeout on each read: at the
//! deadline it shuts the connection down, which ends a read blocked on
//! it, and that read then says why. So a read costs no extra system call.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use crate::http2::Client as Http2Client;
use crate::recording::{Event, Recorder};
use crate::session::{Chunk, Record, Session};
use crate::target::Target;
use crate::transport::{self, Connection, Failure, Http2, Stream, Writer};

/// The size of the buffer each read fills.
pub const READ_BUFFER: usize = 64 * 1024;

/// How long a capture waits for the next byte before giving up. Generous:
/// the lessons pause for hundreds of milliseconds between chunks on purpose.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// One `read` that returned bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    /// When the read returned, since the request was written.
    pub at: Duration,
    /// Where its first byte sits in [`Capture::bytes`].
    pub offset: usize,
    /// How many bytes it returned (never 0: end of stream is not a read).
    pub len: usize,
}

/// Everything the server sent until it closed the connection.
#[derive(Debug, Clone, Default)]
pub struct Capture {
    /// Every byte received, in order.
    pub bytes: Vec<u8>,
    /// Every read, in order. Their `offset..offset + len` ranges tile `bytes`.
    pub reads: Vec<Read>,
}

impl Capture {
    /// When the byte at `offset` arrived: the time of the read that carried
    /// it. `None` if the server never sent that many bytes.
    pub fn arrival(&self, offset: usize) -> Option<Duration> {
        // Reads are sorted by offset; find the last one starting at or
        // before `offset`.
        let i = self.reads.partition_point(|r| r.offset <= offset);
        let read = self.reads.get(i.checked_sub(1)?)?;
        (offset < read.offset + read.len).then_some(read.at)
    }

    /// The time from the first byte to the last: near zero for a burst.
    pub fn spread(&self) -> Duration {
        match (self.reads.first(), self.reads.last()) {
            (Some(first), Some(last)) => last.at - first.at,
            _ => Duration::ZERO,
        }
    }
}

/// Connects to `addr` with `TCP_NODELAY`, writes `request`, and reads until
/// the server closes the connection.
pub fn fetch(addr: SocketAddr, request: &[u8]) -> io::Result<Capture> {
    let stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    exchange(stream, request)
}

/// Writes `request` on an already connected `stream` and reads until the
/// server closes it. Use this to set socket options before the exchange.
pub fn exchange(stream: TcpStream, request: &[u8]) -> io::Result<Capture> {
    let mut live = Live::start(stream, request)?;
    live.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut capture = Capture::default();
    while let Some((at, bytes)) = live.next_read()? {
        let offset = capture.bytes.len();
        capture.reads.push(Read {
            at,
            offset,
            len: bytes.len(),
        });
        capture.bytes.extend_from_slice(bytes);
    }
    Ok(capture)
}

/// The data chunks of a `200 OK` to `GET target` from `addr`, each timed
/// as it arrived; an error for any other status, or a protocol error.
pub fn get_chunks(addr: SocketAddr, target: &str) -> io::Result<Vec<Chunk>> {
    let records = Live::get(addr, target)?.records("GET", usize::MAX)?;
    let mut chunks = Vec::new();
    for record in records {
        match record {
            Record::Head { status: 200, .. } => {}
            Record::Head { status, .. } => {
                return Err(io::Error::other(format!(
                    "GET {target}: {status}"
                )));
            }
            Record::Error { message, .. } => {
                return Err(io::Error::other(message));
            }
            record => chunks.extend(record.into_data_chunk()),
        }
    }
    Ok(chunks)
}

/// The status and the body, as text, of the answer to `request`: for a
/// short answer that is not chunked, such as a refusal and its reason.
pub fn answer(addr: SocketAddr, request: &[u8]) -> io::Result<(u16, String)> {
    let mut status = 0;
    let mut body = String::new();
    for record in Live::connect(addr, request)?.records("GET", usize::MAX)? {
        match record {
            Record::Head { status: s, .. } => status = s,
            Record::Data { data, .. } => body += &data,
            Record::Error { message, .. } => {
                return Err(io::Error::other(message));
            }
            _ => {}
        }
    }
    Ok((status, body))
}

/// What [`Live::repeat`] tells as it goes.
#[derive(Debug)]
pub enum Repeat<'a> {
    /// Exchange `n` (from 1) starts: its request has just been written,
    /// as these bytes. Exchanges after the first go on the connection
    /// that the first one made.
    Sent(u64, &'a [u8]),
    /// A record of the exchange that was sent last.
    Record(&'a Record),
    /// A read that did not fill the buffer: nothing more was waiting, so
    /// a live view shows what it has.
    CaughtUp,
}

/// Why [`Live::repeat`] stopped before its last exchange: the server
/// ends the connection after exchange `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    pub after: u64,
    /// Why, in a few words: what its response said, or that it closed
    /// it unannounced.
    pub why: &'static str,
}

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the server ends the connection after exchange {}: {}; \
             exchange {} would need a new one",
            self.after,
            self.why,
            self.after + 1
        )
    }
}

/// A connection being read as the bytes arrive.
#[derive(Debug)]
pub struct Live {
    wire: Wire,
    /// How the connection was made: its timings, and TLS's details;
    /// none if the stream came connected.
    connection: Option<Connection>,
    /// The request as sent.
    sent: Vec<u8>,
    start: Instant,
    buf: Vec<u8>,
    /// Where `--record` writes every read, and what is sent after the
    /// request.
    recorder: Option<Recorder>,
    /// The bytes read since the request was written: where the next one
    /// goes in the response.
    received: u64,
    /// `--max-time`'s watchdog, if it was given.
    deadline: Option<Deadline>,
}

/// `--max-time`: a thread that shuts the connection down when the time
/// is up, unless the [`Live`] is gone first (dropping `_stop` wakes it).
#[derive(Debug)]
struct Deadline {
    limit: Duration,
    authority: String,
    expired: Arc<AtomicBool>,
    _stop: mpsc::Sender<()>,
}

impl Deadline {
    /// Starts the watch over the connection `writer` shuts down, which
    /// has `limit` from `began`.
    fn start(
        began: Instant,
        limit: Duration,
        authority: &str,
        writer: Writer,
    ) -> Deadline {
        let (stop, stopped) = mpsc::channel::<()>();
        let expired = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&expired);
        let wait = limit.saturating_sub(began.elapsed());
        thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(wait)
            {
                // The flag first: the read that the shutdown ends looks
                // at it to tell a timeout from the server's close.
                flag.store(true, Ordering::SeqCst);
                let _ = writer.shutdown();
            }
        });
        Deadline {
            limit,
            authority: authority.to_owned(),
            expired,
            _stop: stop,
        }
    }

    fn expired(&self) -> bool {
        self.expired.load(Ordering::SeqCst)
    }

    /// The error a read ended by the watchdog returns instead of its own.
    fn error(&self, received: u64) -> io::Error {
        let so_far = match received {
            0 => "no byte of the response had come".to_owned(),
            n => format!("{n} bytes of the response had come"),
        };
        Failure::timeout(format!(
            "{} took longer than {}, so the inspector gave up: {so_far}",
            self.authority,
            transport::Limit::MaxTime(self.limit)
        ))
    }
}

/// The connection, as HTTP/1.1 reads it (bytes as they come), or as
/// HTTP/2's client runs it.
#[derive(Debug)]
enum Wire {
    Http1(Stream),
    Http2(Box<Http2Client>),
}

impl Live {
    /// Connects to `addr` with `TCP_NODELAY` and writes `request`.
    pub fn connect(addr: SocketAddr, request: &[u8]) -> io::Result<Live> {
        let options = transport::Options::default();
        Live::dial(&addr.to_string(), false, &options, request)
    }

    /// Connects to what `target` names, as `options` say (TLS, HTTP/2),
    /// and sends it `request`, made by [`Target::request`].
    pub fn open(
        target: &Target,
        request: &[u8],
        options: &transport::Options,
    ) -> io::Result<Live> {
        let mut options = options.clone();
        // A WebSocket over HTTP/2 needs RFC 8441's extended CONNECT, which
        // the inspector does not speak: like a browser without it, it
        // opens a WebSocket on HTTP/1.1.
        if target.websocket {
            if options.http2 == Http2::PriorKnowledge {
                return Err(io::Error::other(
                    "a WebSocket over HTTP/2 needs RFC 8441's extended \
                     CONNECT, which the inspector does not speak: drop \
                     --http2-prior-knowledge",
                ));
            }
            options.http2 = Http2::No;
        }
        Live::dial(&target.authority(), target.tls, &options, request)
    }

    fn dial(
        authority: &str,
        tls: bool,
        options: &transport::Options,
        request: &[u8],
    ) -> io::Result<Live> {
        let began = Instant::now();
        let (stream, connection) = transport::connect(authority, tls, options)?;
        // Watched from before the request is written: a server that
        // reads nothing can stall a large body's write too.
        let deadline = match options.max_time {
            Some(limit) => {
                let writer = stream.writer()?;
                Some(Deadline::start(began, limit, authority, writer))
            }
            None => None,
        };
        let timed_out = |e: io::Error| match &deadline {
            Some(deadline) if deadline.expired() => deadline.error(0),
            _ => e,
        };
        let mut live = match connection.http2 {
            false => Live::start(stream, request).map_err(timed_out)?,
            true => {
                let scheme = if tls { "https" } else { "http" };
                let (client, sent) =
                    Http2Client::start(stream, request, scheme)
                        .map_err(timed_out)?;
                Live {
                    start: client.start_time(),
                    wire: Wire::Http2(Box::new(client)),
                    connection: None,
                    sent,
                    buf: Vec::new(),
                    recorder: None,
                    received: 0,
                    deadline: None,
                }
            }
        };
        live.connection = Some(connection);
        live.deadline = deadline;
        Ok(live)
    }

    /// How the connection was made, if this made it.
    pub fn connection(&self) -> Option<&Connection> {
        self.connection.as_ref()
    }

    /// The request as it was sent.
    pub fn sent(&self) -> &[u8] {
        &self.sent
    }

    /// The wall clock when the request was written, which times count
    /// from: for `--har`'s `startedDateTime`.
    pub fn started(&self) -> SystemTime {
        SystemTime::now()
            .checked_sub(self.start.elapsed())
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }

    /// Writes every read from here on to `recorder`, and what
    /// [`Live::step`] sends, with times counted as this counts them.
    pub fn record(&mut self, recorder: Recorder) {
        self.recorder = Some(recorder.starting(self.start));
    }

    /// The server closed the connection: when, as the session and the
    /// recording both take it.
    pub fn closed(&mut self) -> io::Result<Duration> {
        let at = self.elapsed();
        self.note(&Event::Eof(at))?;
        Ok(at)
    }

    /// Reading or writing failed with `e`: when, noted in the recording.
    pub fn failed(&mut self, e: &io::Error) -> Duration {
        let at = self.elapsed();
        // The failure is the news; a recording that cannot say it is not.
        let _ = self.note(&Event::Failed {
            at,
            message: e.to_string(),
            tls: false,
        });
        at
    }

    fn note(&self, event: &Event) -> io::Result<()> {
        match &self.recorder {
            Some(recorder) => recorder.write(event),
            None => Ok(()),
        }
    }

    /// `GET target` from `addr`, on a connection closed after the answer:
    /// what tests and measurements send.
    pub fn get(addr: SocketAddr, target: &str) -> io::Result<Live> {
        let request = format!(
            "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        );
        Live::connect(addr, request.as_bytes())
    }

    /// Writes `request` on a connected stream. Times count from here.
    pub fn start(
        stream: impl Into<Stream>,
        request: &[u8],
    ) -> io::Result<Live> {
        let mut stream = stream.into();
        stream.write_all(request)?;
        Ok(Live {
            wire: Wire::Http1(stream),
            connection: None,
            sent: request.to_vec(),
            start: Instant::now(),
            // A read returns whatever the kernel has, up to this. On a
            // 5 GiB/s loopback stream 64 KiB runs at 0.87-1.08x curl;
            // 256 KiB ran 20-30% slower in every round, since the copy
            // into it no longer stays in cache (`cargo xtask bench-capture`).
            buf: vec![0; READ_BUFFER],
            recorder: None,
            received: 0,
            deadline: None,
        })
    }

    /// Writes the request again on this connection, for the next
    /// exchange: HTTP/1.1's keep-alive, once the response before it is
    /// over. Times count from here again. Over HTTP/2 requests are
    /// streams side by side, not one after another: an error.
    pub fn again(&mut self) -> io::Result<()> {
        let Wire::Http1(stream) = &mut self.wire else {
            return Err(io::Error::other(
                "over HTTP/2 a request is a new stream, not the next \
                 exchange on the connection: --repeat shows HTTP/1.1's \
                 keep-alive",
            ));
        };
        stream.write_all(&self.sent)?;
        self.start = Instant::now();
        self.received = 0;
        Ok(())
    }

    /// Sends the request `times` times in all on this one connection,
    /// one after another: each response is read to its end, by its
    /// framing, before the next request goes out (RFC 9112 §9.3). The
    /// request this was opened with is the first. `tell` hears each
    /// request as it is written and each record of its response, in
    /// order.
    ///
    /// Stops early, with `Ok(Some(_))`, when the server ends the
    /// connection after a response: it said so (`Connection: close`,
    /// HTTP/1.0, a body ended by the close), or it closed without a
    /// word before the next response began. A response that fails
    /// stops it too, after its `error` record.
    pub fn repeat(
        &mut self,
        times: u64,
        max_data: usize,
        tell: &mut impl FnMut(Repeat<'_>),
    ) -> io::Result<Option<Closed>> {
        // Bytes read past the end of a response: the start of the next.
        let mut rest = Vec::new();
        for n in 1..=times {
            let session = Session::for_request(&self.sent, max_data);
            let mut session = match n {
                1 => session.with_connection(self.connection()),
                _ => {
                    if let Err(e) = self.again() {
                        return closed_early(n - 1, e);
                    }
                    session.reusing(self.connection())
                }
            };
            tell(Repeat::Sent(n, &self.sent));
            let mut heard = !rest.is_empty();
            if heard {
                let early = std::mem::take(&mut rest);
                session.read(Duration::ZERO, &early, &mut record(tell));
            }
            while !session.is_done() {
                match self.next_read() {
                    Ok(Some((at, bytes))) => {
                        heard = true;
                        let used = session.read(at, bytes, &mut record(tell));
                        rest.extend_from_slice(&bytes[used..]);
                        if bytes.len() < READ_BUFFER {
                            tell(Repeat::CaughtUp);
                        }
                    }
                    // No byte of this response: the connection was over.
                    Ok(None) if !heard && n > 1 => {
                        return Ok(Some(Closed {
                            after: n - 1,
                            why: "it closed it although its response did not say so",
                        }));
                    }
                    Ok(None) => {
                        session.eof(self.closed()?, &mut record(tell));
                    }
                    Err(e) if !heard && n > 1 => {
                        return closed_early(n - 1, e);
                    }
                    Err(e) => {
                        self.failed(&e);
                        return Err(e);
                    }
                }
            }
            tell(Repeat::CaughtUp);
            if session.failed() {
                return Ok(None);
            }
            if let Some(why) = session.closes_connection()
                && n < times
            {
                return Ok(Some(Closed { after: n, why }));
            }
        }
        Ok(None)
    }

    /// The next read: when it returned, and its bytes. `None` when the
    /// server has closed the connection. Once `--max-time` is up, an
    /// error of kind `TimedOut` that carries a [`Failure`] saying so.
    pub fn next_read(&mut self) -> io::Result<Option<(Duration, &[u8])>> {
        let read = read_wire(
            &mut self.wire,
            &mut self.buf,
            self.recorder.as_ref(),
            self.start,
        );
        match (read, &self.deadline) {
            (Ok(Some((at, bytes))), _) => {
                self.received += bytes.len() as u64;
                Ok(Some((at, bytes)))
            }
            // The watchdog's shutdown ended this read: the close, or the
            // error, is not the server's.
            (_, Some(deadline)) if deadline.expired() => {
                Err(deadline.error(self.received))
            }
            (read, _) => read,
        }
    }

    /// The bytes read since the request was written.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// A handle that writes to the server, and shuts the connection
    /// down, from another thread: which ends a read blocked on it.
    pub fn writer(&self) -> io::Result<Writer> {
        match &self.wire {
            Wire::Http1(stream) => stream.writer(),
            Wire::Http2(client) => client.writer(),
        }
    }

    fn tcp(&self) -> &TcpStream {
        match &self.wire {
            Wire::Http1(stream) => stream.tcp(),
            Wire::Http2(client) => client.tcp(),
        }
    }

    /// How long a read may wait for the server; none, for ever.
    pub fn set_read_timeout(
        &self,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        self.tcp().set_read_timeout(timeout)
    }

    /// The time since the request was written.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Reads the response to `method` to its end, or to its first
    /// protocol error, and returns its records, each timed as it arrived:
    /// for tests and measurements, which look at the whole exchange.
    pub fn records(
        self,
        method: &str,
        max_data: usize,
    ) -> io::Result<Vec<Record>> {
        self.run(Session::new(method, max_data), None)
    }

    /// [`Live::records`] with any session: one for a WebSocket sends
    /// what it has to, and closes it `close_after` the request.
    pub fn run(
        mut self,
        mut session: Session,
        close_after: Option<Duration>,
    ) -> io::Result<Vec<Record>> {
        let mut records = Vec::new();
        while !session.is_done() {
            self.step(&mut session, close_after, &mut |r| records.push(r))?;
        }
        Ok(records)
    }

    /// One step of the exchange: the next read, through `session`, and
    /// then what the session sends back written. A WebSocket still open
    /// `close_after` the request is closed instead, by the session.
    /// Returns whether this caught up with the server: a read that did
    /// not fill the buffer, so no more bytes were waiting.
    pub fn step(
        &mut self,
        session: &mut Session,
        close_after: Option<Duration>,
        emit: &mut impl FnMut(Record),
    ) -> io::Result<bool> {
        let stepped = self.step_once(session, close_after, emit);
        if let Err(e) = &stepped {
            self.failed(e);
        }
        stepped
    }

    fn step_once(
        &mut self,
        session: &mut Session,
        close_after: Option<Duration>,
        emit: &mut impl FnMut(Record),
    ) -> io::Result<bool> {
        let due = close_after.filter(|_| session.websocket_open());
        // Asked only when a close is due: not a system call per read.
        let timeout = match due {
            Some(_) => self.tcp().read_timeout()?,
            None => None,
        };
        if let Some(due) = due {
            match due.checked_sub(self.elapsed()) {
                Some(left) if !left.is_zero() => {
                    self.tcp().set_read_timeout(Some(left))?;
                }
                _ => session.close(self.elapsed(), emit),
            }
        }
        // A close just queued goes out first; reading waits for the next
        // step.
        let closing = !session.outgoing_empty();
        let caught_up = closing
            || match self.next_read() {
                Ok(Some((at, bytes))) => {
                    session.read(at, bytes, emit);
                    bytes.len() < READ_BUFFER
                }
                Ok(None) => {
                    session.eof(self.closed()?, emit);
                    true
                }
                // The close is due: the next step sends it.
                Err(e)
                    if due.is_some()
                        && matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                {
                    true
                }
                Err(e) => return Err(e),
            };
        if due.is_some() {
            self.tcp().set_read_timeout(timeout)?;
        }
        let frames = session.outgoing_frames();
        // Each frame at the time its record says, so a replay's match.
        for (at, frame) in &frames {
            self.note(&Event::Out(*at, frame.clone()))?;
        }
        let out: Vec<u8> = frames.into_iter().flat_map(|(_, f)| f).collect();
        // Only a WebSocket has more to send; never over HTTP/2.
        let Wire::Http1(stream) = &mut self.wire else {
            return Ok(caught_up);
        };
        // The server may be gone already; its close is what counts.
        if let Err(e) = stream.write_all(&out)
            && !matches!(
                e.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
            )
        {
            return Err(e);
        }
        Ok(caught_up)
    }
}

/// One read of `wire`, into `buf` for HTTP/1.1, timed from `start`,
/// and written to `recorder`: [`Live::next_read`], on the fields it
/// needs, so that it can look at the deadline after.
fn read_wire<'a>(
    wire: &'a mut Wire,
    buf: &'a mut [u8],
    recorder: Option<&Recorder>,
    start: Instant,
) -> io::Result<Option<(Duration, &'a [u8])>> {
    let stream = match wire {
        Wire::Http1(stream) => stream,
        Wire::Http2(client) => {
            let read = client.next_read()?;
            if let (Some(recorder), Some((at, bytes))) = (recorder, &read) {
                recorder.write(&Event::In(*at, bytes.to_vec()))?;
            }
            return Ok(read);
        }
    };
    loop {
        match stream.read(buf) {
            Ok(0) => return Ok(None),
            // Timestamp first: handling the bytes is not their arrival.
            Ok(len) => {
                let at = start.elapsed();
                let bytes = &buf[..len];
                if let Some(recorder) = recorder {
                    recorder.write(&Event::In(at, bytes.to_vec()))?;
                }
                return Ok(Some((at, bytes)));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Tells each record of a session as [`Repeat::Record`].
fn record(tell: &mut impl FnMut(Repeat<'_>)) -> impl FnMut(Record) + '_ {
    |record| tell(Repeat::Record(&record))
}

/// [`Live::repeat`]'s end when writing or reading failed as it does on a
/// connection the server had closed after exchange `after`.
fn closed_early(after: u64, e: io::Error) -> io::Result<Option<Closed>> {
    match e.kind() {
        io::ErrorKind::BrokenPipe
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted => Ok(Some(Closed {
            after,
            why: "it closed it although its response did not say so",
        })),
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn arrival_finds_the_read_that_carried_a_byte() {
        let capture = Capture {
            bytes: vec![0; 10],
            reads: vec![
                Read {
                    at: ms(1),
                    offset: 0,
                    len: 4,
                },
                Read {
                    at: ms(5),
                    offset: 4,
                    len: 6,
                },
            ],
        };
        assert_eq!(capture.arrival(0), Some(ms(1)));
        assert_eq!(capture.arrival(3), Some(ms(1)));
        assert_eq!(capture.arrival(4), Some(ms(5)));
        assert_eq!(capture.arrival(9), Some(ms(5)));
        assert_eq!(capture.arrival(10), None);
        assert_eq!(capture.spread(), ms(4));
    }

    #[test]
    fn an_empty_capture_has_no_arrivals() {
        let capture = Capture::default();
        assert_eq!(capture.arrival(0), None);
        assert_eq!(capture.spread(), Duration::ZERO);
    }
}
