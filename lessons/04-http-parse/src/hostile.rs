//! Hostile requests, and the answer each must get: one table for the
//! test that checks the server (`tests/wire.rs`) and for the book, whose
//! `hostile.txt` is what the server really answered to each
//! (`cargo xtask transcripts`).
//!
//! Each request goes alone on a new connection. Nearly every one is
//! refused, and every refusal closes the connection: after a request
//! whose framing or head can't be trusted, nothing that follows it on the
//! connection can be trusted to start a request. One is served: an
//! absolute-form target, which RFC 9112 §3.2.2 says a server MUST accept,
//! with a Host that names someone else; it asks to close, so that its row
//! ends as the others do.

use lesson_01_raw_tcp::response::Status;

use crate::body::{MAX_BODY, MAX_SIZE_LINES};

/// A request and the answer it must get.
#[derive(Debug, Clone)]
pub struct Hostile {
    /// A short name, for people: the attack, or the rule it breaks.
    pub name: &'static str,
    /// The exact bytes sent.
    pub request: Vec<u8>,
    /// The status of the answer.
    pub status: Status,
    /// Whether the server closes the connection after answering.
    pub close: bool,
}

/// Every case, in the order the chapter discusses them: framing, then
/// the head's syntax, then the limits.
pub fn cases() -> Vec<Hostile> {
    let many: String = (0..65).map(|i| format!("X-{i}: y\r\n")).collect();
    let huge = format!("X: {}\r\n", "y".repeat(9000));
    // One byte of data per chunk, behind a long extension: within the
    // decoder's limit per line, over the body's total.
    let extensions = format!("1;{}\r\nx\r\n", "e".repeat(1000))
        .repeat(MAX_SIZE_LINES / 1000 + 1);
    let refused = |name, request, status| Hostile {
        name,
        request,
        status,
        close: true,
    };
    vec![
        // Two framings at once (RFC 9112 §6.1, §6.3 rule 3).
        refused(
            "CL.TE",
            post("Content-Length: 6\r\nTransfer-Encoding: chunked\r\n"),
            Status::BadRequest,
        ),
        refused(
            "TE.CL",
            post("Transfer-Encoding: chunked\r\nContent-Length: 6\r\n"),
            Status::BadRequest,
        ),
        // TE.TE: a Transfer-Encoding that one parser may not read as
        // chunked (§6.3 rule 4: chunked must come last).
        refused(
            "TE.TE",
            post("Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n"),
            Status::BadRequest,
        ),
        refused(
            "xchunked",
            post("Transfer-Encoding: xchunked\r\n"),
            Status::BadRequest,
        ),
        refused(
            "chunked, identity",
            post("Transfer-Encoding: chunked, identity\r\n"),
            Status::BadRequest,
        ),
        // §6.1: chunked once, §7.1: without parameters.
        refused(
            "chunked twice",
            post("Transfer-Encoding: chunked, chunked\r\n"),
            Status::BadRequest,
        ),
        refused(
            "chunked;param",
            post("Transfer-Encoding: chunked;a=b\r\n"),
            Status::BadRequest,
        ),
        // §6.1: a coding this server does not implement.
        refused(
            "unknown coding",
            post("Transfer-Encoding: gzip, chunked\r\n"),
            Status::NotImplemented,
        ),
        // §6.1: HTTP/1.0 has no Transfer-Encoding.
        refused(
            "HTTP/1.0 with TE",
            b"POST / HTTP/1.0\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\
              \r\n0\r\n\r\n"
                .to_vec(),
            Status::BadRequest,
        ),
        // CL.CL: `Content-Length = 1*DIGIT`, once (RFC 9110 §8.6).
        refused(
            "two lengths",
            post("Content-Length: 1\r\nContent-Length: 1\r\n"),
            Status::BadRequest,
        ),
        refused(
            "lengths 6, 5",
            post("Content-Length: 6, 5\r\n"),
            Status::BadRequest,
        ),
        refused(
            "bad length",
            post("Content-Length: -1\r\n"),
            Status::BadRequest,
        ),
        refused(
            "length +5",
            post("Content-Length: +5\r\n"),
            Status::BadRequest,
        ),
        // The head's syntax (RFC 9112 §2.2, §5.1, §5.2, §2.3).
        refused("obs-fold", post("X: a\r\n b\r\n"), Status::BadRequest),
        refused("space before colon", post("X : a\r\n"), Status::BadRequest),
        refused("bare LF", post("X: a\n"), Status::BadRequest),
        refused(
            "HTTP/2.0",
            b"GET / HTTP/2.0\r\n\r\n".to_vec(),
            Status::VersionNotSupported,
        ),
        // §2.3: `HTTP-name = %s"HTTP"`, case-sensitive. `http/1.1` is no
        // version at all: a malformed request line, not an unsupported
        // version.
        refused(
            "http/1.1",
            b"GET / http/1.1\r\nHost: t\r\n\r\n".to_vec(),
            Status::BadRequest,
        ),
        // RFC 9110 §2.5: a higher minor version SHOULD be served as 1.1.
        // httparse knows only 1.0 and 1.1, and this lesson follows it.
        refused(
            "HTTP/1.2",
            b"GET / HTTP/1.2\r\nHost: t\r\n\r\n".to_vec(),
            Status::VersionNotSupported,
        ),
        // Host (§3.2): exactly one, valid, in every HTTP/1.1 request.
        // Two servers that pick different Hosts route the same request to
        // different sites.
        refused(
            "no Host",
            b"GET / HTTP/1.1\r\n\r\n".to_vec(),
            Status::BadRequest,
        ),
        refused(
            "two Hosts",
            b"GET / HTTP/1.1\r\nHost: t\r\nHost: evil\r\n\r\n".to_vec(),
            Status::BadRequest,
        ),
        refused(
            "two Hosts in one",
            b"GET / HTTP/1.1\r\nHost: t, evil\r\n\r\n".to_vec(),
            Status::BadRequest,
        ),
        // §3.2.2: the absolute-form MUST be accepted, and its authority
        // wins over Host: served as `HEAD /` for t, whatever Host says.
        Hostile {
            name: "absolute-form, other Host",
            request: b"HEAD http://t/ HTTP/1.1\r\nHost: evil\r\n\
                       Connection: close\r\n\r\n"
                .to_vec(),
            status: Status::Ok,
            close: true,
        },
        // RFC 9110 §10.1.1: a client that expects 100 Continue gets the
        // final status at once when its head alone is refused.
        refused(
            "100-continue, body over 1 MiB",
            format!(
                "POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n\
                 Content-Length: {}\r\n\r\n",
                MAX_BODY + 1
            )
            .into_bytes(),
            Status::ContentTooLarge,
        ),
        // The limits.
        refused("too many fields", post(&many), Status::HeaderFieldsTooLarge),
        refused("huge head", post(&huge), Status::HeaderFieldsTooLarge),
        refused(
            "body over 1 MiB",
            with_body(&format!("Content-Length: {}\r\n", MAX_BODY + 1), ""),
            Status::ContentTooLarge,
        ),
        refused(
            "chunk over 1 MiB",
            with_body(
                "Transfer-Encoding: chunked\r\n",
                &format!("{:x}\r\n", MAX_BODY + 1),
            ),
            Status::ContentTooLarge,
        ),
        refused(
            "endless chunk extensions",
            with_body("Transfer-Encoding: chunked\r\n", &extensions),
            Status::BadRequest,
        ),
    ]
}

