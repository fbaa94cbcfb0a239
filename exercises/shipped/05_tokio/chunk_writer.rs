//! # Exercise: the async chunk writer, one vectored write per chunk
//!
//! Chapter: `book/src/05-tokio.md`.
//!
//! Lesson 05 streams on tokio. Each chunk leaves in ONE write system call,
//! and nothing is copied to put it together. A vectored write (`writev`)
//! hands the kernel several slices at once: the head, the first time, then
//! the chunk's size line, its data, and its CRLF.
//!
//! ```text
//! chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF   (RFC 9112 §7.1)
//! ```
//!
//! A socket may take only part of what it is given: when its send buffer
//! is nearly full, `write_vectored` returns how many bytes it took, perhaps
//! ending in the middle of a slice. The rest must follow, from exactly
//! there. The tests use a writer that takes only a few bytes per call, and
//! count the calls.
//!
//! Make the tests at the bottom pass:
//! `cargo run -p exercises -- run chunk_writer`.

use std::io::{self, IoSlice};

use tokio::io::{AsyncWrite, AsyncWriteExt};

fn main() {
    // You can experiment here, then run the tests with
    // `cargo run -p exercises -- run chunk_writer`.
}

/// The last-chunk, then the empty line that ends the (empty) trailer
/// section: the body is complete.
const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// A chunked body over `io`: a socket in a server, a recorder in the tests.
#[derive(Debug)]
struct ChunkWriter<W> {
    io: W,
    /// The whole head, blank line included, until it has gone out.
    head: Option<Vec<u8>>,
}

impl<W: AsyncWrite + Unpin> ChunkWriter<W> {
    fn new(io: W, head: &[u8]) -> Self {
        ChunkWriter {
            io,
            head: Some(head.to_vec()),
        }
    }

    /// Sends `data` as one chunk, in one vectored write: the head (the
    /// first time), the size line, the data and the CRLF.
    //
    // TODO: Build the slices, then hand them to `write_all_vectored` once:
    // the head (taken out of `self.head`; empty after the first send), the
    // size line in hex with its CRLF, the data, and a CRLF.
    //   send "hello" first     → one write: HEAD + "5\r\nhello\r\n"
    //   send 26 bytes later    → one write: "1a\r\n" + data + "\r\n"
    //
    // TODO: Empty data sends no chunk: a chunk of size zero would end the
    // body. If the head is still due, it goes out alone.
    //   send "" first          → one write: HEAD
    //   send "" after that     → no write at all
    async fn send(&mut self, data: &[u8]) -> io::Result<()> {
        todo!()
    }

    /// Ends the body with the last-chunk, after the head if nothing was
    /// sent, in one vectored write; hands back the writer.
    async fn finish(mut self) -> io::Result<W> {
        let head = self.head.take().unwrap_or_default();
        let mut slices = [IoSlice::new(&head), IoSlice::new(LAST_CHUNK)];
        write_all_vectored(&mut self.io, &mut slices).await?;
        Ok(self.io)
    }
}

