//! Regenerates `book/src/generated/`: every command the book shows, run for
//! real against the lesson servers, with its real output. Nothing in that
//! folder is written by hand.
//!
//! The servers run in this process on free ports. The transcripts show the
//! default address, `127.0.0.1:7878`, which is what a reader's
//! `cargo run -p lesson-…` listens on; the inspector's screens, which print
//! the URL, have it replaced by that one.
//!
//! Two kinds of inspector screen end up here:
//! - from real runs: the banner's `inspector URL` opens the live TUI,
//!   which a transcript cannot hold, so it runs as
//!   `inspector --screen 100x30 URL`: the TUI's screen once the response
//!   is over, as text. The chapters' other screens run the same way.
//! - from the TUI's snapshot tests: `generated/inspector/NAME.txt` is the
//!   screen in `inspector/tests/snapshots/tui__NAME.snap`, so the
//!   inspector's manual shows exactly what those tests check.

use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::Duration;

use inspector::capture::{self, Capture};
use lesson_01_raw_tcp::cli::{self, Lesson, Watch};
use lesson_01_raw_tcp::page::DEFAULT_PAUSE;
use lesson_01_raw_tcp::server;

use crate::Result;

/// The address the book's commands show.
const SHOWN: &str = "127.0.0.1:7878";

/// The size of every inspector screen in the book, as `--screen` takes it.
const SCREEN: &str = "100x30";

/// One lesson: where its files go, and its server.
struct Subject {
    dir: &'static str,
    lesson: Lesson,
    addr: SocketAddr,
    /// The paths whose reads the book shows, and the file for each.
    captures: &'static [(&'static str, &'static str)],
    /// More inspector screens the chapter shows: the path, the view
    /// (`--view`; `chunks` is the default, and not written), and the file.
    screens: &'static [(&'static str, &'static str, &'static str)],
}

/// The inspector's headless modes, run against lesson 02 for its manual:
/// the file, and the command (`{url}` is lesson 02's `/`).
const HEADLESS: &[(&str, &str)] = &[
    (
        "inspector/headless/plain.txt",
        "cargo run -q -p inspector -- --plain {url}",
    ),
    (
        "inspector/headless/json.txt",
        "cargo run -q -p inspector -- --json --max-data 16 {url}",
    ),
    (
        "inspector/headless/file.txt",
        "printf 'HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n\
         5\\r\\nhello\\r\\n2g\\r\\nno\\r\\n' \\\n  \
         | cargo run -q -p inspector -- --json --file -; \
         echo \"exit status: $?\"",
    ),
    // A recording, cut to the page (its lines carry whole reads in
    // base64), and its replay: the same records and times as the run.
    (
        "inspector/headless/recording.txt",
        "cargo run -q -p inspector -- --json --record /tmp/lesson02.jsonl \
         {url} > /tmp/live.txt; \\\n  \
         cut -c1-88 /tmp/lesson02.jsonl | head -n 4; \\\n  \
         cargo run -q -p inspector -- --json --file /tmp/lesson02.jsonl \
         > /tmp/replay.txt; \\\n  \
         cmp /tmp/live.txt /tmp/replay.txt && echo 'the same records'",
    ),
    // A HAR archive, cut to an entry's timings and `_chunks`.
    (
        "inspector/headless/har.txt",
        "cargo run -q -p inspector -- --plain --har /tmp/lesson02.har \
         {url} > /dev/null; \\\n  \
         sed -n '/\"timings\"/,/\"_verdict\"/p' /tmp/lesson02.har",
    ),
];

