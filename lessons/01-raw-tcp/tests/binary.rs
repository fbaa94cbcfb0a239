//! The lesson binary as a learner runs it.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_lesson-01-raw-tcp");

#[test]
fn a_taken_port_is_one_clear_line_and_exit_code_1() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let out = Command::new(BIN)
        .args(["--addr", &addr.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "error: cannot listen on {addr}: the address is already in use. \
             Is another lesson still running? Stop it, or pass \
             --addr 127.0.0.1:0 to pick a free port.\n"
        )
    );
}

#[test]
fn prints_its_url_and_the_commands_that_watch_it() {
    let mut child = Command::new(BIN)
        .args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = || lines.next().unwrap().unwrap();
    assert_eq!(
        next(),
        "lesson 01: raw TCP: a response with Content-Length: \
         nothing arrives until all is ready"
    );
    let url = next().strip_prefix("listening on ").unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(next(), "");
    assert_eq!(next(), "  # the whole response, head and body");
    assert_eq!(next(), format!("  curl -sS -i {url}"));
    child.kill().unwrap();
    child.wait().unwrap();
}
