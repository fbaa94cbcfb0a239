//! [`ChunkedWriter`]: Go's `response` + `chunkWriter`, in Rust.

use std::io::{self, IoSlice, Write};

use lesson_01_raw_tcp::response::{self, Status};
use lesson_02_chunked_by_hand::chunk::{LAST_CHUNK, SizeLine};

// ANCHOR: buffer_before_chunking
/// How much a response may buffer before it must start chunking. Go's
/// `bufferBeforeChunkingSize`, and the size of its `bufio.Writer`.
pub const BUFFER_BEFORE_CHUNKING: usize = 2048;
// ANCHOR_END: buffer_before_chunking

/// The status and header fields of a response, written lazily. `Date` and
/// the framing field (`Transfer-Encoding` or `Content-Length`) are added by
/// the writer, which is the only one who knows the framing.
#[derive(Debug, Clone)]
pub struct Head {
    pub status: Status,
    pub fields: Vec<(&'static str, String)>,
}

impl Head {
    pub fn new(status: Status) -> Self {
        Head {
            status,
            fields: Vec::new(),
        }
    }

    pub fn field(mut self, name: &'static str, value: &str) -> Self {
        self.fields.push((name, value.to_owned()));
        self
    }

    /// The head as bytes, ending in its blank line, framed by `framing`.
    pub fn encode(&self, framing: Framing) -> Vec<u8> {
        let mut out = self.status.line();
        out += &format!("Date: {}\r\n", response::date());
        for (name, value) in &self.fields {
            out += &format!("{name}: {value}\r\n");
        }
        out += &match framing {
            Framing::Chunked => "Transfer-Encoding: chunked\r\n".to_owned(),
            Framing::Length(len) => format!("Content-Length: {len}\r\n"),
            Framing::Close => String::new(),
        };
        out += "\r\n";
        out.into_bytes()
    }
}

/// How the body's end is marked. Decided when the head is written.
#[derive(Debug, Clone, Copy)]
pub enum Framing {
    Chunked,
    Length(usize),
    /// No framing field: the body ends when the server closes. Only for
    /// HTTP/1.0 clients, which can't read chunks (lesson 05 streams to
    /// them this way); the caller says `Connection: close`.
    Close,
}

// ANCHOR: struct
/// A response body writer where every `flush()` puts exactly one chunk on
/// the wire.
///
/// - `write` only buffers, up to [`BUFFER_BEFORE_CHUNKING`] bytes. A write
///   that does not fit sends the buffer and itself as one chunk.
/// - `flush` sends what is buffered as one chunk, then flushes `W`. This is
///   Go's `Flusher.Flush`; its error is Go's `FlushError`.
/// - The head goes out lazily, with the first chunk, in the same write. Go
///   calls this `wroteHeader`.
/// - [`finish`](Self::finish) sends the last-chunk. If nothing was flushed
///   by then, the whole body is in the buffer, so the response goes out
///   with `Content-Length` instead of chunks, just as Go does.
///
/// Dropping the writer without `finish` sends no last-chunk: the client sees
/// an incomplete body, which is the truth when a handler fails half-way.
#[derive(Debug)]
pub struct ChunkedWriter<W: Write> {
    inner: W,
    /// `Some` until the head is written (Go: `!wroteHeader`).
    head: Option<Head>,
    /// Go: the `bufio.Writer` in front of the `chunkWriter`.
    buf: Vec<u8>,
}
// ANCHOR_END: struct

impl<W: Write> ChunkedWriter<W> {
    pub fn new(inner: W, head: Head) -> Self {
        ChunkedWriter {
            inner,
            head: Some(head),
            buf: Vec::with_capacity(BUFFER_BEFORE_CHUNKING),
        }
    }

