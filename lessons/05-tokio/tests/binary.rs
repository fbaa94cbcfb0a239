//! The lesson's binary, as the chapter runs it: with curl, and stopped
//! with Ctrl-C (SIGINT) while a stream is in flight.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};

use lesson_01_raw_tcp::testing::require;

/// The binary on a free port, killed when the test ends however it ends.
struct Binary {
    child: Child,
    addr: SocketAddr,
}

impl Binary {
    fn start() -> Binary {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lesson-05-tokio"))
            .args(["--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let banner = BufReader::new(child.stdout.take().unwrap());
        let addr = banner
            .lines()
            .map(Result::unwrap)
            .find_map(|l| {
                let url = l.strip_prefix("listening on http://")?;
                url.trim_end_matches('/').parse().ok()
            })
            .expect("the banner says where it listens");
        Binary { child, addr }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn ctrl_c_lets_the_stream_in_flight_finish() {
    let mut server = Binary::start();
    let mut client = TcpStream::connect(server.addr).unwrap();
    client
        .write_all(
            b"GET /stream?n=4&size=8&every=200 HTTP/1.1\r\nHost: t\r\n\r\n",
        )
        .unwrap();
    let mut first = [0; 1];
    client.read_exact(&mut first).unwrap();

    let interrupted = Command::new("kill")
        .args(["-INT", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).unwrap();
    assert!(
        rest.ends_with(b"8\r\n01234567\r\n0\r\n\r\n"),
        "a whole stream"
    );

    let status = server.child.wait().unwrap();
    let mut said = String::new();
    server
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut said)
        .unwrap();
    assert!(status.success(), "{status}: {said}");
    assert!(
        said.contains("stopping: no new connections; 1 open"),
        "{said}"
    );
    assert!(
        said.ends_with("stopped: every response finished\n"),
        "{said}"
    );
}

#[test]
fn curl_streams_and_reuses_its_connection() {
    if !require("curl") {
        return;
    }
    let server = Binary::start();
    let url = format!("http://{}/stream?n=2&size=4", server.addr);
    let out = Command::new("curl")
        .args([
            "-sS",
            "--raw",
            "-w",
            "[new connections: %{num_connects}]\n",
            &url,
            &url,
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let once = "4\r\n0123\r\n4\r\n0123\r\n0\r\n\r\n";
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{once}[new connections: 1]\n{once}[new connections: 0]\n")
    );
}
