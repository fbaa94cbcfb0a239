//! Differential testing of the decoder: thousands of generated responses,
//! valid and broken, read by the inspector and by two parsers nobody here
//! wrote, Python's h11 and Node's llhttp (the one `http.request` uses).
//!
//! Each response is valid, or breaks one rule in one way (a mutation), so
//! that a disagreement points at the rule. Where a peer and the inspector
//! part ways, [`RULINGS`] says which RFC section decides and why the
//! inspector's reading is the right one. A disagreement no ruling explains
//! fails the test, and so does a ruling that nothing needs any more.
//!
//! The book shows the result, generated:
//! `book/src/generated/reading-chunks/differential.md`. The test fails when
//! that file is out of date; `FLUSHER_BLESS=1` rewrites it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use inspector::{Decoder, ErrorKind, Event, Status};
use serde_json::Value;

/// How many responses: at least 3,000, and enough that each mutation is
/// tried some 40 times in different surroundings.
const CASES: usize = 4000;
/// The generator's seed: the same responses every run.
const SEED: u64 = 0x5eed_f1a5;

// --- The generator -----------------------------------------------------

/// A small deterministic generator (splitmix64): the corpus is the same
/// on every machine, so the book's table is too.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn data_upto(&mut self, max: usize) -> Vec<u8> {
        let len = self.below(max);
        self.data(len)
    }

    /// Body bytes: mostly letters, with CR, LF, NUL and high bytes among
    /// them, which a sized body carries like any other byte.
    fn data(&mut self, len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| match self.below(40) {
                0 => b'\r',
                1 => b'\n',
                2 => 0,
                3 => 0xff,
                _ => b'a' + u8::try_from(self.below(26)).unwrap(),
            })
            .collect()
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Framing {
    Chunked,
    Length,
    Close,
}

/// What a mutation needs of the response it breaks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Any,
    Body(Framing),
}

struct Chunk {
    size: Vec<u8>,
    size_end: Vec<u8>,
    data: Vec<u8>,
    data_end: Vec<u8>,
}

/// A response in parts, so that a mutation can break one before they
/// are joined.
struct Response {
    method: &'static str,
    interim: Vec<u8>,
    status_line: Vec<u8>,
    status_end: Vec<u8>,
    /// Field lines, each with its line ending.
    fields: Vec<Vec<u8>>,
    head_end: Vec<u8>,
    framing: Framing,
    /// HEAD, 204 and 304: the head says how long, but no body follows.
    bodiless: bool,
    chunks: Vec<Chunk>,
    /// The last-chunk line, trailer lines, and the empty line.
    last: Vec<u8>,
    trailers: Vec<Vec<u8>>,
    body_end: Vec<u8>,
    /// A `Content-Length` or close-delimited body.
    body: Vec<u8>,
    /// A response pipelined after this one: where this one ends matters.
    next: Vec<u8>,
    /// Cut the message short at this point (taken modulo its length).
    cut: Option<u64>,
}

const CRLF: &[u8] = b"\r\n";

fn line(text: &[u8]) -> Vec<u8> {
    [text, CRLF].concat()
}

impl Response {
    fn generate(rng: &mut Rng, need: Need) -> Response {
        let framing = match need {
            Need::Body(framing) => framing,
            Need::Any => rng.pick(&[
                Framing::Chunked,
                Framing::Chunked,
                Framing::Length,
                Framing::Close,
            ]),
        };
        let head =
            need == Need::Any && framing != Framing::Close && rng.chance(8);
        let status = match need {
            Need::Any if framing != Framing::Close && rng.chance(8) => {
                rng.pick(&[204, 304])
            }
            _ => rng.pick(&[200, 200, 200, 201, 206, 404, 500, 503]),
        };
        let version = if framing != Framing::Chunked && rng.chance(10) {
            "HTTP/1.0"
        } else {
            "HTTP/1.1"
        };
        let reason = rng.pick(&["OK", "", "Not Found", "It Is Fine"]);
        let mut r = Response {
            method: if head { "HEAD" } else { "GET" },
            interim: Vec::new(),
            status_line: format!("{version} {status} {reason}").into_bytes(),
            status_end: CRLF.to_vec(),
            fields: Vec::new(),
            head_end: CRLF.to_vec(),
            framing,
            bodiless: head || status == 204 || status == 304,
            chunks: Vec::new(),
            last: line(b"0"),
            trailers: Vec::new(),
            body_end: CRLF.to_vec(),
            body: Vec::new(),
            next: Vec::new(),
            cut: None,
        };
        if rng.chance(10) {
            r.interim = rng
                .pick(&[
                    &b"HTTP/1.1 100 Continue\r\n\r\n"[..],
                    b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n",
                ])
                .to_vec();
        }
        for _ in 0..rng.below(4) {
            let field = rng.pick(&[
                &b"Content-Type: text/html; charset=utf-8"[..],
                b"Server: differential",
                b"Cache-Control: no-cache",
                b"X-Empty:",
                b"X-Tab:\tvalue\twith tabs",
                b"Date: Mon, 07 Dec 2026 11:00:00 GMT",
            ]);
            r.fields.push(line(field));
        }
        match framing {
            Framing::Chunked => {
                r.fields.push(line(b"Transfer-Encoding: chunked"));
                for _ in 0..rng.below(5) {
                    let len = if rng.chance(20) {
                        17 + rng.below(300)
                    } else {
                        1 + rng.below(16)
                    };
                    r.chunk(rng, len);
                }
                if rng.chance(5) {
                    r.last = line(b"0;last");
                }
                if rng.chance(15) {
                    for _ in 0..1 + rng.below(2) {
                        let trailer = rng.pick(&[
                            &b"Expires: Thu, 01 Dec 1994 16:00:00 GMT"[..],
                            b"X-Checksum: abc123",
                        ]);
                        r.trailers.push(line(trailer));
                    }
                }
            }
            Framing::Length => {
                r.body = rng.data_upto(200);
                let len = r.body.len();
                r.fields
                    .push(line(format!("Content-Length: {len}").as_bytes()));
            }
            Framing::Close => r.body = rng.data_upto(200),
        }
        if r.bodiless {
            r.chunks.clear();
            r.body.clear();
        }
        if framing != Framing::Close && rng.chance(15) {
            r.next = b"HTTP/1.1 204 No Content\r\n\r\n".to_vec();
        }
        r
    }

