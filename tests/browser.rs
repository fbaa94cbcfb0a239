//! Ground truth from a real browser: the inspector's verdict on a response
//! must be the one that Chromium's own arrivals give, on servers nobody
//! here wrote as well as on the lessons.
//!
//! Each server gets three requests at once: from the inspector (its
//! library, the path `inspector --json` takes), from headless Chromium
//! driven over the DevTools protocol, and from `curl --compressed`. Then:
//!
//! - Chromium's `Network.dataReceived` events (when, wire bytes, decoded
//!   bytes) go through the inspector's own [`Analysis`]. The two verdicts
//!   then differ only in what each client received, not in how it was
//!   judged: their patterns must agree, and be the one expected.
//! - The content the inspector decoded must be curl's, byte for byte.
//!
//! Every server writes a piece every 300 ms, gaps that stay clear on a
//! loaded two-core machine. The test asserts patterns, never times.

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use inspector::capture::{self, Live};
use inspector::session::{Record, Session};
use inspector::target::{Request, Target};
use inspector::verdict::{Analysis, Pattern, Verdict};
use inspector::ws::Opcode;
use lesson_01_raw_tcp::{server, testing};
use serde_json::{Value, json};

/// The wait between two pieces, in every server here.
const PAUSE: Duration = Duration::from_millis(300);

/// The peers written for this test, and the node modules they use.
const PEERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers");

/// Debian's python3: pyenv's may come first on PATH, without aiohttp.
const PYTHON: &str = "/usr/bin/python3";

#[test]
fn the_inspector_judges_a_response_as_chromium_received_it() {
    if !peers_present() {
        return;
    }
    let chromium = Chromium::start();
    // The peers start at once; each says where it listens when it does.
    let mut peers = [
        ("node", "express-compression.js", "flush"),
        ("node", "express-compression.js", "noflush"),
        (PYTHON, "aiohttp-server.py", "compression"),
        (PYTHON, "aiohttp-server.py", "content-length"),
    ]
    .map(|(program, script, mode)| peer(program, &[script, mode]));
    let [
        express_flush,
        express_noflush,
        aiohttp_coded,
        aiohttp_length,
    ] = peers.each_mut().map(listening);
    let chunked =
        server::spawn(lesson_02_chunked_by_hand::handler(PAUSE, true)).unwrap();
    let streaming =
        lesson_05_tokio::spawn(lesson_05_tokio::Config::new(PAUSE)).unwrap();
    let (_nginx, nginx) = nginx(streaming);

    let cases = [
        (
            "Express, compression(), res.flush() after each write",
            express_flush,
            Pattern::Stream,
        ),
        // Node sends the head with the first body bytes, and brotli
        // (both clients accept br) yields none before the end: so not
        // even the head comes early.
        (
            "Express, compression(), no flush",
            express_noflush,
            Pattern::HeadHeld,
        ),
        // aiohttp sends the head at once, then holds the content.
        (
            "aiohttp, enable_compression()",
            aiohttp_coded,
            Pattern::BurstAtEnd,
        ),
        (
            "lesson 02, chunks by hand",
            format!("http://{chunked}/"),
            Pattern::Stream,
        ),
        // Lesson 05 streams, but nginx sends nothing, head included,
        // until its buffers fill or the upstream ends; this page is
        // smaller than a buffer. `--identity` shows the same.
        (
            "nginx, gzip on, in front of lesson 05",
            nginx,
            Pattern::HeadHeld,
        ),
        (
            "aiohttp, Content-Length, written slowly",
            aiohttp_length,
            Pattern::Stream,
        ),
    ];
    for (name, url, expected) in cases {
        let curl = Command::new("curl")
            .args(["--compressed", "-s", &url])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let inspector = thread::spawn({
            let url = url.clone();
            move || inspect(&url)
        });
        let browser = chromium.load(&url).verdict();
        let (verdict, content) = inspector.join().unwrap();
        let curl = curl.wait_with_output().unwrap();
        // Shown when the test fails, or with --nocapture.
        eprintln!(
            "{name}:\n  inspector {}\n  chromium  {}",
            brief(&verdict),
            brief(&browser)
        );
        let [ours, theirs] =
            [&verdict, &browser].map(|v| (v.pattern, v.streamed));
        assert_eq!(ours, theirs, "{name}: the inspector and Chromium differ");
        assert_eq!(verdict.pattern, expected, "{name}");
        assert!(curl.status.success(), "{name}: curl failed");
        assert!(
            content == curl.stdout,
            "{name}: the inspector's content is not curl's:\n{}\n---\n{}",
            String::from_utf8_lossy(&content),
            String::from_utf8_lossy(&curl.stdout),
        );
    }
}

