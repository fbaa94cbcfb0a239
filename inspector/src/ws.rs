//! WebSocket as the inspector's client sees it (RFC 6455): the handshake
//! it asks for, the frames it reads after `101 Switching Protocols`, and
//! the masked frames it sends.
//!
//! [`FrameReader`] is strict and incremental, like the HTTP decoder: bytes
//! split any way at all go in, [`Frame`] events come out, and a broken
//! rule is an [`Error`] at the offending byte. Payloads pass through as
//! slices of the input, so a frame of any length costs no memory.
//!
//! Lesson 10 writes the server's side by hand; this is the client's, and
//! the inspector depends on no lesson.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;
use sha1::{Digest as _, Sha1};

use crate::error::{Error, ErrorKind};

/// The GUID a server appends to the key (RFC 6455 §1.3).
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A fresh `Sec-WebSocket-Key`: 16 random bytes in base64 (§4.1).
pub fn new_key() -> String {
    BASE64.encode(random::<16>())
}

/// The `Sec-WebSocket-Accept` a server must answer `key` with (§4.2.2).
pub fn accept_key(key: &str) -> String {
    BASE64.encode(Sha1::digest(format!("{key}{GUID}").as_bytes()))
}

/// The fields that ask for a WebSocket, with `key` (§4.1).
pub fn handshake_fields(key: &str) -> [(&'static str, String); 4] {
    [
        ("Upgrade", "websocket".into()),
        ("Connection", "Upgrade".into()),
        ("Sec-WebSocket-Key", key.into()),
        ("Sec-WebSocket-Version", "13".into()),
    ]
}

/// `N` bytes from the operating system's random source.
fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes).expect("the OS has a random source");
    bytes
}

/// What a frame carries (§5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
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

    /// Its name in `ws_frame` records.
    pub fn name(self) -> &'static str {
        match self {
            Opcode::Continuation => "continuation",
            Opcode::Text => "text",
            Opcode::Binary => "binary",
            Opcode::Close => "close",
            Opcode::Ping => "ping",
            Opcode::Pong => "pong",
        }
    }

    /// Close, ping and pong: they may come between a message's fragments,
    /// and must be whole and at most 125 bytes (§5.5).
    pub fn is_control(self) -> bool {
        matches!(self, Opcode::Close | Opcode::Ping | Opcode::Pong)
    }
}

/// A frame's header: everything before its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The last frame of its message.
    pub fin: bool,
    pub opcode: Opcode,
    /// The masking key, if the frame is masked.
    pub mask: Option<[u8; 4]>,
    /// The payload's length.
    pub len: u64,
    /// The header's own length on the wire: 2 to 14 bytes.
    pub size: u8,
}

