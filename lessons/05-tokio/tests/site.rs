//! A site of one's own on lesson 05's server: what lessons 06 to 08 do.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use lesson_01_raw_tcp::response::Status;
use lesson_01_raw_tcp::testing::mask_date;
use lesson_04_http_parse::head::Head;
use lesson_05_tokio::{Answer, Config, Server, Site};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, sleep};

/// `/whole`: "ready" after 200 ms, with Content-Length. `/parts`: "a",
/// then "b" 100 ms later, chunked.
struct Slow;

impl Site for Slow {
    fn answer(&self, request: &Head) -> Answer {
        match request.target.as_str() {
            "/whole" => Answer::whole("text/plain", |chunks| async move {
                sleep(Duration::from_millis(200)).await;
                chunks.send(Bytes::from_static(b"ready")).await;
            }),
            "/parts" => Answer::stream("text/plain", |chunks| async move {
                chunks.send(Bytes::from_static(b"a")).await;
                sleep(Duration::from_millis(100)).await;
                chunks.send(Bytes::from_static(b"b")).await;
            }),
            _ => Answer::plain(Status::NotFound, "no"),
        }
    }
}

async fn start() -> (std::net::SocketAddr, Arc<lesson_05_tokio::produce::Stats>)
{
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Server::with_site(listener, Config::new(Duration::ZERO), Slow);
    let stats = server.stats();
    tokio::spawn(server.run(std::future::pending()));
    (addr, stats)
}

async fn exchange(
    addr: std::net::SocketAddr,
    request: &[u8],
) -> (Duration, String) {
    let mut client = TcpStream::connect(addr).await.unwrap();
    client.write_all(request).await.unwrap();
    let started = Instant::now();
    let mut first = [0; 1];
    client.read_exact(&mut first).await.unwrap();
    let waited = started.elapsed();
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).await.unwrap();
    let all = [&first[..], &rest].concat();
    (waited, String::from_utf8(mask_date(&all)).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_answer_waits_for_its_body_and_says_its_length() {
    let (addr, _) = start().await;
    let (waited, got) = exchange(
        addr,
        b"GET /whole HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(waited >= Duration::from_millis(190), "{waited:?}");
    assert_eq!(
        got,
        "HTTP/1.1 200 OK\r\nDate: <date>\r\nContent-Type: text/plain\r\n\
         Connection: close\r\nContent-Length: 5\r\n\r\nready"
    );
    // HTTP/1.0 gets the same: the length is known.
    let (_, got) = exchange(addr, b"GET /whole HTTP/1.0\r\n\r\n").await;
    assert!(got.ends_with("Content-Length: 5\r\n\r\nready"), "{got}");
    // HEAD: at once, and no body, so no length either.
    let (waited, got) = exchange(
        addr,
        b"HEAD /whole HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(waited < Duration::from_millis(150), "{waited:?}");
    assert_eq!(
        got,
        "HTTP/1.1 200 OK\r\nDate: <date>\r\nContent-Type: text/plain\r\n\
         Connection: close\r\n\r\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_answer_is_chunked_as_it_is_made() {
    let (addr, _) = start().await;
    let (waited, got) = exchange(
        addr,
        b"GET /parts HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(waited < Duration::from_millis(90), "{waited:?}");
    assert!(
        got.ends_with("chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n"),
        "{got}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_before_the_whole_body_stops_its_making() {
    let (addr, stats) = start().await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(b"GET /whole HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    while stats.producers() == 0 {
        sleep(Duration::from_millis(1)).await;
    }
    drop(client);
    sleep(Duration::from_millis(50)).await;
    assert_eq!(stats.producers(), 0, "stopped before its 200 ms were up");
}
