//! The decoder against a table of valid and invalid responses, each run
//! three ways: whole, split at every byte offset, and one byte at a time.
//! The events and the outcome must be the same every time.

use inspector::{Decoder, Event, Framing, Status};

/// What the decoder reported, with data gathered per chunk so that the way
/// the input was split does not show.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rec {
    Head(u16, Framing),
    Chunk {
        offset: u64,
        line: Vec<u8>,
        size: u64,
        data: Vec<u8>,
        end: Option<u64>,
    },
    Last(u64, Vec<u8>),
    Trailers(Vec<(String, Vec<u8>)>, Vec<String>),
    Body(Vec<u8>),
    End(u64, u64, u64),
}

type Outcome = Result<u64, (&'static str, u64)>;

fn record(recs: &mut Vec<Rec>, event: Event<'_>) {
    match event {
        Event::Head(h) => recs.push(Rec::Head(h.status, h.framing)),
        Event::ChunkStart {
            offset,
            size,
            size_line,
            ..
        } => recs.push(Rec::Chunk {
            offset,
            line: size_line.to_vec(),
            size,
            data: Vec::new(),
            end: None,
        }),
        Event::Data { bytes, .. } => match recs.last_mut() {
            Some(Rec::Chunk {
                data, end: None, ..
            })
            | Some(Rec::Body(data)) => data.extend_from_slice(bytes),
            _ => recs.push(Rec::Body(bytes.to_vec())),
        },
        Event::ChunkEnd { offset, .. } => match recs.last_mut() {
            Some(Rec::Chunk { end, .. }) => *end = Some(offset),
            other => panic!("ChunkEnd after {other:?}"),
        },
        Event::LastChunk {
            offset, size_line, ..
        } => recs.push(Rec::Last(offset, size_line.to_vec())),
        Event::Trailers { fields, notes } => recs.push(Rec::Trailers(
            fields.into_iter().map(|f| (f.name, f.value)).collect(),
            notes,
        )),
        Event::End {
            offset,
            chunks,
            body_bytes,
        } => recs.push(Rec::End(offset, chunks, body_bytes)),
    }
}

// ANCHOR: decode
/// Feeds `pieces` in order, then reports the end of the connection.
fn decode(method: &str, pieces: &[&[u8]]) -> (Vec<Rec>, Outcome) {
    decode_with(Decoder::new(method), pieces)
}

fn decode_with(mut decoder: Decoder, pieces: &[&[u8]]) -> (Vec<Rec>, Outcome) {
    let mut recs = Vec::new();
    let mut fed = 0;
    for piece in pieces {
        match decoder.feed(piece, &mut |e| record(&mut recs, e)) {
            Ok(Status::Partial) => fed += piece.len() as u64,
            Ok(Status::Complete(n)) => return (recs, Ok(fed + n as u64)),
            Err(e) => return (recs, Err((e.kind.name(), e.offset))),
        }
    }
    let outcome = match decoder.finish(&mut |e| record(&mut recs, e)) {
        Ok(()) => Ok(fed),
        Err(e) => Err((e.kind.name(), e.offset)),
    };
    (recs, outcome)
}
// ANCHOR_END: decode

// ANCHOR: decode_every_way
/// Decodes `input` whole, split at every offset, and byte by byte; asserts
/// all agree, and returns the result.
fn decode_every_way(method: &str, input: &[u8]) -> (Vec<Rec>, Outcome) {
    let whole = decode(method, &[input]);
    for at in 0..=input.len() {
        let (a, b) = input.split_at(at);
        assert_eq!(decode(method, &[a, b]), whole, "split at {at}");
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(decode(method, &bytes), whole, "byte by byte");
    whole
}
// ANCHOR_END: decode_every_way

const HEAD: &str = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
const H: u64 = HEAD.len() as u64;

fn chunked(body: &str) -> Vec<u8> {
    format!("{HEAD}{body}").into_bytes()
}

/// Each chunk's size line and data, as text.
fn chunks_of(recs: &[Rec]) -> Vec<(String, String)> {
    recs.iter()
        .filter_map(|r| match r {
            Rec::Chunk { line, data, .. } => Some((
                String::from_utf8_lossy(line).into_owned(),
                String::from_utf8_lossy(data).into_owned(),
            )),
            _ => None,
        })
        .collect()
}

/// A name, a chunked body, and its chunks' size lines and data.
type ChunkedCase = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

#[test]
fn valid_chunked_bodies() {
    let cases: &[ChunkedCase] = &[
        (
            "two chunks",
            "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            &[("5", "hello"), ("6", " world")],
        ),
        (
            "upper and lower hex",
            "A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n",
            &[("A", "0123456789"), ("a", "abcdefghij")],
        ),
        (
            "leading zeros",
            "0005\r\nhello\r\n000\r\n\r\n",
            &[("0005", "hello")],
        ),
        (
            "extensions, quoted strings with escapes",
            "5;a=b;c\r\nhello\r\n5 ; n = \"q\\\"u;o=ted\" ;x\r\nworld\r\n0;last\r\n\r\n",
            &[
                ("5;a=b;c", "hello"),
                ("5 ; n = \"q\\\"u;o=ted\" ;x", "world"),
            ],
        ),
        (
            "CRLF inside data",
            "4\r\n\r\n\r\n\r\n0\r\n\r\n",
            &[("4", "\r\n\r\n")],
        ),
        (
            "a fake last-chunk inside data",
            "5\r\n0\r\n\r\n\r\n0\r\n\r\n",
            &[("5", "0\r\n\r\n")],
        ),
        ("no chunks at all", "0\r\n\r\n", &[]),
    ];
    for &(name, body, expected) in cases {
        let input = chunked(body);
        let (recs, outcome) = decode_every_way("GET", &input);
        assert_eq!(outcome, Ok(input.len() as u64), "{name}: {recs:?}");
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|&(l, d)| (l.into(), d.into()))
            .collect();
        assert_eq!(chunks_of(&recs), expected, "{name}");
        let body_bytes: u64 =
            expected.iter().map(|(_, d)| d.len() as u64).sum();
        assert_eq!(
            recs.last(),
            Some(&Rec::End(
                input.len() as u64,
                expected.len() as u64,
                body_bytes
            )),
            "{name}"
        );
    }
}

#[test]
fn chunk_offsets_point_at_size_lines_and_past_crlfs() {
    let input = chunked("5\r\nhello\r\n0\r\n\r\n");
    let (recs, _) = decode_every_way("GET", &input);
    assert_eq!(
        recs,
        [
            Rec::Head(200, Framing::Chunked),
            Rec::Chunk {
                offset: H,
                line: b"5".to_vec(),
                size: 5,
                data: b"hello".to_vec(),
                end: Some(H + 10),
            },
            Rec::Last(H + 10, b"0".to_vec()),
            Rec::End(H + 15, 1, 5),
        ]
    );
}

#[test]
fn trailers() {
    let input = chunked("3\r\nabc\r\n0\r\nX-Sum: abc \r\nEmpty:\r\n\r\n");
    let (recs, outcome) = decode_every_way("GET", &input);
    assert_eq!(outcome, Ok(input.len() as u64));
    assert!(recs.contains(&Rec::Trailers(
        vec![
            ("X-Sum".into(), b"abc".to_vec()),
            ("Empty".into(), b"".to_vec()),
        ],
        vec![]
    )));
}

/// RFC 9112 §5.2 asks a user agent to replace an obs-fold with spaces in
/// any field line of a response, the trailers' too.
#[test]
fn a_folded_trailer_is_unfolded_and_noted() {
    let input = chunked("0\r\nX-Sum: a\r\n b \r\n\tc\r\nY: d\r\n\r\n");
    let (recs, outcome) = decode_every_way("GET", &input);
    assert_eq!(outcome, Ok(input.len() as u64));
    assert!(
        recs.contains(&Rec::Trailers(
            vec![
                ("X-Sum".into(), b"a b c".to_vec()),
                ("Y".into(), b"d".to_vec()),
            ],
            vec![
                "obs-fold in X-Sum, replaced with a space (RFC 9112 §5.2)"
                    .into()
            ]
        )),
        "{recs:?}"
    );
}

// ANCHOR: stops_exactly
#[test]
fn decoding_stops_exactly_after_the_message() {
    let next = "HTTP/1.1 204 No Content\r\n\r\n";
    let input = chunked(&format!("2\r\nhi\r\n0\r\n\r\n{next}"));
    let (_, outcome) = decode_every_way("GET", &input);
    assert_eq!(outcome, Ok((input.len() - next.len()) as u64));
}
// ANCHOR_END: stops_exactly

#[test]
fn invalid_chunked_bodies_name_the_rule_and_the_byte() {
    let huge_ext = format!("5;{}\r\nhello\r\n0\r\n\r\n", "a".repeat(17 * 1024));
    let cases: &[(&str, &str, &str, u64)] = &[
        // Bare LF and bare CR, in every position.
        (
            "bare LF after the size",
            "5\nhello\r\n0\r\n\r\n",
            "bare_lf",
            1,
        ),
        ("bare LF after data", "5\r\nhello\n0\r\n\r\n", "bare_lf", 8),
        ("bare LF after the last-chunk", "0\n\r\n", "bare_lf", 1),
        ("bare LF ending the trailers", "0\r\n\n", "bare_lf", 3),
        ("bare LF after a trailer", "0\r\nX: y\n\r\n", "bare_lf", 7),
        (
            "bare LF after an extension",
            "5;a=b\nhello\r\n0\r\n\r\n",
            "bare_lf",
            5,
        ),
        (
            "bare CR in the size line",
            "5\rx\r\nhello\r\n0\r\n\r\n",
            "bare_cr",
            1,
        ),
        ("bare CR after data", "5\r\nhello\rX0\r\n\r\n", "bare_cr", 8),
        ("bare CR in a trailer", "0\r\nX: y\rz\r\n\r\n", "bare_cr", 7),
        ("bare CR ending the trailers", "0\r\n\rX\r\n", "bare_cr", 3),
        // The data is not where the size said.
        (
            "missing CRLF after data",
            "5\r\nhelloX\r\n0\r\n\r\n",
            "missing_crlf_after_data",
            8,
        ),
        (
            "size too small",
            "3\r\nhello\r\n0\r\n\r\n",
            "missing_crlf_after_data",
            6,
        ),
        // ANCHOR: size_cases
        // The size itself.
        (
            "size overflow",
            "10000000000000000\r\n",
            "chunk_size_overflow",
            16,
        ),
        ("empty size line", "\r\nhello\r\n", "empty_chunk_size", 0),
        (
            "space before the size",
            " 5\r\nhello\r\n",
            "invalid_chunk_size",
            0,
        ),
        (
            "space after the size",
            "5 \r\nhello\r\n",
            "invalid_chunk_size",
            1,
        ),
        ("plus sign", "+5\r\nhello\r\n", "invalid_chunk_size", 0),
        ("minus sign", "-5\r\nhello\r\n", "invalid_chunk_size", 0),
        ("0x prefix", "0x5\r\nhello\r\n", "invalid_chunk_size", 1),
        ("not hex", "5g\r\nhello\r\n", "invalid_chunk_size", 1),
        // ANCHOR_END: size_cases
        // Extensions.
        (
            "extension without a name",
            "5;\r\nhello\r\n",
            "invalid_chunk_extension",
            2,
        ),
        (
            "extension value missing",
            "5;a=\r\nhello\r\n",
            "invalid_chunk_extension",
            4,
        ),
        (
            "unclosed quoted string",
            "5;a=\"b\r\nhello\r\n",
            "invalid_chunk_extension",
            4,
        ),
        (
            "whitespace at the end",
            "5;a \r\nhello\r\n",
            "invalid_chunk_extension",
            3,
        ),
        (
            "huge extension",
            &huge_ext,
            "chunk_extension_too_long",
            16 * 1024,
        ),
        // Trailers.
        (
            "a fold with no trailer above",
            "0\r\n b\r\n\r\n",
            "obs_fold",
            3,
        ),
        (
            "a CR alone in a trailer",
            "0\r\nX: a\rb\r\n\r\n",
            "bare_cr",
            7,
        ),
        (
            "space before the colon",
            "0\r\nX : a\r\n\r\n",
            "invalid_trailer",
            4,
        ),
        (
            "trailer without colon",
            "0\r\nnope\r\n\r\n",
            "invalid_trailer",
            7,
        ),
        // Truncated.
        ("truncated data", "5\r\nhel", "unexpected_eof", 6),
        (
            "truncated before the next size",
            "5\r\nhello\r\n",
            "unexpected_eof",
            10,
        ),
        ("truncated in the trailers", "0\r\n", "unexpected_eof", 3),
    ];
    // ANCHOR: invalid_loop
    for &(name, body, kind, at) in cases {
        let (_, outcome) = decode_every_way("GET", &chunked(body));
        assert_eq!(outcome, Err((kind, H + at)), "{name}");
    }
    // ANCHOR_END: invalid_loop
}

#[test]
fn framing_follows_rfc_9112_section_6_3() {
    let cases: &[(&str, &str, &str, Result<Framing, &str>)] = &[
        (
            "content-length",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            "GET",
            Ok(Framing::ContentLength(5)),
        ),
        (
            "repeated equal lengths",
            "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello",
            "GET",
            Ok(Framing::ContentLength(5)),
        ),
        (
            "read until close",
            "HTTP/1.1 200 OK\r\n\r\nhello",
            "GET",
            Ok(Framing::Close),
        ),
        (
            "chunked not last: until close",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nhello",
            "GET",
            Ok(Framing::Close),
        ),
        (
            "HEAD has no body",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
            "HEAD",
            Ok(Framing::None),
        ),
        (
            "204 has no body",
            "HTTP/1.1 204 No Content\r\n\r\n",
            "GET",
            Ok(Framing::None),
        ),
        (
            "304 has no body",
            "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n",
            "GET",
            Ok(Framing::None),
        ),
        (
            "both TE and CL",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            "GET",
            Err("conflicting_framing"),
        ),
        (
            "an empty TE beside CL",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\nContent-Length: 5\r\n\r\n",
            "GET",
            Err("conflicting_framing"),
        ),
        (
            "an empty TE alone: read until the close",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\nhello",
            "GET",
            Ok(Framing::Close),
        ),
        (
            "chunked twice",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
            "GET",
            Err("invalid_transfer_encoding"),
        ),
        (
            "two lengths",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "GET",
            Err("invalid_content_length"),
        ),
        (
            "a signed length",
            "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n",
            "GET",
            Err("invalid_content_length"),
        ),
        (
            "bare LF in the head",
            "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
            "GET",
            Err("bare_lf"),
        ),
        (
            "not HTTP",
            "SSH-2.0-OpenSSH_9.2\r\n\r\n",
            "GET",
            Err("invalid_head"),
        ),
    ];
    for &(name, input, method, expected) in cases {
        let (recs, outcome) = decode_every_way(method, input.as_bytes());
        match expected {
            Ok(framing) => {
                assert!(
                    matches!(recs[0], Rec::Head(_, f) if f == framing),
                    "{name}: {recs:?}"
                );
                assert_eq!(outcome, Ok(input.len() as u64), "{name}");
                let body = input.split("\r\n\r\n").nth(1).unwrap();
                let got: Vec<u8> = recs
                    .iter()
                    .filter_map(|r| match r {
                        Rec::Body(b) => Some(b.clone()),
                        _ => None,
                    })
                    .flatten()
                    .collect();
                assert_eq!(got, body.as_bytes(), "{name}");
            }
            Err(kind) => {
                assert_eq!(outcome.map_err(|e| e.0), Err(kind), "{name}")
            }
        }
    }
}

/// The heads decoded from `input`, whole, split at every offset and a
/// byte at a time (all must agree), and the outcome with its message.
fn heads_every_way(
    input: &[u8],
) -> (Vec<inspector::decode::Head>, Result<u64, (String, u64)>) {
    let run = |pieces: &[&[u8]]| {
        let mut decoder = Decoder::new("GET");
        let mut heads = Vec::new();
        let mut on = |e: Event<'_>| {
            if let Event::Head(h) = e {
                heads.push(h);
            }
        };
        let mut fed = 0;
        for piece in pieces {
            match decoder.feed(piece, &mut on) {
                Ok(Status::Partial) => fed += piece.len() as u64,
                Ok(Status::Complete(n)) => return (heads, Ok(fed + n as u64)),
                Err(e) => return (heads, Err((e.kind.to_string(), e.offset))),
            }
        }
        let outcome = decoder
            .finish(&mut on)
            .map(|()| fed)
            .map_err(|e| (e.kind.to_string(), e.offset));
        (heads, outcome)
    };
    let whole = run(&[input]);
    for at in 0..=input.len() {
        let (a, b) = input.split_at(at);
        assert_eq!(run(&[a, b]), whole, "split at {at}");
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(run(&bytes), whole, "byte by byte");
    whole
}

#[test]
fn an_obs_fold_is_replaced_with_a_space_and_noted() {
    // (name, head, the folded field's value, the notes)
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            "one fold",
            "HTTP/1.1 200 OK\r\nX-Long: a\r\n b\r\nContent-Length: 0\r\n\r\n",
            "a b",
            &["obs-fold in X-Long, replaced with a space (RFC 9112 §5.2)"],
        ),
        (
            "a fold of tabs and spaces, twice",
            "HTTP/1.1 200 OK\r\nX-Long: a \r\n\t b\r\n  c\r\nContent-Length: 0\r\n\r\n",
            "a b c",
            &["obs-fold in X-Long, replaced with a space (RFC 9112 §5.2)"],
        ),
        (
            "no fold, no note",
            "HTTP/1.1 200 OK\r\nX-Long: a b\r\nContent-Length: 0\r\n\r\n",
            "a b",
            &[],
        ),
    ];
    for &(name, input, value, notes) in cases {
        let (heads, outcome) = heads_every_way(input.as_bytes());
        assert_eq!(outcome, Ok(input.len() as u64), "{name}");
        assert_eq!(heads[0].field("x-long"), Some(value.as_bytes()), "{name}");
        assert_eq!(heads[0].notes, notes, "{name}");
        assert_eq!(heads[0].framing, Framing::ContentLength(0), "{name}");
    }
}

