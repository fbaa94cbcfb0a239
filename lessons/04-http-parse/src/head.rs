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
    /// `HTTP-version = HTTP-name "/" DIGIT "." DIGIT`, misspelt: the
    /// name is case-sensitive (RFC 9112 §2.3), so `http/1.1` is no
    /// version at all, and gets 400, not 505.
    BadVersion,
    /// A well-formed version other than HTTP/1.0 or HTTP/1.1.
    UnsupportedVersion,
    /// An HTTP/1.1 request without Host (RFC 9112 §3.2).
    NoHost,
    /// More than one Host field line (RFC 9112 §3.2).
    TwoHosts,
    /// A Host that is not `uri-host [ ":" port ]` (RFC 9112 §3.2).
    BadHost,
    /// An absolute-form target this server can't take (RFC 9112 §3.2.2).
    BadTarget(&'static str),
}

impl Error {
    pub fn status(self) -> Status {
        match self {
            Error::TooLarge | Error::TooManyFields => {
                Status::HeaderFieldsTooLarge
            }
            Error::BareLf
            | Error::Malformed(_)
            | Error::BadVersion
            | Error::NoHost
            | Error::TwoHosts
            | Error::BadHost
            | Error::BadTarget(_) => Status::BadRequest,
            Error::UnsupportedVersion => Status::VersionNotSupported,
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Error::TooLarge => "the request head is over 8 KiB",
            Error::TooManyFields => "more than 64 header fields",
            Error::BareLf => "a line ends in LF without CR",
            Error::Malformed(why) | Error::BadTarget(why) => why,
            Error::BadVersion => {
                "a malformed HTTP version: it is case-sensitive, as in HTTP/1.1"
            }
            Error::UnsupportedVersion => "only HTTP/1.0 and HTTP/1.1",
            Error::NoHost => "an HTTP/1.1 request without Host",
            Error::TwoHosts => "more than one Host",
            Error::BadHost => "a Host that is not host[:port]",
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
    /// The path and query: an absolute-form target (`http://h/p?q`)
    /// arrives here as its origin-form (`/p?q`), so a site sees one form.
    pub target: String,
    /// Whom the request is for: the target's authority when it has one,
    /// else the Host field's value, else (HTTP/1.0 only) empty.
    pub host: String,
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

    /// Whether the client waits for `100 Continue` before sending its
    /// body (RFC 9110 §10.1.1). An HTTP/1.0 request's expectation is
    /// ignored: "A server that receives a 100-continue expectation in an
    /// HTTP/1.0 request MUST ignore that expectation."
    pub fn expects_continue(&self) -> bool {
        self.version == Version::Http11
            && self
                .fields
                .iter()
                .filter(|(name, _)| name.eq_ignore_ascii_case("expect"))
                .flat_map(|(_, value)| value.split(|&b| b == b','))
                .any(|expectation| {
                    expectation
                        .trim_ascii()
                        .eq_ignore_ascii_case(b"100-continue")
                })
    }
}

/// The interim answer to `Expect: 100-continue`: go on, send the body.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

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
        Err(httparse::Error::Version) => return Err(version_error(head)),
        Err(e) => return Err(Error::Malformed(reason(e))),
    }
    let version = match request.version {
        Some(0) => Version::Http10,
        Some(1) => Version::Http11,
        _ => return Err(Error::UnsupportedVersion),
    };
    let host = host_field(version, request.headers)?;
    let path = request.path.unwrap_or_default();
    // RFC 9112 §3.2.2: with an absolute-form target, the Host field is
    // ignored in favour of the target's authority. It was still checked
    // above: §3.2's 400 is for any request with a bad or second Host.
    let (target, host) = match absolute_form(path)? {
        Some((authority, origin)) => (origin, authority.to_owned()),
        None => (path.to_owned(), host.to_owned()),
    };
    Ok(Head {
        method: request.method.unwrap_or_default().to_owned(),
        target,
        host,
        version,
        fields: request
            .headers
            .iter()
            .map(|f| (f.name.to_owned(), f.value.to_vec()))
            .collect(),
    })
}
// ANCHOR_END: parse

