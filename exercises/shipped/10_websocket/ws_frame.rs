//! # Exercise: the handshake's accept key, and a client's masked frames
//!
//! Chapter: `book/src/10-websocket.md`.
//!
//! A WebSocket starts as an HTTP/1.1 GET that asks to switch protocols. The
//! server agrees with a `101`, and proves that it read this very request:
//! its `Sec-WebSocket-Accept` is computed from the client's
//! `Sec-WebSocket-Key` (RFC 6455 §4.2.2).
//!
//! ```text
//! Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==        ← the client's request
//! Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=  ← the server's 101
//! ```
//!
//! From then on, both sides send frames (§5.2). Every frame a client sends
//! is masked: its payload is XORed with a key of 4 bytes, which the client
//! picks anew for each frame and sends in the frame (§5.3).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//! | |1|2|3|       |K|             |                               |
//! +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//! |     Extended payload length continued, if payload len == 127  |
//! + - - - - - - - - - - - - - - - +-------------------------------+
//! |                               |Masking-key, if MASK set to 1  |
//! +-------------------------------+-------------------------------+
//! | Masking-key (continued)       |          Payload Data         |
//! +-------------------------------- - - - - - - - - - - - - - - - +
//! ```
//!
//! You write the server's side of the handshake, `accept_key`, then a
//! client's frame, `encode_masked`, and `unmask`, which reads one back the
//! way a server does. The RSV bits stay 0: no extension is agreed here.
//!
//! Make the tests at the bottom pass:
//! `cargo run -p exercises -- run ws_frame`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha1::{Digest as _, Sha1};

fn main() {
    // You can experiment here, then run the tests with
    // `cargo run -p exercises -- run ws_frame`.
}

