//! `inspector`: watch every chunk of an HTTP/1.1 response arrive.
//!
//! `inspector URL` opens the live TUI (or prints `--plain` lines when the
//! output is not a terminal). `--json` prints one JSON record per line,
//! `--plain` aligned lines, `--screen` the TUI's final screen as text, and
//! `--file PATH` decodes a captured response instead of connecting.
//! `inspector` with no URL runs the Flusher tour.

use std::fs::File;
use std::io::{
    self, BufRead, BufReader, BufWriter, IsTerminal as _, Read, Write as _,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use clap::{Parser, Subcommand};
use inspector::capture::{Live, READ_BUFFER, Repeat};
use inspector::output::{Json, Output, Plain};
use inspector::recording::{self, Header, Reader, Recorder, Replay};
use inspector::session::{Record, Session};
use inspector::svg::Keep;
use inspector::target::{self, Request, Target};
use inspector::transport::{self, Failure, Http2, TlsFailure};
use inspector::tui::{self, Options, View};
use ratatui::layout::Size;

/// Watch every chunk of an HTTP/1.1 response arrive: its size line as sent,
/// its bytes, and when it came.
#[derive(Debug, Parser)]
#[command(name = "inspector", version)]
struct Args {
    /// The URL to request, such as http://127.0.0.1:7878/, or ws:// for a
    /// WebSocket. Without one, the Flusher tour starts: every lesson, in a
    /// picker
    url: Option<String>,

    /// One JSON record per line (head, chunk, data, trailers, end, error;
    /// event for server-sent events, ws_frame for WebSocket frames)
    #[arg(long, global = true, conflicts_with = "plain")]
    json: bool,

    /// Aligned human-readable lines (the default when the output is not
    /// a terminal)
    #[arg(long, global = true)]
    plain: bool,

    /// Print the TUI's screen, COLSxROWS, as text once the response is
    /// over, instead of running it live; with --file, a recording's
    #[arg(long, value_name = "COLSxROWS", value_parser = parse_size, conflicts_with_all = ["json", "plain", "har", "record"])]
    screen: Option<Size>,

    /// With --screen: take the screen after MS milliseconds even if the
    /// response goes on (it then exits 1, as the response is incomplete).
    /// Without it, 5000, unless --max-time says how long to wait
    #[arg(long, value_name = "MS", requires = "screen")]
    screen_after: Option<u64>,

    /// The view --screen shows
    #[arg(long, value_name = "VIEW", default_value = "chunks", value_parser = parse_view, requires = "screen")]
    view: View,

    /// Wire bytes the TUI keeps for its hex and raw views; older bytes
    /// are evicted (and counted)
    #[arg(long, value_name = "BYTES", default_value_t = tui::exchange::DEFAULT_BUDGET)]
    budget: usize,

    /// Decode a raw captured response (status line, headers, body) from
    /// PATH, or - for standard input, instead of connecting
    #[arg(long, value_name = "PATH", conflicts_with = "url")]
    file: Option<PathBuf>,

    /// Write the session to FILE as it happens (JSON lines: the request,
    /// then every read with its time), for --file to replay. Output is
    /// then lines, not the TUI
    #[arg(long, value_name = "FILE", conflicts_with = "file")]
    record: Option<PathBuf>,

    /// Send the request N times on one connection, one after another
    /// (HTTP/1.1 keep-alive): each response is read to its end, by its
    /// framing, before the next request goes out. Output is then lines,
    /// each exchange's records in order
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), conflicts_with_all = ["screen", "file", "record", "har", "svg", "send", "close_after"])]
    repeat: Option<u64>,

    /// With --file of a recording: replay it at N times the recorded
    /// pace, instead of at once
    #[arg(long, value_name = "N", requires = "file")]
    speed: Option<f64>,

    /// The most bytes of each chunk or read to print; more is marked
    /// truncated
    #[arg(long, global = true, value_name = "N", default_value_t = 4096)]
    max_data: usize,

    /// The request method: GET, or POST with a body
    #[arg(short = 'X', long = "request", global = true, value_name = "METHOD")]
    method: Option<String>,

    /// An extra request header, `Name: value`, which replaces a default
    /// of its name; repeat for more
    #[arg(short = 'H', long = "header", global = true, value_name = "FIELD")]
    headers: Vec<String>,

    /// Ask for no content coding (Accept-Encoding: identity). By default
    /// the inspector asks for what a browser does: gzip, deflate, br, zstd
    #[arg(long, global = true)]
    identity: bool,

    /// A body to POST, as curl's -d: form data, sent with Content-Type:
    /// application/x-www-form-urlencoded; @FILE reads FILE, without its
    /// line breaks. Repeat to join with &
    #[arg(short = 'd', long = "data", global = true, value_name = "DATA")]
    data: Vec<String>,

    /// A body to POST, as curl's --data-binary: sent as it is; @FILE
    /// reads FILE. Repeat to join with &
    #[arg(long, global = true, value_name = "DATA")]
    data_binary: Vec<String>,

    /// With https:// or wss://: accept any certificate, as curl's -k (the
    /// handshake's details still show)
    #[arg(short = 'k', long, global = true)]
    insecure: bool,

    /// With https:// or wss://: trust the certificates in this PEM file
    /// instead of the platform's roots
    #[arg(long, global = true, value_name = "FILE")]
    cacert: Option<PathBuf>,

    /// Offer HTTP/2 (by ALPN, over TLS); the server may still pick
    /// HTTP/1.1. Then each DATA frame is a piece, as a chunk is
    #[arg(long, global = true, conflicts_with = "http2_prior_knowledge")]
    http2: bool,

    /// Speak HTTP/2 from the first byte, without asking (h2c on
    /// http://, as curl's --http2-prior-knowledge)
    #[arg(long, global = true)]
    http2_prior_knowledge: bool,

    /// The most the connection may take, as curl's --connect-timeout:
    /// the name's lookup, TCP's connect and TLS's handshake together.
    /// Fractions too: 0.5. Past it, a `timeout` error and exit status 28.
    /// Without it, 10 s for each connect and for the handshake
    #[arg(long, global = true, value_name = "SECS", value_parser = parse_secs)]
    connect_timeout: Option<Duration>,

    /// The most the whole exchange may take, connection included, as
    /// curl's --max-time: then the inspector stops, with a `timeout`
    /// error and exit status 28. Fractions too: 2.5. For one URL and
    /// each of compare's targets; the proxy's exchanges are not limited
    #[arg(short = 'm', long, global = true, value_name = "SECS", value_parser = parse_secs)]
    max_time: Option<Duration>,

    /// Headless: after SECS with no byte of the response, say so once on
    /// standard error (for tests, which cannot wait the default)
    #[arg(long, global = true, value_name = "SECS", value_parser = parse_secs, default_value = "5", hide = true)]
    notice_after: Duration,

    /// With a ws:// URL: a text message to send once the WebSocket is
    /// open; repeat for more, sent in order
    #[arg(long, value_name = "TEXT")]
    send: Vec<String>,

    /// With a ws:// URL: close the WebSocket (code 1000) MS milliseconds
    /// after the request, instead of waiting for the server to close it
    #[arg(long, value_name = "MS")]
    close_after: Option<u64>,

    /// Once the response is over, draw its Timeline to FILE as an SVG
    /// picture, readable on light and dark pages; for compare, every
    /// target's, one above the other on one time axis
    #[arg(long, global = true, value_name = "FILE")]
    svg: Option<PathBuf>,

    /// Write the exchanges to FILE as an HTTP Archive (HAR 1.2), with
    /// each piece's time and size in `_chunks`; for compare and proxy
    /// too (rewritten as each exchange ends). Output is then lines, not
    /// the TUI
    #[arg(long, global = true, value_name = "FILE")]
    har: Option<PathBuf>,

    #[command(subcommand)]
    mode: Option<Mode>,
}

