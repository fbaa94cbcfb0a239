//! The page rendered in the browser (`/csr`), for comparison: headless
//! Chromium runs its script, which asks for each module, and ends up with
//! the modules lesson 06 renders on the server.

use lesson_01_raw_tcp::testing::{chromium, require};
use lesson_06_ssr_blocking::dashboard::Delays;

/// The `<section>`s of the DOM Chromium built, once the page's requests
/// were done.
fn sections(url: &str) -> Vec<String> {
    // A virtual time budget: Chromium waits until the network is idle,
    // the script's requests included, before it dumps the DOM.
    let dom =
        chromium(url, &["--virtual-time-budget=5000", "--dump-dom"], None);
    dom.split("<section")
        .skip(1)
        .map(|s| s[..s.find("</section>").unwrap_or(s.len())].to_owned())
        .collect()
}

#[test]
fn the_page_rendered_in_the_browser_has_the_modules_rendered_on_the_server() {
    if !require("chromium") {
        return;
    }
    let addr = lesson_06_ssr_blocking::spawn(Delays::default()).unwrap();
    let query = "?delays=10,60,30,20,40";
    let server = sections(&format!("http://{addr}/{query}"));
    let browser = sections(&format!("http://{addr}/csr{query}"));
    assert_eq!(server.len(), 5);
    assert_eq!(browser, server);
}
