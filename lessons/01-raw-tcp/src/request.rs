//! Reading a request head, naively.
//!
//! This lesson only needs the request line, so it reads until the blank line
//! that ends the head and looks at the first line. Header fields are skipped
//! unread. Lesson 04 replaces all of this with `httparse`, real header
//! parsing and RFC 9112's framing rules.

use std::fmt;
use std::io::{self, Read};

/// The most head bytes we read before answering 431. Most servers pick a
/// limit near this; RFC 9110 §5.4 leaves it to the server.
pub const MAX_HEAD: usize = 8 * 1024;

/// The HTTP versions these lessons speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

/// The request line: `method SP request-target SP HTTP-version`
/// (RFC 9112 §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub version: Version,
}

/// Why a request head could not be read. Each maps to the status a server
/// answers with (see `response::Status`).
#[derive(Debug)]
pub enum Error {
    /// The client closed the connection before finishing its head.
    Closed,
    /// No blank line within [`MAX_HEAD`] bytes: 431.
    TooLarge,
    /// Not a request line: 400, with the reason.
    Malformed(&'static str),
    /// A version other than HTTP/1.0 or HTTP/1.1: 505.
    UnsupportedVersion,
    /// The socket failed, or the read timed out (408).
    Io(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Closed => write!(f, "the client closed before its head"),
            Error::TooLarge => {
                write!(f, "the request head is larger than {MAX_HEAD} bytes")
            }
            Error::Malformed(why) => f.write_str(why),
            Error::UnsupportedVersion => {
                write!(f, "only HTTP/1.0 and HTTP/1.1 are supported")
            }
            Error::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

/// Reads until the blank line that ends the head, then parses the request
/// line. Bytes after the blank line (a body, a pipelined request) are
/// ignored: these lessons answer one request per connection.
pub fn read_request(stream: &mut impl Read) -> Result<Request, Error> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0; 1024];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => return Err(Error::Closed),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::Io(e)),
        };
        head.extend_from_slice(&buf[..n]);
        // Naive: search the whole buffer again after every read. Lesson 04
        // resumes where the last search stopped.
        if let Some(end) = find(&head, b"\r\n\r\n") {
            return parse_request_line(&head[..end]);
        }
        if head.len() > MAX_HEAD {
            return Err(Error::TooLarge);
        }
    }
}

/// Parses the first line of `head`: `GET /path HTTP/1.1`.
fn parse_request_line(head: &[u8]) -> Result<Request, Error> {
    let line = match find(head, b"\r\n") {
        Some(end) => &head[..end],
        None => head,
    };
    let line = std::str::from_utf8(line)
        .map_err(|_| Error::Malformed("the request line is not UTF-8"))?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::Malformed(
            "the request line is not `METHOD TARGET HTTP/1.1`",
        ));
    };
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err(Error::Malformed("the method is not a token"));
    }
    if target.is_empty() {
        return Err(Error::Malformed("the request target is empty"));
    }
    let version = match version {
        "HTTP/1.1" => Version::Http11,
        "HTTP/1.0" => Version::Http10,
        v if is_http_version(v) => return Err(Error::UnsupportedVersion),
        _ => return Err(Error::Malformed("the HTTP version is malformed")),
    };
    Ok(Request {
        method: method.to_owned(),
        target: target.to_owned(),
        version,
    })
}

/// `HTTP-version = HTTP-name "/" DIGIT "." DIGIT` (RFC 9112 §2.3).
fn is_http_version(v: &str) -> bool {
    matches!(v.as_bytes(), [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
        if major.is_ascii_digit() && minor.is_ascii_digit())
}

/// `tchar` from RFC 9110 §5.6.2: the characters allowed in a token.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<Request, Error> {
        read_request(&mut &bytes[..])
    }

    #[test]
    fn reads_the_request_line() {
        let req = parse(b"GET /x?y HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        assert_eq!(req.method, "GET");
        assert_eq!(req.target, "/x?y");
        assert_eq!(req.version, Version::Http11);
    }

    #[test]
    fn reads_http_1_0() {
        let req = parse(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        assert_eq!(req.version, Version::Http10);
    }

    #[test]
    fn refuses_what_is_not_a_request_line() {
        for bad in [
            &b"GET /\r\n\r\n"[..],
            b"GET  / HTTP/1.1\r\n\r\n",
            b"G(T / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1 extra\r\n\r\n",
            b"GET / HTTX/1.1\r\n\r\n",
            b"GET \xff HTTP/1.1\r\n\r\n",
        ] {
            assert!(
                matches!(parse(bad), Err(Error::Malformed(_))),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn refuses_other_versions() {
        assert!(matches!(
            parse(b"GET / HTTP/2.0\r\n\r\n"),
            Err(Error::UnsupportedVersion)
        ));
    }

    #[test]
    fn a_head_cut_short_is_closed() {
        assert!(matches!(parse(b"GET / HTTP/1.1\r\n"), Err(Error::Closed)));
    }

    #[test]
    fn a_head_without_end_is_too_large() {
        let endless = vec![b'a'; MAX_HEAD + 1024];
        assert!(matches!(parse(&endless), Err(Error::TooLarge)));
    }

    /// A reader that hands out its bytes in the given read sizes.
    struct Pieces<'a> {
        bytes: &'a [u8],
        sizes: std::iter::Cycle<std::vec::IntoIter<usize>>,
    }

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.sizes.next().unwrap_or(1).min(buf.len());
            let n = n.min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    proptest::proptest! {
        /// Network bytes are hostile: whatever arrives, however it is split,
        /// reading never panics, and the outcome does not depend on the split.
        #[test]
        fn any_bytes_any_split_never_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            sizes in proptest::collection::vec(1usize..50, 1..8),
        ) {
            let whole = format!("{:?}", parse(&bytes).map_err(|e| e.to_string()));
            let mut pieces = Pieces { bytes: &bytes, sizes: sizes.into_iter().cycle() };
            let split = format!("{:?}", read_request(&mut pieces).map_err(|e| e.to_string()));
            proptest::prop_assert_eq!(whole, split);
        }
    }
}