/// What to do instead of watching one URL.
#[derive(Debug, Subcommand)]
enum Mode {
    /// Send the same request to each URL at once, and compare how their
    /// content arrived, on one time axis: origin, proxy, CDN. The first
    /// URL is the reference
    Compare {
        /// Two URLs or more, the origin first
        #[arg(required = true, num_args = 2..)]
        urls: Vec<String>,

        /// One target after another, each to its end, instead of all at
        /// once
        #[arg(long)]
        one_by_one: bool,
    },
    /// A reverse proxy that records as it forwards: point a browser at
    /// --listen, and see every exchange with the server at --to
    Proxy {
        /// Where to listen, HOST:PORT
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        listen: String,

        /// The server to forward to: http://HOST:PORT or https://
        #[arg(long, value_name = "URL")]
        to: String,

        /// Add `Via: 1.1 flusher-inspector` to each request forwarded;
        /// without it the proxy changes nothing
        #[arg(long)]
        via: bool,
    },
}

/// The exit status when `--connect-timeout` or `--max-time` ran out:
/// curl's (`CURLE_OPERATION_TIMEDOUT`), so that a script can tell a
/// server too slow from one that broke the protocol (1).
const TIMED_OUT: u8 = 28;

fn main() -> ExitCode {
    let args = Args::parse();
    // Nothing goes out with a URL that would reshape the request line.
    let urls = match &args.mode {
        Some(Mode::Compare { urls, .. }) => urls.as_slice(),
        _ => args.url.as_slice(),
    };
    if let Err(why) = urls.iter().try_for_each(|url| target::check_url(url)) {
        eprintln!("inspector: {why}");
        return ExitCode::from(2);
    }
    let request = match request(&args) {
        Ok(request) => request,
        Err(e) => {
            eprintln!("inspector: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(why) = args.repeat.and_then(|_| repeat_refused(&args)) {
        eprintln!("inspector: {why}");
        return ExitCode::from(2);
    }
    match &args.mode {
        Some(Mode::Compare { urls, one_by_one }) => {
            return compare(&args, request, urls, *one_by_one);
        }
        Some(Mode::Proxy { .. }) if args.svg.is_some() => {
            eprintln!(
                "inspector: --svg draws one URL, or compare's targets; not a proxy's exchanges"
            );
            return ExitCode::from(2);
        }
        Some(Mode::Proxy { listen, to, via }) => {
            return proxy(&args, listen, to, *via);
        }
        None => {}
    }
    if let Some(size) = args.screen {
        return screen(&args, request, size);
    }
    let Some(url) = &args.url else {
        let Some(path) = &args.file else {
            return tour();
        };
        // A recording, in a terminal, is browsed as a live run is.
        let lines = args.json || args.plain || !io::stdout().is_terminal();
        if !lines && let Some(recording) = recording_at(path) {
            let start = tui::Start::Replay {
                recording: Box::new(recording),
                speed: args.speed,
            };
            return report(tui::run(start, options(&args, request)));
        }
        return headless(&args, &request);
    };
    let live = !args.json && !args.plain && args.file.is_none();
    // The archive and the recording are written from the headless loop:
    // with either, lines, as for the proxy; and --repeat's exchanges are
    // lines, one after another.
    let written =
        args.har.is_some() || args.record.is_some() || args.repeat.is_some();
    if live && io::stdout().is_terminal() && !written {
        let start = tui::Start::Url(url.clone());
        return report(tui::run(start, options(&args, request)));
    }
    headless(&args, &request)
}

/// How long `--screen` waits for a response that goes on, unless told:
/// the book's slowest screen is over in about 2 s, and a person or a
/// script that waits longer for a snapshot thinks the inspector hung. It
/// is also how long a headless run waits before it says that a silent
/// server has sent nothing (`--notice-after`): the inspector's one
/// "a few seconds".
const SCREEN_AFTER: Duration = Duration::from_secs(5);

/// `--screen`: the TUI's screen of the URL, or of the recording `--file`
/// names, as text once the response is over, or after `--screen-after`
/// (by default [`SCREEN_AFTER`]) if it goes on, which is said on
/// standard error. The exit status is the response's.
fn screen(args: &Args, request: Request, size: Size) -> ExitCode {
    let start = match (&args.url, &args.file) {
        (Some(url), _) => tui::Start::Url(url.clone()),
        (None, Some(path)) => match recording_at(path) {
            Some(recording) => tui::Start::Replay {
                recording: Box::new(recording),
                speed: args.speed,
            },
            // A raw capture has no screen: the TUI replays recordings.
            None => {
                let why = match path.is_file() {
                    true => {
                        "holds no recording (made with --record) for \
                         --screen to draw; --plain or --json decode a raw \
                         capture"
                    }
                    false => "is no file; --screen draws a recording from one",
                };
                eprintln!("inspector: {}: {why}", path.display());
                return ExitCode::from(2);
            }
        },
        (None, None) => {
            eprintln!("inspector: --screen needs a URL, or --file RECORDING");
            return ExitCode::from(2);
        }
    };
    // --max-time says how long to wait (0: for ever), and then fails
    // with a `timeout`; --screen-after takes the screen as it stands.
    let limit = match (args.screen_after, args.max_time) {
        (Some(ms), _) => Some(Duration::from_millis(ms)),
        (None, Some(_)) => None,
        (None, None) => Some(SCREEN_AFTER),
    };
    let options = options(args, request);
    let shot = tui::screen(start, options, size, args.view, limit);
    report(shot.map(|shot| {
        print!("{}", shot.text);
        if let (true, Some(limit)) = (shot.cut, limit) {
            let default = match args.screen_after {
                Some(_) => "",
                None => " (the default; --screen-after MS picks the moment)",
            };
            eprintln!(
                "inspector: the response was still going after {} s{default}: \
                 this is its screen then",
                transport::secs(limit)
            );
        }
        shot.complete
    }))
}

/// Why `--repeat` cannot go with the other arguments, if it cannot.
fn repeat_refused(args: &Args) -> Option<&'static str> {
    let websocket = args
        .url
        .as_deref()
        .and_then(|url| url.parse::<Target>().ok())
        .is_some_and(|target| target.websocket);
    if args.mode.is_some() {
        Some(
            "--repeat sends one URL's request again; proxy and compare \
             have exchanges of their own",
        )
    } else if args.url.is_none() {
        Some("--repeat needs a URL")
    } else if args.http2 || args.http2_prior_knowledge {
        Some(
            "--repeat shows HTTP/1.1's keep-alive, one request after \
             another; over HTTP/2 requests go side by side, as streams: \
             drop --http2",
        )
    } else if websocket {
        Some(
            "--repeat: after its 101 a WebSocket has the connection; no \
             request follows on it",
        )
    } else {
        None
    }
}

/// The request the arguments ask for, curl's way: `-d` and
/// `--data-binary` make a body, and a POST unless `-X` says otherwise.
fn request(args: &Args) -> io::Result<Request> {
    let mut parts = Vec::new();
    for data in &args.data {
        let mut part = data_part(data)?;
        // curl's -d @FILE leaves out the file's carriage returns and
        // line feeds.
        if data.starts_with('@') {
            part.retain(|&b| b != b'\r' && b != b'\n');
        }
        parts.push(part);
    }
    for data in &args.data_binary {
        parts.push(data_part(data)?);
    }
    let body = (!parts.is_empty()).then(|| parts.join(&b'&'));
    let method = match (&args.method, &body) {
        (Some(method), _) => method.clone(),
        (None, Some(_)) => "POST".into(),
        (None, None) => "GET".into(),
    };
    let mut headers = args.headers.clone();
    if args.identity {
        headers.push("Accept-Encoding: identity".into());
    }
    let request = Request {
        method,
        headers,
        body,
        form: !args.data.is_empty(),
    };
    request.check().map_err(io::Error::other)?;
    Ok(request)
}

/// One `-d` or `--data-binary` value: the text, or the file after `@`.
fn data_part(data: &str) -> io::Result<Vec<u8>> {
    match data.strip_prefix('@') {
        Some("-") => {
            let mut body = Vec::new();
            io::stdin().read_to_end(&mut body)?;
            Ok(body)
        }
        Some(path) => std::fs::read(path)
            .map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}"))),
        None => Ok(data.as_bytes().to_vec()),
    }
}

