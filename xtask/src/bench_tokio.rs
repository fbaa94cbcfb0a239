//! `cargo xtask bench-tokio`: lesson 05 against hyper, serving the same
//! chunked streams on loopback, side by side in one run, under `wrk`.
//!
//! The peer is `lessons/05-tokio/examples/hyper_peer.rs`: the same runtime
//! and the same producer task and channel, with hyper doing the HTTP. Both
//! servers run at once on port 0, idle while the other is measured, and
//! take turns: each round measures each server once per workload, the
//! order swapped every round, so that a busy moment or a warming cache
//! does not favour one of them. The median round is shown, and the table
//! goes to stdout and to `book/src/generated/bench-tokio.txt`, which the
//! benchmark appendix includes.
//!
//! wrk's own summary rounds its figures and hides its errors in a line
//! that may be absent, so a Lua `done` hook prints the exact counts, and
//! a run with any error (a socket error, a timeout, a status other than
//! 2xx) fails the whole benchmark.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

use crate::Result;

/// The two shapes the issue asks for: many small chunks, where the cost
/// per chunk and per request shows, and few big ones, where the copy
/// does.
const WORKLOADS: [(u64, usize); 2] = [(10, 64), (16, 64 * 1024)];

/// One wrk thread: on two cores, a second would only take CPU from the
/// server under test. 64 keep-alive connections: many streams at once,
/// which is lesson 05's point, and enough that the server always has a
/// request ready rather than waiting for the client's next one.
const THREADS: u32 = 1;
const CONNECTIONS: u32 = 64;

/// The servers, by name and binary, built by the same `cargo build`.
const SERVERS: [(&str, &str); 2] = [
    ("lesson 05", "target/release/lesson-05-tokio"),
    ("hyper", "target/release/examples/hyper_peer"),
];

/// How long each server runs each workload before the rounds start.
const WARM_UP_SECS: u64 = 2;

/// Prints what wrk's summary rounds away, and the errors it counts.
pub(crate) const SCRIPT: &str = r#"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "flusher: requests=%d bytes=%d duration_us=%d "
      .. "connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.bytes, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"#;

pub fn run(root: &Path, rounds: usize, secs: u64) -> Result {
    if rounds == 0 || secs == 0 {
        return Err("--rounds and --secs must be at least 1".into());
    }
    let wrk = wrk_version()?;
    let load_before = load();
    let status =
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "build",
                "--release",
                "-q",
                "-p",
                "lesson-05-tokio",
                "--bin",
                "lesson-05-tokio",
                "--example",
                "hyper_peer",
            ])
            .current_dir(root)
            .status()?;
    if !status.success() {
        return Err("cannot build lesson 05 and its hyper peer".into());
    }
    let script = root.join("target/bench-tokio.lua");
    fs::write(&script, SCRIPT)?;

    // Dropping a `Server` kills it: on success, on error, and on panic.
    let servers = SERVERS
        .iter()
        .map(|&(name, binary)| Server::start(name, root.join(binary)))
        .collect::<Result<Vec<_>>>()?;
    for &(n, size) in &WORKLOADS {
        same_bytes(&servers, n, size)?;
    }

    eprintln!("warming up: {WARM_UP_SECS} s per server and workload");
    for &(n, size) in &WORKLOADS {
        for server in &servers {
            wrk_run(&script, &server.url(n, size), WARM_UP_SECS)?;
        }
    }
    // results[workload][server]: one run per round.
    let mut results = vec![vec![Vec::new(); servers.len()]; WORKLOADS.len()];
    for round in 0..rounds {
        for (w, &(n, size)) in WORKLOADS.iter().enumerate() {
            for i in 0..servers.len() {
                let s = (i + round) % servers.len();
                let server = &servers[s];
                let run = wrk_run(&script, &server.url(n, size), secs)?;
                eprintln!(
                    "round {}/{rounds} {:<24} {:<10} {:>8.0} req/s {:.3} GB/s",
                    round + 1,
                    path(n, size),
                    server.name,
                    run.req_per_sec(),
                    run.gb_per_sec(),
                );
                results[w][s].push(run);
            }
        }
    }
    drop(servers);

    let loads = [load_before, load()];
    let table = table(root, &wrk, rounds, secs, &loads, &results);
    print!("{table}");
    fs::write(root.join("book/src/generated/bench-tokio.txt"), table)?;
    Ok(())
}

fn path(n: u64, size: usize) -> String {
    format!("/stream?n={n}&size={size}")
}

