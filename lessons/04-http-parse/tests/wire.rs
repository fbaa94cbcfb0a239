//! Lesson 04's server on real sockets: keep-alive, pipelining, and every
//! framing rule, byte for byte.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use inspector::{Decoder, Status as Decoded};
use lesson_01_raw_tcp::server;
use lesson_01_raw_tcp::testing::mask_date;
use lesson_04_http_parse::hostile;
use lesson_04_http_parse::server::connection;

fn start() -> SocketAddr {
    server::spawn_connections(|stream| connection(stream, Duration::ZERO))
        .unwrap()
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
}

/// Reads responses to `methods`, one after another on `stream`, and
/// returns each one's bytes. Decoding with the inspector is what says
/// where one ends and the next begins.
fn responses(stream: &mut TcpStream, methods: &[&str]) -> Vec<Vec<u8>> {
    let mut buf = Vec::new();
    let mut out = Vec::new();
    for method in methods {
        let mut decoder = Decoder::new(method);
        let mut fed = 0;
        let len = loop {
            if fed < buf.len() {
                match decoder.feed(&buf[fed..], &mut |_| {}).unwrap() {
                    Decoded::Complete(n) => break fed + n,
                    Decoded::Partial => fed = buf.len(),
                }
            }
            let mut chunk = [0; 4096];
            let n = stream.read(&mut chunk).unwrap();
            assert!(n > 0, "closed after {} responses", out.len());
            buf.extend_from_slice(&chunk[..n]);
        };
        out.push(buf.drain(..len).collect());
    }
    out
}

