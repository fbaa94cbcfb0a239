//! End to end: the real binaries in a real terminal. Each test runs
//! `inspector` or the `flusher` tour inside tmux, against lesson servers
//! started in this process, presses keys with `send-keys` and reads the
//! screen with `capture-pane`, as a person would see it.
//!
//! Every program runs under a small shell wrapper that records its pid,
//! then, once it has exited, prints its exit status and whether the
//! terminal settings (`stty -g`) are what they were before it started. So
//! the screen itself says whether the TUI restored the terminal: raw mode
//! off, and (`#{alternate_on}`) the alternate screen left.
//!
//! Each test has its own tmux server (`tmux -S`), so tests run in parallel
//! and never touch a user's sessions. A guard kills the server however
//! the test ends. Tests poll the screen until what they expect is there,
//! with a generous deadline; the deadline is only reached on failure.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use inspector::tui::Demo;
use inspector::tui::ui::{MIN_HEIGHT, MIN_WIDTH};
use lesson_01_raw_tcp::page::PARTS;
use lesson_01_raw_tcp::request::Request;
use lesson_01_raw_tcp::{server, testing};

/// Lesson 02's pause between parts: long enough to see in the Δ column
/// with margins, short enough to keep the tests quick.
const PAUSE: Duration = Duration::from_millis(150);

/// How long to wait for the screen to show what a test expects.
const DEADLINE: Duration = Duration::from_secs(20);

/// How often to look at the screen meanwhile.
const POLL: Duration = Duration::from_millis(50);

/// A terminal with room for the side-by-side chunk table and hex detail.
const WIDE: (u16, u16) = (160, 48);

/// The shell wrapper around every program, after the `sh -c` that runs
/// it: it runs "$@", then says how that ended and stays on screen.
const WRAPPER: &str = r#"before=$(stty -g)
"$@"
status=$?
after=$(stty -g)
if [ "$before" = "$after" ]; then termios=restored
else termios="changed from $before to $after"; fi
printf 'EXITED %s, termios %s\n' "$status" "$termios"
exec sleep 600
"#;

/// Writes its own pid to the file "$0", then becomes the program: so the
/// pid is the program's, for signals.
const RECORD_PID: &str = r#"echo $$ > "$0"; exec "$@""#;

/// What the screen shows once a program exited 0 and restored the
/// terminal: the wrapper's line, and nothing the TUI left behind.
const CLEAN_EXIT: &str = "EXITED 0, termios restored";

// ------------------------------------------------------------- tests --

/// `inspector URL` against lesson 02: every chunk with its size line and
/// its pause, the raw bytes with their CRLFs, and `q` restores the shell.
#[test]
fn inspector_shows_each_chunk_of_lesson_02_and_q_quits() {
    let Some(inspector) = inspector() else { return };
    let url = lesson_02(PAUSE);
    let Some(term) = Tmux::start("chunks", WIDE, &inspector, &[&url]) else {
        return;
    };

    let screen = term.wait_for("the complete response", |s| {
        status_line(s).starts_with(" ● complete ")
    });
    assert_eq!(
        first_line(&screen),
        format!(" GET {url}  →  HTTP/1.1 200 OK  framing: chunked"),
        "{screen}"
    );
    let body: usize = PARTS.iter().map(|p| p.len()).sum();
    assert!(
        status_line(&screen)
            .contains(&format!("chunks {}   body {body} B", PARTS.len())),
        "{screen}"
    );
    check_lesson_02_rows(&screen, PAUSE);

    // Timeline, Reads, Raw; then the first chunk, so that the whole
    // exchange is on screen.
    term.keys(&["Tab", "Tab", "Tab", "g"]);
    let screen = term.wait_for("the raw view from the first chunk", |s| {
        s.contains("┌ Raw: the wire bytes")
            && raw_lines(s).iter().any(|(_, text)| text == "0←↓")
            && raw_lines(s)
                .iter()
                .any(|(_, text)| *text == size_line(PARTS[0].len()))
    });
    check_raw_framing(&screen);

    term.keys(&["q"]);
    term.expect_clean_exit();
}

