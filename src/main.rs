//! The Flusher tour: `cargo run --release`.
//!
//! Starts every lesson's server in this process, each on a free port (so
//! nothing needs setting up and nothing clashes), and opens the inspector
//! on a picker of their streams: choose one, and watch its chunks arrive.
//! The URLs work in a browser and with curl at the same time.
//!
//! When the output is not a terminal (a pipe, a script), it prints where
//! each lesson listens and how to watch it, and serves until stopped.

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::thread;

use inspector::tui::{self, Demo, Options};
use lesson_01_raw_tcp::cli::{self, Lesson, Watch};
use lesson_01_raw_tcp::page::DEFAULT_PAUSE;
use lesson_01_raw_tcp::server;

fn main() -> ExitCode {
    let pause = DEFAULT_PAUSE;
    let started = [
        (
            lesson_01_raw_tcp::LESSON,
            server::spawn(lesson_01_raw_tcp::handler(pause)),
        ),
        (
            lesson_02_chunked_by_hand::LESSON,
            server::spawn(lesson_02_chunked_by_hand::handler(pause, true)),
        ),
        (
            lesson_03_flusher::LESSON,
            server::spawn(lesson_03_flusher::handler(pause)),
        ),
        (
            lesson_04_http_parse::LESSON,
            lesson_04_http_parse::spawn(pause),
        ),
        (
            lesson_05_tokio::LESSON,
            lesson_05_tokio::spawn(lesson_05_tokio::Config::new(pause)),
        ),
        (
            lesson_06_ssr_blocking::LESSON,
            lesson_06_ssr_blocking::spawn(Default::default()),
        ),
        (
            lesson_07_streaming_ssr::LESSON,
            lesson_07_streaming_ssr::spawn(Default::default()),
        ),
        (
            lesson_08_out_of_order::LESSON,
            lesson_08_out_of_order::spawn(Default::default()),
        ),
        (
            lesson_09_sse::LESSON,
            lesson_09_sse::spawn(Default::default()),
        ),
        (lesson_10_websocket::LESSON, lesson_10_websocket::spawn()),
    ];
    let mut lessons = Vec::new();
    for (lesson, addr) in started {
        match addr {
            Ok(addr) => lessons.push((lesson, addr)),
            Err(e) => return fail(&lesson, e),
        }
    }

    if !std::io::stdout().is_terminal() {
        println!("Flusher: HTTP streaming output, from the socket up.\n");
        for (lesson, addr) in &lessons {
            println!("{}", cli::describe(lesson, *addr));
        }
        println!(
            "Open any URL in a browser to watch the page grow (or not).\n\
             Each lesson also runs alone: cargo run -p lesson-02-chunked-by-hand\n\
             Ctrl-C stops the tour."
        );
        // The servers run on their own threads; this one keeps them alive.
        loop {
            thread::park();
        }
    }

    let demos = lessons
        .iter()
        .flat_map(|(lesson, addr)| demos(lesson, &cli::url(*addr)))
        .collect();
    match tui::run(tui::Start::Tour(demos), Options::default()) {
        // Quitting is success, whatever the last stream did.
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One picker line for the lesson's stream, and one for each other route
/// its chapter compares it with (such as lesson 03's `/buffered`).
fn demos(lesson: &Lesson, url: &str) -> Vec<Demo> {
    let mut demos = vec![Demo {
        title: lesson.title.to_owned(),
        idea: lesson.idea.to_owned(),
        url: url.to_owned(),
    }];
    // A command that sends header fields of its own (`Last-Event-ID`, a
    // WebSocket handshake) shows something a plain GET would not.
    let plain_get =
        |w: &&Watch| !w.path.is_empty() && !w.command.contains(" -H ");
    for watch in lesson.watch.iter().filter(plain_get) {
        // A WebSocket's frames, both ways, live.
        let url = match watch.command.contains("{ws}") {
            true => cli::ws_url(&format!("{url}{}", watch.path)),
            false => format!("{url}{}", watch.path),
        };
        demos.push(Demo {
            title: format!("{} /{}", lesson.title, watch.path),
            idea: watch.what.to_owned(),
            url,
        });
    }
    demos
}

fn fail(lesson: &Lesson, e: std::io::Error) -> ExitCode {
    eprintln!("error: cannot start {}: {e}", lesson.title);
    ExitCode::FAILURE
}
