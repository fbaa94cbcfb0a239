//! A real browser sees the page grow: headless Chromium, stopped part-way
//! through the stream, has already parsed the parts that arrived. Lesson 01,
//! stopped at the same moment, has nothing at all.

use std::time::Duration;

use lesson_01_raw_tcp::{server, testing};

const PAUSE: Duration = Duration::from_millis(400);

/// The DOM Chromium had built `after` the navigation started.
fn dom_after(url: &str, after: Duration) -> String {
    testing::chromium(url, &["--dump-dom"], Some(after))
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
