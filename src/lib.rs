//! The tour's lessons, shared by the tour (src/main.rs) and the tests
//! that go through every stream it offers.

pub mod devtools;

use std::io;
use std::net::SocketAddr;

use inspector::tui::Demo;
use lesson_01_raw_tcp::cli::{self, Lesson, Watch};
use lesson_01_raw_tcp::page::DEFAULT_PAUSE;
use lesson_01_raw_tcp::server;

/// Every lesson's server, started in this process, each on a free port:
/// the lesson and its address; or the lesson that could not start, and
/// why.
pub fn start_lessons() -> Result<Vec<(Lesson, SocketAddr)>, (Lesson, io::Error)>
{
    let pause = DEFAULT_PAUSE;
    let started = [
        (
            lesson_01_raw_tcp::LESSON,
            server::spawn(lesson_01_raw_tcp::handler(pause)),
        ),
        (
            lesson_02_chunked_by_hand::LESSON,
            server::spawn(lesson_02_chunked_by_hand::handler(pause, true)),
        ),
        (
            lesson_03_flusher::LESSON,
            server::spawn(lesson_03_flusher::handler(pause)),
        ),
        (
            lesson_04_http_parse::LESSON,
            lesson_04_http_parse::spawn(pause),
        ),
        (
            lesson_05_tokio::LESSON,
            lesson_05_tokio::spawn(lesson_05_tokio::Config::new(pause)),
        ),
        (
            lesson_06_ssr_blocking::LESSON,
            lesson_06_ssr_blocking::spawn(Default::default()),
        ),
        (
            lesson_07_streaming_ssr::LESSON,
            lesson_07_streaming_ssr::spawn(Default::default()),
        ),
        (
            lesson_08_out_of_order::LESSON,
            lesson_08_out_of_order::spawn(Default::default()),
        ),
        (
            lesson_09_sse::LESSON,
            lesson_09_sse::spawn(Default::default()),
        ),
        (lesson_10_websocket::LESSON, lesson_10_websocket::spawn()),
        (
            lesson_11_production::LESSON,
            lesson_11_production::spawn(pause),
        ),
    ];
    started
        .into_iter()
        .map(|(lesson, addr)| {
            addr.map(|addr| (lesson, addr)).map_err(|e| (lesson, e))
        })
        .collect()
}

/// One picker line for the lesson's stream, and one for each other route
/// its chapter compares it with (such as lesson 03's `/buffered`).
pub fn demos(lesson: &Lesson, url: &str) -> Vec<Demo> {
    let mut demos = vec![Demo {
        title: lesson.title.to_owned(),
        idea: lesson.idea.to_owned(),
        url: url.to_owned(),
    }];
    // A command that sends header fields (`Last-Event-ID`, a WebSocket
    // handshake) or a body (a POST) of its own shows something a plain
    // GET would not.
    let plain_get = |w: &&Watch| {
        !w.path.is_empty()
            && ![" -H ", " -d "].iter().any(|flag| w.command.contains(flag))
    };
    for watch in lesson.watch.iter().filter(plain_get) {
        // A WebSocket's frames, both ways, live.
        let url = match watch.command.contains("{ws}") {
            true => cli::ws_url(&format!("{url}{}", watch.path)),
            false => format!("{url}{}", watch.path),
        };
        // Two commands on one stream (curl's view and the inspector's)
        // are one row.
        if demos.iter().any(|d| d.url == url) {
            continue;
        }
        demos.push(Demo {
            title: format!("{} /{}", lesson.title, watch.path),
            idea: watch.what.to_owned(),
            url,
        });
    }
    demos
}
