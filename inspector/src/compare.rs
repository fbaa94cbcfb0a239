//! `inspector compare URL URL [URL...]`: the same request to each target,
//! at once (or one by one), and what each one's content did, side by side
//! on one time axis. The typical use is origin, proxy, CDN: the hop where
//! the stream turns into a burst is the one that buffers.
//!
//! Each target is an ordinary exchange, through the same [`Live`] and
//! [`Session`]: compare adds no decoding of its own, only the judging of
//! several verdicts together.

use std::io;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, SystemTime};

use crate::capture::Live;
use crate::human::bytes;
use crate::session::{Record, Session};
use crate::target::{Request, Target};
use crate::transport::{self, TlsFailure};
use crate::verdict::{Clue, Verdict};

/// One target's run: its URL, and its records as they came.
#[derive(Debug, Clone)]
pub struct Run {
    pub url: String,
    pub records: Vec<Record>,
    /// The wall clock when its request was written, for `--har`; none
    /// if it never was.
    pub started: Option<SystemTime>,
}

impl Run {
    /// Its verdict: the record after its end or error.
    pub fn verdict(&self) -> Option<&Verdict> {
        self.records.iter().rev().find_map(|r| match r {
            Record::Verdict(v) => Some(v),
            _ => None,
        })
    }

    /// What failed, if the run did.
    fn failure(&self) -> Option<&str> {
        self.records.iter().find_map(|r| match r {
            Record::Error { message, .. } => Some(message.as_str()),
            _ => None,
        })
    }
}

/// How to run the targets.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub request: Request,
    pub transport: transport::Options,
    pub max_data: usize,
    /// One after another, each to its end, instead of all at once: for
    /// targets that share a server that must not be loaded twice.
    pub one_by_one: bool,
}

/// Sends `plan`'s request to every URL, and gives `each` every record as
/// it comes, with the index of its target. Returns each target's run.
pub fn run(
    urls: &[String],
    plan: &Plan,
    mut each: impl FnMut(usize, &Record),
) -> Vec<Run> {
    let mut runs: Vec<Run> = urls
        .iter()
        .map(|url| Run {
            url: url.clone(),
            records: Vec::new(),
            started: None,
        })
        .collect();
    let mut take = |i: usize, record: Record| {
        each(i, &record);
        runs[i].records.push(record);
    };
    let mut started = vec![None; urls.len()];
    if plan.one_by_one {
        for (i, url) in urls.iter().enumerate() {
            started[i] = capture(url, plan, &mut |r| take(i, r));
        }
    } else {
        let (tx, rx) = mpsc::channel();
        thread::scope(|scope| {
            let mut threads = Vec::new();
            for (i, url) in urls.iter().enumerate() {
                let tx = tx.clone();
                threads.push(scope.spawn(move || {
                    capture(url, plan, &mut |r| {
                        let _ = tx.send((i, r));
                    })
                }));
            }
            drop(tx);
            // In the order they arrive, whichever target sent them.
            for (i, record) in rx {
                take(i, record);
            }
            for (i, thread) in threads.into_iter().enumerate() {
                started[i] = thread.join().ok().flatten();
            }
        });
    }
    for (run, started) in runs.iter_mut().zip(started) {
        run.started = started;
    }
    runs
}

/// One target's exchange, to its end; a target that cannot be reached
/// gives an error record, so that the others are still compared.
/// Returns when the request was written, if it was.
fn capture(
    url: &str,
    plan: &Plan,
    emit: &mut impl FnMut(Record),
) -> Option<SystemTime> {
    let fail = |kind, message: String| Record::Error {
        t_ms: 0.0,
        offset: 0,
        kind,
        message,
    };
    let target: Target = match url.parse() {
        Ok(target) => target,
        Err(e) => {
            emit(fail("target", e));
            return None;
        }
    };
    let request = target.request(&plan.request);
    let mut live = match Live::open(&target, &request, &plan.transport) {
        Ok(live) => live,
        Err(e) => {
            let kind = if TlsFailure::of(&e).is_some() {
                "tls"
            } else {
                "connect"
            };
            emit(fail(kind, e.to_string()));
            return None;
        }
    };
    let started = live.started();
    let mut session = Session::for_request(&request, plan.max_data)
        .with_connection(live.connection());
    while !session.is_done() {
        if let Err(e) = live.step(&mut session, None, emit) {
            let t_ms = live.elapsed().as_secs_f64() * 1e3;
            emit(Record::Error {
                t_ms,
                offset: 0,
                kind: "io",
                message: e.to_string(),
            });
            break;
        }
    }
    Some(started)
}