    /// Appends a chunk of `len` bytes, its size in either case of hex, and
    /// now and then an extension.
    fn chunk(&mut self, rng: &mut Rng, len: usize) {
        let mut size = if rng.chance(50) {
            format!("{len:x}")
        } else {
            format!("{len:X}")
        };
        if rng.chance(15) {
            size += rng.pick(&[";a", ";name=value", ";q=\"quoted ; text\""]);
        }
        self.chunks.push(Chunk {
            size: size.into_bytes(),
            size_end: CRLF.to_vec(),
            data: rng.data(len),
            data_end: CRLF.to_vec(),
        });
    }

    /// A chunk to break: one of the chunks, made if there is none.
    fn some_chunk(&mut self, rng: &mut Rng) -> &mut Chunk {
        if self.chunks.is_empty() {
            self.chunk(rng, 5);
        }
        let i = rng.below(self.chunks.len());
        &mut self.chunks[i]
    }

    /// The size line of some chunk, replaced: `{}` stands for its size.
    fn size_line(&mut self, rng: &mut Rng, template: &str) {
        let chunk = self.some_chunk(rng);
        let size = format!("{:x}", chunk.data.len());
        chunk.size = template.replace("{}", &size).into_bytes();
    }

    /// Replaces the field named `name` (or adds one) with `text`'s lines.
    fn set_field(&mut self, name: &str, text: &[u8]) {
        let prefix = format!("{name}:").to_ascii_lowercase();
        let at = self.fields.iter().position(|f| {
            f.to_ascii_lowercase().starts_with(prefix.as_bytes())
        });
        let new = line(text);
        match at {
            Some(i) => self.fields[i] = new,
            None => self.fields.push(new),
        }
    }

    /// Puts the field line `text` first in the head.
    fn first_field(&mut self, text: &[u8]) {
        self.fields.insert(0, line(text));
    }

    /// Replaces the reason phrase with `reason`.
    fn reason(&mut self, reason: &[u8]) {
        self.status_line.truncate("HTTP/1.1 200 ".len());
        self.status_line.extend_from_slice(reason);
    }

    /// Some field line to break, after a `Server` field made sure of one.
    fn some_field(&mut self, rng: &mut Rng) -> &mut Vec<u8> {
        self.first_field(b"Server: t");
        let i = rng.below(self.fields.len());
        &mut self.fields[i]
    }

    fn length(&self) -> usize {
        self.body.len()
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = self.interim.clone();
        out.extend_from_slice(&self.status_line);
        out.extend_from_slice(&self.status_end);
        out.extend(self.fields.concat());
        out.extend_from_slice(&self.head_end);
        match self.framing {
            _ if self.bodiless => {}
            Framing::Chunked => {
                for c in &self.chunks {
                    out.extend(
                        [&c.size[..], &c.size_end, &c.data, &c.data_end]
                            .concat(),
                    );
                }
                out.extend_from_slice(&self.last);
                out.extend(self.trailers.concat());
                out.extend_from_slice(&self.body_end);
            }
            Framing::Length | Framing::Close => {
                out.extend_from_slice(&self.body)
            }
        }
        match self.cut {
            Some(at) => {
                out.truncate(usize::try_from(at % out.len() as u64).unwrap())
            }
            None => out.extend_from_slice(&self.next),
        }
        out
    }
}

/// One way to break a response: its name, what it does (for the book),
/// what it needs, and the change.
struct Mutation {
    name: &'static str,
    what: &'static str,
    need: Need,
    apply: fn(&mut Response, &mut Rng),
}

const ANY: Need = Need::Any;
const CHUNKED: Need = Need::Body(Framing::Chunked);
const LENGTH: Need = Need::Body(Framing::Length);

macro_rules! mutations {
    ($($name:literal, $what:literal, $need:expr,
       |$r:ident, $rng:ident| $apply:expr;)*) => {
        &[$(Mutation {
            name: $name,
            what: $what,
            need: $need,
            apply: |$r: &mut Response, $rng: &mut Rng| {
                let _ = (&$r, &$rng);
                $apply
            },
        }),*]
    };
}