/// obs-text is allowed in a reason phrase (RFC 9112 §4): kept, as UTF-8
/// when it is, else as ISO-8859-1.
#[test]
fn a_reason_phrase_keeps_its_bytes_over_0x7f() {
    let cases: &[(&[u8], &str)] = &[
        (
            b"HTTP/1.1 200 Gr\xfc\xdfe\r\nContent-Length: 0\r\n\r\n",
            "Grüße",
        ),
        (
            b"HTTP/1.1 200 \xc3\xa9t\xc3\xa9\r\nContent-Length: 0\r\n\r\n",
            "été",
        ),
        (b"HTTP/1.1 200 A\tB\r\nContent-Length: 0\r\n\r\n", "A\tB"),
        (b"HTTP/1.1 204\r\n\r\n", ""),
    ];
    for &(input, reason) in cases {
        let (heads, outcome) = heads_every_way(input);
        assert_eq!(outcome, Ok(input.len() as u64), "{reason}");
        assert_eq!(heads[0].reason, reason);
    }
}

/// RFC 9110 §2.5: a later minor version is read as the latest this
/// reader knows, 1.1, and the head says so.
#[test]
fn a_later_minor_version_is_read_as_http_1_1_and_noted() {
    let input = "HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    let (heads, outcome) = heads_every_way(input.as_bytes());
    assert_eq!(outcome, Ok(input.len() as u64));
    assert_eq!(heads[0].minor_version, 2);
    assert_eq!(heads[0].framing, Framing::ContentLength(2));
    assert_eq!(
        heads[0].notes,
        [
            "HTTP/1.2 read as HTTP/1.1, the latest 1.x this reader knows (RFC 9110 §2.5)"
        ]
    );
    // Its other rules still hold, with the byte counted as sent.
    let (_, outcome) = heads_every_way(b"HTTP/1.2 20 OK\r\n\r\n");
    assert_eq!(outcome.unwrap_err().1, 11);
}