/// A verdict's pattern and the times it rests on, in one line.
fn brief(v: &Verdict) -> String {
    let ms = |t: Option<f64>| t.map_or("-".into(), |t| format!("{t:.0}"));
    format!(
        "{:?}: {} releases, {} B; head {} ms, content {} to {} ms",
        v.pattern,
        v.releases,
        v.content_bytes,
        ms(v.head_ms),
        ms(v.first_content_ms),
        ms(v.last_content_ms),
    )
}

/// The inspector's verdict on `GET url`, and the content it decoded: what
/// `inspector --json` says, from the same library calls.
fn inspect(url: &str) -> (Verdict, Vec<u8>) {
    let target: Target = url.parse().unwrap();
    let request = target.request(&Request::default());
    let live = Live::open(&target, &request, &Default::default()).unwrap();
    let session = Session::for_request(&request, usize::MAX)
        .with_connection(live.connection());
    let mut verdict = None;
    let mut content = Vec::new();
    for record in live.run(session, None).unwrap() {
        // A coded body's content is in `content`; a body that is not
        // coded is its own content, exact in `data_hex` (`data` is each
        // read made text, and a read may cut a character).
        let (hex, decoded) = match record {
            Record::Chunk(c) => (c.data_hex, c.content),
            Record::Data {
                data_hex, content, ..
            } => (data_hex, content),
            Record::Verdict(v) => {
                verdict = Some(v);
                continue;
            }
            Record::Error { message, .. } => panic!("{url}: {message}"),
            _ => continue,
        };
        match decoded {
            Some(decoded) => {
                content.extend_from_slice(decoded.content.as_bytes())
            }
            None => content.extend(unhex(&hex)),
        }
    }
    (verdict.expect("a verdict after the end"), content)
}

/// The bytes that a record's `data_hex` spells.
fn unhex(hex: &str) -> impl Iterator<Item = u8> + '_ {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
}

/// Headless Chromium, with a DevTools server on a free port.
struct Chromium {
    devtools: SocketAddr,
    _running: Running,
}

impl Chromium {
    /// Starts it on `about:blank`, with a profile of its own.
    fn start() -> Chromium {
        let profile = scratch("chromium");
        let mut child = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox", // CI runs as root
                "--disable-gpu",
                "--no-first-run",
                // This machine's network may be closed; don't let Chromium try.
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let running = Running {
            child,
            scratch: Some(profile),
        };
        // It says where: `DevTools listening on ws://127.0.0.1:PORT/…`.
        let mut lines = BufReader::new(stderr).lines().map_while(Result::ok);
        let devtools = lines
            .by_ref()
            .find_map(|line| {
                let url = line.strip_prefix("DevTools listening on ws://")?;
                url.split('/').next()?.parse().ok()
            })
            .expect("Chromium says where DevTools listens");
        // It goes on writing to stderr: unread, the pipe would fill and
        // stop it.
        thread::spawn(move || lines.for_each(drop));
        Chromium {
            devtools,
            _running: running,
        }
    }

    /// The page's DevTools WebSocket, `ws://…/devtools/page/ID`, once
    /// Chromium lists the page.
    fn page(&self) -> Target {
        let request = format!(
            "GET /json/list HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.devtools
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let (_, body) =
                capture::answer(self.devtools, request.as_bytes()).unwrap();
            let targets: Value = serde_json::from_str(&body).unwrap();
            let page = targets.as_array().into_iter().flatten().find_map(|t| {
                (t["type"] == "page")
                    .then(|| t["webSocketDebuggerUrl"].as_str())
                    .flatten()
            });
            if let Some(url) = page {
                return url.parse().unwrap();
            }
            thread::sleep(Duration::from_millis(100));
        }
        panic!("Chromium lists no page");
    }