/// Every mutation. The first is none at all: a valid response.
const MUTATIONS: &[Mutation] = mutations![
    "valid", "a valid response", ANY, |r, rng| ();
    // Line endings in the head.
    "lf-status-line", "the status line ends in a bare LF", ANY,
        |r, rng| r.status_end = b"\n".to_vec();
    "lf-field-line", "a field line ends in a bare LF", ANY,
        |r, rng| { let f = r.some_field(rng); f.pop(); f.pop(); f.push(b'\n') };
    "lf-head-end", "the empty line that ends the head is a bare LF", ANY,
        |r, rng| r.head_end = b"\n".to_vec();
    "cr-field-line", "a field line ends in a bare CR", ANY,
        |r, rng| { r.some_field(rng).pop(); };
    "leading-empty-line", "an empty line before the status line (no 1xx)", ANY,
        |r, rng| r.interim = CRLF.to_vec();
    // The status line.
    "status-no-reason-sp", "no SP after the status code: `HTTP/1.1 200`", ANY,
        |r, rng| r.status_line.truncate(12);
    "status-4-digits", "a four-digit status: `HTTP/1.1 2000 OK`", ANY,
        |r, rng| r.status_line.insert(9, b'2');
    "status-letter", "a letter in the status: `HTTP/1.1 2x0 OK`", ANY,
        |r, rng| r.status_line[10] = b'x';
    "version-lowercase", "`http/1.1` in lower case", ANY,
        |r, rng| r.status_line[..4].copy_from_slice(b"http");
    "version-1.2", "a later minor version: `HTTP/1.2`", ANY,
        |r, rng| r.status_line[7] = b'2';
    "version-2.0", "another major version: `HTTP/2.0`", ANY,
        |r, rng| r.status_line[5..8].copy_from_slice(b"2.0");
    "reason-obs-text", "a reason phrase in Latin-1 (obs-text): `Gr\\xfc\\xdfe`", ANY,
        |r, rng| r.reason(b"Gr\xfc\xdfe");
    "reason-tab", "a tab in the reason phrase", ANY,
        |r, rng| r.reason(b"A\tB");
    "reason-ctl", "a control byte (0x01) in the reason phrase", ANY,
        |r, rng| r.reason(b"A\x01B");
    // Field lines.
    "space-before-colon", "whitespace between a field name and its colon: `Server : t`", ANY,
        |r, rng| r.first_field(b"Server : t");
    "name-invalid", "a space in a field name: `Ser ver: t`", ANY,
        |r, rng| r.first_field(b"Ser ver: t");
    "name-empty", "a field line with no name: `: t`", ANY,
        |r, rng| r.first_field(b": t");
    "no-colon", "a field line with no colon: `Server t`", ANY,
        |r, rng| r.first_field(b"Server t");
    "obs-fold", "a value folded onto a second line (obs-fold)", ANY,
        |r, rng| r.fields.insert(0, b"X-Long: part one\r\n part two\r\n".to_vec());
    "space-first-field", "the first field line starts with a space", ANY,
        |r, rng| r.first_field(b" X-Indented: t");
    "value-nul", "a NUL in a field value", ANY,
        |r, rng| r.first_field(b"X-Nul: a\0b");
    "value-ctl", "a control byte (0x01) in a field value", ANY,
        |r, rng| r.first_field(b"X-Ctl: a\x01b");
    "value-obs-text", "a Latin-1 byte in a field value (obs-text)", ANY,
        |r, rng| r.first_field(b"X-Latin: caf\xe9");
    "head-20k", "a head of 20 KiB, over 16 KiB", ANY,
        |r, rng| r.first_field(format!("X-Big: {}", "b".repeat(20 << 10)).as_bytes());
    // Framing header fields.
    "te-case", "`Transfer-Encoding: Chunked`", CHUNKED,
        |r, rng| r.set_field("Transfer-Encoding", b"Transfer-Encoding: Chunked");
    "te-ows", "`Transfer-Encoding:  chunked  ` (whitespace around the value)", CHUNKED,
        |r, rng| r.set_field("Transfer-Encoding", b"Transfer-Encoding:  chunked  ");
    "te-gzip-chunked", "`Transfer-Encoding: gzip, chunked`", CHUNKED,
        |r, rng| r.set_field("Transfer-Encoding", b"Transfer-Encoding: gzip, chunked");
    "te-two-fields", "`Transfer-Encoding: gzip` and `Transfer-Encoding: chunked`", CHUNKED,
        |r, rng| r.set_field("Transfer-Encoding",
            b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked");
    "te-chunked-gzip", "`Transfer-Encoding: chunked, gzip` (chunked not last)", CHUNKED,
        |r, rng| r.set_field("Transfer-Encoding", b"Transfer-Encoding: chunked, gzip");
    "te-chunked-twice", "`Transfer-Encoding: chunked, chunked`", CHUNKED,
        |r, rng| r.set_field("Transfer-Encoding", b"Transfer-Encoding: chunked, chunked");
    "te-chunked-param", "`Transfer-Encoding: chunked;a=b`", CHUNKED,
        |r, rng| r.set_field("Transfer-Encoding", b"Transfer-Encoding: chunked;a=b");
    "te-identity", "`Transfer-Encoding: identity`, a coding RFC 9112 removed", LENGTH,
        |r, rng| r.first_field(b"Transfer-Encoding: identity");
    "te-empty", "an empty `Transfer-Encoding` beside `Content-Length`", LENGTH,
        |r, rng| r.first_field(b"Transfer-Encoding:");
    "te-and-cl", "`Transfer-Encoding: chunked` and `Content-Length`", CHUNKED,
        |r, rng| r.first_field(b"Content-Length: 5");
    "te-http10", "`Transfer-Encoding: chunked` in an HTTP/1.0 response", CHUNKED,
        |r, rng| r.status_line[7] = b'0';
    "cl-list", "`Content-Length: N, N`", LENGTH,
        |r, rng| { let n = r.length(); r.set_field("Content-Length",
            format!("Content-Length: {n}, {n}").as_bytes()) };
    "cl-twice", "two `Content-Length` fields, equal", LENGTH,
        |r, rng| { let n = r.length(); r.fields.insert(0,
            line(format!("Content-Length: {n}").as_bytes())) };
    "cl-differ", "two `Content-Length` fields that differ", LENGTH,
        |r, rng| { let n = r.length() + 1; r.fields.insert(0,
            line(format!("Content-Length: {n}").as_bytes())) };
    "cl-plus", "`Content-Length: +N`", LENGTH,
        |r, rng| { let n = r.length(); r.set_field("Content-Length",
            format!("Content-Length: +{n}").as_bytes()) };
    "cl-negative", "`Content-Length: -1`", LENGTH,
        |r, rng| r.set_field("Content-Length", b"Content-Length: -1");
    "cl-zeros", "`Content-Length: 00N` (leading zeros)", LENGTH,
        |r, rng| { let n = r.length(); r.set_field("Content-Length",
            format!("Content-Length: 00{n}").as_bytes()) };
    "cl-hex", "`Content-Length: 0xN`", LENGTH,
        |r, rng| { let n = r.length(); r.set_field("Content-Length",
            format!("Content-Length: 0x{n:x}").as_bytes()) };
    "cl-overflow", "`Content-Length: 99999999999999999999`, over 64 bits", LENGTH,
        |r, rng| r.set_field("Content-Length", b"Content-Length: 99999999999999999999");
    "cl-empty", "an empty `Content-Length`", LENGTH,
        |r, rng| r.set_field("Content-Length", b"Content-Length:");
    "cl-inner-space", "`Content-Length: 1 2`", LENGTH,
        |r, rng| r.set_field("Content-Length", b"Content-Length: 1 2");
    "cl-long", "`Content-Length` more than the bytes sent, then the close", LENGTH,
        |r, rng| { let n = r.length() + 1 + rng.below(9); r.set_field("Content-Length",
            format!("Content-Length: {n}").as_bytes()); r.next.clear() };
    "interim-with-length", "a `100 Continue` with `Content-Length: 5`", ANY,
        |r, rng| r.interim = b"HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\n".to_vec();
    "interim-then-close", "a `100 Continue`, then the close", ANY,
        |r, rng| { r.interim = b"HTTP/1.1 100 Continue\r\n\r\n".to_vec();
            let n = r.interim.len() as u64; r.cut = Some(n) };
    // Chunk size lines.
    "size-zeros", "a size with leading zeros: `0005`", CHUNKED,
        |r, rng| r.size_line(rng, "000{}");
    "size-many-zeros", "a size with 40 leading zeros", CHUNKED,
        |r, rng| r.size_line(rng, &format!("{}{{}}", "0".repeat(40)));
    "size-0x", "a size written `0x5`", CHUNKED,
        |r, rng| r.size_line(rng, "0x{}");
    "size-plus", "a size written `+5`", CHUNKED,
        |r, rng| r.size_line(rng, "+{}");
    "size-space-before", "a space before the size", CHUNKED,
        |r, rng| r.size_line(rng, " {}");
    "size-space-after", "a space after the size, no extension", CHUNKED,
        |r, rng| r.size_line(rng, "{} ");
    "size-tab-after", "a tab after the size, no extension", CHUNKED,
        |r, rng| r.size_line(rng, "{}\t");
    "size-empty", "an empty size line", CHUNKED,
        |r, rng| r.size_line(rng, "");
    "size-not-hex", "a size with a letter past `f`: `5g`", CHUNKED,
        |r, rng| r.size_line(rng, "{}g");
    "size-overflow", "a size over 64 bits: `10000000000000000`", CHUNKED,
        |r, rng| r.size_line(rng, "10000000000000000");
    "size-huge", "a size of 2^63 - 1, then the close", CHUNKED,
        |r, rng| { r.size_line(rng, "7fffffffffffffff"); r.next.clear() };
    "size-lf", "a size line ends in a bare LF", CHUNKED,
        |r, rng| r.some_chunk(rng).size_end = b"\n".to_vec();
    "size-cr", "a size line ends in a bare CR", CHUNKED,
        |r, rng| r.some_chunk(rng).size_end = b"\r".to_vec();
    // Chunk extensions.
    "ext-bws", "whitespace before an extension: `5 ;a=b`", CHUNKED,
        |r, rng| r.size_line(rng, "{} ;a=b");
    "ext-bws-equals", "whitespace around an extension's `=`: `5;a = b`", CHUNKED,
        |r, rng| r.size_line(rng, "{};a = b");
    "ext-escape", "a quoted extension with an escape: `5;a=\"x\\\"y\"`", CHUNKED,
        |r, rng| r.size_line(rng, "{};a=\"x\\\"y\"");
    "ext-no-name", "an extension with no name: `5;=b`", CHUNKED,
        |r, rng| r.size_line(rng, "{};=b");
    "ext-no-value", "an extension with `=` and no value: `5;a=`", CHUNKED,
        |r, rng| r.size_line(rng, "{};a=");
    "ext-open-quote", "an unterminated quoted extension: `5;a=\"x`", CHUNKED,
        |r, rng| r.size_line(rng, "{};a=\"x");
    "ext-space-in-value", "a space inside a token extension: `5;a=b c`", CHUNKED,
        |r, rng| r.size_line(rng, "{};a=b c");
    "ext-ctl", "a control byte in an extension: `5;a=\\x01`", CHUNKED,
        |r, rng| r.size_line(rng, "{};a=\x01");
    "ext-17k", "a size line of 17 KiB of extensions", CHUNKED,
        |r, rng| r.size_line(rng, &format!("{{}};a={}", "x".repeat(17 << 10)));
    // Chunk data.
    "data-lf", "a chunk's data ends in a bare LF", CHUNKED,
        |r, rng| r.some_chunk(rng).data_end = b"\n".to_vec();
    "data-no-crlf", "no CRLF after a chunk's data", CHUNKED,
        |r, rng| r.some_chunk(rng).data_end.clear();
    "data-longer", "two bytes more data than the size says", CHUNKED,
        |r, rng| r.some_chunk(rng).data.extend(b"xy");
    // The last chunk and the trailers.
    "last-ext", "an extension on the last-chunk: `0;a=b`", CHUNKED,
        |r, rng| r.last = line(b"0;a=b");
    "last-zeros", "the last-chunk written `000`", CHUNKED,
        |r, rng| r.last = line(b"000");
    "last-lf", "the last-chunk line ends in a bare LF", CHUNKED,
        |r, rng| r.last = b"0\n".to_vec();
    "trailer", "a trailer field", CHUNKED,
        |r, rng| r.trailers.push(line(b"X-Digest: abc"));
    "trailer-framing", "a `Content-Length` trailer field", CHUNKED,
        |r, rng| r.trailers.push(line(b"Content-Length: 999"));
    "trailer-lf", "a trailer line ends in a bare LF", CHUNKED,
        |r, rng| r.trailers.push(b"X-Digest: abc\n".to_vec());
    "trailer-fold", "a trailer folded onto a second line", CHUNKED,
        |r, rng| r.trailers.push(b"X-Digest: abc\r\n def\r\n".to_vec());
    "trailer-no-colon", "a trailer line with no colon", CHUNKED,
        |r, rng| r.trailers.push(line(b"X-Digest abc"));
    "trailer-space-before-colon", "a trailer with a space before its colon", CHUNKED,
        |r, rng| r.trailers.push(line(b"X-Digest : abc"));
    "end-lf", "the empty line that ends the body is a bare LF", CHUNKED,
        |r, rng| r.body_end = b"\n".to_vec();
    // Cut short.
    "no-last-chunk", "the close where the next size line should be", CHUNKED,
        |r, rng| { r.last.clear(); r.trailers.clear(); r.body_end.clear(); r.next.clear() };
    "no-end-line", "the close just after the last-chunk line", CHUNKED,
        |r, rng| { r.trailers.clear(); r.body_end.clear(); r.next.clear() };
    "cut", "the close at a random byte of the message", ANY,
        |r, rng| r.cut = Some(rng.next());
    "empty", "the close before any byte", ANY,
        |r, rng| r.cut = Some(0);
];

struct Case {
    mutation: &'static Mutation,
    method: &'static str,
    bytes: Vec<u8>,
}

/// The corpus: a quarter valid, the rest each broken by one mutation,
/// taken in turn so that each is tried about equally often.
fn corpus() -> Vec<Case> {
    let mut rng = Rng(SEED);
    (0..CASES)
        .map(|i| {
            let mutation = if i % 4 == 0 {
                &MUTATIONS[0]
            } else {
                &MUTATIONS[1 + rng.below(MUTATIONS.len() - 1)]
            };
            let mut response = Response::generate(&mut rng, mutation.need);
            (mutation.apply)(&mut response, &mut rng);
            Case {
                mutation,
                method: response.method,
                bytes: response.bytes(),
            }
        })
        .collect()
}

// --- The three readers -------------------------------------------------

/// What a reader made of a response, given it whole and then the close.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// The final response's status, its body, and how many bytes the
    /// message took (the rest belongs to the next).
    Complete {
        status: u16,
        body: Vec<u8>,
        consumed: usize,
    },
    /// The close came before the message ended.
    Truncated(String),
    /// The response breaks a rule the reader enforces.
    Invalid(String),
}