pub fn run(root: &Path) -> Result {
    let pause = DEFAULT_PAUSE;
    let subjects = [
        Subject {
            dir: "01-raw-tcp",
            lesson: lesson_01_raw_tcp::LESSON,
            addr: server::spawn(lesson_01_raw_tcp::handler(pause))?,
            captures: &[("/", "reads.txt")],
            screens: &[],
        },
        Subject {
            dir: "02-chunked-by-hand",
            lesson: lesson_02_chunked_by_hand::LESSON,
            addr: server::spawn(lesson_02_chunked_by_hand::handler(
                pause, true,
            ))?,
            captures: &[("/", "reads.txt")],
            screens: &[("", "timeline", "screen-timeline.txt")],
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
            screens: &[
                ("bufwriter", "chunks", "screen-bufwriter.txt"),
                ("bufwriter", "timeline", "screen-bufwriter-timeline.txt"),
            ],
        },
        Subject {
            dir: "04-http-parse",
            lesson: lesson_04_http_parse::LESSON,
            addr: lesson_04_http_parse::spawn(pause)?,
            captures: &[("/", "reads.txt")],
            screens: &[],
        },
        Subject {
            dir: "05-tokio",
            lesson: lesson_05_tokio::LESSON,
            addr: lesson_05_tokio::spawn(lesson_05_tokio::Config::new(pause))?,
            // Not `/`: it reads as lesson 04's does. The 1 MiB stream's
            // Reads view is the banner's third command (`watch-3.txt`).
            captures: &[],
            screens: &[(
                "stream?n=20&size=32&every=100",
                "timeline",
                "screen-timeline.txt",
            )],
        },
        Subject {
            dir: "06-ssr-blocking",
            lesson: lesson_06_ssr_blocking::LESSON,
            addr: lesson_06_ssr_blocking::spawn(Default::default())?,
            captures: &[("/", "reads.txt")],
            screens: &[("", "timeline", "screen-timeline.txt")],
        },
        Subject {
            dir: "07-streaming-ssr",
            lesson: lesson_07_streaming_ssr::LESSON,
            addr: lesson_07_streaming_ssr::spawn(Default::default())?,
            captures: &[("/", "reads.txt")],
            screens: &[
                ("", "timeline", "screen-timeline.txt"),
                ("", "chunks", "screen-chunks.txt"),
            ],
        },
        Subject {
            dir: "08-out-of-order",
            lesson: lesson_08_out_of_order::LESSON,
            addr: lesson_08_out_of_order::spawn(Default::default())?,
            captures: &[("/", "reads.txt")],
            screens: &[
                ("", "timeline", "screen-timeline.txt"),
                ("", "chunks", "screen-chunks.txt"),
            ],
        },
        Subject {
            dir: "09-sse",
            lesson: lesson_09_sse::LESSON,
            addr: lesson_09_sse::spawn(Default::default())?,
            captures: &[("/events?n=6&every=100", "reads.txt")],
            screens: &[(
                "events?n=6&every=100",
                "timeline",
                "screen-timeline.txt",
            )],
        },
        Subject {
            dir: "10-websocket",
            lesson: lesson_10_websocket::LESSON,
            addr: lesson_10_websocket::spawn()?,
            captures: &[],
            screens: &[],
        },
        Subject {
            dir: "11-production",
            lesson: lesson_11_production::LESSON,
            addr: lesson_11_production::spawn(pause)?,
            captures: &[],
            screens: &[],
        },
    ];
    let out = root.join("book/src/generated");
    let shown_url = cli::url(SHOWN.parse()?);

    // The commands to run: a file, a command with `{url}`, the server's
    // base URL, and the path after it.
    let mut commands: Vec<(String, String, String, &str)> = Vec::new();
    for s in &subjects {
        let url = cli::url(s.addr);
        for (i, watch) in s.lesson.watch.iter().enumerate() {
            let name = format!("{}/watch-{}.txt", s.dir, i + 1);
            commands.push((name, runnable(watch), url.clone(), watch.path));
        }
        for &(path, view, file) in s.screens {
            let mut command = runnable(&cli::INSPECTOR);
            if view != "chunks" {
                command = command.replacen(
                    "{url}",
                    &format!("--view {view} {{url}}"),
                    1,
                );
            }
            // The shell would take a query's `&` for "run in the
            // background": quote the URL, as the lessons' commands do.
            if path.contains('&') {
                command = command.replace("{url}", "'{url}'");
            }
            commands.push((
                format!("{}/{file}", s.dir),
                command,
                url.clone(),
                path,
            ));
        }
    }
    for &(name, command) in HEADLESS {
        commands.push((
            name.into(),
            command.into(),
            cli::url(subjects[1].addr),
            "",
        ));
    }

    // curl's timer is what `cli::TIMING` shows: it runs in the quiet,
    // after the rest.
    let (timed, commands): (Vec<_>, Vec<_>) = commands
        .into_iter()
        .partition(|(_, command, _, _)| *command == runnable(&cli::TIMING));
    let transcript =
        |(name, command, url, path): (String, String, String, &str)| {
            let real = cli::fill(&command, &format!("{url}{path}"));
            let shown = cli::fill(&command, &format!("{shown_url}{path}"));
            let text = shell(&real, &shown)?;
            Ok((name, as_shown(&text, &url, &shown_url)))
        };

    // Everything else runs at once: each stream takes a second or two of
    // pauses.
    let mut files: Vec<(String, String)> = thread::scope(|scope| {
        let mut jobs = Vec::new();
        for command in commands {
            jobs.push(scope.spawn(|| transcript(command)));
        }
        jobs.push(scope.spawn(|| {
            let addr = |dir| subjects.iter().find(|s| s.dir == dir);
            let (Some(sse), Some(ws)) = (addr("09-sse"), addr("10-websocket"))
            else {
                return Err("no lesson 09 or 10 to open".into());
            };
            let text = opening_cost(sse.addr, ws.addr)?;
            Ok(("compare/setup.txt".into(), text))
        }));
        jobs.push(scope.spawn(|| {
            let text = hostile(subjects[3].addr)?;
            Ok(("04-http-parse/hostile.txt".into(), text))
        }));
        jobs.push(scope.spawn(|| {
            Ok(("05-tokio/cut.txt".into(), cut_stream(&shown_url)?))
        }));
        jobs.push(scope.spawn(|| {
            let text = proxy_lines(subjects[3].addr)?;
            Ok(("inspector/proxy.txt".into(), text))
        }));
        jobs.into_iter()
            .map(|job| job.join().expect("a transcript job panicked"))
            .collect::<Result<_>>()
    })?;
    // The reads tables, the tests and the SSR measurements run one after
    // another, after the streams above: their times are the point, and a
    // busy machine would blur them. The load test's 2,000 streams would
    // disturb the Nagle test's timing.
    for command in timed {
        files.push(transcript(command)?);
    }
    // The timeline draws these same captures, so that its marks and its
    // axis agree with every `reads.txt`.
    let mut captured = Vec::new();
    for s in &subjects {
        for &(path, file) in s.captures {
            let shown = format!("{shown_url}{}", &path[1..]);
            let capture = get(s.addr, path)?;
            files.push((
                format!("{}/{file}", s.dir),
                reads_table(&shown, &capture),
            ));
            captured.push((s.dir, path, capture));
        }
    }
    files.push(("timeline.txt".into(), timeline(&captured)?));
    for &(name, command, kept) in TESTS {
        files.push((name.into(), test_output(root, command, kept)?));
    }
    // A Markdown table, which the chapter shows under its command.
    let cost = shell(FLUSH_COST, FLUSH_COST)?;
    let table = cost.split_once('\n').map_or("", |(_, table)| table);
    files.push(("11-production/flush-cost.md".into(), table.into()));
    files.extend(crate::ssr::files(&out)?);
    files.extend(crate::overhead::files()?);
    files.extend(crate::behind_nginx::files()?);
    files.extend(crate::nginx_table::files()?);
    files.extend(crate::paint::files()?);
    files.extend(snapshots(root)?);

    for s in &subjects {
        let banner = cli::banner(&s.lesson, SHOWN.parse()?);
        let text = format!("$ cargo run -p {}\n{banner}", s.lesson.package);
        files.push((format!("{}/banner.txt", s.dir), text));
    }
    // `inspector/` is all generated: a snapshot that is gone goes too.
    let inspector = out.join("inspector");
    if inspector.exists() {
        fs::remove_dir_all(&inspector)?;
    }
    for (name, text) in &files {
        write(&out.join(name), text)?;
    }
    println!(
        "transcripts: wrote {} files in {}",
        files.len(),
        out.display()
    );
    Ok(())
}

