//! WebSocket frames (RFC 6455 §5), by hand: the header is the lesson.
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
//! Sans-IO, like lesson 04's body reader: bytes in, frames out.

/// What a frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opcode {
    Continuation,
    Text,
    Binary,
    Close,
    Ping,
    Pong,
}

impl Opcode {
    fn from_bits(bits: u8) -> Option<Opcode> {
        Some(match bits {
            0x0 => Opcode::Continuation,
            0x1 => Opcode::Text,
            0x2 => Opcode::Binary,
            0x8 => Opcode::Close,
            0x9 => Opcode::Ping,
            0xA => Opcode::Pong,
            _ => return None,
        })
    }

    fn bits(self) -> u8 {
        match self {
            Opcode::Continuation => 0x0,
            Opcode::Text => 0x1,
            Opcode::Binary => 0x2,
            Opcode::Close => 0x8,
            Opcode::Ping => 0x9,
            Opcode::Pong => 0xA,
        }
    }

    /// Close, ping and pong control the connection: they may come between
    /// the frames of a message, and must be short and whole (§5.5).
    pub fn is_control(self) -> bool {
        matches!(self, Opcode::Close | Opcode::Ping | Opcode::Pong)
    }
}

/// One frame, its payload unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The last frame of its message.
    pub fin: bool,
    pub opcode: Opcode,
    /// Whether the sender masked it: every client frame must be (§5.1).
    pub masked: bool,
    pub payload: Vec<u8>,
}

/// Why the connection must fail: the close code to send, and a reason
/// (RFC 6455 §7.4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: u16,
    pub reason: &'static str,
}

/// 1002: the peer broke the protocol.
pub const PROTOCOL_ERROR: u16 = 1002;
/// 1007: a text message, or a close reason, is not UTF-8.
pub const INVALID_DATA: u16 = 1007;
/// 1009: a message bigger than this server takes.
pub const TOO_BIG: u16 = 1009;

fn fail(code: u16, reason: &'static str) -> Failure {
    Failure { code, reason }
}

// ANCHOR: encode
/// A server's frame: never masked (a client must fail the connection if
/// it gets a masked frame, §5.1), its length in the fewest bytes.
pub fn encode(fin: bool, opcode: Opcode, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 10);
    out.push(u8::from(fin) << 7 | opcode.bits());
    let len = payload.len() as u64;
    match (u8::try_from(len), u16::try_from(len)) {
        (Ok(len @ 0..=125), _) => out.push(len),
        (_, Ok(len)) => {
            out.push(126);
            out.extend_from_slice(&len.to_be_bytes());
        }
        _ => {
            out.push(127);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}
// ANCHOR_END: encode

// ANCHOR: decode
/// A frame's header: all that comes before its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub fin: bool,
    pub opcode: Opcode,
    /// The payload's length.
    pub len: usize,
    pub key: [u8; 4],
    /// The header's own length: the payload starts here.
    pub size: usize,
}

/// Reads the header at the front of `buf`, or `None` if it has not all
/// come yet. A frame over `max` bytes fails here, before its payload is
/// read: its header says how big it is.
pub fn head(buf: &[u8], max: usize) -> Result<Option<Head>, Failure> {
    let [b0, b1, ..] = buf[..] else {
        return Ok(None);
    };
    let fin = b0 & 0x80 != 0;
    if b0 & 0x70 != 0 {
        // No extension was agreed, so no RSV bit may be set (§5.2).
        return Err(fail(PROTOCOL_ERROR, "a reserved bit is set"));
    }
    let opcode = Opcode::from_bits(b0 & 0x0F)
        .ok_or(fail(PROTOCOL_ERROR, "an unknown opcode"))?;
    let masked = b1 & 0x80 != 0;
    let (len, at) = match b1 & 0x7F {
        126 => match buf.get(2..4) {
            Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
            None => return Ok(None),
        },
        127 => match buf.get(2..10) {
            Some(b) => (u64::from_be_bytes(b.try_into().expect("8 bytes")), 10),
            None => return Ok(None),
        },
        len => (u64::from(len), 2),
    };
    if len >> 63 != 0 {
        // The most significant bit of a 64-bit length must be 0 (§5.2).
        return Err(fail(
            PROTOCOL_ERROR,
            "a 64-bit length with its top bit set",
        ));
    }
    if (at == 4 && len < 126) || (at == 10 && len <= 0xFFFF) {
        // Each length has one encoding: "the minimal number of bytes MUST
        // be used" (§5.2).
        return Err(fail(PROTOCOL_ERROR, "a length not in its fewest bytes"));
    }
    if opcode.is_control() && (len > 125 || !fin) {
        return Err(fail(
            PROTOCOL_ERROR,
            "a control frame must be whole and at most 125 bytes",
        ));
    }
    if !masked {
        return Err(fail(PROTOCOL_ERROR, "a client frame must be masked"));
    }
    let len = match usize::try_from(len) {
        Ok(len) if len <= max => len,
        _ => {
            return Err(fail(
                TOO_BIG,
                "the frame is bigger than this server takes",
            ));
        }
    };
    let Some(key) = buf.get(at..at + 4) else {
        return Ok(None);
    };
    Ok(Some(Head {
        fin,
        opcode,
        len,
        key: key.try_into().expect("4 bytes"),
        size: at + 4,
    }))
}

