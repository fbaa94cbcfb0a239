//! Record, then replay: for every route the tour serves, `inspector --json
//! --record F URL` and then `inspector --json --file F` print the same
//! records, line for line, times included.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::thread;

use lesson_01_raw_tcp::cli;

#[test]
fn a_recording_replays_to_the_live_runs_records_on_every_tour_route() {
    let Some(inspector) = inspector() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the inspector's binary is required in CI: build the workspace"
        );
        eprintln!("SKIPPED: no inspector binary; `cargo build -p inspector`");
        return;
    };
    let dir = std::env::temp_dir()
        .join(format!("flusher-recording-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let routes = routes();
    assert!(routes.len() > 20, "{routes:?}");
    // Each route at once: the slowest (lesson 05's 100 parts, 250 ms
    // apart) sets the test's time.
    thread::scope(|scope| {
        for (i, (url, flags)) in routes.iter().enumerate() {
            let file = dir.join(format!("{i}.jsonl"));
            let inspector = &inspector;
            scope.spawn(move || check(inspector, url, flags, &file));
        }
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Records `url`, replays the recording, and asserts the two runs agree.
fn check(inspector: &Path, url: &str, flags: &[String], file: &Path) {
    let live = run(
        inspector,
        ["--json", "--record", file.to_str().unwrap(), url]
            .into_iter()
            .chain(flags.iter().map(String::as_str)),
    );
    let replay = run(inspector, ["--json", "--file", file.to_str().unwrap()]);
    assert!(live.status.success(), "{url}: {}", text(&live.stderr));
    let (live, replay) = (text(&live.stdout), text(&replay.stdout));
    assert!(live.lines().count() > 2, "{url}: {live}");
    for (n, (a, b)) in live.lines().zip(replay.lines()).enumerate() {
        assert_eq!(a, b, "{url}, line {}", n + 1);
    }
    assert_eq!(live.lines().count(), replay.lines().count(), "{url}");
    // A replay at a pace takes the recording's time, and says the same.
    if flags.is_empty() && url.ends_with("?delays=0") {
        let paced = run(
            inspector,
            ["--json", "--speed", "4", "--file", file.to_str().unwrap()],
        );
        assert_eq!(text(&paced.stdout), live, "{url} at 4x");
    }
}

/// Every stream the tour offers, as its picker lists them
/// ([`flusher::demos`]), with the row's own request: its header fields
/// (a `Last-Event-ID`), and a WebSocket's messages, then a close.
fn routes() -> Vec<(String, Vec<String>)> {
    let lessons = flusher::start_lessons().map_err(|(_, e)| e).unwrap();
    lessons
        .iter()
        .flat_map(|(lesson, addr)| flusher::demos(lesson, &cli::url(*addr)))
        .map(|demo| {
            let mut flags = Vec::new();
            if let Some(request) = &demo.request {
                for field in &request.headers {
                    flags.extend(["-H".to_owned(), field.clone()]);
                }
            }
            for message in &demo.send {
                flags.extend(["--send".to_owned(), message.clone()]);
            }
            if demo.url.starts_with("ws://") {
                flags.extend(["--close-after".to_owned(), "500".to_owned()]);
            }
            (demo.url, flags)
        })
        .collect()
}

fn run<S: AsRef<std::ffi::OsStr>>(
    inspector: &Path,
    args: impl IntoIterator<Item = S>,
) -> Output {
    Command::new(inspector).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The inspector's binary, built beside this package's (as tests/tls.rs
/// finds it): the flags and the printed records are what is under test.
fn inspector() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_BIN_EXE_flusher"))
        .with_file_name(format!("inspector{}", std::env::consts::EXE_SUFFIX));
    path.exists().then_some(path)
}
