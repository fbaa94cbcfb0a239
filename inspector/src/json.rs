//! `--json`'s writer: each record as serde_json writes it, with a fast
//! path for the records there are most of.
//!
//! A stream of 16 KiB chunks makes a `chunk` record per chunk, each with
//! up to `max_data` bytes of its data twice: as text and as hex. serde_json
//! escapes a string a byte at a time, through a table, and that was most
//! of the time `inspector --json` spent on such a stream (`cargo xtask
//! bench-capture`). Yet the hex needs no escaping, ever, and text often
//! needs none either. So a `chunk` or `data` record of a body that is not
//! coded is written here by hand: a string with nothing to escape goes
//! out as it is, after one scan that the compiler vectorizes, and any
//! other string, and every number, still goes through serde_json. Every
//! other record goes through serde_json whole. The bytes are the same
//! either way; the tests below compare the two.
//!
//! Hex is made fast where it is made, in `session.rs`.

use std::io::{self, Write};

use serde::Serialize;

use crate::session::{Chunk, Record};

/// `record`'s JSON object with `"name": value` first: how `compare`
/// names a record's target, and `proxy` its exchange.
pub fn tagged(
    name: &str,
    value: &impl Serialize,
    record: &impl Serialize,
) -> io::Result<String> {
    let record = serde_json::to_string(record)?;
    let value = serde_json::to_string(value)?;
    let name = serde_json::to_string(name)?;
    Ok(format!("{{{name}:{value},{}", &record[1..]))
}

/// `record`'s JSON object as `--repeat` prints it: tagged with its
/// `exchange`, and a head after the first exchange says
/// `"connection_reused":true`, since no connection was made for it (and
/// it has no `connect_ms`).
pub fn exchange_line(exchange: u64, record: &Record) -> io::Result<String> {
    let mut line = tagged("exchange", &exchange, record)?;
    if exchange > 1 && matches!(record, Record::Head { .. }) {
        line.pop();
        line += r#","connection_reused":true}"#;
    }
    Ok(line)
}

/// Writes `record` as one line of JSON.
///
/// A `chunk` or `data` record is made whole in memory first, then written
/// at once. `--json` writes to standard output, which is line-buffered:
/// each write is searched backwards for its last line feed. A whole line
/// has it at its end; 8 KiB of hex written alone has none, and was
/// searched from end to start.
pub fn write_line<W: Write>(out: &mut W, record: &Record) -> io::Result<()> {
    let line = match record {
        Record::Chunk(chunk @ Chunk { content: None, .. }) => {
            chunk_line(chunk)?
        }
        Record::Data {
            t_ms,
            offset,
            len,
            data,
            data_hex,
            truncated,
            content: None,
        } => {
            let mut line = line_for(data, data_hex);
            let mut object = Object::start(&mut line, "data");
            object.field("t_ms", t_ms)?;
            object.field("offset", offset)?;
            object.field("len", len)?;
            object.text("data", data)?;
            object.text("data_hex", data_hex)?;
            object.field("truncated", truncated)?;
            object.end();
            line
        }
        _ => {
            serde_json::to_writer(&mut *out, record)?;
            return out.write_all(b"\n");
        }
    };
    out.write_all(&line)
}

/// A `chunk` record without content fields, as a line: its fields in the
/// order `#[derive(Serialize)]` writes them.
fn chunk_line(chunk: &Chunk) -> io::Result<Vec<u8>> {
    // Every field is named, so that a field added to `Chunk` fails to
    // compile here rather than go missing from the output.
    let Chunk {
        index,
        t_first_ms,
        t_ms,
        size_line,
        size,
        data,
        data_hex,
        reads,
        offset,
        truncated,
        last,
        content: _, // None: a chunk with content goes through serde_json
    } = chunk;
    let mut line = line_for(data, data_hex);
    let mut object = Object::start(&mut line, "chunk");
    object.field("index", index)?;
    object.field("t_first_ms", t_first_ms)?;
    object.field("t_ms", t_ms)?;
    object.text("size_line", size_line)?;
    object.field("size", size)?;
    object.text("data", data)?;
    object.text("data_hex", data_hex)?;
    object.field("reads", reads)?;
    object.field("offset", offset)?;
    object.field("truncated", truncated)?;
    object.field("last", last)?;
    object.end();
    Ok(line)
}

