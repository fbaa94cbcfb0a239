//! A `ws://` URL answered with anything but `101 Switching Protocols`:
//! the WebSocket was refused, so the inspector shows the answer, says so
//! in an `error` record, sends nothing on the connection and exits 1.
//! A real server on loopback, which reports every byte it got after the
//! request.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Output};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

mod common;
use common::{BIN, records};

const NOT_FOUND: &[u8] =
    b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nno socket";

/// A server that answers one request with `answer`, then reads until the
/// client closes: what came after the request goes to the receiver.
fn refusing(answer: &'static [u8]) -> (SocketAddr, mpsc::Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut head = Vec::new();
        let mut byte = [0];
        while !head.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).unwrap();
            head.push(byte[0]);
        }
        assert!(String::from_utf8_lossy(&head).contains("Upgrade: websocket"));
        stream.write_all(answer).unwrap();
        let mut rest = Vec::new();
        // The inspector closes the connection as it exits.
        let _ = stream.read_to_end(&mut rest);
        tx.send(rest).unwrap();
    });
    (addr, rx)
}

fn inspector(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

/// What the server got after the request.
fn after_the_request(rx: &mpsc::Receiver<Vec<u8>>) -> Vec<u8> {
    rx.recv_timeout(Duration::from_secs(10)).unwrap()
}

#[test]
fn a_refused_upgrade_is_an_error_record_and_nothing_is_sent() {
    let (addr, rx) = refusing(NOT_FOUND);
    let url = format!("ws://{addr}/chat");
    let out = inspector(&["--json", "--send", "hello", "--send", "two", &url]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let recs = records(&out);
    let types: Vec<&str> =
        recs.iter().map(|r| r["type"].as_str().unwrap()).collect();
    // The answer whole, its body included, judged as any response is;
    // then the failure.
    assert_eq!(
        types,
        ["head", "data", "end", "verdict", "error"],
        "{recs:?}"
    );
    assert_eq!(recs[0]["status"], 404);
    assert_eq!(recs[1]["data"], "no socket");
    assert_eq!(recs[3]["complete"], true);
    let error = &recs[4];
    assert_eq!(error["kind"], "ws_refused", "{error}");
    // At the status line that refused.
    assert_eq!(error["offset"], 0, "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("404 Not Found"), "{message}");
    assert!(
        message.contains("refused the WebSocket upgrade"),
        "{message}"
    );
    assert!(message.contains("no message was sent"), "{message}");
    // Not a frame on the wire, as not a ws_frame in the records.
    assert_eq!(after_the_request(&rx), b"");
}

#[test]
fn plain_says_the_upgrade_was_refused_and_exits_1() {
    let (addr, rx) = refusing(
        b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\
          Content-Length: 0\r\n\r\n",
    );
    let out =
        inspector(&["--plain", "--send", "hello", &format!("ws://{addr}/")]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let plain = String::from_utf8(out.stdout).unwrap();
    assert!(
        plain.contains(
            "error at byte 0: the server answered 426 Upgrade Required, \
             not 101 Switching Protocols"
        ),
        "{plain}"
    );
    assert_eq!(after_the_request(&rx), b"");
}
