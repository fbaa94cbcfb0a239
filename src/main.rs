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

use inspector::tui::{self, Options};
use lesson_01_raw_tcp::cli::{self, Lesson};

fn main() -> ExitCode {
    let lessons = match flusher::start_lessons() {
        Ok(lessons) => lessons,
        Err((lesson, e)) => return fail(&lesson, e),
    };
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
        .flat_map(|(lesson, addr)| flusher::demos(lesson, &cli::url(*addr)))
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

fn fail(lesson: &Lesson, e: std::io::Error) -> ExitCode {
    eprintln!("error: cannot start {}: {e}", lesson.title);
    ExitCode::FAILURE
}