fn options(args: &Args, request: Request) -> Options {
    Options {
        request,
        transport: transport(args),
        send: args.send.clone(),
        close_after: args.close_after.map(Duration::from_millis),
        budget: args.budget,
        svg: args.svg.clone(),
        ..Options::default()
    }
}

/// How to connect: curl's -k, --cacert, --http2,
/// --http2-prior-knowledge, --connect-timeout and --max-time.
fn transport(args: &Args) -> transport::Options {
    // 0 is no limit, as for curl.
    let limit = |d: Option<Duration>| d.filter(|d| !d.is_zero());
    transport::Options {
        insecure: args.insecure,
        cacert: args.cacert.clone(),
        http2: if args.http2_prior_knowledge {
            Http2::PriorKnowledge
        } else if args.http2 {
            Http2::Offer
        } else {
            Http2::No
        },
        connect_timeout: limit(args.connect_timeout),
        max_time: limit(args.max_time),
    }
}

/// `inspector compare`: every target at once; `--json` prints each
/// record as it comes, tagged with its target; otherwise each target's
/// verdict, their lanes on one time axis, and where they differ.
fn compare(
    args: &Args,
    request: Request,
    urls: &[String],
    one_by_one: bool,
) -> ExitCode {
    let plan = inspector::compare::Plan {
        request,
        transport: transport(args),
        max_data: args.max_data,
        one_by_one,
    };
    let mut stdout = BufWriter::new(io::stdout().lock());
    let mut failed = None;
    let runs = inspector::compare::run(urls, &plan, |i, record| {
        if args.json && failed.is_none() {
            let line = inspector::compare::json_line(&urls[i], record);
            failed = line
                .and_then(|line| writeln!(stdout, "{line}"))
                .and_then(|()| stdout.flush())
                .err();
        }
    });
    let written = match failed {
        Some(e) => Err(e),
        None if args.json => Ok(()),
        None => write!(stdout, "{}", inspector::compare::report(&runs))
            .and_then(|()| stdout.flush()),
    };
    let written = written.and_then(|()| match &args.har {
        Some(path) => inspector::har::of_runs(&runs, &plan.request).save(path),
        None => Ok(()),
    });
    let written = written.and_then(|()| match &args.svg {
        Some(path) => std::fs::write(path, inspector::compare::svg(&runs)),
        None => Ok(()),
    });
    // Every target complete and valid, as for one URL.
    let ok = runs.iter().all(|run| {
        !run.records
            .iter()
            .any(|r| matches!(r, Record::Error { .. }))
    });
    report(written.map(|()| ok))
}

