//! HTTP/1.1 responses, written by hand.
//!
//! A response is a status line, header fields, a blank line, then the body
//! (RFC 9112 §2.1):
//!
//! ```text
//! HTTP-message = start-line CRLF *( field-line CRLF ) CRLF [ message-body ]
//! ```

use std::io::{self, Write};
use std::time::{Duration, SystemTime};

use crate::page;

/// The statuses these lessons answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    SwitchingProtocols,
    Ok,
    BadRequest,
    NotFound,
    MethodNotAllowed,
    RequestTimeout,
    ContentTooLarge,
    UpgradeRequired,
    HeaderFieldsTooLarge,
    NotImplemented,
    ServiceUnavailable,
    VersionNotSupported,
}

impl Status {
    pub fn code(self) -> u16 {
        match self {
            Status::SwitchingProtocols => 101,
            Status::Ok => 200,
            Status::BadRequest => 400,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::RequestTimeout => 408,
            Status::ContentTooLarge => 413,
            Status::UpgradeRequired => 426,
            Status::HeaderFieldsTooLarge => 431,
            Status::NotImplemented => 501,
            Status::ServiceUnavailable => 503,
            Status::VersionNotSupported => 505,
        }
    }

    /// The reason phrase. Clients ignore it (RFC 9112 §4), people read it.
    pub fn reason(self) -> &'static str {
        match self {
            Status::SwitchingProtocols => "Switching Protocols",
            Status::Ok => "OK",
            Status::BadRequest => "Bad Request",
            Status::NotFound => "Not Found",
            Status::MethodNotAllowed => "Method Not Allowed",
            Status::RequestTimeout => "Request Timeout",
            // RFC 9110 §15.5.14; "Payload Too Large" before it.
            Status::ContentTooLarge => "Content Too Large",
            Status::UpgradeRequired => "Upgrade Required",
            Status::HeaderFieldsTooLarge => "Request Header Fields Too Large",
            Status::NotImplemented => "Not Implemented",
            Status::ServiceUnavailable => "Service Unavailable",
            Status::VersionNotSupported => "HTTP Version Not Supported",
        }
    }

    /// `status-line = HTTP-version SP status-code SP [ reason-phrase ]`,
    /// with its CRLF.
    pub fn line(self) -> String {
        format!("HTTP/1.1 {} {}\r\n", self.code(), self.reason())
    }
}

/// The `Date` field's value, such as `Tue, 24 Nov 2026 08:00:00 GMT`. An
/// origin server with a clock must send it (RFC 9110 §6.6.1).
pub fn date() -> String {
    httpdate::fmt_http_date(SystemTime::now())
}

// ANCHOR: write_page
/// Renders the whole page, then sends it as one response with
/// `Content-Length`.
pub fn write_page(stream: &mut impl Write, pause: Duration) -> io::Result<()> {
    // The length goes in the head, and the head goes first. So the whole
    // body must exist before the first byte can be sent: the client waits
    // for the slowest part of the page.
    let mut body = String::new();
    page::render(pause, |part| {
        body.push_str(part);
        Ok::<_, io::Error>(())
    })?;

    let head = format!(
        "HTTP/1.1 200 OK\r\n\
         Date: {date}\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Content-Length: {len}\r\n\
         Connection: close\r\n\
         \r\n",
        date = date(),
        len = body.len(), // bytes, not characters
    );
    // Head and body in one write: one segment on the wire where it fits.
    stream.write_all(&[head.as_bytes(), body.as_bytes()].concat())
}
// ANCHOR_END: write_page

/// Answers with `status` and a one-line plain-text reason, then the server
/// closes the connection.
pub fn write_error(
    stream: &mut impl Write,
    status: Status,
    why: &str,
) -> io::Result<()> {
    write_plain(stream, status, &[], why, true)
}

/// A plain-text answer: `status`, extra `fields` (such as `Allow`), and a
/// one-line reason. With `close`, it says `Connection: close`; without,
/// Content-Length lets the connection carry the next request (lesson 04).
pub fn write_plain(
    stream: &mut impl Write,
    status: Status,
    fields: &[(&str, &str)],
    why: &str,
    close: bool,
) -> io::Result<()> {
    let body = format!("{why}\n");
    let mut head = format!(
        "{line}\
         Date: {date}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {len}\r\n",
        line = status.line(),
        date = date(),
        len = body.len(),
    );
    for (name, value) in fields {
        head += &format!("{name}: {value}\r\n");
    }
    if close {
        head += "Connection: close\r\n";
    }
    head += "\r\n";
    stream.write_all(&[head.as_bytes(), body.as_bytes()].concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_date_is_an_imf_fixdate() {
        let date = date();
        assert!(httpdate::parse_http_date(&date).is_ok(), "{date}");
        assert!(date.ends_with(" GMT"), "{date}");
    }

    #[test]
    fn an_error_says_why_in_one_line() {
        let mut out = Vec::new();
        write_error(&mut out, Status::NotFound, "no such page").unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.starts_with("HTTP/1.1 404 Not Found\r\nDate: "));
        assert!(out.ends_with(
            "Content-Type: text/plain; charset=utf-8\r\n\
             Content-Length: 13\r\n\
             Connection: close\r\n\
             \r\n\
             no such page\n"
        ));
    }
}
