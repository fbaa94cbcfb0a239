//! `cargo run -p lesson-01-raw-tcp [-- --addr HOST:PORT --pause-ms N]`

use lesson_01_raw_tcp::{LESSON, cli, handler};

fn main() -> std::process::ExitCode {
    cli::main(&LESSON, |args| handler(args.pause()))
}