/// A server under test, started on a free port, killed when dropped.
struct Server {
    name: &'static str,
    /// `http://127.0.0.1:PORT/`, as its banner says.
    url: String,
    child: Child,
}

impl Server {
    fn start(name: &'static str, binary: PathBuf) -> Result<Server> {
        let mut child = Command::new(&binary)
            .args(["--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        // From here on, an early return drops `server`, which kills it.
        let mut server = Server {
            name,
            url: String::new(),
            child,
        };
        let mut lines = BufReader::new(stdout);
        let mut line = String::new();
        while server.url.is_empty() {
            line.clear();
            if lines.read_line(&mut line)? == 0 {
                return Err(format!("{name} exited before listening").into());
            }
            if let Some(url) = line.trim().strip_prefix("listening on ") {
                server.url = url.to_owned();
            }
        }
        // Keep reading what it prints, so that it never writes into a
        // full or closed pipe.
        thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
        Ok(server)
    }

    fn url(&self, n: u64, size: usize) -> String {
        format!("{}stream?n={n}&size={size}", self.url)
    }

    fn authority(&self) -> &str {
        let url = self.url.strip_prefix("http://").unwrap_or(&self.url);
        url.trim_end_matches('/')
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Both servers must send the same body, framing and all, or the race is
/// not fair: one request each, read to the close.
fn same_bytes(servers: &[Server], n: u64, size: usize) -> Result {
    let chunk = format!("{size:x}\r\n").len() + size + b"\r\n".len();
    let expected = n * chunk as u64 + b"0\r\n\r\n".len() as u64;
    let mut bodies = Vec::new();
    for server in servers {
        let mut stream = TcpStream::connect(server.authority())?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            stream,
            "GET {} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n",
            path(n, size)
        )?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        let split = response.windows(4).position(|w| w == b"\r\n\r\n");
        let body = split.map(|at| response.split_off(at + 4));
        match body {
            Some(body)
                if response.starts_with(b"HTTP/1.1 200 ")
                    && body.len() as u64 == expected =>
            {
                bodies.push(body);
            }
            _ => {
                return Err(format!(
                    "{}: {} is not {n} chunks of {size} bytes",
                    server.name,
                    path(n, size)
                )
                .into());
            }
        }
    }
    if bodies.windows(2).any(|pair| pair[0] != pair[1]) {
        return Err(format!(
            "the servers send different bodies for {}",
            path(n, size)
        )
        .into());
    }
    Ok(())
}

/// What one wrk run counted, exactly.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    requests: u64,
    /// Heads, size lines, data and CRLFs: every byte wrk read.
    bytes: u64,
    duration: Duration,
}

impl Run {
    pub(crate) fn req_per_sec(&self) -> f64 {
        self.requests as f64 / self.duration.as_secs_f64()
    }

    fn gb_per_sec(&self) -> f64 {
        self.bytes as f64 / self.duration.as_secs_f64() / 1e9
    }
}

pub(crate) fn wrk_version() -> Result<String> {
    // wrk has no --version: `-v` prints it, and the usage, and exits 1.
    let output = match Command::new("wrk").arg("-v").output() {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err("wrk is not installed: apt-get install wrk".into());
        }
        Err(e) => return Err(e.into()),
    };
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    let first = text.lines().next().unwrap_or("wrk");
    // "wrk debian/4.1.0-3+b2 [epoll] Copyright ...": keep what names it.
    Ok(first.split(" Copyright").next().unwrap_or(first).to_owned())
}

/// wrk's threads and connections, as the reports show them.
pub(crate) fn wrk_load() -> String {
    format!("-t{THREADS} -c{CONNECTIONS}")
}

fn wrk_args(secs: u64) -> Vec<String> {
    vec![
        format!("-t{THREADS}"),
        format!("-c{CONNECTIONS}"),
        format!("-d{secs}s"),
    ]
}

pub(crate) fn wrk_run(script: &Path, url: &str, secs: u64) -> Result<Run> {
    let output = Command::new("wrk")
        .args(wrk_args(secs))
        .arg("-s")
        .arg(script)
        .arg(url)
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "wrk {url} failed: {}\n{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("flusher: "))
        .ok_or_else(|| {
            format!("wrk {url}: no counts from the script\n{stdout}")
        })?;
    let count = |key: &str| -> Result<u64> {
        line.split(' ')
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("wrk {url}: no {key} in {line:?}").into())
    };
    let errors = ["connect", "read", "write", "status", "timeout"]
        .into_iter()
        .map(|key| Ok((key, count(key)?)))
        .collect::<Result<Vec<_>>>()?;
    if errors.iter().any(|&(_, n)| n > 0) {
        return Err(format!(
            "wrk {url}: errors ({}), so the figures mean nothing",
            errors
                .iter()
                .map(|(key, n)| format!("{key} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
        .into());
    }
    let run = Run {
        requests: count("requests")?,
        bytes: count("bytes")?,
        duration: Duration::from_micros(count("duration_us")?),
    };
    if run.requests == 0 {
        return Err(format!("wrk {url}: no request completed").into());
    }
    Ok(run)
}

/// The median of `key` over the runs (the lower middle for even counts).
fn median(runs: &[Run], key: fn(&Run) -> f64) -> f64 {
    let mut values: Vec<f64> = runs.iter().map(key).collect();
    values.sort_by(f64::total_cmp);
    values[(values.len() - 1) / 2]
}

fn table(
    root: &Path,
    wrk: &str,
    rounds: usize,
    secs: u64,
    loads: &[String; 2],
    results: &[Vec<Vec<Run>>],
) -> String {
    let mut out = format!(
        "$ cargo xtask bench-tokio --rounds {rounds} --secs {secs}\n\
         client: wrk {} -s bench-tokio.lua URL, on loopback\n\
         \x20       ({wrk})\n\
         {rounds} round(s), each server running each workload once a \
         round, taking turns;\nthe median round shown\n\
         machine: {}\n\
         load average (1 min): {} before the run, {} after it\n\n\
         {:<23} {:<10} {:>8} {:>7} {:>10}  {}\n",
        wrk_args(secs).join(" "),
        machine(root),
        loads[0],
        loads[1],
        "workload",
        "server",
        "req/s",
        "GB/s",
        "bytes/req",
        "each round",
    );
    for (&(n, size), by_server) in WORKLOADS.iter().zip(results) {
        let workload = path(n, size);
        let mut medians = Vec::new();
        for ((name, _), runs) in SERVERS.iter().zip(by_server) {
            let rps = median(runs, Run::req_per_sec);
            let gbs = median(runs, Run::gb_per_sec);
            let (bytes, requests) = runs
                .iter()
                .fold((0, 0), |(b, r), run| (b + run.bytes, r + run.requests));
            let each: Vec<String> = runs
                .iter()
                .map(|run| format!("{:.0}", run.req_per_sec()))
                .collect();
            let _ = writeln!(
                out,
                "{workload:<23} {name:<10} {rps:>8.0} {gbs:>7.3} {:>10}  {}",
                bytes / requests,
                each.join(" "),
            );
            medians.push((rps, gbs));
        }
        let (rps, gbs) =
            (medians[0].0 / medians[1].0, medians[0].1 / medians[1].1);
        let verdict = if rps.min(gbs) >= 1.0 {
            "stretch met"
        } else if rps.min(gbs) >= 0.8 {
            "target met"
        } else {
            "BELOW TARGET"
        };
        let _ = writeln!(
            out,
            "{workload:<23} {:<10} {rps:>7.2}x {gbs:>6.2}x {:>10}  {verdict}\n",
            "05/hyper", "",
        );
    }
    out += "GB/s counts every byte wrk read (heads, size lines, data, \
            CRLFs), in 10^9 bytes.\n\
            bytes/req is that over the requests completed: the responses \
            in flight when wrk\nstops add a little. \
            05/hyper is lesson 05's median over hyper's;\n\
            the target is 0.80x on both, the stretch 1.00x.\n";
    out
}

/// The load average over the last minute: anything else running on two
/// cores shows in the figures, so the table says how busy the machine was.
fn load() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split(' ').next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// Cores, CPU, kernel, and the versions that matter.
fn machine(root: &Path) -> String {
    let cores = thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or_else(|_| "unknown".into(), |v| v.trim().to_owned());
    let rustc = Command::new("rustc")
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let hyper = fs::read_to_string(root.join("Cargo.lock"))
        .ok()
        .and_then(|lock| {
            let at = lock.find("name = \"hyper\"\nversion = \"")?;
            let rest = &lock[at + "name = \"hyper\"\nversion = \"".len()..];
            Some(rest[..rest.find('"')?].to_owned())
        })
        .unwrap_or_else(|| "?".into());
    format!(
        "{cores} cores (nproc), {cpu}, Linux {kernel}\n\
         built with: {rustc}, hyper {hyper}"
    )
}
