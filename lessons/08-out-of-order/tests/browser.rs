//! Lesson 08 in a real browser, headless Chromium: the fast modules are
//! on the page while the slow module's data is still being fetched, and
//! once it is all in, the page is lesson 06's.

use std::time::Duration;

use lesson_01_raw_tcp::testing::{chromium, require};
use lesson_06_ssr_blocking::dashboard::Delays;

/// The `<main>` of the DOM Chromium built, stopped `after` if given.
fn main_element(url: &str, after: Option<Duration>) -> String {
    let dom = chromium(url, &["--dump-dom"], after);
    let start = dom
        .find("<main>")
        .unwrap_or_else(|| panic!("no <main>: {dom}"));
    let end = dom.find("</main>").map_or(dom.len(), |end| end + 7);
    dom[start..end].to_owned()
}

// ANCHOR: browser
#[test]
fn chromium_shows_the_fast_modules_while_the_slow_one_is_fetched() {
    if !require("chromium") {
        return;
    }
    let addr = lesson_08_out_of_order::spawn(Delays::default()).unwrap();
    // The recommendations take 4 s, the others at most 150 ms. Chromium
    // stops at 2 s after it started, so before the recommendations' data
    // is in, however slowly it starts.
    let url = format!("http://{addr}/?delays=10,50,4000,100,150");
    let main = main_element(&url, Some(Duration::from_secs(2)));
    for fast in ["profile", "feed", "comments", "weather"] {
        let swapped = format!("<section class=\"module\" id=\"{fast}\">");
        let swapped_error =
            format!("<section class=\"module error\" id=\"{fast}\">");
        assert!(
            main.contains(&swapped) || main.contains(&swapped_error),
            "{fast} is not on the page: {main}"
        );
        assert!(!main.contains(&format!("{fast}-placeholder")), "{main}");
    }
    assert!(
        main.contains("id=\"recommendations-placeholder\""),
        "{main}"
    );
    assert!(!main.contains("id=\"recommendations\""), "{main}");
    // The templates and scripts of the swapped modules are gone.
    assert!(
        !main.contains("<template") && !main.contains("<script"),
        "{main}"
    );
}

#[test]
fn the_finished_page_is_lesson_06s() {
    if !require("chromium") {
        return;
    }
    let delays = Delays::parse("10,300,120,50,200").unwrap();
    let streamed = lesson_08_out_of_order::spawn(delays).unwrap();
    let blocking = lesson_06_ssr_blocking::spawn(delays).unwrap();
    let streamed = main_element(&format!("http://{streamed}/"), None);
    let blocking = main_element(&format!("http://{blocking}/"), None);
    assert_eq!(streamed, blocking);
    assert!(streamed.contains("Weather is not available right now."));
}
// ANCHOR_END: browser
