//! What every lesson binary shares: its flags, its banner, and its `main`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use crate::server::{self, Handler};

/// The flags every lesson server takes.
#[derive(Debug, Clone, clap::Args)]
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
/// base URL, such as `http://127.0.0.1:7878/`.
#[derive(Debug, Clone, Copy)]
pub struct Watch {
    /// What the command shows, in a few words.
    pub what: &'static str,
    /// The shell command, with `{url}`.
    pub command: &'static str,
}

impl Watch {
    /// The command, with the URL filled in.
    pub fn command_for(&self, url: &str) -> String {
        self.command.replace("{url}", url)
    }
}

/// What a lesson's banner says about it.
#[derive(Debug, Clone, Copy)]
pub struct Lesson {
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
    let url = url(addr);
    let mut out = format!(
        "{title}: {idea}\nlistening on {url}\n\n",
        title = lesson.title,
        idea = lesson.idea,
    );
    for watch in lesson.watch {
        out += &format!("  # {}\n  {}\n", watch.what, watch.command_for(&url));
    }
    out += "\nor open the URL in a browser. Ctrl-C stops the server.\n";
    out
}

/// A lesson binary's `main`: bind, print the banner, serve forever. A port
/// that is taken ends the program with one line on stderr and exit code 1.
pub fn run(
    lesson: &Lesson,
    addr: SocketAddr,
    handler: impl Handler,
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
    server::serve(listener, handler);
    ExitCode::SUCCESS
}
