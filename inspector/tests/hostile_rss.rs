//! Peak memory of the headless inspector against hostile servers: each
//! sends 1 GiB of one kind of input that could make a buffer grow, as
//! fast as it can, on a real socket. The session decodes it and every
//! record is written as JSON to nowhere, as `--json > /dev/null` does.
//!
//! ```text
//! cargo test --release -p inspector --test hostile_rss -- --ignored --nocapture
//! ```
//!
//! Target: each kind under 64 MiB of peak RSS (VmHWM, reset before each
//! by Linux's `/proc/self/clear_refs`). It is a measurement, not a timed
//! test: ignored by default, it prints its figures, and fails only past
//! the target.

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;
use inspector::session::Session;
use inspector::ws::accept_key;

const GIB: usize = 1024 * 1024 * 1024;
const PIECE: usize = 64 * 1024;
const TARGET_KIB: u64 = 64 * 1024;
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// What a hostile server sends: its head, then a body made piece by
/// piece, then its tail.
struct Hostile {
    name: &'static str,
    head: String,
    /// The `i`th piece of the body, or none when it is all sent.
    piece: Box<dyn FnMut(usize) -> Option<Vec<u8>> + Send>,
    tail: Vec<u8>,
}

fn sse_head(extra: &str) -> String {
    format!("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n{extra}\r\n")
}

/// 1 GiB of `fill`, in pieces, after `first`.
fn gib_of(
    first: &[u8],
    fill: &[u8],
) -> Box<dyn FnMut(usize) -> Option<Vec<u8>> + Send> {
    let first = first.to_vec();
    let piece = fill.repeat(PIECE / fill.len());
    Box::new(move |i| match i {
        0 => Some(first.clone()),
        i if (i - 1) * piece.len() < GIB => Some(piece.clone()),
        _ => None,
    })
}

fn kinds() -> Vec<Hostile> {
    let chunk = format!("{GIB:x}\r\n");
    let events = b"data: x\n\n".repeat(PIECE / 9);
    let chunk_events = format!("{:x}\r\n", GIB / PIECE * events.len());
    // A text message of 1 GiB, in frames of 64 KiB: a text frame without
    // FIN, continuations, and an empty continuation with FIN.
    let mut frame = vec![0x00, 127];
    frame.extend((PIECE as u64).to_be_bytes());
    frame.extend(vec![b'x'; PIECE]);
    let ws_first = vec![0x01, 0x00];
    // gzip of one SSE line of 1 GiB, made before the peak is reset.
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(b"data: ").unwrap();
    let xs = vec![b'x'; PIECE];
    for _ in 0..GIB / PIECE {
        gz.write_all(&xs).unwrap();
    }
    let bomb = gz.finish().unwrap();
    vec![
        Hostile {
            name: "SSE line without a line feed",
            head: sse_head("Connection: close\r\n"),
            piece: gib_of(b"data: ", b"x"),
            tail: Vec::new(),
        },
        Hostile {
            name: "SSE events in one chunk",
            head: sse_head("Transfer-Encoding: chunked\r\n"),
            piece: Box::new(move |i| match i {
                0 => Some(chunk_events.clone().into_bytes()),
                i if i <= GIB / PIECE => Some(events.clone()),
                _ => None,
            }),
            tail: b"\r\n0\r\n\r\n".to_vec(),
        },
        Hostile {
            name: "one chunk of 1 GiB",
            head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                .into(),
            piece: gib_of(chunk.as_bytes(), b"x"),
            tail: b"\r\n0\r\n\r\n".to_vec(),
        },
        Hostile {
            name: "WebSocket message of 1 GiB",
            head: format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
                accept_key(KEY)
            ),
            piece: Box::new(move |i| match i {
                0 => Some(ws_first.clone()),
                i if i <= GIB / PIECE => Some(frame.clone()),
                _ => None,
            }),
            tail: b"\x80\x00\x88\x02\x03\xe8".to_vec(),
        },
        Hostile {
            name: "gzip bomb: 1 GiB SSE line",
            head: sse_head("Content-Encoding: gzip\r\nConnection: close\r\n"),
            piece: Box::new(move |i| (i == 0).then(|| bomb.clone())),
            tail: Vec::new(),
        },
    ]
}

/// Serves `hostile` once on 127.0.0.1:0; returns its address.
fn serve(mut hostile: Hostile) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut request = [0; 4096];
        let _ = socket.read(&mut request);
        let _ = socket.write_all(hostile.head.as_bytes());
        let mut i = 0;
        while let Some(piece) = (hostile.piece)(i) {
            if socket.write_all(&piece).is_err() {
                return; // the inspector gave up: fine
            }
            i += 1;
        }
        let _ = socket.write_all(&hostile.tail);
    });
    addr
}

/// Reads the response as the headless inspector does; returns the bytes
/// read and the records made.
fn inspect(addr: std::net::SocketAddr) -> (u64, u64) {
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    );
    let mut socket = TcpStream::connect(addr).unwrap();
    socket.write_all(request.as_bytes()).unwrap();
    let mut session = Session::for_request(request.as_bytes(), 4096);
    let start = Instant::now();
    let (mut read, mut records) = (0, 0);
    let mut emit = |record| {
        serde_json::to_writer(std::io::sink(), &record).unwrap();
        records += 1;
    };
    let mut buf = vec![0; PIECE];
    loop {
        let n = socket.read(&mut buf).unwrap_or(0);
        if n == 0 {
            session.eof(start.elapsed(), &mut emit);
            break;
        }
        read += n as u64;
        session.read(start.elapsed(), &buf[..n], &mut emit);
        if session.is_done() {
            break;
        }
    }
    (read, records)
}

/// The process's peak resident set since the last reset, in KiB.
fn peak_kib() -> u64 {
    fs::read_to_string("/proc/self/status")
        .expect("Linux: /proc/self/status")
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmHWM line")
}

#[test]
#[ignore = "a measurement: 1 GiB of each hostile kind; run with --release"]
fn one_gib_of_each_hostile_kind_stays_under_64_mib() {
    let mut over = Vec::new();
    for hostile in kinds() {
        let name = hostile.name;
        let addr = serve(hostile);
        thread::sleep(Duration::from_millis(10));
        fs::write("/proc/self/clear_refs", "5").expect("Linux: clear_refs");
        let start = Instant::now();
        let (read, records) = inspect(addr);
        let peak = peak_kib();
        println!(
            "{name:<30} {:>6.2} GiB read, {records:>5} records: \
             peak RSS {peak:>7} KiB, {:.1} s",
            read as f64 / GIB as f64,
            start.elapsed().as_secs_f64()
        );
        if peak >= TARGET_KIB {
            over.push(name);
        }
    }
    assert!(over.is_empty(), "over {TARGET_KIB} KiB: {over:?}");
}
