//! The Flusher tour: `cargo run --release`.
//!
//! Starts every lesson's server in this process, each on a free port (so
//! nothing needs setting up and nothing clashes), and prints how to watch
//! each one. The protocol inspector's live view will take over this screen;
//! until then, curl and a browser show the streams.

use std::process::ExitCode;
use std::thread;

use lesson_01_raw_tcp::cli::{self, Lesson};
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
    ];

    println!("Flusher: HTTP streaming output, from the socket up.\n");
    for (lesson, addr) in started {
        let addr = match addr {
            Ok(addr) => addr,
            Err(e) => return fail(&lesson, e),
        };
        println!("{}", cli::describe(&lesson, addr));
    }
    println!(
        "Open any URL in a browser to watch the page grow (or not).\n\
         Each lesson also runs alone: cargo run -p lesson-02-chunked-by-hand\n\
         Ctrl-C stops the tour."
    );
    // The servers run on their own threads; this one just keeps them alive.
    loop {
        thread::park();
    }
}

fn fail(lesson: &Lesson, e: std::io::Error) -> ExitCode {
    eprintln!("error: cannot start {}: {e}", lesson.title);
    ExitCode::FAILURE
}