/// Takes one whole frame off the front of `buf`, or `None` if it has not
/// all come yet.
pub fn decode(buf: &mut Vec<u8>, max: usize) -> Result<Option<Frame>, Failure> {
    let Some(head) = head(buf, max)? else {
        return Ok(None);
    };
    let Some(payload) = buf.get(head.size..head.size + head.len) else {
        return Ok(None);
    };
    let payload = unmask(payload, head.key, 0);
    buf.drain(..head.size + head.len);
    Ok(Some(Frame {
        fin: head.fin,
        opcode: head.opcode,
        masked: true,
        payload,
    }))
}

/// Payload bytes from offset `from` on, unmasked: byte i of the payload
/// is XORed with byte i mod 4 of the key (§5.3).
pub fn unmask(masked: &[u8], key: [u8; 4], from: usize) -> Vec<u8> {
    masked
        .iter()
        .zip(key.iter().cycle().skip(from % 4))
        .map(|(b, k)| b ^ k)
        .collect()
}
// ANCHOR_END: decode

/// A client's frame, masked with `key`: for tests, which play the client.
pub fn encode_masked(
    fin: bool,
    opcode: Opcode,
    payload: &[u8],
    key: [u8; 4],
) -> Vec<u8> {
    let mut frame = encode(fin, opcode, payload);
    let at = frame.len() - payload.len();
    frame[1] |= 0x80;
    frame.splice(at..at, key);
    for (i, b) in frame[at + 4..].iter_mut().enumerate() {
        *b ^= key[i % 4];
    }
    frame
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn rfc_6455s_examples() {
        // §5.7: a single-frame unmasked text message, and a masked one.
        assert_eq!(
            encode(true, Opcode::Text, b"Hello"),
            b"\x81\x05\x48\x65\x6c\x6c\x6f"
        );
        let mut masked =
            b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58".to_vec();
        let frame = decode(&mut masked, 1 << 20).unwrap().unwrap();
        assert_eq!(
            (frame.fin, frame.opcode, frame.payload.as_slice()),
            (true, Opcode::Text, &b"Hello"[..])
        );
        assert!(masked.is_empty());
        // 256 bytes in one unmasked binary frame: a 16-bit length.
        assert_eq!(
            encode(true, Opcode::Binary, &[0; 256])[..4],
            [0x82, 0x7E, 0x01, 0x00]
        );
    }

    #[test]
    fn bad_frames_fail_with_their_close_code() {
        let code =
            |bytes: &[u8]| decode(&mut bytes.to_vec(), 100).unwrap_err().code;
        assert_eq!(code(b"\x81\x05Hello"), PROTOCOL_ERROR, "unmasked");
        assert_eq!(code(b"\xC1\x80\0\0\0\0"), PROTOCOL_ERROR, "RSV1");
        assert_eq!(code(b"\x83\x80\0\0\0\0"), PROTOCOL_ERROR, "opcode 3");
        assert_eq!(
            code(b"\x09\x80\0\0\0\0"),
            PROTOCOL_ERROR,
            "a fragmented ping"
        );
        assert_eq!(code(b"\x89\xFE\0\x7E"), PROTOCOL_ERROR, "a 126-byte ping");
        assert_eq!(
            code(b"\x82\xFE\x01\x00"),
            TOO_BIG,
            "256 bytes over a 100-byte limit"
        );
        assert_eq!(code(b"\x82\xFF\x40\0\0\0\0\0\0\0"), TOO_BIG, "2^62 bytes");
        assert_eq!(
            code(b"\x82\xFF\x80\0\0\0\0\0\0\0"),
            PROTOCOL_ERROR,
            "a top bit set"
        );
        assert_eq!(code(b"\x81\xFE\0\x05"), PROTOCOL_ERROR, "5 in 16 bits");
        assert_eq!(
            code(b"\x82\xFF\0\0\0\0\0\0\xFF\xFF"),
            PROTOCOL_ERROR,
            "65535 in 64 bits"
        );
    }

    proptest! {
        #[test]
        fn a_frame_split_anywhere_decodes_once_it_is_whole(
            payload in proptest::collection::vec(any::<u8>(), 0..70_000),
            key in any::<[u8; 4]>(),
            split in any::<prop::sample::Index>(),
        ) {
            let wire = encode_masked(true, Opcode::Binary, &payload, key);
            let split = split.index(wire.len());
            let mut buf = wire[..split].to_vec();
            prop_assert_eq!(decode(&mut buf, 1 << 20).unwrap(), None);
            buf.extend_from_slice(&wire[split..]);
            let frame = decode(&mut buf, 1 << 20).unwrap().unwrap();
            prop_assert_eq!(frame.payload, payload);
            prop_assert!(buf.is_empty());
        }
    }
}
