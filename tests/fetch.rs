//! Lesson 09's `/fetch` page in Chromium: the events of a POSTed stream,
//! read with `fetch()`, each shown as it arrives.
//!
//! `--dump-dom` cannot wait for this page: it dumps at the `load` event,
//! long before the reply ends, and `--virtual-time-budget` stops waiting
//! once the response's head is in, since a body read by `fetch()` does
//! not hold virtual time as an `EventSource` does. So the test asks the
//! page itself, over DevTools (`flusher::devtools`).

use flusher::devtools::Chromium;
use lesson_01_raw_tcp::testing::require;
use lesson_09_sse::{Plan, spawn};

// ANCHOR: browser
#[test]
fn chromium_shows_each_event_as_it_arrives() {
    if !require("chromium") {
        return;
    }
    let addr = spawn(Plan::default()).unwrap();
    // Four words, 200 ms apart: the page stamps each item with the time
    // it was shown, in ms since it called fetch().
    let url = format!("http://{addr}/fetch?n=4&every=200");
    let page = Chromium::start()
        .unwrap()
        .evaluate(&url, UNTIL_DONE)
        .unwrap();
    let items: Vec<(&str, f64)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i[0].as_str().unwrap(), i[1].as_f64().unwrap()))
        .collect();
    let texts: Vec<&str> = items.iter().map(|i| i.0).collect();
    let expected = [
        "token: Chunk",
        "token: after",
        "token: chunk,",
        "token: the",
        "done: 4 words",
    ];
    assert_eq!(texts, expected, "{page}");
    assert_eq!(page["status"], "done", "{page}");
    // Each word shown when it came, about 200 ms after the one before:
    // not all of them at the end.
    for pair in items[..4].windows(2) {
        let gap = pair[1].1 - pair[0].1;
        assert!((100.0..400.0).contains(&gap), "{gap} ms: {page}");
    }
}
// ANCHOR_END: browser

/// A promise that settles once the page's reply is over: the list's
/// items (text, and when each was shown) and the status.
const UNTIL_DONE: &str = r##"new Promise((resolve) => {
  const check = () => {
    const status = document.getElementById("status");
    if (!status || ["asking", "streaming"].includes(status.textContent)) {
      return setTimeout(check, 20);
    }
    const items = [...document.querySelectorAll("#events li")]
      .map((li) => [li.textContent.replace(/ \(.*\)$/, ""),
                    Number(li.dataset.ms)]);
    resolve({ items, status: status.textContent });
  };
  check();
})"##;