// ANCHOR: te_cl
/// TE.CL as it works on a front end that reads `Transfer-Encoding` and a
/// back end that reads `Content-Length`. The front end sees one chunk of
/// 0x3d = 61 bytes: the smuggled request. The back end sees a body of 4
/// bytes, `3d\r\n`, then a second request, complete with its `Host`,
/// whose own `Content-Length: 7` swallows what is left: `\r\n0\r\n\r\n`.
pub const TE_CL: &str = concat!(
    "POST / HTTP/1.1\r\n",
    "Host: example.com\r\n",
    "Content-Length: 4\r\n",
    "Transfer-Encoding: chunked\r\n",
    "\r\n",
    "3d\r\n",
    "GET /admin HTTP/1.1\r\n",
    "Host: example.com\r\n",
    "Content-Length: 7\r\n",
    "\r\n",
    "\r\n",
    "0\r\n",
    "\r\n",
);
// ANCHOR_END: te_cl

/// A `POST /` with `fields`, and a body that is a chunked body's end.
fn post(fields: &str) -> Vec<u8> {
    with_body(fields, "0\r\n\r\n")
}

fn with_body(fields: &str, body: &str) -> Vec<u8> {
    format!("POST / HTTP/1.1\r\nHost: t\r\n{fields}\r\n{body}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::Reader;
    use crate::framing::{self, Body};
    use crate::head;

    /// The head at the front of `buf`, parsed, and the bytes after it.
    fn split_head(buf: &[u8]) -> (head::Head, Vec<u8>) {
        let end = memchr::memmem::find(buf, b"\r\n\r\n").unwrap() + 4;
        (head::parse(&buf[..end]).unwrap(), buf[end..].to_vec())
    }

    /// The body that `body` frames at the front of `rest`, and what
    /// follows it.
    fn read(body: Body, mut rest: Vec<u8>) -> (Vec<u8>, Vec<u8>) {
        let body = Reader::new(body).unwrap().feed(&mut rest).unwrap();
        (body.expect("a whole body"), rest)
    }

    /// The chapter's TE.CL, byte for byte: one request to a reader of
    /// `Transfer-Encoding`, two whole ones to a reader of
    /// `Content-Length`.
    #[test]
    fn te_cl_is_one_request_or_two() {
        let (post, after) = split_head(TE_CL.as_bytes());
        let smuggled = "GET /admin HTTP/1.1\r\nHost: example.com\r\n\
                        Content-Length: 7\r\n\r\n";

        // The front end: one chunk, the smuggled request, then the end.
        let (body, left) = read(Body::Chunked, after.clone());
        assert_eq!(body, smuggled.as_bytes());
        assert!(left.is_empty());

        // The back end: 4 bytes, then a request of its own, which its
        // Content-Length ends exactly where the front end's body ended.
        let (body, next) = read(Body::Length(4), after);
        assert_eq!(body, b"3d\r\n");
        let (get, after) = split_head(&next);
        assert_eq!(
            (get.method.as_str(), get.target.as_str()),
            ("GET", "/admin")
        );
        let framing = framing::body(get.version, &get.field_pairs());
        let (body, left) = read(framing.unwrap(), after);
        assert_eq!(body, b"\r\n0\r\n\r\n");
        assert!(left.is_empty());
        assert_eq!(post.method, "POST");
    }
}
