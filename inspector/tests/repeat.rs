//! `inspector --repeat N`: the same request N times on one connection,
//! against a server that counts the connections it accepts. The records,
//! the exit status and what is said on standard error are the interface
//! under test.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use serde_json::Value;

mod common;
use common::{BIN, records};

const CHUNKED: &[u8] =
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
const LENGTH: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
const CLOSING: &[u8] = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\
    Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";

/// A server that answers each request on a connection with the next of
/// `answers` (the last one over and over), and closes the connection
/// after `answers_per_connection` answers, if given. Returns its address
/// and how many connections it has accepted.
fn server(
    answers: &'static [&'static [u8]],
    answers_per_connection: Option<usize>,
) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            count.fetch_add(1, Ordering::SeqCst);
            let mut stream = stream.unwrap();
            thread::spawn(move || {
                for n in 0.. {
                    if answers_per_connection == Some(n)
                        || !read_head(&mut stream)
                    {
                        return;
                    }
                    let answer = answers[n.min(answers.len() - 1)];
                    if stream.write_all(answer).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, accepted)
}

/// Reads a request head; false if the client closed first.
fn read_head(stream: &mut TcpStream) -> bool {
    let mut head = Vec::new();
    let mut byte = [0];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read_exact(&mut byte).is_err() {
            return false;
        }
        head.push(byte[0]);
    }
    true
}

fn inspector(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn url(addr: SocketAddr) -> String {
    format!("http://{addr}/")
}

/// Each record's exchange and type, in order.
fn shape(records: &[Value]) -> Vec<(u64, &str)> {
    records
        .iter()
        .map(|r| (r["exchange"].as_u64().unwrap(), r["type"].as_str().unwrap()))
        .collect()
}

#[test]
fn every_exchange_goes_on_the_one_connection() {
    let (addr, accepted) = server(&[CHUNKED, LENGTH, CHUNKED], None);
    let out = inspector(&["--json", "--repeat", "3", &url(addr)]);
    assert!(out.status.success(), "{out:?}");
    let records = records(&out);
    let chunked = ["head", "chunk", "chunk", "end", "verdict"];
    let length = ["head", "data", "end", "verdict"];
    let expected: Vec<(u64, &str)> =
        [(1, &chunked[..]), (2, &length), (3, &chunked)]
            .into_iter()
            .flat_map(|(n, types)| types.iter().map(move |&t| (n, t)))
            .collect();
    assert_eq!(shape(&records), expected);
    assert_eq!(accepted.load(Ordering::SeqCst), 1);

    // The first head made the connection; the others reused it, and have
    // no connect time of their own.
    let heads: Vec<&Value> =
        records.iter().filter(|r| r["type"] == "head").collect();
    assert!(heads[0]["connect_ms"].is_f64());
    assert!(heads[0].get("connection_reused").is_none());
    for head in &heads[1..] {
        assert_eq!(head["connection_reused"], true);
        assert!(head.get("connect_ms").is_none());
    }
}

#[test]
fn plain_lines_tell_the_exchanges_apart() {
    let (addr, accepted) = server(&[CHUNKED], None);
    let out = inspector(&["--plain", "--repeat", "2", &url(addr)]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.find("exchange 1: a new connection").unwrap();
    let second = text
        .find("exchange 2: the same connection, kept alive")
        .unwrap();
    assert!(first < second, "{text}");
    // One request line each; one connect, the first.
    assert_eq!(text.matches("> GET / HTTP/1.1").count(), 2, "{text}");
    assert_eq!(text.matches("connect ").count(), 1, "{text}");
    assert!(text[..second].contains("connect "), "{text}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[test]
fn a_server_that_says_close_ends_the_repeat() {
    let (addr, _) = server(&[CLOSING], Some(1));
    let out = inspector(&["--json", "--repeat", "2", &url(addr)]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let records = records(&out);
    assert!(records.iter().all(|r| r["exchange"] == 1), "{records:?}");
    assert!(records.iter().all(|r| r["type"] != "error"), "{records:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "--repeat 2: the server ends the connection after exchange 1: \
             its response said Connection: close"
        ),
        "{stderr}"
    );
}

#[test]
fn a_server_that_closes_unannounced_ends_the_repeat() {
    let (addr, _) = server(&[LENGTH], Some(2));
    let out = inspector(&["--json", "--repeat", "3", &url(addr)]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let heads = records(&out)
        .into_iter()
        .filter(|r| r["type"] == "head")
        .count();
    assert_eq!(heads, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "after exchange 2: it closed it although its response did not \
             say so"
        ),
        "{stderr}"
    );
}

#[test]
fn repeat_refuses_what_has_no_next_exchange() {
    let (addr, _) = server(&[CHUNKED], None);
    let http = url(addr);
    let ws = format!("ws://{addr}/");
    let cases: [(&[&str], &str); 3] = [
        (&["--http2-prior-knowledge", &http], "over HTTP/2"),
        (&[&ws], "a WebSocket has the connection"),
        (&["--har", "/dev/null", &http], "cannot be used with"),
    ];
    for (args, said) in cases {
        let out = inspector(&[&["--json", "--repeat", "2"], args].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(said), "{args:?}: {stderr}");
    }
}
