//! `inspector proxy` in the path of real clients: curl, Python's
//! websockets, the inspector's own client, headless Chromium, and nginx
//! behind it; each exchange recorded as it is forwarded, and every byte
//! passed on unchanged, at the moment it came.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use inspector::capture;
use inspector::proxy::{self, News, Proxy};
use inspector::session::{Chunk, Record};
use lesson_01_raw_tcp::{server, testing};
use lesson_06_ssr_blocking::dashboard::{Delays, MODULES};

const PAUSE: Duration = Duration::from_millis(200);

/// A proxy on a free port, in front of `to`.
fn proxy_to(to: &str) -> Proxy {
    proxy_keeping(to, 64)
}

/// [`proxy_to`], its records keeping `max_data` bytes of each chunk.
fn proxy_keeping(to: &str, max_data: usize) -> Proxy {
    proxy::start(proxy::Options {
        listen: "127.0.0.1:0".into(),
        to: to.parse().unwrap(),
        transport: Default::default(),
        via: false,
        max_data,
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

/// When each data chunk of the proxy's records arrived.
fn chunk_times(news: &[News]) -> Vec<f64> {
    news.iter()
        .filter_map(|n| match n {
            News::Record {
                record: Record::Chunk(c),
                ..
            } if !c.last => Some(c.t_ms),
            _ => None,
        })
        .collect()
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
    let chunks: Vec<f64> = chunk_times(&news);
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

/// The `<main>` of the DOM headless Chromium built from `url`, once the
/// page had loaded, as lesson 08's own browser test reads it.
fn main_element(url: &str) -> String {
    let dom = testing::chromium(url, &["--dump-dom"], None);
    let start = dom
        .find("<main>")
        .unwrap_or_else(|| panic!("no <main>: {dom}"));
    let end = dom.find("</main>").map_or(dom.len(), |end| end + 7);
    dom[start..end].to_owned()
}

/// The data chunks of the exchange whose request target is `target`, as
/// the proxy recorded them, until its verdict. Other exchanges (a
/// browser's favicon) are passed over.
fn chunks_of(news: &Receiver<News>, target: &str) -> Vec<Chunk> {
    let mut exchange = None;
    let mut chunks = Vec::new();
    loop {
        match news.recv_timeout(Duration::from_secs(10)).expect("news") {
            News::Request(r) if r.target == target => {
                exchange = Some(r.exchange);
            }
            News::Record {
                exchange: x,
                record,
            } if Some(x) == exchange => match record {
                Record::Chunk(c) if !c.last => chunks.push(c),
                Record::Verdict(_) => return chunks,
                _ => {}
            },
            _ => {}
        }
    }
}

#[test]
fn chromium_loads_lesson_08_through_it_and_modules_come_at_their_delays() {
    if !testing::require("chromium") {
        return;
    }
    // In module order: profile, feed, recommendations, comments, and the
    // weather, whose source fails. Sorted, they are 200 ms apart: gaps
    // that stay clear on a loaded two-core machine.
    let delays = Delays::parse("100,900,300,500,700").unwrap();
    let streamed = lesson_08_out_of_order::spawn(delays).unwrap();
    let blocking = lesson_06_ssr_blocking::spawn(delays).unwrap();
    let proxy = proxy_keeping(&format!("http://{streamed}"), 4096);
    // The page Chromium ends up with through the proxy is lesson 06's.
    let through = main_element(&format!("http://{}/", proxy.addr));
    let direct = main_element(&format!("http://{blocking}/"));
    assert_eq!(through, direct);
    assert!(through.contains("Weather is not available right now."));

    // The proxy saw the shell, a chunk per module, and the page's end.
    let chunks = chunks_of(&proxy.news, "/");
    let shell = chunks.first().map(|c| c.t_ms).unwrap_or_default();
    let module = |c: &Chunk| {
        let id = c.data.split("<template id=\"").nth(1)?;
        Some(id[..id.find("-template\"")?].to_owned())
    };
    let arrived: Vec<(String, f64)> = chunks
        .iter()
        .filter_map(|c| Some((module(c)?, c.t_ms - shell)))
        .collect();
    assert_eq!(chunks.len(), 7, "{arrived:?}");
    // Each module in the order of its delay...
    let mut expected: Vec<(&str, f64)> = MODULES
        .iter()
        .zip(delays.0)
        .map(|(m, d)| (m.id, d.as_secs_f64() * 1e3))
        .collect();
    expected.sort_by(|a, b| a.1.total_cmp(&b.1));
    let order: Vec<&str> = arrived.iter().map(|(id, _)| id.as_str()).collect();
    let wanted: Vec<&str> = expected.iter().map(|(id, _)| *id).collect();
    assert_eq!(order, wanted, "{arrived:?}");
    // ...no sooner than its data, less the moment between the fetches'
    // start and the shell's arrival...
    for ((id, t), (_, delay)) in arrived.iter().zip(&expected) {
        assert!(*t >= delay - 50.0, "{id} at {t} ms: {arrived:?}");
    }
    // ...and apart as their delays are (200 ms): a proxy that held the
    // page back would deliver them together.
    for pair in arrived.windows(2) {
        assert!(pair[1].1 - pair[0].1 >= 100.0, "{arrived:?}");
    }
}

/// A fresh directory for nginx's files, which it removes when dropped.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("flusher-proxy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn in_front_of_nginx_in_front_of_a_lesson_chunks_keep_their_pauses() {
    if !testing::require(testing::NGINX) {
        return;
    }
    let origin =
        server::spawn(lesson_02_chunked_by_hand::handler(PAUSE, true)).unwrap();
    // nginx set to stream: no buffering, and HTTP/1.1 upstream, since
    // lesson 02 answers HTTP/1.0 with a response that ends by closing.
    let [port] = testing::free_ports();
    let servers = format!(
        "server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://{origin};
            proxy_buffering off;
            proxy_http_version 1.1;
        }}
    }}"
    );
    let _nginx = testing::Nginx::start(scratch("nginx"), &servers, &[port]);
    let proxy = proxy_to(&format!("http://127.0.0.1:{port}"));
    // The client behind both hops sees the lesson's pauses...
    let timed = capture::get_chunks(proxy.addr, "/").unwrap();
    assert_eq!(timed.len(), 5, "{timed:?}");
    for pair in timed.windows(2) {
        assert!(
            pair[1].t_ms - pair[0].t_ms >= PAUSE.as_secs_f64() * 1e3 / 2.0,
            "{timed:?}"
        );
    }
    // ...and so did the proxy, as it forwarded nginx's chunks.
    let news = news_until_over(&proxy.news, 1);
    let recorded: Vec<f64> = chunk_times(&news);
    assert_eq!(recorded.len(), 5, "{recorded:?}");
    for pair in recorded.windows(2) {
        assert!(
            pair[1] - pair[0] >= PAUSE.as_secs_f64() * 1e3 / 2.0,
            "{recorded:?}"
        );
    }
}

