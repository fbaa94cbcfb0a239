//! `cargo run -p lesson-03-flusher [-- --addr HOST:PORT --pause-ms N]`

use std::process::ExitCode;

use clap::Parser;
use lesson_01_raw_tcp::cli;
use lesson_03_flusher::{LESSON, handler};

/// Lesson 03: Go's http.Flusher in Rust.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    server: cli::ServerArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(&LESSON, args.server.addr, handler(args.server.pause()))
}
