//! The runner's states, driven by script: the real binary, on a temporary
//! copy of the exercises, which the tests solve, break and reset.
//!
//! Each test has a copy of its own, whose builds go to one target directory
//! that all the tests share (through a symlink where the runner expects its
//! own): tokio and the other crates are built once, and only the thirteen
//! small exercise binaries are built per copy.
//!
//! Why the tests run one at a time, in a target directory of their own:
//! cargo names a path package's artifacts by its path *relative to its
//! workspace*, and every copy's generated project is its own workspace
//! root. So every copy, and the learner's real checkout, would write the
//! same file names, and a build could take another copy's fresh binary for
//! its own. One copy at a time, each deleted before the next, never shares a
//! file name with a live one; and the learner's `target/exercises/target`
//! is never touched.

#![cfg(unix)]

use std::env;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// The runner reads the workspace from this variable (see main.rs).
const WORKSPACE_VAR: &str = "FLUSHER_WORKSPACE";

/// How long a run may take: the first one may build tokio.
const FIRST_RUN: Duration = Duration::from_secs(600);
/// How long a later run may take: cargo rebuilds one small file.
const NEXT_RUN: Duration = Duration::from_secs(120);

/// Held by the one test whose copy exists (see the module's docs).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A temporary workspace with the exercises as shipped, removed on drop.
struct Workspace {
    dir: PathBuf,
    /// Released after `dir` is removed: fields drop after `Drop::drop`.
    _turn: MutexGuard<'static, ()>,
}