/// The command a transcript runs for `watch`, with `{url}` still in it.
///
/// A command that opens the inspector's live TUI cannot be captured as it
/// stands: its output would be a pipe, not a terminal, so the inspector
/// would print `--plain` lines instead, which is not what the reader sees.
/// It runs with `--screen` before the URL instead, and the transcript holds
/// the TUI's screen once the response is over, as that command printed it.
fn runnable(watch: &Watch) -> String {
    if opens_tui(watch.command) {
        // Before the URL, and outside its quotes if it has any.
        let url = match watch.command.contains("'{url}'") {
            true => "'{url}'",
            false => "{url}",
        };
        let screen = format!("--screen {SCREEN} {url}");
        watch.command.replacen(url, &screen, 1)
    } else {
        watch.command.to_owned()
    }
}

/// Whether `command` runs the inspector in its live TUI: it names no flag
/// that makes the inspector print text instead.
fn opens_tui(command: &str) -> bool {
    command
        .split_once("-p inspector --")
        .is_some_and(|(_, args)| {
            !args.split_whitespace().any(|arg| {
                matches!(arg, "--json" | "--plain" | "--screen" | "--file")
            })
        })
}

/// Every TUI snapshot's screen, as `inspector/NAME.txt`: what insta stored
/// in `inspector/tests/snapshots/tui__NAME.snap`, after its header.
fn snapshots(root: &Path) -> Result<Vec<(String, String)>> {
    let dir = root.join("inspector/tests/snapshots");
    let mut screens = Vec::new();
    for entry in fs::read_dir(&dir)? {
        let file = entry?.file_name();
        let file = file.to_string_lossy();
        let Some(name) = file
            .strip_prefix("tui__")
            .and_then(|f| f.strip_suffix(".snap"))
        else {
            continue;
        };
        let path = dir.join(&*file);
        let text = fs::read_to_string(&path)?;
        let screen = snapshot_body(&text).ok_or_else(|| {
            format!("{}: no insta header (---, fields, ---)", path.display())
        })?;
        screens.push((format!("inspector/{name}.txt"), screen.to_owned()));
    }
    if screens.is_empty() {
        return Err(format!("no tui__*.snap in {}", dir.display()).into());
    }
    Ok(screens)
}

