//! [`ChunkedWriter`]: lesson 03's writer, on tokio's `AsyncWrite`.
//!
//! Lesson 03 buffered what a handler wrote and sent a chunk on `flush`.
//! Here the producer hands over whole chunks (see [`crate::produce`]), so
//! there is nothing left to buffer: each [`send`](ChunkedWriter::send) is
//! one chunk, and one vectored write.

use std::io::{self, IoSlice};

use lesson_02_chunked_by_hand::chunk::{LAST_CHUNK, SizeLine};
use lesson_03_flusher::writer::{Framing, Head};
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// How the body is framed on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// HTTP/1.1: size line, data, CRLF; the last-chunk ends the message
    /// and the connection can carry the next one.
    Chunked,
    /// HTTP/1.0 has no chunks: the data as it is, and the close ends it
    /// (RFC 9112 §6.3, rule 8). Still streamed, but the connection is
    /// spent.
    UntilClose,
    /// A body whose length is known before it is sent.
    Length(usize),
}

// ANCHOR: struct
/// Writes a streamed response: the head with the first chunk, then a
/// chunk per [`send`](Self::send), then [`finish`](Self::finish).
///
/// Each call is one `writev`: head (the first time), size line, data and
/// CRLF leave together, so with `TCP_NODELAY` each chunk is one segment
/// on the wire when it fits, and never waits for the next one.
///
/// Dropping the writer without `finish` sends no last-chunk: the client
/// sees an incomplete body, which is the truth when a stream is cut.
#[derive(Debug)]
pub struct ChunkedWriter<W> {
    io: W,
    /// The encoded head, until it has been sent.
    head: Option<Vec<u8>>,
    body: Body,
    /// Whether the end of the body has been sent.
    ended: bool,
}
// ANCHOR_END: struct

impl<W: AsyncWrite + Unpin> ChunkedWriter<W> {
    pub fn new(io: W, head: &Head, body: Body) -> Self {
        let framing = match body {
            Body::Chunked => Framing::Chunked,
            Body::UntilClose => Framing::Close,
            Body::Length(n) => Framing::Length(n),
        };
        ChunkedWriter {
            io,
            head: Some(head.encode(framing)),
            body,
            ended: false,
        }
    }

    // ANCHOR: send
    /// Sends `data` as one chunk, at once. Empty data sends only the head
    /// (if it is still due): a chunk of size zero would end the body.
    ///
    /// The future waits while the socket's send buffer is full: that
    /// wait is the backpressure that reaches the producer.
    pub async fn send(&mut self, data: &[u8]) -> io::Result<()> {
        self.send_all(&[data], false).await
    }

    /// Sends each of `chunks` as a chunk, and the last-chunk after them
    /// if `end`, all in one vectored write: what is ready leaves together,
    /// and nothing waits for what is not.
    pub async fn send_all(
        &mut self,
        chunks: &[impl AsRef<[u8]>],
        end: bool,
    ) -> io::Result<()> {
        debug_assert!(!self.ended, "a chunk after the end of the body");
        self.ended = end;
        let head = self.head.take().unwrap_or_default();
        let chunked = self.body == Body::Chunked;
        let chunks = chunks.iter().map(AsRef::as_ref).filter(|c| !c.is_empty());
        let size_lines: Vec<SizeLine> =
            chunks.clone().map(|c| SizeLine::new(c.len())).collect();
        let mut slices = Vec::with_capacity(3 * size_lines.len() + 2);
        slices.push(IoSlice::new(&head));
        for (data, size_line) in chunks.zip(&size_lines) {
            if chunked {
                slices.push(IoSlice::new(size_line.as_bytes()));
            }
            slices.push(IoSlice::new(data));
            if chunked {
                slices.push(IoSlice::new(b"\r\n"));
            }
        }
        if end && chunked {
            slices.push(IoSlice::new(LAST_CHUNK));
        }
        write_all_vectored(&mut self.io, &mut slices).await
    }
    // ANCHOR_END: send

    /// Sends only the head: the answer to HEAD, which says what GET would
    /// send and is followed by no body at all (RFC 9110 §9.3.2).
    pub async fn head_only(mut self) -> io::Result<()> {
        let head = self.head.take().unwrap_or_default();
        self.io.write_all(&head).await
    }

    /// Ends the body: the last-chunk (with the head, if nothing was sent),
    /// and returns the writer underneath for the next response.
    pub async fn finish(mut self) -> io::Result<W> {
        if !self.ended {
            self.send_all(&[b""], true).await?;
        }
        Ok(self.io)
    }
}

