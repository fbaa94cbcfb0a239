//! `cargo xtask bench-capture`: `inspector --json` against curl, capturing
//! the same streams on loopback, side by side in one run. The table goes to
//! stdout and to `book/src/generated/bench-capture.txt`, which the
//! benchmark appendix includes.
//!
//! Six streams, each of 1 GiB of content (`--gib`) in 16 KiB pieces,
//! served from memory by servers in this process:
//! - `/identity`: the chunks as they are, every byte an `x`: nothing that
//!   JSON must escape.
//! - `/gzip`: HTML-like text, one gzip member made once before the rounds
//!   (`Content-Encoding: gzip`), as a compressing server sends a page.
//! - `/bomb`: 1 GiB of zeros gzip-coded, about 1 MiB on the wire: a
//!   decompression bomb, which must cost time, never memory.
//! - `https`: `/identity` over TLS, HTTP/1.1 chosen by ALPN: the chunks
//!   now travel in TLS records of at most 16 KiB, each to decrypt.
//! - `h2`: `/identity` over HTTP/2 over TLS, ALPN h2, as a browser gets
//!   it: DATA frames of 16 KiB, paced by the client's flow-control windows.
//! - `h2c`: the same HTTP/2 in clear, with prior knowledge: HTTP/2's
//!   framing and flow control without TLS's cost.
//!
//! Each round runs every client once, in turn, starting one further along
//! each round, so that a warming cache or a busy moment does not always
//! favour the same one. The table shows each client's median time.
//!
//! Peak memory is read from `/proc/PID/status` (`VmHWM`, the high-water
//! mark of resident memory) every few milliseconds while each client
//! runs: Linux only, and exact but for a peak in the last milliseconds.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use crate::Result;
use crate::bench_tls::{self, Tls};

const CHUNK: usize = 16 * 1024;
/// The server writes 1 MiB at a time: 64 chunks of the identity stream.
const WRITE: usize = 64 * CHUNK;
/// The inspector's peak resident memory must stay under this, on every
/// stream, whatever its length.
const RSS_LIMIT_MIB: f64 = 64.0;

/// A response a server sends, and how: its head and its body.
struct Stream {
    /// What the table calls it.
    name: &'static str,
    path: &'static str,
    via: Via,
    /// What the table says of it.
    about: String,
    /// Bytes of content, decoded.
    content: u64,
    body: Body,
}

enum Body {
    /// `content` bytes of `x`, in chunks of `CHUNK`, made as they are sent.
    Identity,
    /// A gzip member, chunked already.
    Gzip(Vec<u8>),
}

/// The protocols under a response: each is a server of its own.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    /// HTTP/1.1 in clear.
    Http,
    /// HTTP/1.1 over TLS, chosen by ALPN.
    Https,
    /// HTTP/2 over TLS, chosen by ALPN, as browsers reach it.
    H2,
    /// HTTP/2 in clear, with prior knowledge (h2c): the framing without
    /// TLS, to tell HTTP/2's cost from TLS's.
    H2c,
}

impl Via {
    fn scheme(self) -> &'static str {
        match self {
            Via::Http | Via::H2c => "http",
            Via::Https | Via::H2 => "https",
        }
    }

    /// The flags curl and the inspector both take to use it. `-k`: the
    /// certificate is self-signed, made at start.
    fn flags(self) -> &'static [&'static str] {
        match self {
            Via::Http => &[],
            Via::Https => &["-k"],
            Via::H2 => &["-k", "--http2"],
            Via::H2c => &["--http2-prior-knowledge"],
        }
    }
}

/// A client run against a stream.
struct Client {
    stream: usize,
    name: String,
    argv: Vec<String>,
    /// The inspector, compared with curl on the same stream; or curl.
    inspector: bool,
    /// The least ratio to curl the issue asks of it, if any.
    target: Option<f64>,
}

/// One run of one client: its wall time and peak resident KiB.
type Run = (Duration, u64);