/// `inspector proxy`: forwards until stopped; `--json` prints every
/// request and response record, each with its `exchange`; otherwise a
/// line per exchange once it is over, with its verdict.
fn proxy(args: &Args, listen: &str, to: &str, via: bool) -> ExitCode {
    // In a terminal, the TUI's list of exchanges; they decode the
    // proxy's reads themselves, as `inspector URL`'s one does. The HAR
    // is written from the headless loop's news: --har keeps to lines.
    let live = !args.json
        && !args.plain
        && args.har.is_none()
        && io::stdout().is_terminal();
    let started = to.parse().map_err(io::Error::other).and_then(|to| {
        let options = inspector::proxy::Options {
            listen: listen.to_owned(),
            to,
            // A proxy forwards for as long as its client waits.
            transport: transport::Options {
                max_time: None,
                ..transport(args)
            },
            via,
            max_data: args.max_data,
        };
        match live {
            true => inspector::proxy::start_with_reads(options),
            false => inspector::proxy::start(options),
        }
    });
    let proxy = match started {
        Ok(proxy) => proxy,
        Err(e) => {
            eprintln!("inspector: {e}");
            return ExitCode::from(2);
        }
    };
    // The TUI's status bar says where it listens.
    if live {
        let start = tui::Start::Proxy {
            proxy,
            to: to.to_owned(),
        };
        return report(tui::run(start, options(args, Request::default())));
    }
    // On stderr, so that --json's lines stay records alone.
    eprintln!(
        "inspector proxy: listening on http://{}/, forwarding to {to}",
        proxy.addr
    );
    let mut out = BufWriter::new(io::stdout().lock());
    let mut lines = inspector::proxy::Lines::default();
    let mut har = args
        .har
        .clone()
        .map(|path| inspector::har::Proxied::new(path, to));
    for news in proxy.news {
        if let Some(Err(e)) = har.as_mut().map(|har| har.take(&news)) {
            return report(Err(e));
        }
        let line = match args.json {
            true => inspector::proxy::json_line(&news).map(Some),
            false => Ok(lines.take(news)),
        };
        let written = line.and_then(|line| match line {
            Some(line) => writeln!(out, "{line}").and_then(|()| out.flush()),
            None => Ok(()),
        });
        if let Err(e) = written {
            return report(Err(e));
        }
    }
    ExitCode::SUCCESS
}

