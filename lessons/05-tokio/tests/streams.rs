//! Lesson 05 on real sockets: many streams at once, clients that leave,
//! clients that read slowly or not at all, and shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use lesson_01_raw_tcp::testing::mask_date;
use lesson_05_tokio::produce::Stats;
use lesson_05_tokio::{Config, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, timeout};

mod common;
use common::expected;

/// A server on its own port, with its counters and its stop button.
struct Running {
    addr: SocketAddr,
    stats: Arc<Stats>,
    stop: Option<oneshot::Sender<()>>,
    /// What `Server::run` returns: how many connections were cut.
    done: JoinHandle<usize>,
}

impl Running {
    async fn start(config: Config) -> Running {
        let server = Server::bind_any(config).await.unwrap();
        let (addr, stats) = (server.local_addr().unwrap(), server.stats());
        let (stop, stopped) = oneshot::channel::<()>();
        let done = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        Running {
            addr,
            stats,
            stop: Some(stop),
            done,
        }
    }

    async fn stop(&mut self) {
        self.stop.take().unwrap().send(()).unwrap();
    }
}

fn config() -> Config {
    Config::new(Duration::ZERO)
}

async fn request(addr: SocketAddr, target: &str, close: bool) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let close = if close { "Connection: close\r\n" } else { "" };
    let head = format!("GET {target} HTTP/1.1\r\nHost: t\r\n{close}\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

async fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    timeout(Duration::from_secs(10), stream.read_to_end(&mut all))
        .await
        .expect("the server closes")
        .unwrap();
    all
}

/// Reads until `bytes` have arrived; returns them all.
async fn read_at_least(stream: &mut TcpStream, bytes: usize) -> Vec<u8> {
    let mut all = Vec::new();
    while all.len() < bytes {
        let n = timeout(Duration::from_secs(5), stream.read_buf(&mut all))
            .await
            .expect("more bytes")
            .unwrap();
        assert!(n > 0, "closed after {} bytes", all.len());
    }
    all
}

