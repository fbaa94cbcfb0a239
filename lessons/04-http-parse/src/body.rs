//! A request's body, read by its framing, and not one byte more.
//!
//! On a kept-alive connection the next request starts right after this
//! body, so reading exactly to its end is what keeps the two apart. A
//! chunked body goes through the workspace's one decoder (the inspector's
//! `Decoder::chunked_body`), which stops exactly after the final CRLF.
//!
//! [`Reader`] does no I/O: it is fed bytes as they arrive, as httparse
//! is. [`read`] drives it from a blocking socket here; lesson 05 drives
//! the same `Reader` from a tokio one.

use std::io::{self, Read};

use inspector::{Decoder, Event, Status as Decoded};
use lesson_01_raw_tcp::response::Status;

use crate::framing::{Body, Refusal, bad};

// ANCHOR: limits
/// The largest body this server takes. It serves pages, not uploads.
pub const MAX_BODY: u64 = 1024 * 1024;

/// The most size-line bytes in one chunked body. The decoder limits each
/// line; a server also needs a total, or a client could send endless
/// chunk extensions with one byte of data each (Go and hyper cap it too).
pub const MAX_SIZE_LINES: usize = 16 * 1024;
// ANCHOR_END: limits

/// Reads the body `reader` was made for: first from `buf` (bytes
/// already read from `stream`), then from `stream`. What follows the body
/// stays in `buf`: it is the start of the next request.
///
/// The outer error is the socket's; the inner one is the answer to send.
pub fn read(
    mut reader: Reader,
    buf: &mut Vec<u8>,
    stream: &mut impl Read,
) -> io::Result<Result<Vec<u8>, Refusal>> {
    loop {
        match reader.feed(buf) {
            Ok(Some(body)) => return Ok(Ok(body)),
            Ok(None) => {}
            Err(refusal) => return Ok(Err(refusal)),
        }
        if fill(buf, stream)? == 0 {
            return Ok(Err(reader.eof()));
        }
    }
}

/// A body on its way in: fed the bytes as they arrive, until it ends.
#[derive(Debug)]
pub struct Reader {
    framing: Framing,
    data: Vec<u8>,
}

#[derive(Debug)]
enum Framing {
    /// This many bytes in all.
    Length(usize),
    /// Chunks, until the last-chunk and trailers; `lines` counts the
    /// size-line bytes so far.
    Chunked { decoder: Decoder, lines: usize },
}

impl Reader {
    /// A reader for a body framed by `body`, or the refusal of a
    /// Content-Length too large to take.
    pub fn new(body: Body) -> Result<Reader, Refusal> {
        let framing = match body {
            Body::None => Framing::Length(0),
            Body::Length(n) if n > MAX_BODY => return Err(too_large()),
            // Within MAX_BODY, so it fits.
            Body::Length(n) => Framing::Length(usize::try_from(n).unwrap_or(0)),
            Body::Chunked => Framing::Chunked {
                decoder: Decoder::chunked_body(),
                lines: 0,
            },
        };
        Ok(Reader {
            framing,
            data: Vec::new(),
        })
    }

    // ANCHOR: feed
    /// Takes what it can of the body from the front of `buf`. Returns the
    /// body once it is whole; what follows it stays in `buf`.
    pub fn feed(
        &mut self,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Vec<u8>>, Refusal> {
        match &mut self.framing {
            Framing::Length(n) if buf.len() < *n => Ok(None),
            Framing::Length(n) => Ok(Some(buf.drain(..*n).collect())),
            Framing::Chunked { decoder, lines } => {
                if buf.is_empty() {
                    return Ok(None);
                }
                let data = &mut self.data;
                let mut over = false;
                let decoded = decoder.feed(buf, &mut |event| match event {
                    // A chunk too big is refused at its size line, before
                    // its data.
                    Event::ChunkStart {
                        size, size_line, ..
                    } => {
                        *lines += size_line.len();
                        // The size is the client's number, up to 2^64 - 1:
                        // compared with what is left, never added to.
                        let left = MAX_BODY.saturating_sub(data.len() as u64);
                        over |= size > left;
                    }
                    Event::LastChunk { size_line, .. } => {
                        *lines += size_line.len();
                    }
                    Event::Data { bytes, .. } if !over => {
                        data.extend_from_slice(bytes);
                    }
                    _ => {}
                });
                if over {
                    return Err(too_large());
                }
                if *lines > MAX_SIZE_LINES {
                    return Err(bad(
                        "chunk size lines over 16 KiB in one body",
                    ));
                }
                match decoded {
                    Ok(Decoded::Complete(n)) => {
                        buf.drain(..n);
                        Ok(Some(std::mem::take(data)))
                    }
                    // The decoder used every byte: it wants more.
                    Ok(Decoded::Partial) => {
                        buf.clear();
                        Ok(None)
                    }
                    Err(e) => Err(bad(e.kind.to_string())),
                }
            }
        }
    }
    // ANCHOR_END: feed

    /// The refusal when the client closes before the body ends.
    pub fn eof(self) -> Refusal {
        match self.framing {
            Framing::Length(_) => bad("the body ended before Content-Length"),
            Framing::Chunked { mut decoder, .. } => {
                match decoder.finish(&mut |_| {}) {
                    Err(e) => bad(e.kind.to_string()),
                    Ok(_) => bad("the body ended early"),
                }
            }
        }
    }
}

/// Appends one read's worth to `buf`; 0 when the client has closed.
pub fn fill(buf: &mut Vec<u8>, stream: &mut impl Read) -> io::Result<usize> {
    let mut chunk = [0; 8 * 1024];
    let n = loop {
        match stream.read(&mut chunk) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            result => break result?,
        }
    };
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}

