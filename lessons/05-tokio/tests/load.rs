//! Two thousand streams at once, on one server, in bounded memory.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use lesson_01_raw_tcp::testing::mask_date;
use lesson_05_tokio::{Config, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod common;
use common::expected;

const CLIENTS: usize = 2000;
/// Each stream: 20 chunks of 64 bytes, 250 ms apart. Almost five seconds
/// long, so that every one of them is open at the same time, even on a
/// busy machine.
const TARGET: &str = "/stream?n=20&size=64&every=250";

/// This process's resident memory, in bytes (Linux).
fn rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse::<usize>().ok())
        .expect("VmRSS in /proc/self/status");
    kb * 1024
}

/// The most files this process may open (two per connection here: the
/// client's end and the server's).
fn open_files_limit() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|soft| soft.parse().ok())
        .unwrap_or(usize::MAX) // "unlimited"
}

async fn stream(addr: SocketAddr) -> Vec<u8> {
    let mut client = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "GET {TARGET} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    );
    client.write_all(head.as_bytes()).await.unwrap();
    let mut all = Vec::new();
    client.read_to_end(&mut all).await.unwrap();
    all
}

// ANCHOR: load
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_streams_at_once_in_bounded_memory() {
    let needed = 2 * CLIENTS + 100;
    if open_files_limit() < needed {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI needs `ulimit -n` of at least {needed}"
        );
        eprintln!("SKIPPED: `ulimit -n` is below {needed}");
        return;
    }
    let server = Server::bind_any(Config::new(Duration::ZERO)).await.unwrap();
    let (addr, stats) = (server.local_addr().unwrap(), server.stats());
    tokio::spawn(server.run(std::future::pending()));
    let before = rss();

    let started = Instant::now();
    let mut clients: Vec<_> =
        (0..CLIENTS).map(|_| tokio::spawn(stream(addr))).collect();
    // Every stream is open, and its producer waits on its next timer.
    while stats.producers() < CLIENTS {
        // A client that failed (to connect, say) says why.
        if let Some(i) = clients.iter().position(|c| c.is_finished()) {
            let early = clients.swap_remove(i).await;
            panic!("a client ended before all had started: {early:?}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{} streams",
            stats.producers()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let per_stream = rss().saturating_sub(before) / CLIENTS;
    eprintln!(
        "{CLIENTS} streams open after {:.2?}; memory per stream, both ends: {} KiB",
        started.elapsed(),
        per_stream / 1024
    );
    // A task, a channel and a read buffer per connection, and the test's
    // own client: tens of KiB at most, not a thread stack (2 MiB).
    assert!(per_stream < 64 * 1024, "{per_stream} bytes per stream");

    let want = expected(20, 64, true);
    for client in clients {
        assert_eq!(mask_date(&client.await.unwrap()), want);
    }
    while stats.connections() > 0 || stats.producers() > 0 {
        assert!(started.elapsed() < Duration::from_secs(30));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
// ANCHOR_END: load