/// curl's reads of a body, from `--trace-ascii` with `--trace-time`: for
/// each, when it came (ms since curl sent the request) and how many body
/// bytes had come by then.
fn curl_reads(trace: &str) -> Vec<(f64, u64)> {
    // `14:03:22.123456 <= Recv data, 186 bytes (0xba)`
    let at = |line: &str| -> Option<f64> {
        let time = line.split(' ').next()?;
        let mut hms = time.split(':').map(str::parse::<f64>);
        let (h, m, s) =
            (hms.next()?.ok()?, hms.next()?.ok()?, hms.next()?.ok()?);
        Some(((h * 60.0 + m) * 60.0 + s) * 1e3)
    };
    let mut sent = None;
    let mut bytes = 0;
    let mut reads = Vec::new();
    for line in trace.lines() {
        if line.contains(" => Send header, ") && sent.is_none() {
            sent = at(line);
        } else if let Some(rest) = line.split(" <= Recv data, ").nth(1) {
            let n: u64 = rest.split(' ').next().unwrap().parse().unwrap();
            bytes += n;
            reads.push((at(line).unwrap() - sent.unwrap(), bytes));
        }
    }
    reads
}

#[test]
fn curl_gets_each_chunk_through_it_within_milliseconds_of_direct() {
    if !testing::require("curl") {
        return;
    }
    let origin =
        server::spawn(lesson_02_chunked_by_hand::handler(PAUSE, true)).unwrap();
    let proxy = proxy_to(&format!("http://{origin}"));
    // Both curls at once, each logging every read with its time.
    let curl = |addr: SocketAddr| {
        Command::new("curl")
            .args(["-sS", "--raw", "-o", "/dev/null", "--trace-time"])
            .args(["--trace-ascii", "-"])
            .arg(format!("http://{addr}/"))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (direct, through) = (curl(origin), curl(proxy.addr));
    let [direct, through] = [direct, through].map(|child| {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        curl_reads(&String::from_utf8_lossy(&out.stdout))
    });
    // The same body, read in pauses: the stream, not one burst.
    assert_eq!(direct.last().map(|r| r.1), through.last().map(|r| r.1));
    assert!(direct.len() >= 5, "{direct:?}");
    // Where a direct read ends, the read through the proxy that reached
    // the same byte came at most 50 ms later or sooner: a few ms, with
    // room for a loaded two-core machine.
    let mut worst: f64 = 0.0;
    for &(t, bytes) in &direct {
        let (at, _) =
            through.iter().find(|(_, b)| *b >= bytes).copied().unwrap();
        assert!(
            (at - t).abs() < 50.0,
            "byte {bytes}: direct {t:.1} ms, through {at:.1} ms\n\
             {direct:?}\n{through:?}"
        );
        worst = worst.max(at - t);
    }
    // Shown with --nocapture.
    eprintln!("the largest delay through the proxy: {worst:.2} ms");
    let span = direct.last().unwrap().0 - direct[0].0;
    assert!(span >= 4.0 * PAUSE.as_secs_f64() * 1e3 / 2.0, "{direct:?}");
}