impl Outcome {
    /// The outcome's class, as the book's table shows it.
    fn class(&self) -> &'static str {
        match self {
            Outcome::Complete { .. } => "complete",
            Outcome::Truncated(_) => "truncated",
            Outcome::Invalid(_) => "invalid",
        }
    }

    /// Two complete outcomes that differ are told apart by what differs.
    fn differs_from(&self, other: &Outcome) -> Option<&'static str> {
        match (self, other) {
            (
                Outcome::Complete {
                    status,
                    body,
                    consumed,
                },
                Outcome::Complete {
                    status: s,
                    body: b,
                    consumed: c,
                },
            ) => {
                if status != s {
                    Some("status")
                } else if consumed != c {
                    Some("end")
                } else if body != b {
                    Some("body")
                } else {
                    None
                }
            }
            _ if self.class() == other.class() => None,
            _ => Some("class"),
        }
    }
}

/// The inspector's decoder, fed the whole response, then the close.
fn inspector(method: &str, bytes: &[u8]) -> Outcome {
    let mut decoder = Decoder::new(method);
    let mut status = 0;
    let mut body = Vec::new();
    let mut on = |event: Event<'_>| match event {
        Event::Head(head) => status = head.status,
        Event::Data { bytes, .. } => body.extend_from_slice(bytes),
        _ => {}
    };
    let ended = match decoder.feed(bytes, &mut on) {
        Ok(Status::Complete(consumed)) => Ok(consumed),
        Ok(Status::Partial) => decoder.finish(&mut on).map(|()| bytes.len()),
        Err(e) => Err(e),
    };
    match ended {
        Ok(consumed) => Outcome::Complete {
            status,
            body,
            consumed,
        },
        Err(e) if matches!(e.kind, ErrorKind::UnexpectedEof(_)) => {
            Outcome::Truncated(e.to_string())
        }
        Err(e) => Outcome::Invalid(e.to_string()),
    }
}

