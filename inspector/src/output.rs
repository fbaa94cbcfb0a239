//! The headless outputs: `--json` (one record per line, the contract) and
//! `--plain` (aligned lines for people).

use std::io::{self, Write};

use crate::session::{Chunk, Content, Record};
use crate::ws::Opcode;

/// Where records go.
pub trait Output {
    /// The request, as written, before any record: `--plain` shows its
    /// head, as curl -v does; `--json` leaves it out.
    fn request(&mut self, _request: &[u8]) -> io::Result<()> {
        Ok(())
    }

    /// With `--repeat`: the records from here on are exchange `n`'s
    /// (from 1), on the connection the first one made.
    fn exchange(&mut self, _n: u64) -> io::Result<()> {
        Ok(())
    }

    fn record(&mut self, record: &Record) -> io::Result<()>;

    /// Pushes out what is buffered: called after every read, since this
    /// is a live view.
    fn flush(&mut self) -> io::Result<()>;
}

/// `--json`: each record as one line of JSON, as serde_json writes it
/// (by [`crate::json::write_line`], which is faster on chunks and reads).
/// With `--repeat`, each tagged with its `exchange`, as the proxy's are.
#[derive(Debug)]
pub struct Json<W> {
    out: W,
    exchange: Option<u64>,
}

impl<W: Write> Json<W> {
    pub fn new(out: W) -> Self {
        Json {
            out,
            exchange: None,
        }
    }
}

impl<W: Write> Output for Json<W> {
    fn exchange(&mut self, n: u64) -> io::Result<()> {
        self.exchange = Some(n);
        Ok(())
    }

