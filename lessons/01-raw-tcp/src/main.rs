//! `cargo run -p lesson-01-raw-tcp [-- --addr HOST:PORT --pause-ms N]`

use std::process::ExitCode;

use clap::Parser;
use lesson_01_raw_tcp::{LESSON, cli, handler};

/// Lesson 01: an HTTP/1.1 response written by hand, with Content-Length.
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
