//! Lesson 04's server on real sockets: keep-alive, pipelining, and every
//! framing rule, byte for byte.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use inspector::{Decoder, Status as Decoded};
use lesson_01_raw_tcp::server;
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
        // One line of reason, for people.
        let reason = response.split("\r\n\r\n").nth(1).unwrap_or_default();
        assert_eq!(reason.lines().count(), 1, "{name}: {reason:?}");
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