/// `inspector` with no URL: the tour, which is the `flusher` binary built
/// beside this one. It lives there because it runs the lessons' servers,
/// and the inspector depends on no lesson.
fn tour() -> ExitCode {
    let flusher = std::env::current_exe()
        .ok()
        .map(|exe| {
            exe.with_file_name(format!(
                "flusher{}",
                std::env::consts::EXE_SUFFIX
            ))
        })
        .filter(|path| path.exists());
    let Some(flusher) = flusher else {
        eprintln!(
            "inspector: give a URL to inspect, such as \
             inspector http://127.0.0.1:7878/\n\
             The tour of every lesson is `cargo run --release` in the \
             Flusher workspace (it builds `flusher` beside this binary)."
        );
        return ExitCode::from(2);
    };
    let mut command = std::process::Command::new(&flusher);
    // Become the tour, so that signals and the exit status are its own.
    #[cfg(unix)]
    let error = std::os::unix::process::CommandExt::exec(&mut command);
    #[cfg(not(unix))]
    let error = match command.status() {
        Ok(status) if status.success() => return ExitCode::SUCCESS,
        Ok(_) => return ExitCode::FAILURE,
        Err(e) => e,
    };
    eprintln!("inspector: cannot run {}: {error}", flusher.display());
    ExitCode::FAILURE
}