// ANCHOR: write_all_vectored
/// Writes every slice, in as few `writev` calls as the kernel allows: one,
/// unless the socket's buffer fills part way. (`write_all_vectored` is not
/// in `AsyncWriteExt`, nor stable in `std`.)
async fn write_all_vectored(
    io: &mut (impl AsyncWrite + Unpin),
    mut slices: &mut [IoSlice<'_>],
) -> io::Result<()> {
    IoSlice::advance_slices(&mut slices, 0); // skip leading empty slices
    while !slices.is_empty() {
        match io.write_vectored(slices).await? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => IoSlice::advance_slices(&mut slices, n),
        }
    }
    Ok(())
}
// ANCHOR_END: write_all_vectored

#[cfg(test)]
mod tests {
    use lesson_01_raw_tcp::response::Status;
    use lesson_01_raw_tcp::testing::mask_date;

    use super::*;

    /// Records each write call, so a test can see how bytes were grouped.
    #[derive(Debug, Default)]
    struct Writes(Vec<Vec<u8>>);

    impl AsyncWrite for Writes {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<io::Result<usize>> {
            self.get_mut().0.push(buf.to_vec());
            std::task::Poll::Ready(Ok(buf.len()))
        }

        fn poll_write_vectored(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> std::task::Poll<io::Result<usize>> {
            let all: Vec<u8> =
                bufs.iter().flat_map(|b| b.iter().copied()).collect();
            let n = all.len();
            self.get_mut().0.push(all);
            std::task::Poll::Ready(Ok(n))
        }

        fn is_write_vectored(&self) -> bool {
            true
        }

        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }

        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    fn text(bytes: &[u8]) -> String {
        String::from_utf8(mask_date(bytes)).unwrap()
    }

    #[tokio::test]
    async fn each_chunk_is_one_write_and_the_head_rides_the_first() {
        let head = Head::new(Status::Ok).field("Content-Type", "text/plain");
        let mut w = ChunkedWriter::new(Writes::default(), &head, Body::Chunked);
        w.send(b"hello").await.unwrap();
        w.send(b"").await.unwrap();
        w.send(b", world!!!!!!").await.unwrap();
        let writes = w.finish().await.unwrap().0;
        assert_eq!(writes.len(), 3);
        assert_eq!(
            text(&writes[0]),
            "HTTP/1.1 200 OK\r\nDate: <date>\r\n\
             Content-Type: text/plain\r\n\
             Transfer-Encoding: chunked\r\n\r\n\
             5\r\nhello\r\n",
        );
        assert_eq!(writes[1], b"d\r\n, world!!!!!!\r\n");
        assert_eq!(writes[2], b"0\r\n\r\n");
    }

    #[tokio::test]
    async fn chunks_that_are_ready_together_leave_in_one_write() {
        let head = Head::new(Status::Ok);
        let mut w = ChunkedWriter::new(Writes::default(), &head, Body::Chunked);
        w.send(b"first").await.unwrap();
        w.send_all(&[&b"ab"[..], b"", b"cde"], true).await.unwrap();
        let writes = w.finish().await.unwrap().0;
        // The end went with the chunks: `finish` has nothing left to send.
        assert_eq!(writes.len(), 2);
        assert_eq!(writes[1], b"2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n");
    }

    #[tokio::test]
    async fn http_10_gets_the_bytes_as_they_are() {
        let head = Head::new(Status::Ok).field("Connection", "close");
        let mut w =
            ChunkedWriter::new(Writes::default(), &head, Body::UntilClose);
        w.send(b"one ").await.unwrap();
        w.send(b"two").await.unwrap();
        let writes = w.finish().await.unwrap().0;
        assert_eq!(
            text(&writes.concat()),
            "HTTP/1.1 200 OK\r\nDate: <date>\r\n\
             Connection: close\r\n\r\none two"
        );
    }

    #[tokio::test]
    async fn an_empty_body_is_the_head_and_the_last_chunk_in_one_write() {
        let head = Head::new(Status::Ok);
        let w = ChunkedWriter::new(Writes::default(), &head, Body::Chunked);
        let writes = w.finish().await.unwrap().0;
        assert_eq!(writes.len(), 1);
        assert!(text(&writes[0]).ends_with("chunked\r\n\r\n0\r\n\r\n"));
    }
}
