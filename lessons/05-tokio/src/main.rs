//! `cargo run -p lesson-05-tokio [-- --addr HOST:PORT --pause-ms N]`

use std::process::ExitCode;

use lesson_01_raw_tcp::cli;
use lesson_05_tokio::site::Demo;
use lesson_05_tokio::{Config, LESSON};

fn main() -> ExitCode {
    let args = cli::parse(&LESSON);
    let config = Config::new(args.pause());
    let demo = Demo {
        pause: config.pause,
    };
    cli::listen(&LESSON, args.addr, |listener| {
        lesson_05_tokio::serve(listener, config, demo);
    })
}
