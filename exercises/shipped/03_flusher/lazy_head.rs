//! # Exercise: headers written lazily, like Go's `http.Flusher`
//!
//! Chapter: `book/src/03-flusher.md`.
//!
//! A handler writes its page in pieces and calls `flush()` whenever the
//! client should see what it has so far. The head must go out before any of
//! the body, but it can only say `Content-Length` once the whole body is
//! known. So the head waits for the first of two events:
//!
//! - **A flush.** More may follow, so the length is unknown: send the head
//!   with `Transfer-Encoding: chunked`, then what was written as one chunk.
//!   Each later flush sends one more chunk; `finish()` sends the last-chunk.
//! - **`finish()` without any flush.** The whole body is known: send it
//!   with `Content-Length`, and no chunks at all.
//!
//! Go's `net/http` decides the same way (`chunkWriter.writeHeader`). Go also
//! starts chunking by itself once its 2048-byte buffer fills up
//! (`bufferBeforeChunkingSize`); this exercise leaves that out.
//!
//! Make the tests at the bottom pass:
//! `cargo run -p exercises -- run lazy_head`.

use std::io::{self, Write};

fn main() {
    // You can experiment here, then run the tests with
    // `cargo run -p exercises -- run lazy_head`.
}

/// The head up to its framing field, which is the same for both framings.
const HEAD_START: &str = "HTTP/1.1 200 OK\r\n\
                          Content-Type: text/html; charset=utf-8\r\n";

/// One response, streamed over `inner`: a `TcpStream` in a server, a
/// recorder in the tests.
#[derive(Debug)]
struct Flusher<W: Write> {
    inner: W,
    /// Body bytes written since the last flush.
    buf: Vec<u8>,
    /// Whether the head has gone out, which commits the response to chunked.
    head_sent: bool,
}

/// Frames `data` as one chunk. This is the exercise `chunk_frame`, done.
fn encode_chunk(data: &[u8]) -> Vec<u8> {
    if data.is_empty() {
        return Vec::new(); // a chunk of size zero would end the body
    }
    [format!("{:x}\r\n", data.len()).as_bytes(), data, b"\r\n"].concat()
}

/// The last-chunk, then the empty line that ends the (empty) trailer
/// section: the body is complete.
const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

impl<W: Write> Flusher<W> {
    fn new(inner: W) -> Self {
        Flusher {
            inner,
            buf: Vec::new(),
            head_sent: false,
        }
    }

    /// Ends the response, and hands back the inner writer.
    //
    // TODO: If the head has not gone out, nothing was ever flushed, and the
    // whole body is in `buf`: send one response with Content-Length.
    //   write "<p>Hello</p>", finish()
    //     → one write: HEAD_START + "Content-Length: 12\r\n\r\n<p>Hello</p>"
    //
    // TODO: Otherwise the response is chunked: send what is left in `buf`
    // as a chunk, and the last-chunk, together in one write.
    //   write "a", flush(), write "bc", finish()
    //     → writes: [head + "1\r\na\r\n", "2\r\nbc\r\n0\r\n\r\n"]
    //
    // TODO: Flush the inner writer before you hand it back.
    fn finish(mut self) -> io::Result<W> {
        todo!()
    }
}

impl<W: Write> Write for Flusher<W> {
    /// Buffers `data`. Nothing reaches the inner writer until a flush.
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    /// Sends what was written since the last flush as one chunk, after the
    /// head if it hasn't gone out yet.
    //
    // TODO: The first flush sends the head, ending in
    // "Transfer-Encoding: chunked\r\n\r\n", and the buffered data as a
    // chunk, both in ONE call to `self.inner.write_all`. Later flushes send
    // one chunk each, again in one call:
    //   write "ab", flush(), write "cd", flush()
    //     → writes: [HEAD_START + "Transfer-Encoding: chunked\r\n\r\n"
    //                  + "2\r\nab\r\n",
    //                "2\r\ncd\r\n"]
    //
    // TODO: A flush with nothing buffered sends no chunk. The first flush
    // still sends the head: the client gets the status without waiting.
    //   flush(), flush()  → writes: [head]
    //
    // TODO: Every flush ends by flushing the inner writer, which may be
    // buffering too.
    fn flush(&mut self) -> io::Result<()> {
        todo!()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHUNKED_HEAD: &str = "HTTP/1.1 200 OK\r\n\
                                Content-Type: text/html; charset=utf-8\r\n\
                                Transfer-Encoding: chunked\r\n\
                                \r\n";

    /// A writer that records each call to `write` separately, so that tests
    /// can see how many writes a flush made, not only which bytes.
    #[derive(Debug, Default)]
    struct Recorder {
        writes: Vec<Vec<u8>>,
        flushes: usize,
    }

    impl Write for Recorder {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.writes.push(buf.to_vec());
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            self.flushes += 1;
            Ok(())
        }
    }

