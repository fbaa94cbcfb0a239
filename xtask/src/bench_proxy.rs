//! `cargo xtask bench-proxy`: `inspector proxy` against nginx set to
//! stream (`proxy_buffering off; proxy_http_version 1.1;`), both in front
//! of lesson 05, side by side in one run. The table goes to stdout and to
//! `book/src/generated/bench-proxy.txt`, which the benchmark appendix
//! includes.
//!
//! Three measures, in this order:
//!
//! - **Memory per open exchange**: a fresh proxy and a fresh nginx each
//!   carry [`OPEN`] slow streams at once; the peak resident memory
//!   (`VmHWM`) over the idle one's, per stream.
//! - **Added latency per chunk**: the same stream direct, through nginx
//!   and through the proxy, at once, each chunk timed as it arrives. The
//!   origin's timer fires on whole milliseconds, and each stream's sleeps
//!   start when its own request came, so three requests' chunks leave the
//!   origin up to a millisecond apart: more than what is measured. So
//!   each path's upstream goes through a tap, a forwarder in this process
//!   that times every read it takes from the origin. A chunk's latency on
//!   a path is its arrival at the client less its arrival at the tap, on
//!   one clock; what a proxy adds is its path's latency less the direct
//!   path's, chunk by chunk.
//! - **Throughput**: wrk on a small streaming route through each proxy,
//!   the proxies taking turns, the order rotated every round.
//!
//! The origin is lesson 05's release binary (`lesson_05_tokio::serve`
//! with its demo site, as `lesson_05_tokio::spawn` serves it): in this
//! debug-built xtask it would be slower than the proxies it feeds.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use inspector::session::{Record, Session};
use lesson_01_raw_tcp::testing::{self, Nginx};

use crate::{Result, bench_tokio};

/// The throughput route: ten chunks of 64 bytes, no pause. What a proxy
/// pays per request and per chunk shows, not the copy.
const SMALL: &str = "/stream?n=10&size=64";
/// The latency route: a chunk every 5 ms, 100 of them.
const TIMED: &str = "/stream?n=100&size=64&every=5";
const TIMED_CHUNKS: usize = 100;
/// Rounds of the latency measure: 2,000 chunks per path.
const LATENCY_ROUNDS: usize = 20;
/// The slow streams held open for the memory measure: one chunk a second,
/// for longer than the measure lasts. nginx's default 512 connections a
/// worker hold 256 exchanges, each a client's and an upstream's.
const OPEN: usize = 200;
const SLOW: &str = "/stream?n=100&size=64&every=1000";
const WARM_UP_SECS: u64 = 2;
/// The targets.
const THROUGHPUT_TARGET: f64 = 1.0;
const P99_TARGET_MS: f64 = 0.5;

