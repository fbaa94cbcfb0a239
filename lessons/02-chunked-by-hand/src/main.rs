//! `cargo run -p lesson-02-chunked-by-hand [-- --addr HOST:PORT --pause-ms N]`

use lesson_01_raw_tcp::cli;
use lesson_02_chunked_by_hand::{LESSON, handler};

fn main() -> std::process::ExitCode {
    // TCP_NODELAY on: see the chapter for what Nagle does without it.
    cli::main(&LESSON, |args| handler(args.pause(), true))
}