fn parse_size(s: &str) -> Result<Size, String> {
    let (cols, rows) = s
        .split_once('x')
        .ok_or_else(|| format!("{s}: expected COLSxROWS, such as 100x30"))?;
    let number = |n: &str| n.parse::<u16>().map_err(|e| format!("{s}: {e}"));
    Ok(Size::new(number(cols)?, number(rows)?))
}

/// Seconds, as curl takes them: `2`, `0.5`; 0 for no limit.
fn parse_secs(s: &str) -> Result<Duration, String> {
    s.parse::<f64>()
        .ok()
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .ok_or_else(|| format!("{s}: expected seconds, such as 2 or 0.5"))
}

fn parse_view(s: &str) -> Result<View, String> {
    View::ALL
        .into_iter()
        .find(|v| v.name().eq_ignore_ascii_case(s) && *v != View::Lessons)
        .ok_or_else(|| {
            format!("{s}: expected chunks, timeline, reads, raw or headers")
        })
}

/// The exit status for a run that says whether the response was valid.
fn report(result: io::Result<bool>) -> ExitCode {
    match result {
        Ok(true) => ExitCode::SUCCESS,
        // A protocol error: its record says what.
        Ok(false) => ExitCode::FAILURE,
        // `inspector ... | head` closed our output: nothing left to say.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("inspector: {e}");
            match Failure::of(&e) {
                Some(failure) if failure.kind == "timeout" => {
                    ExitCode::from(TIMED_OUT)
                }
                _ => ExitCode::FAILURE,
            }
        }
    }
}

/// How a headless run ended, for its exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// Complete and valid: 0.
    Complete,
    /// An `error` record went out: 1.
    Failed,
    /// A `timeout` record went out: [`TIMED_OUT`].
    TimedOut,
}

impl From<bool> for Ended {
    fn from(ok: bool) -> Ended {
        match ok {
            true => Ended::Complete,
            false => Ended::Failed,
        }
    }
}

/// [`report`] for a headless run.
fn exit(result: io::Result<Ended>) -> ExitCode {
    match result {
        Ok(Ended::TimedOut) => ExitCode::from(TIMED_OUT),
        Ok(ended) => report(Ok(ended == Ended::Complete)),
        Err(e) => report(Err(e)),
    }
}

/// Says once on standard error that the server has sent nothing yet,
/// if it has not within a few seconds: a headless run never waits
/// silently. (The TUI's clock shows the wait.) Dropping it, or
/// [`Silence::heard`], ends the watch.
struct Silence(Option<mpsc::Sender<()>>);

impl Silence {
    fn watch(after: Duration, authority: String, limited: bool) -> Silence {
        let (heard, hearing) = mpsc::channel::<()>();
        thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) =
                hearing.recv_timeout(after)
            {
                let hint = match limited {
                    true => "",
                    false => "; --max-time SECS would give up",
                };
                eprintln!(
                    "inspector: connected to {authority}, request sent, no \
                     byte back yet ({} s){hint}",
                    transport::secs(after)
                );
            }
        });
        Silence(Some(heard))
    }

    /// A byte came, or the connection ended: nothing to say.
    fn heard(&mut self) {
        self.0.take();
    }
}

/// `--json`, `--plain` or `--file`: records as text, no terminal UI.
fn headless(args: &Args, request: &Request) -> ExitCode {
    let stdout = BufWriter::new(io::stdout().lock());
    let mut out: Box<dyn Output> = if args.json {
        Box::new(Json::new(stdout))
    } else {
        Box::new(Plain::new(stdout))
    };
    // --repeat's exchanges go straight out, each told apart: it keeps
    // nothing, since --svg and --har refuse it.
    if args.repeat.is_some() {
        return exit(watch(args, request, &mut *out));
    }
    let keep = args.svg.is_some() || args.har.is_some();
    let mut kept = Keep::new(&mut *out, keep);
    let result = match &args.file {
        Some(path) => {
            decode_file(args, &request.method, path, &mut kept).map(Ended::from)
        }
        None => watch(args, request, &mut kept),
    };
    let label = match (&args.url, &args.file) {
        (Some(url), _) => format!("{} {url}", request.method),
        (None, file) => {
            let file = file.as_deref().unwrap_or(Path::new("-"));
            file.display().to_string()
        }
    };
    exit(result.and_then(|ended| {
        if let Some(path) = &args.har {
            inspector::har::of_kept(
                args.url.as_deref(),
                &request.method,
                &kept,
            )
            .save(path)?;
        }
        kept.save(args.svg.as_deref(), label)?;
        Ok(ended)
    }))
}