pub fn run(root: &Path, rounds: usize, secs: u64) -> Result {
    if rounds == 0 || secs == 0 {
        return Err("--rounds and --secs must be at least 1".into());
    }
    let wrk = bench_tokio::wrk_version()?;
    if !testing::require(testing::NGINX) {
        return Err("nginx is not installed: apt-get install nginx".into());
    }
    let status =
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "-q", "-p", "inspector"])
            .args(["-p", "lesson-05-tokio", "--bins"])
            .current_dir(root)
            .status()?;
    if !status.success() {
        return Err("cannot build the inspector and lesson 05".into());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), |dir| root.join(dir));
    let release = target.join("release");
    let script = target.join("bench-proxy.lua");
    fs::write(&script, bench_tokio::SCRIPT)?;
    let load_before = load();

    let origin = Process::start(
        "lesson 05",
        Command::new(release.join("lesson-05-tokio"))
            .args(["--addr", "127.0.0.1:0"]),
    )?;
    let origin_addr = origin.addr;
    // Each path's upstream through a tap of its own; the throughput's
    // straight to the origin.
    let taps = [Tap::start(origin_addr)?, Tap::start(origin_addr)?];
    let [direct_tap, proxy_tap] = &taps;
    let nginx_tap = Tap::start(origin_addr)?;

    // Memory first, on fresh processes.
    eprintln!("memory: {OPEN} open streams through each proxy");
    let rss = [
        {
            let ours = inspector_proxy(&release, origin_addr)?;
            rss_per_exchange(ours.addr, ours.child.id())?
        },
        {
            // One process, so that its memory is all in one place.
            let [port] = testing::free_ports();
            let servers = nginx_config(&[origin_addr], &[port], false);
            let nginx =
                Nginx::start(scratch(root, "nginx-one")?, &servers, &[port]);
            rss_per_exchange(local(port), nginx_pid(&nginx)?)?
        },
    ];

    // The proxies under test: ours to the origin and to its tap; nginx,
    // one process, with a server for each.
    let ours = inspector_proxy(&release, origin_addr)?;
    let ours_tapped = inspector_proxy(&release, proxy_tap.addr)?;
    let ports @ [nginx_port, nginx_tapped, nginx_kept] = testing::free_ports();
    let servers = nginx_config(&[origin_addr, nginx_tap.addr], &ports, true);
    let dir = scratch(root, "nginx-workers")?;
    let _nginx = testing::Nginx::with_workers(dir, &servers, &ports);

    eprintln!(
        "latency: {LATENCY_ROUNDS} rounds of {TIMED} on three paths at once"
    );
    let paths = [
        (direct_tap.addr, direct_tap),
        (ours_tapped.addr, proxy_tap),
        (local(nginx_tapped), &nginx_tap),
    ];
    // added[proxy]: what each chunk took through it over direct, in ms.
    let mut added = [Vec::new(), Vec::new()];
    for round in 0..LATENCY_ROUNDS {
        let each = latency_round(&paths)?;
        for (k, through) in each[1..].iter().enumerate() {
            added[k].extend(
                through.iter().zip(&each[0]).map(|(t, direct)| t - direct),
            );
        }
        if round == 0 {
            eprintln!("  first round: {} chunks a path", each[0].len());
        }
    }

    eprintln!("throughput: warming up, {WARM_UP_SECS} s each");
    let proxies = [
        ("inspector proxy", ours.addr),
        ("nginx", local(nginx_port)),
        ("nginx keepalive", local(nginx_kept)),
    ];
    for (_, addr) in proxies {
        wrk_run(&script, addr, WARM_UP_SECS)?;
    }
    let mut rps = [Vec::new(), Vec::new(), Vec::new()];
    for round in 0..rounds {
        for i in 0..proxies.len() {
            let k = (i + round) % proxies.len();
            let run = wrk_run(&script, proxies[k].1, secs)?;
            eprintln!(
                "round {}/{rounds} {:<16} {run:>8.0} req/s",
                round + 1,
                proxies[k].0
            );
            rps[k].push(run);
        }
    }
    drop(origin);

    let loads = [load_before, load()];
    let table = table(rounds, secs, &wrk, &loads, &rps, &added, &rss);
    print!("{table}");
    fs::write(root.join("book/src/generated/bench-proxy.txt"), table)?;
    Ok(())
}

fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// A program under test, started on a free port, killed when dropped.
struct Process {
    addr: SocketAddr,
    child: Child,
}

impl Process {
    /// Starts `command` and waits for the line that says where it
    /// listens, `listening on http://ADDR/`, on stdout or stderr.
    fn start(name: &str, command: &mut Command) -> Result<Process> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{name}: {e}"))?;
        let (tx, rx) = std::sync::mpsc::channel();
        let out = child
            .stdout
            .take()
            .map(|o| Box::new(o) as Box<dyn Read + Send>);
        let err = child
            .stderr
            .take()
            .map(|e| Box::new(e) as Box<dyn Read + Send>);
        // Both pipes read to their end, so that the program never writes
        // into a full one: the proxy's lines go nowhere.
        for pipe in [out, err].into_iter().flatten() {
            let tx = tx.clone();
            thread::spawn(move || {
                for line in
                    BufReader::new(pipe).lines().map_while(io::Result::ok)
                {
                    let addr = line
                        .split("listening on http://")
                        .nth(1)
                        .and_then(|rest| rest.split('/').next())
                        .and_then(|addr| addr.parse::<SocketAddr>().ok());
                    if let Some(addr) = addr {
                        let _ = tx.send(addr);
                    }
                }
            });
        }
        let mut process = Process {
            addr: local(0),
            child,
        };
        process.addr = rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| format!("{name} did not say where it listens"))?;
        Ok(process)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `inspector proxy` in front of `to`, its lines (one per exchange) to
