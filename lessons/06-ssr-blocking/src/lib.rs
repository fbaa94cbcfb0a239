//! Lesson 06: server-side rendering that waits for all its data.
//!
//! The classic way to render a page on the server: fetch every module's
//! data, render the whole page, send it with `Content-Length`. The data
//! is fetched at once, so the wait is the slowest source, not the sum.
//! But nothing is sent before it: not the header, not the styles, not
//! the modules that were ready long before. Time to first byte is the
//! slowest source. Lessons 07 and 08 send the same page sooner.
//!
//! # Layout
//! - [`dashboard`]: the demo page of lessons 06 to 08: its modules, their
//!   data sources and latencies, and how each is rendered.
//! - [`Blocking`]: the site: `/` waits for all the data, then answers.

pub mod dashboard;

use std::io;
use std::net::SocketAddr;

use bytes::Bytes;
use lesson_01_raw_tcp::cli::{self, Lesson, Watch};
use lesson_01_raw_tcp::response::Status;
use lesson_04_http_parse::head::Head;
use lesson_05_tokio::site::path_and_query;
use lesson_05_tokio::{Answer, Config, Site};

use dashboard::{Delays, fetch_all, page};

pub const LESSON: Lesson = Lesson {
    package: "lesson-06-ssr-blocking",
    title: "lesson 06: blocking SSR",
    idea: "render after all the data: the first byte waits for the slowest source",
    watch: &[
        cli::TIMING,
        Watch {
            what: "the same, with other delays for this one request",
            command: "curl -sS -o /dev/null -w 'first byte: %{time_starttransfer} s\\n' '{url}'",
            path: "?delays=10,20,30,40,50",
        },
        cli::INSPECTOR,
    ],
};

/// Lesson 06's site: the dashboard, rendered when all its data is in.
#[derive(Debug, Clone)]
pub struct Blocking {
    pub delays: Delays,
}

// ANCHOR: answer
impl Site for Blocking {
    fn answer(&self, request: &Head) -> Answer {
        let (path, query) = path_and_query(request);
        if path != "/" {
            return Answer::plain(
                Status::NotFound,
                format!("nothing at {path}: try /"),
            );
        }
        if !matches!(request.method.as_str(), "GET" | "HEAD") {
            return Answer::not_allowed(request);
        }
        let delays = match self.delays.from_query(query) {
            Ok(delays) => delays,
            Err(why) => return Answer::plain(Status::BadRequest, why),
        };
        // A whole answer: nothing is sent until the page is, and then
        // with its length.
        Answer::whole("text/html; charset=utf-8", move |chunks| async move {
            let data = fetch_all(delays).await;
            chunks.send(Bytes::from(page(&data))).await;
        })
    }
}
// ANCHOR_END: answer

/// Serves lesson 06 on `127.0.0.1:0` in the background: tests, the tour.
pub fn spawn(delays: Delays) -> io::Result<SocketAddr> {
    lesson_05_tokio::spawn_site(
        Config::new(Default::default()),
        Blocking { delays },
    )
}