impl Workspace {
    fn new(test: &str) -> Workspace {
        // A test that failed still hands its turn on.
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
        let real = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let dir = env::temp_dir()
            .join(format!("flusher-runner-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("target/exercises")).unwrap();
        for file in ["Cargo.toml", "Cargo.lock", "rustfmt.toml"] {
            fs::copy(real.join(file), dir.join(file)).unwrap();
        }
        copy_dir(&real.join("exercises"), &dir.join("exercises"));
        let shared = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("exercises-runner-target");
        fs::create_dir_all(&shared).unwrap();
        std::os::unix::fs::symlink(
            &shared,
            dir.join("target/exercises/target"),
        )
        .unwrap();
        Workspace { dir, _turn: turn }
    }

    fn runner(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_exercises"));
        command.env(WORKSPACE_VAR, &self.dir);
        command
    }

    /// Runs the runner to its end, with no terminal: stdin is empty.
    fn run(&self, args: &[&str]) -> Output {
        self.runner()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Runs the runner and returns its stdout, after checking its exit code.
    fn stdout(&self, args: &[&str], code: i32) -> String {
        let output = self.run(args);
        let stdout = String::from_utf8(output.stdout).unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        stdout
    }

    /// The path of an exercise file, relative to `exercises/`.
    fn file(&self, path: &str) -> PathBuf {
        self.dir.join("exercises").join(path)
    }

    /// Solves an exercise the quick way: its solution, copied over it.
    fn solve(&self, path: &str) {
        let solution = self.file(&format!("solutions/{path}"));
        fs::copy(solution, self.file(path)).unwrap();
    }

    /// How many exercises the course has.
    fn total(&self) -> usize {
        let info = fs::read_to_string(self.file("info.toml")).unwrap();
        info.matches("[[exercises]]").count()
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

const CONTENT_LENGTH: &str = "01_raw_tcp/content_length.rs";
const CHUNK_FRAME: &str = "02_chunked/chunk_frame.rs";

#[test]
fn progress_counts_an_exercise_solved_out_of_order() {
    let workspace = Workspace::new("progress");
    let total = workspace.total();
    workspace.solve(CHUNK_FRAME);

    // The default command: the first exercise is still the current one,
    // and the second one counts.
    let progress = workspace.stdout(&[], 0);
    assert!(
        progress.contains(&format!("  1 of {total} done")),
        "{progress}"
    );
    assert!(progress.contains("→ content_length "), "{progress}");
    assert!(progress.contains("✓ chunk_frame "), "{progress}");
    assert!(progress.contains("content_length: 4 of 4 tests fail"));

    // `list`, without a terminal, is the plain table with the same count.
    let list = workspace.stdout(&["list"], 0);
    assert!(list.contains(&format!("  1 of {total} done")), "{list}");
    let row = |name: &str| {
        list.lines()
            .find(|line| line.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{list}"))
            .to_owned()
    };
    assert!(row("content_length").starts_with("  → "), "{list}");
    assert!(row("content_length").ends_with("tests fail"), "{list}");
    assert!(row("chunk_frame").starts_with("  ✓ "), "{list}");
    assert!(row("chunk_frame").ends_with("done"), "{list}");
    assert!(row("chunked_body").starts_with("  · "), "{list}");
}

#[test]
fn hint_without_a_name_hints_the_current_exercise() {
    let workspace = Workspace::new("hint");
    let hint = workspace.stdout(&["hint"], 0);
    assert!(hint.starts_with("Hint for content_length ("), "{hint}");
    assert!(hint.contains("Chapter: book/src/01-raw-tcp.md"), "{hint}");

    workspace.solve(CONTENT_LENGTH);
    let hint = workspace.stdout(&["hint"], 0);
    assert!(hint.starts_with("Hint for chunk_frame ("), "{hint}");

    // A name still picks any exercise.
    let hint = workspace.stdout(&["hint", "gzip_flush"], 0);
    assert!(hint.starts_with("Hint for gzip_flush ("), "{hint}");
    workspace.stdout(&["hint", "nope"], 2);
}

#[test]
fn reset_puts_back_the_file_as_shipped() {
    let workspace = Workspace::new("reset");
    let shipped = fs::read(workspace.file(CHUNK_FRAME)).unwrap();
    workspace.solve(CHUNK_FRAME);
    assert_ne!(fs::read(workspace.file(CHUNK_FRAME)).unwrap(), shipped);
    let list = workspace.stdout(&["list"], 0);
    assert!(list.contains("✓ chunk_frame "), "{list}");

    let reset = workspace.stdout(&["reset", "chunk_frame"], 0);
    assert_eq!(
        reset,
        "exercises/02_chunked/chunk_frame.rs is back as shipped, from \
         exercises/shipped/02_chunked/chunk_frame.rs.\n"
    );
    assert_eq!(fs::read(workspace.file(CHUNK_FRAME)).unwrap(), shipped);
    let list = workspace.stdout(&["list"], 0);
    assert!(list.contains("· chunk_frame "), "{list}");
    assert!(list.contains(" 0 of "), "{list}");

    workspace.stdout(&["reset", "nope"], 2);
}

#[test]
fn check_fails_when_an_exercise_is_not_its_shipped_copy() {
    let workspace = Workspace::new("check");
    let shipped = workspace.file(&format!("shipped/{CHUNK_FRAME}"));
    let mut text = fs::read_to_string(&shipped).unwrap();
    text.push_str("// an edit the shipped copy did not get\n");
    fs::write(&shipped, text).unwrap();

    let report = workspace.stdout(&["check"], 1);
    let line = report
        .lines()
        .find(|line| line.contains(" chunk_frame "))
        .unwrap_or_else(|| panic!("no line for chunk_frame:\n{report}"));
    assert!(line.starts_with("FAIL  "), "{report}");
    assert!(
        line.contains("exercise differs from its shipped copy"),
        "{line}"
    );
    assert!(
        report.ends_with(&format!(
            "exercises: {} passed, 1 failed\n",
            workspace.total() - 1
        )),
        "{report}"
    );
}

/// A running `watch`, without a terminal: commands go in as lines, and
/// its output comes out line by line on a channel. Killed on drop.
struct Watch {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    /// Everything read so far, for the failure message.
    seen: String,
}

impl Watch {
    fn start(workspace: &Workspace) -> Watch {
        let mut child = workspace
            .runner()
            .arg("watch")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Watch {
            child,
            stdin,
            lines,
            seen: String::new(),
        }
    }

    /// Reads lines until one starts with `line`; fails after `timeout`.
    fn expect(&mut self, line: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(next) => {
                    self.seen.push_str(&next);
                    self.seen.push('\n');
                    if next.starts_with(line) {
                        return;
                    }
                }
                Err(why) => panic!(
                    "watch never printed {line:?} ({why}); it printed:\n{}",
                    self.seen
                ),
            }
        }
    }

    fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn watch_moves_on_when_the_current_exercise_passes() {
    let workspace = Workspace::new("watch");
    let total = workspace.total();
    let mut watch = Watch::start(&workspace);
    let bar = |done: usize| {
        let filled = done * 30 / total;
        let rest = "-".repeat(30 - filled - 1);
        format!("[{}>{rest}]  {done} of {total} done", "#".repeat(filled))
    };

    watch.expect("content_length: ", FIRST_RUN);
    watch.expect(&bar(0), NEXT_RUN);
    watch.expect(
        "Current: exercises/01_raw_tcp/content_length.rs  \
         (read book/src/01-raw-tcp.md)",
        NEXT_RUN,
    );

    // A save that solves it: watch says so and shows the next one.
    workspace.solve(CONTENT_LENGTH);
    watch.expect("chunk_frame: ", NEXT_RUN);
    watch.expect("✓ content_length passes! On to chunk_frame.", NEXT_RUN);
    watch.expect(&bar(1), NEXT_RUN);
    watch.expect(
        "Current: exercises/02_chunked/chunk_frame.rs  \
         (read book/src/02-chunked-by-hand.md)",
        NEXT_RUN,
    );

    // The keys, as lines: the hint of the current exercise, then the next.
    watch.send("h");
    watch.expect(
        "Hint for chunk_frame (exercises/02_chunked/chunk_frame.rs):",
        NEXT_RUN,
    );
    watch.send("n");
    watch.expect(
        "Current: exercises/02_chunked/chunked_body.rs  \
         (read book/src/02-chunked-by-hand.md)",
        NEXT_RUN,
    );
    // A name makes that exercise current; one already solved stays so.
    watch.send("content_length");
    watch.expect("✓ content_length: all 4 tests pass.", NEXT_RUN);
    watch.send("r");
    watch.expect("✓ content_length: all 4 tests pass.", NEXT_RUN);
    watch.expect(
        "Current: exercises/01_raw_tcp/content_length.rs  \
         (read book/src/01-raw-tcp.md)",
        NEXT_RUN,
    );

    watch.send("q");
    let deadline = Instant::now() + NEXT_RUN;
    let status = loop {
        if let Some(status) = watch.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "q did not stop watch");
        thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
}

/// `watch` on a terminal (tmux's): single keys in raw mode, the picker,
/// and the terminal given back on `q`.
#[test]
fn watch_on_a_terminal_reads_keys_and_gives_the_terminal_back() {
    if Command::new("tmux").arg("-V").output().is_err() {
        // CI installs tmux (.ci/run): there, its absence is a failure.
        assert!(env::var_os("CI").is_none(), "tmux is not installed");
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let workspace = Workspace::new("tmux");
    let term = Tmux::start(&workspace);

    let current = |file: &str| format!("Current: exercises/{file}  (read");
    term.wait_for(FIRST_RUN, |s| {
        s.contains(&current(CONTENT_LENGTH))
            && s.contains("h hint · l list · n next · r re-run · q quit")
    });
    // The screen was cleared: the build's note is gone.
    assert!(!term.screen().contains("Building and testing"));

    term.keys(&["n"]);
    term.wait_for(NEXT_RUN, |s| s.contains(&current(CHUNK_FRAME)));

    // The list opens on watch's current exercise, marked →; j moves
    // down, Enter picks.
    term.keys(&["l"]);
    term.wait_for(NEXT_RUN, |s| {
        s.contains("↑↓ j k move") && s.contains("→ chunk_frame ")
    });
    term.keys(&["j", "Enter"]);
    term.wait_for(NEXT_RUN, |s| {
        s.contains(&current("02_chunked/chunked_body.rs"))
    });

    term.keys(&["h"]);
    term.wait_for(NEXT_RUN, |s| s.contains("Hint for chunked_body ("));

    term.keys(&["q"]);
    let screen = term.wait_for(NEXT_RUN, |s| s.contains("EXITED "));
    assert!(screen.contains("EXITED 0 icanon"), "{screen}");
}

/// `watch` in its own tmux server, killed on drop. After it exits, a line
/// says its exit code and whether the terminal is back in canonical
/// (line) mode, which raw mode turns off.
struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    fn start(workspace: &Workspace) -> Tmux {
        let term = Tmux {
            socket: workspace.dir.with_extension("sock"),
        };
        let script = "\"$@\" watch; code=$?; \
                      mode=$(stty -a | grep -o -- '-\\?icanon'); \
                      echo EXITED $code $mode; sleep 600";
        let runner = env!("CARGO_BIN_EXE_exercises");
        let workspace = format!("{WORKSPACE_VAR}={}", workspace.dir.display());
        term.tmux(&[
            "new-session",
            "-d",
            "-x",
            "100",
            "-y",
            "30",
            "env",
            &workspace,
            "sh",
            "-c",
            script,
            "sh",
            runner,
        ]);
        term
    }

    fn tmux(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            // -u: UTF-8 whatever the locale, for ✓ and ·; -f: no user
            // configuration.
            .args(["-u", "-f", "/dev/null", "-S"])
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap();
        assert!(output.status.success(), "tmux {args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p"])
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend(keys);
        self.tmux(&args);
    }

    /// The screen once `ready` says yes; fails after `timeout`.
    fn wait_for(
        &self,
        timeout: Duration,
        ready: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "the screen:\n{screen}");
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
        let _ = fs::remove_file(&self.socket);
    }
}