fn too_large() -> Refusal {
    Refusal {
        status: Status::ContentTooLarge,
        reason: "the body is over 1 MiB".into(),
        close: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a body of `framing` from `input` arriving in `pieces`, and
    /// returns it (or the status refusing it) and what was left over.
    fn read_from(
        framing: Body,
        pieces: &[&[u8]],
    ) -> (Result<Vec<u8>, u16>, Vec<u8>) {
        // An empty read means the client closed; a split has no such read.
        let pieces = pieces.iter().filter(|p| !p.is_empty());
        let mut reader = Pieces(pieces.map(|p| p.to_vec()).collect());
        let mut buf = Vec::new();
        let got = match Reader::new(framing) {
            Ok(body) => read(body, &mut buf, &mut reader).unwrap(),
            Err(refusal) => Err(refusal),
        };
        buf.extend(reader.0.into_iter().flatten());
        (got.map_err(|r| r.status.code()), buf)
    }

    /// A reader that returns one piece per read, as a socket might.
    struct Pieces(std::collections::VecDeque<Vec<u8>>);

    impl Read for Pieces {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let Some(mut piece) = self.0.pop_front() else {
                return Ok(0);
            };
            let n = piece.len().min(out.len());
            out[..n].copy_from_slice(&piece[..n]);
            if n < piece.len() {
                self.0.push_front(piece.split_off(n));
            }
            Ok(n)
        }
    }

    const NEXT: &[u8] = b"GET /next HTTP/1.1\r\n\r\n";

    #[test]
    fn a_body_ends_exactly_where_its_framing_says() {
        let chunked = b"5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nT: 1\r\n\r\n";
        let input = [chunked.as_slice(), NEXT].concat();
        for at in 0..=input.len() {
            let (a, b) = input.split_at(at);
            let (body, rest) = read_from(Body::Chunked, &[a, b]);
            assert_eq!(
                body.as_deref(),
                Ok(&b"hello world"[..]),
                "split at {at}"
            );
            assert_eq!(rest, NEXT, "split at {at}");
        }
        let input = [b"hello".as_slice(), NEXT].concat();
        let (body, rest) =
            read_from(Body::Length(5), &[&input[..2], &input[2..]]);
        assert_eq!(
            (body.as_deref(), rest.as_slice()),
            (Ok(&b"hello"[..]), NEXT)
        );
        assert_eq!(
            read_from(Body::None, &[NEXT]),
            (Ok(Vec::new()), NEXT.to_vec())
        );
    }

    #[test]
    fn bad_bodies_are_refused() {
        let status =
            |framing, input: &[u8]| read_from(framing, &[input]).0.unwrap_err();
        assert_eq!(status(Body::Length(10), b"short"), 400);
        assert_eq!(status(Body::Length(MAX_BODY + 1), b""), 413);
        assert_eq!(status(Body::Chunked, b"5\r\nhel"), 400);
        assert_eq!(status(Body::Chunked, b"5\nhello\r\n0\r\n\r\n"), 400);
        assert_eq!(status(Body::Chunked, b"zz\r\n"), 400);
        let big = format!("{:x}\r\n", MAX_BODY + 1);
        assert_eq!(status(Body::Chunked, big.as_bytes()), 413);
        // The largest size there is, after a chunk: no overflow.
        let huge = b"1\r\na\r\nffffffffffffffff\r\n";
        assert_eq!(status(Body::Chunked, huge), 413);
        // Endless extensions, each line within the decoder's own limit.
        let line = format!("1;{}\r\nx\r\n", "e".repeat(1000));
        assert_eq!(status(Body::Chunked, line.repeat(17).as_bytes()), 400);
    }
}
