//! `--har FILE`: the archive the inspector writes of lesson 02, asked
//! for directly and through `inspector proxy` (two exchanges), checked
//! against the HAR 1.2 schema by a HAR library nobody here wrote
//! (har-validator, from npm: har-schema's schemas, checked by ajv), and
//! its `_chunks` against the chunk records the same run printed.

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use inspector::capture;
use lesson_01_raw_tcp::{server, testing};
use serde_json::Value;

/// The peers' node modules: har-validator among them.
const PEERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers");

const PAUSE: Duration = Duration::from_millis(100);

#[test]
fn the_har_of_a_lesson_is_valid_and_its_chunks_are_the_records() {
    let Some(inspector) = ready() else { return };
    let origin =
        server::spawn(lesson_02_chunked_by_hand::handler(PAUSE, true)).unwrap();
    let file = scratch("url.har");
    let out = Command::new(&inspector)
        .args(["--json", "--har"])
        .arg(&file)
        .arg(format!("http://{origin}/"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    validate(&file);

    let har = read(&file);
    let entries = har["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry["request"]["url"], format!("http://{origin}/"));
    assert_eq!(entry["response"]["status"], 200);
    // One `_chunks` item per chunk record, with its time and size.
    let records = lines(&String::from_utf8_lossy(&out.stdout));
    let chunks = chunk_records(&records, None);
    assert_eq!(chunks.len(), 5);
    assert_eq!(pieces(entry), chunks);
    // The timings add up to `time`, and the body's bytes to the content.
    let timings = &entry["timings"];
    let sum: f64 = ["connect", "send", "wait", "receive"]
        .iter()
        .map(|t| timings[t].as_f64().unwrap().max(0.0))
        .sum();
    assert!(
        (entry["time"].as_f64().unwrap() - sum).abs() < 0.01,
        "{entry}"
    );
    let bytes: u64 = chunks.iter().map(|c| c.1).sum();
    assert_eq!(entry["response"]["bodySize"], bytes);
    assert_eq!(entry["response"]["content"]["size"], bytes);
    assert!(entry["_verdict"]["streamed"].as_bool().unwrap(), "{entry}");
    std::fs::remove_file(&file).unwrap();
}

#[test]
fn the_proxys_har_has_an_entry_per_exchange_as_each_ends() {
    let Some(inspector) = ready() else { return };
    let origin =
        server::spawn(lesson_02_chunked_by_hand::handler(PAUSE, true)).unwrap();
    let file = scratch("proxy.har");
    let mut proxy = Stopped(
        Command::new(&inspector)
            .args(["proxy", "--listen", "127.0.0.1:0", "--to"])
            .arg(format!("http://{origin}"))
            .args(["--json", "--har"])
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let addr = listening(&mut proxy.0);
    // Two exchanges, one after the other: the page, and a 404.
    assert_eq!(capture::get_chunks(addr, "/").unwrap().len(), 5);
    let (status, _) = capture::answer(
        addr,
        b"GET /missing?x=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    assert_eq!(status, 404);
    // The file is rewritten as each exchange ends: wait for the second.
    let deadline = Instant::now() + Duration::from_secs(10);
    let har = loop {
        let har = std::fs::read(&file)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
        if let Some(har) = har
            && har["log"]["entries"].as_array().map(Vec::len) == Some(2)
        {
            break har;
        }
        assert!(Instant::now() < deadline, "no second entry in {file:?}");
        std::thread::sleep(Duration::from_millis(10));
    };
    // The file is whole at any moment: stopping the proxy loses nothing.
    let _ = proxy.0.kill();
    let _ = proxy.0.wait();
    validate(&file);

    let mut stdout = String::new();
    let mut out = proxy.0.stdout.take().unwrap();
    out.read_to_string(&mut stdout).unwrap();
    let records = lines(&stdout);
    let entries = har["log"]["entries"].as_array().unwrap();
    let urls: Vec<&str> = entries
        .iter()
        .map(|e| e["request"]["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        urls,
        [
            format!("http://{origin}/"),
            format!("http://{origin}/missing?x=1")
        ]
    );
    assert_eq!(entries[1]["request"]["queryString"][0]["name"], "x");
    assert_eq!(entries[1]["response"]["status"], 404);
    for entry in entries {
        // `_exchange` is --json's `exchange`: its chunk records are the
        // entry's `_chunks`.
        let exchange = entry["_exchange"].as_u64().unwrap();
        let chunks = chunk_records(&records, Some(exchange));
        assert!(!chunks.is_empty());
        assert_eq!(pieces(entry), chunks, "exchange {exchange}");
    }
    std::fs::remove_file(&file).unwrap();
}

/// The inspector's binary and the validator, or the project's rule: skip,
/// saying why, or under `CI=true` fail.
fn ready() -> Option<PathBuf> {
    let required = |ok: bool, what: &str| {
        assert!(
            ok || std::env::var("CI").as_deref() != Ok("true"),
            "{what} is required in CI but is missing"
        );
        if !ok {
            eprintln!("SKIPPED: {what} is missing");
        }
        ok
    };
    let inspector = Path::new(env!("CARGO_BIN_EXE_flusher"))
        .with_file_name(format!("inspector{}", std::env::consts::EXE_SUFFIX));
    let validator = Path::new(PEERS).join("node_modules/har-validator");
    let ready = testing::require("node")
        && required(
            validator.is_dir(),
            "tests/peers/node_modules (npm ci --prefix tests/peers)",
        )
        && required(
            inspector.exists(),
            "the inspector's binary (cargo build -p inspector)",
        );
    ready.then_some(inspector)
}

/// Checks `file` with har-validator, which prints what is wrong.
fn validate(file: &Path) {
    let out = Command::new("node")
        .arg(Path::new(PEERS).join("har-validate.js"))
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} is not valid HAR 1.2:\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read(file: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap()
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The pieces among `records`, of one proxy exchange or all: data
/// chunks and reads of a plain body, as (t_ms, bytes, content bytes).
fn chunk_records(records: &[Value], exchange: Option<u64>) -> Vec<Piece> {
    records
        .iter()
        .filter(|r| exchange.is_none_or(|x| r["exchange"] == x))
        .filter_map(|r| {
            let bytes = match r["type"].as_str() {
                Some("chunk") if r["last"] == false => r["size"].as_u64(),
                Some("data") => r["len"].as_u64(),
                _ => None,
            }?;
            let content = r["content_len"].as_u64().unwrap_or(bytes);
            Some((r["t_ms"].as_f64().unwrap(), bytes, content))
        })
        .collect()
}

type Piece = (f64, u64, u64);

/// An entry's `_chunks`, as [`chunk_records`] gives them.
fn pieces(entry: &Value) -> Vec<Piece> {
    entry["_chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["t_ms"].as_f64().unwrap(),
                c["bytes"].as_u64().unwrap(),
                c["content_bytes"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Where the proxy says it listens, on its standard error.
fn listening(proxy: &mut Child) -> std::net::SocketAddr {
    let mut stderr = BufReader::new(proxy.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .split("listening on http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("{line}"));
    addr.parse().unwrap()
}

/// A file of this test's, in a directory of its own run.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("flusher-har-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// The proxy this test started: stopped when the test ends, passed or
/// failed, so that it does not outlive it.
struct Stopped(Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