/// A parser nobody here wrote, run as a program over the whole corpus.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Peer {
    H11,
    Llhttp,
}

const PEERS: [Peer; 2] = [Peer::H11, Peer::Llhttp];

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Peer::H11 => "h11",
            Peer::Llhttp => "llhttp",
        }
    }

    /// The program and its arguments. Debian's python3, which has h11:
    /// pyenv's may come first on PATH.
    fn command(self) -> Command {
        let dir =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential");
        let (program, script) = match self {
            Peer::H11 => ("/usr/bin/python3", "h11_outcome.py"),
            Peer::Llhttp => ("node", "llhttp_outcome.js"),
        };
        let mut command = Command::new(program);
        command.arg(dir.join(script));
        command
    }

    /// The peer's version, for the book: a missing peer is `None`.
    fn version(self) -> Option<String> {
        let (program, flag, code) = match self {
            Peer::H11 => (
                "/usr/bin/python3",
                "-c",
                "import h11; print(h11.__version__)",
            ),
            Peer::Llhttp => (
                "node",
                "-e",
                "require('_http_common'); console.log(process.versions.llhttp)",
            ),
        };
        let out = Command::new(program).args([flag, code]).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// Every case's outcome, in order.
    fn outcomes(self, input: &Path) -> Vec<Outcome> {
        let out = self
            .command()
            .stdin(fs::File::open(input).unwrap())
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        assert!(out.status.success(), "{} failed", self.name());
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|line| {
                let v: Value = serde_json::from_str(line).unwrap();
                let why = v["why"].as_str().unwrap_or_default().to_owned();
                match v["class"].as_str().unwrap() {
                    "complete" => Outcome::Complete {
                        status: u16::try_from(v["status"].as_u64().unwrap())
                            .unwrap(),
                        body: hex::decode(v["body"].as_str().unwrap()),
                        consumed: usize::try_from(
                            v["consumed"].as_u64().unwrap(),
                        )
                        .unwrap(),
                    },
                    "truncated" => Outcome::Truncated(why),
                    "invalid" => Outcome::Invalid(why),
                    other => panic!("{}: no class {other}", self.name()),
                }
            })
            .collect()
    }
}

