//! `cargo run -p lesson-11-production --example flush_cost`: what a flush
//! after each part costs, in bytes, against compressing the body whole.
//!
//! Prints a Markdown table, which chapter 11 includes as it is.

use lesson_11_production::coding::{Coding, Flush, encode_parts};

fn main() {
    let page: Vec<&[u8]> = lesson_01_raw_tcp::page::PARTS
        .iter()
        .map(|p| p.as_bytes())
        .collect();
    let events: Vec<String> = (1..=100)
        .map(|n| lesson_09_sse::event(n).encode())
        .collect();
    let events: Vec<&[u8]> = events.iter().map(|e| e.as_bytes()).collect();
    let bodies = [
        ("the lesson page, 5 parts", page),
        ("lesson 09's events 1 to 100, one per part", events),
    ];
    println!(
        "| body | identity | coding | whole | flushed after each part | \
         per flush |"
    );
    println!("|---|---:|---|---:|---:|---:|");
    for (name, parts) in &bodies {
        let identity: usize = parts.iter().map(|p| p.len()).sum();
        for coding in [Coding::Gzip, Coding::Br] {
            let size = |flush, parts: &[&[u8]]| -> usize {
                let sent = encode_parts(coding, flush, parts)
                    .expect("compressing into memory cannot fail");
                sent.iter().map(Vec::len).sum()
            };
            let whole = size(Flush::Never, &[&parts.concat()]);
            let flushed = size(Flush::EachPart, parts);
            let per_flush = (flushed - whole) as f64 / parts.len() as f64;
            println!(
                "| {name} | {identity} B | {} | {whole} B ({:.0}%) | \
                 {flushed} B ({:.0}%) | +{per_flush:.1} B |",
                coding.name().unwrap_or("identity"),
                percent(whole, identity),
                percent(flushed, identity),
            );
        }
    }
}

/// `part` as a percentage of `whole`.
fn percent(part: usize, whole: usize) -> f64 {
    100.0 * part as f64 / whole as f64
}
