//! Regenerates `book/src/generated/`: every command the book shows, run for
//! real against the lesson servers, with its real output. Nothing in that
//! folder is written by hand.
//!
//! The servers run in this process on free ports. The transcripts show the
//! default address, `127.0.0.1:7878`, which is what a reader's
//! `cargo run -p lesson-…` listens on; nothing in the outputs depends on it.

use std::fmt::Write as _;
use std::fs;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::Duration;

use inspector::capture::{self, Capture};
use lesson_01_raw_tcp::cli::{self, Lesson};
use lesson_01_raw_tcp::page::DEFAULT_PAUSE;
use lesson_01_raw_tcp::server;

use crate::Result;

/// The address the book's commands show.
const SHOWN: &str = "127.0.0.1:7878";

/// One lesson: where its files go, and its server.
struct Subject {
    dir: &'static str,
    lesson: Lesson,
    addr: SocketAddr,
    /// The paths whose reads the book shows, and the file for each.
    captures: &'static [(&'static str, &'static str)],
}

pub fn run(root: &Path) -> Result {
    let pause = DEFAULT_PAUSE;
    let subjects = [
        Subject {
            dir: "01-raw-tcp",
            lesson: lesson_01_raw_tcp::LESSON,
            addr: server::spawn(lesson_01_raw_tcp::handler(pause))?,
            captures: &[("/", "reads.txt")],
        },
        Subject {
            dir: "02-chunked-by-hand",
            lesson: lesson_02_chunked_by_hand::LESSON,
            addr: server::spawn(lesson_02_chunked_by_hand::handler(
                pause, true,
            ))?,
            captures: &[("/", "reads.txt")],
        },
        Subject {
            dir: "03-flusher",
            lesson: lesson_03_flusher::LESSON,
            addr: server::spawn(lesson_03_flusher::handler(pause))?,
            captures: &[
                ("/", "reads.txt"),
                ("/buffered", "reads-buffered.txt"),
                ("/bufwriter", "reads-bufwriter.txt"),
            ],
        },
    ];
    let out = root.join("book/src/generated");
    let shown_url = cli::url(SHOWN.parse()?);

    // Everything runs at once: each stream takes a second or two of pauses.
    let files: Vec<(String, String)> = thread::scope(|scope| {
        let mut jobs = Vec::new();
        for s in &subjects {
            let url = cli::url(s.addr);
            for (i, watch) in s.lesson.watch.iter().enumerate() {
                let (real, shown) =
                    (watch.command_for(&url), watch.command_for(&shown_url));
                let name = format!("{}/watch-{}.txt", s.dir, i + 1);
                jobs.push(
                    scope.spawn(move || Ok((name, shell(&real, &shown)?))),
                );
            }
            for &(path, file) in s.captures {
                let name = format!("{}/{file}", s.dir);
                let shown = format!("{shown_url}{}", &path[1..]);
                jobs.push(scope.spawn(move || {
                    let capture = get(s.addr, path)?;
                    Ok((name, reads_table(&shown, &capture)))
                }));
            }
        }
        jobs.push(
            scope.spawn(|| Ok(("timeline.txt".into(), timeline(&subjects)?))),
        );
        jobs.push(scope.spawn(|| {
            Ok(("02-chunked-by-hand/nagle.txt".into(), nagle(root)?))
        }));
        jobs.into_iter()
            .map(|job| job.join().expect("a transcript job panicked"))
            .collect::<Result<_>>()
    })?;

    for s in &subjects {
        let banner = cli::banner(&s.lesson, SHOWN.parse()?);
        let text = format!("$ cargo run -p {}\n{banner}", s.lesson.package);
        write(&out.join(s.dir).join("banner.txt"), &text)?;
    }
    for (name, text) in &files {
        write(&out.join(name), text)?;
    }
    println!(
        "transcripts: wrote {} files in {}",
        files.len() + subjects.len(),
        out.display()
    );
    Ok(())
}

fn write(path: &Path, text: &str) -> Result {
    fs::create_dir_all(path.parent().expect("a file in a folder"))?;
    fs::write(path, text)?;
    Ok(())
}