#[test]
fn a_bad_head_names_what_is_wrong_and_where() {
    let bad = "the response head is malformed: ";
    let cases: &[(&str, &str, &str, u64)] = &[
        (
            "a control byte in the reason phrase",
            "HTTP/1.1 200 O\x01K\r\n\r\n",
            "the reason phrase has a control character",
            14,
        ),
        (
            "a CR alone in the reason phrase",
            "HTTP/1.1 200 O\rK\r\n\r\n",
            "",
            14,
        ),
        (
            "a status code of two digits",
            "HTTP/1.1 20 OK\r\n\r\n",
            "the status code is not three digits",
            11,
        ),
        (
            "a status code of four digits",
            "HTTP/1.1 2000 OK\r\n\r\n",
            "the status code is not three digits",
            12,
        ),
        (
            "no space after the status code",
            "HTTP/1.1 200OK\r\n\r\n",
            "the status code is not followed by a space",
            12,
        ),
        (
            "HTTP/2 in an HTTP/1 head",
            "HTTP/2.0 200 OK\r\n\r\n",
            "the version is not HTTP/1.x",
            5,
        ),
        (
            "a CR alone in a value",
            "HTTP/1.1 200 OK\r\nX-B: a\rb\r\n\r\n",
            "",
            23,
        ),
        (
            "not HTTP",
            "SSH-2.0-OpenSSH_9.2\r\n\r\n",
            "the version is not HTTP/1.x",
            0,
        ),
        (
            "no space after the version",
            "HTTP/1.10 200 OK\r\n\r\n",
            "the version is not followed by a space",
            8,
        ),
        (
            "a space before the colon",
            "HTTP/1.1 200 OK\r\nX-A: 1\r\nX-B : 2\r\n\r\n",
            "whitespace between the name and the colon",
            28,
        ),
        (
            "a name that is not a token",
            "HTTP/1.1 200 OK\r\nX(B): 2\r\n\r\n",
            "the field name is not followed by a colon",
            18,
        ),
        (
            "a control byte in a value",
            "HTTP/1.1 200 OK\r\nX-B: a\x00b\r\n\r\n",
            "a control character in the value",
            23,
        ),
        (
            "a control byte in a folded value",
            "HTTP/1.1 200 OK\r\nX-B: a\r\n b\x7f\r\n\r\n",
            "a control character in the value",
            27,
        ),
        (
            "whitespace before the first field",
            "HTTP/1.1 200 OK\r\n X-B: a\r\n\r\n",
            "whitespace before the first header field (RFC 9112 §2.2)",
            17,
        ),
    ];
    for &(name, input, why, offset) in cases {
        let (_, outcome) = heads_every_way(input.as_bytes());
        let (message, at) = outcome.expect_err(name);
        if why.is_empty() {
            assert!(
                message.contains("a CR is not followed by LF"),
                "{name}: {message}"
            );
        } else {
            assert_eq!(message, format!("{bad}{why}"), "{name}");
        }
        assert_eq!(at, offset, "{name}: {message}");
    }
}

