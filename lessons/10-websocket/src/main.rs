//! `cargo run -p lesson-10-websocket [-- --addr HOST:PORT]`

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use lesson_01_raw_tcp::cli;
use lesson_05_tokio::Config;
use lesson_10_websocket::{Chat, LESSON};

/// Lesson 10: WebSocket. The page at /, the WebSocket at /ws.
#[derive(Debug, Parser)]
#[command(name = "lesson-10-websocket")]
struct Args {
    /// Where to listen. Port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:7878")]
    addr: SocketAddr,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::listen(&LESSON, args.addr, |listener| {
        lesson_05_tokio::serve(listener, Config::new(Duration::ZERO), Chat);
    })
}
