//! Where a request's body ends (RFC 9112 §6), or why the request is
//! refused.
//!
//! > 1. If a message is received with both a Transfer-Encoding and a
//! >    Content-Length header field, the Transfer-Encoding overrides the
//! >    Content-Length. Such a message might indicate an attempt to perform
//! >    request smuggling (Section 11.2) or response splitting (Section
//! >    11.1) and ought to be handled as an error.
//!
//! Every rule here exists because two parsers that apply it differently
//! can be made to split the same bytes into different requests. So this
//! server takes the strict reading each time: when the RFC allows a
//! guess, it refuses instead, and closes the connection, since after a
//! framing error nothing on it can be trusted to start a request.

use std::borrow::Cow;

use lesson_01_raw_tcp::request::Version;
use lesson_01_raw_tcp::response::Status;

/// How a request's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// No body: neither Transfer-Encoding nor Content-Length (§6.3 rule 7).
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked, read by the workspace's one decoder.
    Chunked,
}

impl Body {
    /// Whether a body follows the head: what `100 Continue` asks for.
    pub fn follows(self) -> bool {
        !matches!(self, Body::None | Body::Length(0))
    }
}

/// Why a request cannot be served: the status, a one-line reason, and
/// whether the connection must close after the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: Status,
    pub reason: Cow<'static, str>,
    pub close: bool,
}

/// A 400 that closes the connection: after a framing error nothing more
/// on it can be trusted to start a request.
pub fn bad(reason: impl Into<Cow<'static, str>>) -> Refusal {
    Refusal {
        status: Status::BadRequest,
        reason: reason.into(),
        close: true,
    }
}

// ANCHOR: body
/// The body's framing, from the request's `fields` (name, value), or why
/// there is none to be trusted.
pub fn body(
    version: Version,
    fields: &[(&str, &[u8])],
) -> Result<Body, Refusal> {
    fn named<'a>(
        fields: &'a [(&str, &'a [u8])],
        name: &'static str,
    ) -> impl Iterator<Item = &'a [u8]> {
        fields
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, v)| v)
    }
    let named = |name| named(fields, name);
    let has_te = named("transfer-encoding").next().is_some();
    let has_cl = named("content-length").next().is_some();
    if has_te {
        // §6.1: HTTP/1.0 has no Transfer-Encoding; a 1.0 message with one
        // was framed by someone who disagrees with its version.
        if version == Version::Http10 {
            return Err(bad("Transfer-Encoding in an HTTP/1.0 request"));
        }
        // §6.1: a server MAY process TE alone, but MUST close after; the
        // only safe answer to CL.TE and TE.CL is neither.
        if has_cl {
            return Err(bad(
                "both Transfer-Encoding and Content-Length: which one ends the body?",
            ));
        }
        return transfer_codings(named("transfer-encoding"));
    }
    if has_cl {
        return content_length(named("content-length")).map(Body::Length);
    }
    Ok(Body::None)
}
// ANCHOR_END: body

// ANCHOR: transfer_codings
/// `Transfer-Encoding = #transfer-coding`, across every field line.
fn transfer_codings<'a>(
    values: impl Iterator<Item = &'a [u8]>,
) -> Result<Body, Refusal> {
    let mut codings = Vec::new();
    for value in values {
        let value = std::str::from_utf8(value)
            .map_err(|_| bad("Transfer-Encoding is not ASCII"))?;
        // A list may hold empty elements, which recipients ignore
        // (RFC 9110 §5.6.1).
        codings.extend(value.split(',').map(ows).filter(|c| !c.is_empty()));
    }
    let Some((last, before)) = codings.split_last() else {
        return Err(bad("an empty Transfer-Encoding"));
    };
    for coding in &codings {
        let name = coding.split(';').next().map_or("", ows);
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err(bad("a transfer coding that is not a token"));
        }
    }
    let is_chunked = |c: &&str| c.eq_ignore_ascii_case("chunked");
    // §6.3 rule 4: unless chunked is last, the body's end is unknowable.
    if !is_chunked(last) {
        return Err(bad("Transfer-Encoding does not end in chunked"));
    }
    // §7: chunked has no parameters and is applied once.
    if before.iter().any(|c| {
        c.split(';')
            .next()
            .map(ows)
            .is_some_and(|n| n.eq_ignore_ascii_case("chunked"))
    }) {
        return Err(bad("chunked applied twice"));
    }
    // §6.1: a coding this server doesn't implement gets 501. The body is
    // still chunked, but it would be read and then not understood, so the
    // connection closes too.
    if let Some(_unknown) = before.first() {
        return Err(Refusal {
            status: Status::NotImplemented,
            reason: "only the chunked transfer coding is implemented".into(),
            close: true,
        });
    }
    Ok(Body::Chunked)
}
// ANCHOR_END: transfer_codings

