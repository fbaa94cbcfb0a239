//! Our decoder side by side with hyper's HTTP/1.1 client, decoding the same
//! chunked responses in one run, and the ratio between them.
//!
//! ```text
//! cargo bench -p inspector --bench decode
//! ```
//!
//! Two shapes, each decoded whole in every iteration:
//! - 1 GiB of body in 16 KiB chunks (65,536 chunks): bulk data, where a
//!   decoder should cost little more than the read itself;
//! - 10,000,000 chunks of 16 bytes (160 MB of body, 220 MB on the wire):
//!   size lines, where per-chunk overhead is everything.
//!
//! Three rows per shape (see `common` for what each side does):
//! - `inspector/reads`: ours, reading 64 KiB at a time into a buffer;
//! - `inspector/slices`: ours, fed 64 KiB slices of the prepared response
//!   in place, with no read copy: the decoder alone;
//! - `hyper/reads`: hyper's client, reading 64 KiB at a time.
//!
//! The like-for-like ratio is `inspector/reads` against `hyper/reads`:
//! both copy every byte once out of the "socket". After each shape the
//! bench prints the throughputs from the median iteration of each row and
//! the ratio ours/hyper (above 1: ours is faster). The medians are taken
//! over every timed iteration, criterion's warm-up included: at 4 ms to 3 s
//! an iteration, warm-up iterations are as good a sample as the others.
//!
//! Every row takes at least 10 iterations, so hyper's 10M-chunk row takes
//! about 35 s; criterion warns that it cannot fit its 4 s target, and runs
//! the 10 anyway. The whole run takes about a minute and a half on two
//! cores. Pass a filter to run some rows only, as with any criterion bench:
//! `cargo bench -p inspector --bench decode -- 16KiB`.

use std::fmt::Write as _;
use std::hint::black_box;
use std::io::Cursor;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use hyper::body::Bytes;

mod common;
use common::{
    ChunkedResponse, READ, hyper_reads, inspector_reads, publish, runtime,
};
use inspector::{Decoder, Event, Status};

struct Shape {
    name: &'static str,
    chunk: usize,
    chunks: u64,
}

const SHAPES: [Shape; 2] = [
    Shape {
        name: "1GiB-of-16KiB-chunks",
        chunk: 16 * 1024,
        chunks: 64 * 1024,
    },
    Shape {
        name: "10M-chunks-of-16B",
        chunk: 16,
        chunks: 10_000_000,
    },
];

const GIB: f64 = (1u64 << 30) as f64;

fn main() {
    // Every iteration decodes a whole shape (up to 1 GiB), so a few of
    // them make a good sample: keep the run to a couple of minutes.
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    let runtime = runtime();
    let mut buf = vec![0; READ];

    for shape in &SHAPES {
        // `Bytes`, so that hyper's transport can own a view of it.
        let wire = Bytes::from(
            ChunkedResponse::new(shape.chunk, shape.chunks).into_vec(),
        );
        let body = shape.chunk as u64 * shape.chunks;
        // Every iteration is timed on its own as well, for the ratio.
        let mut reads = Vec::new();
        let mut slices = Vec::new();
        let mut hyper = Vec::new();

        let mut group = criterion.benchmark_group(shape.name);
        group.sampling_mode(SamplingMode::Flat);
        group.throughput(if shape.chunk >= 1024 {
            Throughput::Bytes(body)
        } else {
            Throughput::Elements(shape.chunks)
        });
        group.bench_function("inspector/reads", |b| {
            b.iter_custom(|iters| {
                timed(&mut reads, iters, body, || {
                    inspector_reads(&mut &wire[..], &mut buf)
                })
            })
        });
        group.bench_function("inspector/slices", |b| {
            b.iter_custom(|iters| {
                timed(&mut slices, iters, body, || inspector_slices(&wire))
            })
        });
        group.bench_function("hyper/reads", |b| {
            b.iter_custom(|iters| {
                timed(&mut hyper, iters, body, || {
                    hyper_reads(&runtime, Cursor::new(wire.clone()))
                })
            })
        });
        group.finish();

        report(
            shape,
            &wire,
            [
                ("inspector/reads", &mut reads),
                ("inspector/slices", &mut slices),
                ("hyper/reads", &mut hyper),
            ],
        );
    }
    criterion.final_summary();
}

/// Ours without the read copy: the prepared response fed in place, in
/// 64 KiB slices.
fn inspector_slices(wire: &[u8]) -> u64 {
    let mut decoder = Decoder::new("GET");
    let mut body = 0;
    let mut on = |event: Event<'_>| {
        if let Event::Data { bytes, .. } = event {
            body += black_box(bytes).len() as u64;
        }
    };
    for slice in wire.chunks(READ) {
        let status = decoder.feed(slice, &mut on).expect("a valid response");
        if let Status::Complete(_) = status {
            return body;
        }
    }
    decoder.finish(&mut on).expect("the response is complete");
    unreachable!("finish fails short of the end")
}

/// Runs `decode` `iters` times, checking the body length each time, and
/// records each iteration's time in `times`.
fn timed(
    times: &mut Vec<Duration>,
    iters: u64,
    body: u64,
    mut decode: impl FnMut() -> u64,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        let len = black_box(decode());
        let took = start.elapsed();
        assert_eq!(len, body, "every body byte is seen");
        times.push(took);
        total += took;
    }
    total
}

/// Prints each row's median iteration as throughput, and ours/hyper.
fn report(shape: &Shape, wire: &[u8], rows: [(&str, &mut Vec<Duration>); 3]) {
    let body = shape.chunk as u64 * shape.chunks;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} chunks of {} B, {:.3} GiB of body, {:.3} GiB on the wire, \
         decoded whole per iteration, {READ} B reads",
        shape.name,
        shape.chunks,
        shape.chunk,
        body as f64 / GIB,
        wire.len() as f64 / GIB,
    );
    let mut medians = Vec::new();
    for (name, times) in rows {
        if times.is_empty() {
            continue; // filtered out on the command line
        }
        times.sort();
        let median = times[times.len() / 2].as_secs_f64();
        let _ = writeln!(
            out,
            "  {name:<17} {:>8.3} GiB/s {:>8.2} M chunks/s {:>9.1} ms \
             (median of {} iterations, {:.1} GiB decoded)",
            body as f64 / GIB / median,
            shape.chunks as f64 / 1e6 / median,
            median * 1e3,
            times.len(),
            (body as f64 * times.len() as f64) / GIB,
        );
        medians.push((name, median));
    }
    let median = |row| medians.iter().find(|(n, _)| *n == row).map(|r| r.1);
    if let Some(hyper) = median("hyper/reads") {
        for ours in ["inspector/reads", "inspector/slices"] {
            if let Some(t) = median(ours) {
                let _ =
                    writeln!(out, "  ours/hyper, {ours:<17} {:.2}x", hyper / t);
            }
        }
    }
    println!();
    publish(&format!("bench-decode-{}.txt", shape.name), &out);
}
