//! Lesson 08: out-of-order streaming server-side rendering.
//!
//! Lesson 07 sent the modules in document order, so a slow one held back
//! every module after it. Here each module is sent the moment its data is
//! in, whatever its place, as BigPipe and React's Suspense do:
//!
//! - the shell has a placeholder where each module goes;
//! - a module is sent as a `<template>`, which the browser parses but
//!   doesn't show, and a one-line `<script>` that moves the template's
//!   content into its placeholder;
//! - data that is there before the shell is sent (a cache hit) is
//!   rendered in the shell, in place, with no script at all;
//! - without JavaScript, the page reloads itself as lesson 07's in-order
//!   stream (`?js=0`) once it has loaded: slower, but whole.
//!
//! A module whose source fails is sent as its error fallback, like any
//! other: by then the status line, `200 OK`, went out with the shell.

use std::io;
use std::net::SocketAddr;

use bytes::Bytes;
use lesson_01_raw_tcp::cli::{self, Lesson, Watch};
use lesson_04_http_parse::head::Head;
use lesson_05_tokio::produce::Chunks;
use lesson_05_tokio::site::path_and_query;
use lesson_05_tokio::{Answer, Config, Site};
use lesson_06_ssr_blocking::dashboard::{
    BODY, Data, Delays, END, Fetches, HEAD, MODULES, Module, placeholder,
    render,
};
use lesson_06_ssr_blocking::{HTML, not_found, route};
use lesson_07_streaming_ssr::in_order;

pub const LESSON: Lesson = Lesson {
    package: "lesson-08-out-of-order",
    title: "lesson 08: streaming SSR, out of order",
    idea: "the shell at once, then each module the moment its data is in, swapped into place",
    watch: &[
        cli::TIMING,
        Watch {
            what: "each module as a chunk, in the order its data comes in",
            command: "curl -sS --raw -N '{url}'",
            path: "",
        },
        Watch {
            what: "a cache hit (a zero delay): the profile is in the shell",
            command: "curl -sS '{url}' | grep 'id=\"profile'",
            path: "?delays=0",
        },
        cli::INSPECTOR,
    ],
};

// ANCHOR: answer
/// Lesson 08's site: the dashboard, each module streamed when it is
/// ready; `?js=0` streams it in order instead, for browsers without
/// JavaScript.
#[derive(Debug, Clone)]
pub struct OutOfOrder {
    pub delays: Delays,
}

impl Site for OutOfOrder {
    fn answer(&self, request: &Head) -> Answer {
        let delays = match route(request, self.delays) {
            Ok(("/", delays)) => delays,
            Ok((path, _)) => return not_found(path),
            Err(refusal) => return refusal,
        };
        let (_, query) = path_and_query(request);
        if query.split('&').any(|pair| pair == "js=0") {
            Answer::stream(HTML, move |chunks| in_order(delays, chunks))
        } else {
            Answer::stream(HTML, move |chunks| out_of_order(delays, chunks))
        }
    }
}
// ANCHOR_END: answer

// ANCHOR: swap
/// In the head: the one function every module's script calls. It moves
/// the module's template into its placeholder, then removes the template
/// and the script that called it, so the page ends up as lesson 06's. The
/// mark is for the curious: DevTools shows it on the Performance timeline.
pub const SWAP: &str = "<script>
function swap(id) {
  const template = document.getElementById(id + \"-template\");
  document.getElementById(id + \"-placeholder\").replaceWith(template.content);
  template.remove();
  document.currentScript.remove();
  performance.mark(id);
}
</script>
";

/// In the head too: without JavaScript no template is ever shown, so the
/// page loads itself again as lesson 07's in-order stream. The browser
/// does that once this page has loaded (WHATWG HTML, "shared declarative
/// refresh steps"), so it costs a second wait for the data.
pub fn no_script(delays: Delays) -> String {
    // Rebuilt from the parsed delays, digits and commas: nothing from the
    // request is echoed into the page.
    format!(
        "<noscript><meta http-equiv=\"refresh\" \
         content=\"0; url=?delays={delays}&amp;js=0\"></noscript>\n"
    )
}
// ANCHOR_END: swap

// ANCHOR: template
/// A module, sent when its data is in: rendered inside a `<template>`,
/// which the browser parses but doesn't show, then swapped into its
/// placeholder by a one-line script.
pub fn template(module: Module, data: &Data) -> String {
    let html = render(module, data);
    format!(
        "<template id=\"{id}-template\">{html}</template><script>swap(\"{id}\")</script>",
        id = module.id,
        // The placeholder's line break stays: the page ends up byte for
        // byte as lesson 06's.
        html = html.trim_end(),
    )
}

/// The head, the header and the modules: each rendered if its data is in
/// `ready`, a placeholder if not.
pub fn shell(delays: Delays, ready: &[(usize, Data)]) -> String {
    let mut html = format!("{HEAD}{SWAP}{}{BODY}", no_script(delays));
    for (i, module) in MODULES.into_iter().enumerate() {
        html += &match ready.iter().find(|(r, _)| *r == i) {
            Some((_, data)) => render(module, data),
            None => placeholder(module),
        };
    }
    html
}
// ANCHOR_END: template

// ANCHOR: out_of_order
/// Sends the shell, then each module the moment its data is in, then the
/// end of the page. Stops early if the client is gone: the fetches still
/// waiting are dropped with it, which aborts them.
pub async fn out_of_order(delays: Delays, chunks: Chunks) {
    let mut fetches = Fetches::start(delays).await;
    let shell = shell(delays, &fetches.take_ready());
    if !chunks.send(Bytes::from(shell)).await {
        return;
    }
    while let Some((i, data)) = fetches.next().await {
        if !chunks.send(Bytes::from(template(MODULES[i], &data))).await {
            return;
        }
    }
    chunks.send(Bytes::from_static(END.as_bytes())).await;
}
// ANCHOR_END: out_of_order

/// Serves lesson 08 on `127.0.0.1:0` in the background: tests, the tour.
pub fn spawn(delays: Delays) -> io::Result<SocketAddr> {
    let site = OutOfOrder { delays };
    lesson_05_tokio::spawn_site(Config::new(Default::default()), site)
}
