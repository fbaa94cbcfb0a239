//! What every lesson binary shares: its flags, its banner, and its `main`.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches};

use crate::server::{self, Handler};

/// The flags every lesson server takes.
#[derive(Debug, Clone, clap::Parser)]
pub struct ServerArgs {
    /// Where to listen. Port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:7878")]
    pub addr: SocketAddr,

    /// How long each part of the page waits for its data, in milliseconds.
    #[arg(long, default_value_t = 400)]
    pub pause_ms: u64,
}

impl ServerArgs {
    pub fn pause(&self) -> Duration {
        Duration::from_millis(self.pause_ms)
    }
}

/// A command that shows a lesson's stream. `{url}` stands for the server's
/// base URL, such as `http://127.0.0.1:7878/`, followed by `path`; `{ws}`
/// for the same as a WebSocket URL, `ws://127.0.0.1:7878/…`.
#[derive(Debug, Clone, Copy)]
pub struct Watch {
    /// What the command shows, in a few words.
    pub what: &'static str,
    /// The shell command, with `{url}`.
    pub command: &'static str,
    /// What follows the base URL, such as `buffered`.
    pub path: &'static str,
}

/// curl's own timer: when the first and the last byte arrived. The same
/// two numbers for a burst, far apart for a stream.
pub const TIMING: Watch = Watch {
    what: "when the first and the last byte arrive",
    command: "curl -sS -o /dev/null -w \
        'first byte: %{time_starttransfer} s\\n\
        complete:   %{time_total} s\\n' {url}",
    path: "",
};

/// The inspector's live TUI: every chunk as it arrives, with its size line,
/// arrival time and bytes. Its output is a terminal screen, so where that
/// cannot be shown (the book's transcripts) the same command runs with
/// `--screen COLSxROWS`, which prints the screen once the response is over.
pub const INSPECTOR: Watch = Watch {
    what: "every chunk live, in the inspector (q quits)",
    command: "cargo run -q -p inspector -- {url}",
    path: "",
};

impl Watch {
    /// The same command, for another path on the server.
    pub const fn at(self, path: &'static str) -> Watch {
        Watch { path, ..self }
    }

    /// The command, with the URL filled in.
    pub fn command_for(&self, url: &str) -> String {
        fill(self.command, &format!("{url}{}", self.path))
    }
}

/// `command` with `{url}` replaced by `url` (`http://…`), and `{ws}` by
/// the same address as `ws://…`.
pub fn fill(command: &str, url: &str) -> String {
    command.replace("{url}", url).replace("{ws}", &ws_url(url))
}

/// `url`, `http://…`, as the WebSocket URL of the same address, `ws://…`.
pub fn ws_url(url: &str) -> String {
    url.replacen("http://", "ws://", 1)
}

/// What a lesson's banner says about it.
#[derive(Debug, Clone, Copy)]
pub struct Lesson {
    /// The Cargo package, such as `lesson-01-raw-tcp`.
    pub package: &'static str,
    /// Such as `lesson 01: raw TCP`.
    pub title: &'static str,
    /// The one new idea, in a sentence.
    pub idea: &'static str,
    /// Commands that show the stream. The book runs exactly these.
    pub watch: &'static [Watch],
}

/// The base URL of a server listening on `addr`.
pub fn url(addr: SocketAddr) -> String {
    format!("http://{addr}/")
}

/// What a lesson prints when it starts.
pub fn banner(lesson: &Lesson, addr: SocketAddr) -> String {
    describe(lesson, addr)
        + "\nor open the URL in a browser. Ctrl-C stops the server.\n"
}

/// The lesson, its URL and the commands that watch it: the banner without
/// its last line, which the tour says once for all lessons.
pub fn describe(lesson: &Lesson, addr: SocketAddr) -> String {
    let url = url(addr);
    let mut out = format!(
        "{title}: {idea}\nlistening on {url}\n\n",
        title = lesson.title,
        idea = lesson.idea,
    );
    for watch in lesson.watch {
        out += &format!("  # {}\n  {}\n", watch.what, watch.command_for(&url));
    }
    out
}

/// A lesson binary's whole `main`: parse the flags, make the handler from
/// them, and [`run`] it.
pub fn main<H: Handler>(
    lesson: &Lesson,
    handler: impl FnOnce(&ServerArgs) -> H,
) -> ExitCode {
    let args = parse(lesson);
    run(lesson, args.addr, handler(&args))
}

/// [`main`] for a server that takes whole connections, such as lesson
/// 04's, which serves many requests on each.
pub fn main_connections<C>(
    lesson: &Lesson,
    connection: impl FnOnce(&ServerArgs) -> C,
) -> ExitCode
where
    C: Fn(TcpStream) + Send + Sync + 'static,
{
    let args = parse(lesson);
    let connection = connection(&args);
    listen(lesson, args.addr, |listener| {
        server::serve_connections(listener, connection);
    })
}

/// The flags: one set for every lesson; only the name and help differ.
pub fn parse(lesson: &Lesson) -> ServerArgs {
    let command = ServerArgs::command()
        .name(lesson.package)
        .bin_name(lesson.package)
        .about(format!("{}: {}", lesson.title, lesson.idea));
    ServerArgs::from_arg_matches(&command.get_matches())
        .unwrap_or_else(|e| e.exit())
}

/// Binds, prints the banner, and serves forever. A port that is taken ends
/// the program with one line on stderr and exit code 1.
pub fn run(
    lesson: &Lesson,
    addr: SocketAddr,
    handler: impl Handler,
) -> ExitCode {
    listen(lesson, addr, |listener| server::serve(listener, handler))
}

/// Binds `addr`, prints the banner, and hands the listener to `serve`.
/// Lesson 05 serves it on tokio this way.
pub fn listen(
    lesson: &Lesson,
    addr: SocketAddr,
    serve: impl FnOnce(TcpListener),
) -> ExitCode {
    let listener = match server::bind(addr) {
        Ok(listener) => listener,
        Err(why) => {
            eprintln!("error: {why}");
            return ExitCode::FAILURE;
        }
    };
    // With `--addr 127.0.0.1:0`, the port is only known now.
    let addr = listener.local_addr().unwrap_or(addr);
    print!("{}", banner(lesson, addr));
    serve(listener);
    ExitCode::SUCCESS
}
