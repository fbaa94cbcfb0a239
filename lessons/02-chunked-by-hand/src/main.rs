//! `cargo run -p lesson-02-chunked-by-hand [-- --addr HOST:PORT --pause-ms N]`

use std::process::ExitCode;

use clap::Parser;
use lesson_01_raw_tcp::cli;
use lesson_02_chunked_by_hand::{LESSON, handler};

/// Lesson 02: chunked transfer coding written by hand.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    server: cli::ServerArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let handler = handler(args.server.pause(), true);
    cli::run(&LESSON, args.server.addr, handler)
}
