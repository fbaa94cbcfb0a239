//! The inspector never waits silently, and never sends what it should
//! not: `--max-time` and `--connect-timeout` against a server that
//! accepts and says nothing, the notice when there is neither, each way
//! a connection fails as an `error` record, and the URLs and methods that
//! would reshape a request refused before anything goes out. Real
//! sockets on 127.0.0.1:0.

use std::io::{BufRead as _, BufReader, Read as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

mod common;
use common::{BIN, records};

/// A server that accepts every connection and never sends a byte; it
/// keeps each connection open for as long as the test runs.
fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream.unwrap());
        }
    });
    addr
}

/// A listener that nobody accepts on: [`nothing_came`] says afterwards
/// whether anyone connected.
fn untouched() -> TcpListener {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    listener
}

fn nothing_came(listener: &TcpListener) -> bool {
    matches!(
        listener.accept(),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
    )
}

/// Runs the inspector to its end, and how long it took. One that would
/// wait for ever (as it did, before these limits, on a silent server)
/// is stopped after 20 s, and fails the test instead of hanging it.
fn inspector(args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.unwrap().read_to_end(&mut bytes).unwrap();
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("inspector {args:?} still waiting after 20 s");
        }
        thread::sleep(Duration::from_millis(10));
    };
    let out = Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    (out, started.elapsed())
}