/// Everything until the server closes.
fn until_close(stream: &mut TcpStream) -> String {
    let mut all = Vec::new();
    stream.read_to_end(&mut all).expect("the server closes");
    String::from_utf8_lossy(&all).into_owned()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn pipelined_requests_share_one_connection() {
    let addr = start();
    let mut stream = connect(addr);
    // Three requests in one write: the server answers them in order.
    let get = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    stream.write_all(get.repeat(3).as_bytes()).unwrap();
    for response in responses(&mut stream, &["GET", "GET", "GET"]) {
        let response = text(&response);
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(response.contains("Transfer-Encoding: chunked\r\n"));
        assert!(!response.contains("Connection: close"));
        // The last-chunk is what ends each response; the connection stays.
        assert!(response.ends_with("</html>\n\r\n0\r\n\r\n"), "{response}");
    }
    // The same connection still serves, and closes when asked to.
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let last = until_close(&mut stream);
    assert!(last.contains("Connection: close\r\n"), "{last}");
    assert!(last.ends_with("0\r\n\r\n"));
}

#[test]
fn a_body_is_read_to_its_end_and_the_next_request_follows() {
    let addr = start();
    let mut stream = connect(addr);
    let requests = "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
                    5\r\nGET /\r\n0\r\n\r\n\
                    POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 7\r\n\r\nGET /x\n\
                    GET /nope HTTP/1.1\r\nHost: t\r\n\r\n\
                    HEAD / HTTP/1.1\r\nHost: t\r\n\r\n\
                    GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    stream.write_all(requests.as_bytes()).unwrap();
    let got = responses(&mut stream, &["POST", "POST", "GET", "HEAD", "GET"]);
    let lines: Vec<String> = got
        .iter()
        .map(|r| text(r).lines().next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        lines,
        [
            "HTTP/1.1 405 Method Not Allowed",
            "HTTP/1.1 405 Method Not Allowed",
            "HTTP/1.1 404 Not Found",
            "HTTP/1.1 200 OK",
            "HTTP/1.1 200 OK",
        ]
    );
    assert!(text(&got[0]).contains("Allow: GET, HEAD\r\n"));
    // HEAD: GET's head, no body.
    let head = text(&got[3]);
    assert!(head.contains("Transfer-Encoding: chunked\r\n"));
    assert!(head.ends_with("\r\n\r\n"), "{head}");
    assert!(text(&got[4]).ends_with("0\r\n\r\n"));
}

#[test]
fn http_10_gets_content_length_and_a_close() {
    let addr = start();
    let mut stream = connect(addr);
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let response = until_close(&mut stream);
    assert!(response.contains("Content-Length: "), "{response}");
    assert!(!response.contains("chunked"));
    assert!(response.ends_with("</html>\n"));
}

/// Bad requests (the table in `hostile.rs`, which the book prints): the
/// status, and whether the server closes after it. A new connection must
/// still be served.
#[test]
fn bad_requests_are_refused_and_the_server_goes_on() {
    let addr = start();
    for case in hostile::cases() {
        let name = case.name;
        let mut stream = connect(addr);
        stream.write_all(&case.request).unwrap();
        let response = if case.close {
            until_close(&mut stream)
        } else {
            text(&responses(&mut stream, &["POST"])[0])
        };
        let line = response.lines().next().unwrap_or_default();
        assert!(
            line.starts_with(&format!("HTTP/1.1 {} ", case.status.code())),
            "{name}: {response}"
        );
        assert_eq!(
            response.contains("Connection: close\r\n"),
            case.close,
            "{name}"
        );
        // One line of reason, for people, in every refusal.
        let reason = response.split("\r\n\r\n").nth(1).unwrap_or_default();
        if case.status.code() >= 400 {
            assert_eq!(reason.lines().count(), 1, "{name}: {reason:?}");
        }
        // Others are still served: on this connection if it stays open,
        // and on a new one.
        let mut next = if case.close { connect(addr) } else { stream };
        next.write_all(
            b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
        assert!(
            until_close(&mut next).starts_with("HTTP/1.1 200 OK"),
            "after {name}"
        );
    }
}

#[test]
fn curl_reuses_the_connection_for_a_second_url() {
    if !lesson_01_raw_tcp::testing::require("curl") {
        return;
    }
    let url = format!("http://{}/", start());
    let out = std::process::Command::new("curl")
        .args(["-sS", "-v", "--raw", &url, &url])
        .output()
        .unwrap();
    assert!(out.status.success());
    let log = text(&out.stderr);
    assert_eq!(log.matches("Connected to").count(), 1, "{log}");
    assert!(log.contains("Re-using existing connection"), "{log}");
    // Both bodies, each ended by its own last-chunk.
    assert_eq!(text(&out.stdout).matches("\r\n0\r\n\r\n").count(), 2);
}

#[test]
fn a_slowloris_client_is_cut_off_while_others_are_served() {
    use lesson_04_http_parse::server::connection_with_timeout;
    use std::time::Instant;
    let timeout = Duration::from_millis(300);
    let addr = server::spawn_connections(move |stream| {
        connection_with_timeout(stream, Duration::ZERO, timeout)
    })
    .unwrap();
    let mut slow = connect(addr);
    let started = Instant::now();
    let slowloris = std::thread::spawn(move || {
        // A byte every 50 ms: each read gets something long before a
        // per-read timeout, but the head never ends.
        for b in b"GET / HTTP/1.1\r\nX-Slow: ".iter().cycle() {
            if slow.write_all(&[*b]).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        slow
    });
    // Meanwhile others are served.
    let mut other = connect(addr);
    other
        .write_all(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    assert!(until_close(&mut other).starts_with("HTTP/1.1 200 OK"));
    // The slow one is answered 408 and closed, at the deadline, not
    // never: its writes start failing once the server has gone.
    let mut slow = slowloris.join().unwrap();
    let took = started.elapsed();
    assert!(took >= timeout, "{took:?}");
    assert!(took < timeout * 10, "{took:?}");
    let mut answer = Vec::new();
    let _ = slow.read_to_end(&mut answer);
    let answer = text(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 408 Request Timeout"),
        "{answer}"
    );
}

/// The body has one deadline too: a trickled body is cut off, however
/// small each wait between bytes.
#[test]
fn a_body_sent_a_byte_at_a_time_is_cut_off() {
    use lesson_04_http_parse::server::connection_with_timeout;
    use std::time::Instant;
    let timeout = Duration::from_millis(300);
    let addr = server::spawn_connections(move |stream| {
        connection_with_timeout(stream, Duration::ZERO, timeout)
    })
    .unwrap();
    let mut slow = connect(addr);
    slow.write_all(
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n",
    )
    .unwrap();
    let started = Instant::now();
    // A byte every 50 ms, while the server still takes them.
    while slow.write_all(b"x").is_ok() && started.elapsed() < timeout * 10 {
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = started.elapsed();
    assert!(took >= timeout, "{took:?}");
    assert!(took < timeout * 10, "{took:?}");
}

/// Sends `request` alone on a new connection, and returns everything the
/// server sends until it closes, its date masked.
fn alone(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = connect(addr);
    stream.write_all(request).unwrap();
    let mut all = Vec::new();
    stream.read_to_end(&mut all).expect("the server closes");
    text(&mask_date(&all))
}

/// A plain answer (lesson 01's `write_plain`) that closes, date masked.
fn plain(status: &str, fields: &str, why: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nDate: <date>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n{fields}Connection: close\r\n\r\n{why}\n",
        why.len() + 1
    )
}

/// The head of the page, as `HEAD /` gets it over HTTP/1.1, with a close.
fn page_head() -> String {
    "HTTP/1.1 200 OK\r\nDate: <date>\r\n\
     Content-Type: text/html; charset=utf-8\r\nConnection: close\r\n\
     Transfer-Encoding: chunked\r\n\r\n"
        .to_owned()
}

/// RFC 9112 §3.2: every HTTP/1.1 request has exactly one Host, and a
/// valid one; HTTP/1.0 may go without, but not with two or a bad one.
#[test]
fn host_must_be_there_once_and_valid() {
    let addr = start();
    let bad = |why| plain("400 Bad Request", "", why);
    let cases: &[(&[u8], String)] = &[
        (
            b"GET / HTTP/1.1\r\n\r\n",
            bad("an HTTP/1.1 request without Host"),
        ),
        (
            b"GET / HTTP/1.1\r\nHost: t\r\nhost: t\r\n\r\n",
            bad("more than one Host"),
        ),
        (
            b"GET / HTTP/1.1\r\nHost: t, evil\r\n\r\n",
            bad("a Host that is not host[:port]"),
        ),
        (
            b"GET / HTTP/1.1\r\nHost: t:80x\r\n\r\n",
            bad("a Host that is not host[:port]"),
        ),
        (
            b"GET / HTTP/1.0\r\nHost: t\r\nHost: u\r\n\r\n",
            bad("more than one Host"),
        ),
        // Valid: HTTP/1.0 without Host, an IPv6 literal and a port, and
        // an empty Host (what a client sends for a URI with no authority).
        (
            b"HEAD / HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n",
            page_head(),
        ),
        (
            b"HEAD / HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n",
            page_head(),
        ),
    ];
    for (request, want) in cases {
        assert_eq!(&alone(addr, request), want, "{}", text(request));
    }
    let http10 = alone(addr, b"HEAD / HTTP/1.0\r\n\r\n");
    assert!(http10.starts_with("HTTP/1.1 200 OK\r\n"), "{http10}");
}

/// RFC 9112 §3.2.2: an absolute-form target is accepted; the site sees
/// its path and query, and its authority wins over Host.
#[test]
fn an_absolute_form_target_is_served_by_its_path() {
    let addr = start();
    let cases: &[(&[u8], String)] = &[
        (
            b"GET http://t/nope?x=1 HTTP/1.1\r\nHost: evil\r\n\
              Connection: close\r\n\r\n",
            plain("404 Not Found", "", "nothing at /nope: try /"),
        ),
        // An empty path is `/`; the scheme's case doesn't matter.
        (
            b"HEAD HTTP://t:80 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
            page_head(),
        ),
        (
            b"HEAD http://t/?q HTTP/1.0\r\n\r\n",
            alone(addr, b"HEAD / HTTP/1.0\r\n\r\n"),
        ),
        (
            b"GET http://u@t/ HTTP/1.1\r\nHost: t\r\n\r\n",
            plain("400 Bad Request", "", "userinfo in the target"),
        ),
        (
            b"GET http:/// HTTP/1.1\r\nHost: t\r\n\r\n",
            plain("400 Bad Request", "", "a target without a host"),
        ),
    ];
    for (request, want) in cases {
        assert_eq!(&alone(addr, request), want, "{}", text(request));
    }
}

/// RFC 9110 §10.1.1: `100 Continue` before the body, not a wait for a
/// body the client holds back; the final status at once when the head
/// alone is refused; and nothing for HTTP/1.0, which has no 1xx.
#[test]
fn expect_100_continue_is_answered_before_the_body() {
    let addr = start();
    let mut stream = connect(addr);
    stream
        .write_all(
            b"POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n\
              Content-Length: 5\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    // The client holds its body back until it hears 100 Continue.
    let mut interim = [0; 25];
    stream
        .read_exact(&mut interim)
        .expect("100 Continue, at once");
    assert_eq!(text(&interim), "HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(b"hello").unwrap();
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    let not_allowed = plain(
        "405 Method Not Allowed",
        "Allow: GET, HEAD\r\n",
        "POST is not allowed here: / takes GET and HEAD",
    );
    assert_eq!(text(&mask_date(&rest)), not_allowed);

    // HTTP/1.0: the expectation is ignored, so no 100 comes.
    let http10 = alone(
        addr,
        b"POST / HTTP/1.0\r\nHost: t\r\nExpect: 100-continue\r\n\
          Content-Length: 5\r\n\r\nhello",
    );
    assert_eq!(http10, not_allowed);
    // Over the limit: 413 at once, and no 100 to ask for the body.
    let huge = alone(
        addr,
        b"POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n\
          Content-Length: 1048577\r\n\r\n",
    );
    assert_eq!(
        huge,
        plain("413 Content Too Large", "", "the body is over 1 MiB")
    );
}

/// RFC 9112 §2.3: `HTTP-name = %s"HTTP"`, case-sensitive. `http/1.1` is
/// malformed (400); `HTTP/2.0` is a version, just not this server's (505).
#[test]
fn a_lower_case_version_is_malformed_not_unsupported() {
    let addr = start();
    assert_eq!(
        alone(addr, b"GET / http/1.1\r\nHost: t\r\n\r\n"),
        plain(
            "400 Bad Request",
            "",
            "a malformed HTTP version: it is case-sensitive, as in HTTP/1.1"
        )
    );
    assert_eq!(
        alone(addr, b"GET / HTTP/2.0\r\nHost: t\r\n\r\n"),
        plain(
            "505 HTTP Version Not Supported",
            "",
            "only HTTP/1.0 and HTTP/1.1"
        )
    );
}

/// A client that pipelines requests and never reads their answers fills
/// the socket's buffers, and the server's next write waits. It waits
/// `send_timeout`, not for ever: the connection is cut and its thread
/// ends, while others are still served.
#[test]
fn a_client_that_never_reads_is_cut_after_the_send_timeout() {
    use lesson_01_raw_tcp::server::HEAD_TIMEOUT;
    use lesson_04_http_parse::server::connection_with_timeouts;
    use std::sync::mpsc;
    use std::time::Instant;
    let send_timeout = Duration::from_millis(300);
    let (ended, connection_ended) = mpsc::channel();
    let addr = server::spawn_connections(move |stream| {
        connection_with_timeouts(
            stream,
            Duration::ZERO,
            HEAD_TIMEOUT,
            send_timeout,
        );
        let _ = ended.send(Instant::now());
    })
    .unwrap();
    let mut greedy = connect(addr);
    greedy
        .set_write_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let started = Instant::now();
    let writer = std::thread::spawn(move || {
        // Requests, as fast as the server takes them, until it has gone.
        let get = "GET / HTTP/1.1\r\nHost: t\r\n\r\n".repeat(64);
        while started.elapsed() < Duration::from_secs(20) {
            match greedy.write_all(get.as_bytes()) {
                Ok(()) => {}
                Err(e) if server::is_timeout(&e) => {}
                Err(_) => break,
            }
        }
        greedy
    });
    let cut = connection_ended
        .recv_timeout(Duration::from_secs(15))
        .expect("the server cuts a client that never reads");
    assert!(cut - started >= send_timeout, "{:?}", cut - started);
    // Others are still served.
    let other = alone(
        addr,
        b"HEAD / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(other, page_head());
    // The greedy client's next writes fail: nobody is reading them.
    let mut greedy = writer.join().unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    let mut got = Vec::new();
    let _ = greedy.read_to_end(&mut got);
    assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"));
}