pub fn capture(root: &Path, gib: u64, rounds: usize) -> Result {
    if rounds == 0 || gib == 0 {
        return Err("--rounds and --gib must be at least 1".into());
    }
    let status =
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "-q", "-p", "inspector"])
            .current_dir(root)
            .status()?;
    if !status.success() {
        return Err("cannot build the inspector".into());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), |dir| root.join(dir));
    let inspector = target.join("release/inspector").display().to_string();
    let load_before = load();

    let bytes = gib << 30;
    eprintln!(
        "making the gzip bodies: {gib} GiB of text, {gib} GiB of zeros \
         (about 20 s a GiB)"
    );
    let text = gzip_stream(&mut Text::new(), bytes, Compression::default())?;
    let zeros = gzip_stream(&mut Zeros, bytes, Compression::best())?;
    let frames = bytes / CHUNK as u64;
    let streams: Arc<[Stream]> = Arc::new([
        Stream {
            name: "/identity",
            path: "/identity",
            via: Via::Http,
            about: format!(
                "{gib} GiB of `x` (nothing to escape in JSON) in {} chunks \
                 of 16 KiB",
                bytes / CHUNK as u64
            ),
            content: bytes,
            body: Body::Identity,
        },
        Stream {
            name: "/gzip",
            path: "/gzip",
            via: Via::Http,
            about: format!(
                "{gib} GiB of HTML-like text, gzip level 6: {:.1} MiB on the \
                 wire ({:.1}x)",
                mib(text.len()),
                bytes as f64 / text.len() as f64
            ),
            content: bytes,
            body: Body::Gzip(text),
        },
        Stream {
            name: "/bomb",
            path: "/bomb",
            via: Via::Http,
            about: format!(
                "{gib} GiB of zeros, gzip level 9: {:.1} MiB on the wire",
                mib(zeros.len())
            ),
            content: bytes,
            body: Body::Gzip(zeros),
        },
        Stream {
            name: "https",
            path: "/identity",
            via: Via::Https,
            about: "/identity over TLS (ALPN http/1.1): the chunks cut into \
                    records of at most 16 KiB"
                .into(),
            content: bytes,
            body: Body::Identity,
        },
        Stream {
            name: "h2",
            path: "/identity",
            via: Via::H2,
            about: format!(
                "/identity's content over HTTP/2 over TLS (ALPN h2): {frames} \
                 DATA frames of 16 KiB"
            ),
            content: bytes,
            body: Body::Identity,
        },
        Stream {
            name: "h2c",
            path: "/identity",
            via: Via::H2c,
            about: "the same HTTP/2 in clear, with prior knowledge: no TLS"
                .into(),
            content: bytes,
            body: Body::Identity,
        },
    ]);
    let tls = Tls::new()?;
    let http = serve(Arc::clone(&streams), None)?;
    let https = serve(Arc::clone(&streams), Some(tls.https))?;
    let (h2, h2c) = bench_tls::serve_h2(tls.h2, bytes)?;
    let url = |s: usize| {
        let stream = &streams[s];
        let addr = match stream.via {
            Via::Http => http,
            Via::Https => https,
            Via::H2 => h2,
            Via::H2c => h2c,
        };
        format!("{}://{addr}{}", stream.via.scheme(), stream.path)
    };
    let curl = |s: usize, compressed: bool| {
        let mut argv = vec!["curl".to_owned()];
        if compressed {
            argv.push("--compressed".into());
        }
        argv.extend(streams[s].via.flags().iter().map(|f| f.to_string()));
        argv.extend(["-s", "-o", "/dev/null"].map(String::from));
        let name = argv[..].join(" ");
        argv.push(url(s));
        Client {
            stream: s,
            name,
            argv,
            inspector: false,
            target: None,
        }
    };
    let ours = |s: usize, args: &[&str], target| {
        let mut argv = vec![inspector.clone()];
        argv.extend(args.iter().map(|a| a.to_string()));
        argv.extend(streams[s].via.flags().iter().map(|f| f.to_string()));
        let name = argv[1..].join(" ");
        let name = format!("inspector {name}");
        argv.push(url(s));
        Client {
            stream: s,
            name,
            argv,
            inspector: true,
            target,
        }
    };
    // The targets: the capture itself (no data printed) as fast
    // as curl, plain or gzip-coded; with the default 4 KiB of each chunk
    // printed, twice (text and hex), half as fast; and the capture as
    // fast as curl over TLS and over HTTP/2.
    let no_data = ["--json", "--max-data", "0"];
    let clients = [
        curl(0, false),
        ours(0, &no_data, Some(1.0)),
        ours(0, &["--json"], Some(0.5)),
        curl(1, true),
        ours(1, &no_data, Some(1.0)),
        curl(2, true),
        ours(2, &no_data, None),
        curl(3, false),
        ours(3, &no_data, Some(1.0)),
        curl(4, false),
        ours(4, &no_data, Some(1.0)),
        curl(5, false),
        ours(5, &no_data, Some(1.0)),
    ];

    // Once each before the rounds: a warm-up, and a check that the
    // inspector decodes every stream to its end, every byte of content.
    for (s, stream) in streams.iter().enumerate() {
        check(&inspector, stream.via, &url(s), stream.content)?;
    }

    let width = clients.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut runs: Vec<Vec<Run>> = vec![Vec::new(); clients.len()];
    for round in 0..rounds {
        for i in 0..clients.len() {
            let k = (i + round) % clients.len();
            let run = measure(&clients[k].argv)?;
            eprintln!(
                "round {}/{rounds} {:<9} {:<width$} {:>6.2} s {:>7.1} MiB",
                round + 1,
                streams[clients[k].stream].name,
                clients[k].name,
                run.0.as_secs_f64(),
                run.1 as f64 / 1024.0,
            );
            runs[k].push(run);
        }
    }

    let loads = [load_before, load()];
    let (table, rss_ok) = table(rounds, &loads, &streams, &clients, &runs);
    print!("{table}");
    fs::write(root.join("book/src/generated/bench-capture.txt"), table)?;
    match rss_ok {
        true => Ok(()),
        false => Err(format!(
            "the inspector's peak RSS reached {RSS_LIMIT_MIB} MiB"
        )
        .into()),
    }
}

