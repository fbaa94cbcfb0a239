//! A client that leaves stops the fetches still waiting for its page, in
//! lessons 06, 07 and 08 alike. A test binary of its own: `FETCHING`
//! counts every fetch in the process, so no other test may run beside it.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use inspector::capture::Live;
use lesson_06_ssr_blocking::dashboard::{Delays, FETCHING};

/// Waits until `FETCHING` is `n`; how long that took.
fn fetching(n: usize) -> Duration {
    let start = Instant::now();
    while FETCHING.load(Ordering::Relaxed) != n {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{} fetches, not {n}",
            FETCHING.load(Ordering::Relaxed)
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    start.elapsed()
}

// ANCHOR: cancel
#[test]
fn a_client_that_leaves_aborts_the_fetches_still_waiting() {
    let delays = Delays::default();
    let lessons = [
        ("06", lesson_06_ssr_blocking::spawn(delays).unwrap(), ""),
        ("07", lesson_07_streaming_ssr::spawn(delays).unwrap(), ""),
        ("08", lesson_08_out_of_order::spawn(delays).unwrap(), ""),
        (
            "08 without JavaScript",
            lesson_08_out_of_order::spawn(delays).unwrap(),
            "&js=0",
        ),
    ];
    for (lesson, addr, js) in lessons {
        // The profile comes at once; the other four sources take a minute.
        let target = format!("/?delays=0,60000,60000,60000,60000{js}");
        let client = Live::get(addr, &target).unwrap();
        fetching(4);
        drop(client);
        let stopped = fetching(0);
        println!(
            "lesson {lesson}: the fetches stopped {stopped:?} after the client left"
        );
    }
}
// ANCHOR_END: cancel