/// A recording of lesson 02, browsed: `inspector --file REC` in a
/// terminal shows the recorded run's chunks at their recorded times, and
/// `r` sends nothing again.
#[test]
fn a_recording_is_browsed_in_the_tui_as_its_live_run_was() {
    let Some(inspector) = inspector() else { return };
    let url = lesson_02(PAUSE);
    let file = std::env::temp_dir().join(format!(
        "flusher-tui-recording-{}.jsonl",
        std::process::id()
    ));
    let recorded = std::process::Command::new(&inspector)
        .args(["--plain", "--record", file.to_str().unwrap(), &url])
        .output()
        .unwrap();
    assert!(recorded.status.success(), "{recorded:?}");
    let Some(term) = Tmux::start(
        "replay",
        WIDE,
        &inspector,
        &["--file", file.to_str().unwrap()],
    ) else {
        return;
    };
    let screen = term.wait_for("the replayed response", |s| {
        status_line(s).starts_with(" ● complete ")
    });
    assert_eq!(
        first_line(&screen),
        format!(" GET {url}  →  HTTP/1.1 200 OK  framing: chunked"),
        "{screen}"
    );
    // The pauses are the recording's: the replay took no time at all.
    check_lesson_02_rows(&screen, PAUSE);
    term.keys(&["r"]);
    let again = term.wait_for("the same screen", |s| {
        status_line(s).starts_with(" ● complete ")
    });
    assert_eq!(
        chunk_rows(&again).len(),
        chunk_rows(&screen).len(),
        "{again}"
    );
    term.keys(&["q"]);
    term.expect_clean_exit();
    let _ = std::fs::remove_file(&file);
}

/// A WebSocket, against lesson 10: `m` opens a line, the typed message
/// goes out as a frame and its echo comes back, and `c` closes the
/// WebSocket with the closing handshake.
#[test]
fn a_message_typed_in_the_tui_comes_back_from_lesson_10() {
    let Some(inspector) = inspector() else { return };
    let addr = lesson_10_websocket::spawn().unwrap();
    let url = format!("ws://{addr}/ws");
    let Some(term) = Tmux::start("websocket", WIDE, &inspector, &[&url]) else {
        return;
    };
    let row = |s: &str, arrow: &str, text: &str| {
        s.lines().any(|l| l.contains(arrow) && l.contains(text))
    };
    term.wait_for_moving("the greeting and the WebSocket's keys", |s| {
        row(s, "← text", "hello: send a mess")
            && s.contains(" m message  c close ")
    });
    term.keys(&["m"]);
    // -l: the letters as typed, not key names; q is a letter here.
    term.keys(&["-l", "q? hi from tmux"]);
    term.wait_for_moving("the typed line", |s| {
        s.contains(" message q? hi from tmux ")
    });
    term.keys(&["Enter"]);
    term.wait_for_moving("the message and its echo", |s| {
        row(s, "→ text", "q? hi from tmux")
            && row(s, "← text", "q? hi from tmux")
    });
    term.keys(&["c"]);
    let screen = term.wait_for("the closing handshake", |s| {
        status_line(s).starts_with(" ● complete ")
    });
    assert!(row(&screen, "→ close", "1000"), "{screen}");
    assert!(row(&screen, "← close", "1000"), "{screen}");
    assert!(status_line(&screen).contains("frames 5"), "{screen}");
    term.keys(&["q"]);
    term.expect_clean_exit();
}

/// The tour: the picker lists the lessons; Down and Enter inspect lesson
/// 02's stream; Enter streams it again; Esc goes back to the list, and q
/// quits.
#[test]
fn the_tour_picks_lesson_02_repeats_it_and_esc_goes_back() {
    let flusher = Path::new(env!("CARGO_BIN_EXE_flusher"));
    let Some(term) = Tmux::start("tour", WIDE, flusher, &[]) else {
        return;
    };

    let picker = term.wait_for("the lesson picker", |s| {
        s.contains("┌ Lessons: ↑↓ choose, Enter inspects")
            && s.contains(&flusher::title(&lesson_02_chunked_by_hand::LESSON))
    });
    check_picker(&picker);
    let first = picker_url(&picker).expect("the picker shows a URL");

    term.keys(&["Down"]);
    let picker = term.wait_for("the cursor on lesson 02", |s| {
        picker_url(s).is_some_and(|url| url != first)
    });
    let url = picker_url(&picker).unwrap();

    term.keys(&["Enter"]);
    let screen = term.wait_for("lesson 02's complete response", |s| {
        status_line(s).starts_with(" ● complete ")
    });
    assert_eq!(
        first_line(&screen),
        format!(" GET {url}  →  HTTP/1.1 200 OK  framing: chunked"),
        "Enter inspects the URL under the cursor\n{screen}"
    );
    // The tour serves its lessons with their usual pause.
    let pause = lesson_01_raw_tcp::page::DEFAULT_PAUSE;
    check_lesson_02_rows(&screen, pause);

    // Enter again: the same request, streamed again from the start:
    // some of its rows, not all.
    term.keys(&["Enter"]);
    term.wait_for_moving("the repeat, streaming", |s| {
        status_line(s).starts_with(" ● streaming ")
            && first_line(s) == first_line(&screen)
            && (1..=PARTS.len()).contains(&chunk_rows(s).len())
    });
    let screen = term.wait_for("the repeat, complete", |s| {
        status_line(s).starts_with(" ● complete ")
    });
    check_lesson_02_rows(&screen, pause);

    term.keys(&["Escape"]);
    term.wait_for("the picker again", |s| picker_url(s) == Some(url.clone()));
    term.keys(&["q"]);
    term.expect_clean_exit();
}

