//! Hostile requests, and the answer each must get: one table for the
//! test that checks the server (`tests/wire.rs`) and for the book, whose
//! `hostile.txt` is what the server really answered to each
//! (`cargo xtask transcripts`).
//!
//! Each request goes alone on a new connection. Every one is refused, and
//! every refusal closes the connection: after a request whose framing or
//! head can't be trusted, nothing that follows it on the connection can
//! be trusted to start a request.

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

/// A `POST /` with `fields`, and a body that is a chunked body's end.
fn post(fields: &str) -> Vec<u8> {
    with_body(fields, "0\r\n\r\n")
}

fn with_body(fields: &str, body: &str) -> Vec<u8> {
    format!("POST / HTTP/1.1\r\nHost: t\r\n{fields}\r\n{body}").into_bytes()
}