// ANCHOR: content_length
/// `Content-Length = 1*DIGIT`, exactly once. RFC 9110 §8.6 lets a
/// recipient accept a list of identical values; a second opinion on the
/// length is how CL.CL smuggling starts, so this server refuses any.
fn content_length<'a>(
    mut values: impl Iterator<Item = &'a [u8]>,
) -> Result<u64, Refusal> {
    let value = values.next().unwrap_or_default();
    if values.next().is_some() || value.contains(&b',') {
        return Err(bad("more than one Content-Length"));
    }
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(bad("Content-Length is not a number"));
    }
    value
        .iter()
        .try_fold(0u64, |n, &d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
        .ok_or_else(|| bad("Content-Length is too large"))
}
// ANCHOR_END: content_length

/// Without optional whitespace (SP and HTAB) around it.
fn ows(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// `tchar` (RFC 9110 §5.6.2): what a token is made of.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V11: Version = Version::Http11;

    fn framing(fields: &[(&str, &str)]) -> Result<Body, Refusal> {
        let fields: Vec<(&str, &[u8])> =
            fields.iter().map(|&(n, v)| (n, v.as_bytes())).collect();
        body(V11, &fields)
    }

    fn status(fields: &[(&str, &str)]) -> u16 {
        framing(fields).map_or_else(|r| r.status.code(), |_| 200)
    }

    #[test]
    fn the_rules_in_a_table() {
        let te = "Transfer-Encoding";
        let cl = "Content-Length";
        let cases: &[(&[(&str, &str)], u16)] = &[
            (&[], 200),
            (&[(cl, "5")], 200),
            (&[(te, "chunked")], 200),
            // Case and optional whitespace don't matter; empty list
            // elements are ignored.
            (&[(te, " Chunked\t")], 200),
            (&[(te, ", chunked")], 200),
            // CL.TE and TE.CL: refused, whichever comes first.
            (&[(cl, "5"), (te, "chunked")], 400),
            (&[(te, "chunked"), (cl, "5")], 400),
            // TE.TE obfuscations.
            (&[(te, "xchunked")], 400),
            (&[(te, "chunked, identity")], 400),
            (&[(te, "chunked"), (te, "identity")], 400),
            (&[(te, "chunked, chunked")], 400),
            (&[(te, "chunked"), (te, "chunked")], 400),
            (&[(te, "chunked;q=1")], 400),
            (&[(te, "\"chunked\"")], 400),
            (&[(te, "")], 400),
            // A coding this server doesn't implement, before chunked.
            (&[(te, "gzip, chunked")], 501),
            // Content-Length: one plain number, once.
            (&[(cl, "5"), (cl, "5")], 400),
            (&[(cl, "5, 5")], 400),
            (&[(cl, "5"), (cl, "6")], 400),
            (&[(cl, "+5")], 400),
            (&[(cl, "0x5")], 400),
            (&[(cl, "")], 400),
            (&[(cl, "99999999999999999999")], 400),
        ];
        for &(fields, want) in cases {
            assert_eq!(status(fields), want, "{fields:?}");
        }
        assert_eq!(
            framing(&[(cl, "18446744073709551615")]),
            Ok(Body::Length(u64::MAX))
        );
        assert_eq!(framing(&[(te, "chunked")]), Ok(Body::Chunked));
        assert_eq!(framing(&[]), Ok(Body::None));
    }

    #[test]
    fn every_refusal_closes_and_gives_a_reason() {
        for fields in [
            &[("Content-Length", "1"), ("Transfer-Encoding", "chunked")][..],
            &[("Transfer-Encoding", "gzip, chunked")],
            &[("Content-Length", "x")],
        ] {
            let refusal = framing(fields).unwrap_err();
            assert!(refusal.close, "{fields:?}");
            assert!(!refusal.reason.contains('\n'));
        }
    }

    #[test]
    fn http_10_has_no_transfer_encoding() {
        let fields: &[(&str, &[u8])] = &[("Transfer-Encoding", b"chunked")];
        assert_eq!(
            body(Version::Http10, fields).unwrap_err().status.code(),
            400
        );
        let fields: &[(&str, &[u8])] = &[("Content-Length", b"3")];
        assert_eq!(body(Version::Http10, fields), Ok(Body::Length(3)));
    }
}