/// What httparse calls a bad version: one it doesn't serve (505), or
/// none at all (400). `HTTP-version = HTTP-name "/" DIGIT "." DIGIT`,
/// and `HTTP-name = %s"HTTP"`: case-sensitive (RFC 9112 §2.3).
fn version_error(head: &[u8]) -> Error {
    // request-line = method SP request-target SP HTTP-version
    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let mut parts = line.split(|&b| b == b' ').skip(2);
    match (parts.next().unwrap_or_default(), parts.next()) {
        ([b'H', b'T', b'T', b'P', b'/', major, b'.', minor], None)
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            Error::UnsupportedVersion
        }
        _ => Error::BadVersion,
    }
}

// ANCHOR: host
/// The Host field's value, by RFC 9112 §3.2:
///
/// > A server MUST respond with a 400 (Bad Request) status code to any
/// > HTTP/1.1 request message that lacks a Host header field and to any
/// > request message that contains more than one Host header field line
/// > or a Host header field with an invalid field value.
///
/// So HTTP/1.0 may go without, but not with two, or a bad one.
fn host_field<'h>(
    version: Version,
    fields: &[httparse::Header<'h>],
) -> Result<&'h str, Error> {
    let mut hosts = fields
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("host"))
        .map(|f| f.value);
    match (hosts.next(), hosts.next()) {
        (None, _) if version == Version::Http11 => Err(Error::NoHost),
        (None, _) => Ok(""),
        (Some(_), Some(_)) => Err(Error::TwoHosts),
        (Some(value), None) => authority(value).ok_or(Error::BadHost),
    }
}
// ANCHOR_END: host

/// `Host = uri-host [ ":" port ]` (RFC 9110 §7.2), as text; `None` if
/// `value` is anything else. `uri-host` is RFC 3986's `host`:
///
/// > host = IP-literal / IPv4address / reg-name
/// > reg-name = *( unreserved / pct-encoded / sub-delims )
///
/// An IPv4 address is a reg-name too, and so is an empty host.
fn authority(value: &[u8]) -> Option<&str> {
    let (host, port) = match value.strip_prefix(b"[") {
        Some(rest) => {
            let end = memchr::memchr(b']', rest)?;
            ip_literal(&rest[..end])?;
            (&b""[..], &rest[end + 1..])
        }
        None => match memchr::memrchr(b':', value) {
            Some(at) => (&value[..at], &value[at..]),
            None => (value, &b""[..]),
        },
    };
    // `port = *DIGIT`, after its colon.
    let port_ok = match port {
        [] => true,
        [b':', digits @ ..] => digits.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    let host_ok = host.iter().enumerate().all(|(i, &b)| {
        is_unreserved(b) || is_sub_delim(b) || is_pct_encoded(host, i)
    });
    if !(port_ok && host_ok) {
        return None;
    }
    std::str::from_utf8(value).ok()
}

/// `IP-literal = "[" ( IPv6address / IPvFuture ) "]"`, inside the
/// brackets.
fn ip_literal(inner: &[u8]) -> Option<()> {
    let text = std::str::from_utf8(inner).ok()?;
    if text.parse::<std::net::Ipv6Addr>().is_ok() {
        return Some(());
    }
    // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
    let rest = text.strip_prefix(['v', 'V'])?;
    let (hex, tail) = rest.split_once('.')?;
    let ok = !hex.is_empty()
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && !tail.is_empty()
        && tail
            .bytes()
            .all(|b| is_unreserved(b) || is_sub_delim(b) || b == b':');
    ok.then_some(())
}

/// `unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"`
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
}

/// `sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," /
/// ";" / "="`
fn is_sub_delim(b: u8) -> bool {
    b"!$&'()*+,;=".contains(&b)
}

/// Whether `s[i]` is part of a `pct-encoded = "%" HEXDIG HEXDIG`.
fn is_pct_encoded(s: &[u8], i: usize) -> bool {
    let hex = |j: usize| s.get(j).is_some_and(u8::is_ascii_hexdigit);
    match s[i] {
        b'%' => hex(i + 1) && hex(i + 2),
        _ => {
            (i >= 1 && s[i - 1] == b'%' && hex(i))
                || (i >= 2 && s[i - 2] == b'%' && hex(i - 1) && hex(i))
        }
    }
}

