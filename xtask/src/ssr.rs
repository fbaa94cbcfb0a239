//! `cargo xtask ssr`: the dashboard rendered four ways, measured side by
//! side in one run, on loopback, with the default delays:
//!
//! - CSR: lesson 06's `/csr`, a page whose script asks `/module/ID` for
//!   each module. Timed as a browser would fetch it: the page, then the
//!   five requests at once. A browser would also download, parse and run
//!   the script first; this leaves that out, so real CSR is slower.
//! - 06, blocking SSR; 07, streaming in order; 08, out of order.
//!
//! Each time is when the inspector read the bytes, from the moment the
//! request was written: the first byte, each module (the read that
//! carried its `<section>`; in lesson 08, its swap script comes in the
//! same chunk), and the end. Medians of [`RUNS`] runs.
//!
//! Writes `ssr/measure.txt` (the table, and the goals of issue 6),
//! `ssr/timeline.svg` (drawn by `inspector::svg`, one lane per way: the
//! records of its median run, its modules as dots), and what headless
//! Chromium shows of lessons 06, 07 and 08 [`AT`] after it started:
//! `ssr/at-600ms-{06,07,08}.png`.
//!
//! Each chapter shows only the ways it has taught, from the same run:
//! `ssr/measure-06.txt` and `ssr/timeline-06.svg` have CSR and lesson 06,
//! `ssr/measure-07.txt` and `ssr/timeline-07.svg` add lesson 07. Chapter
//! 08 shows all four.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use inspector::capture::Live;
use inspector::session::Record;
use inspector::svg::{Lane, Moment};
use inspector::verdict::Analysis;
use lesson_01_raw_tcp::testing::chromium;
use lesson_06_ssr_blocking::dashboard::{Delays, MODULES};

use crate::Result;

/// Runs of each way; the table shows medians.
const RUNS: usize = 5;

/// When the screenshots are taken, after Chromium starts.
const AT: Duration = Duration::from_millis(600);

/// When the parts of one page arrived, in milliseconds.
#[derive(Debug, Clone, Copy, Default)]
struct Times {
    first_byte: f64,
    /// Each module's, in module order.
    modules: [f64; MODULES.len()],
    complete: f64,
}

/// One way to render the page.
struct Way {
    name: &'static str,
    /// The file name of its screenshot.
    short: &'static str,
    addr: SocketAddr,
    path: &'static str,
}

pub fn run(root: &Path) -> Result {
    let out = root.join("book/src/generated");
    for (name, text) in files(&out)? {
        crate::transcripts::write(&out.join(name), &text)?;
    }
    print!("{}", std::fs::read_to_string(out.join("ssr/measure.txt"))?);
    Ok(())
}