/// The tour at 80×24, the smallest usual terminal: the picker scrolls,
/// End and G select its last row, which is drawn highlighted, Home and g
/// its first, and the URL stays in sight. Esc from a stream goes back to
/// the list.
#[test]
fn the_tour_fits_80x24_from_its_first_row_to_its_last() {
    let flusher = env!("CARGO_BIN_EXE_flusher");
    // Without colour the selected row is in reverse video, which the
    // screen's escapes say plainly.
    let args = ["NO_COLOR=1", flusher];
    let Some(term) =
        Tmux::start("tour-80x24", (80, 24), Path::new("env"), &args)
    else {
        return;
    };
    let rows = tour_rows();
    let (first, last) = (&rows[0], &rows[rows.len() - 1]);
    // Below the list, the pane says what the row under the cursor shows.
    let on_row = |row: &Demo| {
        let shows = format!("  shows    {}", row.idea);
        move |s: &str| s.contains(&shows)
    };

    let screen = term.wait_for("the picker", on_row(first));
    assert!(
        !screen.contains(&last.title),
        "scrolled from the start\n{screen}"
    );
    for (end, home) in [("End", "Home"), ("G", "g")] {
        term.keys(&[end]);
        let screen = term.wait_for("the last row", on_row(last));
        assert_eq!(highlighted(&term), [row_of(&screen, last)], "{screen}");
        term.keys(&[home]);
        let screen = term.wait_for("the first row", on_row(first));
        assert_eq!(highlighted(&term), [row_of(&screen, first)], "{screen}");
    }

    term.keys(&["Enter"]);
    term.wait_for("lesson 01's response", |s| {
        status_line(s).starts_with(" ● complete ")
    });
    term.keys(&["Escape"]);
    let screen = term.wait_for("the picker again", on_row(first));
    assert!(screen.contains(&format!("│ ▶ {}", first.title)), "{screen}");
    term.keys(&["q"]);
    term.expect_clean_exit();
}

/// `inspector proxy` in a terminal: curl fetches lesson 02 through it,
/// the list shows the exchange and its verdict, Enter opens its chunks,
/// Esc goes back to the list (not out), and `q` quits.
#[test]
fn the_proxy_lists_an_exchange_and_enter_opens_its_chunks() {
    let Some(inspector) = inspector() else { return };
    if !testing::require("curl") {
        return;
    }
    let url = lesson_02(PAUSE);
    // A free port for the proxy: taken, then let go for it.
    let listen = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .to_string();
    let args = ["proxy", "--listen", &listen, "--to", &url];
    let Some(term) = Tmux::start("proxy", WIDE, &inspector, &args) else {
        return;
    };
    term.wait_for("the empty list", |s| s.contains("waiting for requests"));

    let fetched = Command::new("curl")
        .args(["-sS", "-o", "/dev/null"])
        .arg(format!("http://{listen}/"))
        .status()
        .unwrap();
    assert!(fetched.success());
    let list = term.wait_for("the exchange, over", |s| {
        s.contains(" Exchanges: 1 ") && s.contains(" stream ")
    });
    assert!(list.contains("GET     /  "), "{list}");

    term.keys(&["Enter"]);
    let screen = term
        .wait_for("its chunks", |s| status_line(s).starts_with(" ● complete "));
    check_lesson_02_rows(&screen, PAUSE);

    term.keys(&["Escape"]);
    term.wait_for("the list again", |s| s.contains(" Exchanges: 1 "));
    term.keys(&["q"]);
    term.expect_clean_exit();
}