#[test]
fn an_interim_response_is_followed_by_the_final_one() {
    let input =
        b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n\
                  HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    let (recs, outcome) = decode_every_way("GET", input);
    assert_eq!(outcome, Ok(input.len() as u64));
    assert_eq!(recs[0], Rec::Head(103, Framing::None));
    assert_eq!(recs[1], Rec::Head(200, Framing::ContentLength(2)));
}

#[test]
fn a_close_before_the_length_is_an_error() {
    let input = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello";
    let (_, outcome) = decode_every_way("GET", input);
    assert_eq!(outcome, Err(("unexpected_eof", input.len() as u64)));
}

/// Found by `random::any_bytes`: a lone CR before the status line was
/// placed at byte 0 when the head came in small pieces, and at the next
/// line feed when it came whole.
#[test]
fn a_lone_cr_before_the_status_line_is_found_however_split() {
    let mut input = b"\r".to_vec();
    input.extend_from_slice(&[0; 19]);
    input.extend_from_slice(b"\nX: y\r\n\r\n");
    let (_, outcome) = decode_every_way("GET", &input);
    assert_eq!(outcome, Err(("invalid_head", 0)));
}

#[test]
fn a_head_too_large_is_an_error() {
    let mut input = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
    input.resize(70 * 1024, b'a');
    let (_, outcome) = decode("GET", &[&input]);
    assert_eq!(outcome, Err(("head_too_large", 64 * 1024)));
}

