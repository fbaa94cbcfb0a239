//! Lesson 09 on a real socket: the inspector's decoder, curl, and
//! headless Chromium's `EventSource`, which reconnects and resumes.

use std::process::Command;

use inspector::capture::{self, Live};
use inspector::session::Record;
use lesson_01_raw_tcp::testing::{chromium, require};
use lesson_09_sse::{Plan, event, spawn};

// ANCHOR: wire
#[test]
fn each_event_is_a_chunk_of_its_own_with_the_headers_a_stream_needs() {
    let addr = spawn(Plan::default()).unwrap();
    let records = Live::get(addr, "/events?n=3&every=100").unwrap();
    let records = records.records("GET", usize::MAX).unwrap();
    let Record::Head { headers, .. } = &records[0] else {
        panic!("{:?}", records[0]);
    };
    let field = |name: &str| {
        let found = headers.iter().find(|[n, _]| n.eq_ignore_ascii_case(name));
        found.map(|[_, value]| value.as_str())
    };
    assert_eq!(field("Content-Type"), Some("text/event-stream"));
    assert_eq!(field("Cache-Control"), Some("no-cache"));
    assert_eq!(field("X-Accel-Buffering"), Some("no"));
    assert_eq!(field("Transfer-Encoding"), Some("chunked"));

    let chunks: Vec<_> = records
        .into_iter()
        .filter_map(Record::into_data_chunk)
        .collect();
    let sent: Vec<&str> = chunks.iter().map(|c| c.data.as_str()).collect();
    let events: Vec<String> = (1..=3).map(|n| event(n).encode()).collect();
    assert_eq!(
        sent,
        ["retry: 1000\n\n", &events[0], &events[1], &events[2]]
    );
    // Each event when it is due, not when the stream ends.
    for pair in chunks[1..].windows(2) {
        let gap = pair[1].t_ms - pair[0].t_ms;
        assert!((50.0..200.0).contains(&gap), "{gap} ms between events");
    }
}
// ANCHOR_END: wire

#[test]
fn curl_resumes_after_the_last_event_id_it_sends() {
    if !require("curl") {
        return;
    }
    let addr = spawn(Plan::default()).unwrap();
    let url = format!("http://{addr}/events?n=2&every=20");
    let out = Command::new("curl")
        .args(["-sS", "-N", "-H", "Last-Event-ID: 4", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let expected =
        format!("retry: 1000\n\n{}{}", event(5).encode(), event(6).encode());
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

#[test]
fn a_bad_last_event_id_or_query_is_refused_with_a_reason() {
    let addr = spawn(Plan::default()).unwrap();
    let answer =
        |request: &str| capture::answer(addr, request.as_bytes()).unwrap();
    let id = "GET /events HTTP/1.1\r\nHost: t\r\nLast-Event-ID: x\r\nConnection: close\r\n\r\n";
    assert_eq!(
        answer(id),
        (
            400,
            "Last-Event-ID: \"x\" is no id this server sent\n".into()
        )
    );
    let query =
        "GET /events?every=0 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    assert_eq!(answer(query), (400, "every: 1 ms at least\n".into()));
}

#[test]
fn the_last_id_there_is_gets_400_and_the_one_before_it_ends_the_stream() {
    let addr = spawn(Plan::default()).unwrap();
    let answer =
        |request: &str| capture::answer(addr, request.as_bytes()).unwrap();
    let last = |id: u64| {
        format!(
            "GET /events?n=3&every=1 HTTP/1.1\r\nHost: t\r\n\
             Last-Event-ID: {id}\r\nConnection: close\r\n\r\n"
        )
    };
    assert_eq!(
        answer(&last(u64::MAX)),
        (
            400,
            "Last-Event-ID: 18446744073709551615 is the last id there is: \
             no event comes after it\n"
                .into()
        )
    );
    // n=3 asks for three events, but only one id is left: the stream
    // sends it and ends, where it used to wrap round to event 0 and go
    // on for ever (or panic, in a debug build).
    let records = Live::connect(addr, last(u64::MAX - 1).as_bytes())
        .unwrap()
        .records("GET", usize::MAX)
        .unwrap();
    let sent: Vec<String> = records
        .into_iter()
        .filter_map(Record::into_data_chunk)
        .map(|c| c.data)
        .collect();
    assert_eq!(
        sent,
        ["retry: 1000\n\n".to_owned(), event(u64::MAX).encode()]
    );
}

// ANCHOR: browser
#[test]
fn chromium_reconnects_and_resumes_where_it_stopped() {
    if !require("chromium") {
        return;
    }
    let addr = spawn(Plan::default()).unwrap();
    // Five events per connection, 50 ms apart; the browser comes back
    // 100 ms after each end. The page has loaded long before, so Chromium
    // is given a budget of virtual time: it dumps the DOM once 1 s of the
    // page's timers have run, by which it has reconnected several times.
    let url = format!("http://{addr}/?every=50&retry=100");
    let budget = "--virtual-time-budget=1000";
    let dom = chromium(&url, &[budget, "--dump-dom"], None);
    let ids: Vec<u64> = dom
        .split("data-id=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
        .collect();
    assert!(ids.len() >= 10, "{dom}");
    // Every event once, in order: none lost, none repeated.
    let expected: Vec<u64> = (1..=ids.len() as u64).collect();
    assert_eq!(ids, expected);
    assert!(dom.contains(">reconnected</li>"), "{dom}");
    assert!(
        dom.contains("poem: Chunk after chunk,\nthe page comes as it is made:")
    );
}
// ANCHOR_END: browser
