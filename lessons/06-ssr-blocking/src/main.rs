//! `cargo run -p lesson-06-ssr-blocking [-- --addr HOST:PORT --delays-ms 50,300,800]`

use std::process::ExitCode;

use lesson_06_ssr_blocking::{Blocking, LESSON};

fn main() -> ExitCode {
    lesson_06_ssr_blocking::main(&LESSON, |delays| Blocking { delays })
}
