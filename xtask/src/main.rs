//! `cargo xtask <task>`: the project's own checks, run by `.ci/run`.
//!
//! - `transcripts`: regenerate every output the book shows, by running the
//!   very commands it shows against the real lesson servers.
//! - `book`: check every `{{#include}}` resolves to a non-empty anchor, then
//!   build the book with mdBook.
//! - `exercises`: every exercise fails as shipped; every solution passes.
//! - `bench-capture`: `inspector --json` against curl on 1 GiB streams,
//!   plain and gzip-coded, on a decompression bomb, over TLS and over
//!   HTTP/2.
//! - `bench-tokio`: lesson 05 against hyper, under wrk, on loopback.
//! - `bench-proxy`: `inspector proxy` against nginx in front of lesson 05:
//!   throughput under wrk, latency added per chunk, memory per exchange.
//! - `overhead`: framing bytes per message: chunks, SSE, WebSocket; also
//!   run by `transcripts`.
//! - `ssr`: the dashboard rendered four ways (CSR, lessons 06 to 08),
//!   timed side by side; also run by `transcripts`.
//! - `autobahn`: lesson 10 against the Autobahn WebSocket test suite;
//!   writes chapter 10's table. Needs the suite's virtualenv (`.ci/run`).

mod autobahn;
mod behind_nginx;
mod bench;
mod bench_proxy;
mod bench_tls;
mod bench_tokio;
mod book;
mod fits;
mod listings;
mod nginx_table;
mod overhead;
mod paint;
mod ssr;
mod transcripts;
mod zh;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(about = "Flusher's project checks")]
struct Args {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Regenerate book/src/generated from real runs of the lessons.
    Transcripts,
    /// Check the book's includes and anchors, then `mdbook build book`.
    Book,
    /// Prove every exercise fails as shipped and passes with its solution.
    Exercises,
    /// Count the framing bytes per message of chunks, SSE and WebSocket.
    Overhead,
    /// Time the dashboard rendered four ways: CSR, lessons 06, 07, 08.
    Ssr,
    /// Run the Autobahn test suite against lesson 10's /echo; write the
    /// book's table.
    Autobahn,
    /// Time `inspector --json` against curl on loopback streams: plain,
    /// gzip-coded, a decompression bomb, over TLS and over HTTP/2.
    BenchCapture {
        /// How many GiB of content each stream carries.
        #[arg(long, default_value_t = 1)]
        gib: u64,
        /// How many rounds: each client runs once a round.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
    },
    /// Serve the same chunked streams from lesson 05 and from hyper, and
    /// measure both with wrk, taking turns.
    BenchTokio {
        /// How many rounds: each server runs each workload once a round.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// How long each wrk run lasts, in seconds.
        #[arg(long, default_value_t = 5)]
        secs: u64,
    },
    /// Put `inspector proxy` and nginx in front of lesson 05 and measure
    /// both: throughput (wrk), latency added per chunk, memory.
    BenchProxy {
        /// How many wrk rounds: each proxy runs once a round.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// How long each wrk run lasts, in seconds.
        #[arg(long, default_value_t = 5)]
        secs: u64,
    },
}

type Result<T = ()> =
    std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn main() -> ExitCode {
    let root = workspace_root();
    let result = match Args::parse().task {
        Task::Transcripts => transcripts::run(&root),
        Task::Book => book::run(&root),
        Task::Ssr => ssr::run(&root),
        Task::Overhead => overhead::run(&root),
        Task::Autobahn => autobahn::run(&root),
        Task::BenchCapture { gib, rounds } => {
            bench::capture(&root, gib, rounds)
        }
        Task::BenchTokio { rounds, secs } => {
            bench_tokio::run(&root, rounds, secs)
        }
        Task::BenchProxy { rounds, secs } => {
            bench_proxy::run(&root, rounds, secs)
        }
        Task::Exercises => {
            exercises::check(&root, &mut std::io::stdout()).map_err(Into::into)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_owned()
}
