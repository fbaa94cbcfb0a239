//! `--screen` end to end: a stream that never ends still gets its screen,
//! after a default time that stderr names, and a recording made with
//! `--record` gets the screen its live run had. Real servers on loopback.

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

mod common;
use common::{BIN, serve};

const HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

/// How long `--screen` waits for a stream that goes on, unless told.
const SCREEN_AFTER: Duration = Duration::from_secs(5);

/// Serves every client the same way: reads its request head, then writes
/// `pieces`, `gap` apart; and with `endless`, a chunk every `gap` after
/// them, until the client goes.
fn server(pieces: Vec<Vec<u8>>, gap: Duration, endless: bool) -> SocketAddr {
    serve(move |stream, _| {
        let tick = b"4\r\ntick\r\n".to_vec();
        let ticks = std::iter::repeat(tick).take_while(|_| endless);
        for (i, piece) in pieces.iter().cloned().chain(ticks).enumerate() {
            if i > 0 {
                thread::sleep(gap);
            }
            if stream.write_all(&piece).is_err() {
                return;
            }
        }
    })
}

fn owned(pieces: &[&[u8]]) -> Vec<Vec<u8>> {
    pieces.iter().map(|p| p.to_vec()).collect()
}

/// Runs the inspector, and kills it if it is still running after
/// `limit`: a screen that never comes fails the test instead of hanging
/// it.
fn inspector_within(args: &[&str], limit: Duration) -> Output {
    let mut child: Child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!("still running after {limit:?}: {out:?}");
        }
        thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn an_endless_stream_gets_its_screen_after_the_default_time() {
    let pieces = vec![[HEAD, b"5\r\nhello\r\n"].concat()];
    let addr = server(pieces, Duration::from_millis(100), true);
    let started = Instant::now();
    let out = inspector_within(
        &["--screen", "100x20", &format!("http://{addr}/")],
        SCREEN_AFTER * 4,
    );
    // Not before the default time, which the stream outlasts.
    assert!(started.elapsed() >= SCREEN_AFTER, "{out:?}");
    // Incomplete: exit 1, as with --screen-after.
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let screen = String::from_utf8(out.stdout).unwrap();
    assert_eq!(screen.lines().count(), 20, "{screen}");
    assert!(screen.contains("● streaming"), "{screen}");
    assert!(screen.contains("tick"), "{screen}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("still going after 5 s (the default"),
        "{stderr}"
    );
}

#[test]
fn screen_after_is_said_too_and_a_response_over_in_time_is_not() {
    let pieces = vec![[HEAD, b"5\r\nhello\r\n"].concat()];
    let addr = server(pieces, Duration::from_millis(100), true);
    let url = format!("http://{addr}/");
    let args = ["--screen", "100x20", "--screen-after", "300", &url];
    let out = inspector_within(&args, SCREEN_AFTER);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("still going after 0.3 s:"), "{stderr}");

    // A response over before the time: its screen, and nothing to say.
    let pieces = owned(&[HEAD, b"5\r\nhello\r\n", b"0\r\n\r\n"]);
    let addr = server(pieces, Duration::from_millis(50), false);
    let url = format!("http://{addr}/");
    let out = inspector_within(&["--screen", "100x20", &url], SCREEN_AFTER);
    assert!(out.status.success(), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
    let screen = String::from_utf8(out.stdout).unwrap();
    assert!(screen.contains("● complete"), "{screen}");
}

#[test]
fn a_recording_replayed_with_screen_prints_the_screen_it_had_live() {
    let pieces =
        owned(&[HEAD, b"5\r\nhello\r\n", b"6\r\n world\r\n", b"0\r\n\r\n"]);
    let addr = server(pieces, Duration::from_millis(50), false);
    let url = format!("http://{addr}/page");
    let dir = std::env::temp_dir().join(format!(
        "inspector-screen-{}-{:?}",
        std::process::id(),
        thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let recording = dir.join("run.jsonl");
    let recording = recording.to_str().unwrap();
    let live = inspector_within(
        &["--plain", "--record", recording, &url],
        SCREEN_AFTER,
    );
    assert!(live.status.success(), "{live:?}");

    let out = inspector_within(
        &["--screen", "100x20", "--file", recording],
        SCREEN_AFTER,
    );
    assert!(out.status.success(), "{out:?}");
    let screen = String::from_utf8(out.stdout).unwrap();
    assert_eq!(screen.lines().count(), 20, "{screen}");
    assert!(screen.contains(&format!("GET {url}")), "{screen}");
    assert!(screen.contains("● complete"), "{screen}");
    assert!(screen.contains("chunks 2 "), "{screen}");
    assert!(screen.contains("world"), "{screen}");
    // Other views too.
    let out = inspector_within(
        &["--screen", "100x20", "--view", "raw", "--file", recording],
        SCREEN_AFTER,
    );
    assert!(out.status.success(), "{out:?}");

    // A raw capture is no recording: no screen, and a sentence that says
    // what to do instead.
    let raw = dir.join("raw.http");
    std::fs::write(&raw, [HEAD, b"0\r\n\r\n"].concat()).unwrap();
    let raw = raw.to_str().unwrap();
    let out =
        inspector_within(&["--screen", "100x20", "--file", raw], SCREEN_AFTER);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("--plain or --json"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
