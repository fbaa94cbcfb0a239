//! `cargo xtask bench-capture`: `inspector --json` against
//! `curl -s -o /dev/null`, capturing the same chunked stream on loopback,
//! side by side in one run. The table goes to stdout and to
//! `book/src/generated/bench-capture.txt`, which the benchmark appendix
//! includes.
//!
//! Peak memory is read from `/proc/PID/status` (`VmHWM`, the high-water
//! mark of resident memory) while each client runs: Linux only, and exact
//! to within the polling interval's last moments.

use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::Result;

const CHUNK: usize = 16 * 1024;
const FRAMES_PER_WRITE: usize = 64;

pub fn capture(root: &Path, gib: u64, runs: usize) -> Result {
    let status =
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "-q", "-p", "inspector"])
            .current_dir(root)
            .status()?;
    if !status.success() {
        return Err("cannot build the inspector".into());
    }
    let inspector = root.join("target/release/inspector");
    let bytes = gib << 30;
    let addr = serve(bytes)?;
    let url = format!("http://{addr}/");

    let clients: [(&str, Vec<String>); 3] = [
        (
            "curl -s -o /dev/null",
            vec![
                "curl".into(),
                "-s".into(),
                "-o".into(),
                "/dev/null".into(),
                url.clone(),
            ],
        ),
        (
            "inspector --json",
            vec![
                inspector.display().to_string(),
                "--json".into(),
                url.clone(),
            ],
        ),
        (
            "inspector --json --max-data 0",
            vec![
                inspector.display().to_string(),
                "--json".into(),
                "--max-data".into(),
                "0".into(),
                url.clone(),
            ],
        ),
    ];
    let mut results: Vec<Vec<(Duration, u64)>> =
        vec![Vec::new(); clients.len()];
    for run in 0..runs {
        // Take turns, starting with a different client each run, so that
        // a warming cache or a busy moment does not favour one of them.
        for i in 0..clients.len() {
            let k = (i + run) % clients.len();
            results[k].push(measure(&clients[k].1)?);
        }
    }

    let mut table = format!(
        "{gib} GiB of {} KiB chunks on loopback, {runs} runs each, best run shown\n\
         ({} cores; output to /dev/null)\n\n\
         {:<32} {:>9} {:>9} {:>12} {:>10}\n",
        CHUNK / 1024,
        thread::available_parallelism().map_or(0, |n| n.get()),
        "client",
        "time (s)",
        "GiB/s",
        "peak RSS",
        "vs curl",
    );
    let best = |r: &[(Duration, u64)]| {
        r.iter().map(|(t, _)| *t).min().unwrap_or_default()
    };
    let curl = best(&results[0]).as_secs_f64();
    for ((name, _), runs) in clients.iter().zip(&results) {
        let time = best(runs).as_secs_f64();
        let rss = runs.iter().map(|(_, kib)| *kib).max().unwrap_or(0);
        let _ = writeln!(
            table,
            "{name:<32} {time:>9.2} {:>9.2} {:>8.1} MiB {:>9.2}x",
            gib as f64 / time,
            rss as f64 / 1024.0,
            curl / time,
        );
    }
    table += "\n\"vs curl\" is curl's time divided by the client's: 1.00x or more \
              means at least as fast as curl.\n";
    print!("{table}");
    fs::write(root.join("book/src/generated/bench-capture.txt"), table)?;
    Ok(())
}

/// Runs a client to completion: its wall time and peak resident KiB.
fn measure(argv: &[String]) -> Result<(Duration, u64)> {
    let start = Instant::now();
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdout(Stdio::null())
        .spawn()?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let status = loop {
        if let Ok(text) = fs::read_to_string(&status_file) {
            peak = peak.max(vm_hwm_kib(&text));
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    if !status.success() {
        return Err(format!("{} failed: {status}", argv.join(" ")).into());
    }
    Ok((elapsed, peak))
}

fn vm_hwm_kib(status: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A server that answers every request with `bytes` of chunked body, as
/// fast as it can: 64 ready-made 16 KiB chunks per write.
fn serve(bytes: u64) -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let frame =
        [format!("{CHUNK:x}\r\n").as_bytes(), &[b'x'; CHUNK], b"\r\n"].concat();
    let block = frame.repeat(FRAMES_PER_WRITE);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let block = block.clone();
            thread::spawn(move || {
                let mut stream = stream;
                let mut head = [0; 4096];
                let _ = stream.read(&mut head);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                );
                let writes = bytes / (CHUNK * FRAMES_PER_WRITE) as u64;
                for _ in 0..writes {
                    if stream.write_all(&block).is_err() {
                        return;
                    }
                }
                let _ = stream.write_all(b"0\r\n\r\n");
            });
        }
    });
    Ok(addr)
}