/// nowhere.
fn inspector_proxy(release: &Path, to: SocketAddr) -> Result<Process> {
    Process::start(
        "inspector proxy",
        Command::new(release.join("inspector"))
            .args(["proxy", "--listen", "127.0.0.1:0", "--to"])
            .arg(format!("http://{to}")),
    )
}

/// nginx set to stream (`proxy_buffering off; proxy_http_version 1.1;`)
/// in front of each of `upstreams`, each on a port of its own; with
/// `keepalive`, also one more in front of the first upstream that keeps
/// its upstream connections open (`keepalive 64`), as nginx's manual
/// pairs with HTTP/1.1.
fn nginx_config(
    upstreams: &[SocketAddr],
    ports: &[u16],
    keepalive: bool,
) -> String {
    let mut servers = String::new();
    let streaming = "proxy_buffering off;
            proxy_http_version 1.1;";
    for (port, upstream) in ports.iter().zip(upstreams) {
        let _ = write!(
            servers,
            "server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://{upstream};
            {streaming}
        }}
    }}
    "
        );
    }
    if keepalive && let Some(port) = ports.get(upstreams.len()) {
        let _ = write!(
            servers,
            "upstream kept {{
        server {};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://kept;
            {streaming}
            proxy_set_header Connection \"\";
        }}
    }}
    ",
            upstreams[0]
        );
    }
    servers
}