/// What follows insta's header: a `---` line, the header's fields, and
/// another `---` line.
fn snapshot_body(snap: &str) -> Option<&str> {
    let mut fences = 0;
    let mut at = 0;
    for line in snap.split_inclusive('\n') {
        at += line.len();
        if line.trim_end() == "---" {
            fences += 1;
            if fences == 2 {
                return Some(&snap[at..]);
            }
        } else if fences == 0 {
            return None;
        }
    }
    None
}

pub fn write(path: &Path, text: &str) -> Result {
    fs::create_dir_all(path.parent().expect("a file in a folder"))?;
    fs::write(path, text)?;
    Ok(())
}

/// `text` with the server's base URL, `url`, as the book shows it,
/// `shown_url`: in `ws://` URLs too, and the address alone, as a
/// request's Host field has it.
fn as_shown(text: &str, url: &str, shown_url: &str) -> String {
    let authority = |url: &str| {
        url.trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned()
    };
    text.replace(&cli::ws_url(url), &cli::ws_url(shown_url))
        .replace(url, shown_url)
        .replace(&authority(url), &authority(shown_url))
}

/// Runs `real` in a shell; the transcript shows it as `shown`.
pub(crate) fn shell(real: &str, shown: &str) -> Result<String> {
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
    // Lesson 04 on would keep the connection open for the next request.
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {SHOWN}\r\nConnection: close\r\n\r\n"
    );
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
///
/// It draws the captures the `reads.txt` files print (`captured`: each
/// lesson's folder, the path, and its capture), so the two never disagree.
/// The axis ends at the last byte of the slowest of them.
fn timeline(captured: &[(&str, &str, Capture)]) -> Result<String> {
    const WIDTH: usize = 60;
    const ROWS: [(&str, &str, &str); 5] = [
        ("01 /", "01-raw-tcp", "/"),
        ("02 /", "02-chunked-by-hand", "/"),
        ("03 /", "03-flusher", "/"),
        ("03 /buffered", "03-flusher", "/buffered"),
        ("03 /bufwriter", "03-flusher", "/bufwriter"),
    ];
    let mut rows = Vec::new();
    for (label, dir, path) in ROWS {
        let Some((_, _, capture)) =
            captured.iter().find(|(d, p, _)| *d == dir && *p == path)
        else {
            return Err(format!("timeline: no capture of {dir} {path}").into());
        };
        rows.push((label, capture));
    }
    let end = rows
        .iter()
        .filter_map(|(_, c)| c.reads.last())
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
    for (label, capture) in rows {
        let mut line = vec!['·'; WIDTH];
        for read in &capture.reads {
            // Integer arithmetic: the nearest column to `at` on a 0..=end
            // axis, so the last byte lands in the last column.
            let (at, end) = (read.at.as_nanos(), end.as_nanos());
            let col = (at * (WIDTH as u128 - 1) + end / 2) / end;
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

/// What it costs to open an event stream (lesson 09 at `sse`) and a
/// WebSocket (lesson 10 at `ws`): each request, with the fields its
/// protocol needs and no others, and the head that answers it, up to its
/// empty line. The comparison chapter sets them side by side.
fn opening_cost(sse: SocketAddr, ws: SocketAddr) -> Result<String> {
    let host = format!("Host: {SHOWN}\r\n");
    let cases = [
        (
            "SSE, lesson 09",
            sse,
            // What `EventSource` adds: the HTML standard's `Accept`.
            format!(
                "GET /events HTTP/1.1\r\n{host}Accept: text/event-stream\r\n\r\n"
            ),
            "200",
        ),
        (
            "WebSocket, lesson 10",
            ws,
            // RFC 6455 §4.1's fields, with its own sample key.
            format!(
                "GET /ws HTTP/1.1\r\n{host}Upgrade: websocket\r\n\
                 Connection: Upgrade\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                 Sec-WebSocket-Version: 13\r\n\r\n"
            ),
            "101",
        ),
    ];
    let mut out = String::from(
        "Each on a new connection: the request, and the head that answers it,\n\
         up to its empty line. \\r and \\n are the bytes CR and LF.\n",
    );
    let mut sums = Vec::new();
    for (name, addr, request, status) in cases {
        let mut stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        // A round trip is a write that the client must then wait on. It
        // writes the request once; the head must come without another.
        stream.write_all(request.as_bytes())?;
        let round_trips = 1;
        let mut got = Vec::new();
        let mut buf = [0; 4096];
        let head = loop {
            if let Some(at) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                break &got[..at + 4];
            }
            let n = stream.read(&mut buf)?;
            if n == 0 {
                return Err(format!("{name}: closed before its head").into());
            }
            got.extend_from_slice(&buf[..n]);
        };
        let line = String::from_utf8_lossy(head);
        if !line.starts_with(&format!("HTTP/1.1 {status} ")) {
            return Err(
                format!("{name}: expected {status}, got {line:?}").into()
            );
        }
        let _ = writeln!(out, "\n{name}");
        for (label, bytes) in [("sent", request.as_bytes()), ("answer", head)] {
            for (i, row) in escaped_rows(bytes).iter().enumerate() {
                let label = if i == 0 { label } else { "" };
                let _ = writeln!(out, "  {label:<7} {row}");
            }
        }
        sums.push((name, request.len(), head.len(), round_trips));
    }
    let _ = writeln!(
        out,
        "\n{:<22} {:>8} {:>6} {:>6}   round trips",
        "bytes", "request", "head", "both"
    );
    for (name, request, head, round_trips) in sums {
        let _ = writeln!(
            out,
            "{name:<22} {request:>8} {head:>6} {:>6}   {round_trips}",
            request + head
        );
    }
    Ok(out)
}

/// What lesson 04 at `addr` answers to each request of its `hostile`
/// table: the request, the status line and reason it sent, and whether it
/// closed. An answer the table does not expect is an error.
fn hostile(addr: SocketAddr) -> Result<String> {
    let mut out = String::from(
        "Each request is sent alone, on a new connection, to lesson 04.\n\
         \\r and \\n are the bytes CR and LF.\n",
    );
    for case in lesson_04_http_parse::hostile::cases() {
        let (answer, closed) = answer(addr, &case.request)?;
        let answer = String::from_utf8_lossy(&answer);
        let (head, reason) = answer.split_once("\r\n\r\n").unwrap_or_default();
        let line = head.lines().next().unwrap_or_default();
        let expected = format!("HTTP/1.1 {} ", case.status.code());
        if !line.starts_with(&expected) || closed != case.close {
            return Err(format!(
                "{}: expected {expected}(close: {}), got {line:?} \
                 (closed: {closed})",
                case.name, case.close
            )
            .into());
        }
        let _ = writeln!(out, "\n{}", case.name);
        for (i, row) in escaped_rows(&case.request).iter().enumerate() {
            let label = if i == 0 { "sent" } else { "" };
            let _ = writeln!(out, "  {label:<7} {row}");
        }
        let _ = writeln!(out, "  {:<7} {line}", "answer");
        let _ = writeln!(out, "  {:<7} {}", "", reason.trim_end());
        let then = if closed {
            "yes"
        } else {
            "no: still open 2 s after the answer"
        };
        let _ = writeln!(out, "  {:<7} {then}", "closed");
    }
    Ok(out)
}

/// Sends `request` on a new connection. Returns what came back, and
/// whether the server closed the connection, rather than going quiet.
fn answer(addr: SocketAddr, request: &[u8]) -> Result<(Vec<u8>, bool)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(request)?;
    let mut got = Vec::new();
    let mut buf = [0; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok((got, true)),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if server::is_timeout(&e) => return Ok((got, false)),
            Err(e) => return Err(e.into()),
        }
    }
}

