//! Chapter 11's browser measurements: lesson 11's pages in headless
//! Chromium, each piece's arrival and the first paint.
//!
//! The pieces' times are the wire's, read by the inspector on a request
//! of its own made at the same moment; the paints are Chromium's, from
//! DevTools. Both count from when their request was sent.

use std::thread;

use flusher::devtools::{self, Chromium, Piece};
use lesson_01_raw_tcp::page::DEFAULT_PAUSE;
use lesson_01_raw_tcp::testing;

use crate::Result;

/// Each page: its path, and what the server sends.
const CASES: &[(&str, &str)] = &[
    (
        "/text?nosniff=0",
        "text/plain, 16 × 100 B, one every 200 ms",
    ),
    ("/text?nosniff=1", "the same, with `nosniff`"),
    (
        "/charset?meta=early",
        "text/html, no charset; `<meta charset>` in the first piece",
    ),
    (
        "/charset?meta=late",
        "the same; `<meta charset>` at byte 1100",
    ),
    (
        "/blocking?by=script",
        "a shell with `<script src>`, which comes after 1500 ms",
    ),
    (
        "/blocking?by=stylesheet",
        "a shell with a stylesheet, which comes after 1500 ms",
    ),
    ("/blocking?by=nothing", "the same shell, loading nothing"),
];

pub fn files() -> Result<Vec<(String, String)>> {
    if !testing::require("chromium") {
        return Err("the paint table needs Debian's chromium".into());
    }
    let lesson = lesson_11_production::spawn(DEFAULT_PAUSE)?;
    let chromium = Chromium::start()?;
    let mut table = String::from(
        "| page | the server sends | first piece | first paint \
         (contentful) | bytes arrived by then | last piece |\n\
         |---|---|--:|--:|--:|--:|\n",
    );
    for &(path, sends) in CASES {
        let url = format!("http://{lesson}{path}");
        let wire = thread::spawn({
            let url = url.clone();
            move || devtools::wire(&url)
        });
        let load = chromium.load(&url)?;
        let wire = wire.join().expect("the inspector's thread panicked")?;
        let ms = |t: Option<f64>| {
            t.map_or("none".into(), |t| format!("{:.0} ms", round(t)))
        };
        let painted = load.first_contentful_paint_ms();
        // What had come off the wire when Chromium painted.
        let by_then: u64 = wire
            .iter()
            .filter(|p| painted.is_some_and(|t| p.at_ms <= t))
            .map(|p| p.bytes)
            .sum();
        let at = |p: Option<&Piece>| ms(p.map(|p| p.at_ms));
        table += &format!(
            "| `{path}` | {sends} | {} | {} ({}) | {by_then} B | {} |\n",
            at(wire.first()),
            ms(load.first_paint_ms()),
            ms(painted),
            at(wire.last()),
        );
    }
    Ok(vec![("11-production/browsers.md".into(), table)])
}

/// `ms` to the nearest 10 ms: finer than that, the figures change with
/// every run.
fn round(ms: f64) -> f64 {
    (ms / 10.0).round() * 10.0
}
