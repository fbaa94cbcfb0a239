//! Peak memory (VmHWM) of decoding long chunked streams, generated as they
//! are read so that the stream itself takes no room: what is left is the
//! decoder's own memory, which must not grow with the length.
//!
//! ```text
//! cargo bench -p inspector --bench decode_rss
//! ```
//!
//! Target: ours stays under 64 MiB whatever the length. hyper is measured
//! the same way, for comparison. Each row resets the peak first (Linux's
//! `/proc/self/clear_refs`), and reports it and the time it took, 64 KiB
//! reads as in `benches/decode.rs`.

use std::fmt::Write as _;
use std::fs;
use std::time::Instant;

mod common;
use common::{
    ChunkedResponse, READ, hyper_reads, inspector_reads, publish, runtime,
};

const KIB: u64 = 1024;
const GIB: u64 = 1024 * 1024 * 1024;
const TARGET_KIB: u64 = 64 * 1024;

fn main() {
    let mut out = format!("VmHWM at start: {} KiB\n", peak_kib());
    let runtime = runtime();
    let mut buf = vec![0; READ];
    // (side, chunk size, chunks)
    let rows: [(&str, usize, u64); 5] = [
        ("inspector", 16 * 1024, GIB / (16 * KIB)),
        ("inspector", 16 * 1024, 8 * GIB / (16 * KIB)),
        ("inspector", 16, 10_000_000),
        ("hyper", 16 * 1024, GIB / (16 * KIB)),
        ("hyper", 16, 10_000_000),
    ];
    let mut over = false;
    for (side, chunk, chunks) in rows {
        let reset = fs::write("/proc/self/clear_refs", "5").is_ok();
        let wire = ChunkedResponse::new(chunk, chunks);
        let start = Instant::now();
        let body = match side {
            "inspector" => inspector_reads(&mut { wire }, &mut buf),
            _ => hyper_reads(&runtime, wire),
        };
        let took = start.elapsed().as_secs_f64();
        assert_eq!(body, chunk as u64 * chunks, "every body byte is seen");
        let peak = peak_kib();
        let _ = writeln!(
            out,
            "{side:<9} {chunks:>9} chunks of {chunk:>5} B ({:>5.2} GiB body): \
             peak RSS {peak:>6} KiB{}, {:.2} s, {:.2} GiB/s",
            body as f64 / GIB as f64,
            if reset {
                ""
            } else {
                " (could not reset: maximum so far)"
            },
            took,
            body as f64 / GIB as f64 / took,
        );
        over |= side == "inspector" && peak >= TARGET_KIB;
    }
    publish("bench-decode-rss.txt", &out);
    assert!(!over, "ours must stay under {TARGET_KIB} KiB");
}

/// The process's peak resident set since start or the last reset, in KiB.
fn peak_kib() -> u64 {
    let status = fs::read_to_string("/proc/self/status")
        .expect("Linux: /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmHWM line")
}
