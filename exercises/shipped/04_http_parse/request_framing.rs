//! # Exercise: where does a request's body end?
//!
//! Chapter: `book/src/04-http-parse.md`.
//!
//! On a kept-alive connection the next request starts right after this
//! one's body. So a server must know exactly where the body ends, from the
//! header fields alone (RFC 9112 §6.3):
//!
//! - `Transfer-Encoding: chunked`: the body is chunks, up to the
//!   last-chunk.
//! - `Content-Length: N`: the body is the next N bytes.
//! - neither: a request has no body at all.
//!
//! A proxy in front of the server reads the same bytes. If the two apply
//! these rules differently, they split the bytes into different requests:
//! request smuggling. So whenever a head could be read two ways, refuse it:
//! 400 Bad Request, or 501 Not Implemented for a transfer coding this
//! server doesn't know.
//!
//! Make the tests at the bottom pass:
//! `cargo run -p exercises -- run request_framing`.

fn main() {
    // You can experiment here, then run the tests with
    // `cargo run -p exercises -- run request_framing`.
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    Http10,
    Http11,
}

/// How a request's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// No body.
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunks, up to the last-chunk.
    Chunked,
}

/// The framing can't be trusted.
const BAD_REQUEST: u16 = 400;
/// A transfer coding this server doesn't implement.
const NOT_IMPLEMENTED: u16 = 501;

/// The values of every field named `name`, in order. Field names are
/// case-insensitive.
fn values<'a>(fields: &[(&str, &'a str)], name: &str) -> Vec<&'a str> {
    fields
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|&(_, v)| v)
        .collect()
}

/// The body's framing, from a request's version and header fields, or the
/// status that refuses the request.
//
// TODO: Collect the values of both framing fields (`values` does that),
// then decide, in this order:
// - Transfer-Encoding in an HTTP/1.0 request: HTTP/1.0 has no transfer
//   codings, so whoever framed it disagrees with its version.
//     framing(Http10, &[("Transfer-Encoding", "chunked")]) → Err(400)
// - Both fields: which one ends the body?
//     framing(Http11, &[("Content-Length", "6"),
//                       ("Transfer-Encoding", "chunked")]) → Err(400)
// - Transfer-Encoding alone: `transfer_encoding` decides.
// - Content-Length alone: `content_length` decides.
//     framing(Http11, &[("Content-Length", "5")]) → Ok(Body::Length(5))
// - Neither: a request without either has no body.
//     framing(Http11, &[("Host", "example.com")]) → Ok(Body::None)
fn framing(version: Version, fields: &[(&str, &str)]) -> Result<Body, u16> {
    todo!()
}

/// The framing that the values of every `Transfer-Encoding` field say.
//
// TODO: The values of all the field lines form one comma-separated list
// of codings. Ignore the spaces and tabs around each, empty elements, and
// the case of the letters.
//   ["chunked"]               → Ok(Body::Chunked)
//   ["Chunked"]               → Ok(Body::Chunked)
//
// TODO: Only a list that ends in chunked says where the body ends, and
// chunked is applied once, with no parameters:
//   ["chunked, identity"]     → Err(400)
//   ["xchunked"]              → Err(400)
//   ["chunked", "chunked"]    → Err(400)   (two field lines)
//
// TODO: Any other coding before chunked is one this server doesn't
// implement:
//   ["gzip, chunked"]         → Err(501)
fn transfer_encoding(values: &[&str]) -> Result<Body, u16> {
    todo!()
}