fn table(
    rounds: usize,
    loads: &[String; 2],
    streams: &[Stream],
    clients: &[Client],
    runs: &[Vec<Run>],
) -> (String, bool) {
    let mut out = format!(
        "$ cargo xtask bench-capture --rounds {rounds}\n\
         {} cores; each client's output to /dev/null; the median of {rounds} \
         rounds shown,\n\
         the clients taking turns, in an order rotated every round\n\
         load average (1 min): {} before the run, {} after it\n\n",
        thread::available_parallelism().map_or(0, |n| n.get()),
        loads[0],
        loads[1],
    );
    for stream in streams {
        let _ = writeln!(out, "{:<9} {}", stream.name, stream.about);
    }
    // The longest command sets the client column.
    let width = clients.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let _ = writeln!(
        out,
        "\n{:<9} {:<width$} {:>8} {:>6} {:>9} {:>7}  target",
        "stream", "client", "time (s)", "GiB/s", "peak RSS", "vs curl",
    );
    let medians: Vec<f64> = runs.iter().map(|r| median(r)).collect();
    let mut rss_ok = true;
    let mut largest_rss: f64 = 0.0;
    for (k, client) in clients.iter().enumerate() {
        let stream = &streams[client.stream];
        let time = medians[k];
        let rss = runs[k].iter().map(|(_, kib)| *kib).max().unwrap_or(0) as f64
            / 1024.0;
        if client.inspector {
            rss_ok &= rss < RSS_LIMIT_MIB;
            largest_rss = largest_rss.max(rss);
        }
        // curl's median on the same stream over this client's.
        let curl = clients
            .iter()
            .position(|c| c.stream == client.stream && !c.inspector)
            .filter(|_| client.inspector);
        let (ratio, target) = match curl {
            Some(curl) => {
                let ratio = medians[curl] / time;
                let target = client.target.map_or_else(String::new, |t| {
                    let verdict = if ratio >= t { "met" } else { "MISSED" };
                    format!(">= {t:.2}x {verdict}")
                });
                (format!("{ratio:.2}x"), target)
            }
            None => (String::new(), String::new()),
        };
        let _ = writeln!(
            out,
            "{:<9} {:<width$} {time:>8.2} {:>6.2} {:>5.1} MiB {ratio:>7}  \
             {target}",
            stream.name,
            client.name,
            stream.content as f64 / (1u64 << 30) as f64 / time,
            rss,
        );
    }
    let _ = writeln!(
        out,
        "\ninspector's peak RSS on every stream, the bomb included: \
         {largest_rss:.1} MiB, target < {RSS_LIMIT_MIB} MiB {}",
        if rss_ok { "met" } else { "MISSED" },
    );
    out += "\nGiB/s counts content: the bytes after decoding the gzip. \
            \"vs curl\" is curl's median time\n\
            over the client's, on the same stream: 1.00x or more is at \
            least as fast as curl.\nEach round's times, in seconds:\n";
    for (client, runs) in clients.iter().zip(runs) {
        let each: Vec<String> = runs
            .iter()
            .map(|(t, _)| format!("{:.2}", t.as_secs_f64()))
            .collect();
        let _ = writeln!(
            out,
            "  {:<9} {:<width$} {}",
            streams[client.stream].name,
            client.name,
            each.join(" ")
        );
    }
    (out, rss_ok)
}