/// `inspector` with no URL runs the tour beside it, and Ctrl-C (a key in
/// raw mode, not a signal) quits both.
#[test]
fn inspector_without_a_url_runs_the_tour_and_ctrl_c_quits() {
    let Some(inspector) = inspector() else { return };
    let Some(term) = Tmux::start("no-url", WIDE, &inspector, &[]) else {
        return;
    };

    let picker = term.wait_for("the lesson picker", |s| {
        s.contains("┌ Lessons: ↑↓ choose, Enter inspects")
            && s.contains(&flusher::title(&lesson_03_flusher::LESSON))
    });
    check_picker(&picker);

    term.keys(&["C-c"]);
    term.expect_clean_exit();
}

/// A terminal below the minimum says so instead of drawing (or
/// panicking); growing it brings the whole UI, shrinking it brings the
/// message back, and `q` still quits.
#[test]
fn a_small_terminal_says_so_until_it_grows() {
    let Some(inspector) = inspector() else { return };
    // The response waits until the terminal has grown, so its rows
    // arrive on the full UI (see the next test for rows that arrive
    // before).
    let (url, gate) = gated_lesson_02(PAUSE);
    let Some(term) = Tmux::start("small", (40, 10), &inspector, &[&url]) else {
        return;
    };

    let too_small = |(w, h): (u16, u16)| {
        format!(
            "The terminal is {w}×{h}; the inspector needs \
             {MIN_WIDTH}×{MIN_HEIGHT}. Enlarge it, or q to quit."
        )
    };
    term.wait_for("the too-small message", |s| words(s) == too_small((40, 10)));

    term.resize(WIDE);
    term.wait_for_moving("the whole UI, awaiting the response", |s| {
        first_line(s) == format!(" GET {url}")
            && s.contains("│ waiting for the response head…")
            && s.lines().nth(2).unwrap_or_default().contains("Chunks │")
            && s.lines().last().unwrap_or_default().ends_with("q quit")
            && s.lines().count() == usize::from(WIDE.1)
    });
    gate.send(()).unwrap();
    let screen = term.wait_for("the complete response", |s| {
        status_line(s).starts_with(" ● complete ")
    });
    check_lesson_02_rows(&screen, PAUSE);

    term.resize((50, 12));
    term.wait_for("the message at the new size", |s| {
        words(s) == too_small((50, 12))
    });

    term.keys(&["q"]);
    term.expect_clean_exit();
}

/// Rows that arrive on a short terminal scroll the table to the newest;
/// growing the terminal must show them all again, since they now fit.
#[test]
fn growing_the_terminal_shows_rows_that_now_fit() {
    let Some(inspector) = inspector() else { return };
    let url = lesson_02(PAUSE);
    let smallest = (MIN_WIDTH, MIN_HEIGHT);
    let Some(term) = Tmux::start("grow", smallest, &inspector, &[&url]) else {
        return;
    };
    term.wait_for("the complete response", |s| {
        status_line(s).starts_with(" ● complete ")
    });

    term.resize(WIDE);
    let screen = term.wait_for("the whole UI", |s| {
        status_line(s).starts_with(" ● complete ")
            && s.lines().count() == usize::from(WIDE.1)
    });
    check_lesson_02_rows(&screen, PAUSE);
}

/// SIGINT, SIGTERM or SIGHUP from outside, mid-stream, quits like Ctrl-C:
/// status 0 and the terminal restored.
#[test]
fn a_signal_from_outside_restores_the_terminal() {
    let Some(inspector) = inspector() else { return };
    // A long pause, so that the signal arrives while the capture thread
    // is blocked reading.
    let url = lesson_02(Duration::from_secs(5));
    for signal in ["INT", "TERM", "HUP"] {
        let name = format!("sig{}", signal.to_lowercase());
        let Some(term) = Tmux::start(&name, WIDE, &inspector, &[&url]) else {
            return;
        };
        term.wait_for_moving("the first chunk, then a wait", |s| {
            status_line(s).starts_with(" ● streaming ")
                && s.contains("┌ Chunks: 1 ")
                && chunk_rows(s).len() == 1
        });
        let pid = term.pid();
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &pid.to_string()])
            .status()
            .unwrap();
        assert!(killed.success(), "kill -{signal} {pid}");
        term.expect_clean_exit();
    }
}

