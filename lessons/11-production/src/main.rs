//! `cargo run -p lesson-11-production [-- --addr HOST:PORT --pause-ms 400]`

use std::process::ExitCode;

use lesson_01_raw_tcp::cli;
use lesson_05_tokio::Config;
use lesson_11_production::{LESSON, Production};

fn main() -> ExitCode {
    let args = cli::parse(&LESSON);
    let pause = args.pause();
    cli::listen(&LESSON, args.addr, |listener| {
        lesson_05_tokio::serve(
            listener,
            Config::new(pause),
            Production { pause },
        );
    })
}
