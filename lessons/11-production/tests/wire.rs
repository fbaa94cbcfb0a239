//! Lesson 11 on a real socket: each chunk of a coded stream decodes when
//! it arrives (the inspector's decoder, and curl's), the middleware that
//! swallows flushes holds it all, and HTTP/1.0 gets the stream until the
//! close.

use std::process::Command;
use std::time::Duration;

use inspector::capture::{self, Live};
use inspector::session::{Chunk, Record};
use lesson_01_raw_tcp::page::{PARTS, html};
use lesson_01_raw_tcp::testing::{mask_date, require};
use lesson_11_production::browser::{TEXT_PIECE, TEXT_PIECES};
use lesson_11_production::spawn;

/// Short pauses: the tests assert order and gaps, never wall-clock times.
const PAUSE: Duration = Duration::from_millis(100);

/// `GET target`, asking for `coding`; the records the inspector made.
fn get(target: &str, accept_encoding: Option<&str>) -> Vec<Record> {
    let addr = spawn(PAUSE).unwrap();
    let accept = accept_encoding
        .map(|coding| format!("Accept-Encoding: {coding}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\n{accept}Connection: close\r\n\r\n"
    );
    let live = Live::connect(addr, request.as_bytes()).unwrap();
    live.records("GET", usize::MAX).unwrap()
}

/// The value of the head's field `name`.
fn field<'a>(records: &'a [Record], name: &str) -> Option<&'a str> {
    let Record::Head { headers, .. } = &records[0] else {
        panic!("no head: {:?}", records[0]);
    };
    let found = headers.iter().find(|[n, _]| n.eq_ignore_ascii_case(name));
    found.map(|[_, value]| value.as_str())
}

/// The chunks, without the last-chunk, and the content each decoded to.
fn chunks(records: Vec<Record>) -> Vec<(Chunk, String)> {
    records
        .into_iter()
        .filter_map(Record::into_data_chunk)
        .map(|chunk| {
            let content = chunk.content.as_ref().map(|c| c.content.clone());
            (chunk, content.unwrap_or_default())
        })
        .collect()
}

// ANCHOR: each_chunk_decodes
#[test]
fn each_coded_chunk_decodes_to_its_part_when_it_arrives() {
    for coding in ["gzip", "br"] {
        let records = get("/", Some(coding));
        assert_eq!(field(&records, "Content-Encoding"), Some(coding));
        assert_eq!(field(&records, "Vary"), Some("Accept-Encoding"));
        assert_eq!(field(&records, "X-Accel-Buffering"), Some("no"));
        assert_eq!(field(&records, "Cache-Control"), Some("no-transform"));
        assert_eq!(field(&records, "X-Content-Type-Options"), Some("nosniff"));
        // The chunks that carry content carry exactly one part each: the
        // client can decode every part when it comes, not at the end.
        let chunks = chunks(records);
        let parts: Vec<_> =
            chunks.iter().filter(|(_, c)| !c.is_empty()).collect();
        let decoded: Vec<&str> =
            parts.iter().map(|(_, c)| c.as_str()).collect();
        assert_eq!(decoded, PARTS, "{coding}");
        for pair in parts.windows(2) {
            let gap = pair[1].0.t_ms - pair[0].0.t_ms;
            assert!(gap > 50.0, "{coding}: {gap} ms between two parts");
        }
    }
}
// ANCHOR_END: each_chunk_decodes

// ANCHOR: swallowed
#[test]
fn a_middleware_that_swallows_the_flushes_sends_the_content_at_the_end() {
    for coding in ["gzip", "br"] {
        let chunks = chunks(get("/swallowed", Some(coding)));
        let (last, content) = chunks.last().unwrap();
        // All the content, in the last chunk; before it, a gzip header
        // at most.
        assert_eq!(content, &html(), "{coding}");
        for (chunk, content) in &chunks[..chunks.len() - 1] {
            assert_eq!(content, "", "{coding}: chunk {}", chunk.index);
        }
        let pauses = (PARTS.len() - 1) as f64 * PAUSE.as_millis() as f64;
        assert!(last.t_ms > pauses * 0.9, "{coding}: at {} ms", last.t_ms);
    }
}
// ANCHOR_END: swallowed