    impl Recorder {
        /// Each write as text, so that a failing test shows a readable diff.
        fn writes(&self) -> Vec<String> {
            self.writes
                .iter()
                .map(|write| String::from_utf8_lossy(write).into_owned())
                .collect()
        }
    }

    #[test]
    fn never_flushed_means_content_length() {
        let mut response = Flusher::new(Recorder::default());
        response.write_all(b"<p>Hello</p>").unwrap();
        response.write_all(b"<p>world</p>").unwrap();
        let recorder = response.finish().unwrap();
        assert_eq!(
            recorder.writes(),
            ["HTTP/1.1 200 OK\r\n\
              Content-Type: text/html; charset=utf-8\r\n\
              Content-Length: 24\r\n\
              \r\n\
              <p>Hello</p><p>world</p>"]
        );
    }

    #[test]
    fn an_empty_response_has_content_length_zero() {
        let recorder = Flusher::new(Recorder::default()).finish().unwrap();
        assert_eq!(
            recorder.writes(),
            ["HTTP/1.1 200 OK\r\n\
              Content-Type: text/html; charset=utf-8\r\n\
              Content-Length: 0\r\n\
              \r\n"]
        );
    }

    #[test]
    fn the_first_flush_sends_the_head_and_a_chunk_in_one_write() {
        let mut response = Flusher::new(Recorder::default());
        response.write_all(b"<p>Hello</p>").unwrap();
        response.flush().unwrap();
        let recorder = response.finish().unwrap();
        assert_eq!(
            recorder.writes(),
            [
                format!("{CHUNKED_HEAD}c\r\n<p>Hello</p>\r\n"),
                "0\r\n\r\n".into()
            ]
        );
    }

    #[test]
    fn each_flush_sends_one_chunk_in_one_write() {
        let mut response = Flusher::new(Recorder::default());
        response.write_all(b"a").unwrap();
        response.write_all(b"b").unwrap();
        response.flush().unwrap();
        response.write_all(b"cd").unwrap();
        response.flush().unwrap();
        response.write_all(&[b'x'; 300]).unwrap();
        response.flush().unwrap();
        let recorder = response.finish().unwrap();
        assert_eq!(
            recorder.writes(),
            [
                format!("{CHUNKED_HEAD}2\r\nab\r\n"),
                "2\r\ncd\r\n".into(),
                format!("12c\r\n{}\r\n", "x".repeat(300)),
                "0\r\n\r\n".into(),
            ]
        );
    }

    #[test]
    fn a_flush_with_nothing_buffered_sends_no_chunk() {
        let mut response = Flusher::new(Recorder::default());
        response.write_all(b"a").unwrap();
        response.flush().unwrap();
        response.flush().unwrap();
        response.write_all(b"").unwrap();
        response.flush().unwrap();
        let recorder = response.finish().unwrap();
        assert_eq!(
            recorder.writes(),
            [format!("{CHUNKED_HEAD}1\r\na\r\n"), "0\r\n\r\n".into()]
        );
    }

    #[test]
    fn an_empty_first_flush_sends_the_head_alone() {
        // The client gets the status and the headers now, and the response
        // is committed to chunked: its length is still unknown.
        let mut response = Flusher::new(Recorder::default());
        response.flush().unwrap();
        response.write_all(b"a").unwrap();
        let recorder = response.finish().unwrap();
        assert_eq!(recorder.writes(), [CHUNKED_HEAD, "1\r\na\r\n0\r\n\r\n"]);
    }

    #[test]
    fn finish_sends_the_rest_and_the_last_chunk_in_one_write() {
        let mut response = Flusher::new(Recorder::default());
        response.write_all(b"a").unwrap();
        response.flush().unwrap();
        response.write_all(b"bc").unwrap();
        let recorder = response.finish().unwrap();
        assert_eq!(
            recorder.writes(),
            [
                format!("{CHUNKED_HEAD}1\r\na\r\n"),
                "2\r\nbc\r\n0\r\n\r\n".into()
            ]
        );
    }

    #[test]
    fn every_flush_reaches_the_inner_writer() {
        // The inner writer may buffer too (a `BufWriter<TcpStream>`): a
        // flush that stops at our buffer would leave the chunk sitting there.
        let mut response = Flusher::new(Recorder::default());
        response.write_all(b"a").unwrap();
        response.flush().unwrap();
        assert_eq!(response.inner.flushes, 1, "after the first flush");
        response.flush().unwrap();
        assert_eq!(response.inner.flushes, 2, "after the second flush");
        let recorder = response.finish().unwrap();
        assert_eq!(recorder.flushes, 3, "after finish");
    }
}
