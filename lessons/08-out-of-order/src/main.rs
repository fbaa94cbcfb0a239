//! `cargo run -p lesson-08-out-of-order [-- --addr HOST:PORT --delays-ms 50,300,800]`

use std::process::ExitCode;

use lesson_08_out_of_order::{LESSON, OutOfOrder};

fn main() -> ExitCode {
    lesson_06_ssr_blocking::main(&LESSON, |delays| OutOfOrder { delays })
}