mod random {
    use super::*;
    use proptest::prelude::*;

    // ANCHOR: any_body_any_split
    /// Bytes that matter to chunked framing, so random bodies get deep
    /// into the grammar instead of failing at the first byte.
    fn framing_byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            prop::sample::select(
                b"0123456789abcdefABCDEF;= \t\"\\\r\n:xX".to_vec()
            ),
            any::<u8>(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whatever the bytes and however they are split, nothing panics
        /// and the outcome is the one of the whole input.
        #[test]
        fn any_body_any_split(
            body in prop::collection::vec(framing_byte(), 0..120),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let input = [HEAD.as_bytes(), &body].concat();
            let mut at: Vec<usize> = cuts.iter().map(|c| c.index(input.len() + 1)).collect();
            at.sort_unstable();
            let mut pieces = Vec::new();
            let mut from = 0;
            for &to in &at {
                pieces.push(&input[from..to]);
                from = to;
            }
            pieces.push(&input[from..]);
            prop_assert_eq!(decode("GET", &pieces), decode("GET", &[&input]));
        }
        // ANCHOR_END: any_body_any_split

        /// Entirely random bytes, head included, never panic the decoder.
        #[test]
        fn any_bytes(input in prop::collection::vec(any::<u8>(), 0..300)) {
            let bytes: Vec<&[u8]> = input.chunks(7).collect();
            prop_assert_eq!(decode("GET", &bytes), decode("GET", &[&input]));
        }
    }
}

