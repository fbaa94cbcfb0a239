//! What the tests that run the inspector's binary share.

// Each test file is a crate of its own, and uses what it needs of this.
#![allow(dead_code)]

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Output;
use std::thread;

use serde_json::Value;

/// The binary Cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_inspector");

/// The records a `--json` run printed, one per line.
pub fn records(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Serves every client on its own thread: reads the request head, as a
/// server would, then runs `answer` with the connection and the head.
pub fn serve(
    answer: impl Fn(&mut TcpStream, &str) + Clone + Send + 'static,
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            stream.set_nodelay(true).unwrap();
            let answer = answer.clone();
            thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0];
                while !head.ends_with(b"\r\n\r\n") {
                    if stream.read_exact(&mut byte).is_err() {
                        return;
                    }
                    head.push(byte[0]);
                }
                answer(&mut stream, &String::from_utf8_lossy(&head));
            });
        }
    });
    addr
}