/// A server that never stops sending, as fast as it can: `q` and signals
/// still act at once, and the process is gone within a generous margin
/// (the design's target is 100 ms; this is not a benchmark).
#[test]
fn a_flood_never_keeps_q_or_a_signal_from_quitting() {
    let Some(inspector) = inspector() else { return };
    let floods = [
        ("continue", flood(b"", b"HTTP/1.1 100 Continue\r\n\r\n")),
        (
            "chunks",
            flood(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                b"1\r\nx\r\n",
            ),
        ),
    ];
    for (name, url) in floods {
        for quit in ["q", "TERM"] {
            let name = format!("flood-{name}-{quit}");
            let Some(term) = Tmux::start(&name, WIDE, &inspector, &[&url])
            else {
                return;
            };
            let pid = term.pid();
            // Long enough to connect and for the channel from the
            // capture to fill up.
            thread::sleep(Duration::from_secs(1));
            let asked = Instant::now();
            if quit == "q" {
                term.keys(&["q"]);
            } else {
                let killed = Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status()
                    .unwrap();
                assert!(killed.success(), "kill -TERM {pid}");
            }
            while alive(pid) {
                assert!(
                    asked.elapsed() < Duration::from_secs(2),
                    "{name}: still running 2 s after {quit}; the screen:\n{}",
                    term.screen()
                );
                thread::sleep(Duration::from_millis(5));
            }
            eprintln!("{name}: gone {:?} after {quit}", asked.elapsed());
            term.expect_clean_exit();
        }
    }
}

/// Whether process `pid` is still there (the wrapper reaps it at once).
fn alive(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success()
}

// ----------------------------------------------------------- servers --

/// The `inspector` binary beside `flusher`. Only `cargo test -p flusher`
/// builds `flusher` alone; then there is no inspector to test.
fn inspector() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_BIN_EXE_flusher"))
        .with_file_name(format!("inspector{}", std::env::consts::EXE_SUFFIX));
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} is required in CI: build the workspace",
        path.display()
    );
    eprintln!(
        "SKIPPED: {} is not built; `cargo test --workspace` builds it",
        path.display()
    );
    None
}

/// Lesson 02's server, in this process; its URL.
fn lesson_02(pause: Duration) -> String {
    let handler = lesson_02_chunked_by_hand::handler(pause, true);
    let addr: SocketAddr = server::spawn(handler).unwrap();
    lesson_01_raw_tcp::cli::url(addr)
}

/// Lesson 02's server, whose first response waits for a message on the
/// returned sender before it starts; its URL.
fn gated_lesson_02(pause: Duration) -> (String, mpsc::Sender<()>) {
    let (open, gate) = mpsc::channel();
    let gate = Mutex::new(gate);
    let lesson = lesson_02_chunked_by_hand::handler(pause, true);
    let handler = move |req: &Request, stream: &mut TcpStream| {
        // A test that fails before opening the gate must not leave this
        // thread waiting for ever.
        let _ = gate.lock().unwrap().recv_timeout(DEADLINE);
        lesson(req, stream)
    };
    let addr = server::spawn(handler).unwrap();
    (lesson_01_raw_tcp::cli::url(addr), open)
}

/// A server that answers each connection with `head`, then `unit` again
/// and again as fast as the connection takes it, until it closes; its URL.
fn flood(head: &'static [u8], unit: &'static [u8]) -> String {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            thread::spawn(move || {
                let mut request = [0; 4096];
                let _ = stream.read(&mut request);
                let many = unit.repeat(64 * 1024 / unit.len());
                if stream.write_all(head).is_err() {
                    return;
                }
                while stream.write_all(&many).is_ok() {}
            });
        }
    });
    lesson_01_raw_tcp::cli::url(addr)
}

// ----------------------------------------------------------- screens --

/// The status bar's first line: request, response, framing.
fn first_line(screen: &str) -> &str {
    screen.lines().next().unwrap_or_default().trim_end()
}

/// The status bar's second line: state, timings, counts.
fn status_line(screen: &str) -> &str {
    screen.lines().nth(1).unwrap_or_default()
}