/// A trailer section of `total` bytes (field lines with their CRLFs).
fn trailers_of(total: usize) -> Vec<u8> {
    let filler = total - "X: \r\n".len();
    chunked(&format!("0\r\nX: {}\r\n\r\n", "a".repeat(filler)))
}

#[test]
fn the_trailer_limit_is_16_kib_exactly() {
    let at_limit = trailers_of(16 * 1024);
    let whole = decode("GET", &[&at_limit]);
    assert_eq!(whole.1, Ok(at_limit.len() as u64));
    let (a, b) = at_limit.split_at(at_limit.len() / 2);
    assert_eq!(decode("GET", &[a, b]), whole);

    let over = trailers_of(16 * 1024 + 1);
    assert_eq!(
        decode("GET", &[&over]).1.map_err(|e| e.0),
        Err("trailers_too_long")
    );

    // A single line right at the edge used to wrap the remaining budget.
    let edge = chunked(&format!(
        "0\r\nX: {}\r\nY: z\r\n\r\n",
        "a".repeat(16 * 1024 - 4)
    ));
    assert_eq!(
        decode("GET", &[&edge]).1.map_err(|e| e.0),
        Err("trailers_too_long")
    );
}

#[test]
fn chunked_with_parameters_is_an_error() {
    let input =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n";
    let (_, outcome) = decode_every_way("GET", input);
    assert_eq!(outcome, Err(("invalid_transfer_encoding", 0)));
}