#[test]
fn a_client_that_asks_for_no_coding_gets_the_parts_as_they_are() {
    let records = get("/", None);
    assert_eq!(field(&records, "Content-Encoding"), None);
    // The answer still depended on the request's Accept-Encoding.
    assert_eq!(field(&records, "Vary"), Some("Accept-Encoding"));
    let chunks = chunks(records);
    let sent: Vec<&str> = chunks.iter().map(|(c, _)| c.data.as_str()).collect();
    assert_eq!(sent, PARTS);
}

// ANCHOR: http10
#[test]
fn an_http_10_client_gets_the_stream_until_the_close() {
    let addr = spawn(PAUSE).unwrap();
    let request = "GET / HTTP/1.0\r\nHost: t\r\n\r\n";
    let capture = capture::fetch(addr, request.as_bytes()).unwrap();
    let response = String::from_utf8(mask_date(&capture.bytes)).unwrap();
    // No chunks (HTTP/1.0 has none) and no Content-Length (the length is
    // not known yet): the close ends the body (RFC 9112 §6.3).
    let head = "HTTP/1.1 200 OK\r\n\
                Date: <date>\r\n\
                Content-Type: text/html; charset=utf-8\r\n\
                Vary: Accept-Encoding\r\n\
                X-Accel-Buffering: no\r\n\
                Cache-Control: no-transform\r\n\
                X-Content-Type-Options: nosniff\r\n\
                Connection: close\r\n\r\n";
    assert_eq!(response, format!("{head}{}", html()));
    // And it streams: the first part came well before the last.
    let first = capture.arrival(capture.bytes.len() - html().len()).unwrap();
    let last = capture.arrival(capture.bytes.len() - 1).unwrap();
    assert!(last - first > PAUSE * 3, "{first:?} then {last:?}");
}
// ANCHOR_END: http10

#[test]
fn curl_decodes_the_flushed_stream_as_it_comes() {
    if !require("curl") {
        return;
    }
    let addr = spawn(PAUSE).unwrap();
    for coding in ["gzip", "br"] {
        let out = Command::new("curl")
            .args(["-sS", "-N", "-H", &format!("Accept-Encoding: {coding}")])
            .arg("--compressed")
            .arg(format!("http://{addr}/"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{coding}: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), html(), "{coding}");
    }
}

#[test]
fn head_says_what_get_would_send_and_sends_no_body() {
    let addr = spawn(PAUSE).unwrap();
    let request = "HEAD / HTTP/1.1\r\nHost: t\r\nAccept-Encoding: br\r\n\
                   Connection: close\r\n\r\n";
    let capture = capture::fetch(addr, request.as_bytes()).unwrap();
    let response = String::from_utf8_lossy(&capture.bytes);
    assert!(
        response.contains("\r\nContent-Encoding: br\r\n"),
        "{response}"
    );
    assert!(response.ends_with("\r\n\r\n"), "{response}");
}

#[test]
fn the_text_page_is_its_pieces_and_says_nosniff_only_when_asked() {
    for (query, nosniff) in
        [("nosniff=1", Some("nosniff")), ("nosniff=0", None)]
    {
        let records = get(&format!("/text?{query}"), Some("gzip"));
        assert_eq!(field(&records, "X-Content-Type-Options"), nosniff);
        // The browser's pages are not coded: only the rule differs.
        assert_eq!(field(&records, "Content-Encoding"), None);
        let chunks = chunks(records);
        assert_eq!(chunks.len(), TEXT_PIECES, "{query}");
        assert!(chunks.iter().all(|(c, _)| c.size == TEXT_PIECE as u64));
    }
}

#[test]
fn the_charset_pages_name_no_charset_in_their_content_type() {
    for query in ["meta=early", "meta=late"] {
        let records = get(&format!("/charset?{query}"), None);
        assert_eq!(field(&records, "Content-Type"), Some("text/html"));
    }
}

#[test]
fn a_path_or_query_it_does_not_serve_is_refused_with_a_reason() {
    let addr = spawn(PAUSE).unwrap();
    let request = "GET /text?nosniff=maybe HTTP/1.1\r\nHost: t\r\n\
                   Connection: close\r\n\r\n";
    let (status, why) = capture::answer(addr, request.as_bytes()).unwrap();
    assert_eq!(status, 404);
    assert!(
        why.starts_with("nothing at /text?nosniff=maybe: try /"),
        "{why}"
    );
}
