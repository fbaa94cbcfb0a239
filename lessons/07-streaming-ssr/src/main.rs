//! `cargo run -p lesson-07-streaming-ssr [-- --addr HOST:PORT --delays-ms 50,300,800]`

use std::process::ExitCode;

use lesson_07_streaming_ssr::{InOrder, LESSON};

fn main() -> ExitCode {
    lesson_06_ssr_blocking::main(&LESSON, |delays| InOrder { delays })
}