/// Writes every byte of `slices`, with as few calls to `write_vectored` as
/// the writer allows: one, if it takes everything at once.
async fn write_all_vectored(
    io: &mut (impl AsyncWrite + Unpin),
    mut slices: &mut [IoSlice<'_>],
) -> io::Result<()> {
    // TODO: Call `io.write_vectored(slices)` until every byte is written.
    // It returns how many bytes it took, which may end in the middle of a
    // slice; the next call must start exactly there. See the std docs of
    // `IoSlice::advance_slices`.
    //   a writer that takes 3 bytes per call, 10 bytes in the slices
    //     → 4 calls: "abc", "def", "ghi", "j"
    //
    // TODO: If the slices hold no bytes at all, make no call. If the writer
    // takes 0 bytes, it will take 0 again: return an error of kind
    // `io::ErrorKind::WriteZero`.
    todo!()
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use super::*;

    const HEAD: &[u8] =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

    /// A writer that records the bytes and counts the calls. Like a socket
    /// with a nearly full send buffer, it takes at most `most` bytes per
    /// call.
    #[derive(Debug)]
    struct Wire {
        bytes: Vec<u8>,
        calls: usize,
        most: usize,
    }

    impl Wire {
        fn taking(most: usize) -> Wire {
            Wire {
                bytes: Vec::new(),
                calls: 0,
                most,
            }
        }

        fn text(&self) -> String {
            String::from_utf8_lossy(&self.bytes).into_owned()
        }
    }

    impl AsyncWrite for Wire {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.poll_write_vectored(cx, &[IoSlice::new(buf)])
        }

        fn poll_write_vectored(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            let wire = self.get_mut();
            wire.calls += 1;
            let all: Vec<u8> = bufs.iter().flat_map(|b| b.to_vec()).collect();
            let taken = all.len().min(wire.most);
            wire.bytes.extend_from_slice(&all[..taken]);
            Poll::Ready(Ok(taken))
        }

        fn is_write_vectored(&self) -> bool {
            true
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

    /// 26 bytes: the size line is `1a`.
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

    fn with_head(body: &str) -> String {
        String::from_utf8_lossy(HEAD).into_owned() + body
    }

    /// A writer over a wire that takes all it is given, at once.
    fn fast() -> ChunkWriter<Wire> {
        ChunkWriter::new(Wire::taking(usize::MAX), HEAD)
    }

    #[tokio::test]
    async fn the_head_goes_out_with_the_first_chunk_in_one_write() {
        let mut writer = fast();
        writer.send(b"hello").await.unwrap();
        assert_eq!(writer.io.text(), with_head("5\r\nhello\r\n"));
        assert_eq!(writer.io.calls, 1);
    }

    #[tokio::test]
    async fn each_chunk_is_one_write_and_finish_one_more() {
        let mut writer = fast();
        writer.send(b"hello").await.unwrap();
        writer.send(LETTERS).await.unwrap();
        let wire = writer.finish().await.unwrap();
        assert_eq!(
            wire.text(),
            with_head(
                "5\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n"
            )
        );
        assert_eq!(wire.calls, 3);
    }

    #[tokio::test]
    async fn an_empty_send_writes_the_head_if_due_and_nothing_else() {
        let mut writer = fast();
        writer.send(b"").await.unwrap();
        assert_eq!(writer.io.text(), with_head(""));
        assert_eq!(writer.io.calls, 1);
        // Now there is nothing at all to write: not even one call.
        writer.send(b"").await.unwrap();
        assert_eq!(writer.io.calls, 1);
        writer.send(b"hi").await.unwrap();
        let wire = writer.finish().await.unwrap();
        assert_eq!(wire.text(), with_head("2\r\nhi\r\n0\r\n\r\n"));
        assert_eq!(wire.calls, 3);
    }

    #[tokio::test]
    async fn finish_alone_sends_the_head_and_the_last_chunk_in_one_write() {
        let writer = fast();
        let wire = writer.finish().await.unwrap();
        assert_eq!(wire.text(), with_head("0\r\n\r\n"));
        assert_eq!(wire.calls, 1);
    }

    #[tokio::test]
    async fn short_writes_go_on_where_they_stopped_however_short() {
        let first = with_head("5\r\nhello\r\n");
        let second = "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n";
        // From a byte per call to the whole chunk in one.
        for most in 1..=first.len() {
            let mut writer = ChunkWriter::new(Wire::taking(most), HEAD);
            writer.send(b"hello").await.unwrap();
            assert_eq!(writer.io.text(), first, "{most} bytes per call");
            assert_eq!(writer.io.calls, first.len().div_ceil(most), "{most}");
            writer.send(LETTERS).await.unwrap();
            assert_eq!(writer.io.text(), first.clone() + second, "{most}");
            let calls =
                first.len().div_ceil(most) + second.len().div_ceil(most);
            assert_eq!(writer.io.calls, calls, "{most} bytes per call");
        }
    }

    #[tokio::test]
    async fn a_writer_that_takes_nothing_is_an_error() {
        let mut writer = ChunkWriter::new(Wire::taking(0), HEAD);
        let err = writer.send(b"hello").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WriteZero);
        assert_eq!(writer.io.calls, 1, "no second try: it would take 0 again");
    }
}
