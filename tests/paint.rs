//! What Chromium really does with lesson 11's pages, which all stream
//! perfectly: when it paints, set against when the pieces arrived.
//!
//! Paints, and a subresource's arrival, are Chromium's, from DevTools;
//! a page's pieces are the wire's, read by the inspector on a request
//! of its own made at the same moment (DevTools reports bytes only when
//! the page gets them). The test asserts orders, with a gap between two
//! pieces (200 ms) as the margin where two clocks meet; never times.

use std::thread;

use flusher::devtools::{self, Chromium, Load, Piece};
use lesson_01_raw_tcp::page::DEFAULT_PAUSE;
use lesson_01_raw_tcp::testing;

#[test]
fn chromium_paints_as_its_rules_on_the_first_bytes_say() {
    if !testing::require("chromium") {
        return;
    }
    let lesson = lesson_11_production::spawn(DEFAULT_PAUSE).unwrap();
    let chromium = Chromium::start().unwrap();
    let measure = |path: &str| {
        let url = format!("http://{lesson}{path}");
        let wire = thread::spawn({
            let url = url.clone();
            move || devtools::wire(&url).unwrap()
        });
        let load = chromium.load(&url).unwrap();
        let painted = load.first_contentful_paint_ms();
        let painted = painted.unwrap_or_else(|| panic!("{path}: no paint"));
        // Shown when the test fails, or with --nocapture.
        eprintln!("{path}: painted at {painted:.0} ms");
        (load, wire.join().unwrap(), painted)
    };

    // MIME sniffing: without nosniff, nothing reaches the page before
    // 1024 bytes have, and nothing is painted before.
    let (load, wire, painted) = measure("/text?nosniff=0");
    let complete = completing(&wire, 1024);
    assert!(painted > wire[complete - 1].at_ms, "sniffed: painted early");
    let first = load.pieces()[0];
    assert!(first.bytes >= 1024, "the page got {} B first", first.bytes);
    // With it, the first piece is painted before the second arrives.
    let (_, wire, painted) = measure("/text?nosniff=1");
    assert!(painted < wire[1].at_ms, "not sniffed: painted late");

    // The charset: Chromium does not wait for the 1024 bytes of the
    // prescan, with or without an early `<meta charset>`.
    for path in ["/charset?meta=early", "/charset?meta=late"] {
        let (_, wire, painted) = measure(path);
        assert!(painted < wire[1].at_ms, "{path}: painted late");
    }

    // A classic script stops the parser, and so the paint, until it has
    // come; a stylesheet stops the paint, not the parser.
    let (load, _, painted) = measure("/blocking?by=script");
    let script = load.resource_ms("/slow.js").expect("/slow.js loaded");
    assert!(painted > script, "painted before the script came");
    assert!(parsed(&load) > script, "parsed before the script came");
    let (load, _, painted) = measure("/blocking?by=stylesheet");
    let sheet = load.resource_ms("/slow.css").expect("/slow.css loaded");
    assert!(painted > sheet, "painted before the stylesheet came");
    assert!(parsed(&load) < sheet, "the stylesheet held the parser");
    // Loading nothing, the shell is painted at once: before its third
    // piece.
    let (_, wire, painted) = measure("/blocking?by=nothing");
    assert!(painted < wire[2].at_ms, "unblocked: painted late");
}

#[test]
fn chromium_decodes_a_page_whose_charset_comes_late_as_windows_1252() {
    if !testing::require("chromium") {
        return;
    }
    let lesson = lesson_11_production::spawn(DEFAULT_PAUSE).unwrap();
    let dom = |meta: &str| {
        let url = format!("http://{lesson}/charset?meta={meta}");
        testing::chromium(&url, &["--dump-dom"], None)
    };
    assert!(dom("early").contains("<h1>Où est le charset ?</h1>"));
    // UTF-8's "ù", two bytes, read as two windows-1252 characters; the
    // `<meta charset>` that comes later changes nothing, not even the
    // pieces after it.
    let late = dom("late");
    assert!(late.contains("<h1>OÃ¹ est le charset ?</h1>"), "{late}");
    assert!(late.contains("Piece 15, aprÃ¨s"), "{late}");
}

/// The index of the piece with which `wire` has brought `bytes` bytes.
fn completing(wire: &[Piece], bytes: u64) -> usize {
    let mut total = 0;
    wire.iter()
        .position(|p| {
            total += p.bytes;
            total >= bytes
        })
        .unwrap_or_else(|| panic!("fewer than {bytes} B came"))
}

/// When the document was parsed: its `DOMContentLoaded`.
fn parsed(load: &Load) -> f64 {
    load.event_ms("DOMContentLoaded").expect("DOMContentLoaded")
}
