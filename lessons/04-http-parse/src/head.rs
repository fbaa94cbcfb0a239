//! The request head, from a growing buffer.
//!
//! > HTTP-message = start-line CRLF *( field-line CRLF ) CRLF [ message-body ]
//!
//! Bytes arrive in reads of any size. [`Scanner`] looks at each new byte
//! once, for the blank line that ends the head, and refuses a bare LF on
//! the spot (httparse would take it as a line end; a proxy in front might
//! not, and the two would disagree on where the head ends). Only when the
//! whole head is in does [`parse`] hand it to httparse, once: nothing is
//! parsed again from the start on each read.

use std::time::Duration;

use lesson_01_raw_tcp::request::Version;
use lesson_01_raw_tcp::response::Status;

use crate::framing::Refusal;

/// The most head bytes read before answering 431, as in lesson 01.
pub use lesson_01_raw_tcp::request::MAX_HEAD;

/// The most header fields before answering 431.
pub const MAX_FIELDS: usize = 64;

/// Why a head is refused: each has a status and a one-line reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// No blank line within [`MAX_HEAD`] bytes.
    TooLarge,
    /// More than [`MAX_FIELDS`] header fields.
    TooManyFields,
    /// A line that ends in LF without CR (RFC 9112 §2.2).
    BareLf,
    /// What httparse refused, such as obs-fold or a space before a colon.
    Malformed(&'static str),
    /// Not HTTP/1.0 or HTTP/1.1.
    UnsupportedVersion,
}

impl Error {
    pub fn status(self) -> Status {
        match self {
            Error::TooLarge | Error::TooManyFields => {
                Status::HeaderFieldsTooLarge
            }
            Error::BareLf | Error::Malformed(_) => Status::BadRequest,
            Error::UnsupportedVersion => Status::VersionNotSupported,
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Error::TooLarge => "the request head is over 8 KiB",
            Error::TooManyFields => "more than 64 header fields",
            Error::BareLf => "a line ends in LF without CR",
            Error::Malformed(why) => why,
            Error::UnsupportedVersion => "only HTTP/1.0 and HTTP/1.1",
        }
    }
}

// ANCHOR: scanner
/// Finds the end of a head in a buffer that grows between calls.
#[derive(Debug, Default)]
pub struct Scanner {
    /// How much of the buffer has been looked at.
    scanned: usize,
}

impl Scanner {
    /// Looks at what `buf` gained since the last call. Returns the head's
    /// length, blank line included, once it is all there.
    pub fn scan(&mut self, buf: &[u8]) -> Result<Option<usize>, Error> {
        let from = self.scanned;
        // Nothing past the limit is looked at, so where the reads split
        // the bytes can't change the answer: a head that ends past it is
        // too large, even if its end came in the same read.
        let to = buf.len().min(MAX_HEAD);
        self.scanned = to;
        // Every LF must follow a CR; two CRLFs in a row end the head.
        for at in memchr::memchr_iter(b'\n', &buf[from..to]).map(|i| from + i) {
            if at == 0 || buf[at - 1] != b'\r' {
                return Err(Error::BareLf);
            }
            if at >= 3 && &buf[at - 3..=at] == b"\r\n\r\n" {
                return Ok(Some(at + 1));
            }
        }
        if buf.len() > MAX_HEAD {
            return Err(Error::TooLarge);
        }
        Ok(None)
    }
}
// ANCHOR_END: scanner

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub method: String,
    pub target: String,
    pub version: Version,
    /// The header fields, in order: names as sent, values as bytes.
    pub fields: Vec<(String, Vec<u8>)>,
}

impl Head {
    /// The fields as borrowed pairs, as `framing::body` takes them.
    pub fn field_pairs(&self) -> Vec<(&str, &[u8])> {
        self.fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect()
    }

    // ANCHOR: wants_close
    /// Whether the connection ends after this exchange. HTTP/1.1 keeps it
    /// unless the client says `Connection: close` (RFC 9112 §9.3); these
    /// servers close every HTTP/1.0 connection, since 1.0 keep-alive is an
    /// old extension they don't offer.
    pub fn wants_close(&self) -> bool {
        self.version == Version::Http10
            || self
                .fields
                .iter()
                .filter(|(name, _)| name.eq_ignore_ascii_case("connection"))
                .flat_map(|(_, value)| value.split(|&b| b == b','))
                .any(|option| {
                    option.trim_ascii().eq_ignore_ascii_case(b"close")
                })
    }
    // ANCHOR_END: wants_close
}