    /// Navigates the page to `url`, and returns what Chromium received.
    /// The inspector is the WebSocket client: one implementation in the
    /// project.
    fn load(&self, url: &str) -> Load {
        let page = self.page();
        let request = page.request(&Request::default());
        let commands = [
            json!({"id": 1, "method": "Network.enable"}),
            json!({"id": 2, "method": "Page.navigate", "params": {"url": url}}),
        ];
        let mut session = Session::for_request(&request, usize::MAX)
            .sending(commands.map(|c| c.to_string()).to_vec());
        let mut live =
            Live::open(&page, &request, &Default::default()).unwrap();
        // A Chromium that stops talking fails the test, not hangs it.
        live.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut load = Load::default();
        let mut messages = Vec::new();
        while !load.finished {
            assert!(!session.is_done(), "DevTools closed the WebSocket");
            live.step(&mut session, None, &mut |record| {
                if let Record::WsFrame {
                    direction: "server",
                    opcode: Opcode::Text,
                    fin,
                    data,
                    ..
                } = record
                {
                    assert!(fin, "DevTools sends a message in one frame");
                    messages.push(data);
                }
            })
            .unwrap();
            for message in messages.drain(..) {
                load.take(url, &serde_json::from_str(&message).unwrap());
            }
        }
        // Closes the WebSocket, as a client should.
        live.run(session, Some(Duration::ZERO)).unwrap();
        load
    }
}

/// What Chromium received for one navigation, as DevTools reports it.
#[derive(Debug, Default)]
struct Load {
    request_id: Option<String>,
    /// Its `Network.Response`: the head's fields and the timing.
    response: Value,
    /// Each `Network.dataReceived`: when (s), wire bytes, decoded bytes.
    data: Vec<(f64, u64, u64)>,
    finished: bool,
}

impl Load {
    /// Takes in one DevTools message about the navigation to `url`.
    fn take(&mut self, url: &str, message: &Value) {
        assert!(message.get("error").is_none(), "DevTools: {message}");
        let params = &message["params"];
        let ours = self.request_id.is_some()
            && params["requestId"].as_str() == self.request_id.as_deref();
        match message["method"].as_str().unwrap_or_default() {
            "Network.requestWillBeSent"
                if params["type"] == "Document"
                    && params["request"]["url"] == url =>
            {
                self.request_id = params["requestId"].as_str().map(Into::into);
            }
            "Network.responseReceived" if ours => {
                self.response = params["response"].clone();
            }
            "Network.dataReceived" if ours => self.data.push((
                params["timestamp"].as_f64().unwrap(),
                params["encodedDataLength"].as_u64().unwrap(),
                params["dataLength"].as_u64().unwrap(),
            )),
            "Network.loadingFinished" if ours => self.finished = true,
            "Network.loadingFailed" if ours => {
                panic!("Chromium could not load {url}: {params}")
            }
            _ => {}
        }
    }