/// Waits until `done` holds, checking every millisecond, and returns how
/// long it took; fails after `limit`.
async fn wait_until(
    limit: Duration,
    mut done: impl FnMut() -> bool,
) -> Duration {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "not within {limit:?}");
        sleep(Duration::from_millis(1)).await;
    }
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_is_exact_and_pipelined_requests_share_a_connection() {
    let server = Running::start(config()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    // Three requests in one write; the last asks to close.
    stream
        .write_all(
            b"GET /stream?n=3&size=5 HTTP/1.1\r\nHost: t\r\n\r\n\
              GET /stream?n=1&size=70 HTTP/1.1\r\nHost: t\r\n\r\n\
              GET /stream?n=2&size=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let all = read_to_close(&mut stream).await;
    let want = [
        expected(3, 5, false),
        expected(1, 70, false),
        expected(2, 1, true),
    ];
    // Each response has its own Date field to mask.
    let text = String::from_utf8(all).unwrap();
    let got: Vec<Vec<u8>> = text
        .split_inclusive("0\r\n\r\n")
        .filter(|r| r.starts_with("HTTP/1.1"))
        .map(|r| mask_date(r.as_bytes()))
        .collect();
    assert_eq!(got, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_10_streams_until_close_and_head_gets_no_body() {
    let server = Running::start(config()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /stream?n=2&size=3 HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    let all = mask_date(&read_to_close(&mut stream).await);
    assert_eq!(
        String::from_utf8(all).unwrap(),
        "HTTP/1.1 200 OK\r\nDate: <date>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Connection: close\r\n\r\n012012"
    );

    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"HEAD /stream HTTP/1.1\r\nHost: t\r\n\r\n\
              GET /nowhere HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let all = String::from_utf8(read_to_close(&mut stream).await).unwrap();
    let (head, not_found) = all.split_at(all.find("HTTP/1.1 404").unwrap());
    assert_eq!(
        String::from_utf8(mask_date(head.as_bytes())).unwrap(),
        "HTTP/1.1 200 OK\r\nDate: <date>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Transfer-Encoding: chunked\r\n\r\n"
    );
    assert!(not_found.ends_with("nothing at /nowhere: try / or /stream\n"));
}

// ANCHOR: disconnect
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_mid_stream_stops_its_producer_within_50_ms() {
    let server = Running::start(config()).await;
    let stats = Arc::clone(&server.stats);
    let tasks = || {
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
    };
    let before = tasks();

    // A chunk every ten seconds: the producer sleeps in a timer, and the
    // server has nothing to write that could fail.
    let mut client =
        request(server.addr, "/stream?n=5&size=8&every=10000", false).await;
    read_at_least(&mut client, expected(1, 8, false).len() - 5).await;
    assert_eq!(stats.producers(), 1);
    drop(client);
    let took =
        wait_until(Duration::from_secs(1), || stats.producers() == 0).await;
    eprintln!(
        "the client left; its producer stopped {:.1} ms later",
        took.as_secs_f64() * 1000.0
    );
    assert!(took < Duration::from_millis(50), "took {took:?}");
    // The connection's task ends too: no task and no timer is left.
    wait_until(Duration::from_secs(2), || tasks() == before).await;
    assert_eq!(stats.connections(), 0);
}
// ANCHOR_END: disconnect

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_while_the_server_waits_to_write_is_seen_too() {
    let server = Running::start(config()).await;
    let stats = Arc::clone(&server.stats);
    // As fast as the socket takes it: the writer ends up waiting on a
    // full socket, not on a timer.
    let mut client =
        request(server.addr, "/stream?n=100000000&size=65536", false).await;
    read_at_least(&mut client, 1).await;
    let stuck = stats.chunks();
    sleep(Duration::from_millis(200)).await;
    assert!(
        stats.chunks() - stuck < 1000,
        "the producer should be held back"
    );
    drop(client);
    let took =
        wait_until(Duration::from_secs(1), || stats.producers() == 0).await;
    assert!(took < Duration::from_millis(50), "took {took:?}");
}

// ANCHOR: backpressure
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_slows_its_producer_and_memory_stays_bounded() {
    let server = Running::start(config()).await;
    let stats = Arc::clone(&server.stats);
    let size = 64 * 1024;
    let mut client =
        request(server.addr, "/stream?n=100000000&size=65536", false).await;
    // Read nothing: the socket buffers fill, then the channel, then the
    // producer waits. Once it does, the count stops moving.
    let mut last = u64::MAX;
    while stats.chunks() != last {
        last = stats.chunks();
        sleep(Duration::from_millis(100)).await;
    }
    sleep(Duration::from_millis(300)).await;
    let held = stats.chunks();
    eprintln!(
        "nobody reads: the producer made {held} chunks ({} KiB), and waits",
        held * size / 1024
    );
    assert_eq!(held, last, "nothing is produced while nobody reads");
    // What was produced is what the kernel's buffers and the channel hold:
    // a few MiB, not the 6 TiB this stream would be.
    assert!(held * size < 64 * 1024 * 1024, "{held} chunks produced");

    // Reading lets it go on.
    read_at_least(&mut client, 32 * 1024 * 1024).await;
    assert!(stats.chunks() > held + 100);
}
// ANCHOR_END: backpressure

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_cut_off_after_the_send_timeout() {
    let config = Config {
        send_timeout: Duration::from_millis(200),
        ..config()
    };
    let server = Running::start(config).await;
    let stats = Arc::clone(&server.stats);
    let _client =
        request(server.addr, "/stream?n=100000000&size=65536", false).await;
    wait_until(Duration::from_secs(1), || stats.producers() == 1).await;
    // The client is still connected, but has not read for the timeout.
    wait_until(Duration::from_secs(5), || stats.producers() == 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_client_is_cut_off_while_others_are_served() {
    let config = Config {
        head_timeout: Duration::from_millis(300),
        ..config()
    };
    let server = Running::start(config).await;
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    let started = Instant::now();
    let trickle = async {
        // A byte every 50 ms: each read comes well within any per-read
        // timeout, but the head never ends.
        for byte in b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ".iter().cycle() {
            if slow.write_all(&[*byte]).await.is_err() {
                break;
            }
            sleep(Duration::from_millis(50)).await;
        }
    };
    let others = async {
        for _ in 0..3 {
            let mut client =
                request(server.addr, "/stream?n=1&size=4", true).await;
            assert_eq!(
                mask_date(&read_to_close(&mut client).await),
                expected(1, 4, true)
            );
            sleep(Duration::from_millis(100)).await;
        }
    };
    let (trickled, ()) =
        tokio::join!(timeout(Duration::from_secs(5), trickle), others);
    trickled.expect("the server cuts the trickle off");
    let cut_after = started.elapsed();
    let answer = String::from_utf8(read_to_close(&mut slow).await).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{answer}"
    );
    assert!(
        answer.ends_with("the request head did not arrive within 300 ms\n")
    );
    assert!(cut_after < Duration::from_secs(2), "{cut_after:?}");
}

// ANCHOR: shutdown
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_streams_in_flight_finish_and_refuses_new_clients() {
    let mut server = Running::start(config()).await;
    let mut streaming =
        request(server.addr, "/stream?n=5&size=8&every=100", false).await;
    read_at_least(&mut streaming, 1).await;
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    wait_until(Duration::from_secs(1), || server.stats.connections() == 2)
        .await;

    server.stop().await;
    // The idle connection is closed at once; new ones are refused.
    assert_eq!(read_to_close(&mut idle).await, b"");
    drop(idle); // the server waits for our FIN: a lingering close
    wait_until(Duration::from_secs(1), || server.stats.connections() == 1)
        .await;
    assert!(TcpStream::connect(server.addr).await.is_err());
    // The stream in flight ends whole, with its last-chunk.
    let rest = read_to_close(&mut streaming).await;
    assert!(rest.ends_with(b"0\r\n\r\n"));
    assert_eq!(server.done.await.unwrap(), 0, "nothing was cut");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_cuts_streams_that_outlast_the_grace_period() {
    let config = Config {
        grace: Duration::from_millis(200),
        ..config()
    };
    let mut server = Running::start(config).await;
    let mut client =
        request(server.addr, "/stream?n=5&size=8&every=10000", false).await;
    let first = read_at_least(&mut client, 1).await;
    server.stop().await;
    let started = Instant::now();
    let rest = read_to_close(&mut client).await;
    let waited = started.elapsed();
    // Cut: no last-chunk, so the client knows the body is incomplete.
    assert!(![first, rest].concat().ends_with(b"0\r\n\r\n"));
    assert!(waited >= Duration::from_millis(150), "{waited:?}");
    assert_eq!(server.done.await.unwrap(), 1, "one connection was cut");
    assert_eq!(server.stats.producers(), 0);
}
// ANCHOR_END: shutdown

/// Lesson 04's table of hostile requests gets the same answers here: the
/// framing rules are the same code, only the I/O around them changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_are_refused_and_the_server_goes_on() {
    let server = Running::start(config()).await;
    for case in lesson_04_http_parse::hostile::cases() {
        let name = case.name;
        let mut client = TcpStream::connect(server.addr).await.unwrap();
        client.write_all(&case.request).await.unwrap();
        let answer =
            String::from_utf8(read_to_close(&mut client).await).unwrap();
        let status = format!("HTTP/1.1 {} ", case.status.code());
        assert!(answer.starts_with(&status), "{name}: {answer}");
        assert!(answer.contains("Connection: close\r\n"), "{name}");
        let reason = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
        if case.status.code() >= 400 {
            assert_eq!(reason.lines().count(), 1, "{name}: {reason:?}");
        }
        let mut next = request(server.addr, "/stream?n=1&size=4", true).await;
        assert_eq!(
            mask_date(&read_to_close(&mut next).await),
            expected(1, 4, true),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_has_begun_when_shutdown_comes_is_answered() {
    let mut server = Running::start(config()).await;
    let mut client = TcpStream::connect(server.addr).await.unwrap();
    client
        .write_all(b"GET /stream?n=1&size=4 HTTP/1.1\r\n")
        .await
        .unwrap();
    sleep(Duration::from_millis(100)).await; // the server has read it
    server.stop().await;
    sleep(Duration::from_millis(100)).await;
    client.write_all(b"Host: t\r\n\r\n").await.unwrap();
    let answer = mask_date(&read_to_close(&mut client).await);
    assert_eq!(answer, expected(1, 4, true), "answered, with a close");
}

/// Sends `request` alone on a new connection, and returns everything the
/// server sends until it closes, its date masked.
async fn alone(addr: SocketAddr, request: &[u8]) -> String {
    let mut client = TcpStream::connect(addr).await.unwrap();
    client.write_all(request).await.unwrap();
    String::from_utf8(mask_date(&read_to_close(&mut client).await)).unwrap()
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

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

/// Lesson 04's head rules hold here too, since the head is lesson 04's
/// code: Host exactly once and valid (RFC 9112 §3.2), and `http/1.1` is
/// malformed, not a version (RFC 9112 §2.3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_and_version_are_checked_as_in_lesson_04() {
    let server = Running::start(config()).await;
    let bad = |why| plain("400 Bad Request", "", why);
    let cases: &[(&[u8], String)] = &[
        (
            b"GET / HTTP/1.1\r\n\r\n",
            bad("an HTTP/1.1 request without Host"),
        ),
        (
            b"GET / HTTP/1.1\r\nHost: t\r\nHost: t\r\n\r\n",
            bad("more than one Host"),
        ),
        (
            b"GET / HTTP/1.1\r\nHost: t/x\r\n\r\n",
            bad("a Host that is not host[:port]"),
        ),
        (
            b"GET / http/1.1\r\nHost: t\r\n\r\n",
            bad(
                "a malformed HTTP version: it is case-sensitive, as in HTTP/1.1",
            ),
        ),
    ];
    for (request, want) in cases {
        let got = alone(server.addr, request).await;
        assert_eq!(&got, want, "{}", String::from_utf8_lossy(request));
    }
    // A client's numbers are bounded: a pause of 2^64 - 1 ms is refused,
    // not slept.
    let got = alone(
        server.addr,
        b"GET /stream?every=18446744073709551615 HTTP/1.1\r\nHost: t\r\n\
          Connection: close\r\n\r\n",
    )
    .await;
    assert!(
        got.starts_with("HTTP/1.1 400 Bad Request\r\n")
            && got.ends_with("every up to 60000\n"),
        "{got}"
    );
    // HTTP/1.0 may go without Host.
    let http10 =
        alone(server.addr, b"GET /stream?n=1&size=4 HTTP/1.0\r\n\r\n").await;
    assert!(http10.starts_with("HTTP/1.1 200 OK\r\n"), "{http10}");
}

/// RFC 9112 §3.2.2: an absolute-form target is served by its path and
/// query; the site never sees the scheme and authority, and Host loses
/// to the target's authority.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absolute_form_target_is_served_by_its_path() {
    let server = Running::start(config()).await;
    let got = alone(
        server.addr,
        b"GET http://t/stream?n=1&size=4 HTTP/1.1\r\nHost: evil\r\n\
          Connection: close\r\n\r\n",
    )
    .await;
    assert_eq!(got.as_bytes(), expected(1, 4, true));
}

/// RFC 9110 §10.1.1: `100 Continue` at once, before the body the client
/// holds back; the final status at once when the head alone is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_100_continue_is_answered_before_the_body() {
    let server = Running::start(config()).await;
    let mut client = TcpStream::connect(server.addr).await.unwrap();
    client
        .write_all(
            b"POST /stream?n=1&size=4 HTTP/1.1\r\nHost: t\r\n\
              Expect: 100-continue\r\nContent-Length: 5\r\n\
              Connection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let interim = read_at_least(&mut client, 25).await;
    assert_eq!(text(interim), "HTTP/1.1 100 Continue\r\n\r\n");
    client.write_all(b"hello").await.unwrap();
    let rest = text(mask_date(&read_to_close(&mut client).await));
    assert_eq!(
        rest,
        plain(
            "405 Method Not Allowed",
            "Allow: GET, HEAD\r\n",
            "POST is not allowed here: GET or HEAD"
        )
    );

    let huge = alone(
        server.addr,
        b"POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n\
          Content-Length: 1048577\r\n\r\n",
    )
    .await;
    assert_eq!(
        huge,
        plain("413 Content Too Large", "", "the body is over 1 MiB")
    );
}