#[test]
fn a_2xx_to_connect_has_no_body() {
    let head = "HTTP/1.1 200 Connection Established\r\n\r\n";
    let input = format!("{head}\x16\x03\x01 tunnelled bytes");
    let (recs, outcome) = decode_every_way("CONNECT", input.as_bytes());
    assert_eq!(recs[0], Rec::Head(200, Framing::None));
    assert_eq!(outcome, Ok(head.len() as u64));
}

#[test]
fn a_chunked_body_alone_decodes_as_it_does_after_a_head() {
    let bodies = [
        "5\r\nhello\r\n0\r\n\r\n",
        "1;a=\"b\"\r\nx\r\n0\r\nT: 1\r\n\r\nnext",
        "5\r\nhel",
        "5\nhello\r\n0\r\n\r\n",
    ];
    for body in bodies {
        let (mut after_head, outcome) = decode_every_way("GET", &chunked(body));
        after_head.retain(|r| !matches!(r, Rec::Head(..)));
        let shifted = after_head
            .into_iter()
            .map(|r| shift(r, H))
            .collect::<Vec<_>>();
        let outcome =
            outcome.map(|n| n - H).map_err(|(kind, at)| (kind, at - H));
        let bytes = body.as_bytes();
        let whole = decode_with(Decoder::chunked_body(), &[bytes]);
        assert_eq!(whole, (shifted, outcome), "{body:?}");
        for at in 0..=bytes.len() {
            let (a, b) = bytes.split_at(at);
            let split = decode_with(Decoder::chunked_body(), &[a, b]);
            assert_eq!(split, whole, "{body:?} split at {at}");
        }
    }
}

/// The same record, `by` bytes earlier in the stream.
fn shift(rec: Rec, by: u64) -> Rec {
    match rec {
        Rec::Chunk {
            offset,
            line,
            size,
            data,
            end,
        } => Rec::Chunk {
            offset: offset - by,
            line,
            size,
            data,
            end: end.map(|e| e - by),
        },
        Rec::Last(offset, line) => Rec::Last(offset - by, line),
        Rec::End(offset, chunks, bytes) => Rec::End(offset - by, chunks, bytes),
        rec => rec,
    }
}
