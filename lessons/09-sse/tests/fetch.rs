//! `POST /reply` on a real socket: the events of the stream, and the
//! methods it refuses. The page that reads it with `fetch()` is tested
//! in Chromium by the workspace's `tests/fetch.rs`.

use inspector::capture::{self, Live};
use inspector::session::Record;
use lesson_09_sse::reply::{done, token};
use lesson_09_sse::{Plan, spawn};

// ANCHOR: wire
#[test]
fn a_post_is_answered_with_a_word_per_event_then_done() {
    let addr = spawn(Plan::default()).unwrap();
    let body = r#"{"prompt":"a haiku about streaming"}"#;
    let request = format!(
        "POST /reply?n=3&every=100 HTTP/1.1\r\nHost: t\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let live = Live::connect(addr, request.as_bytes()).unwrap();
    let records = live.records("POST", usize::MAX).unwrap();
    let Record::Head {
        status, headers, ..
    } = &records[0]
    else {
        panic!("{:?}", records[0]);
    };
    assert_eq!(*status, 200);
    let field = |name: &str| {
        let found = headers.iter().find(|[n, _]| n.eq_ignore_ascii_case(name));
        found.map(|[_, value]| value.as_str())
    };
    assert_eq!(field("Content-Type"), Some("text/event-stream"));
    assert_eq!(field("Transfer-Encoding"), Some("chunked"));

    // The exact bytes: a chunk per event.
    let sent: Vec<String> = records
        .iter()
        .cloned()
        .filter_map(Record::into_data_chunk)
        .map(|chunk| chunk.data)
        .collect();
    let words = (1..=3).map(|n| token(n).encode());
    let expected: Vec<String> = words.chain([done(3).encode()]).collect();
    assert_eq!(sent, expected);
    assert_eq!(expected[0], "event: token\ndata: Chunk\n\n");

    // The events, as the inspector's event-stream reader takes them.
    let events: Vec<(String, String)> = records
        .into_iter()
        .filter_map(|record| match record {
            Record::Event { event, data, .. } => Some((event, data)),
            _ => None,
        })
        .collect();
    let expected = [
        ("token", "Chunk"),
        ("token", "after"),
        ("token", "chunk,"),
        ("done", "3 words"),
    ];
    let expected = expected.map(|(e, d)| (e.to_owned(), d.to_owned()));
    assert_eq!(events, expected);
}
// ANCHOR_END: wire

#[test]
fn reply_takes_a_post_and_nothing_else() {
    let addr = spawn(Plan::default()).unwrap();
    let get = "GET /reply HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    let answer = capture::answer(addr, get.as_bytes()).unwrap();
    assert_eq!(answer, (405, "/reply takes a POST\n".into()));
    let bad = "POST /reply?every=0 HTTP/1.1\r\nHost: t\r\n\
               Content-Length: 0\r\nConnection: close\r\n\r\n";
    let answer = capture::answer(addr, bad.as_bytes()).unwrap();
    assert_eq!(answer, (400, "every: 1 ms at least\n".into()));
}