/// `bytes` as rows of at most about 70 characters, broken after an LF,
/// with CR and LF written `\r` and `\n`. A long request ends in a count.
fn escaped_rows(bytes: &[u8]) -> Vec<String> {
    const WIDTH: usize = 70;
    const ROWS: usize = 4;
    let mut rows = vec![String::new()];
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let line = preview(line, WIDTH);
        let row = rows.last_mut().expect("one row at least");
        if !row.is_empty() && row.chars().count() + line.chars().count() > WIDTH
        {
            rows.push(line);
        } else {
            row.push_str(&line);
        }
    }
    if rows.len() > ROWS {
        rows.truncate(ROWS - 1);
        rows.push(format!("… {} bytes in all", bytes.len()));
    }
    rows
}

/// Tests whose printed measurements a chapter shows: the file, the command,
/// and how the lines the test prints begin.
/// Chapter 11's table of what a flush costs, in bytes.
const FLUSH_COST: &str =
    "cargo run -q -p lesson-11-production --example flush_cost";

const TESTS: &[(&str, &str, &str)] = &[
    (
        "02-chunked-by-hand/nagle.txt",
        "cargo test -p lesson-02-chunked-by-hand --test wire nagle -- --nocapture",
        "first chunk",
    ),
    (
        "05-tokio/load.txt",
        "cargo test -p lesson-05-tokio --test load -- --nocapture",
        "2000 streams",
    ),
    (
        "05-tokio/disconnect.txt",
        "cargo test -p lesson-05-tokio --test streams leaves_mid_stream -- --nocapture",
        "the client left",
    ),
    (
        "05-tokio/backpressure.txt",
        "cargo test -p lesson-05-tokio --test streams slow_reader -- --nocapture",
        "nobody reads",
    ),
    (
        "08-out-of-order/cancel.txt",
        "cargo test -p lesson-08-out-of-order --test cancel -- --nocapture",
        "lesson ",
    ),
];