/// Runs `real` in a shell; the transcript shows it as `shown`.
fn shell(real: &str, shown: &str) -> Result<String> {
    let out = Command::new("sh").args(["-c", real]).output()?;
    if !out.status.success() {
        return Err(format!(
            "`{real}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(format!(
        "$ {shown}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

fn get(addr: SocketAddr, path: &str) -> Result<Capture> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {SHOWN}\r\n\r\n");
    Ok(capture::fetch(addr, request.as_bytes())?)
}

/// One line per TCP read: when it returned, how much, and how it starts.
fn reads_table(url: &str, capture: &Capture) -> String {
    let mut out = format!(
        "GET {url}: {} bytes in {} reads\n\n read     at (ms)   bytes   starts with\n",
        capture.bytes.len(),
        capture.reads.len()
    );
    for (i, read) in capture.reads.iter().enumerate() {
        let bytes = &capture.bytes[read.offset..read.offset + read.len];
        let _ = writeln!(
            out,
            "{:>5} {:>12.1} {:>7}   {}",
            i + 1,
            millis(read.at),
            read.len,
            preview(bytes, 44)
        );
    }
    out
}

/// The first `width` characters of `bytes`, with CR and LF written `\r`
/// and `\n`: the control-picture glyphs ␍␊ are missing from many fonts.
fn preview(bytes: &[u8], width: usize) -> String {
    let text = String::from_utf8_lossy(bytes)
        .replace('\r', "\\r")
        .replace('\n', "\\n");
    match text.char_indices().nth(width) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Every stream on one time axis: a `█` where a read returned bytes.
fn timeline(subjects: &[Subject]) -> Result<String> {
    const WIDTH: usize = 60;
    let rows = [
        ("01 /", subjects[0].addr, "/"),
        ("02 /", subjects[1].addr, "/"),
        ("03 /", subjects[2].addr, "/"),
        ("03 /buffered", subjects[2].addr, "/buffered"),
        ("03 /bufwriter", subjects[2].addr, "/bufwriter"),
    ];
    let captures: Vec<Capture> = thread::scope(|scope| {
        let jobs: Vec<_> = rows
            .iter()
            .map(|&(_, addr, path)| scope.spawn(move || get(addr, path)))
            .collect();
        jobs.into_iter()
            .map(|j| j.join().expect("capture panicked"))
            .collect::<Result<_>>()
    })?;
    let end = captures
        .iter()
        .filter_map(|c| c.reads.last())
        .map(|r| r.at)
        .max()
        .unwrap_or_default()
        .max(Duration::from_millis(1));

    let mut out = format!(
        "{:<14} 0 ms{:>width$}\n",
        "",
        format!("{:.0} ms", millis(end)),
        width = WIDTH - 2
    );
    for ((label, _, _), capture) in rows.iter().zip(&captures) {
        let mut line = vec!['·'; WIDTH];
        for read in &capture.reads {
            // Integer arithmetic: the column of `at` on a 0..=end axis.
            let col = read.at.as_nanos() * (WIDTH as u128 - 1) / end.as_nanos();
            line[usize::try_from(col)
                .map_or(WIDTH - 1, |c| c.min(WIDTH - 1))] = '█';
        }
        let _ = writeln!(
            out,
            "{label:<14} {}",
            line.into_iter().collect::<String>()
        );
    }
    out += "\n█ = a read that returned bytes (GET, default pause of 400 ms per part)\n";
    Ok(out)
}

/// Runs the Nagle test the chapter shows, and keeps what it measured.
fn nagle(root: &Path) -> Result<String> {
    const SHOWN: &str = "cargo test -p lesson-02-chunked-by-hand --test wire nagle -- --nocapture";
    let out =
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(SHOWN.split(' ').skip(1))
            .current_dir(root)
            .output()?;
    let text = String::from_utf8_lossy(&out.stdout)
        + String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("the nagle test failed:\n{text}").into());
    }
    // Keep the test's own lines, not cargo's build chatter.
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.starts_with("test ")
                || l.starts_with("first chunk")
                || l.starts_with("running")
        })
        .collect();
    Ok(format!("$ {SHOWN}\n{}\n", kept.join("\n")))
}
