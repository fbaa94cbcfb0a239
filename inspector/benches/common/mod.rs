//! What the two benches share: the chunked response on the wire, and the
//! two decoders under test reading it the way a socket hands it over, at
//! most [`READ`] bytes per read.
//!
//! Both sides get the same bytes and the same read size, and both pay for
//! the read itself, a copy into a buffer, as they would from a socket:
//! - **ours**: one reused 64 KiB buffer, [`inspector::Decoder::feed`] on
//!   each read, every `Data` event consumed (its length summed).
//! - **hyper**: its HTTP/1.1 client (`hyper::client::conn::http1`) over an
//!   in-memory transport that answers once the request is written, serves
//!   64 KiB reads into hyper's own read buffer, and discards the request;
//!   every body frame collected to the end. hyper also writes the request,
//!   builds a `Response`, and hands each chunk as a `Bytes` frame from the
//!   connection task to the body, through a channel.

use std::hint::black_box;
use std::io::{self, BufRead, Read};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper::rt::ReadBufCursor;
use inspector::{Decoder, Event, Status};
use tokio::runtime::Runtime;

/// One socket read: at most this many bytes.
pub const READ: usize = 64 * 1024;

const HEAD: &[u8] = b"HTTP/1.1 200 OK\r\n\
    content-type: application/octet-stream\r\n\
    transfer-encoding: chunked\r\n\
    \r\n";
const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// A chunked response of `chunks` chunks of `chunk` bytes each, generated
/// as it is read, so that a stream of any length takes a few KiB:
///
/// ```text
/// head, then `chunks` times: {size:x}\r\n, `chunk` bytes, \r\n; then 0\r\n\r\n
/// ```
#[derive(Debug)]
pub struct ChunkedResponse {
    /// Whole chunks, at least [`READ`] bytes of them: the chunk stream
    /// repeats with this period.
    tile: Vec<u8>,
    /// The length of all the chunks on the wire, size lines included.
    chunks_len: u64,
    /// How far the response has been read.
    pos: u64,
}

impl ChunkedResponse {
    pub fn new(chunk: usize, chunks: u64) -> Self {
        let mut one = format!("{chunk:x}\r\n").into_bytes();
        one.resize(one.len() + chunk, b'a');
        one.extend_from_slice(b"\r\n");
        let tile = one.repeat(READ.div_ceil(one.len()));
        ChunkedResponse {
            tile,
            chunks_len: one.len() as u64 * chunks,
            pos: 0,
        }
    }

    /// The whole response in memory: the "prepared buffer".
    #[allow(dead_code)] // decode_rss streams instead
    pub fn into_vec(mut self) -> Vec<u8> {
        let len = HEAD.len() as u64 + self.chunks_len + LAST_CHUNK.len() as u64;
        let mut all = Vec::with_capacity(to_usize(len));
        self.read_to_end(&mut all).expect("generating never fails");
        all
    }
}

impl BufRead for ChunkedResponse {
    /// The rest of the head, of the tile, or of the last-chunk.
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let head = HEAD.len() as u64;
        if self.pos < head {
            return Ok(&HEAD[to_usize(self.pos)..]);
        }
        let at = self.pos - head;
        if at < self.chunks_len {
            let tile = &self.tile[to_usize(at % self.tile.len() as u64)..];
            let left = usize::try_from(self.chunks_len - at);
            return Ok(&tile[..left.map_or(tile.len(), |l| l.min(tile.len()))]);
        }
        let at = to_usize(at - self.chunks_len);
        Ok(LAST_CHUNK.get(at..).unwrap_or_default())
    }

    fn consume(&mut self, n: usize) {
        self.pos += n as u64;
    }
}

impl Read for ChunkedResponse {
    fn read(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        read_up_to(self, dst.len(), |at, piece| {
            dst[at..at + piece.len()].copy_from_slice(piece)
        })
    }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).expect("a 64-bit target")
}