/// Requests the URL and prints each record as its bytes arrive. Returns
/// how the response ended: complete and valid, or not, or cut short by
/// `--max-time`.
fn watch(
    args: &Args,
    request: &Request,
    out: &mut dyn Output,
) -> io::Result<Ended> {
    let url = args.url.as_deref().unwrap_or_default();
    let target: Target = url.parse().map_err(io::Error::other)?;
    let request = target.request(request);
    let mut printer = Printer::new(out);
    let mut live = match Live::open(&target, &request, &transport(args)) {
        Ok(live) => live,
        Err(e) => {
            if let Some(path) = &args.record {
                recording::failed(path, url, &request, &e)?;
            }
            return unconnected(args.json, e, &mut printer);
        }
    };
    let limited = args.max_time.is_some_and(|d| !d.is_zero());
    let mut silence =
        Silence::watch(args.notice_after, target.authority(), limited);
    if let Some(times) = args.repeat {
        return repeat(
            &mut live,
            times,
            args.max_data,
            &mut printer,
            &mut silence,
        );
    }
    printer.out.request(live.sent())?;
    if let Some(path) = &args.record {
        let header = Header::new(url, &request, live.sent(), live.connection());
        live.record(Recorder::create(path, &header)?);
    }
    let mut session = Session::for_request(&request, args.max_data)
        .with_connection(live.connection())
        .sending(args.send.clone());
    let close_after = args.close_after.map(Duration::from_millis);
    while !session.is_done() {
        let caught_up =
            live.step(&mut session, close_after, &mut |r| printer.print(&r));
        silence.heard();
        // This is a live view: once caught up, what arrived goes out now.
        match caught_up {
            Ok(true) => printer.flush()?,
            Ok(false) => {}
            Err(e) => return cut_short(e, &live, &mut printer),
        }
    }
    printer.flush()?;
    Ok(printer.ended())
}

/// A connection that could not be made. With `--json` each failure is
/// an `error` record (`dns`, `connect`, `timeout` or `tls`), as the
/// server's answer is; with `--plain` a handshake refused is a record
/// too, and the rest is one line on standard error.
fn unconnected(
    json: bool,
    e: io::Error,
    printer: &mut Printer,
) -> io::Result<Ended> {
    let (kind, message) = match (TlsFailure::of(&e), Failure::of(&e)) {
        (Some(why), _) => ("tls", why.to_string()),
        (None, Some(failure)) if json => (failure.kind, failure.to_string()),
        _ => return Err(e),
    };
    printer.print(&Record::Error {
        t_ms: 0.0,
        offset: 0,
        kind,
        message,
    });
    printer.flush()?;
    Ok(printer.ended())
}

/// Reading failed with `e`: `--max-time` ran out, which is an `error`
/// record at the byte it stopped before, or the connection broke.
fn cut_short(
    e: io::Error,
    live: &Live,
    printer: &mut Printer,
) -> io::Result<Ended> {
    if let Some(failure) = Failure::of(&e) {
        printer.print(&Record::Error {
            t_ms: live.elapsed().as_secs_f64() * 1e3,
            offset: live.received(),
            kind: failure.kind,
            message: failure.to_string(),
        });
        printer.flush()?;
        return Ok(printer.ended());
    }
    printer.flush()?;
    Err(e)
}