/// Runs `shown`, a `cargo test` command, and keeps libtest's lines and the
/// test's own, which begin with `printed`: what it measured.
fn test_output(root: &Path, shown: &str, printed: &str) -> Result<String> {
    // One pipe for stdout and stderr, as a terminal shows them: libtest
    // writes to one, a test's `eprintln!` to the other.
    let (mut output, into) = std::io::pipe()?;
    let mut test =
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(shown.split(' ').skip(1))
            .current_dir(root)
            .stdout(into.try_clone()?)
            .stderr(into)
            .spawn()?;
    let mut text = String::new();
    output.read_to_string(&mut text)?;
    if !test.wait()?.success() {
        return Err(format!("`{shown}` failed:\n{text}").into());
    }
    // Keep the test's own lines, not cargo's build chatter.
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.starts_with("test ")
                || l.starts_with(printed)
                || l.starts_with("running")
        })
        .collect();
    // A test that skipped itself measured nothing.
    if !kept.iter().any(|l| l.starts_with(printed)) {
        return Err(
            format!("`{shown}` printed no line `{printed}…`:\n{text}").into()
        );
    }
    Ok(format!("$ {shown}\n{}\n", kept.join("\n")))
}

/// The stream that [`cut_stream`] reads, and when its server is stopped:
/// after this many chunks, with this much grace.
const CUT_PATH: &str = "stream?n=10&size=16&every=200";
const CUT_AFTER: u64 = 3;
const CUT_GRACE: Duration = Duration::from_millis(300);