fn scratch(root: &Path, name: &str) -> Result<std::path::PathBuf> {
    let dir = root.join(format!("target/bench-proxy-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn nginx_pid(nginx: &Nginx) -> Result<u32> {
    let pid = fs::read_to_string(nginx.dir.join("nginx.pid"))?;
    Ok(pid.trim().parse()?)
}

/// What a forwarder saw of one connection: each read from the origin,
/// with when it came.
type Reads = Vec<(Instant, Vec<u8>)>;

/// A forwarder between a proxy (or the direct client) and the origin:
/// it takes each read from the origin, notes its time, and writes it on,
/// with `TCP_NODELAY` both ways.
struct Tap {
    addr: SocketAddr,
    /// Each connection's reads, in the order they were accepted.
    connections: Arc<Mutex<Vec<Arc<Mutex<Reads>>>>>,
}

impl Tap {
    fn start(origin: SocketAddr) -> Result<Tap> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let connections: Arc<Mutex<Vec<Arc<Mutex<Reads>>>>> = Arc::default();
        let all = Arc::clone(&connections);
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(origin) else {
                    continue;
                };
                let reads = Arc::<Mutex<Reads>>::default();
                lock(&all).push(Arc::clone(&reads));
                thread::spawn(move || tap(client, server, &reads));
            }
        });
        Ok(Tap { addr, connections })
    }

    /// The reads of the last connection it accepted.
    fn last(&self) -> Reads {
        lock(&self.connections)
            .last()
            .map(|reads| std::mem::take(&mut *lock(reads)))
            .unwrap_or_default()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn tap(client: TcpStream, server: TcpStream, reads: &Mutex<Reads>) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (Ok(mut up_from), Ok(mut up_to)) =
        (client.try_clone(), server.try_clone())
    else {
        return;
    };
    thread::spawn(move || {
        let _ = io::copy(&mut up_from, &mut up_to);
        let _ = up_to.shutdown(std::net::Shutdown::Write);
    });
    let (mut server, mut client) = (server, client);
    let mut buf = vec![0; 64 * 1024];
    while let Ok(n @ 1..) = server.read(&mut buf) {
        let at = Instant::now();
        lock(reads).push((at, buf[..n].to_vec()));
        if client.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = client.shutdown(std::net::Shutdown::Write);
}

/// One round: [`TIMED`] on each path at once. Returns each path's
/// latency per chunk in ms: its arrival at the client less its arrival
/// at the path's tap.
fn latency_round(paths: &[(SocketAddr, &Tap); 3]) -> Result<[Vec<f64>; 3]> {
    let base = Instant::now();
    let start = Barrier::new(paths.len());
    let clients: Vec<io::Result<Reads>> = thread::scope(|scope| {
        let handles: Vec<_> = paths
            .iter()
            .map(|&(addr, _)| {
                let start = &start;
                scope.spawn(move || {
                    let mut stream = TcpStream::connect(addr)?;
                    stream.set_nodelay(true)?;
                    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
                    start.wait();
                    let request = format!(
                        "GET {TIMED} HTTP/1.1\r\nHost: bench\r\n\
                         Connection: close\r\n\r\n"
                    );
                    stream.write_all(request.as_bytes())?;
                    let mut reads = Reads::new();
                    let mut buf = vec![0; 64 * 1024];
                    loop {
                        let n = stream.read(&mut buf)?;
                        if n == 0 {
                            return Ok(reads);
                        }
                        reads.push((Instant::now(), buf[..n].to_vec()));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| Err(io::Error::other("panic")))
            })
            .collect()
    });
    let mut each: [Vec<f64>; 3] = Default::default();
    for (k, (client, (_, tap))) in clients.into_iter().zip(paths).enumerate() {
        let at_client = chunk_times(&client?, base)?;
        let at_tap = chunk_times(&tap.last(), base)?;
        if at_client.len() != TIMED_CHUNKS || at_tap.len() != TIMED_CHUNKS {
            return Err(format!(
                "path {k}: {} chunks at the client, {} at the tap; \
                 expected {TIMED_CHUNKS}",
                at_client.len(),
                at_tap.len()
            )
            .into());
        }
        each[k] = at_client.iter().zip(&at_tap).map(|(c, t)| c - t).collect();
    }
    Ok(each)
}

/// When each data chunk of the response in `reads` was whole (its final
/// CRLF in), in ms since `base`: the inspector's own decoder and session
/// (what `capture::get_chunks` runs), fed each read at its time, so that
/// the client's times and the tap's are on one clock.
fn chunk_times(reads: &Reads, base: Instant) -> Result<Vec<f64>> {
    let mut session = Session::new("GET", 0);
    let mut times = Vec::new();
    let mut failed = None;
    for (at, bytes) in reads {
        let at = at.saturating_duration_since(base);
        session.read(at, bytes, &mut |record| match record {
            Record::Chunk(c) if !c.last => times.push(c.t_ms),
            Record::Error { message, .. } => failed = Some(message),
            _ => {}
        });
    }
    match failed {
        Some(message) => Err(message.into()),
        None => Ok(times),
    }
}

/// Opens [`OPEN`] slow streams through the proxy at `addr` (process
/// `pid`) and holds them until each has its first chunk; returns the
/// process's resident KiB before, at its peak, and the peak's growth per
/// stream.
fn rss_per_exchange(addr: SocketAddr, pid: u32) -> Result<(u64, u64)> {
    let status = format!("/proc/{pid}/status");
    let field = |name: &str| -> Result<u64> {
        let text = fs::read_to_string(&status)?;
        Ok(kib(&text, name))
    };
    let idle = field("VmRSS:")?;
    let mut open = Vec::with_capacity(OPEN);
    for _ in 0..OPEN {
        let mut stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            stream,
            "GET {SLOW} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
        )?;
        open.push(stream);
    }
    // Each has its head and first chunk: the exchange is open at both
    // ends.
    for stream in &mut open {
        let mut got = Vec::new();
        let mut buf = [0; 4096];
        // The head, then `40\r\n`, 64 bytes and a CRLF.
        let whole = |got: &[u8]| {
            got.windows(4)
                .position(|w| w == b"\r\n\r\n")
                .is_some_and(|end| got.len() >= end + 4 + 4 + 64 + 2)
        };
        while !whole(&got) {
            let n = stream.read(&mut buf)?;
            if n == 0 {
                return Err("a slow stream closed early".into());
            }
            got.extend_from_slice(&buf[..n]);
        }
    }
    thread::sleep(Duration::from_millis(200));
    let peak = field("VmHWM:")?;
    drop(open);
    Ok((idle, peak))
}

fn kib(status: &str, name: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// One wrk run on [`SMALL`] through `addr`, as bench-tokio runs wrk:
/// requests a second. Any error stops the benchmark: it would have
/// measured something else.
fn wrk_run(script: &Path, addr: SocketAddr, secs: u64) -> Result<f64> {
    let url = format!("http://{addr}{SMALL}");
    Ok(bench_tokio::wrk_run(script, &url, secs)?.req_per_sec())
}

/// The `percent`th percentile of `values`, by nearest rank: 50 is the
/// median (the lower middle for even counts), 100 the largest.
fn quantile(values: &[f64], percent: usize) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (percent * sorted.len()).div_ceil(100);
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn load() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split(' ').next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

fn table(
    rounds: usize,
    secs: u64,
    wrk: &str,
    loads: &[String; 2],
    rps: &[Vec<f64>; 3],
    added: &[Vec<f64>; 2],
    rss: &[(u64, u64); 2],
) -> String {
    let names = ["inspector proxy", "nginx"];
    let mut out = format!(
        "$ cargo xtask bench-proxy --rounds {rounds} --secs {secs}\n\
         {} cores; origin: lesson 05 (release); inspector proxy: release, \
         its lines to /dev/null;\n\
         nginx: proxy_buffering off; proxy_http_version 1.1; a worker per \
         core (worker_processes auto)\n\
         load average (1 min): {} before the run, {} after it\n",
        thread::available_parallelism().map_or(0, |n| n.get()),
        loads[0],
        loads[1],
    );
    let _ = write!(
        out,
        "\nthroughput: wrk {} -d{secs}s {SMALL} ({wrk}),\n\
         the proxies taking turns; the median of {rounds} rounds\n\
         {:<16} {:>8}  each round\n",
        bench_tokio::wrk_load(),
        "proxy",
        "req/s",
    );
    let medians: Vec<f64> = rps.iter().map(|r| quantile(r, 50)).collect();
    let throughput = ["inspector proxy", "nginx", "nginx keepalive"];
    for (name, runs) in throughput.iter().zip(rps) {
        let each: Vec<String> =
            runs.iter().map(|r| format!("{r:.0}")).collect();
        let _ = writeln!(
            out,
            "{name:<16} {:>8.0}  {}",
            quantile(runs, 50),
            each.join(" ")
        );
    }
    for (k, versus) in [(1, "proxy/nginx"), (2, "proxy/keepalive")] {
        let ratio = medians[0] / medians[k];
        let _ = writeln!(
            out,
            "{versus:<16} {ratio:>7.2}x  target >= {THROUGHPUT_TARGET:.2}x {}",
            met(ratio >= THROUGHPUT_TARGET),
        );
    }
    out += "nginx keepalive: nginx also keeps its upstream connections \
            (upstream keepalive 64;\nproxy_set_header Connection \"\"), \
            as the inspector proxy keeps one per client connection\n";
    let _ = write!(
        out,
        "\nadded latency per chunk: {TIMED} direct, through nginx and \
         through the proxy\nat once, {LATENCY_ROUNDS} rounds; per chunk, \
         (through - direct), each path timed from its tap\n\
         {:<16} {:>6} {:>9} {:>9} {:>9}\n",
        "proxy", "chunks", "p50 (ms)", "p99 (ms)", "max (ms)",
    );
    for (k, (name, values)) in names.iter().zip(added).enumerate() {
        let p99 = quantile(values, 99);
        let target = match k {
            0 => format!(
                "  target p99 <= {P99_TARGET_MS} ms {}",
                met(p99 <= P99_TARGET_MS)
            ),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{name:<16} {:>6} {:>9.3} {p99:>9.3} {:>9.3}{target}",
            values.len(),
            quantile(values, 50),
            quantile(values, 100),
        );
    }
    let _ = write!(
        out,
        "\nmemory: {OPEN} slow streams ({SLOW}) open at once, on a fresh \
         process;\nnginx in one process (master_process off), so that \
         all its memory is in one place\n{:<16} {:>10} {:>10} {:>14}\n",
        "proxy", "idle RSS", "peak RSS", "per exchange",
    );
    for (name, (idle, peak)) in names.iter().zip(rss) {
        let _ = writeln!(
            out,
            "{name:<16} {:>6} KiB {:>6} KiB {:>10.1} KiB",
            idle,
            peak,
            peak.saturating_sub(*idle) as f64 / OPEN as f64,
        );
    }
    out
}
