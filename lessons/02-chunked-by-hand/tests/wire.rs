//! Lesson 02 on a real socket: the exact chunked bytes, each chunk arriving
//! after its pause, and what Nagle's algorithm does without TCP_NODELAY.

use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;

use inspector::capture::{self, Capture};
use lesson_01_raw_tcp::{page, server, testing};
use lesson_02_chunked_by_hand::handler;

const PAUSE: Duration = Duration::from_millis(80);
const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n";

fn server(nodelay: bool) -> SocketAddr {
    server::spawn(handler(PAUSE, nodelay)).unwrap()
}

const HEAD: &str = "HTTP/1.1 200 OK\r\n\
                    Date: <date>\r\n\
                    Content-Type: text/html; charset=utf-8\r\n\
                    Transfer-Encoding: chunked\r\n\
                    Connection: close\r\n\
                    \r\n";

/// One chunk per part of the page, framed independently of the code under
/// test, then the last-chunk.
fn expected_body() -> String {
    let chunks: String = page::PARTS
        .iter()
        .map(|part| format!("{:x}\r\n{part}\r\n", part.len()))
        .collect();
    chunks + "0\r\n\r\n"
}

/// When the last byte of each part of the page arrived.
fn part_arrivals(capture: &Capture) -> Vec<Duration> {
    let text = String::from_utf8_lossy(&capture.bytes);
    page::PARTS
        .iter()
        .map(|part| {
            let end = text.find(part).expect("every part arrives") + part.len();
            capture.arrival(end - 1).unwrap()
        })
        .collect()
}

#[test]
fn sends_one_chunk_per_part_then_the_last_chunk() {
    let capture = capture::fetch(server(true), GET).unwrap();
    let expected = HEAD.to_owned() + &expected_body();
    assert_eq!(
        String::from_utf8(testing::mask_date(&capture.bytes)).unwrap(),
        expected
    );
}

#[test]
fn each_chunk_arrives_after_its_pause() {
    let capture = capture::fetch(server(true), GET).unwrap();
    let arrivals = part_arrivals(&capture);

    // The first part needs no data: it arrives at once, with the head.
    assert!(arrivals[0] < PAUSE / 2, "{arrivals:?}");
    // Every later chunk comes one pause after the one before it.
    for pair in arrivals.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap > PAUSE / 2, "gap {gap:?} in {arrivals:?}");
    }
    // So the client saw the page grow, part by part: a stream, not a burst.
    assert!(capture.spread() >= PAUSE * 3, "{capture:?}");
}

#[test]
fn an_http_1_0_client_gets_content_length_not_chunks() {
    let capture =
        capture::fetch(server(true), b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let text = String::from_utf8(capture.bytes).unwrap();
    let expected_length = format!("Content-Length: {}\r\n", page::html().len());
    assert!(text.contains(&expected_length), "{text}");
    assert!(!text.contains("Transfer-Encoding"), "{text}");
}

/// The gap between the head and the first chunk, seen by a client that
/// delays its ACKs. Head and first chunk are two writes back to back.
#[cfg(target_os = "linux")]
fn first_chunk_delay(nodelay: bool) -> Duration {
    let stream = TcpStream::connect(server(nodelay)).unwrap();
    // A fresh Linux connection starts in "quick ACK" mode and acknowledges
    // every segment at once, which hides the problem. An interactive client
    // (a browser on a kept-alive connection, say) delays its ACKs instead.
    // TCP_QUICKACK = 0 puts this client in that mode.
    socket2::SockRef::from(&stream)
        .set_tcp_quickack(false)
        .unwrap();
    let capture = capture::exchange(stream, GET).unwrap();
    let head_end = capture.reads[0].offset + capture.reads[0].len;
    part_arrivals(&capture)[0] - capture.arrival(head_end - 1).unwrap()
}

// ANCHOR: nagle
#[test]
#[cfg(target_os = "linux")]
fn without_nodelay_nagle_holds_the_first_chunk_until_the_delayed_ack() {
    // Nagle's algorithm: while a small segment is unacknowledged, hold the
    // next small write back. The client delays its ACK (40 ms at least on
    // Linux), so the first chunk waits for it. With TCP_NODELAY the chunk
    // leaves at once, right behind the head.
    let stalled = first_chunk_delay(false);
    let prompt = first_chunk_delay(true);
    println!(
        "first chunk after the head: {stalled:.1?} with Nagle, \
         {prompt:.1?} with TCP_NODELAY"
    );
    assert!(stalled >= Duration::from_millis(30), "{stalled:?}");
    assert!(prompt < Duration::from_millis(20), "{prompt:?}");
}
// ANCHOR_END: nagle

#[test]
fn curl_raw_shows_the_chunks_as_sent() {
    if !testing::require("curl") {
        return;
    }
    let url = format!("http://{}/", server(true));
    let raw = Command::new("curl")
        .args(["-sS", "--raw", "-N", &url])
        .output()
        .unwrap();
    assert!(raw.status.success(), "{raw:?}");
    assert_eq!(String::from_utf8(raw.stdout).unwrap(), expected_body());

    // Without --raw, curl decodes the chunks back into the page.
    let decoded = Command::new("curl").args(["-sS", &url]).output().unwrap();
    assert_eq!(String::from_utf8(decoded.stdout).unwrap(), page::html());
}
