//! The demo page that every lesson serves, and its slow renderer.

use std::thread;
use std::time::Duration;

/// The page, in the order it is produced. Kept under 2 KiB in total so that
/// lesson 03 can show Go's switch to `Content-Length` for small responses.
pub const PARTS: [&str; 5] = [
    "<!doctype html>\n\
     <html lang=\"en\">\n\
     <meta charset=\"utf-8\">\n\
     <title>Flusher</title>\n\
     <style>body{font:1.2em/1.5 system-ui;margin:2em auto;max-width:36em}\
     </style>\n\
     <h1>One page, five parts</h1>\n",
    "<p>Part 1 arrived after one pause.</p>\n",
    "<p>Part 2 arrived after two pauses.</p>\n",
    "<p>Part 3 arrived after three pauses.</p>\n",
    "<p>Part 4 arrived last. The page is complete.</p>\n</html>\n",
];

/// The time each part after the first waits for its data, unless
/// `--pause-ms` says otherwise.
pub const DEFAULT_PAUSE: Duration = Duration::from_millis(400);

/// The whole page, as one string.
pub fn html() -> String {
    PARTS.concat()
}

// ANCHOR: render
/// Produces the page part by part, calling `emit` as soon as each part is
/// ready. Every part after the first waits `pause` first: it stands for data
/// from a slow source, such as a database or another service.
///
/// What `emit` does with a part is the difference between the lessons:
/// lesson 01 collects them, lesson 02 sends each one as a chunk.
pub fn render<E>(
    pause: Duration,
    mut emit: impl FnMut(&str) -> Result<(), E>,
) -> Result<(), E> {
    for (i, part) in PARTS.iter().enumerate() {
        if i > 0 {
            thread::sleep(pause);
        }
        emit(part)?;
    }
    Ok(())
}
// ANCHOR_END: render

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_fits_go_s_buffer_before_chunking() {
        assert!(html().len() < 2048, "lesson 03 relies on this");
    }

    #[test]
    fn render_emits_every_part_in_order() {
        let mut parts = Vec::new();
        render(Duration::ZERO, |part| {
            parts.push(part.to_owned());
            Ok::<_, ()>(())
        })
        .unwrap();
        assert_eq!(parts.concat(), html());
    }

    #[test]
    fn render_stops_at_the_first_error() {
        let mut calls = 0;
        let result = render(Duration::ZERO, |_| {
            calls += 1;
            Err("client went away")
        });
        assert_eq!((result, calls), (Err("client went away"), 1));
    }
}
