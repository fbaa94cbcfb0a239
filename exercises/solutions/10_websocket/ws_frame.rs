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
fn accept_key(key: &str) -> String {
    // The key as it came, base64 text and all: it is not decoded first.
    let digest = Sha1::digest(format!("{key}{GUID}").as_bytes());
    BASE64.encode(digest)
}

/// A client's frame: `payload`, masked with `key`.
fn encode_masked(
    fin: bool,
    opcode: u8,
    payload: &[u8],
    key: [u8; 4],
) -> Vec<u8> {
    const MASK: u8 = 0x80;
    let mut frame = Vec::with_capacity(payload.len() + 14);
    frame.push(u8::from(fin) << 7 | opcode);
    // The length in the fewest bytes that hold it (§5.2), big-endian.
    let len = payload.len() as u64;
    match (u8::try_from(len), u16::try_from(len)) {
        (Ok(len @ 0..=125), _) => frame.push(MASK | len),
        (_, Ok(len)) => {
            frame.push(MASK | 126);
            frame.extend_from_slice(&len.to_be_bytes());
        }
        _ => {
            frame.push(MASK | 127);
            frame.extend_from_slice(&len.to_be_bytes());
        }
    }
    frame.extend_from_slice(&key);
    // Byte i of the payload is XORed with byte i mod 4 of the key (§5.3):
    // the key starts over in each frame.
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    frame
}

/// The frame at the front of `frame`, read the way a server reads a
/// client's: its FIN bit, its opcode, and its payload, unmasked. `None` if
/// it is not all there yet, or is not masked.
fn unmask(frame: &[u8]) -> Option<(bool, u8, Vec<u8>)> {
    let [b0, b1, ..] = *frame else {
        return None;
    };
    let fin = b0 & 0x80 != 0;
    let opcode = b0 & 0x0F;
    if b1 & 0x80 == 0 {
        // A server must not take an unmasked frame from a client (§5.1).
        return None;
    }
    let (len, at) = match b1 & 0x7F {
        126 => {
            let bytes = frame.get(2..4)?.try_into().ok()?;
            (u64::from(u16::from_be_bytes(bytes)), 4)
        }
        127 => (u64::from_be_bytes(frame.get(2..10)?.try_into().ok()?), 10),
        len => (u64::from(len), 2),
    };
    let key: [u8; 4] = frame.get(at..at + 4)?.try_into().ok()?;
    // The header says where the frame ends: what follows is the next one.
    let start = at + 4;
    let end = usize::try_from(len).ok()?.checked_add(start)?;
    let payload = frame.get(start..end)?;
    // XOR twice with the same byte gives the byte back.
    let payload = payload
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ key[i % 4])
        .collect();
    Some((fin, opcode, payload))
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