mod hex {
    pub fn encode(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn decode(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }
}

// --- The rulings -------------------------------------------------------

/// Why the inspector and some peers part ways on some mutations: the
/// RFC section that decides, and what it says.
struct Ruling {
    peers: &'static [Peer],
    mutations: &'static [&'static str],
    rfc: &'static str,
    why: &'static str,
}

impl Ruling {
    /// Every (mutation, peer) this ruling explains.
    fn pairs(&self) -> impl Iterator<Item = (&'static str, Peer)> + '_ {
        self.mutations
            .iter()
            .flat_map(|&m| self.peers.iter().map(move |&p| (m, p)))
    }
}

/// The ruling on a mutation and a peer, if there is one.
fn ruling(mutation: &str, peer: Peer) -> Option<&'static Ruling> {
    RULINGS
        .iter()
        .find(|r| r.pairs().any(|pair| pair == (mutation, peer)))
}

macro_rules! rulings {
    ($($($peer:ident),+: $($mutation:literal),+ => $rfc:literal, $why:literal;)*) => {
        &[$(Ruling {
            peers: &[$(Peer::$peer),+],
            mutations: &[$($mutation),+],
            rfc: $rfc,
            why: $why,
        }),*]
    };
}

/// Every disagreement, ruled. Where the RFC allows both readings (a MAY,
/// a limit), the ruling says so and why the inspector takes its side.
const RULINGS: &[Ruling] = rulings![
    H11: "lf-status-line", "lf-field-line", "lf-head-end", "trailer-lf", "end-lf"
        => "RFC 9112 §2.2",
        "A recipient MAY recognize a single LF as a line terminator. h11 \
         does; llhttp and the inspector do not. Both are allowed, and the \
         inspector refuses because one reader that accepts a bare LF beside \
         another that does not is how two readers come to disagree on where \
         a message ends.";
    H11: "cr-field-line", "size-cr"
        => "RFC 9112 §2.2",
        "A recipient of a bare CR MUST consider the element invalid or \
         replace the CR with SP. The inspector names the byte at once; h11 \
         waits for a line end that never comes, and calls the close a \
         message cut short.";
    H11: "leading-empty-line"
        => "RFC 9112 §2.2",
        "A server SHOULD ignore at least one empty line before a request \
         line; nothing is said of responses, and no framing depends on it. \
         The inspector, like llhttp, skips the empty line and says so in a \
         note on the head; h11 refuses. Both are defensible.";
    Llhttp: "version-1.2"
        => "RFC 9110 §2.5",
        "A recipient of a higher minor version SHOULD process the message \
         as if it were in the highest minor version it implements. The \
         inspector and h11 read HTTP/1.2 as HTTP/1.1 (the inspector with a \
         note); llhttp refuses it.";
    H11, Llhttp: "version-2.0"
        => "RFC 9110 §2.5",
        "The major version \"indicates the messaging syntax\", and no \
         version 2 syntax is text: HTTP/2 is binary frames (RFC 9113). \
         h11 and llhttp read the message as HTTP/1.1 anyway; the inspector \
         does not guess.";
    H11, Llhttp: "reason-ctl"
        => "RFC 9112 §4",
        "reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ), which has no \
         control bytes: the status line is invalid. Both peers take it; the \
         inspector names the byte. A client SHOULD ignore the reason \
         phrase's content, not its syntax.";
    Llhttp: "obs-fold", "trailer-fold"
        => "RFC 9112 §5.2",
        "A user agent that receives an obs-fold in a response MUST replace \
         each fold with one or more SP before interpreting the value. The \
         inspector and h11 do, and the inspector notes it; llhttp refuses \
         the response.";
    H11: "value-ctl"
        => "RFC 9110 §5.5",
        "Field values with CTL characters other than CR, LF and NUL are \
         invalid; recipients MAY retain them for robustness in a safe \
         context. The inspector and llhttp say invalid; h11 keeps the byte. \
         Both are allowed.";
    Llhttp: "head-20k"
        => "RFC 9110 §5.4",
        "Each reader sets its own limit on a head. Node's default is 16 KiB; \
         the inspector's is 64 KiB, so that it can show the large heads \
         real servers send. A limit, not a rule.";
    H11: "te-gzip-chunked", "te-two-fields"
        => "RFC 9112 §6.3",
        "When chunked is the final transfer coding, the body length is \
         found by decoding the chunks, whatever codings come before it \
         (and two Transfer-Encoding fields are one list, RFC 9110 §5.3). \
         h11 implements chunked alone and refuses; the framing is well \
         defined.";
    H11: "te-chunked-gzip"
        => "RFC 9112 §6.3",
        "In a response whose final transfer coding is not chunked, the \
         body runs until the server closes. The inspector and llhttp read \
         it so; h11 refuses the coding.";
    Llhttp: "te-chunked-twice"
        => "RFC 9112 §6.1",
        "A sender MUST NOT apply chunked more than once. llhttp takes off \
         one layer and calls what is left the body; the inspector and h11 \
         refuse a message that cannot be framed as sent. `chunked, chunked` \
         is a known TE.TE desync form.";
    Llhttp: "te-chunked-param"
        => "RFC 9112 §7.1",
        "\"The chunked coding does not define any parameters. Their \
         presence SHOULD be treated as an error.\" The inspector and h11 do; \
         llhttp ignores the parameter.";
    Llhttp: "te-empty"
        => "RFC 9112 §6.3",
        "A message with both Transfer-Encoding and Content-Length \"ought \
         to be handled as an error\". The field is there even when its list \
         is empty: llhttp ignores it and takes Content-Length, h11 and the \
         inspector refuse.";
    H11: "te-and-cl"
        => "RFC 9112 §6.3",
        "Transfer-Encoding overrides Content-Length, and such a message \
         \"ought to be handled as an error\". h11 lets chunked win; llhttp \
         and the inspector refuse.";
    Llhttp: "cl-list", "cl-twice"
        => "RFC 9110 §8.6",
        "A recipient of the same length repeated as a list MAY reject the \
         message or use the one value. The inspector and h11 use it; llhttp \
         rejects. Both are allowed, and every reader that accepts finds the \
         same end.";
    H11: "cl-overflow", "size-overflow"
        => "RFC 9110 §8.6, RFC 9112 §7.1",
        "Recipients MUST prevent parsing errors from integer overflow. No \
         64-bit reader can count to 10^20 bytes, and one that wraps sees a \
         small, wrong size. The inspector and llhttp refuse; Python's \
         integers do not overflow, so h11 waits for the bytes and calls the \
         close a message cut short.";
    H11: "size-many-zeros"
        => "RFC 9112 §7.1",
        "chunk-size = 1*HEXDIG, so leading zeros are digits like any other. \
         h11 takes at most 20 digits; the inspector and llhttp read the \
         size.";
    H11: "size-space-after", "size-tab-after"
        => "RFC 9112 §7.1.1",
        "chunk-ext = *( BWS \";\" BWS name [ BWS \"=\" BWS value ] ): \
         whitespace after the size is allowed only before a `;`. h11 takes \
         `5 ` as 5; the inspector and llhttp refuse.";
    H11, Llhttp: "ext-bws"
        => "RFC 9110 §5.6.3",
        "The grammar allows whitespace before `;`, and a recipient MUST \
         parse such bad whitespace and remove it. Both peers refuse a valid \
         size line; the inspector reads it.";
    Llhttp: "ext-bws-equals"
        => "RFC 9110 §5.6.3",
        "Whitespace around an extension's `=` is BWS too, which a \
         recipient MUST parse. llhttp refuses it; the inspector and h11 \
         read it.";
    H11, Llhttp: "ext-no-name", "ext-no-value"
        => "RFC 9112 §7.1.1",
        "An extension is a token name with an optional token or \
         quoted-string value. A recipient MUST ignore extensions it does \
         not recognize, but these break the grammar, and a reader that \
         skips to the line's end past a broken extension is the \
         \"funky chunks\" desync. The inspector refuses them.";
    H11: "ext-open-quote", "ext-space-in-value", "ext-ctl"
        => "RFC 9112 §7.1.1",
        "Not an extension by the grammar: an open quote, a second word, a \
         control byte. h11 skips everything after the size; llhttp and the \
         inspector refuse.";
    H11: "ext-17k"
        => "RFC 9112 §7.1.1",
        "A reader ought to limit the total length of chunk extensions. The \
         inspector's limit is 16 KiB of size line; h11 sets none.";
    Llhttp: "trailer-framing"
        => "RFC 9110 §6.5.1",
        "A recipient MUST NOT merge a trailer field into the header section \
         unless the field's definition allows it, and Content-Length's does \
         not: the chunks have already ended the body. llhttp treats the \
         trailer as a header beside Transfer-Encoding and refuses; the \
         inspector and h11 show it as a trailer.";
];

