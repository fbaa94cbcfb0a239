//! `cargo run -p lesson-04-http-parse [-- --addr HOST:PORT --pause-ms N]`

use lesson_01_raw_tcp::cli;
use lesson_04_http_parse::{LESSON, server};

fn main() -> std::process::ExitCode {
    cli::main_connections(&LESSON, |args| {
        let pause = args.pause();
        move |stream| server::connection(stream, pause)
    })
}