/// A short name for each target: its host and port, or its whole URL
/// where two share those.
pub fn labels(runs: &[Run]) -> Vec<String> {
    let short: Vec<String> = runs
        .iter()
        .map(|run| match run.url.parse::<Target>() {
            Ok(t) => t.authority(),
            Err(_) => run.url.clone(),
        })
        .collect();
    let unique = short
        .iter()
        .enumerate()
        .all(|(i, s)| !short[..i].contains(s));
    match unique {
        true => short,
        false => runs.iter().map(|r| r.url.clone()).collect(),
    }
}

/// Where the targets differ, in a sentence or two: the first is the
/// reference (the origin, typically), and the first target after it that
/// stops streaming is named as the hop that buffers, with its clues.
pub fn differences(runs: &[Run]) -> String {
    let labels = labels(runs);
    let said: Vec<String> = runs
        .iter()
        .zip(&labels)
        .map(|(run, label)| match (run.verdict(), run.failure()) {
            (_, Some(why)) if run.verdict().is_none() => {
                format!("{label} failed: {why}")
            }
            (Some(v), _) => format!("{label} {}", v.brief()),
            (None, _) => format!("{label} gave no verdict"),
        })
        .collect();
    let streams = |run: &Run| run.verdict().is_some_and(|v| v.streamed);
    let mut out = said.join("; ") + ".";
    let Some(reference) = runs.first() else {
        return "Nothing to compare.".into();
    };
    if runs.iter().all(|r| streams(r) == streams(reference)) {
        let alike = match streams(reference) {
            true => "They all stream.",
            false => "None of them streams.",
        };
        return format!("{out} {alike}");
    }
    if streams(reference)
        && let Some(i) = runs.iter().position(|r| !streams(r))
    {
        out += &format!(" The stream breaks at {}.", labels[i]);
        let (was, is) = (framing(reference), framing(&runs[i]));
        if was != is
            && let (Some(was), Some(is)) = (was, is)
        {
            out += &format!(
                " It answers with {is} framing where {} sends {was}, and \
                 held the content: the body was probably gathered first, \
                 by this hop, or by the server behind it, asked in \
                 HTTP/1.0 (which has no chunks) as nginx asks by default \
                 before 1.29.7.",
                labels[0]
            );
        }
        if let Some(clue) = runs[i].verdict().and_then(hop_clue) {
            out += &format!(" {}", clue.message);
        }
    } else if let Some(i) = runs.iter().position(streams) {
        out += &format!(
            " {} streams where {} does not: compare their heads.",
            labels[i], labels[0]
        );
    }
    out
}

/// The head's framing of a run.
fn framing(run: &Run) -> Option<&'static str> {
    run.records.iter().rev().find_map(|r| match r {
        Record::Head { framing, .. } => Some(*framing),
        _ => None,
    })
}

/// The clue that says most about a hop that buffers: what a proxy's
/// configuration does first, then what the response says.
fn hop_clue(verdict: &Verdict) -> Option<&Clue> {
    let order = [
        "x_accel_buffering",
        "proxy",
        "http_1_0",
        "compression",
        "content_length",
        "head_held",
    ];
    order
        .iter()
        .find_map(|&code| verdict.clues.iter().find(|c| c.code == code))
        .or(verdict.clues.first())
}

/// The targets' content over time, as text: for each, its label and
/// verdict, then its lane, `width` columns on the time axis that all the
/// lanes share, each column as high as the content it got.
pub fn lanes(runs: &[Run], width: usize) -> String {
    let arrivals: Vec<Vec<(f64, u64)>> = runs.iter().map(pieces).collect();
    let end = arrivals
        .iter()
        .flatten()
        .map(|&(t, _)| t)
        .fold(1.0_f64, f64::max);
    // In whole microseconds: a column is an integer's share of the axis.
    let us = |ms: f64| Duration::from_secs_f64(ms / 1e3).as_micros();
    let columns: Vec<Vec<u64>> = arrivals
        .iter()
        .map(|pieces| {
            let mut column = vec![0; width];
            for &(t, n) in pieces {
                let at = us(t) * (width as u128 - 1) / us(end).max(1);
                let at = usize::try_from(at).unwrap_or(width).min(width - 1);
                column[at] += n;
            }
            column
        })
        .collect();
    let most = columns.iter().flatten().copied().max().unwrap_or(0).max(1);
    let blocks = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let mut out = String::new();
    for ((label, column), run) in labels(runs).iter().zip(&columns).zip(runs) {
        let word = run.verdict().map_or("—", |v| v.pattern.name());
        let lane: String = column
            .iter()
            .map(|&n| match n {
                0 => '·',
                // At least the lowest block: a byte is not nothing.
                n => {
                    blocks[usize::try_from((n * 8).div_ceil(most))
                        .map_or(7, |b| b.clamp(1, 8) - 1)]
                }
            })
            .collect();
        out += &format!("{label}  {word}\n│{lane}│\n");
    }
    let end = crate::human::time(end);
    // As wide as a lane and its borders: `width` + 2.
    out += &format!(" 0 ms {end:>w$}\n", w = width.saturating_sub(4));
    out
}

