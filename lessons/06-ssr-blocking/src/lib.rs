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
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory as _, FromArgMatches as _};

use bytes::Bytes;
use lesson_01_raw_tcp::cli::{self, Lesson, Watch};
use lesson_01_raw_tcp::response::Status;
use lesson_04_http_parse::head::Head;
use lesson_05_tokio::site::path_and_query;
use lesson_05_tokio::{Answer, Config, Site};

use dashboard::{Delays, MODULES, csr_page, fetch, fetch_all, page, render};

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
        Watch {
            what: "the same page rendered in the browser (CSR): a script asks for each module",
            command: "curl -sS '{url}' | grep -A6 '<script>'",
            path: "csr",
        },
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
        match route(request, self.delays) {
            // A whole answer: nothing is sent until the page is, and
            // then with its length.
            Ok(("/", delays)) => {
                Answer::whole(HTML, move |chunks| async move {
                    let data = fetch_all(delays).await;
                    chunks.send(Bytes::from(page(&data))).await;
                })
            }
            // For comparison, the same page rendered in the browser.
            Ok(("/csr", _)) => Answer::whole(HTML, |chunks| async move {
                chunks.send(Bytes::from(csr_page())).await;
            }),
            Ok((path, delays)) => match module_at(path) {
                Some(i) => Answer::whole(HTML, move |chunks| async move {
                    let data = fetch(MODULES[i], delays.0[i]).await;
                    chunks.send(Bytes::from(render(MODULES[i], &data))).await;
                }),
                None => not_found(path),
            },
            Err(refusal) => refusal,
        }
    }
}
// ANCHOR_END: answer

/// The dashboard's content type.
pub const HTML: &str = "text/html; charset=utf-8";

/// What lessons 06 to 08 check of every request: the method, GET or
/// HEAD, and `?delays=`, which overrides `defaults` for this request.
/// The path is the caller's to route; a refusal says why.
pub fn route(
    request: &Head,
    defaults: Delays,
) -> Result<(&str, Delays), Answer> {
    let (path, query) = path_and_query(request);
    if !matches!(request.method.as_str(), "GET" | "HEAD") {
        return Err(Answer::not_allowed(request));
    }
    match defaults.from_query(query) {
        Ok(delays) => Ok((path, delays)),
        Err(why) => Err(Answer::plain(Status::BadRequest, why)),
    }
}

/// 404, pointing at the page.
pub fn not_found(path: &str) -> Answer {
    Answer::plain(Status::NotFound, format!("nothing at {path}: try /"))
}

/// The index of the module `/module/ID` names.
fn module_at(path: &str) -> Option<usize> {
    let id = path.strip_prefix("/module/")?;
    MODULES.iter().position(|m| m.id == id)
}

/// The flags of lessons 06 to 08.
#[derive(Debug, clap::Parser)]
struct Args {
    /// Where to listen. Port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:7878")]
    addr: SocketAddr,

    /// Each module's data latency in milliseconds, in page order
    /// (profile, feed, recommendations, comments, weather). `?delays=`
    /// in the URL overrides them for one request.
    #[arg(long, value_parser = Delays::parse, default_value_t = Delays::default())]
    delays_ms: Delays,
}

/// The `main` of lessons 06 to 08: parse the flags, print the banner,
/// serve the dashboard as `site` makes it, until Ctrl-C.
pub fn main<S: Site>(
    lesson: &'static Lesson,
    site: impl FnOnce(Delays) -> S,
) -> ExitCode {
    let command = Args::command().name(lesson.package).about(lesson.title);
    let args = Args::from_arg_matches(&command.get_matches())
        .unwrap_or_else(|e| e.exit());
    let site = site(args.delays_ms);
    cli::listen(lesson, args.addr, |listener| {
        lesson_05_tokio::serve(listener, Config::new(Duration::ZERO), site);
    })
}

/// Serves lesson 06 on `127.0.0.1:0` in the background: tests, the tour.
pub fn spawn(delays: Delays) -> io::Result<SocketAddr> {
    lesson_05_tokio::spawn_site(
        Config::new(Default::default()),
        Blocking { delays },
    )
}
