//! The inspector and the tour as commands: the real `cargo install`, as
//! the README's "Start here" runs it, into a root of its own; then the
//! installed `inspector` against a server on loopback, the installed
//! `flusher` serving every lesson, and `inspector` with no URL starting
//! the tour installed beside it.
//!
//! `cargo install` builds in release. It shares the target directory
//! these tests were built in, so after `cargo run --release` it links
//! two binaries (seconds); on a cold target it builds every dependency
//! in release (minutes). So it runs in CI (`CI=true`, which `.ci/run`
//! sets) or when `FLUSHER_TEST_INSTALL=1`, and says it skipped otherwise.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

mod common;
use common::{BIN, records, serve};

#[test]
fn cargo_install_gives_an_inspector_and_a_tour_that_work() {
    if !wanted() {
        eprintln!(
            "SKIPPED: `cargo install` builds in release; CI=true or \
             FLUSHER_TEST_INSTALL=1 runs it"
        );
        return;
    }
    let root = Root::new();
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    install(&workspace.join("inspector"), &root.0);
    install(workspace, &root.0);
    let bin = root.0.join("bin");
    let inspector = bin.join(exe("inspector"));

    // The installed inspector, on a response whose bytes are known.
    let addr = answering(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
          5\r\nhello\r\n0\r\n\r\n",
    );
    let out = Command::new(&inspector)
        .args(["--json", &format!("http://{addr}/")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let recs = records(&out);
    let types: Vec<&str> =
        recs.iter().map(|r| r["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["head", "chunk", "chunk", "end", "verdict"]);
    assert_eq!(recs[1]["data"], "hello");

    // The installed tour serves every lesson, and the installed inspector
    // reads lesson 02's stream to its end.
    let (mut tour, urls) = start_tour(Command::new(bin.join(exe("flusher"))));
    assert!(urls.len() > 2, "{urls:?}");
    let out = Command::new(&inspector)
        .args(["--json", &urls[1]])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let recs = records(&out);
    assert!(recs.iter().any(|r| r["type"] == "end"), "{recs:?}");
    stop(&mut tour);

    // `inspector` alone is the tour, found beside it.
    let (mut tour, urls) = start_tour(Command::new(&inspector));
    assert!(urls.len() > 2, "{urls:?}");
    stop(&mut tour);
}

/// Whether to run: in CI, or when asked.
fn wanted() -> bool {
    let set =
        |name| std::env::var_os(name).is_some_and(|v| v != "0" && v != "false");
    set("CI") || set("FLUSHER_TEST_INSTALL")
}

/// `cargo install --locked --offline --path PACKAGE --root ROOT`, in the
/// target directory these tests were built in, so that what is built
/// already is not built again.
fn install(package: &Path, root: &Path) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // BIN is TARGET/debug/inspector.
    let target = Path::new(BIN).parent().and_then(Path::parent).unwrap();
    let out = Command::new(cargo)
        .args(["install", "--locked", "--offline", "--quiet", "--path"])
        .arg(package)
        .arg("--root")
        .arg(root)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo install --path {}: {}",
        package.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn exe(name: &str) -> OsString {
    format!("{name}{}", std::env::consts::EXE_SUFFIX).into()
}

/// Serves `response` to every client, after its request head.
fn answering(response: &'static [u8]) -> SocketAddr {
    serve(move |stream, _| {
        let _ = stream.write_all(response);
    })
}

/// Starts the tour with `command`, its output a pipe (so not its
/// picker), and returns it with the URL of each lesson it lists, in
/// order. A tour that never finishes its list fails the test, not hangs
/// it.
fn start_tour(mut command: Command) -> (Child, Vec<String>) {
    let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut urls = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("listening on ") {
                urls.push(url.to_owned());
            } else if line.starts_with("Ctrl-C") {
                break;
            }
        }
        let _ = tx.send(urls);
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(urls) => (child, urls),
        Err(e) => {
            stop(&mut child);
            panic!("the tour listed no lessons: {e}");
        }
    }
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A directory to install into, removed when the test ends.
struct Root(PathBuf);

impl Root {
    fn new() -> Root {
        let dir = std::env::temp_dir()
            .join(format!("flusher-install-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Root(dir)
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
