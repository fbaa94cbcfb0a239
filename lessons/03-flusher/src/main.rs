//! `cargo run -p lesson-03-flusher [-- --addr HOST:PORT --pause-ms N]`

use lesson_01_raw_tcp::cli;
use lesson_03_flusher::{LESSON, handler};

fn main() -> std::process::ExitCode {
    cli::main(&LESSON, |args| handler(args.pause()))
}