/// `--repeat N`: the exchanges on the connection `live` made, each
/// one's records as they come. A server that ends the connection before
/// the last one is told on standard error, and the exit status is 1.
fn repeat(
    live: &mut Live,
    times: u64,
    max_data: usize,
    printer: &mut Printer,
    silence: &mut Silence,
) -> io::Result<Ended> {
    let closed = live.repeat(times, max_data, &mut |news| match news {
        Repeat::Sent(n, sent) => printer.exchange(n, sent),
        Repeat::Record(record) => {
            silence.heard();
            printer.print(record);
        }
        // This is a live view: once caught up, what arrived goes out now.
        Repeat::CaughtUp => {
            silence.heard();
            printer.push();
        }
    });
    let closed = match closed {
        Ok(closed) => closed,
        Err(e) => return cut_short(e, live, printer),
    };
    printer.flush()?;
    match closed {
        Some(closed) => {
            eprintln!("inspector: --repeat {times}: {closed}");
            Ok(Ended::Failed)
        }
        None => Ok(printer.ended()),
    }
}

/// The recording at `path`, if it is a file that holds one.
fn recording_at(path: &Path) -> Option<Reader<BufReader<File>>> {
    let file = File::open(path).ok()?;
    let mut input = BufReader::with_capacity(READ_BUFFER, file);
    match recording::is_recording(&mut input) {
        Ok(true) => Reader::new(input).ok(),
        _ => None,
    }
}

/// Decodes a captured response from a file or stdin. Times are 0.
fn decode_file(
    args: &Args,
    method: &str,
    path: &PathBuf,
    out: &mut dyn Output,
) -> io::Result<bool> {
    let input: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(path).map_err(|e| {
            io::Error::new(e.kind(), format!("{}: {e}", path.display()))
        })?)
    };
    // As big as a read, so that a raw capture's reads are as before.
    let mut input = BufReader::with_capacity(READ_BUFFER, input);
    if recording::is_recording(&mut input)? {
        return replay(args, Reader::new(input)?, out);
    }
    let mut session = Session::new(method, args.max_data);
    let mut printer = Printer::new(out);
    let mut buf = vec![0; READ_BUFFER];
    while !session.is_done() {
        match input.read(&mut buf)? {
            0 => session.eof(Duration::ZERO, &mut |r| printer.print(&r)),
            n => {
                session.read(Duration::ZERO, &buf[..n], &mut |r| {
                    printer.print(&r)
                });
            }
        }
    }
    printer.flush()?;
    Ok(printer.ok)
}

/// Replays a recording: the records of its live run, at once, or at
/// `--speed`.
fn replay(
    args: &Args,
    recording: Reader<impl BufRead>,
    out: &mut dyn Output,
) -> io::Result<bool> {
    let mut replay = Replay::new(recording, args.max_data, args.speed);
    let mut printer = Printer::new(out);
    printer.out.request(replay.header().sent())?;
    loop {
        match replay.step(&mut |r| printer.print(&r)) {
            // At a pace, each event is news: out it goes.
            Ok(true) if args.speed.is_some() => printer.flush()?,
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                printer.flush()?;
                return Err(e);
            }
        }
    }
    printer.flush()?;
    Ok(printer.ok)
}

/// Prints records, remembering the first failure to write and whether an
/// error record went by, and of which kind.
struct Printer<'a> {
    out: &'a mut dyn Output,
    ok: bool,
    timed_out: bool,
    failed: Option<io::Error>,
}

impl<'a> Printer<'a> {
    fn new(out: &'a mut dyn Output) -> Self {
        Printer {
            out,
            ok: true,
            timed_out: false,
            failed: None,
        }
    }

    /// How the run ended, by the records printed.
    fn ended(&self) -> Ended {
        match (self.ok, self.timed_out) {
            (_, true) => Ended::TimedOut,
            (ok, false) => Ended::from(ok),
        }
    }

    fn print(&mut self, record: &Record) {
        if let Record::Error { kind, .. } = record {
            self.ok = false;
            self.timed_out |= *kind == "timeout";
        }
        if self.failed.is_none() {
            self.failed = self.out.record(record).err();
        }
    }

    /// `--repeat`'s exchange `n` starts, with its request.
    fn exchange(&mut self, n: u64, sent: &[u8]) {
        if self.failed.is_none() {
            let said = self.out.exchange(n);
            self.failed = said.and_then(|()| self.out.request(sent)).err();
        }
    }

    /// Flushes from a callback, which cannot fail: a failure waits for
    /// [`Printer::flush`].
    fn push(&mut self) {
        if self.failed.is_none() {
            self.failed = self.out.flush().err();
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.failed.take() {
            Some(e) => Err(e),
            None => self.out.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    /// clap checks its rules (names, conflicts, globals) when it builds a
    /// command: every subcommand's, here, not just the one a run uses.
    #[test]
    fn the_command_line_is_consistent() {
        Args::command().debug_assert();
    }
}