/// The median time in seconds (the lower middle for even counts).
fn median(runs: &[Run]) -> f64 {
    let mut times: Vec<f64> =
        runs.iter().map(|(t, _)| t.as_secs_f64()).collect();
    times.sort_by(f64::total_cmp);
    times[(times.len() - 1) / 2]
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

/// Runs a client to completion: its wall time and peak resident KiB.
/// The time ends when `wait` returns, not at the next look at `/proc`.
fn measure(argv: &[String]) -> Result<Run> {
    let start = Instant::now();
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdout(Stdio::null())
        .spawn()?;
    let status_file = format!("/proc/{}/status", child.id());
    let done = Arc::new(AtomicBool::new(false));
    let watcher = thread::spawn({
        let done = Arc::clone(&done);
        move || {
            let mut peak = 0;
            while !done.load(Ordering::Relaxed) {
                if let Ok(text) = fs::read_to_string(&status_file) {
                    peak = peak.max(vm_hwm_kib(&text));
                }
                thread::sleep(Duration::from_millis(5));
            }
            peak
        }
    });
    let status = child.wait()?;
    let elapsed = start.elapsed();
    done.store(true, Ordering::Relaxed);
    let peak = watcher.join().map_err(|_| "the RSS watcher panicked")?;
    if !status.success() {
        return Err(format!("{} failed: {status}", argv.join(" ")).into());
    }
    Ok((elapsed, peak))
}

fn vm_hwm_kib(status: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Runs `inspector --json --max-data 0` on `url` and checks that it read
/// the response to its end, and all `content` bytes of it. Over HTTP/2,
/// also that HTTP/2 it was, and that the DATA frames carried every byte.
fn check(inspector: &str, via: Via, url: &str, content: u64) -> Result {
    let output = Command::new(inspector)
        .args(["--json", "--max-data", "0"])
        .args(via.flags())
        .arg(url)
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let last = |kind: &str| {
        let start = format!("{{\"type\":\"{kind}\"");
        text.lines()
            .rev()
            .find(|l| l.starts_with(&start))
            .unwrap_or("")
    };
    let mut whole =
        last("verdict").contains(&format!("\"content_bytes\":{content},"));
    if matches!(via, Via::H2 | Via::H2c) {
        whole &= last("end").contains(&format!("\"body_bytes\":{content}"))
            && last("h2_frame").contains("\"frame\":\"DATA\"");
    }
    if !output.status.success() || !whole {
        return Err(format!(
            "inspector {url}: expected a complete response of {content} \
             content bytes; it ended with: {}",
            text.lines().last().unwrap_or_default()
        )
        .into());
    }
    Ok(())
}

/// The load average over the last minute: anything else running on two
/// cores shows in the figures.
fn load() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split(' ').next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// `bytes` of content from `source`, gzip-coded at `level`, in one member,
/// then chunked: the body as the server sends it.
fn gzip_stream(
    source: &mut dyn Source,
    bytes: u64,
    level: Compression,
) -> Result<Vec<u8>> {
    let mut gzip = GzEncoder::new(Vec::new(), level);
    let mut block = Vec::with_capacity(WRITE + 256);
    let mut left = bytes;
    while left > 0 {
        block.clear();
        source.fill(&mut block, WRITE);
        let take = block.len().min(usize::try_from(left).unwrap_or(WRITE));
        gzip.write_all(&block[..take])?;
        left -= take as u64;
    }
    let coded = gzip.finish()?;
    let mut body = Vec::with_capacity(coded.len() + coded.len() / 1000 + 16);
    for chunk in coded.chunks(CHUNK) {
        body.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(chunk);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    Ok(body)
}

/// Content for a gzip body, made a block at a time.
trait Source {
    /// Appends at least `at_least` bytes to `block`.
    fn fill(&mut self, block: &mut Vec<u8>, at_least: usize);
}

struct Zeros;

impl Source for Zeros {
    fn fill(&mut self, block: &mut Vec<u8>, at_least: usize) {
        block.resize(block.len() + at_least, 0);
    }
}

/// Lines of a long HTML list: markup that repeats, a counter, and words
/// and prices drawn by a small PRNG (xorshift64), so that gzip finds about
/// what it finds in a real page, 7 to 8x at level 6, and not the 1000x of
/// a run of one byte.
struct Text {
    line: u64,
    state: u64,
}

const WORDS: [&str; 64] = [
    "stream", "flush", "chunk", "socket", "buffer", "header", "request",
    "response", "server", "client", "latency", "render", "module", "weather",
    "comments", "shell", "template", "script", "swap", "browser", "proxy",
    "gzip", "deflate", "frame", "event", "reader", "writer", "tokio", "hyper",
    "thread", "queue", "deadline", "timeout", "retry", "cache", "cookie",
    "session", "origin", "status", "body", "trailer", "length", "content",
    "encoding", "transfer", "charset", "nginx", "upstream", "window", "cursor",
    "signal", "token", "route", "handler", "layout", "widget", "table",
    "column", "row", "cell", "price", "order", "title", "summary",
];

impl Text {
    fn new() -> Text {
        Text {
            line: 0,
            state: 0x9E37_79B9_7F4A_7C15,
        }
    }

    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }
}

impl Source for Text {
    fn fill(&mut self, block: &mut Vec<u8>, at_least: usize) {
        let end = block.len() + at_least;
        while block.len() < end {
            let (i, r) = (self.line, self.next());
            let word =
                |k: u32| WORDS[usize::try_from(r >> (6 * k) & 63).unwrap_or(0)];
            let _ = writeln!(
                block,
                "<li class=\"item\" id=\"item-{i}\"><a href=\"/items/{i}\">\
                 {} {} {}</a> <span class=\"price\">{}.{:02}</span> \
                 <em>{}</em></li>",
                word(0),
                word(1),
                word(2),
                (r >> 40) % 1000,
                (r >> 50) % 100,
                word(3),
            );
            self.line += 1;
        }
    }
}

/// A server that answers each request with the stream its path names, as
/// fast as it can, 1 MiB a write; over TLS if given a configuration.
/// The https, h2 and h2c streams are `/identity`'s response: the first
/// stream of a path is the one served.
fn serve(
    streams: Arc<[Stream]>,
    tls: Option<Arc<ServerConfig>>,
) -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let frame =
        [format!("{CHUNK:x}\r\n").as_bytes(), &[b'x'; CHUNK], b"\r\n"].concat();
    let identity: Arc<[u8]> = frame.repeat(WRITE / CHUNK).into();
    thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let identity = Arc::clone(&identity);
            let streams = Arc::clone(&streams);
            let tls = tls.clone();
            // A thread per connection, blocking: the clients come one at
            // a time, and the kernel's copy is what is measured.
            thread::spawn(move || {
                // The last write is small (the last chunk, or its TLS
                // record): Nagle would hold it for the client's ACK.
                let _ = tcp.set_nodelay(true);
                let _ = match tls {
                    None => respond(&mut &tcp, &streams, &identity),
                    Some(config) => {
                        let Ok(conn) = ServerConnection::new(config) else {
                            return;
                        };
                        let mut tls = StreamOwned::new(conn, tcp);
                        respond(&mut tls, &streams, &identity).and_then(|()| {
                            // close_notify: the response ended here, not
                            // cut off (RFC 8446 §6.1).
                            tls.conn.send_close_notify();
                            tls.flush()
                        })
                    }
                };
            });
        }
    });
    Ok(addr)
}

/// Reads a request and sends the stream its path names, or a 404.
fn respond(
    stream: &mut (impl Read + Write),
    streams: &[Stream],
    identity: &[u8],
) -> io::Result<()> {
    let mut head = [0; 4096];
    let n = stream.read(&mut head)?;
    let request = String::from_utf8_lossy(&head[..n]);
    let path = request.split(' ').nth(1).unwrap_or_default();
    let Some(asked) = streams.iter().find(|s| s.path == path) else {
        return stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    };
    match &asked.body {
        Body::Identity => send_identity(stream, identity, asked.content),
        Body::Gzip(body) => send_gzip(stream, body),
    }
}

fn send_identity(
    stream: &mut impl Write,
    block: &[u8],
    content: u64,
) -> io::Result<()> {
    stream
        .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")?;
    for _ in 0..content / WRITE as u64 {
        stream.write_all(block)?;
    }
    stream.write_all(b"0\r\n\r\n")
}

fn send_gzip(stream: &mut impl Write, body: &[u8]) -> io::Result<()> {
    stream.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\
          Transfer-Encoding: chunked\r\n\r\n",
    )?;
    for piece in body.chunks(WRITE) {
        stream.write_all(piece)?;
    }
    Ok(())
}
