//! # Exercise: one chunk on the wire
//!
//! Chapter: `book/src/02-chunked-by-hand.md`.
//!
//! With `Transfer-Encoding: chunked`, the body goes out as a series of
//! chunks, each prefixed with its size, and ends with a chunk of size zero
//! (RFC 9112 §7.1):
//!
//! ```text
//! chunked-body   = *chunk
//!                  last-chunk
//!                  trailer-section
//!                  CRLF
//!
//! chunk          = chunk-size [ chunk-ext ] CRLF
//!                  chunk-data CRLF
//! chunk-size     = 1*HEXDIG
//! last-chunk     = 1*("0") [ chunk-ext ] CRLF
//! ```
//!
//! This exercise sends no chunk extensions and no trailers.
//!
//! Make the tests at the bottom pass:
//! `cargo run -p exercises -- run chunk_frame`.

fn main() {
    // You can experiment here, then run the tests with
    // `cargo run -p exercises -- run chunk_frame`.
}

/// Frames `data` as one chunk: its size in hexadecimal, CRLF, the data, CRLF.
//
// TODO: The size is the number of bytes, in lowercase hexadecimal, without a
// "0x" prefix:
//   encode_chunk(b"hello")       → b"5\r\nhello\r\n"
//   encode_chunk(b"abc…xyz")     → b"1a\r\nabc…xyz\r\n"  (26 letters)
//   encode_chunk(&[b'x'; 4096])  → b"1000\r\nxxx…xxx\r\n"
//
// TODO: The data is copied as it is, whatever it contains:
//   encode_chunk(b"a\r\n0\r\n\r\nbcd") → b"b\r\na\r\n0\r\n\r\nbcd\r\n"
//
// TODO: Think about what a chunk of size zero means to the client.
//   encode_chunk(b"")            → b""
fn encode_chunk(data: &[u8]) -> Vec<u8> {
    todo!()
}

/// The last-chunk, followed by the empty line that ends the (empty) trailer
/// section: the body is complete.
//
// TODO: last_chunk() → b"0\r\n\r\n"
fn last_chunk() -> &'static [u8] {
    todo!()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

    /// `encode_chunk`'s output as text, so a failing test shows a readable
    /// diff. Invalid UTF-8 would show up as U+FFFD.
    fn chunk(data: &[u8]) -> String {
        String::from_utf8_lossy(&encode_chunk(data)).into_owned()
    }

    #[test]
    fn a_small_chunk() {
        assert_eq!(chunk(b"hello"), "5\r\nhello\r\n");
    }

    #[test]
    fn the_size_is_hexadecimal() {
        assert_eq!(chunk(ALPHABET), "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n");
    }

    #[test]
    fn a_4096_byte_chunk() {
        let data = vec![b'x'; 4096];
        let expected = [b"1000\r\n", &data[..], b"\r\n"].concat();
        assert_eq!(encode_chunk(&data), expected);
    }

    #[test]
    fn the_size_counts_bytes() {
        // 5 characters, 6 bytes: "é" takes 2 bytes in UTF-8.
        assert_eq!(chunk("héllo".as_bytes()), "6\r\nhéllo\r\n");
    }

    #[test]
    fn the_data_is_opaque() {
        // The data looks like the end of a chunk and a last-chunk. The size
        // line says 11 bytes follow, so a decoder reads them as data.
        let tricky = b"a\r\n0\r\n\r\nbcd";
        assert_eq!(tricky.len(), 11);
        assert_eq!(chunk(tricky), "b\r\na\r\n0\r\n\r\nbcd\r\n");
    }

    #[test]
    fn an_empty_write_sends_nothing() {
        // "0\r\n\r\n" here would be the last-chunk, and end the body early.
        assert_eq!(chunk(b""), "");
    }

    #[test]
    fn the_last_chunk() {
        assert_eq!(last_chunk(), b"0\r\n\r\n");
    }

    #[test]
    fn a_whole_body() {
        let body = [
            encode_chunk(b"Hello, "),
            encode_chunk(b"world!"),
            last_chunk().to_vec(),
        ]
        .concat();
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "7\r\nHello, \r\n6\r\nworld!\r\n0\r\n\r\n"
        );
    }
}
