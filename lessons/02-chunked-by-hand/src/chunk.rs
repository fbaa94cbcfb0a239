//! One chunk on the wire: its size in hex, CRLF, its data, CRLF.

use std::io::{self, Write};

// ANCHOR: last_chunk
/// The last-chunk, an empty trailer section, and the CRLF that ends the
/// chunked body: `0\r\n` `\r\n`.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";
// ANCHOR_END: last_chunk

// ANCHOR: size_line
/// `chunk-size CRLF`, where `chunk-size = 1*HEXDIG`: the size of the data in
/// hexadecimal, without `0x` or leading zeros. 26 bytes → `1a\r\n`.
///
/// It lives on the stack, so framing a chunk allocates nothing for it.
#[derive(Debug, Clone, Copy)]
pub struct SizeLine {
    bytes: [u8; Self::MAX],
    len: usize,
}

impl SizeLine {
    /// 16 hex digits (the largest `u64`) and CRLF.
    const MAX: usize = 18;

    pub fn new(size: usize) -> Self {
        let mut bytes = [0; Self::MAX];
        let mut rest = &mut bytes[..];
        write!(rest, "{size:x}\r\n").expect("any usize fits in 18 bytes");
        let len = Self::MAX - rest.len();
        SizeLine { bytes, len }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}
// ANCHOR_END: size_line

// ANCHOR: write_chunk
/// Writes `data` as one chunk: size line, data and CRLF in a single write.
///
/// Empty data writes nothing: a chunk of size zero is the last-chunk, and
/// would end the body early. (Go drops 0-byte writes in `response.write`,
/// before they reach its `chunkWriter`.)
pub fn write_chunk(w: &mut impl Write, data: &[u8]) -> io::Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    // One buffer and one write: with TCP_NODELAY, three small writes could
    // become three packets, and the client would see a size line without
    // its data.
    let frame = [SizeLine::new(data.len()).as_bytes(), data, b"\r\n"].concat();
    w.write_all(&frame)
}
// ANCHOR_END: write_chunk

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_chunk(&mut out, data).unwrap();
        out
    }

    #[test]
    fn the_size_line_is_lowercase_hex_without_leading_zeros() {
        for (size, line) in [
            (1, "1\r\n"),
            (10, "a\r\n"),
            (26, "1a\r\n"),
            (4096, "1000\r\n"),
            (usize::MAX, "ffffffffffffffff\r\n"),
        ] {
            assert_eq!(SizeLine::new(size).as_bytes(), line.as_bytes());
        }
    }

    #[test]
    fn a_chunk_is_size_line_data_crlf() {
        assert_eq!(framed(b"hello"), b"5\r\nhello\r\n");
        let alphabet = b"abcdefghijklmnopqrstuvwxyz";
        assert_eq!(
            framed(alphabet),
            b"1a\r\nabcdefghijklmnopqrstuvwxyz\r\n".to_vec()
        );
    }

    #[test]
    fn data_may_hold_crlf_and_even_a_fake_last_chunk() {
        // The size says where the data ends, so its content is never parsed.
        assert_eq!(framed(b"0\r\n\r\n"), b"5\r\n0\r\n\r\n\r\n");
    }

    #[test]
    fn empty_data_writes_nothing() {
        assert_eq!(framed(b""), b"");
    }

    #[test]
    fn a_chunk_is_one_write() {
        struct CountWrites(usize);
        impl Write for CountWrites {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.0 += 1;
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut w = CountWrites(0);
        write_chunk(&mut w, b"hello").unwrap();
        assert_eq!(w.0, 1);
    }
}
