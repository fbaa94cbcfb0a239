//! Lesson 03 on a real socket: one chunk per flush, the head riding with the
//! first chunk, Content-Length when nothing was flushed, and a BufWriter that
//! collapses the stream into one burst.

use std::time::Duration;

use inspector::capture::{self, Capture};
use lesson_01_raw_tcp::{page, server, testing::mask_date};
use lesson_03_flusher::handler;

const PAUSE: Duration = Duration::from_millis(80);

fn get(path: &str) -> Capture {
    let addr = server::spawn(handler(PAUSE)).unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    capture::fetch(addr, request.as_bytes()).unwrap()
}

fn text(capture: &Capture) -> String {
    String::from_utf8(mask_date(&capture.bytes)).unwrap()
}

/// The page as lesson 02 frames it: one chunk per part, then the last-chunk.
fn chunked_page() -> String {
    let chunks: String = page::PARTS
        .iter()
        .map(|part| format!("{:x}\r\n{part}\r\n", part.len()))
        .collect();
    chunks + "0\r\n\r\n"
}

/// When the last byte of each part of the page arrived.
fn part_arrivals(capture: &Capture) -> Vec<Duration> {
    let text = String::from_utf8_lossy(&capture.bytes);
    page::PARTS
        .iter()
        .map(|part| {
            let end = text.find(part).expect("every part arrives") + part.len();
            capture.arrival(end - 1).unwrap()
        })
        .collect()
}

fn the_whole_page_waited_then_came_in_one_burst(capture: &Capture) {
    let pauses: Duration = page::PARTS[1..].iter().map(|_| PAUSE).sum();
    let first = capture.reads[0].at;
    assert!(first >= pauses, "first byte after {first:?}");
    let spread = capture.spread();
    assert!(spread < PAUSE / 2, "spread over {spread:?}: {capture:?}");
}

#[test]
fn each_flush_is_one_chunk() {
    let capture = get("/");
    assert_eq!(
        text(&capture),
        "HTTP/1.1 200 OK\r\n\
         Date: <date>\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Connection: close\r\n\
         Transfer-Encoding: chunked\r\n\
         \r\n"
            .to_owned()
            + &chunked_page()
    );
}

#[test]
fn the_head_goes_out_with_the_first_chunk_and_each_chunk_after_its_pause() {
    let capture = get("/");
    // One write carried head and first chunk, so one read returned both.
    let head_end = text(&capture).find("\r\n\r\n").unwrap();
    let arrivals = part_arrivals(&capture);
    assert_eq!(capture.arrival(head_end), Some(arrivals[0]));
    assert!(arrivals[0] < PAUSE / 2, "{arrivals:?}");
    for pair in arrivals.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap > PAUSE / 2, "gap {gap:?} in {arrivals:?}");
    }
}

#[test]
fn never_flushed_means_content_length() {
    let capture = get("/buffered");
    let body = page::html();
    assert_eq!(
        text(&capture),
        format!(
            "HTTP/1.1 200 OK\r\n\
             Date: <date>\r\n\
             Content-Type: text/html; charset=utf-8\r\n\
             Connection: close\r\n\
             Content-Length: {}\r\n\
             \r\n\
             {body}",
            body.len()
        )
    );
    the_whole_page_waited_then_came_in_one_burst(&capture);
}

#[test]
fn a_bufwriter_that_is_never_flushed_sends_chunks_in_one_burst() {
    let capture = get("/bufwriter");
    // The very bytes lesson 02 streams...
    let text = text(&capture);
    let body_start = text.find("\r\n\r\n").unwrap() + 4;
    assert!(text.contains("\r\nTransfer-Encoding: chunked\r\n"));
    assert_eq!(text[body_start..], chunked_page());
    // ...but all at once, at the end.
    the_whole_page_waited_then_came_in_one_burst(&capture);
}

/// The inspector's own decoder and timing, pointed at this lesson: one
/// chunk record per flush, each one pause after the one before.
#[test]
fn the_inspector_sees_one_timed_chunk_per_flush() {
    use inspector::capture::Live;
    use inspector::session::Record;

    let addr = server::spawn(handler(PAUSE)).unwrap();
    let live =
        Live::connect(addr, b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let records = live.records("GET", 4096).unwrap();
    let chunks: Vec<_> = records
        .iter()
        .filter_map(|r| match r {
            Record::Chunk(c) if !c.last => Some(c),
            _ => None,
        })
        .collect();
    let data: Vec<&str> = chunks.iter().map(|c| c.data.as_str()).collect();
    assert_eq!(data, page::PARTS);
    for pair in chunks.windows(2) {
        let gap = pair[1].t_ms - pair[0].t_ms;
        assert!(gap > PAUSE.as_secs_f64() * 1000.0 / 2.0, "{gap} ms");
    }
    // The end, then the verdict on the content: one release per flush.
    let [.., end, Record::Verdict(verdict)] = &records[..] else {
        panic!("{records:?}")
    };
    assert!(matches!(end, Record::End { chunks: 5, .. }), "{end:?}");
    assert!(verdict.streamed, "{verdict:?}");
    assert_eq!(verdict.releases, 5);
}