// --- The test ----------------------------------------------------------

/// Where the inspector and a peer disagree: by mutation, then peer, the
/// cases.
type Disagreements = BTreeMap<(usize, Peer), Vec<usize>>;

#[test]
fn the_decoder_agrees_with_h11_and_llhttp_or_the_rfc_says_why() {
    let Some(versions) = peer_versions() else {
        return;
    };
    let cases = corpus();
    let input = std::env::temp_dir()
        .join(format!("flusher-differential-{}.jsonl", std::process::id()));
    let lines: String = cases
        .iter()
        .enumerate()
        .map(|(id, c)| {
            let hex = hex::encode(&c.bytes);
            format!(
                "{{\"id\":{id},\"method\":\"{}\",\"hex\":\"{hex}\"}}\n",
                c.method
            )
        })
        .collect();
    fs::write(&input, lines).unwrap();
    let ours: Vec<Outcome> = cases
        .iter()
        .map(|c| inspector(c.method, &c.bytes))
        .collect();
    let theirs: BTreeMap<Peer, Vec<Outcome>> =
        PEERS.iter().map(|&p| (p, p.outcomes(&input))).collect();
    fs::remove_file(&input).unwrap();

    let mut disagreements = Disagreements::new();
    for (peer, outcomes) in &theirs {
        assert_eq!(
            outcomes.len(),
            cases.len(),
            "{} skipped cases",
            peer.name()
        );
        for (i, (case, theirs)) in cases.iter().zip(outcomes).enumerate() {
            if ours[i].differs_from(theirs).is_some() {
                let m =
                    MUTATIONS.iter().position(|m| m.name == case.mutation.name);
                disagreements
                    .entry((m.unwrap(), *peer))
                    .or_default()
                    .push(i);
            }
        }
    }

    let mut unexplained = String::new();
    for (&(m, peer), ids) in &disagreements {
        let name = MUTATIONS[m].name;
        if ruling(name, peer).is_some() {
            continue;
        }
        let i = *ids.iter().min_by_key(|&&i| cases[i].bytes.len()).unwrap();
        let _ = writeln!(
            unexplained,
            "{name} ({} of them), {}: inspector {:?}\n  {}: {:?}\n  {:?}\n",
            ids.len(),
            cases[i].method,
            ours[i],
            peer.name(),
            theirs[&peer][i],
            shown(&cases[i].bytes),
        );
    }
    assert!(
        unexplained.is_empty(),
        "unexplained disagreements:\n{unexplained}"
    );
    let stale: Vec<_> = RULINGS
        .iter()
        .flat_map(Ruling::pairs)
        .filter(|&(name, peer)| {
            !disagreements
                .keys()
                .any(|&(m, p)| MUTATIONS[m].name == name && p == peer)
        })
        .map(|(name, peer)| (name, peer.name()))
        .collect();
    assert!(stale.is_empty(), "rulings nothing needs: {stale:?}");

    let table = Table {
        versions: &versions,
        cases: &cases,
        ours: &ours,
        theirs: &theirs,
        disagreements: &disagreements,
    };
    check_book(&table.render(), &table.first_line());
}