/// The screen's words on one line, for text that wraps.
fn words(screen: &str) -> String {
    screen.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `1a←↓` for 26: a size line as lesson 02 writes it (the chunk-size in
/// hex, then CRLF), as the raw view shows it, one cell a byte.
fn size_line(size: usize) -> String {
    format!("{size:x}←↓")
}

/// Text as the chunk table's preview shows it, CR and LF escaped (see
/// `CONTROLS` in inspector/src/tui/ui.rs).
fn escaped(text: &str) -> String {
    text.replace('\r', "\\r").replace('\n', "\\n")
}

/// The picker lists the first lessons in order, each row with what it
/// shows.
fn check_picker(screen: &str) {
    let rows = tour_rows();
    let shown: Vec<Option<usize>> = rows[..3]
        .iter()
        .map(|row| screen.lines().position(|l| l.contains(&row_text(row))))
        .collect();
    assert!(shown.iter().all(Option::is_some), "{shown:?}\n{screen}");
    assert!(shown.is_sorted(), "rows in order\n{screen}");
}

/// The tour's rows, as its picker lists them, at made-up addresses.
fn tour_rows() -> Vec<Demo> {
    flusher::LESSONS
        .iter()
        .flat_map(|lesson| flusher::demos(lesson, "http://host/"))
        .collect()
}

/// A row as a wide picker shows it: its title, in a column as wide as
/// the longest, then what it shows.
fn row_text(row: &Demo) -> String {
    let rows = tour_rows();
    let width = rows.iter().map(|r| r.title.chars().count()).max();
    format!("{:width$}  {}", row.title, row.idea, width = width.unwrap())
}

/// The line of the list that holds `row`.
fn row_of(screen: &str, row: &Demo) -> String {
    let at = |l: &&str| l.starts_with("│ ") && l.contains(&row.title);
    screen.lines().find(at).unwrap_or_default().to_owned()
}

/// The lines of the screen drawn in reverse video (the selected row and
/// tab, without colour), as text; the tab line left out.
fn highlighted(term: &Tmux) -> Vec<String> {
    let styled = term.tmux(&["capture-pane", "-e", "-p", "-t", &term.session]);
    styled
        .lines()
        .filter(|l| l.contains("\x1b[7m"))
        .map(|l| strip_escapes(l).trim_end().to_owned())
        .filter(|l| l.starts_with("│ "))
        .collect()
}

/// Text without its SGR escapes (`ESC [ … m`).
fn strip_escapes(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            chars.by_ref().find(|&c| c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}

/// The URL the picker shows for the lesson under the cursor.
fn picker_url(screen: &str) -> Option<String> {
    screen
        .lines()
        .find_map(|line| line.trim().strip_prefix("URL "))
        .map(|url| url.trim().to_owned())
}

/// One row of the chunk table, as shown.
#[derive(Debug)]
struct ChunkRow {
    index: usize,
    arrival_ms: f64,
    delta_ms: Option<f64>,
    size_line: String,
    bytes: usize,
    preview: String,
}

/// The chunk table's rows, cut at its header's columns. It stops at the
/// first line that is not a whole row.
fn chunk_rows(screen: &str) -> Vec<ChunkRow> {
    let lines: Vec<Vec<char>> = screen
        .lines()
        // The table is the left pane: up to its right border.
        .map(|line| {
            let chars: Vec<char> = line.chars().collect();
            let end = chars
                .iter()
                .skip(1)
                .position(|&c| c == '│' || c == '┐' || c == '┘')
                .map_or(chars.len(), |i| i + 1);
            chars[..end].to_vec()
        })
        .collect();
    let Some(title) = lines
        .iter()
        .position(|l| l.iter().collect::<String>().starts_with("┌ Chunks: "))
    else {
        return Vec::new();
    };
    let header: String = lines.get(title + 1).into_iter().flatten().collect();
    let names = [
        "#",
        "arrival",
        "Δ",
        "size line",
        "bytes",
        "reads",
        "preview",
    ];
    let Some(starts) = names
        .iter()
        .map(|name| Some(header[..header.find(name)?].chars().count()))
        .collect::<Option<Vec<usize>>>()
    else {
        return Vec::new();
    };
    let row = |line: &Vec<char>| -> Option<ChunkRow> {
        let cell = |i: usize| -> String {
            let end = starts.get(i + 1).copied().unwrap_or(line.len());
            line[starts[i].min(line.len())..end.min(line.len())]
                .iter()
                .collect::<String>()
                .trim()
                .to_owned()
        };
        let delta = cell(2);
        Some(ChunkRow {
            index: cell(0).parse().ok()?,
            arrival_ms: millis(&cell(1))?,
            delta_ms: match delta.as_str() {
                "" => None,
                delta => Some(millis(delta)?),
            },
            size_line: cell(3),
            bytes: cell(4).parse().ok()?,
            preview: cell(6),
        })
    };
    lines.iter().skip(title + 2).map_while(row).collect()
}

/// `0.41 ms`, `+400.2 ms`, `12.35 s`, in milliseconds.
fn millis(text: &str) -> Option<f64> {
    let text = text.trim_start_matches('+');
    let (number, unit) = text.split_once(' ')?;
    let number: f64 = number.parse().ok()?;
    match unit {
        "ms" => Some(number),
        "s" => Some(number * 1e3),
        _ => None,
    }
}

/// Lesson 02's whole response in the chunk table: one row per part of
/// the page with its size in hex and its first bytes, each part one
/// pause after the one before, then the last-chunk at once.
fn check_lesson_02_rows(screen: &str, pause: Duration) {
    let rows = chunk_rows(screen);
    let n = PARTS.len() + 1;
    assert!(
        screen.contains(&format!("┌ Chunks: {n} ")),
        "{n} rows: the parts and the last-chunk\n{screen}"
    );
    assert_eq!(rows.len(), n, "{rows:#?}\n{screen}");
    let pause = pause.as_secs_f64() * 1e3;
    for (i, row) in rows.iter().enumerate() {
        let why = format!("row {i}: {row:?}\n{screen}");
        assert_eq!(row.index, i, "{why}");
        let (size, text) = PARTS.get(i).map_or((0, ""), |p| (p.len(), *p));
        assert_eq!(row.size_line, format!("{size:x}"), "{why}");
        assert_eq!(row.bytes, size, "{why}");
        let preview = row.preview.trim_end_matches('…');
        let shown = escaped(text);
        assert!(shown.starts_with(preview), "{why}");
        match (i, row.delta_ms) {
            (0, delta) => assert_eq!(delta, None, "{why}"),
            // A part waits one pause; margins as in lesson 02's tests.
            (i, Some(delta)) if i < PARTS.len() => {
                assert!(delta > pause / 2.0, "{why}");
            }
            // The last-chunk follows the last part at once.
            (_, Some(delta)) => assert!(delta < pause / 2.0, "{why}"),
            (_, None) => panic!("no Δ: {why}"),
        }
        if i > 0 {
            assert!(row.arrival_ms >= rows[i - 1].arrival_ms, "{why}");
        }
    }
}

/// The raw view's lines: each line's byte offset and its text.
fn raw_lines(screen: &str) -> Vec<(usize, String)> {
    screen
        .lines()
        .filter_map(|line| {
            let inner = line.strip_prefix('│')?.trim_end().strip_suffix('│')?;
            let (offset, text) = inner.trim_start().split_once("  ")?;
            Some((offset.parse().ok()?, text.trim_end().to_owned()))
        })
        .collect()
}

/// The raw view shows the wire: every size line as sent, ending in ←↓,
/// each at the offset the previous chunk's framing says, and the
/// last-chunk followed by the CRLF that ends the body.
fn check_raw_framing(screen: &str) {
    let lines = raw_lines(screen);
    let is_size_line = |text: &str| {
        text.strip_suffix("←↓")
            .is_some_and(|hex| hex.chars().all(|c| c.is_ascii_hexdigit()))
            && text.len() > "←↓".len()
    };
    let found: Vec<&(usize, String)> = lines
        .iter()
        .filter(|(_, text)| is_size_line(text))
        .collect();
    let expected: Vec<String> = PARTS
        .iter()
        .map(|p| size_line(p.len()))
        .chain([size_line(0)])
        .collect();
    let texts: Vec<&String> = found.iter().map(|(_, text)| text).collect();
    assert_eq!(texts, expected.iter().collect::<Vec<_>>(), "{screen}");
    // chunk = chunk-size CRLF chunk-data CRLF: the next size line starts
    // right after this chunk's data and its CRLF.
    for (i, pair) in found.windows(2).enumerate() {
        let (at, line) = pair[0];
        let size_line_len = line.chars().count(); // ←↓ count one byte each
        assert_eq!(
            pair[1].0,
            at + size_line_len + PARTS[i].len() + 2,
            "chunk {i} starts at {at}\n{screen}"
        );
        // The line before the next size line is the CRLF after the data.
        let next = lines.iter().position(|l| l == pair[1]).unwrap();
        assert_eq!(lines[next - 1].1, "←↓", "{screen}");
    }
    let last = found.last().unwrap();
    let end = lines.iter().position(|l| l == *last).unwrap() + 1;
    assert_eq!(lines.get(end), Some(&(last.0 + 3, "←↓".to_owned())));
}

// -------------------------------------------------------------- tmux --

/// One program in its own tmux server, killed on drop.
struct Tmux {
    /// The server's socket (`tmux -S`), and the session's name on it.
    socket: PathBuf,
    session: String,
    /// Where the wrapper records the program's pid.
    pidfile: PathBuf,
}

impl Tmux {
    /// Starts `program args` in a `width`×`height` terminal, or says why
    /// not (no tmux) and returns `None` outside CI.
    fn start(
        name: &str,
        (width, height): (u16, u16),
        program: &Path,
        args: &[&str],
    ) -> Option<Tmux> {
        if !testing::require("tmux") {
            return None;
        }
        // Our own socket, not one in tmux's directory: tmux leaves its
        // socket behind when killed, and this one is removed on drop.
        let unique = std::env::temp_dir()
            .join(format!("flusher-tui-{}-{name}", std::process::id()));
        let term = Tmux {
            socket: unique.with_extension("sock"),
            session: name.to_owned(),
            pidfile: unique.with_extension("pid"),
        };
        let _ = std::fs::remove_file(&term.pidfile);
        let (width, height) = (width.to_string(), height.to_string());
        let pidfile = term.pidfile.to_str().expect("a UTF-8 path");
        let program = program.to_str().expect("a UTF-8 path");
        // Several arguments: tmux runs them directly, without a shell, so
        // nothing here needs quoting. `sh -c SCRIPT NAME ARGS` sets $0 to
        // NAME and "$@" to ARGS.
        let command = [
            &["new-session", "-d", "-s", name][..],
            &["-x", &width, "-y", &height],
            &["sh", "-c", WRAPPER, "sh"],
            &["sh", "-c", RECORD_PID, pidfile],
            &[program],
            args,
        ]
        .concat();
        term.tmux(&command);
        Some(term)
    }

    /// Runs a tmux command on this server; its output.
    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            // -u: UTF-8 whatever the locale says, for ● and ←↓. -f: no
            // user configuration.
            .args(["-u", "-f", "/dev/null", "-S"])
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("tmux runs");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("tmux prints UTF-8")
    }

    /// The screen as text, each line's trailing spaces trimmed.
    fn screen(&self) -> String {
        let text = self.tmux(&["capture-pane", "-p", "-t", &self.session]);
        text.lines()
            .map(|l| l.trim_end().to_owned() + "\n")
            .collect()
    }

    /// Looks at the screen until `ready` says yes and the screen has
    /// settled (two looks in a row the same); that screen. Fails the
    /// test, showing the last screen, after [`DEADLINE`].
    ///
    /// Settled, because tmux may show a frame half drawn: the TUI's
    /// writes reach it in pieces, and a look between two pieces sees the
    /// new status bar above the old table. A finished response (or the
    /// picker, or an exit) stops changing; a stream in progress does not,
    /// as its elapsed time ticks: see [`Tmux::wait_for_moving`].
    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        self.poll(what, true, ready)
    }

    /// Like [`Tmux::wait_for`], for a screen that keeps changing; `ready`
    /// must check everything the test relies on.
    fn wait_for_moving(
        &self,
        what: &str,
        ready: impl Fn(&str) -> bool,
    ) -> String {
        self.poll(what, false, ready)
    }

    fn poll(
        &self,
        what: &str,
        settled: bool,
        ready: impl Fn(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        let mut last = String::new();
        loop {
            let screen = self.screen();
            if ready(&screen) && (!settled || screen == last) {
                return screen;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "no {what} after {DEADLINE:?}; the screen:\n{screen}"
            );
            last = screen;
            thread::sleep(POLL);
        }
    }

    /// Presses keys, named as tmux names them (`Tab`, `C-c`, `Escape`).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend(keys);
        self.tmux(&args);
    }

    fn resize(&self, (width, height): (u16, u16)) {
        let (w, h) = (width.to_string(), height.to_string());
        self.tmux(&["resize-window", "-t", &self.session, "-x", &w, "-y", &h]);
    }

    /// The program's pid, once the wrapper has written it.
    fn pid(&self) -> u32 {
        let start = Instant::now();
        loop {
            let text = std::fs::read_to_string(&self.pidfile);
            if let Some(pid) = text.ok().and_then(|t| t.trim().parse().ok()) {
                return pid;
            }
            assert!(start.elapsed() < DEADLINE, "no pid in {:?}", self.pidfile);
            thread::sleep(POLL);
        }
    }

    /// Waits for the program to end, and checks that it exited 0, left
    /// the alternate screen and raw mode, and left nothing on the shell's
    /// screen but the wrapper's line.
    fn expect_clean_exit(&self) {
        let screen = self.wait_for("exit", |s| s.contains("EXITED "));
        let shown: Vec<&str> =
            screen.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(shown, [CLEAN_EXIT], "{screen}");
        let alternate = self.tmux(&[
            "display-message",
            "-p",
            "-t",
            &self.session,
            "#{alternate_on}",
        ]);
        assert_eq!(alternate.trim(), "0", "still on the alternate screen");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Kills the session and the program in it, if still running.
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .env_remove("TMUX")
            .output();
        let _ = std::fs::remove_file(&self.socket);
        let _ = std::fs::remove_file(&self.pidfile);
    }
}
