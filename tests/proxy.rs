//! `inspector proxy` in the path of real clients: curl, Python's
//! websockets, the inspector's own client; each exchange recorded as it
//! is forwarded, and every byte passed on unchanged.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use inspector::capture;
use inspector::proxy::{self, News, Proxy};
use inspector::session::Record;
use lesson_01_raw_tcp::{server, testing};

const PAUSE: Duration = Duration::from_millis(200);

/// A proxy on a free port, in front of `to`.
fn proxy_to(to: &str) -> Proxy {
    proxy::start(proxy::Options {
        listen: "127.0.0.1:0".into(),
        to: to.parse().unwrap(),
        transport: Default::default(),
        via: false,
        max_data: 64,
    })
    .unwrap()
}

/// The news until exchange `n`'s verdict (or its end, for a WebSocket).
fn news_until_over(news: &Receiver<News>, n: u64) -> Vec<News> {
    let mut got = Vec::new();
    loop {
        let item = news.recv_timeout(Duration::from_secs(10)).expect("news");
        let over = matches!(
            &item,
            News::Record { exchange, record: Record::Verdict(_) | Record::End { frames: Some(_), .. } }
                if *exchange == n
        );
        got.push(item);
        if over {
            return got;
        }
    }
}

/// What curl prints of `url` with `--raw`: the bytes of the body as sent,
/// chunk framing included, and the head with its Date masked.
fn curl_raw(url: &str) -> Vec<u8> {
    let out = Command::new("curl")
        .args(["-sS", "--raw", "-N", "-i", url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    testing::mask_date(&out.stdout)
}

#[test]
fn curl_gets_the_origins_bytes_and_chunks_keep_their_pauses() {
    if !testing::require("curl") {
        return;
    }
    let origin =
        server::spawn(lesson_02_chunked_by_hand::handler(PAUSE, true)).unwrap();
    let proxy = proxy_to(&format!("http://{origin}"));
    let direct = curl_raw(&format!("http://{origin}/"));
    let through = curl_raw(&format!("http://{}/", proxy.addr));
    // Not a byte changed: the head, the size lines, the last-chunk.
    assert_eq!(
        String::from_utf8_lossy(&through),
        String::from_utf8_lossy(&direct)
    );
    // Recorded as it went: the request, then the response's records.
    let news = news_until_over(&proxy.news, 1);
    let News::Request(request) = &news[0] else {
        panic!("{news:?}")
    };
    assert_eq!(
        (request.method.as_str(), request.target.as_str()),
        ("GET", "/")
    );
    let chunks: Vec<f64> = news
        .iter()
        .filter_map(|n| match n {
            News::Record {
                record: Record::Chunk(c),
                ..
            } if !c.last => Some(c.t_ms),
            _ => None,
        })
        .collect();
    assert_eq!(chunks.len(), 5);
    // Each chunk arrives at the origin's pause: the proxy held none back.
    for pair in chunks.windows(2) {
        assert!(
            pair[1] - pair[0] >= PAUSE.as_secs_f64() * 1e3 / 2.0,
            "{chunks:?}"
        );
    }
    // And a client behind the proxy sees the same pauses.
    let timed = capture::get_chunks(proxy.addr, "/").unwrap();
    for pair in timed.windows(2) {
        assert!(pair[1].t_ms - pair[0].t_ms >= 100.0, "{timed:?}");
    }
}

#[test]
fn keep_alive_and_pipelined_requests_are_each_an_exchange() {
    // Lesson 04 keeps the connection for the next request.
    let origin =
        lesson_04_http_parse::spawn(Duration::from_millis(20)).unwrap();
    let proxy = proxy_to(&format!("http://{origin}"));
    let mut client = TcpStream::connect(proxy.addr).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // Two requests in one write: the second waits in the server's queue.
    let two = "GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    client.write_all(two.as_bytes()).unwrap();
    let mut answers = Vec::new();
    client.read_to_end(&mut answers).unwrap();
    let answers = String::from_utf8_lossy(&answers);
    assert_eq!(answers.matches("HTTP/1.1 200 OK").count(), 2, "{answers}");
    let news = news_until_over(&proxy.news, 2);
    let requests: Vec<(u64, &str)> = news
        .iter()
        .filter_map(|n| match n {
            News::Request(r) => Some((r.exchange, r.method.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(requests, [(1, "GET"), (2, "HEAD")]);
    // The HEAD's answer has no body, though its head announces one: the
    // session knew its method, so the two responses were told apart.
    let ends: Vec<(u64, u64)> = news
        .iter()
        .filter_map(|n| match n {
            News::Record {
                exchange,
                record: Record::End { body_bytes, .. },
            } => Some((*exchange, *body_bytes)),
            _ => None,
        })
        .collect();
    assert_eq!(ends.len(), 2, "{news:?}");
    assert!(ends[0].1 > 0 && ends[1] == (2, 0), "{ends:?}");
}

#[test]
fn a_request_it_cannot_frame_gets_400_and_an_unreachable_server_502() {
    let origin =
        server::spawn(lesson_02_chunked_by_hand::handler(PAUSE, true)).unwrap();
    let proxy = proxy_to(&format!("http://{origin}"));
    let (status, body) = capture::answer(
        proxy.addr,
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n",
    )
    .unwrap();
    assert_eq!(status, 400);
    assert_eq!(body, "the request's Content-Length is not a number\n");
    // A port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let nowhere = proxy_to(&format!("http://{closed}"));
    let (status, body) =
        capture::answer(nowhere.addr, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
    assert_eq!(status, 502);
    assert!(
        body.starts_with(&format!("the proxy cannot reach {closed}")),
        "{body}"
    );
    // And the first proxy still serves.
    assert_eq!(capture::get_chunks(proxy.addr, "/").unwrap().len(), 5);
}

#[test]
fn pythons_websockets_talks_through_it() {
    let python = "/usr/bin/python3";
    let has = Command::new(python)
        .args(["-c", "import websockets"])
        .output();
    if !has.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "python3-websockets is required in CI"
        );
        eprintln!("SKIPPED: no python3 with websockets");
        return;
    }
    let origin = lesson_10_websocket::spawn().unwrap();
    let proxy = proxy_to(&format!("http://{origin}"));
    let script = r#"
import asyncio, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1]) as ws:
        print(await ws.recv())
        await ws.send("through")
        print(await ws.recv())
asyncio.run(main())
"#;
    let url = format!("ws://{}/ws", proxy.addr);
    let out = Command::new(python)
        .args(["-c", script, &url])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.lines().nth(1).is_some_and(|l| l.contains("through")),
        "{stdout}"
    );
    // The server's frames were recorded: its greeting and its echo.
    let news = news_until_over(&proxy.news, 1);
    let frames: Vec<String> = news
        .iter()
        .filter_map(|n| match n {
            News::Record {
                record:
                    Record::WsFrame {
                        direction: "server",
                        data,
                        ..
                    },
                ..
            } => Some(data.clone()),
            _ => None,
        })
        .collect();
    assert!(frames.iter().any(|d| d.contains("through")), "{frames:?}");
}

#[test]
fn an_event_stream_flows_through_event_by_event() {
    let plan = lesson_09_sse::Plan {
        every: Duration::from_millis(100),
        n: Some(3),
        ..lesson_09_sse::Plan::default()
    };
    let origin: SocketAddr = lesson_09_sse::spawn(plan).unwrap();
    let proxy = proxy_to(&format!("http://{origin}"));
    let records = capture::Live::get(proxy.addr, "/events")
        .unwrap()
        .records("GET", 4096)
        .unwrap();
    let events: Vec<f64> = records
        .iter()
        .filter_map(|r| match r {
            Record::Event { t_ms, .. } => Some(*t_ms),
            _ => None,
        })
        .collect();
    assert_eq!(events.len(), 3, "{records:?}");
    for pair in events.windows(2) {
        assert!(pair[1] - pair[0] >= 50.0, "{events:?}");
    }
}
