//! `cargo run -p lesson-06-ssr-blocking [-- --addr HOST:PORT --delays-ms 50,300,800]`

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use lesson_01_raw_tcp::cli;
use lesson_05_tokio::Config;
use lesson_06_ssr_blocking::dashboard::Delays;
use lesson_06_ssr_blocking::{Blocking, LESSON};

/// Lesson 06: blocking SSR. The dashboard, sent when all its data is in.
#[derive(Debug, Parser)]
#[command(name = "lesson-06-ssr-blocking")]
struct Args {
    /// Where to listen. Port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:7878")]
    addr: SocketAddr,

    /// Each module's data latency in milliseconds, in page order
    /// (profile, feed, recommendations, comments, weather). `?delays=`
    /// in the URL overrides them for one request.
    #[arg(long, value_parser = Delays::parse, default_value_t = Delays::default())]
    delays_ms: Delays,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let site = Blocking {
        delays: args.delays_ms,
    };
    cli::listen(&LESSON, args.addr, |listener| {
        lesson_05_tokio::serve(listener, Config::new(Duration::ZERO), site);
    })
}