    // ANCHOR: send_chunk
    /// Sends the buffer and then `more` as one chunk, preceded by the head
    /// if it has not gone out yet: one vectored write, no copying.
    fn send_chunk(&mut self, more: &[u8]) -> io::Result<()> {
        let head = match self.head.take() {
            Some(head) => head.encode(Framing::Chunked),
            None => Vec::new(),
        };
        let size = self.buf.len() + more.len();
        if size == 0 {
            // A zero-size chunk would be the last-chunk. Send the head only
            // (if it is still pending), as Go does for an early Flush.
            return write_all_vectored(
                &mut self.inner,
                &mut [IoSlice::new(&head)],
            );
        }
        let size_line = SizeLine::new(size);
        write_all_vectored(
            &mut self.inner,
            &mut [
                IoSlice::new(&head),
                IoSlice::new(size_line.as_bytes()),
                IoSlice::new(&self.buf),
                IoSlice::new(more),
                IoSlice::new(b"\r\n"),
            ],
        )?;
        self.buf.clear();
        Ok(())
    }
    // ANCHOR_END: send_chunk

    // ANCHOR: finish
    /// Ends the response and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        match self.head.take() {
            // Never flushed: the whole body is buffered, so its length is
            // known and no chunking is needed.
            Some(head) => {
                let head = head.encode(Framing::Length(self.buf.len()));
                write_all_vectored(
                    &mut self.inner,
                    &mut [IoSlice::new(&head), IoSlice::new(&self.buf)],
                )?;
            }
            // Chunked: what is left, then the last-chunk, in one write.
            None => {
                let size_line = SizeLine::new(self.buf.len());
                let rest: &[&[u8]] = if self.buf.is_empty() {
                    &[]
                } else {
                    &[size_line.as_bytes(), &self.buf, b"\r\n"]
                };
                let mut slices: Vec<IoSlice> =
                    rest.iter().map(|s| IoSlice::new(s)).collect();
                slices.push(IoSlice::new(LAST_CHUNK));
                write_all_vectored(&mut self.inner, &mut slices)?;
            }
        }
        self.inner.flush()?;
        Ok(self.inner)
    }
    // ANCHOR_END: finish
}

// ANCHOR: write
impl<W: Write> Write for ChunkedWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() + data.len() <= BUFFER_BEFORE_CHUNKING {
            self.buf.extend_from_slice(data);
        } else {
            // Too big to hold: the response can no longer be sent with
            // Content-Length. Out it goes, as one chunk with the buffer.
            self.send_chunk(data)?;
        }
        Ok(data.len())
    }

    /// One chunk now, then flush the writer underneath (for a `TcpStream`
    /// that is a no-op: each write is already a `send`).
    fn flush(&mut self) -> io::Result<()> {
        self.send_chunk(&[])?;
        self.inner.flush()
    }
}
// ANCHOR_END: write

