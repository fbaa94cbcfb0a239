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

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use flusher::devtools::{Chromium, Running, scratch};
use inspector::capture::Live;
use inspector::session::{Record, Session};
use inspector::target::{Request, Target};
use inspector::verdict::{Pattern, Verdict};
use lesson_01_raw_tcp::{server, testing};

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
    let chromium = Chromium::start().unwrap();
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
        let browser = chromium.load(&url).unwrap().verdict();
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
    let nginx =
        testing::Nginx::start(scratch("nginx").unwrap(), &servers, &[port]);
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