/// The GUID that every server appends to the key (RFC 6455 §1.3).
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// The opcodes (§5.2): what a frame carries, in the low 4 bits of its
// first byte.
const CONTINUATION: u8 = 0x0; // the next frame of a fragmented message
const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`.
//
// TODO: Append GUID to the key, take the SHA-1 digest of those bytes (20
// bytes), and write the digest in base64. The key is used as it came: it
// is base64 text, but it is not decoded first.
//   accept_key("dGhlIHNhbXBsZSBub25jZQ==") → "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
//   accept_key("x3JJHMbDL1EzLkh9GBhXDw==") → "HSmrc0sMlYUkAGmm5OPpG2HaGWk="
fn accept_key(key: &str) -> String {
    todo!()
}

/// A client's frame: `payload`, masked with `key`.
//
// TODO: Byte 0 is the FIN bit (0x80, if `fin`), then the opcode. Byte 1 is
// the MASK bit (0x80: always, in a client's frame), then the length.
//   (true,  TEXT, "Hello") → 81 85 …
//   (false, TEXT, "Hel")   → 01 83 …
//
// TODO: The length goes in the fewest bytes that hold it: 0 to 125 in
// byte 1 itself; up to 65,535 as 126, then 2 bytes; beyond that, as 127,
// then 8 bytes. Those bytes are big-endian. Byte 1, then those bytes:
//   5 bytes       → 85
//   125 bytes     → fd
//   126 bytes     → fe 00 7e
//   65,535 bytes  → fe ff ff
//   65,536 bytes  → ff 00 00 00 00 00 01 00 00
//
// TODO: Then the 4 bytes of the key, then the payload, each byte XORed
// with the key's byte at its index mod 4. The key starts over in each
// frame.
//   (true, TEXT, "Hello", key 37 fa 21 3d)
//     → 81 85 37 fa 21 3d 7f 9f 4d 51 58
//   (true, BINARY, [0; 10], key 01 02 03 04)
//     → 82 8a 01 02 03 04 01 02 03 04 01 02 03 04 01 02
//   (true, CLOSE, "", key 37 fa 21 3d) → 88 80 37 fa 21 3d
fn encode_masked(
    fin: bool,
    opcode: u8,
    payload: &[u8],
    key: [u8; 4],
) -> Vec<u8> {
    todo!()
}

/// The frame at the front of `frame`, read the way a server reads a
/// client's: its FIN bit, its opcode, and its payload, unmasked. `None` if
/// it is not all there yet, or is not masked.
//
// TODO: Read the header the way encode_masked wrote it: FIN, opcode, MASK,
// the length (7 bits, or 126 or 127 and the bytes after), the key; then
// unmask the payload.
//   81 85 37 fa 21 3d 7f 9f 4d 51 58 → Some((true, TEXT, "Hello"))
//
// TODO: Any byte that is still to come makes it `None`: the header, the
// extended length, the key, or the payload.
//   81 85 37 fa 21 3d 7f 9f 4d 51    → None  (one payload byte short)
//   82 fe 00                         → None
//   ""                               → None
//
// TODO: The length says where the frame ends: the bytes after it are the
// next frame's, and are not read. And a client's frame must be masked.
//   (the "Hel" frame)(the "lo" frame) → Some((false, TEXT, "Hel"))
//   81 05 48 65 6c 6c 6f              → None  (no MASK bit)
fn unmask(frame: &[u8]) -> Option<(bool, u8, Vec<u8>)> {
    todo!()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The masking key of RFC 6455 §5.7's examples.
    const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    /// `len` bytes that are not all alike: 0, 1, …, 255, 0, 1, …
    fn bytes(len: usize) -> Vec<u8> {
        (0..=255).cycle().take(len).collect()
    }

    #[test]
    fn the_accept_key_of_rfc_6455s_example() {
        // RFC 6455 §1.3.
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn the_key_is_hashed_as_it_came() {
        assert_eq!(
            accept_key("x3JJHMbDL1EzLkh9GBhXDw=="),
            "HSmrc0sMlYUkAGmm5OPpG2HaGWk="
        );
    }

    #[test]
    fn rfc_6455s_masked_hello() {
        // §5.7: "A single-frame masked text message".
        assert_eq!(
            encode_masked(true, TEXT, b"Hello", KEY),
            b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"
        );
        // §5.7: the masked pong that answers a ping of "Hello".
        assert_eq!(
            encode_masked(true, PONG, b"Hello", KEY),
            b"\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"
        );
    }

    #[test]
    fn each_byte_is_xored_with_the_key_byte_at_its_index_mod_4() {
        // XOR with 0 gives the key byte itself.
        assert_eq!(
            encode_masked(true, BINARY, &[0; 10], [1, 2, 3, 4]),
            [0x82, 0x8A, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2]
        );
    }

    #[test]
    fn a_non_final_frame_and_the_one_that_ends_its_message() {
        // §5.7's fragmented "Hello", masked: "Hel" without FIN, then "lo"
        // with FIN, as a continuation. The key starts over in each frame.
        assert_eq!(
            encode_masked(false, TEXT, b"Hel", KEY),
            b"\x01\x83\x37\xfa\x21\x3d\x7f\x9f\x4d"
        );
        assert_eq!(
            encode_masked(true, CONTINUATION, b"lo", KEY),
            b"\x80\x82\x37\xfa\x21\x3d\x5b\x95"
        );
    }

    #[test]
    fn an_empty_payload_is_a_header_and_a_key() {
        assert_eq!(
            encode_masked(true, CLOSE, b"", KEY),
            b"\x88\x80\x37\xfa\x21\x3d"
        );
    }

    #[test]
    fn up_to_125_bytes_the_length_fits_in_7_bits() {
        let frame = encode_masked(true, BINARY, &bytes(125), KEY);
        assert_eq!(frame[..6], [0x82, 0xFD, 0x37, 0xfa, 0x21, 0x3d]);
        assert_eq!(frame.len(), 2 + 4 + 125);
    }

    #[test]
    fn a_126_byte_payload_takes_a_16_bit_length() {
        let frame = encode_masked(true, BINARY, &bytes(126), KEY);
        assert_eq!(
            frame[..8],
            [0x82, 0xFE, 0x00, 0x7E, 0x37, 0xfa, 0x21, 0x3d]
        );
        assert_eq!(frame.len(), 4 + 4 + 126);
        // The largest 16-bit length.
        let frame = encode_masked(true, BINARY, &bytes(65_535), KEY);
        assert_eq!(frame[..4], [0x82, 0xFE, 0xFF, 0xFF]);
        assert_eq!(frame.len(), 4 + 4 + 65_535);
    }

    #[test]
    fn a_65536_byte_payload_takes_a_64_bit_length() {
        let frame = encode_masked(true, BINARY, &bytes(65_536), KEY);
        assert_eq!(
            frame[..14],
            [0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 0x37, 0xfa, 0x21, 0x3d]
        );
        assert_eq!(frame.len(), 10 + 4 + 65_536);
    }

    #[test]
    fn unmask_reads_rfc_6455s_masked_hello() {
        let frame = b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
        assert_eq!(unmask(frame), Some((true, TEXT, b"Hello".to_vec())));
    }

    #[test]
    fn unmask_gives_back_what_encode_masked_sent() {
        let sizes = [0, 1, 5, 125, 126, 127, 65_535, 65_536, 70_000];
        let frames = [
            (true, TEXT, [0x37, 0xfa, 0x21, 0x3d]),
            (false, BINARY, [0, 0, 0, 0]),
            (true, CONTINUATION, [0xFF, 0x80, 0x01, 0x7F]),
            (true, PING, [1, 2, 3, 4]),
        ];
        for len in sizes {
            let payload = bytes(len);
            for (fin, opcode, key) in frames {
                let frame = encode_masked(fin, opcode, &payload, key);
                let got = unmask(&frame);
                assert_eq!(got, Some((fin, opcode, payload.clone())), "{len}");
            }
        }
    }

    #[test]
    fn an_incomplete_frame_is_none() {
        for len in [0, 5, 126, 65_536] {
            let frame = encode_masked(true, BINARY, &bytes(len), KEY);
            // Every prefix: the header, the length, the key, the payload.
            for cut in 0..frame.len() {
                assert_eq!(unmask(&frame[..cut]), None, "{len} bytes, {cut}");
            }
        }
    }

    #[test]
    fn the_bytes_after_the_frame_belong_to_the_next_one() {
        let two = [
            encode_masked(false, TEXT, b"Hel", KEY),
            encode_masked(true, CONTINUATION, b"lo", KEY),
        ]
        .concat();
        assert_eq!(unmask(&two), Some((false, TEXT, b"Hel".to_vec())));
    }

    #[test]
    fn an_unmasked_frame_is_none() {
        // §5.7's unmasked "Hello": a server's frame, never a client's.
        assert_eq!(unmask(b"\x81\x05\x48\x65\x6c\x6c\x6f"), None);
    }
}