    /// Chromium's arrivals, judged by the inspector's analysis. Times
    /// count from when the request was sent, as the inspector's do.
    ///
    /// Two gaps in what DevTools reports: every `dataReceived` of a page
    /// has `encodedDataLength` 0 (wire bytes come only in total, with
    /// `loadingFinished`), so Chromium's figures can never show
    /// `bursts_by_size`; and a first piece that comes just after the
    /// head may have no `dataReceived` at all (lesson 02's first 186
    /// bytes, in some runs). Neither changes a pattern here.
    fn verdict(&self) -> Verdict {
        let timing = &self.response["timing"];
        let ms = |name: &str| timing[name].as_f64().unwrap();
        let since_sent = |ms: f64| Duration::from_secs_f64(ms.max(0.0) / 1e3);
        // A connection Chromium reused has no connect time (-1).
        let connect = ms("connectEnd") - ms("connectStart");
        let rtt = (ms("connectStart") >= 0.0).then(|| since_sent(connect));
        let mut analysis = Analysis::new().rtt(rtt);
        let fields: Vec<[String; 2]> = self.response["headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, value)| {
                [name.clone(), value.as_str().unwrap_or_default().into()]
            })
            .collect();
        let has = |name: &str| {
            fields.iter().any(|[n, _]| n.eq_ignore_ascii_case(name))
        };
        let framing = match () {
            _ if has("transfer-encoding") => "chunked",
            _ if has("content-length") => "content-length",
            _ => "close",
        };
        let version = self.response["protocol"].as_str().unwrap();
        analysis.head(
            since_sent(ms("receiveHeadersEnd") - ms("sendEnd")),
            &version.to_ascii_uppercase(),
            framing,
            &fields,
        );
        // `timestamp` and `requestTime` are seconds on one clock.
        let sent = ms("requestTime") * 1e3 + ms("sendEnd");
        for &(at, wire, decoded) in &self.data {
            analysis.arrived(since_sent(at * 1e3 - sent), wire, decoded);
        }
        analysis.verdict(self.finished)
    }
}

/// A peer from tests/peers, started; it prints `listening on URL`.
fn peer(program: &str, args: &[&str]) -> Running {
    let child = Command::new(program)
        .current_dir(PEERS)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    Running {
        child,
        scratch: None,
    }
}

/// The URL a [`peer`] listens on, once it does.
fn listening(peer: &mut Running) -> String {
    let stdout = peer.child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("listening on ");
    url.unwrap_or_else(|| panic!("a peer said {line:?}"))
        .to_owned()
}

/// nginx in front of `upstream`, with gzip on as a site turns it on, and
/// all else at its defaults: proxy_buffering on, HTTP/1.0 to the upstream.
/// Returns it and its URL.
fn nginx(upstream: SocketAddr) -> (testing::Nginx, String) {
    let [port] = testing::free_ports();
    let servers = format!(
        "gzip on;
    gzip_types text/plain text/css application/javascript;
    server {{
        listen 127.0.0.1:{port};
        location / {{ proxy_pass http://{upstream}; }}
    }}"
    );
    let nginx = testing::Nginx::start(scratch("nginx"), &servers, &[port]);
    (nginx, format!("http://127.0.0.1:{port}/"))
}

/// Whether every peer is here: else the project's rule, as for a missing
/// program (`testing::require`): skip, saying why, or under `CI=true`
/// fail.
fn peers_present() -> bool {
    let aiohttp = || {
        Command::new(PYTHON)
            .args(["-c", "import aiohttp"])
            .status()
            .is_ok_and(|s| s.success())
    };
    let express = || {
        std::path::Path::new(PEERS)
            .join("node_modules/express")
            .is_dir()
    };
    let present = |ok: bool, what: &str| {
        assert!(
            ok || std::env::var("CI").as_deref() != Ok("true"),
            "{what} is required in CI but is missing"
        );
        if !ok {
            eprintln!("SKIPPED: {what} is missing");
        }
        ok
    };
    ["chromium", "curl", "node", testing::NGINX, PYTHON]
        .iter()
        .all(|program| testing::require(program))
        && present(aiohttp(), "python3-aiohttp")
        && present(
            express(),
            "tests/peers/node_modules (npm ci --prefix tests/peers)",
        )
}

/// A fresh directory for a program's files, removed with it.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("flusher-browser-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A program this test started: stopped, and its scratch directory
/// removed, when the test ends, passed or failed. Left running, it would
/// outlive the test.
struct Running {
    child: Child,
    scratch: Option<PathBuf>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Chromium's helpers outlive it by a moment, and may write in its
        // profile meanwhile: try again until the directory is gone.
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Some(dir) = &self.scratch
            && fs::remove_dir_all(dir).is_err()
            && dir.exists()
            && Instant::now() < deadline
        {
            thread::sleep(Duration::from_millis(50));
        }
    }
}