    fn record(&mut self, record: &Record) -> io::Result<()> {
        match self.exchange {
            None => crate::json::write_line(&mut self.out, record),
            Some(n) => {
                let line = crate::json::exchange_line(n, record)?;
                writeln!(self.out, "{line}")
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// `--plain`: one aligned line per record, with the time since the
/// previous chunk or read, so a stall stands out.
#[derive(Debug)]
pub struct Plain<W> {
    out: W,
    previous_ms: Option<f64>,
    /// What the body's pieces are called: chunks, or HTTP/2's DATA frames.
    pieces: &'static str,
}

impl<W: Write> Plain<W> {
    pub fn new(out: W) -> Self {
        Plain {
            out,
            previous_ms: None,
            pieces: "chunks",
        }
    }

    /// The time column and the Δ column for an arrival at `t_ms`.
    fn times(&mut self, t_ms: f64) -> String {
        let delta = match self.previous_ms.replace(t_ms) {
            Some(previous) => format!("{:+10.1}", t_ms - previous),
            None => " ".repeat(10),
        };
        format!("{t_ms:>10.1} {delta}")
    }
}

impl<W: Write> Output for Plain<W> {
    /// A line between exchanges; each one's times start from its own
    /// request.
    fn exchange(&mut self, n: u64) -> io::Result<()> {
        self.previous_ms = None;
        match n {
            1 => writeln!(self.out, "{:21} exchange 1: a new connection", ""),
            n => writeln!(
                self.out,
                "\n{:21} exchange {n}: the same connection, kept alive",
                ""
            ),
        }
    }

    fn request(&mut self, request: &[u8]) -> io::Result<()> {
        let text = String::from_utf8_lossy(request);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        for line in head.lines() {
            writeln!(self.out, "{:21} > {line}", "")?;
        }
        if !body.is_empty() {
            writeln!(self.out, "{:21} > {}", "", preview(body, 60))?;
        }
        Ok(())
    }

    fn record(&mut self, record: &Record) -> io::Result<()> {
        let line = match record {
            Record::Head {
                t_ms,
                status,
                reason,
                version,
                headers,
                framing,
                bytes,
                connection,
                notes,
            } => {
                if version == "HTTP/2" {
                    self.pieces = "DATA frames";
                }
                let mut line = format!(
                    "{:>10.1} {:10} {version} {status} {reason}  framing: {framing}, \
                     head {bytes} bytes\n",
                    t_ms, ""
                );
                if let Some(connection) = connection {
                    for said in connection.describe() {
                        line += &format!("{:21} {said}\n", "");
                    }
                }
                for [name, value] in headers {
                    line += &format!("{:21} {name}: {value}\n", "");
                }
                for note in notes {
                    line += &format!("{:21} note: {note}\n", "");
                }
                line.pop();
                line
            }
            Record::Chunk(Chunk {
                index,
                t_ms,
                size_line,
                size,
                data,
                reads,
                last,
                content,
                ..
            }) => {
                let label = match last {
                    true => "last-chunk".to_owned(),
                    false => format!("chunk {index:<4}"),
                };
                format!(
                    "{} {label:<10} {:<12} {size:>8} B {reads:>3} read{}  {}",
                    self.times(*t_ms),
                    format!("{size_line:?}"),
                    if *reads == 1 { " " } else { "s" },
                    shown(data, content.as_ref()),
                )
            }
            Record::Data {
                t_ms,
                len,
                data,
                content,
                ..
            } => {
                format!(
                    "{} data  {len:>8} B  {}",
                    self.times(*t_ms),
                    shown(data, content.as_ref())
                )
            }
            Record::Event {
                t_ms,
                id,
                event,
                data,
                chunks,
                ..
            } => {
                let carried = match chunks {
                    Some([first, last]) if first == last => {
                        format!("chunk {first}")
                    }
                    Some([first, last]) => format!("chunks {first}-{last}"),
                    None => String::new(),
                };
                format!(
                    "{} event {event:<10} id {id:<6} {carried:<12} {}",
                    self.times(*t_ms),
                    preview(data, 40)
                )
            }
            Record::Verdict(verdict) => {
                let mut line =
                    format!("{:21} verdict: {}", "", verdict.pattern.name());
                line += &format!("\n{:21} {}", "", verdict.sentence());
                for clue in &verdict.clues {
                    line += &format!(
                        "\n{:21} clue {}: {}",
                        "", clue.code, clue.message
                    );
                }
                line
            }
            Record::Trailers { headers, notes } => {
                let fields: Vec<String> =
                    headers.iter().map(|[n, v]| format!("{n}: {v}")).collect();
                let mut line =
                    format!("{:21} trailers: {}", "", fields.join(", "));
                for note in notes {
                    line += &format!("\n{:21} note: {note}", "");
                }
                line
            }
            Record::WsFrame {
                t_ms,
                direction,
                fin,
                opcode,
                mask_key,
                len,
                data,
                data_hex,
                close_code,
                close_reason,
                ..
            } => {
                let shown = match (opcode, close_code) {
                    (_, Some(code)) => format!(
                        "{code} {}",
                        preview(
                            close_reason.as_deref().unwrap_or_default(),
                            34
                        )
                    ),
                    (Opcode::Binary, _) => preview(data_hex, 40),
                    _ => preview(data, 40),
                };
                let opcode = opcode.name();
                let mask = match mask_key {
                    Some(key) => format!("mask {key}"),
                    None => String::new(),
                };
                format!(
                    "{} {direction:<6} {opcode:<12} {:<3} {len:>8} B  {mask:<13}  {shown}",
                    self.times(*t_ms),
                    if *fin { "FIN" } else { "" },
                )
            }
            Record::H2Frame(f) => {
                let mut said = Vec::new();
                if f.end_stream == Some(true) {
                    said.push("END_STREAM".to_owned());
                }
                if let Some(i) = f.increment {
                    said.push(format!("+{i}"));
                }
                if let Some(code) = &f.error_code {
                    said.push(code.clone());
                }
                for (name, value) in f.settings.iter().flatten() {
                    said.push(format!("{name}={value}"));
                }
                if let Some(data) = &f.data {
                    let shown = f.content.as_ref().map_or(data, |c| &c.content);
                    said.push(preview(shown, 40));
                }
                format!(
                    "{} h2     {:<13} s{:<3} {:>7} B  {}",
                    self.times(f.t_ms),
                    f.frame,
                    f.stream,
                    f.len,
                    said.join(" ")
                )
            }
            Record::End {
                t_ms,
                frames: Some(frames),
                ..
            } => format!("{t_ms:>10.1} {:10} end: {frames} frames", ""),
            Record::End {
                t_ms,
                chunks,
                body_bytes,
                frames: None,
            } => format!(
                "{t_ms:>10.1} {:10} end: {chunks} {}, {body_bytes} body bytes",
                "", self.pieces
            ),
            Record::Error {
                t_ms,
                offset,
                message,
                ..
            } => {
                format!(
                    "{t_ms:>10.1} {:10} error at byte {offset}: {message}",
                    ""
                )
            }
        };
        writeln!(self.out, "{line}")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// What a piece shows: its data, or of a coded body what it decoded to,
/// since the coded bytes say nothing to a reader.
fn shown(data: &str, content: Option<&Content>) -> String {
    match content {
        None => preview(data, 40),
        Some(c) => format!(
            "→ {:>6} B of content  {}",
            c.content_len,
            preview(&c.content, 30)
        ),
    }
}

/// The first `width` characters of `text`, control characters escaped.
fn preview(text: &str, width: usize) -> String {
    let escaped: String = text.escape_debug().collect();
    match escaped.char_indices().nth(width) {
        Some((cut, _)) => format!("{}…", &escaped[..cut]),
        None => escaped,
    }
}
