//! # Exercise: gzip that streams, a sync flush after each part
//!
//! Chapter: `book/src/11-production.md`.
//!
//! A compressor keeps what it is given until it has a block's worth, and
//! a small page never fills a block: compressed, a streamed body arrives
//! at the end anyway. A sync flush (zlib's `Z_SYNC_FLUSH`) makes the
//! compressor emit every bit of what it has, then an empty stored block,
//! `00 00 ff ff`, which lines the stream up on a byte. The client can
//! decode all that came so far. The window stays: the next part still
//! compresses against the ones before it, so a flush costs a few bytes.
//!
//! ```text
//! part(b"<p>one</p>\n") → 1f 8b 08 00 00 00 00 00 00 ff   gzip's header
//!                         b2 29 b0 cb … 02 00 00 00 ff ff  the part, flushed
//! part(b"<p>two</p>\n") → b2 29 b0 2b … 01 00 00 00 ff ff  the part, flushed
//! finish()              → 03 00                           the last block
//!                         4b 51 7e 22 16 00 00 00          CRC-32, length
//! ```
//!
//! You write `GzipParts`, which compresses a body a part at a time and
//! returns the bytes that go on the wire as the part's chunk; then
//! `finish`, the last chunk before the chunked body's end.
//!
//! Make the tests at the bottom pass:
//! `cargo run -p exercises -- run gzip_flush`.

use std::io::{self, Write};

use flate2::Compression;
use flate2::write::GzEncoder;

fn main() {
    // You can experiment here, then run the tests with
    // `cargo run -p exercises -- run gzip_flush`.
}

/// A body being gzipped, a part at a time.
#[derive(Debug)]
struct GzipParts {
    /// The encoder writes into a Vec: what it holds is what is ready to
    /// send, and nothing else has been sent.
    gzip: GzEncoder<Vec<u8>>,
}

impl GzipParts {
    fn new() -> GzipParts {
        GzipParts {
            gzip: GzEncoder::new(Vec::new(), Compression::default()),
        }
    }

    /// Compresses `part`, and returns all of it that is ready to send:
    /// the chunk that carries this part.
    //
    // TODO: Compress `part`, and return every byte of it that the client
    // needs to decode it now. Each chunk ends in the empty stored block
    // that a sync flush writes. The first one starts with gzip's header.
    //   part(b"<p>one</p>\n") → 1f 8b 08 00 00 00 00 00 00 ff
    //                           b2 29 b0 cb … 02 00 00 00 ff ff
    //
    // TODO: A chunk holds only what no chunk before it held.
    //   then part(b"<p>two</p>\n") → b2 29 b0 2b … 01 00 00 00 ff ff
    fn part(&mut self, part: &[u8]) -> io::Result<Vec<u8>> {
        todo!()
    }

    /// Ends the stream: the last block, and gzip's trailer (the CRC-32 of
    /// the body and its length), which a client checks.
    //
    // TODO: Return the rest of the stream: the last block, then gzip's
    // trailer, the CRC-32 of the whole body and its length (little-endian).
    //   after the two parts above
    //     finish() → 03 00 4b 51 7e 22 16 00 00 00
    fn finish(self) -> io::Result<Vec<u8>> {
        todo!()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::GzDecoder;

    use super::*;

    /// A list that a server renders an item at a time. The items look
    /// alike, as a page's parts do, so the window has something to find.
    const PARTS: [&[u8]; 4] = [
        b"<ul class=\"results\">\n",
        b"<li class=\"result\"><a href=\"/items/1\">one</a></li>\n",
        b"<li class=\"result\"><a href=\"/items/2\">two</a></li>\n",
        b"<li class=\"result\"><a href=\"/items/3\">three</a></li>\n</ul>\n",
    ];

    /// The chunks for `PARTS`: one per part, then `finish`'s.
    fn chunks() -> Vec<Vec<u8>> {
        let mut gzip = GzipParts::new();
        let mut chunks: Vec<Vec<u8>> =
            PARTS.iter().map(|part| gzip.part(part).unwrap()).collect();
        chunks.push(gzip.finish().unwrap());
        chunks
    }

    /// What a client can decode from the chunks that came so far. They are
    /// the start of a stream, which ends in an "unexpected EOF": keep what
    /// was decoded before it.
    fn decode_so_far(received: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        let _ = GzDecoder::new(received).read_to_end(&mut body);
        body
    }

    /// `body` compressed at once, with the same level: the size to beat.
    fn gzip_at_once(body: &[u8]) -> Vec<u8> {
        let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
        gzip.write_all(body).unwrap();
        gzip.finish().unwrap()
    }

    #[test]
    fn each_chunk_decodes_on_arrival() {
        let chunks = chunks();
        let mut received = Vec::new();
        for (i, chunk) in chunks[..PARTS.len()].iter().enumerate() {
            received.extend_from_slice(chunk);
            assert_eq!(
                String::from_utf8_lossy(&decode_so_far(&received)),
                String::from_utf8_lossy(&PARTS[..=i].concat()),
                "after chunk {i}"
            );
        }
    }

    #[test]
    fn each_chunk_ends_in_the_empty_stored_block() {
        let chunks = chunks();
        assert!(chunks[0].starts_with(&[0x1f, 0x8b]), "gzip's magic first");
        for (i, chunk) in chunks[..PARTS.len()].iter().enumerate() {
            assert!(
                chunk.ends_with(&[0x00, 0x00, 0xff, 0xff]),
                "chunk {i}: {chunk:02x?}"
            );
        }
    }

    #[test]
    fn the_whole_stream_decodes_to_the_whole_body() {
        let received = chunks().concat();
        let mut body = Vec::new();
        // No error this time: the trailer is there, and its CRC-32 and
        // length match the body.
        GzDecoder::new(&received[..])
            .read_to_end(&mut body)
            .expect("a whole gzip stream");
        assert_eq!(body, PARTS.concat());
    }

    #[test]
    fn a_flush_costs_a_few_bytes_not_the_compression() {
        let flushed = chunks().concat().len();
        let at_once = gzip_at_once(&PARTS.concat()).len();
        // Each flush ends a block and adds the empty stored block; the
        // window is kept, so the items still compress against each other.
        assert!(
            flushed < at_once + 12 * PARTS.len(),
            "{flushed} bytes flushed, {at_once} at once"
        );
    }

    #[test]
    fn without_a_flush_a_small_body_waits_for_the_end() {
        // What the compressor gives when no one flushes it: the parts wait
        // in it, and the client gets nothing it can decode until the end.
        let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
        let mut before_end = Vec::new();
        for part in PARTS {
            gzip.write_all(part).unwrap();
            before_end.append(gzip.get_mut());
        }
        assert_eq!(decode_so_far(&before_end), b"");
    }
}
