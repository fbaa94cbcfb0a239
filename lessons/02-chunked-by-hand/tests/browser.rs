//! A real browser sees the page grow: headless Chromium, stopped part-way
//! through the stream, has already parsed the parts that arrived. Lesson 01,
//! stopped at the same moment, has nothing at all.

use std::process::Command;
use std::time::Duration;

use lesson_01_raw_tcp::{server, testing};

const PAUSE: Duration = Duration::from_millis(400);

/// The DOM Chromium had built `after` the navigation started.
fn dom_after(url: &str, after: Duration) -> String {
    let profile = std::env::temp_dir()
        .join(format!("flusher-chromium-{}", std::process::id()))
        .join(url.replace([':', '/'], "_"));
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox", // CI runs as root
            "--disable-gpu",
            "--no-first-run",
            // This machine's network is closed; don't let Chromium try.
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.display()),
            // Stop loading after this long, then dump what was parsed.
            &format!("--timeout={}", after.as_millis()),
            "--dump-dom",
            url,
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn chromium_shows_the_parts_that_arrived_and_lesson_01_shows_nothing() {
    if !testing::require("chromium") {
        return;
    }
    // Stop between the second and third pause: parts 0 and 1 have arrived
    // (at 0 and 400 ms), part 4 (at 1600 ms) has not. The margins are wide:
    // a browser takes a moment to start.
    let stop = PAUSE * 5 / 2;

    let chunked =
        server::spawn(lesson_02_chunked_by_hand::handler(PAUSE, true)).unwrap();
    let dom = dom_after(&format!("http://{chunked}/"), stop);
    assert!(dom.contains("<h1>One page, five parts</h1>"), "{dom}");
    assert!(dom.contains("Part 1 arrived"), "{dom}");
    assert!(!dom.contains("Part 4 arrived"), "{dom}");

    let whole = server::spawn(lesson_01_raw_tcp::handler(PAUSE)).unwrap();
    let dom = dom_after(&format!("http://{whole}/"), stop);
    assert!(!dom.contains("<h1>"), "lesson 01 sent nothing yet: {dom}");
}
