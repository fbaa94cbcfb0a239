//! `cargo xtask overhead`: the bytes of framing each message costs on the
//! wire, with plain chunks (lesson 05), server-sent events (lesson 09) and
//! WebSocket frames (lesson 10): counted from real exchanges on loopback,
//! not from the specifications.
//!
//! For each, [`N`] messages go over one connection; the framing is the
//! bytes on the wire after the head, minus the messages' own bytes,
//! divided by `N`. For WebSocket frames that is each frame's header, as
//! the inspector, the client here, records it. Writes
//! `compare/overhead.txt`.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use inspector::capture::{self, Live};
use inspector::session::{Record, Session};
use inspector::target::Target;
use inspector::ws::Opcode;

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

/// Lesson 10's echo: `N` text messages of `size` bytes out, `N` back,
/// one at a time (all at once, neither side would read while it writes),
/// with the inspector as the client. Returns the framing per message each
/// way, from the headers it sent and read: server to client, client to
/// server.
fn ws_overhead(addr: SocketAddr, size: usize) -> Result<(f64, f64)> {
    let request = format!("ws://{addr}/ws")
        .parse::<Target>()?
        .request(&inspector::target::Request::default());
    let message = "x".repeat(size);
    let mut session =
        Session::for_request(&request, 0).sending(vec![message.clone()]);
    let mut live = Live::connect(addr, &request)?;
    let mut headers = Headers::default();
    for n in 1..=N {
        // Reads until the echo of the message just sent is in.
        while headers.echoes < n {
            live.step(&mut session, None, &mut |r| headers.count(r))?;
            if session.is_done() {
                return Err(format!("{size}-byte echo {n}: closed").into());
            }
        }
        if n < N {
            session
                .send_text(live.elapsed(), &message, &mut |r| headers.count(r));
        }
    }
    live.run(session, Some(Duration::ZERO))?;
    let per = |bytes: usize| bytes as f64 / N as f64;
    Ok((per(headers.received), per(headers.sent)))
}

/// The header bytes of the echoes and of the messages, as the inspector
/// records them.
#[derive(Debug, Default)]
struct Headers {
    greeted: bool,
    echoes: usize,
    received: usize,
    sent: usize,
}

impl Headers {
    fn count(&mut self, record: Record) {
        let Record::WsFrame {
            direction,
            opcode: Opcode::Text,
            header_bytes,
            ..
        } = record
        else {
            return;
        };
        let header_bytes = usize::from(header_bytes);
        match direction {
            // The server's first frame is its greeting, not an echo.
            "server" if !self.greeted => self.greeted = true,
            "server" => {
                self.echoes += 1;
                self.received += header_bytes;
            }
            _ => self.sent += header_bytes,
        }
    }
}
