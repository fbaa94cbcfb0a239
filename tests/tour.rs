//! The main job: `cargo run --release` starts every lesson and says where.
//! This runs the real binary and fetches every URL it prints.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use inspector::capture;

#[test]
fn the_tour_serves_every_lesson_it_lists() {
    let mut tour = Tour(
        Command::new(env!("CARGO_BIN_EXE_flusher"))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let lines = BufReader::new(tour.0.stdout.take().unwrap()).lines();
    let mut titles = Vec::new();
    let mut addrs = Vec::new();
    for line in lines.map(Result::unwrap) {
        if line.starts_with("lesson ") {
            titles.push(line.split(':').next().unwrap().to_owned());
        } else if let Some(url) = line.strip_prefix("listening on http://") {
            addrs
                .push(url.trim_end_matches('/').parse::<SocketAddr>().unwrap());
        } else if line.starts_with("Ctrl-C") {
            break;
        }
    }
    assert_eq!(
        titles,
        [
            "lesson 01",
            "lesson 02",
            "lesson 03",
            "lesson 04",
            "lesson 05",
            "lesson 06",
            "lesson 07",
            "lesson 08",
            "lesson 09",
            "lesson 10",
            "lesson 11"
        ]
    );
    for addr in addrs {
        let got = capture::fetch(addr, REQUEST).unwrap();
        assert!(got.bytes.starts_with(b"HTTP/1.1 200 OK\r\n"), "{addr}");
        assert!(
            got.bytes.ends_with(b"</html>\n")
                || got.bytes.ends_with(b"0\r\n\r\n")
        );
    }
}

/// Lesson 04 on keeps connections alive: ask it to close after one.
const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

/// The tour, stopped when the test ends, passed or failed: left running,
/// it would hold the test's output open.
struct Tour(std::process::Child);

impl Drop for Tour {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
