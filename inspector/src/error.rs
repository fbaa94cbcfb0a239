//! What can be wrong with a response, where, and why it matters.

use std::fmt;

// ANCHOR: error
/// A protocol error: what went wrong, and the offset of the offending byte
/// from the first byte of the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub offset: u64,
    pub kind: ErrorKind,
}

/// Every way a response can break the rules, one variant per rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// httparse refused the status line or a header field.
    InvalidHead(&'static str),
    /// The head is larger than [`crate::decode::MAX_HEAD`].
    HeadTooLarge,
    /// A line ends in LF without CR.
    BareLf,
    /// A CR is not followed by LF.
    BareCr,
    /// Both `Transfer-Encoding` and `Content-Length` (RFC 9112 §6.3).
    ConflictingFraming,
    /// `Content-Length` is not digits, or its values differ.
    InvalidContentLength,
    /// `chunked` appears more than once, or has parameters.
    InvalidTransferEncoding,
    /// The size line has no hex digits at all.
    EmptyChunkSize,
    /// A byte that is not a hex digit, a `;` or whitespace before one.
    InvalidChunkSize(u8),
    /// The size does not fit in 64 bits.
    ChunkSizeOverflow,
    /// A chunk extension breaks `chunk-ext` grammar.
    InvalidChunkExtension(&'static str),
    /// The size line (extensions included) is over 16 KiB.
    ChunkExtensionTooLong,
    /// The chunk's data is not followed by CRLF.
    MissingCrlfAfterData,
    /// A trailer line breaks `field-line` grammar.
    InvalidTrailer(&'static str),
    /// The first trailer line starts with whitespace: an obs-fold with
    /// nothing to continue.
    ObsFold,
    /// The trailer section is over 16 KiB.
    TrailersTooLong,
    /// The connection closed before the message was complete.
    UnexpectedEof(&'static str),
    /// A `101` to a WebSocket handshake that breaks RFC 6455 §4.1.
    WsHandshake(String),
    /// The body's content coding (`Content-Encoding`) cannot be undone:
    /// its data is not valid, it ends early, or no decoder knows it.
    ContentCoding(String),
    /// A frame has RSV1, RSV2 or RSV3 set, and no extension was agreed.
    WsReservedBit,
    /// A frame's opcode is none of the six RFC 6455 defines.
    WsUnknownOpcode(u8),
    /// The server masked a frame.
    WsMasked,
    /// A close, ping or pong is fragmented or over 125 bytes.
    WsControlFrame,
    /// A 64-bit payload length has its most significant bit set.
    WsLengthTopBit,
    /// A payload length in 16 or 64 bits that fits in fewer.
    WsLengthNotMinimal,
    /// A continuation frame, with no fragmented message to continue.
    WsNoMessage,
    /// A text or binary frame while a fragmented message is unfinished.
    WsUnfinishedMessage,
    /// A text message, or a close reason, is not UTF-8.
    WsInvalidUtf8,
    /// A close frame's payload is malformed.
    WsClose(&'static str),
    /// A frame after the server's close frame.
    WsAfterClose,
    /// The connection closed without a close frame from the server.
    WsNoClose,
    /// HTTP/2: the server did not start with SETTINGS (RFC 9113 §3.4).
    H2Preface(String),
    /// HTTP/2: a frame breaks its type's rules (RFC 9113 §4, §6).
    H2Frame(String),
    /// HTTP/2: a header block HPACK cannot decode (RFC 7541).
    H2Compression(String),
    /// HTTP/2: a response's fields break RFC 9113 §8.
    H2Malformed(String),
    /// HTTP/2: the server reset the response's stream (RST_STREAM).
    H2Reset(String),
    /// HTTP/2: the server ended the connection (GOAWAY) before the
    /// response was over, or for an error.
    H2GoAway(String),
}
// ANCHOR_END: error

impl ErrorKind {
    /// A stable, machine-readable name: the `kind` of a JSON error record.
    pub fn name(&self) -> &'static str {
        use ErrorKind::*;
        match self {
            InvalidHead(_) => "invalid_head",
            HeadTooLarge => "head_too_large",
            BareLf => "bare_lf",
            BareCr => "bare_cr",
            ConflictingFraming => "conflicting_framing",
            InvalidContentLength => "invalid_content_length",
            InvalidTransferEncoding => "invalid_transfer_encoding",
            EmptyChunkSize => "empty_chunk_size",
            InvalidChunkSize(_) => "invalid_chunk_size",
            ChunkSizeOverflow => "chunk_size_overflow",
            InvalidChunkExtension(_) => "invalid_chunk_extension",
            ChunkExtensionTooLong => "chunk_extension_too_long",
            MissingCrlfAfterData => "missing_crlf_after_data",
            InvalidTrailer(_) => "invalid_trailer",
            ObsFold => "obs_fold",
            TrailersTooLong => "trailers_too_long",
            UnexpectedEof(_) => "unexpected_eof",
            WsHandshake(_) => "ws_handshake",
            ContentCoding(_) => "content_coding",
            WsReservedBit => "ws_reserved_bit",
            WsUnknownOpcode(_) => "ws_unknown_opcode",
            WsMasked => "ws_masked",
            WsControlFrame => "ws_control_frame",
            WsLengthTopBit => "ws_length_top_bit",
            WsLengthNotMinimal => "ws_length_not_minimal",
            WsNoMessage => "ws_no_message",
            WsUnfinishedMessage => "ws_unfinished_message",
            WsInvalidUtf8 => "ws_invalid_utf8",
            WsClose(_) => "ws_close",
            WsAfterClose => "ws_after_close",
            WsNoClose => "ws_no_close",
            H2Preface(_) => "h2_preface",
            H2Frame(_) => "h2_frame",
            H2Compression(_) => "h2_compression",
            H2Malformed(_) => "h2_malformed",
            H2Reset(_) => "h2_reset",
            H2GoAway(_) => "h2_goaway",
        }
    }
}

impl fmt::Display for ErrorKind {
    /// One sentence a learner understands: what is wrong, and the rule.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ErrorKind::*;
        match self {
            InvalidHead(why) => {
                write!(f, "the response head is malformed: {why}")
            }
            HeadTooLarge => write!(
                f,
                "the response head is over {} KiB without ending in an empty line",
                crate::decode::MAX_HEAD / 1024
            ),
            BareLf => f.write_str(
                "a line ends in LF without CR; HTTP/1.1 lines end in CRLF \
                 (RFC 9112 §2.2), and readers that disagree on this can be \
                 made to disagree on where a message ends",
            ),
            BareCr => f.write_str(
                "a CR is not followed by LF; a lone CR is never allowed in \
                 HTTP/1.1 framing (RFC 9112 §2.2)",
            ),
            ConflictingFraming => f.write_str(
                "the head has both Transfer-Encoding and Content-Length; \
                 RFC 9112 §6.3 says to treat this as an error, since two \
                 readers may pick different ones (response splitting, \
                 §11.1)",
            ),
            InvalidContentLength => f.write_str(
                "Content-Length must be one decimal number (RFC 9110 §8.6); \
                 a list of different values or a non-digit is unrecoverable",
            ),
            InvalidTransferEncoding => f.write_str(
                "chunked appears more than once in Transfer-Encoding, or with \
                 parameters; it is applied at most once (RFC 9112 §6.1) and \
                 has no parameters (§7.1)",
            ),
            EmptyChunkSize => f.write_str(
                "the chunk size line is empty; it must start with at least \
                 one hex digit (chunk-size = 1*HEXDIG)",
            ),
            InvalidChunkSize(b' ' | b'\t') => f.write_str(
                "whitespace after the chunk size is only allowed before a \
                 `;` extension (RFC 9112 §7.1.1)",
            ),
            InvalidChunkSize(b'x' | b'X') => f.write_str(
                "the chunk size has a 0x prefix; it must be bare hex digits \
                 (chunk-size = 1*HEXDIG)",
            ),
            InvalidChunkSize(b'+' | b'-') => f.write_str(
                "the chunk size has a sign; it must be bare hex digits \
                 (chunk-size = 1*HEXDIG)",
            ),
            InvalidChunkSize(b) => write!(
                f,
                "byte {b:#04x} is not a hex digit; the size line is \
                 chunk-size [ chunk-ext ] CRLF (RFC 9112 §7.1)"
            ),
            ChunkSizeOverflow => f.write_str(
                "the chunk size does not fit in 64 bits; a reader that \
                 wraps around would see a different, small size",
            ),
            InvalidChunkExtension(why) => write!(
                f,
                "the chunk extension is malformed: {why} (chunk-ext = \
                 *( BWS \";\" BWS name [ BWS \"=\" BWS value ] ), RFC 9112 §7.1.1)"
            ),
            ChunkExtensionTooLong => f.write_str(
                "the chunk size line is over 16 KiB; endless extensions are \
                 a known way to exhaust a reader's memory",
            ),
            MissingCrlfAfterData => f.write_str(
                "the chunk's data is not followed by CRLF: the size line \
                 promised a different number of bytes than were sent",
            ),
            InvalidTrailer(why) => {
                write!(f, "a trailer field is malformed: {why}")
            }
            ObsFold => f.write_str(
                "the first trailer line starts with whitespace: an obs-fold \
                 (RFC 9112 §5.2) with no field above it to continue",
            ),
            TrailersTooLong => {
                f.write_str("the trailer section is over 16 KiB")
            }
            UnexpectedEof(what) => {
                write!(
                    f,
                    "the connection closed {what}: the message is incomplete"
                )
            }
            ContentCoding(why) => f.write_str(why),
            WsHandshake(why) => write!(
                f,
                "the 101 does not complete the WebSocket handshake: {why} \
                 (RFC 6455 §4.1)"
            ),
            WsReservedBit => f.write_str(
                "a frame has a reserved bit (RSV1-3) set, but the handshake \
                 agreed no extension that defines it (RFC 6455 §5.2)",
            ),
            WsUnknownOpcode(op) => write!(
                f,
                "opcode {op:#x} is not defined: a frame is continuation (0), \
                 text (1), binary (2), close (8), ping (9) or pong (0xa) \
                 (RFC 6455 §5.2)"
            ),
            WsMasked => f.write_str(
                "the server masked a frame; only clients mask, and a client \
                 must close the connection on a masked frame (RFC 6455 §5.1)",
            ),
            WsControlFrame => f.write_str(
                "a close, ping or pong frame is fragmented or over 125 bytes; \
                 control frames must be whole and short, since they may come \
                 between the fragments of a message (RFC 6455 §5.5)",
            ),
            WsLengthTopBit => f.write_str(
                "a 64-bit payload length has its most significant bit set, \
                 which RFC 6455 §5.2 forbids",
            ),
            WsLengthNotMinimal => f.write_str(
                "a payload length in 16 or 64 bits that fits in fewer; \
                 RFC 6455 §5.2 says the minimal number of bytes MUST be used \
                 (7 bits up to 125, 16 bits up to 65535)",
            ),
            WsNoMessage => f.write_str(
                "a continuation frame, but no fragmented message is \
                 unfinished: a message starts with a text or binary frame \
                 (RFC 6455 §5.4)",
            ),
            WsUnfinishedMessage => f.write_str(
                "a new text or binary frame before the fragmented message \
                 before it has its FIN frame; its fragments must come as \
                 continuation frames, in order (RFC 6455 §5.4)",
            ),
            WsInvalidUtf8 => f.write_str(
                "this byte makes the text message or close reason not UTF-8; \
                 text must be UTF-8, and a client must fail the connection \
                 (RFC 6455 §5.6, §8.1)",
            ),
            WsClose(why) => write!(
                f,
                "the close frame is malformed: {why} (RFC 6455 §5.5.1, §7.4)"
            ),
            WsAfterClose => f.write_str(
                "a frame after the server's close frame; nothing may follow \
                 a close (RFC 6455 §5.5.1)",
            ),
            WsNoClose => f.write_str(
                "the connection closed without a close frame from the server: \
                 an abnormal closure, code 1006 (RFC 6455 §7.1.5)",
            ),
            H2Preface(why) | H2Frame(why) | H2Malformed(why) => {
                f.write_str(why)
            }
            H2Compression(why) => write!(
                f,
                "a header block cannot be decoded: {why}; HPACK's table is \
                 the connection's, so nothing after it can be (RFC 9113 §4.3)"
            ),
            H2Reset(code) => write!(
                f,
                "the server reset the response's stream with {code} \
                 (RST_STREAM, RFC 9113 §6.4): the response ends unfinished"
            ),
            H2GoAway(why) => {
                write!(f, "the server ended the connection: {why}")
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.kind)
    }
}

impl std::error::Error for Error {}