/// The one record of a run that failed before any response: an error.
fn the_error(out: &Output) -> (String, String) {
    let records = records(out);
    assert_eq!(records.len(), 1, "{records:?}");
    let error = &records[0];
    assert_eq!(error["type"], "error", "{error}");
    (
        error["kind"].as_str().unwrap().to_owned(),
        error["message"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn max_time_ends_a_silent_server_with_a_timeout_record_and_28() {
    let addr = silent_server();
    let url = format!("http://{addr}/");
    let (out, took) = inspector(&["--json", "--max-time", "1", &url]);
    assert_eq!(out.status.code(), Some(28), "{out:?}");
    let (kind, message) = the_error(&out);
    assert_eq!(kind, "timeout");
    assert!(message.contains(&addr.to_string()), "{message}");
    assert!(message.contains("1 s (--max-time)"), "{message}");
    // Given up at the second, give or take a loaded machine's margin.
    assert!(took >= Duration::from_millis(950), "{took:?}");
    assert!(took < Duration::from_secs(8), "{took:?}");
    // A fraction, as curl takes one; -m is curl's short name; --plain
    // says it as a line.
    let (out, took) = inspector(&["--plain", "-m", "0.3", &url]);
    assert_eq!(out.status.code(), Some(28), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("error at byte 0:"), "{text}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn connect_timeout_covers_the_tls_handshake() {
    // TCP connects at once; the handshake never comes.
    let addr = silent_server();
    let url = format!("https://{addr}/");
    let (out, took) = inspector(&["--json", "--connect-timeout", "0.5", &url]);
    assert_eq!(out.status.code(), Some(28), "{out:?}");
    let (kind, message) = the_error(&out);
    assert_eq!(kind, "timeout");
    assert!(message.contains(&addr.to_string()), "{message}");
    assert!(message.contains("--connect-timeout"), "{message}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

/// The first line the inspector writes to standard error, and when,
/// while it waits on a silent server with no limit; then it is stopped.
fn first_notice(args: &[&str]) -> (String, Duration) {
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stderr).read_line(&mut line);
        let _ = tx.send((line, started.elapsed()));
    });
    let heard = rx.recv_timeout(Duration::from_secs(20));
    child.kill().unwrap();
    child.wait().unwrap();
    heard.expect("no word on standard error in 20 s")
}

#[test]
fn a_silent_server_is_said_once_on_standard_error() {
    let addr = silent_server();
    let url = format!("http://{addr}/");
    // No limit: the inspector waits, but says so after a while.
    let (line, at) = first_notice(&["--json", "--notice-after", "0.5", &url]);
    assert!(
        line.starts_with(&format!(
            "inspector: connected to {addr}, request sent, no byte back yet \
             (0.5 s)"
        )),
        "{line}"
    );
    assert!(at >= Duration::from_millis(450), "{at:?}");
    // Once, not a line a second: a run that lasts six times as long.
    let (out, _) = inspector(&[
        "--plain",
        "--notice-after",
        "0.3",
        "--max-time",
        "1.8",
        &url,
    ]);
    assert_eq!(out.status.code(), Some(28), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.matches("no byte back yet").count(), 1, "{stderr}");
    // The default: a few seconds, in the headless modes.
    let (line, at) = first_notice(&["--plain", &url]);
    assert!(line.contains("no byte back yet (5 s)"), "{line}");
    assert!(at >= Duration::from_secs(5), "{at:?}");
}

#[test]
fn a_refused_connection_is_a_record_naming_host_and_port() {
    // A port nobody listens on: bind one, then free it.
    let free = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (out, _) = inspector(&["--json", &format!("http://{free}/")]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let (kind, message) = the_error(&out);
    assert_eq!(kind, "connect");
    assert_eq!(
        message.split(": ").next(),
        Some(format!("cannot connect to {free}").as_str()),
        "{message}"
    );
    // By name: the name and the address it resolved to.
    let url = format!("http://localhost:{}/", free.port());
    let (out, _) = inspector(&["--json", "--connect-timeout", "5", &url]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let (kind, message) = the_error(&out);
    assert_eq!(kind, "connect");
    let named = format!("cannot connect to localhost:{} (", free.port());
    assert!(message.starts_with(&named), "{message}");
}

#[test]
fn a_name_that_does_not_resolve_is_a_dns_record() {
    // RFC 6761 §6.4: `.invalid` never resolves, so no network is asked
    // for an answer that matters.
    let url = "http://flusher-test.invalid:8080/";
    let (out, _) = inspector(&["--json", "--connect-timeout", "10", url]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let (kind, message) = the_error(&out);
    assert_eq!(kind, "dns", "{message}");
    assert!(
        message.contains("flusher-test.invalid") && message.contains(":8080"),
        "{message}"
    );
}

/// Runs the inspector on a listener nobody accepts on, and checks that it
/// refused with status 2 and sent nothing; returns what it said.
fn refused(args: &[&str], path: &str) -> String {
    let listener = untouched();
    let url = format!("http://{}{path}", listener.local_addr().unwrap());
    let mut all = args.to_vec();
    all.extend(["--json", &url]);
    let (out, _) = inspector(&all);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    assert!(nothing_came(&listener), "{args:?} {path:?} connected");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn a_url_or_method_that_would_reshape_the_request_is_refused() {
    let said = refused(&[], "/a b");
    assert!(said.contains("a URL cannot hold ' '"), "{said}");
    assert!(said.contains("%20"), "{said}");
    // CR LF in the URL: the line would end, and a request of the URL's
    // own follow.
    let said = refused(&[], "/\r\nGET /admin HTTP/1.1\r\nX:");
    assert!(said.contains("request smuggling"), "{said}");
    let said = refused(&[], "/x\n");
    assert!(said.contains("'\\n'"), "{said}");
    // The same through -X.
    let said = refused(&["-X", "GET /x HTTP/1.1\r\n"], "/");
    assert!(said.contains("-X"), "{said}");
    assert!(said.contains("request smuggling"), "{said}");
    let said = refused(&["-X", "GET /x"], "/");
    assert!(said.contains("a method is one word"), "{said}");
    // And through -H.
    let said = refused(&["-H", "X-A: 1\r\n\r\nGET /admin HTTP/1.1"], "/");
    assert!(said.contains("request smuggling"), "{said}");
    // compare's targets too, before any of them is asked.
    let listener = untouched();
    let good = format!("http://{}/", listener.local_addr().unwrap());
    let (out, _) = inspector(&["compare", &good, "http://127.0.0.1:1/a b"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(nothing_came(&listener));
}

#[test]
fn a_connection_to_a_silent_port_is_not_cut_short_by_the_notice() {
    // The notice is only words: the exchange goes on, and completes.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        read_head(&mut stream);
        thread::sleep(Duration::from_millis(700));
        use std::io::Write as _;
        let _ =
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    });
    let (out, _) = inspector(&[
        "--json",
        "--notice-after",
        "0.2",
        &format!("http://{addr}/"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(stderr.matches("no byte back yet").count(), 1, "{stderr}");
    assert!(records(&out).iter().any(|r| r["type"] == "end"));
}

fn read_head(stream: &mut TcpStream) {
    let mut head = Vec::new();
    let mut byte = [0];
    while !head.ends_with(b"\r\n\r\n") && stream.read_exact(&mut byte).is_ok() {
        head.push(byte[0]);
    }
}