/// Writes every slice, in as few `writev` calls as the kernel allows.
/// (`Write::write_all_vectored` does this, but is not stable yet.)
fn write_all_vectored(
    w: &mut impl Write,
    mut slices: &mut [IoSlice<'_>],
) -> io::Result<()> {
    IoSlice::advance_slices(&mut slices, 0); // skip leading empty slices
    while !slices.is_empty() {
        match w.write_vectored(slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lesson_01_raw_tcp::testing::mask_date;

    /// Records every call to the writer underneath, to count the writes.
    #[derive(Debug, Default)]
    struct Recorder {
        writes: Vec<Vec<u8>>,
    }

    impl Write for Recorder {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.writes.push(buf.to_vec());
            Ok(buf.len())
        }

        /// One vectored write is one call, as `writev` is one syscall.
        fn write_vectored(
            &mut self,
            bufs: &[IoSlice<'_>],
        ) -> io::Result<usize> {
            let all: Vec<u8> =
                bufs.iter().flat_map(|b| b.iter().copied()).collect();
            let len = all.len();
            self.writes.push(all);
            Ok(len)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Recorder {
        /// Each write as text, with its date masked.
        fn texts(&self) -> Vec<String> {
            self.writes
                .iter()
                .map(|w| match String::from_utf8_lossy(w) {
                    t if t.contains("\r\nDate: ") => {
                        String::from_utf8(mask_date(w)).unwrap()
                    }
                    t => t.into_owned(),
                })
                .collect()
        }
    }

    fn writer() -> ChunkedWriter<Recorder> {
        let head = Head::new(Status::Ok).field("Content-Type", "text/plain");
        ChunkedWriter::new(Recorder::default(), head)
    }

    const CHUNKED_HEAD: &str = "HTTP/1.1 200 OK\r\n\
                                Date: <date>\r\n\
                                Content-Type: text/plain\r\n\
                                Transfer-Encoding: chunked\r\n\
                                \r\n";

    #[test]
    fn writes_only_buffer() {
        let mut w = writer();
        w.write_all(b"hello").unwrap();
        assert!(w.inner.writes.is_empty());
    }

    #[test]
    fn the_first_flush_sends_head_and_chunk_in_one_write() {
        let mut w = writer();
        w.write_all(b"hello").unwrap();
        w.flush().unwrap();
        assert_eq!(w.inner.texts(), [format!("{CHUNKED_HEAD}5\r\nhello\r\n")]);
    }

    #[test]
    fn each_flush_is_one_chunk_in_one_write() {
        let mut w = writer();
        for part in ["a", "bc", "0123456789abcdef"] {
            // Two writes, one flush: still one chunk.
            w.write_all(part.as_bytes()).unwrap();
            w.write_all(b"!").unwrap();
            w.flush().unwrap();
        }
        let out = w.finish().unwrap();
        assert_eq!(
            out.texts(),
            [
                format!("{CHUNKED_HEAD}2\r\na!\r\n"),
                "3\r\nbc!\r\n".to_owned(),
                "11\r\n0123456789abcdef!\r\n".to_owned(),
                "0\r\n\r\n".to_owned(),
            ]
        );
    }

    #[test]
    fn a_flush_with_nothing_buffered_sends_no_chunk() {
        let mut w = writer();
        w.flush().unwrap(); // the head alone, as Go's early Flush does
        w.flush().unwrap(); // nothing at all: never a zero-size chunk
        w.write_all(b"").unwrap();
        w.flush().unwrap();
        assert_eq!(w.inner.texts(), [CHUNKED_HEAD]);
    }

    #[test]
    fn finishing_without_a_flush_sends_content_length() {
        let mut w = writer();
        w.write_all(b"hello, ").unwrap();
        w.write_all(b"world").unwrap();
        let out = w.finish().unwrap();
        assert_eq!(
            out.texts(),
            ["HTTP/1.1 200 OK\r\n\
                 Date: <date>\r\n\
                 Content-Type: text/plain\r\n\
                 Content-Length: 12\r\n\
                 \r\n\
                 hello, world"]
        );
    }

    #[test]
    fn finish_sends_the_rest_and_the_last_chunk_in_one_write() {
        let mut w = writer();
        w.write_all(b"one").unwrap();
        w.flush().unwrap();
        w.write_all(b"two").unwrap();
        let out = w.finish().unwrap();
        assert_eq!(out.texts()[1..], ["3\r\ntwo\r\n0\r\n\r\n"]);
    }

    #[test]
    fn overflowing_the_buffer_starts_chunking_without_a_flush() {
        let mut w = writer();
        w.write_all(&[b'a'; 2000]).unwrap();
        assert!(w.inner.writes.is_empty(), "2000 bytes still fit");
        w.write_all(&[b'b'; 100]).unwrap();
        let texts = w.inner.texts();
        let expected = format!(
            "{CHUNKED_HEAD}834\r\n{}{}\r\n",
            "a".repeat(2000),
            "b".repeat(100)
        );
        assert_eq!(texts, [expected]);
    }

    #[test]
    fn a_write_larger_than_the_buffer_is_one_chunk() {
        let mut w = writer();
        w.flush().unwrap();
        w.write_all(&[b'x'; 5000]).unwrap();
        assert_eq!(
            w.inner.texts()[1..],
            [format!("1388\r\n{}\r\n", "x".repeat(5000))]
        );
    }

    #[test]
    fn an_error_from_the_stream_is_the_flush_error() {
        struct Gone;
        impl Write for Gone {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut w = ChunkedWriter::new(Gone, Head::new(Status::Ok));
        w.write_all(b"hello").unwrap();
        let e = w.flush().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
    }
}
