//! The lesson binary as a learner runs it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

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

/// A flood of idle connections, with the server's memory capped so that the
/// OS refuses it a thread long before the flood ends (about a hundred
/// threads fit in 200 MB here). The server must turn the rest away with a
/// 503, not die, and serve again once the flood is gone.
#[test]
fn a_flood_of_connections_is_turned_away_not_fatal() {
    let script =
        format!("ulimit -v 200000; exec {BIN} --addr 127.0.0.1:0 --pause-ms 0");
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines.nth(1).unwrap().unwrap();
    let addr: SocketAddr = url
        .strip_prefix("listening on http://")
        .and_then(|rest| rest.strip_suffix('/'))
        .unwrap()
        .parse()
        .unwrap();

    // Each idle connection holds a thread until its head times out, 10 s
    // from now: ample time for a few hundred connects to localhost.
    let flood: Vec<_> = (0..300)
        .filter_map(|_| TcpStream::connect(addr).ok())
        .collect();
    let answer = get(addr);
    assert!(child.try_wait().unwrap().is_none(), "the server died");
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n")
            && answer.contains("\r\nRetry-After: 1\r\n"),
        "{answer}"
    );

    // Closed connections give their threads back soon, not at once. So
    // retry, as Retry-After asks, until the page comes.
    drop(flood);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = get(addr);
        if answer.starts_with("HTTP/1.1 200 OK\r\n") {
            break;
        }
        assert!(Instant::now() < deadline, "never served again: {answer}");
        thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `GET /` on a fresh connection: the whole answer, or why there is none.
fn get(addr: SocketAddr) -> String {
    let mut out = Vec::new();
    let sent = TcpStream::connect(addr).and_then(|mut stream| {
        stream.write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")?;
        // A refused connection may be reset once its answer is out: keep
        // the bytes that came before the reset.
        let _ = stream.read_to_end(&mut out);
        Ok(())
    });
    match sent {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        Err(e) => format!("no answer: {e}"),
    }
}
