//! `cargo run -p lesson-10-websocket [-- --addr HOST:PORT] [--max-message BYTES]`

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use lesson_01_raw_tcp::cli;
use lesson_05_tokio::Config;
use lesson_10_websocket::session::MAX_MESSAGE;
use lesson_10_websocket::{Chat, LESSON};

/// Lesson 10: WebSocket. The page at /, the WebSocket at /ws, and a
/// plain echo (no greeting) at /echo.
#[derive(Debug, Parser)]
#[command(name = "lesson-10-websocket")]
struct Args {
    /// Where to listen. Port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:7878")]
    addr: SocketAddr,
    /// The biggest message taken, whole or in fragments, in bytes.
    /// Autobahn's test suite sends up to 16 MiB (16777216).
    #[arg(long, default_value_t = MAX_MESSAGE)]
    max_message: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::listen(&LESSON, args.addr, |listener| {
        let chat = Chat {
            max_message: args.max_message,
        };
        lesson_05_tokio::serve(listener, Config::new(Duration::ZERO), chat);
    })
}
