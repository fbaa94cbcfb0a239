//! Lesson 07: streaming server-side rendering, in document order.
//!
//! Lesson 06 sent nothing until the slowest module's data was in. This
//! lesson sends the shell at once: the head with its styles, the header,
//! and a skeleton for each module. Then it sends each module in document
//! order, as soon as its data and that of every module before it are in.
//!
//! The page is the same; only when its parts are sent differs. The first
//! byte no longer waits for any data. But a slow module holds back every
//! module after it, however ready they are: head-of-line blocking, the
//! price of plain HTML, which a browser can only append to. Lesson 08
//! pays a little JavaScript to lift it.

use std::io;
use std::net::SocketAddr;

use bytes::Bytes;
use lesson_01_raw_tcp::cli::{self, Lesson, Watch};
use lesson_04_http_parse::head::Head;
use lesson_05_tokio::produce::Chunks;
use lesson_05_tokio::{Answer, Config, Site};
use lesson_06_ssr_blocking::dashboard::{
    BODY, Data, Delays, END, Fetches, HEAD, MODULES, Module, render, stand_in,
};
use lesson_06_ssr_blocking::{HTML, not_found, route};

pub const LESSON: Lesson = Lesson {
    package: "lesson-07-streaming-ssr",
    title: "lesson 07: streaming SSR, in order",
    idea: "the shell at once, then each module in page order: a slow one holds back those after it",
    watch: &[
        cli::TIMING,
        Watch {
            what: "each module as a chunk: the comments wait for the slow recommendations",
            command: "curl -sS --raw -N '{url}'",
            path: "",
        },
        cli::INSPECTOR,
    ],
};

/// Lesson 07's site: the dashboard, streamed in document order.
#[derive(Debug, Clone)]
pub struct InOrder {
    pub delays: Delays,
}

impl Site for InOrder {
    fn answer(&self, request: &Head) -> Answer {
        match route(request, self.delays) {
            Ok(("/", delays)) => {
                Answer::stream(HTML, move |chunks| in_order(delays, chunks))
            }
            Ok((path, _)) => not_found(path),
            Err(refusal) => refusal,
        }
    }
}

// ANCHOR: skeleton
/// What stands in for a module until it is sent: its title, and a grey
/// bar. The module is appended after all the skeletons, since HTML can
/// only be appended to; the styles in the head show the modules first
/// (`order`) and hide a skeleton once its module is there (`:has()`).
pub fn skeleton(module: Module) -> String {
    stand_in(module, "skeleton")
}

/// The head, the header and every module's skeleton: sent before any
/// data is in.
pub fn shell() -> String {
    let skeletons: String = MODULES.into_iter().map(skeleton).collect();
    format!("{HEAD}{BODY}{skeletons}")
}
// ANCHOR_END: skeleton

// ANCHOR: in_order
/// Sends the shell, then each module in document order as soon as it and
/// every module before it have their data, then the end of the page.
/// Stops early if the client is gone: the fetches still waiting are
/// dropped with it, which aborts them.
pub async fn in_order(delays: Delays, chunks: Chunks) {
    let mut fetches = Fetches::start(delays).await;
    if !chunks.send(Bytes::from(shell())).await {
        return;
    }
    // Data that came early waits here for the modules before it.
    let mut arrived: [Option<Data>; MODULES.len()] = Default::default();
    let mut next = 0; // the first module not sent yet
    while let Some((i, data)) = fetches.next().await {
        arrived[i] = Some(data);
        while let Some(data) = arrived.get_mut(next).and_then(Option::take) {
            let html = render(MODULES[next], &data);
            if !chunks.send(Bytes::from(html)).await {
                return;
            }
            next += 1;
        }
    }
    chunks.send(Bytes::from_static(END.as_bytes())).await;
}
// ANCHOR_END: in_order

/// Serves lesson 07 on `127.0.0.1:0` in the background: tests, the tour.
pub fn spawn(delays: Delays) -> io::Result<SocketAddr> {
    lesson_05_tokio::spawn_site(
        Config::new(Default::default()),
        InOrder { delays },
    )
}