/// The table and the timeline, `(file, contents)`; the screenshots are
/// written into `out/ssr/` directly.
pub fn files(out: &Path) -> Result<Vec<(String, String)>> {
    let delays = Delays::default();
    let blocking = lesson_06_ssr_blocking::spawn(delays)?;
    let ways = [
        Way {
            name: "CSR (06, /csr)",
            short: "csr",
            addr: blocking,
            path: "/csr",
        },
        Way {
            name: "06 blocking",
            short: "06",
            addr: blocking,
            path: "/",
        },
        Way {
            name: "07 in order",
            short: "07",
            addr: lesson_07_streaming_ssr::spawn(delays)?,
            path: "/",
        },
        Way {
            name: "08 out of order",
            short: "08",
            addr: lesson_08_out_of_order::spawn(delays)?,
            path: "/",
        },
    ];
    // One way at a time, one run at a time: nothing else disturbs them.
    let (mut measured, mut lanes) = (Vec::new(), Vec::new());
    for way in &ways {
        let mut runs = Vec::new();
        for _ in 0..RUNS {
            runs.push(match way.path {
                "/csr" => csr(way.addr)?,
                path => times(way.addr, path)?,
            });
        }
        let times: Vec<Times> = runs.iter().map(|r| r.0).collect();
        measured.push(median(&times));
        lanes.push(lane(way, runs, delays));
    }
    std::fs::create_dir_all(out.join("ssr"))?;
    // Not of CSR: Chromium takes its screenshot at the load event, if
    // that comes before `--timeout`, and the CSR page has loaded long
    // before its script's requests are answered.
    for way in &ways[1..] {
        let url = format!("http://{}{}", way.addr, way.path);
        let name = format!("ssr/at-{}ms-{}.png", AT.as_millis(), way.short);
        let screenshot = format!("--screenshot={}", out.join(name).display());
        chromium(&url, &["--window-size=900,560", &screenshot], Some(AT));
    }
    let all: Vec<usize> = (0..ways.len()).collect();
    Ok([
        (
            "ssr/measure.txt".to_owned(),
            table(&ways, &measured, delays, &all),
        ),
        (
            "ssr/timeline.svg".to_owned(),
            inspector::svg::timeline(&lanes),
        ),
    ]
    .into_iter()
    .chain(VIEWS.iter().flat_map(|&(chapter, shown)| {
        let shown_lanes: Vec<_> =
            shown.iter().map(|&i| lanes[i].clone()).collect();
        [
            (
                format!("ssr/measure-{chapter}.txt"),
                table(&ways, &measured, delays, shown),
            ),
            (
                format!("ssr/timeline-{chapter}.svg"),
                inspector::svg::timeline(&shown_lanes),
            ),
        ]
    }))
    .collect())
}

/// Where each way is in `files`' list.
const CSR: usize = 0;
const BLOCKING: usize = 1;
const IN_ORDER: usize = 2;
const OUT_OF_ORDER: usize = 3;

/// The ways chapters 06 and 07 show: those taught so far. A lesson's rows
/// come in its own chapter, not before it.
const VIEWS: [(&str, &[usize]); 2] =
    [("06", &[CSR, BLOCKING]), ("07", &[CSR, BLOCKING, IN_ORDER])];

/// The times of one `GET path`, and its records.
fn times(addr: SocketAddr, path: &str) -> Result<(Times, Vec<Record>)> {
    let mut times = Times::default();
    let mut seen = [false; MODULES.len()];
    let records = Live::get(addr, path)?.records("GET", usize::MAX)?;
    for record in records.iter().cloned() {
        let (t, data) = match record {
            Record::Head { t_ms, .. } => {
                times.first_byte = t_ms;
                continue;
            }
            Record::Chunk(chunk) => (chunk.t_ms, chunk.data),
            Record::Data { t_ms, data, .. } => (t_ms, data),
            Record::End { t_ms, .. } => {
                times.complete = t_ms;
                continue;
            }
            Record::Error { message, .. } => return Err(message.into()),
            Record::Trailers { .. }
            | Record::Event { .. }
            | Record::WsFrame { .. }
            | Record::H2Frame(_)
            | Record::Verdict(_) => continue,
        };
        for (i, module) in MODULES.iter().enumerate() {
            // The module's own section: placeholders and skeletons have
            // ids of their own (`feed-placeholder`).
            let section = format!(" id=\"{}\"><h2>", module.id);
            if !seen[i] && data.contains(&section) {
                seen[i] = true;
                times.modules[i] = t;
            }
        }
    }
    if seen.contains(&false) {
        return Err(format!("GET {path}: a module never came").into());
    }
    Ok((times, records))
}

