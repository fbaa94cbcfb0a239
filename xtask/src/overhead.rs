//! `cargo xtask overhead`: the bytes of framing each message costs on the
//! wire, with plain chunks (lesson 05), server-sent events (lesson 09) and
//! WebSocket frames (lesson 10): counted from real exchanges on loopback,
//! not from the specifications.
//!
//! For each, [`N`] messages go over one connection; the framing is the
//! bytes on the wire after the head, minus the messages' own bytes,
//! divided by `N`. Writes `compare/overhead.txt`.

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};

use std::time::Duration;

use inspector::capture;
use inspector::session::{Record, Session};
use lesson_10_websocket::frame::{Opcode, encode_masked};
use lesson_10_websocket::session::GREETING;

use crate::Result;

/// Messages per exchange.
const N: usize = 100;

/// The message sizes measured, in bytes.
const SIZES: [usize; 3] = [16, 1000, 100_000];

pub fn run(root: &std::path::Path) -> Result {
    let out = root.join("book/src/generated");
    for (name, text) in files()? {
        crate::transcripts::write(&out.join(name), &text)?;
    }
    print!(
        "{}",
        std::fs::read_to_string(out.join("compare/overhead.txt"))?
    );
    Ok(())
}

pub fn files() -> Result<Vec<(String, String)>> {
    let chunked = lesson_05_tokio::spawn(lesson_05_tokio::Config::new(
        Default::default(),
    ))?;
    let sse = lesson_09_sse::spawn(Default::default())?;
    let ws = lesson_10_websocket::spawn()?;
    let mut text = format!(
        "$ cargo xtask overhead\n\
         framing bytes per message: the wire bytes after the head, less the\n\
         messages' own, over {N} messages on one connection\n\n{:<34}",
        "message size (bytes)"
    );
    for size in SIZES {
        let _ = write!(text, "{size:>9}");
    }
    text += "\n";
    let mut row =
        |name: &str, per: &mut dyn FnMut(usize) -> Result<f64>| -> Result {
            let _ = write!(text, "{name:<34}");
            for size in SIZES {
                let _ = write!(text, "{:>9.2}", per(size)?);
            }
            text += "\n";
            Ok(())
        };
    row("chunked, server to client", &mut |size| {
        chunk_overhead(chunked, size)
    })?;
    row("WebSocket, server to client", &mut |size| {
        ws_overhead(ws, size).map(|o| o.0)
    })?;
    row("WebSocket, client to server", &mut |size| {
        ws_overhead(ws, size).map(|o| o.1)
    })?;
    let (framing, data) = sse_overhead(sse)?;
    let _ = writeln!(
        text,
        "\nSSE, lesson 09's events (id, event and data fields, in chunks):\n  \
         {framing:.2} bytes of framing for {data:.2} bytes of data, per event"
    );
    Ok(vec![("compare/overhead.txt".to_owned(), text)])
}

/// Lesson 05's `/stream`: `N` chunks of `size` bytes.
fn chunk_overhead(addr: SocketAddr, size: usize) -> Result<f64> {
    let target = format!("/stream?n={N}&size={size}");
    let (body, records) = body_bytes(addr, &target)?;
    let chunks = records
        .iter()
        .filter(|r| matches!(r, Record::Chunk(c) if !c.last))
        .count();
    assert_eq!(chunks, N);
    // The last-chunk ends the body, not a message: it is not counted.
    Ok((body - 5) as f64 / N as f64 - size as f64)
}

/// Lesson 09's `/events`: `N` events, and their data.
fn sse_overhead(addr: SocketAddr) -> Result<(f64, f64)> {
    let target = format!("/events?n={N}&every=1");
    let (body, records) = body_bytes(addr, &target)?;
    let mut data = 0;
    let mut retry = 0;
    for record in &records {
        match record {
            Record::Event { data: d, .. } => data += d.len(),
            // The first chunk, `retry`, belongs to the stream, not to a
            // message.
            Record::Chunk(c) if c.index == 0 => {
                retry =
                    c.size_line.len() + 4 + usize::try_from(c.size).unwrap_or(0)
            }
            _ => {}
        }
    }
    let framing = (body - 5 - retry) as f64 / N as f64 - data as f64 / N as f64;
    Ok((framing, data as f64 / N as f64))
}

/// The body's wire bytes (all after the head) of `GET target`, as
/// captured, and the records the inspector decodes from them.
fn body_bytes(addr: SocketAddr, target: &str) -> Result<(usize, Vec<Record>)> {
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    );
    let capture = capture::fetch(addr, request.as_bytes())?;
    let mut session = Session::new("GET", 0);
    let mut records = Vec::new();
    session.read(Duration::ZERO, &capture.bytes, &mut |r| records.push(r));
    session.eof(Duration::ZERO, &mut |r| records.push(r));
    let head = records.iter().find_map(|r| match r {
        Record::Head { bytes, .. } => Some(*bytes),
        _ => None,
    });
    let head = head.ok_or_else(|| format!("GET {target}: no head"))?;
    Ok((capture.bytes.len() - head, records))
}

/// Lesson 10's echo: `N` text messages of `size` bytes out, `N` back.
/// Returns the framing per message each way: server to client, client to
/// server.
fn ws_overhead(addr: SocketAddr, size: usize) -> Result<(f64, f64)> {
    let mut client = TcpStream::connect(addr)?;
    client.set_nodelay(true)?;
    client.write_all(
        b"GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )?;
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0];
        client.read_exact(&mut byte)?;
        head.push(byte[0]);
    }
    let mut greeting = vec![0; 2 + GREETING.len()];
    client.read_exact(&mut greeting)?;
    let message = vec![b'x'; size];
    let mut sent = 0;
    let mut received = 0;
    for i in 0..N {
        let key = u32::try_from(i).unwrap_or(0).to_be_bytes();
        let frame = encode_masked(true, Opcode::Text, &message, key);
        client.write_all(&frame)?;
        sent += frame.len();
        // The echo: a header (2, 4 or 10 bytes), then the payload.
        let mut header = [0; 2];
        client.read_exact(&mut header)?;
        let extra = match header[1] & 0x7F {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let mut rest = vec![0; extra + size];
        client.read_exact(&mut rest)?;
        received += 2 + rest.len();
    }
    let per = |bytes: usize| bytes as f64 / N as f64 - size as f64;
    Ok((per(received), per(sent)))
}
