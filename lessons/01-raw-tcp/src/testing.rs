//! Helpers that the lessons' tests share.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// What tests put in place of a `Date` value, which changes every second.
pub const DATE_MASK: &str = "<date>";

/// Replaces the value of the `Date` field in `response` with [`DATE_MASK`],
/// so that tests can compare every other byte exactly. Panics (failing the
/// test) if there is no `Date` field or its value is not a valid HTTP date.
pub fn mask_date(response: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(response);
    let start = text.find("\r\nDate: ").expect("a Date field") + 8;
    let len = text[start..].find("\r\n").expect("a complete Date field");
    let value = &text[start..start + len];
    assert!(
        httpdate::parse_http_date(value).is_ok(),
        "not an HTTP date: {value:?}"
    );
    [
        &response[..start],
        DATE_MASK.as_bytes(),
        &response[start + len..],
    ]
    .concat()
}

/// Whether `program` can run, for tests that need a real peer such as curl.
/// Outside CI a missing program skips the test, saying why; under `CI=true`
/// it fails the test, so CI can never pass by skipping.
pub fn require(program: &str) -> bool {
    if Command::new(program).arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{program} is required in CI but is not installed"
    );
    eprintln!("SKIPPED: {program} is not installed");
    false
}

/// Runs Debian's headless Chromium on `url`, with `args` such as
/// `--dump-dom` or `--screenshot=…`, and returns what it printed.
/// `stop_after` stops the loading then, as a user pressing Esc would:
/// what was parsed by then is what it dumps or draws.
pub fn chromium(
    url: &str,
    args: &[&str],
    stop_after: Option<Duration>,
) -> String {
    // A profile of its own each run: runs at once must not share one.
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let profile = std::env::temp_dir().join(format!(
        "flusher-chromium-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    ));
    let mut command = Command::new("chromium");
    command.args([
        "--headless",
        "--no-sandbox", // CI runs as root
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        // This machine's network may be closed; don't let Chromium try.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]);
    command.arg(format!("--user-data-dir={}", profile.display()));
    if let Some(after) = stop_after {
        command.arg(format!("--timeout={}", after.as_millis()));
    }
    let out = command.args(args).arg(url).output().expect("chromium runs");
    let _ = std::fs::remove_dir_all(&profile);
    String::from_utf8_lossy(&out.stdout).into_owned()
}