/// An absolute-form target, split into its authority and the origin-form
/// a site sees; `None` for any other form (RFC 9112 §3.2):
///
/// > absolute-form = absolute-URI
///
/// > A server MUST accept the absolute-form in requests even though most
/// > HTTP/1.1 clients will only send the absolute-form to a proxy.
fn absolute_form(target: &str) -> Result<Option<(&str, String)>, Error> {
    // origin-form starts with "/", asterisk-form is "*", and
    // authority-form (CONNECT's `host:port`) has no "//".
    let Some((scheme, rest)) = target.split_once("://") else {
        return Ok(None);
    };
    if target.starts_with('/')
        || !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return Ok(None);
    }
    if !scheme.eq_ignore_ascii_case("http")
        && !scheme.eq_ignore_ascii_case("https")
    {
        return Err(Error::BadTarget("a target that is not http or https"));
    }
    // authority = [ userinfo "@" ] host [ ":" port ], up to the path.
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority_part, path) = rest.split_at(end);
    // RFC 9110 §4.2.4: userinfo is deprecated in http(s) URIs, and a
    // recipient SHOULD treat it as an error.
    if authority_part.contains('@') {
        return Err(Error::BadTarget("userinfo in the target"));
    }
    let authority = authority(authority_part.as_bytes())
        .ok_or(Error::BadTarget("a target whose host is not host[:port]"))?;
    // RFC 9110 §4.2.1: an http URI with an empty host MUST be rejected.
    if authority.is_empty() || authority.starts_with(':') {
        return Err(Error::BadTarget("a target without a host"));
    }
    // An empty path is "/" in origin-form (RFC 9112 §3.2.1).
    let origin = match path.chars().next() {
        Some('/') => path.to_owned(),
        _ => format!("/{path}"),
    };
    Ok(Some((authority, origin)))
}

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
            // HTTP-name is case-sensitive: no version at all.
            (b"GET / http/1.1\r\nHost: a\r\n\r\n", 400),
            (b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400),
            // Host: once, valid, and required in HTTP/1.1 only.
            (b"GET / HTTP/1.1\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a\r\nHOST: a\r\n\r\n", 400),
            (b"GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: [a]\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a%2\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a%2e:80\r\n\r\n", 200),
            (b"GET / HTTP/1.1\r\nHost: 10.0.0.1:\r\n\r\n", 200),
            (b"GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", 200),
            (b"GET / HTTP/1.1\r\nHost: [v1.a:b]\r\n\r\n", 200),
            (b"GET / HTTP/1.1\r\nHost:\r\n\r\n", 200),
            // Absolute-form: http and https only, a host, no userinfo.
            (b"GET http://a/b HTTP/1.1\r\nHost: a\r\n\r\n", 200),
            (b"GET ftp://a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            (b"GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            (b"GET http://:80/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            (b"GET http://a b/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),
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
    fn an_absolute_form_target_is_its_path_for_its_authority() {
        let target = |input: &[u8]| {
            let head = every_way(input).unwrap().unwrap();
            (head.target, head.host)
        };
        let owned = |t: &str, h: &str| (t.to_owned(), h.to_owned());
        assert_eq!(
            target(b"GET HTTP://t:8080/p?q HTTP/1.1\r\nHost: evil\r\n\r\n"),
            owned("/p?q", "t:8080")
        );
        assert_eq!(
            target(b"GET https://t?q HTTP/1.1\r\nHost: t\r\n\r\n"),
            owned("/?q", "t")
        );
        assert_eq!(
            target(b"GET /p HTTP/1.1\r\nHost: t\r\n\r\n"),
            owned("/p", "t")
        );
        assert_eq!(target(b"GET / HTTP/1.0\r\n\r\n"), owned("/", ""));
    }

    #[test]
    fn only_an_http_11_expectation_of_100_continue_counts() {
        let expects = |input: &[u8]| {
            every_way(input).unwrap().unwrap().expects_continue()
        };
        assert!(expects(
            b"POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-Continue\r\n\r\n"
        ));
        assert!(!expects(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n"));
        assert!(!expects(
            b"POST / HTTP/1.1\r\nHost: t\r\nExpect: 200-ok\r\n\r\n"
        ));
    }

    #[test]
    fn the_scanner_reports_where_the_head_ends() {
        let mut scanner = Scanner::default();
        let buf = b"GET / HTTP/1.1\r\n\r\nGET /next HTTP/1.1\r\n\r\n";
        // A pipelined request after it is not part of it.
        assert_eq!(scanner.scan(buf), Ok(Some(18)));
    }
}