/// A client's frame, masked with a fresh random key (§5.3 asks for one
/// an attacker cannot predict): its header, and its bytes on the wire.
pub fn client_frame(opcode: Opcode, payload: &[u8]) -> (Header, Vec<u8>) {
    let key: [u8; 4] = random();
    let len = payload.len() as u64;
    let mut wire = Vec::with_capacity(payload.len() + 14);
    wire.push(0x80 | opcode.bits());
    // The length in the fewest bytes: 7 bits, or 126 and 16 bits, or 127
    // and 64 bits; the MASK bit on top.
    match (u8::try_from(len), u16::try_from(len)) {
        (Ok(len @ 0..=125), _) => wire.push(0x80 | len),
        (_, Ok(len)) => {
            wire.push(0x80 | 126);
            wire.extend_from_slice(&len.to_be_bytes());
        }
        _ => {
            wire.push(0x80 | 127);
            wire.extend_from_slice(&len.to_be_bytes());
        }
    }
    wire.extend_from_slice(&key);
    let size = u8::try_from(wire.len()).expect("a header is 14 bytes at most");
    wire.extend(payload.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
    let header = Header {
        fin: true,
        opcode,
        mask: Some(key),
        len,
        size,
    };
    (header, wire)
}

/// The first frame in `wire`, a client's, as [`client_frame`] made it:
/// its header, its payload unmasked, and its length on the wire. None if
/// `wire` does not start with a whole masked frame. A recording keeps
/// what the inspector sent as these bytes, and a replay reads it back.
pub fn read_client_frame(wire: &[u8]) -> Option<(Header, Vec<u8>, usize)> {
    let [first, second, ..] = *wire else {
        return None;
    };
    let opcode = Opcode::from_bits(first & 0x0F)?;
    if second & 0x80 == 0 {
        return None;
    }
    // The length: 7 bits, or 126 and 16 bits, or 127 and 64 bits.
    let (len, at) = match second & 0x7F {
        126 => (
            u64::from(u16::from_be_bytes(wire.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => (u64::from_be_bytes(wire.get(2..10)?.try_into().ok()?), 10),
        len => (u64::from(len), 2),
    };
    let key: [u8; 4] = wire.get(at..at + 4)?.try_into().ok()?;
    let size = at + 4;
    let end = size.checked_add(usize::try_from(len).ok()?)?;
    let payload = wire.get(size..end)?;
    let header = Header {
        fin: first & 0x80 != 0,
        opcode,
        mask: Some(key),
        len,
        size: u8::try_from(size).ok()?,
    };
    let unmasked = payload
        .iter()
        .zip(key.iter().cycle())
        .map(|(b, k)| b ^ k)
        .collect();
    Some((header, unmasked, end))
}

/// The payload of a close frame: the code, then the reason (§5.5.1).
pub fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    [&code.to_be_bytes(), reason.as_bytes()].concat()
}

/// What [`FrameReader::feed`] found. Offsets count from the response's
/// first byte, as the HTTP decoder's do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A frame's header was read; its first byte is at `offset`.
    Start { offset: u64, header: Header },
    /// Payload bytes of the current frame, as sent: server frames are
    /// never masked.
    Payload(&'a [u8]),
    /// The current frame is complete. A close frame's code and reason
    /// come with it; `offset` is just past its last byte.
    End {
        offset: u64,
        close: Option<(u16, String)>,
    },
}

/// Reads a server's frames, strictly (RFC 6455 §5).
#[derive(Debug)]
pub struct FrameReader {
    /// The offset of the next byte.
    offset: u64,
    /// The header being read, and how much of it has come.
    header: [u8; 14],
    have: usize,
    /// The frame whose payload is being read, and how much of it is left.
    current: Option<(Header, u64)>,
    /// A fragmented text or binary message that has not had its FIN.
    message: Option<Opcode>,
    /// The text being checked: a text message, or a close reason.
    text: Utf8,
    /// A control frame's payload, to check once it is whole: at most 125
    /// bytes.
    control: Vec<u8>,
    /// The server's close frame was read: nothing may follow.
    closed: bool,
}

impl FrameReader {
    /// A reader whose first byte is at `offset` in the response.
    pub fn new(offset: u64) -> Self {
        FrameReader {
            offset,
            header: [0; 14],
            have: 0,
            current: None,
            message: None,
            text: Utf8::default(),
            control: Vec::new(),
            closed: false,
        }
    }

    /// The offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Whether the server's close frame has been read.
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// Reads `input`, calling `on` for what it finds.
    pub fn feed(
        &mut self,
        mut input: &[u8],
        on: &mut impl FnMut(Frame<'_>),
    ) -> Result<(), Error> {
        while !input.is_empty() {
            match self.current {
                None => self.read_header(&mut input, on)?,
                Some((header, remaining)) => {
                    let take = input
                        .len()
                        .min(usize::try_from(remaining).unwrap_or(usize::MAX));
                    let (payload, rest) = input.split_at(take);
                    self.check_payload(header, payload)?;
                    self.offset += take as u64;
                    input = rest;
                    on(Frame::Payload(payload));
                    self.current = Some((header, remaining - take as u64));
                }
            }
            if let Some((header, 0)) = self.current {
                self.end_frame(header, on)?;
            }
        }
        Ok(())
    }

    /// Takes header bytes; once the header is whole, checks it and starts
    /// its frame.
    fn read_header(
        &mut self,
        input: &mut &[u8],
        on: &mut impl FnMut(Frame<'_>),
    ) -> Result<(), Error> {
        let start = self.offset - self.have as u64;
        let fail = |at: u64, kind| Err(Error { offset: at, kind });
        if self.closed {
            return fail(start, ErrorKind::WsAfterClose);
        }
        // The header's size is known from its second byte on.
        let need = match self.have {
            0 | 1 => 2,
            _ => match self.header[1] & 0x7F {
                126 => 4,
                127 => 10,
                _ => 2,
            },
        };
        let take = (need - self.have).min(input.len());
        self.header[self.have..self.have + take]
            .copy_from_slice(&input[..take]);
        self.have += take;
        self.offset += take as u64;
        *input = &input[take..];
        if self.have < need {
            return Ok(());
        }
        if need == 2 && self.header[1] & 0x7F >= 126 {
            // Only now is the extended length's size known: come back.
            return Ok(());
        }
        let [b0, b1, ..] = self.header;
        if b0 & 0x70 != 0 {
            return fail(start, ErrorKind::WsReservedBit);
        }
        let Some(opcode) = Opcode::from_bits(b0 & 0x0F) else {
            return fail(start, ErrorKind::WsUnknownOpcode(b0 & 0x0F));
        };
        if b1 & 0x80 != 0 {
            return fail(start + 1, ErrorKind::WsMasked);
        }
        let len = match need {
            4 => {
                u64::from(u16::from_be_bytes([self.header[2], self.header[3]]))
            }
            10 => u64::from_be_bytes(
                self.header[2..10].try_into().expect("8 bytes"),
            ),
            _ => u64::from(b1 & 0x7F),
        };
        if len >> 63 != 0 {
            return fail(start + 2, ErrorKind::WsLengthTopBit);
        }
        // Each length has one encoding, the shortest (§5.2).
        if (need == 4 && len < 126) || (need == 10 && len <= 0xFFFF) {
            return fail(start + 2, ErrorKind::WsLengthNotMinimal);
        }
        let fin = b0 & 0x80 != 0;
        if opcode.is_control() && (len > 125 || !fin) {
            return fail(start, ErrorKind::WsControlFrame);
        }
        // Fragments (§5.4): a message is a text or binary frame, then
        // continuations, the last with FIN; control frames may come
        // between them.
        match (opcode, self.message) {
            (Opcode::Continuation, None) => {
                return fail(start, ErrorKind::WsNoMessage);
            }
            (Opcode::Text | Opcode::Binary, Some(_)) => {
                return fail(start, ErrorKind::WsUnfinishedMessage);
            }
            (Opcode::Text | Opcode::Binary, None) if !fin => {
                self.message = Some(opcode);
            }
            _ => {}
        }
        if opcode == Opcode::Close {
            self.closed = true;
        }
        let header = Header {
            fin,
            opcode,
            mask: None,
            len,
            size: u8::try_from(need).expect("a header is 14 bytes at most"),
        };
        self.have = 0;
        self.current = Some((header, len));
        on(Frame::Start {
            offset: start,
            header,
        });
        Ok(())
    }

    /// Checks payload bytes as they come: text must be UTF-8.
    fn check_payload(
        &mut self,
        header: Header,
        payload: &[u8],
    ) -> Result<(), Error> {
        if header.opcode.is_control() {
            self.control.extend_from_slice(payload);
        } else if self.message_opcode(header) == Opcode::Text {
            self.text.feed(payload).map_err(|at| Error {
                offset: self.offset + at as u64,
                kind: ErrorKind::WsInvalidUtf8,
            })?;
        }
        Ok(())
    }

    /// The opcode of the message a data frame belongs to.
    fn message_opcode(&self, header: Header) -> Opcode {
        match header.opcode {
            Opcode::Continuation => self.message.unwrap_or(Opcode::Binary),
            opcode => opcode,
        }
    }

    fn end_frame(
        &mut self,
        header: Header,
        on: &mut impl FnMut(Frame<'_>),
    ) -> Result<(), Error> {
        let mut close = None;
        if header.opcode == Opcode::Close {
            close = self.close_frame()?;
        } else if !header.opcode.is_control() && header.fin {
            let cut = self.text.unfinished();
            if self.message_opcode(header) == Opcode::Text && cut > 0 {
                // The message ends inside a character: point at its start.
                return Err(Error {
                    offset: self.offset - cut as u64,
                    kind: ErrorKind::WsInvalidUtf8,
                });
            }
            self.message = None;
        }
        self.control.clear();
        self.current = None;
        on(Frame::End {
            offset: self.offset,
            close,
        });
        Ok(())
    }

    /// Checks a whole close payload: empty, or a code that may be sent
    /// and a UTF-8 reason (§5.5.1, §7.4).
    fn close_frame(&mut self) -> Result<Option<(u16, String)>, Error> {
        let start = self.offset - self.control.len() as u64;
        let fail = |at: u64, why| {
            Err(Error {
                offset: at,
                kind: ErrorKind::WsClose(why),
            })
        };
        let (code, reason) = match self.control[..] {
            [] => return Ok(None),
            [_] => return fail(start, "a payload of 1 byte; a code is 2"),
            [hi, lo, ref reason @ ..] => (u16::from_be_bytes([hi, lo]), reason),
        };
        // 1004 is reserved; 1005, 1006 and 1015 stand for "no code" in
        // APIs and must not be sent; 1016-2999 are for future RFCs, and
        // 3000-4999 for libraries and applications.
        if !matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999) {
            return fail(start, "a code that may not be sent");
        }
        let reason = std::str::from_utf8(reason).map_err(|e| Error {
            offset: start + 2 + e.valid_up_to() as u64,
            kind: ErrorKind::WsInvalidUtf8,
        })?;
        Ok(Some((code, reason.to_owned())))
    }
}

/// Checks that text split anywhere is UTF-8: a character cut at the end of
/// one piece waits, in `pending`, for the rest.
#[derive(Debug, Default)]
struct Utf8 {
    pending: Vec<u8>,
}

impl Utf8 {
    /// Checks `bytes`; an error is the index of the first bad byte.
    fn feed(&mut self, mut bytes: &[u8]) -> Result<(), usize> {
        let mut index = 0;
        // Finish the pending character first, a byte at a time: it needs
        // at most 3 more.
        while !self.pending.is_empty() && !bytes.is_empty() {
            self.pending.push(bytes[0]);
            bytes = &bytes[1..];
            index += 1;
            match std::str::from_utf8(&self.pending) {
                Ok(_) => self.pending.clear(),
                Err(e) if e.error_len().is_some() => return Err(index - 1),
                Err(_) => {}
            }
        }
        match std::str::from_utf8(bytes) {
            Ok(_) => Ok(()),
            // Cut short at the end: keep the start of the character.
            Err(e) if e.error_len().is_none() => {
                self.pending.extend_from_slice(&bytes[e.valid_up_to()..]);
                Ok(())
            }
            Err(e) => Err(index + e.valid_up_to()),
        }
    }

    /// How many bytes of an unfinished character were left, if any: the
    /// text is over.
    fn unfinished(&mut self) -> usize {
        std::mem::take(&mut self.pending).len()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Reads `wire` in one piece: the events, or the error.
    fn read(wire: &[u8]) -> Result<Vec<String>, Error> {
        let mut reader = FrameReader::new(0);
        let mut events = Vec::new();
        reader.feed(wire, &mut |e| events.push(describe(e)))?;
        Ok(events)
    }

    fn describe(frame: Frame<'_>) -> String {
        match frame {
            Frame::Start { offset, header } => format!(
                "start {offset} {} fin={} len={} size={}",
                header.opcode.name(),
                header.fin,
                header.len,
                header.size
            ),
            Frame::Payload(bytes) => {
                format!("payload {}", String::from_utf8_lossy(bytes))
            }
            Frame::End { offset, close } => format!("end {offset} {close:?}"),
        }
    }

    fn error(wire: &[u8]) -> (u64, &'static str) {
        let e = read(wire).unwrap_err();
        (e.offset, e.kind.name())
    }

    #[test]
    fn the_accept_key_of_rfc_6455s_example() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_eq!(BASE64.decode(new_key()).unwrap().len(), 16);
        assert_ne!(new_key(), new_key());
    }

    #[test]
    fn reads_rfc_6455s_examples() {
        // §5.7: a single-frame unmasked text message.
        assert_eq!(
            read(b"\x81\x05Hello").unwrap(),
            [
                "start 0 text fin=true len=5 size=2",
                "payload Hello",
                "end 7 None"
            ]
        );
        // A fragmented message, a ping between its fragments.
        assert_eq!(
            read(b"\x01\x03Hel\x89\x00\x80\x02lo").unwrap(),
            [
                "start 0 text fin=false len=3 size=2",
                "payload Hel",
                "end 5 None",
                "start 5 ping fin=true len=0 size=2",
                "end 7 None",
                "start 7 continuation fin=true len=2 size=2",
                "payload lo",
                "end 11 None"
            ]
        );
        // 256 bytes: a 16-bit length. And a close with its code and reason.
        let long = [b"\x82\x7E\x01\x00".as_slice(), &[b'x'; 256]].concat();
        assert_eq!(
            read(&long).unwrap()[0],
            "start 0 binary fin=true len=256 size=4"
        );
        assert_eq!(
            read(b"\x88\x05\x03\xe8bye").unwrap()[2],
            "end 7 Some((1000, \"bye\"))"
        );
    }

    #[test]
    fn a_client_frame_reads_back_as_it_was_made() {
        for len in [0, 125, 126, 65535, 65536] {
            let payload: Vec<u8> =
                (0..len).map(|i: u32| i.to_le_bytes()[0]).collect();
            let (header, mut wire) = client_frame(Opcode::Text, &payload);
            let whole = wire.len();
            wire.extend_from_slice(b"next");
            let read = read_client_frame(&wire);
            assert_eq!(read, Some((header, payload, whole)), "{len}");
            // A frame cut short is not a frame yet.
            assert_eq!(read_client_frame(&wire[..whole - 5]), None);
        }
        // A server's frame is not masked: not the client's.
        assert_eq!(read_client_frame(b"\x81\x02hi"), None);
    }

    #[test]
    fn client_frames_are_masked_with_the_length_in_the_fewest_bytes() {
        for (len, size) in [(0, 6), (125, 6), (126, 8), (65535, 8), (65536, 14)]
        {
            let payload = vec![b'a'; len];
            let (header, wire) = client_frame(Opcode::Binary, &payload);
            assert_eq!((header.size as usize, wire.len()), (size, size + len));
            assert_eq!(wire[0], 0x82);
            assert_eq!(wire[1] & 0x80, 0x80, "MASK");
            let key = header.mask.unwrap();
            assert_eq!(&wire[size - 4..size], key);
            let unmasked: Vec<u8> = wire[size..]
                .iter()
                .zip(key.iter().cycle())
                .map(|(b, k)| b ^ k)
                .collect();
            assert_eq!(unmasked, payload);
        }
    }

    #[test]
    fn broken_rules_point_at_the_byte() {
        assert_eq!(error(b"\x81\x00\xC1\x00"), (2, "ws_reserved_bit"));
        assert_eq!(error(b"\x83\x00"), (0, "ws_unknown_opcode"));
        assert_eq!(error(b"\x81\x85\0\0\0\0Hello"), (1, "ws_masked"));
        assert_eq!(error(b"\x09\x00"), (0, "ws_control_frame"));
        assert_eq!(error(b"\x89\x7E\x00\x7E"), (0, "ws_control_frame"));
        assert_eq!(
            error(b"\x82\x7F\x80\0\0\0\0\0\0\0"),
            (2, "ws_length_top_bit")
        );
        assert_eq!(error(b"\x81\x7E\x00\x7D"), (2, "ws_length_not_minimal"));
        assert_eq!(
            error(b"\x82\x7F\0\0\0\0\0\0\xFF\xFF"),
            (2, "ws_length_not_minimal")
        );
        assert_eq!(error(b"\x80\x00"), (0, "ws_no_message"));
        assert_eq!(error(b"\x01\x01a\x81\x01b"), (3, "ws_unfinished_message"));
        assert_eq!(error(b"\x81\x05caf\xe9!"), (5, "ws_invalid_utf8"));
        // A character cut short by the message's end.
        assert_eq!(error(b"\x81\x04caf\xc3"), (5, "ws_invalid_utf8"));
        assert_eq!(error(b"\x88\x01\x03"), (2, "ws_close"));
        assert_eq!(error(b"\x88\x02\x03\xed"), (2, "ws_close"), "1005");
        assert_eq!(error(b"\x88\x03\x03\xe8\xff"), (4, "ws_invalid_utf8"));
        assert_eq!(error(b"\x88\x00\x81\x00"), (2, "ws_after_close"));
    }

    #[test]
    fn text_split_inside_a_character_is_still_utf8() {
        // "é" is C3 A9: split between fragments, and between feeds.
        let wire = b"\x01\x04caf\xc3\x80\x01\xa9";
        for split in 0..wire.len() {
            let mut reader = FrameReader::new(0);
            let mut on = |_: Frame<'_>| {};
            reader.feed(&wire[..split], &mut on).unwrap();
            reader.feed(&wire[split..], &mut on).unwrap();
        }
    }

    proptest! {
        #[test]
        fn frames_split_anywhere_read_the_same(
            payload in proptest::collection::vec(any::<u8>(), 0..70_000),
            split in any::<prop::sample::Index>(),
        ) {
            // A server's frame: the client's, unmasked.
            let (header, mut wire) = client_frame(Opcode::Binary, &payload);
            let size = header.size as usize;
            wire.drain(size - 4..size);
            wire[1] &= 0x7F;
            for (b, k) in wire[size - 4..].iter_mut().zip(header.mask.unwrap().iter().cycle()) {
                *b ^= k;
            }
            let split = split.index(wire.len() + 1);
            let mut reader = FrameReader::new(0);
            let mut got = Vec::new();
            let mut ends = 0;
            let mut on = |e: Frame<'_>| match e {
                Frame::Payload(bytes) => got.extend_from_slice(bytes),
                Frame::End { .. } => ends += 1,
                Frame::Start { .. } => {}
            };
            reader.feed(&wire[..split], &mut on).unwrap();
            reader.feed(&wire[split..], &mut on).unwrap();
            prop_assert_eq!(got, payload);
            prop_assert_eq!(ends, 1);
        }
    }
}