/// What a client sees of a stream that shutdown cuts: the inspector reads
/// a slow stream from lesson 05, whose server is told to stop part way and
/// whose grace runs out before the stream ends.
fn cut_stream(shown_url: &str) -> Result<String> {
    use lesson_05_tokio::{Config, Server};

    let runtime = tokio::runtime::Runtime::new()?;
    let config = Config {
        grace: CUT_GRACE,
        ..Config::new(DEFAULT_PAUSE)
    };
    let server = runtime.block_on(Server::bind_any(config))?;
    let (url, stats) = (cli::url(server.local_addr()?), server.stats());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = runtime.spawn(server.run(async {
        let _ = stopped.await;
    }));

    let command = "cargo run -q -p inspector -- --plain '{url}'; \
                   echo \"exit status: $?\"";
    let real = command.replace("{url}", &format!("{url}{CUT_PATH}"));
    let shown = command.replace("{url}", &format!("{shown_url}{CUT_PATH}"));
    let inspector = thread::spawn(move || shell(&real, &shown));
    // Stop the server once the stream is under way. However long the
    // inspector takes to start, the cut comes at the same place.
    let started = std::time::Instant::now();
    while stats.chunks() < CUT_AFTER
        && started.elapsed() < Duration::from_secs(60)
    {
        thread::sleep(Duration::from_millis(1));
    }
    let _ = stop.send(());
    let text = inspector.join().expect("the inspector's thread panicked")?;
    let cut = runtime.block_on(run)?;
    if cut != 1 {
        return Err(format!(
            "lesson 05 should have cut the one stream, but cut {cut}:\n{text}"
        )
        .into());
    }
    Ok(format!(
        "# lesson 05 is told to stop after {CUT_AFTER} chunks; its grace is \
         {} ms\n{}",
        CUT_GRACE.as_millis(),
        as_shown(&text, &url, shown_url)
    ))
}

/// `inspector proxy` in front of lesson 04, and what it prints as curl
/// fetches the page through it, then a page the lesson does not have. The
/// lines come from the proxy's own `--plain` code
/// ([`inspector::proxy::Lines`]).
fn proxy_lines(origin: SocketAddr) -> Result<String> {
    let proxy = inspector::proxy::start(inspector::proxy::Options {
        listen: "127.0.0.1:0".into(),
        to: format!("http://{origin}").parse()?,
        transport: Default::default(),
        via: false,
        max_data: 4096,
    })?;
    let shown_proxy = "127.0.0.1:8080";
    let mut text = format!(
        "$ cargo run -q -p inspector -- proxy --listen {shown_proxy} --to http://{SHOWN}\n\
         inspector proxy: listening on http://{shown_proxy}/, forwarding to http://{SHOWN}\n"
    );
    let mut lines = inspector::proxy::Lines::default();
    for path in ["/", "/missing"] {
        let fetched = Command::new("curl")
            .args(["-s", "-o", "/dev/null"])
            .arg(format!("http://{}{path}", proxy.addr))
            .status()?;
        if !fetched.success() {
            return Err(format!("curl through the proxy: {fetched}").into());
        }
        let line = loop {
            let news = proxy.news.recv_timeout(Duration::from_secs(10))?;
            if let Some(line) = lines.take(news) {
                break line;
            }
        };
        text += &line;
        text += "\n";
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_that_opens_the_tui_runs_with_screen() {
        assert_eq!(
            runnable(&cli::INSPECTOR),
            "cargo run -q -p inspector -- --screen 100x30 {url}"
        );
        for headless in [
            "cargo run -q -p inspector -- --plain {url}",
            "cargo run -q -p inspector -- --json {url}",
            "curl -sS -i {url}",
        ] {
            assert!(!opens_tui(headless), "{headless}");
        }
    }

    #[test]
    fn a_request_is_shown_in_rows_that_break_after_an_lf() {
        assert_eq!(
            escaped_rows(b"GET / HTTP/1.1\r\nX: a\n\r\n"),
            ["GET / HTTP/1.1\\r\\nX: a\\n\\r\\n"]
        );
        let long = "X: y\r\n".repeat(100);
        let rows = escaped_rows(long.as_bytes());
        assert_eq!(rows.len(), 4);
        assert!(rows[0].ends_with("\\n"), "{rows:?}");
        assert_eq!(rows[3], "… 600 bytes in all");
    }

    #[test]
    fn a_snapshot_body_follows_the_insta_header() {
        let snap = "---\nsource: inspector/tests/tui.rs\n\
                    expression: screen(&app)\n---\n GET /\n---\nmore\n";
        assert_eq!(snapshot_body(snap), Some(" GET /\n---\nmore\n"));
        assert_eq!(snapshot_body("no header\n---\n"), None);
        assert_eq!(snapshot_body("---\nsource: x\n"), None);
    }
}