/// The times of the page rendered in the browser: the page, then each
/// module's request, all at once, as its script makes them. Its records
/// are the page's and each module's pieces, on the page's clock, and a
/// verdict on all their content as the browser gets it.
fn csr(addr: SocketAddr) -> Result<(Times, Vec<Record>)> {
    let start = Instant::now();
    let page = Live::get(addr, "/csr")?.records("GET", 0)?;
    let (first, end) = times_of_page(&page)?;
    let mut times = Times {
        first_byte: first,
        ..Times::default()
    };
    let done: Vec<Result<(f64, Vec<Record>)>> = thread::scope(|scope| {
        let jobs: Vec<_> = MODULES
            .iter()
            .map(|module| {
                scope.spawn(move || -> Result<(f64, Vec<Record>)> {
                    let sent = ms(start.elapsed());
                    let path = format!("/module/{}", module.id);
                    let records = Live::get(addr, &path)?.records("GET", 0)?;
                    let pieces =
                        records.into_iter().filter_map(|r| shifted(r, sent));
                    Ok((ms(start.elapsed()), pieces.collect()))
                })
            })
            .collect();
        jobs.into_iter()
            .map(|j| j.join().expect("a module request panicked"))
            .collect()
    });
    let mut records: Vec<Record> = page
        .into_iter()
        .filter(|r| !matches!(r, Record::End { .. } | Record::Verdict(_)))
        .collect();
    for (slot, got) in times.modules.iter_mut().zip(done) {
        let (t, pieces) = got?;
        *slot = t;
        records.extend(pieces);
    }
    times.complete = times.modules.iter().copied().fold(end, f64::max);
    records.sort_by(|a, b| at(a).total_cmp(&at(b)));
    let (mut analysis, mut body) = (Analysis::new(), 0);
    let d = |t: f64| Duration::from_secs_f64(t / 1000.0);
    for r in &records {
        match r {
            Record::Head {
                t_ms,
                version,
                framing,
                headers,
                ..
            } => analysis.head(d(*t_ms), version, framing, headers),
            Record::Data { t_ms, len, .. } => {
                body += *len as u64;
                analysis.arrived(d(*t_ms), *len as u64, *len as u64);
            }
            Record::Chunk(c) if !c.last => {
                body += c.size;
                analysis.arrived(d(c.t_ms), c.size, c.size);
            }
            _ => {}
        }
    }
    records.push(Record::End {
        t_ms: times.complete,
        chunks: 0,
        body_bytes: body,
        frames: None,
    });
    records.push(Record::Verdict(analysis.verdict(true)));
    Ok((times, records))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// When a record came, for sorting; 0 for those without a time.
fn at(record: &Record) -> f64 {
    match record {
        Record::Head { t_ms, .. } | Record::Data { t_ms, .. } => *t_ms,
        Record::Chunk(c) => c.t_ms,
        _ => 0.0,
    }
}

/// A module response's piece, on the page's clock: `by` later. Its head
/// and end are not the page's, and are left out.
fn shifted(mut record: Record, by: f64) -> Option<Record> {
    match &mut record {
        Record::Data { t_ms, .. } => *t_ms += by,
        Record::Chunk(c) if !c.last => {
            c.t_first_ms += by;
            c.t_ms += by;
        }
        _ => return None,
    }
    Some(record)
}

/// One way's lane of the timeline: the run whose end was the median,
/// with a dot per module when it came and a faint bar from when its
/// data was in (its source's latency).
fn lane(
    way: &Way,
    mut runs: Vec<(Times, Vec<Record>)>,
    delays: Delays,
) -> Lane {
    runs.sort_by(|a, b| a.0.complete.total_cmp(&b.0.complete));
    let (times, records) = runs.swap_remove(runs.len() / 2);
    let mut lane = Lane::new(way.name, records);
    lane.moments = MODULES
        .iter()
        .zip(times.modules)
        .zip(delays.0)
        .map(|((module, at_ms), delay)| Moment {
            name: module.id.to_owned(),
            from_ms: Some(ms(delay)),
            at_ms,
        })
        .collect();
    lane
}

/// When `/csr`'s first and last bytes came.
fn times_of_page(records: &[Record]) -> Result<(f64, f64)> {
    let first = records.iter().find_map(|r| match r {
        Record::Head { t_ms, .. } => Some(*t_ms),
        _ => None,
    });
    let end = records.iter().find_map(|r| match r {
        Record::End { t_ms, .. } => Some(*t_ms),
        _ => None,
    });
    first
        .zip(end)
        .ok_or_else(|| "GET /csr: no complete answer".into())
}

/// Each time's median over `runs`.
fn median(runs: &[Times]) -> Times {
    let mid = |f: &dyn Fn(&Times) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut m = Times {
        first_byte: mid(&|t| t.first_byte),
        complete: mid(&|t| t.complete),
        ..Times::default()
    };
    for i in 0..MODULES.len() {
        m.modules[i] = mid(&|t| t.modules[i]);
    }
    m
}

/// The table of the ways in `shown` (indices into `ways`), and how each
/// goal of issue 6 about them fared. The whole table is what `cargo xtask
/// ssr` prints, so it starts with the command; a part of it does not.
fn table(
    ways: &[Way],
    measured: &[Times],
    delays: Delays,
    shown: &[usize],
) -> String {
    let mut out = if shown.len() == ways.len() {
        "$ cargo xtask ssr\n".to_owned()
    } else {
        String::new()
    };
    let _ = write!(
        out,
        "delays (ms): {}\n\
         loopback, {} build, median of {RUNS} runs; \
         milliseconds from the moment the request was written\n\n{:<16}{:>11}",
        MODULES
            .iter()
            .zip(delays.0)
            .map(|(m, d)| format!("{} {}", m.id, d.as_millis()))
            .collect::<Vec<_>>()
            .join(", "),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        "",
        "first byte"
    );
    for module in MODULES {
        let _ = write!(out, "{:>9}", &module.id[..module.id.len().min(8)]);
    }
    let _ = writeln!(out, "{:>10}", "complete");
    for &i in shown {
        let (way, t) = (&ways[i], &measured[i]);
        let _ = write!(out, "{:<16}{:>11.1}", way.name, t.first_byte);
        for m in t.modules {
            let _ = write!(out, "{m:>9.1}");
        }
        let _ = writeln!(out, "{:>10.1}", t.complete);
    }
    let slowest = delays.slowest().as_secs_f64() * 1000.0;
    let (blocking, streamed) = (&measured[BLOCKING], &measured[OUT_OF_ORDER]);
    let (late, module) = streamed
        .modules
        .iter()
        .zip(delays.0)
        // The fetches start as the shell is sent: a module's data is in
        // one delay after the shell (plus up to 1 ms: tokio's timer ticks
        // in whole milliseconds, and rounds a sleep up).
        .map(|(t, d)| t - streamed.first_byte - d.as_secs_f64() * 1000.0)
        .zip(MODULES)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap_or((0.0, MODULES[0]));
    // Each goal with the index of the way it is about.
    let goals = [
        (
            OUT_OF_ORDER,
            "08 first byte <= 1 ms".to_owned(),
            format!("{:.2} ms", streamed.first_byte),
            streamed.first_byte <= 1.0,
        ),
        (
            OUT_OF_ORDER,
            "08 each module <= 2 ms after its data".to_owned(),
            format!("{late:.2} ms at most ({})", module.id),
            late <= 2.0,
        ),
        (
            OUT_OF_ORDER,
            format!("08 complete <= slowest + 5 = {:.0} ms", slowest + 5.0),
            format!("{:.1} ms", streamed.complete),
            streamed.complete <= slowest + 5.0,
        ),
        (
            BLOCKING,
            format!("06 first byte >= slowest = {slowest:.0} ms"),
            format!("{:.1} ms", blocking.first_byte),
            blocking.first_byte >= slowest,
        ),
    ];
    out += "\ngoals\n";
    for (_, goal, got, met) in
        goals.into_iter().filter(|g| shown.contains(&g.0))
    {
        let met = if met { "met" } else { "NOT MET" };
        let _ = writeln!(out, "  {goal:<42} {got:<32} {met}");
    }
    out
}
