//! Lesson 06 on a real socket: the whole page, and nothing before it.

use std::time::Duration;

use lesson_01_raw_tcp::testing::mask_date;
use lesson_06_ssr_blocking::dashboard::{Delays, fetch_all, page};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Sends `target`, and returns when the first byte came and the response.
async fn get(addr: std::net::SocketAddr, target: &str) -> (Duration, String) {
    let mut client = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    );
    client.write_all(request.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut first = [0; 1];
    client.read_exact(&mut first).await.unwrap();
    let first_byte = started.elapsed();
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).await.unwrap();
    let all = mask_date(&[&first[..], &rest].concat());
    (first_byte, String::from_utf8(all).unwrap())
}

// ANCHOR: first_byte
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_byte_waits_for_the_slowest_source() {
    let addr = lesson_06_ssr_blocking::spawn(Delays::default()).unwrap();
    // The feed takes 300 ms; the others 10 to 50.
    let (first_byte, response) = get(addr, "/?delays=10,300,20,30,40").await;
    assert!(first_byte >= Duration::from_millis(300), "{first_byte:?}");
    // One answer, whole, with its length: the page the data makes.
    let html = page(&fetch_all(Delays::parse("0,0,0,0,0").unwrap()).await);
    assert_eq!(
        response,
        format!(
            "HTTP/1.1 200 OK\r\nDate: <date>\r\n\
             Content-Type: text/html; charset=utf-8\r\n\
             Connection: close\r\nContent-Length: {}\r\n\r\n{html}",
            html.len()
        )
    );
    assert!(html.contains("Weather is not available right now."));
}
// ANCHOR_END: first_byte

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_delays_and_other_paths_are_refused() {
    let addr = lesson_06_ssr_blocking::spawn(Delays::default()).unwrap();
    let (_, response) = get(addr, "/?delays=soon").await;
    assert!(
        response.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{response}"
    );
    assert!(
        response
            .ends_with("\"soon\": a delay is a whole number of milliseconds\n")
    );
    let (_, response) = get(addr, "/elsewhere").await;
    assert!(
        response.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{response}"
    );
}