/// When each piece of content arrived, and its bytes: chunks, reads of a
/// plain body, DATA frames; content bytes where the body is coded.
fn pieces(run: &Run) -> Vec<(f64, u64)> {
    run.records
        .iter()
        .filter_map(|r| match r {
            Record::Chunk(c) if !c.last => {
                let n = c.content.as_ref().map_or(c.size, |c| c.content_len);
                Some((c.t_ms, n))
            }
            Record::Data {
                t_ms, len, content, ..
            } => Some((
                *t_ms,
                content.as_ref().map_or(*len as u64, |c| c.content_len),
            )),
            Record::H2Frame(f) if f.data.is_some() && f.len > 0 => {
                let n = f
                    .content
                    .as_ref()
                    .map_or(u64::from(f.len), |c| c.content_len);
                Some((f.t_ms, n))
            }
            _ => None,
        })
        .collect()
}

/// Every target's verdict and lane, then where they differ: what
/// `--plain` prints once the runs are over.
pub fn report(runs: &[Run]) -> String {
    let labels = labels(runs);
    let mut out = String::new();
    for (run, label) in runs.iter().zip(&labels) {
        let said = match (run.verdict(), run.failure()) {
            (Some(v), _) => format!("{}: {}", v.pattern.name(), v.sentence()),
            (None, Some(why)) => format!("failed: {why}"),
            (None, None) => "no verdict".into(),
        };
        let content = run.verdict().map_or(0, |v| v.content_bytes);
        out += &format!("{label}  {}  {said}\n", bytes(content));
    }
    out += "\n";
    out += &lanes(runs, 60);
    out += "\n";
    out += &differences(runs);
    out += "\n";
    out
}

/// `--svg`'s picture: every target's Timeline, one above the other on
/// one time axis, each with its verdict.
pub fn svg(runs: &[Run]) -> String {
    let lanes: Vec<crate::svg::Lane> = runs
        .iter()
        .zip(labels(runs))
        .map(|(run, label)| crate::svg::Lane::new(label, run.records.clone()))
        .collect();
    crate::svg::timeline(&lanes)
}

/// Writes `record` as `--json` does, with `"target"` first.
pub fn json_line(target: &str, record: &Record) -> io::Result<String> {
    crate::json::tagged("target", &target, record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(url: &str, records: Vec<Record>) -> Run {
        Run {
            url: url.into(),
            records,
            started: None,
        }
    }

    fn failed(message: &str) -> Record {
        Record::Error {
            t_ms: 0.0,
            offset: 0,
            kind: "connect",
            message: message.into(),
        }
    }

    #[test]
    fn labels_are_host_and_port_unless_two_share_them() {
        let two = [run("http://a:1/x", vec![]), run("http://b:2/", vec![])];
        assert_eq!(labels(&two), ["a:1", "b:2"]);
        let same = [run("http://a:1/x", vec![]), run("http://a:1/y", vec![])];
        assert_eq!(labels(&same), ["http://a:1/x", "http://a:1/y"]);
    }

    #[test]
    fn a_target_that_failed_is_said_so() {
        let runs = [
            run(
                "http://a:1/",
                vec![failed("cannot connect to a:1: refused")],
            ),
            run("http://b:2/", vec![failed("no address")]),
        ];
        assert_eq!(
            differences(&runs),
            "a:1 failed: cannot connect to a:1: refused; b:2 failed: no \
             address. None of them streams."
        );
        assert_eq!(
            lanes(&runs, 8),
            "a:1  —\n│········│\nb:2  —\n│········│\n 0 ms 1.0 ms\n"
        );
    }
}
