//! Lesson 01 on a real socket: the exact bytes, and that they arrive in one
//! burst after the whole page is rendered.

use std::net::SocketAddr;
use std::time::Duration;

use inspector::capture::{self, Capture};
use lesson_01_raw_tcp::{handler, page, testing::mask_date};

const PAUSE: Duration = Duration::from_millis(60);
const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n";

fn server() -> SocketAddr {
    lesson_01_raw_tcp::server::spawn(handler(PAUSE)).unwrap()
}

fn fetch(request: &[u8]) -> Capture {
    capture::fetch(server(), request).unwrap()
}

/// The response the server must send, with the date masked.
fn expected_page() -> Vec<u8> {
    let body = page::html();
    let head = format!(
        "HTTP/1.1 200 OK\r\n\
         Date: <date>\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Connection: close\r\n\
         \r\n",
        body.len()
    );
    [head.into_bytes(), body.into_bytes()].concat()
}

fn expected_error(status: &str, why: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\n\
         Date: <date>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Connection: close\r\n\
         \r\n\
         {why}\n",
        why.len() + 1
    )
}

fn text(capture: &Capture) -> String {
    String::from_utf8(mask_date(&capture.bytes)).unwrap()
}

#[test]
fn sends_the_page_with_content_length() {
    let capture = fetch(GET);
    assert_eq!(mask_date(&capture.bytes), expected_page());
}

#[test]
fn nothing_arrives_until_everything_is_ready() {
    let capture = fetch(GET);
    let pauses: Duration = page::PARTS[1..].iter().map(|_| PAUSE).sum();

    // The first byte waits for every part: time to first byte is the sum of
    // the pauses (sleep never wakes early, so this bound is exact).
    let first = capture.reads[0].at;
    assert!(
        first >= pauses,
        "first byte after {first:?}, before {pauses:?}"
    );

    // ...and then everything arrives at once: a burst, not a stream.
    let spread = capture.spread();
    assert!(
        spread < PAUSE / 2,
        "bytes spread over {spread:?}: {capture:?}"
    );
}

#[test]
fn answers_404_for_other_paths() {
    let capture = fetch(b"GET /nope HTTP/1.1\r\nHost: test\r\n\r\n");
    assert_eq!(
        text(&capture),
        expected_error("404 Not Found", "nothing is served at /nope")
    );
}

#[test]
fn answers_501_for_methods_other_than_get() {
    let capture = fetch(b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(
        text(&capture),
        expected_error(
            "501 Not Implemented",
            "POST is not implemented here: these lessons serve GET"
        )
    );
}

#[test]
fn answers_400_for_a_malformed_request_line_and_keeps_serving() {
    let addr = server();
    let capture = capture::fetch(addr, b"\x16\x03\x01 hello\r\n\r\n").unwrap();
    assert_eq!(
        text(&capture),
        expected_error(
            "400 Bad Request",
            "the request line is not `METHOD TARGET HTTP/1.1`"
        )
    );
    // The same server still answers the next client.
    let next = capture::fetch(addr, GET).unwrap();
    assert_eq!(mask_date(&next.bytes), expected_page());
}

#[test]
fn answers_431_for_a_head_that_is_too_large() {
    let mut huge = b"GET / HTTP/1.1\r\nX-Filler: ".to_vec();
    huge.resize(20 * 1024, b'a');
    huge.extend_from_slice(b"\r\n\r\n");
    let capture = fetch(&huge);
    assert_eq!(
        text(&capture),
        expected_error(
            "431 Request Header Fields Too Large",
            "the request head is larger than 8192 bytes"
        )
    );
}

#[test]
fn answers_505_for_other_http_versions() {
    let capture = fetch(b"GET / HTTP/2.0\r\n\r\n");
    assert_eq!(
        text(&capture),
        expected_error(
            "505 HTTP Version Not Supported",
            "only HTTP/1.0 and HTTP/1.1 are supported"
        )
    );
}