/// An empty line with room for a record's strings and the rest.
fn line_for(data: &str, data_hex: &str) -> Vec<u8> {
    Vec::with_capacity(data.len() + data_hex.len() + 256)
}

/// A JSON object being written into a line, `{"type":..` first, as serde
/// writes an internally tagged enum.
struct Object<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> Object<'a> {
    /// `kind` is a record's type name, which needs no escaping.
    fn start(out: &'a mut Vec<u8>, kind: &str) -> Self {
        out.extend_from_slice(b"{\"type\":\"");
        out.extend_from_slice(kind.as_bytes());
        out.push(b'"');
        Object { out }
    }

    /// A field whose value serde_json writes: a number or a bool.
    fn field(&mut self, name: &str, value: &impl Serialize) -> io::Result<()> {
        self.name(name);
        Ok(serde_json::to_writer(&mut *self.out, value)?)
    }

    /// A string field.
    fn text(&mut self, name: &str, value: &str) -> io::Result<()> {
        self.name(name);
        string(self.out, value)
    }

    /// `,"name":`. The names are the fields' own, which need no escaping.
    fn name(&mut self, name: &str) {
        self.out.extend_from_slice(b",\"");
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    /// Closes the object, and the line.
    fn end(self) {
        self.out.extend_from_slice(b"}\n");
    }
}

/// A JSON string: as it is between quotes if nothing in it needs
/// escaping, or else escaped by serde_json.
fn string(out: &mut Vec<u8>, value: &str) -> io::Result<()> {
    if needs_escape(value.as_bytes()) {
        return Ok(serde_json::to_writer(out, value)?);
    }
    out.push(b'"');
    out.extend_from_slice(value.as_bytes());
    out.push(b'"');
    Ok(())
}

