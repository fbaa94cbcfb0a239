//! What the tests that run the inspector's binary share.

// Each test file is a crate of its own, and uses what it needs of this.
#![allow(dead_code)]

use std::process::Output;

use serde_json::Value;

/// The binary Cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_inspector");

/// The records a `--json` run printed, one per line.
pub fn records(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}