impl Refusal {
    /// 408: a head that did not arrive whole within `limit`. Said only
    /// when part of it came; an idle connection is closed quietly.
    pub fn too_slow(limit: Duration) -> Refusal {
        Refusal {
            status: Status::RequestTimeout,
            reason: format!(
                "the request head did not arrive within {} ms",
                limit.as_millis()
            )
            .into(),
            close: true,
        }
    }
}

/// Every refused head gets its status and reason, and a close: after a
/// head that can't be read, nothing more on the connection can be trusted.
impl From<Error> for Refusal {
    fn from(e: Error) -> Refusal {
        Refusal {
            status: e.status(),
            reason: e.reason().into(),
            close: true,
        }
    }
}

// ANCHOR: parse
/// Parses a complete head (what [`Scanner::scan`] measured).
pub fn parse(head: &[u8]) -> Result<Head, Error> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_FIELDS];
    let mut request = httparse::Request::new(&mut fields);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(Error::Malformed("the head ended early"));
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Error::TooManyFields);
        }
        Err(httparse::Error::Version) => {
            return Err(Error::UnsupportedVersion);
        }
        Err(e) => return Err(Error::Malformed(reason(e))),
    }
    let version = match request.version {
        Some(0) => Version::Http10,
        Some(1) => Version::Http11,
        _ => return Err(Error::UnsupportedVersion),
    };
    Ok(Head {
        method: request.method.unwrap_or_default().to_owned(),
        target: request.path.unwrap_or_default().to_owned(),
        version,
        fields: request
            .headers
            .iter()
            .map(|f| (f.name.to_owned(), f.value.to_vec()))
            .collect(),
    })
}
// ANCHOR_END: parse

/// httparse's refusals, as a reason a client can act on.
fn reason(e: httparse::Error) -> &'static str {
    match e {
        // Obs-fold, and whitespace before the colon, land here: both are
        // ways to make two parsers read different field names.
        httparse::Error::HeaderName => "a malformed header field name",
        httparse::Error::HeaderValue => "a malformed header field value",
        httparse::Error::NewLine => "a malformed line ending",
        httparse::Error::Token => "a malformed method or request line",
        _ => "a malformed request head",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scans `input` fed in the given pieces, then parses the head.
    fn read(pieces: &[&[u8]]) -> Result<Option<Head>, Error> {
        let mut scanner = Scanner::default();
        let mut buf = Vec::new();
        for piece in pieces {
            buf.extend_from_slice(piece);
            if let Some(len) = scanner.scan(&buf)? {
                return parse(&buf[..len]).map(Some);
            }
        }
        Ok(None)
    }

    /// Every outcome must be the same whole, split at any byte, or fed a
    /// byte at a time.
    fn every_way(input: &[u8]) -> Result<Option<Head>, Error> {
        let whole = read(&[input]);
        for at in 0..=input.len() {
            let (a, b) = input.split_at(at);
            assert_eq!(read(&[a, b]), whole, "split at {at}");
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(read(&bytes), whole, "a byte at a time");
        whole
    }

    fn status(input: &[u8]) -> u16 {
        match every_way(input) {
            Ok(Some(_)) => 200,
            Ok(None) => 0,
            Err(e) => e.status().code(),
        }
    }

    #[test]
    fn heads_in_a_table() {
        let many: String = (0..65).map(|i| format!("X-{i}: y\r\n")).collect();
        let many = format!("GET / HTTP/1.1\r\n{many}\r\n");
        let huge = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "y".repeat(9000));
        let cases: &[(&[u8], u16)] = &[
            (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 200),
            (b"GET / HTTP/1.0\r\n\r\n", 200),
            // Not yet complete: wait for more.
            (b"GET / HTTP/1.1\r\nHost: a\r\n", 0),
            (b"GET / HTTP/1.1\nHost: a\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400),
            (b"GET / HTTP/2.0\r\n\r\n", 505),
            (many.as_bytes(), 431),
            (huge.as_bytes(), 431),
        ];
        for &(input, want) in cases {
            assert_eq!(
                status(input),
                want,
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn a_head_is_parsed_once_it_is_whole() {
        let head = every_way(
            b"POST /x?y HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (head.method.as_str(), head.target.as_str()),
            ("POST", "/x?y")
        );
        assert_eq!(head.version, Version::Http11);
        assert_eq!(
            head.field_pairs(),
            [("Host", &b"a"[..]), ("Content-Length", b"3")]
        );
    }

    #[test]
    fn the_scanner_reports_where_the_head_ends() {
        let mut scanner = Scanner::default();
        let buf = b"GET / HTTP/1.1\r\n\r\nGET /next HTTP/1.1\r\n\r\n";
        // A pipelined request after it is not part of it.
        assert_eq!(scanner.scan(buf), Ok(Some(18)));
    }
}