/// Whether a string has a byte JSON must escape (RFC 8259 §7): a control
/// character (below 0x20), `"` or `\`. Each block of 64 bytes is folded
/// without branches, which the compiler turns into vector instructions;
/// the answer is known at the first block that has one.
fn needs_escape(bytes: &[u8]) -> bool {
    bytes.chunks(64).any(|block| {
        block.iter().fold(false, |found, &b| {
            found | (b < 0x20) | (b == b'"') | (b == b'\\')
        })
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::session::Session;

    /// What serde_json writes for `record`: the reference.
    fn serde_line(record: &Record) -> Vec<u8> {
        let mut line = serde_json::to_vec(record).unwrap();
        line.push(b'\n');
        line
    }

    fn fast_line(record: &Record) -> Vec<u8> {
        let mut line = Vec::new();
        write_line(&mut line, record).unwrap();
        line
    }

    /// Every record of a response, decoded as `--json` decodes it.
    fn records(response: &[u8], max_data: usize) -> Vec<Record> {
        let mut records = Vec::new();
        let mut session = Session::new("GET", max_data);
        let at = Duration::from_micros(1_234_567);
        session.read(at, response, &mut |r| records.push(r));
        session.eof(at, &mut |r| records.push(r));
        records
    }

    fn chunked(pieces: &[&[u8]]) -> Vec<u8> {
        let mut body = b"HTTP/1.1 200 OK\r\n\
                         Transfer-Encoding: chunked\r\n\r\n"
            .to_vec();
        for piece in pieces {
            body.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            body.extend_from_slice(piece);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"0;why=\"done\"\r\nX-T: \"q\"\r\n\r\n");
        body
    }

    /// Data that needs every kind of care: nothing, quotes and
    /// backslashes, each control character, characters of 2, 3 and 4
    /// bytes, invalid UTF-8 (replaced), a character cut at `max_data`.
    const PIECES: &[&[u8]] = &[
        b"plain text, nothing to escape: <li class=a>1</li>",
        b"\"quoted\" and back\\slashed",
        b"\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f\x7f end",
        "caf\u{e9} \u{2014} \u{1f600} \u{fffd}".as_bytes(),
        b"bad \xff\xfe utf-8 \xc3",
        b"\xe2\x82",
        b"x",
    ];

    #[test]
    fn chunk_records_are_written_as_serde_json_writes_them() {
        let mut pieces = PIECES.to_vec();
        let every_byte: Vec<u8> = (0..=255).collect();
        pieces.push(&every_byte);
        let response = chunked(&pieces);
        for max_data in [0, 1, 5, 4096] {
            let records = records(&response, max_data);
            // Every piece, the last-chunk, trailers, end and verdict.
            assert_eq!(records.len(), 1 + pieces.len() + 4);
            for record in &records {
                assert_eq!(
                    String::from_utf8(fast_line(record)).unwrap(),
                    String::from_utf8(serde_line(record)).unwrap(),
                );
            }
        }
    }

    #[test]
    fn data_records_are_written_as_serde_json_writes_them() {
        for piece in PIECES {
            let mut response = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                piece.len()
            )
            .into_bytes();
            response.extend_from_slice(piece);
            for max_data in [0, 3, 4096] {
                let records = records(&response, max_data);
                assert!(
                    records.iter().any(|r| matches!(r, Record::Data { .. }))
                );
                for record in &records {
                    assert_eq!(fast_line(record), serde_line(record));
                }
            }
        }
    }

    #[test]
    fn coded_records_go_through_serde_json() {
        // A gzip member, chunked in two (its 10-byte header alone, then
        // the rest): content fields, and a verdict at the end.
        let mut gzip = flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::default(),
        );
        gzip.write_all("hi \"there\"\n\u{e9}".as_bytes()).unwrap();
        let gzip = gzip.finish().unwrap();
        let mut response = chunked(&[&gzip[..10], &gzip[10..]]);
        let head = b"HTTP/1.1 200 OK\r\n";
        response.splice(
            head.len()..head.len(),
            b"Content-Encoding: gzip\r\n".iter().copied(),
        );
        let records = records(&response, 4096);
        let content = records.iter().filter(|r| match r {
            Record::Chunk(c) => c.content.is_some(),
            _ => false,
        });
        assert_eq!(content.count(), 2, "{records:?}");
        assert!(records.iter().any(|r| matches!(r, Record::Verdict(_))));
        for record in &records {
            assert_eq!(fast_line(record), serde_line(record));
        }
    }

    #[test]
    fn odd_numbers_are_written_as_serde_json_writes_them() {
        let records = records(&chunked(&[b"x"]), 4096);
        let Some(Record::Chunk(chunk)) = records.get(1) else {
            panic!("{records:?}")
        };
        for t_ms in [0.0, -0.0, 1e21, 1e-7, f64::NAN, f64::INFINITY] {
            let record = Record::Chunk(Chunk {
                t_ms,
                index: u64::MAX,
                ..chunk.clone()
            });
            assert_eq!(fast_line(&record), serde_line(&record));
        }
    }

    #[test]
    fn data_hex_is_two_lowercase_digits_a_byte() {
        let every_byte: Vec<u8> = (0..=255).collect();
        let records = records(&chunked(&[&every_byte]), 4096);
        let Some(Record::Chunk(chunk)) = records.get(1) else {
            panic!("{records:?}")
        };
        let expected: String =
            every_byte.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(chunk.data_hex, expected);
    }

    #[test]
    fn needs_escape_finds_each_byte_anywhere() {
        for len in [1, 63, 64, 65, 200] {
            let mut bytes = vec![b'a'; len];
            assert!(!needs_escape(&bytes));
            for at in [0, len / 2, len - 1] {
                for b in [0x00, 0x1f, b'"', b'\\'] {
                    bytes[at] = b;
                    assert!(needs_escape(&bytes), "{b:#x} at {at} of {len}");
                    bytes[at] = b'a';
                }
            }
            bytes[len - 1] = 0x7f;
            assert!(!needs_escape(&bytes), "DEL is not escaped");
        }
    }
}
