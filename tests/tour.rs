//! The main job: `cargo run --release` starts every lesson and says where.
//! This runs the real binary and fetches every URL it prints.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use inspector::capture;

#[test]
fn the_tour_serves_every_lesson_it_lists() {
    let mut tour = Command::new(env!("CARGO_BIN_EXE_flusher"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(tour.stdout.take().unwrap()).lines();
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
    assert_eq!(titles, ["lesson 01", "lesson 02", "lesson 03"]);
    for addr in addrs {
        let got =
            capture::fetch(addr, b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        assert!(got.bytes.starts_with(b"HTTP/1.1 200 OK\r\n"), "{addr}");
        assert!(
            got.bytes.ends_with(b"</html>\n")
                || got.bytes.ends_with(b"0\r\n\r\n")
        );
    }
    tour.kill().unwrap();
    tour.wait().unwrap();
}