/// One read of at most `max` bytes from `wire`: hands `put` each piece
/// with its place in the read, and returns the bytes read (0 at the end).
fn read_up_to(
    wire: &mut impl BufRead,
    max: usize,
    mut put: impl FnMut(usize, &[u8]),
) -> io::Result<usize> {
    let mut n = 0;
    while n < max {
        let piece = wire.fill_buf()?;
        if piece.is_empty() {
            break;
        }
        let piece = &piece[..piece.len().min(max - n)];
        put(n, piece);
        let len = piece.len();
        wire.consume(len);
        n += len;
    }
    Ok(n)
}

/// Ours: reads of at most `buf.len()` bytes into `buf`, each fed to the
/// decoder. Returns the body length, counted from the `Data` events.
pub fn inspector_reads(wire: &mut impl BufRead, buf: &mut [u8]) -> u64 {
    let mut decoder = Decoder::new("GET");
    let mut body = 0;
    let mut on = |event: Event<'_>| {
        if let Event::Data { bytes, .. } = event {
            body += black_box(bytes).len() as u64;
        }
    };
    loop {
        let n = read_up_to(wire, buf.len(), |at, piece| {
            buf[at..at + piece.len()].copy_from_slice(piece)
        })
        .expect("an in-memory read");
        if n == 0 {
            decoder.finish(&mut on).expect("the response is complete");
        }
        let status =
            decoder.feed(&buf[..n], &mut on).expect("a valid response");
        if let Status::Complete(_) = status {
            return body;
        }
    }
}

/// hyper: its HTTP/1.1 client reads the response from `wire`, 64 KiB per
/// read. Returns the body length, counted from the data frames.
pub fn hyper_reads(
    runtime: &Runtime,
    wire: impl BufRead + Unpin + Send + 'static,
) -> u64 {
    runtime.block_on(async {
        let mut builder = http1::Builder::new();
        // The same read size as ours, rather than hyper's adaptive one.
        builder.read_buf_exact_size(Some(READ));
        let (mut sender, connection) = builder
            .handshake(Transport {
                wire,
                requested: false,
                reader: None,
            })
            .await
            .expect("an in-memory handshake");
        let request = hyper::Request::get("/")
            .header(hyper::header::HOST, "bench")
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        // The connection runs as its own task, as hyper's examples do it
        // (on this one thread: driving both from one task with `join!`
        // measured slower for hyper).
        let connection = tokio::spawn(connection);
        let response = sender.send_request(request).await.expect("a head");
        let mut body = response.into_body();
        let mut len = 0;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.expect("a valid body").into_data() {
                len += black_box(data).len() as u64;
            }
        }
        // No more requests: this lets the connection end.
        drop(sender);
        connection
            .await
            .expect("the connection task")
            .expect("a clean end");
        len
    })
}

/// hyper's side of the wire: reads come from `wire`, writes vanish.
struct Transport<R> {
    wire: R,
    /// Like a server, the wire answers only once the request is written:
    /// hyper rightly rejects a response that comes before its request.
    requested: bool,
    /// The read waiting for that.
    reader: Option<Waker>,
}

impl<R: BufRead + Unpin> hyper::rt::Read for Transport<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.requested {
            this.reader = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let max = buf.remaining().min(READ);
        let wire = &mut this.wire;
        Poll::Ready(
            read_up_to(wire, max, |_, piece| buf.put_slice(piece)).map(drop),
        )
    }
}

impl<R: BufRead + Unpin> hyper::rt::Write for Transport<R> {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        request: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.requested = true;
        if let Some(reader) = this.reader.take() {
            reader.wake();
        }
        Poll::Ready(Ok(request.len()))
    }

    fn poll_flush(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A single-threaded runtime for hyper: no I/O driver or timers needed.
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
}

/// Prints a bench's table and leaves it in `book/src/generated/NAME`, where
/// the book's benchmark appendix includes it: figures are never pasted.
pub fn publish(name: &str, table: &str) {
    print!("{table}");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../book/src/generated")
        .join(name);
    if let Err(e) = std::fs::write(&path, table) {
        eprintln!("cannot write {}: {e}", path.display());
    }
}
