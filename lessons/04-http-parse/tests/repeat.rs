//! What the chapter's "Watch it" shows, `inspector --repeat 2`, checked
//! through the code that flag runs (`Live::repeat`): against lesson 04,
//! two exchanges on one connection, which a count of the connections the
//! server accepted confirms; against lesson 02, which closes after every
//! response, one exchange and the reason it stopped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use inspector::capture::{Closed, Live, Repeat};
use inspector::session::Record;
use lesson_01_raw_tcp::server;
use lesson_04_http_parse::server::connection;

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/// Lesson 04, counting the connections it accepts.
fn lesson_04() -> (SocketAddr, Arc<AtomicUsize>) {
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    let addr = server::spawn_connections(move |stream| {
        count.fetch_add(1, Ordering::SeqCst);
        connection(stream, Duration::ZERO);
    })
    .unwrap();
    (addr, accepted)
}

/// `request` sent `times` times on one connection to `addr`: each
/// record with its exchange, and why the repeat stopped early, if it did.
fn repeat(
    addr: SocketAddr,
    request: &[u8],
    times: u64,
) -> (Vec<(u64, Record)>, Option<Closed>) {
    let mut live = Live::connect(addr, request).unwrap();
    let (mut records, mut exchange) = (Vec::new(), 0);
    let closed = live
        .repeat(times, usize::MAX, &mut |news| match news {
            Repeat::Sent(n, sent) => {
                assert_eq!(sent, request);
                exchange = n;
            }
            Repeat::Record(record) => records.push((exchange, record.clone())),
            Repeat::CaughtUp => {}
        })
        .unwrap();
    (records, closed)
}

/// Each record's exchange and kind, as `--json` would name them.
fn shape(records: &[(u64, Record)]) -> Vec<(u64, String)> {
    records
        .iter()
        .map(|(n, record)| {
            let kind = match record {
                Record::Chunk(c) if c.last => "last-chunk",
                Record::Chunk(_) => "chunk",
                Record::Head { .. } => "head",
                Record::End { .. } => "end",
                Record::Verdict(_) => "verdict",
                other => panic!("unexpected {other:?}"),
            };
            (*n, kind.to_owned())
        })
        .collect()
}

#[test]
fn two_requests_go_on_one_connection() {
    let (addr, accepted) = lesson_04();
    let (records, closed) = repeat(addr, GET, 2);
    assert_eq!(closed, None);
    let one = ["head", "chunk", "chunk", "chunk", "chunk", "chunk"]
        .into_iter()
        .chain(["last-chunk", "end", "verdict"]);
    let expected: Vec<(u64, String)> = (1..=2)
        .flat_map(|n| one.clone().map(move |kind| (n, kind.to_owned())))
        .collect();
    assert_eq!(shape(&records), expected);
    // The server saw one connection; only the first head made it.
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    let connections: Vec<bool> = records
        .iter()
        .filter_map(|(_, record)| match record {
            Record::Head { connection, .. } => Some(connection.is_some()),
            _ => None,
        })
        .collect();
    assert_eq!(connections, [true, false]);
}

#[test]
fn a_client_that_asks_for_close_gets_one_exchange() {
    let (addr, accepted) = lesson_04();
    let request =
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    let (records, closed) = repeat(addr, request, 2);
    let closed = closed.expect("lesson 04 closes as asked");
    assert_eq!(closed.after, 1);
    assert_eq!(closed.why, "its response said Connection: close");
    assert!(records.iter().all(|(n, _)| *n == 1));
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[test]
fn lesson_02_closes_after_its_response_and_the_repeat_stops() {
    let handler = lesson_02_chunked_by_hand::handler(Duration::ZERO, true);
    let addr = server::spawn(handler).unwrap();
    let (records, closed) = repeat(addr, GET, 2);
    assert_eq!(
        closed.map(|c| c.to_string()).as_deref(),
        Some(
            "the server ends the connection after exchange 1: its response \
             said Connection: close; exchange 2 would need a new one"
        )
    );
    // The one exchange is whole: it ended by its last-chunk, not in error.
    assert!(records.iter().all(|(n, _)| *n == 1));
    assert!(
        records
            .iter()
            .any(|(_, record)| matches!(record, Record::End { .. }))
    );
}