/// The length that the values of every `Content-Length` field say.
//
// TODO: `Content-Length = 1*DIGIT`, in one field, with one value. Check
// what `"+5".parse::<u64>()` returns before you rely on it.
//   ["5"]                     → Ok(5)
//   ["007"]                   → Ok(7)
//   ["+5"], ["-1"], ["0x5"]   → Err(400)
//   ["6, 5"], ["5", "5"]      → Err(400)
//   ["99999999999999999999"]  → Err(400)   (more than u64::MAX)
fn content_length(values: &[&str]) -> Result<u64, u16> {
    todo!()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TE: &str = "Transfer-Encoding";
    const CL: &str = "Content-Length";

    fn http11(fields: &[(&str, &str)]) -> Result<Body, u16> {
        framing(Version::Http11, fields)
    }

    #[test]
    fn no_framing_field_means_no_body() {
        assert_eq!(http11(&[]), Ok(Body::None));
        assert_eq!(http11(&[("Host", "example.com")]), Ok(Body::None));
    }

    #[test]
    fn content_length_is_the_length() {
        assert_eq!(http11(&[(CL, "5")]), Ok(Body::Length(5)));
        assert_eq!(http11(&[(CL, "0")]), Ok(Body::Length(0)));
        assert_eq!(http11(&[(CL, "007")]), Ok(Body::Length(7)));
        assert_eq!(http11(&[("content-length", "5")]), Ok(Body::Length(5)));
        assert_eq!(
            http11(&[(CL, "18446744073709551615")]),
            Ok(Body::Length(u64::MAX))
        );
    }

    #[test]
    fn chunked_is_chunked() {
        assert_eq!(http11(&[(TE, "chunked")]), Ok(Body::Chunked));
        assert_eq!(http11(&[(TE, "Chunked")]), Ok(Body::Chunked));
        assert_eq!(
            http11(&[("transfer-encoding", "chunked")]),
            Ok(Body::Chunked)
        );
    }

    #[test]
    fn both_framings_are_refused() {
        // CL.TE and TE.CL: a proxy may believe one, the server the other.
        assert_eq!(http11(&[(CL, "6"), (TE, "chunked")]), Err(400));
        assert_eq!(http11(&[(TE, "chunked"), (CL, "6")]), Err(400));
    }

    #[test]
    fn transfer_encoding_must_end_in_chunked() {
        // TE.TE: a parser that doesn't see chunked here falls back to
        // Content-Length, or reads to the close.
        assert_eq!(http11(&[(TE, "chunked, identity")]), Err(400));
        assert_eq!(http11(&[(TE, "xchunked")]), Err(400));
        assert_eq!(http11(&[(TE, "gzip")]), Err(400));
        assert_eq!(http11(&[(TE, "chunked;q=1")]), Err(400));
        assert_eq!(http11(&[(TE, "")]), Err(400));
        // Two field lines are one list: "chunked, identity".
        assert_eq!(http11(&[(TE, "chunked"), (TE, "identity")]), Err(400));
    }

    #[test]
    fn chunked_comes_once() {
        assert_eq!(http11(&[(TE, "chunked, chunked")]), Err(400));
        assert_eq!(http11(&[(TE, "chunked"), (TE, "chunked")]), Err(400));
    }

    #[test]
    fn an_unknown_coding_before_chunked_is_not_implemented() {
        assert_eq!(http11(&[(TE, "gzip, chunked")]), Err(501));
        assert_eq!(http11(&[(TE, "gzip"), (TE, "chunked")]), Err(501));
    }

    #[test]
    fn content_length_is_digits_only() {
        for value in
            ["+5", "-1", "0x5", "5 5", "five", "", "99999999999999999999"]
        {
            assert_eq!(http11(&[(CL, value)]), Err(400), "{value:?}");
        }
    }

    #[test]
    fn content_length_comes_once() {
        // CL.CL: one reader takes the first value, another the last.
        assert_eq!(http11(&[(CL, "6"), (CL, "5")]), Err(400));
        assert_eq!(http11(&[(CL, "6, 5")]), Err(400));
        // RFC 9110 §8.6 lets a recipient take equal values as one; this
        // server is stricter.
        assert_eq!(http11(&[(CL, "5"), (CL, "5")]), Err(400));
        assert_eq!(http11(&[(CL, "5, 5")]), Err(400));
    }

    #[test]
    fn http_10_has_no_transfer_encoding() {
        let http10 = |fields| framing(Version::Http10, fields);
        assert_eq!(http10(&[(TE, "chunked")]), Err(400));
        assert_eq!(http10(&[(TE, "gzip, chunked")]), Err(400));
        assert_eq!(http10(&[(TE, "chunked"), (CL, "5")]), Err(400));
        assert_eq!(http10(&[(CL, "5")]), Ok(Body::Length(5)));
        assert_eq!(http10(&[]), Ok(Body::None));
    }
}