/// The book's page: generated here, and compared with what is committed.
const BOOK: &str = "book/src/generated/reading-chunks/differential.md";

/// Fails when the committed page is not what this run made, unless
/// `FLUSHER_BLESS=1` asks to rewrite it. Other peer versions than the
/// page's may read differently: outside CI that is said, not failed.
fn check_book(page: &str, first_line: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(BOOK);
    if std::env::var("FLUSHER_BLESS").as_deref() == Ok("1") {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, page).unwrap();
        return;
    }
    let committed = fs::read_to_string(&path).unwrap_or_default();
    let ci = std::env::var("CI").as_deref() == Ok("true");
    if !ci && committed.lines().next() != Some(first_line) {
        eprintln!(
            "not compared with {BOOK}: other peer versions ({first_line})"
        );
        return;
    }
    assert!(
        committed == page,
        "{BOOK} is out of date: run FLUSHER_BLESS=1 cargo test -p inspector \
         --test differential, and read the diff"
    );
}

/// What the book shows: the corpus, and every disagreement with its ruling.
struct Table<'a> {
    versions: &'a [(Peer, String)],
    cases: &'a [Case],
    ours: &'a [Outcome],
    theirs: &'a BTreeMap<Peer, Vec<Outcome>>,
    disagreements: &'a Disagreements,
}

impl Table<'_> {
    fn first_line(&self) -> String {
        let versions: Vec<String> = self
            .versions
            .iter()
            .map(|(peer, v)| format!("{} {v}", peer.name()))
            .collect();
        format!(
            "<!-- generated by inspector/tests/differential.rs: {} -->",
            versions.join(", ")
        )
    }

    /// A cell: the outcomes' classes, with counts when they differ.
    fn cell(
        &self,
        outcomes: &[Outcome],
        ids: &[usize],
        differs: bool,
    ) -> String {
        let mut classes = BTreeMap::<&str, usize>::new();
        for &i in ids {
            *classes.entry(outcomes[i].class()).or_default() += 1;
        }
        let mut cell: Vec<String> = match classes.len() {
            1 => classes.keys().map(|c| c.to_string()).collect(),
            _ => classes.iter().map(|(c, n)| format!("{c} {n}")).collect(),
        };
        if differs {
            cell = cell.into_iter().map(|c| format!("**{c}**")).collect();
        }
        cell.join(", ")
    }

    fn render(&self) -> String {
        let mut page = self.first_line() + "\n\n";
        let disagreeing: std::collections::BTreeSet<usize> =
            self.disagreements.values().flatten().copied().collect();
        let valid = self
            .cases
            .iter()
            .filter(|c| c.mutation.name == "valid")
            .count();
        let _ = writeln!(
            page,
            "{} responses: {valid} valid, and {} broken in one of {} ways. \
             All three readers agree on {}.\n",
            self.cases.len(),
            self.cases.len() - valid,
            MUTATIONS.len() - 1,
            self.cases.len() - disagreeing.len(),
        );
        let rulings: Vec<&Ruling> = RULINGS.iter().collect();
        page += "| the response | n | inspector | h11 | llhttp | ruling |\n";
        page += "|---|--:|---|---|---|---|\n";
        for (m, mutation) in MUTATIONS.iter().enumerate() {
            let peers: Vec<Peer> = PEERS
                .iter()
                .copied()
                .filter(|&p| self.disagreements.contains_key(&(m, p)))
                .collect();
            if peers.is_empty() {
                continue;
            }
            let ids: Vec<usize> = (0..self.cases.len())
                .filter(|&i| self.cases[i].mutation.name == mutation.name)
                .collect();
            let mut row = format!(
                "| {} | {} | {} ",
                mutation.what,
                ids.len(),
                self.cell(self.ours, &ids, false)
            );
            for peer in PEERS {
                let cell =
                    self.cell(&self.theirs[&peer], &ids, peers.contains(&peer));
                let _ = write!(row, "| {cell} ");
            }
            let numbers: Vec<String> = peers
                .iter()
                .filter_map(|&p| ruling(mutation.name, p))
                .map(|r| {
                    rulings.iter().position(|&x| std::ptr::eq(x, r)).unwrap()
                        + 1
                })
                .collect::<std::collections::BTreeSet<_>>()
                .iter()
                .map(|n| format!("[{n}](#ruling-{n})"))
                .collect();
            let _ = writeln!(row, "| {} |", numbers.join(", "));
            page += &row;
        }
        page += "\n";
        for (n, r) in rulings.iter().enumerate() {
            let _ = writeln!(
                page,
                "{}. <a id=\"ruling-{}\"></a>**{}.** {}",
                n + 1,
                n + 1,
                r.rfc,
                r.why
            );
        }
        page
    }
}

/// Bytes as an escaped string, long runs of one byte shortened.
fn shown(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        run = if i > 0 && bytes[i - 1] == b {
            run + 1
        } else {
            0
        };
        match run {
            0..8 => out.extend(std::ascii::escape_default(b).map(char::from)),
            8 => out.push('…'),
            _ => {}
        }
    }
    out
}

/// Each peer's version, or `None` (the test skips) when one is missing
/// outside CI; under `CI=true` a missing peer fails.
fn peer_versions() -> Option<Vec<(Peer, String)>> {
    let mut versions = Vec::new();
    for peer in PEERS {
        match peer.version() {
            Some(v) => versions.push((peer, v)),
            None => {
                let ci = std::env::var("CI").as_deref() == Ok("true");
                assert!(
                    !ci,
                    "{} is required in CI (.ci/run installs it)",
                    peer.name()
                );
                eprintln!(
                    "skipped: {} is missing (python3-h11, nodejs)",
                    peer.name()
                );
                return None;
            }
        }
    }
    Some(versions)
}
