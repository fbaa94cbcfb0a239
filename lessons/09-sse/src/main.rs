//! `cargo run -p lesson-09-sse [-- --addr HOST:PORT --every-ms 1000]`

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use lesson_01_raw_tcp::cli;
use lesson_05_tokio::Config;
use lesson_09_sse::{Events, LESSON, Plan};

/// Lesson 09: server-sent events. The page at /, the stream at /events.
#[derive(Debug, Parser)]
#[command(name = "lesson-09-sse")]
struct Args {
    /// Where to listen. Port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:7878")]
    addr: SocketAddr,

    /// The time between two events, in milliseconds. `?every=` in the
    /// URL overrides it for one stream.
    #[arg(long, default_value_t = 1000)]
    every_ms: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let plan = Plan {
        every: Duration::from_millis(args.every_ms.max(1)),
        ..Plan::default()
    };
    cli::listen(&LESSON, args.addr, |listener| {
        lesson_05_tokio::serve(
            listener,
            Config::new(Duration::ZERO),
            Events { plan },
        );
    })
}
