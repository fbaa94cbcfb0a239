//! # Exercise: send each module the moment it is ready, and swap it in
//!
//! Chapter: `book/src/08-out-of-order.md`.
//!
//! In lesson 07, a slow module held back every module after it, because
//! plain HTML can only be appended to. Lesson 08 sends each module the
//! moment its data is in, whatever its place on the page:
//!
//! ```text
//! module        profile  feed  recommendations  comments  weather
//! data in at      50 ms  300 ms     800 ms       150 ms    200 ms
//! in order        50 ms  300 ms     800 ms       800 ms    800 ms
//! out of order    50 ms  300 ms     800 ms       150 ms    200 ms
//! ```
//!
//! The shell has a placeholder where each module goes. A module is sent
//! as a `<template>`, which the browser parses but doesn't show, and a
//! one-line `<script>` that calls `swap`, a function in the shell's head:
//! it moves the template's content into the module's placeholder.
//!
//! ```text
//! <div class="module placeholder" id="feed-placeholder"><h2>Feed</h2></div>
//! ...
//! <template id="feed-template"><section ...>...</section></template><script>swap("feed")</script>
//! ```
//!
//! Once every module is swapped in, the page must be byte for byte the
//! page that lesson 06 sent in document order. The last test plays the
//! browser and checks that.
//!
//! The tests run on tokio's paused clock: a `sleep` takes no real time,
//! but the clock still moves by exactly its length. So the tests can ask
//! that a chunk goes out at exactly 150 ms, not "about".
//!
//! Make the tests at the bottom pass:
//! `cargo run -p exercises -- run swap`.

use std::time::Duration;

use tokio::time::Instant;

fn main() {
    // You can experiment here, then run the tests with
    // `cargo run -p exercises -- run swap`.
}

/// A part of the page that needs data, and its data source: a stand-in
/// for a database or a service.
#[derive(Debug, Clone, Copy)]
struct Module {
    /// Its element's id.
    id: &'static str,
    title: &'static str,
    /// How long its source takes to answer.
    delay: Duration,
    /// Whether its source fails when it answers.
    fails: bool,
}

/// What a source returned: its content, or why it has none.
type Data = Result<String, String>;

/// What `module`'s source answers. The content is made up.
fn answer(module: Module) -> Data {
    if module.fails {
        Err(format!("{} did not answer", module.id))
    } else {
        Ok(format!("<p>{} is ready.</p>", module.id))
    }
}

/// Asks `module`'s source for its data. The wait is real (on the tests'
/// paused clock, it is exact).
async fn fetch(module: Module) -> Data {
    tokio::time::sleep(module.delay).await;
    answer(module)
}

/// One module, with its data or, if its source failed, a fallback that
/// says so: lesson 06's `render`.
fn render(module: Module, data: &Data) -> String {
    let (class, body) = match data {
        Ok(content) => ("module", content.clone()),
        Err(_) => (
            "module error",
            format!("<p>{} is not available right now.</p>", module.title),
        ),
    };
    format!(
        "<section class=\"{class}\" id=\"{id}\"><h2>{title}</h2>{body}</section>\n",
        id = module.id,
        title = module.title,
    )
}

/// Where the modules go.
const MAIN: &str = "<main>\n";

/// Everything after the modules.
const END: &str = "</main>\n";

/// Lesson 06's page: every module rendered in document order. What the
/// browser must show once every module is swapped in.
fn page(modules: &[Module]) -> String {
    let rendered: String =
        modules.iter().map(|&m| render(m, &answer(m))).collect();
    format!("{MAIN}{rendered}{END}")
}

/// Where a module goes until its data is in: its title in an empty
/// module, on a line of its own.
//
// TODO: A `div` of class `module placeholder` whose id is the module's
// id followed by `-placeholder`, holding the title as an `h2`, then a
// line break.
//   ("feed", "Feed")
//     → <div class="module placeholder" id="feed-placeholder"><h2>Feed</h2></div>\n
fn placeholder(id: &str, title: &str) -> String {
    todo!()
}

/// A module, sent when its data is in: `html` (a rendered module) inside
/// a `<template>`, then the script that swaps it into its placeholder.
//
// TODO: The template's id is the module's id followed by `-template`,
// and the script calls `swap` with the module's id, in double quotes.
// The line break that ends `html` is left out: the swap replaces the
// placeholder's element, and the line break after it stays in the page.
//   ("feed", "<section ...>...</section>\n")
//     → <template id="feed-template"><section ...>...</section></template><script>swap("feed")</script>
fn template(id: &str, html: &str) -> String {
    todo!()
}

/// The shell: a placeholder for each module, sent before any data is in.
fn shell(modules: &[Module]) -> String {
    let placeholders: String =
        modules.iter().map(|m| placeholder(m.id, m.title)).collect();
    format!("{MAIN}{placeholders}")
}

/// The response body: a stand-in for lesson 08's chunks. It keeps each
/// chunk, and when it was sent.
#[derive(Debug)]
struct Wire {
    start: Instant,
    sent: Vec<(Duration, String)>,
}

impl Wire {
    fn new() -> Wire {
        Wire {
            start: Instant::now(),
            sent: Vec::new(),
        }
    }

    /// Sends one chunk, at once.
    fn send(&mut self, chunk: String) {
        self.sent.push((self.start.elapsed(), chunk));
    }
}

/// Sends the shell at once, then each module as a template the moment
/// its data is in, whatever its place, then the end of the page.
//
// TODO: This asks the sources one after another, in document order, so
// each module waits for every module before it, and for its own fetch to
// start. Start every fetch at once, before the shell goes out, then send
// each module the moment its data is in.
//   data in at 50, 300, 800, 150, 200 ms
//     → the shell at 0 ms; profile at 50, comments at 150, weather at
//       200, feed at 300, recommendations at 800; the end at 800 ms
//   no modules → the shell and the end, at 0 ms
async fn out_of_order(modules: &[Module], wire: &mut Wire) {
    wire.send(shell(modules));
    for &module in modules {
        let data = fetch(module).await;
        wire.send(template(module.id, &render(module, &data)));
    }
    wire.send(END.to_owned());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(id: &'static str, title: &'static str, ms: u64) -> Module {
        Module {
            id,
            title,
            delay: Duration::from_millis(ms),
            fails: false,
        }
    }

    /// Lesson 08's dashboard: the weather's source fails.
    fn dashboard() -> Vec<Module> {
        vec![
            module("profile", "Profile", 50),
            module("feed", "Feed", 300),
            module("recommendations", "Recommended for you", 800),
            module("comments", "Comments", 150),
            Module {
                fails: true,
                ..module("weather", "Weather", 200)
            },
        ]
    }

    /// Streams `modules` out of order, and keeps what was sent.
    async fn stream(modules: &[Module]) -> Wire {
        let mut wire = Wire::new();
        out_of_order(modules, &mut wire).await;
        wire
    }

    /// When each chunk was sent, in milliseconds, and the module it
    /// carries: its template's id, or "" for the shell and the end.
    fn log(wire: &Wire) -> Vec<(u128, &str)> {
        fn id(chunk: &str) -> Option<&str> {
            let rest = chunk.strip_prefix("<template id=\"")?;
            Some(rest.split_once("-template\"")?.0)
        }
        let log = wire.sent.iter();
        log.map(|(at, chunk)| (at.as_millis(), id(chunk).unwrap_or("")))
            .collect()
    }

    /// What the browser does with the whole stream: each module's script
    /// calls `swap`, which puts its template's content in the place of
    /// its placeholder's element, then removes the template and script.
    fn swap_all(stream: &str, modules: &[Module]) -> String {
        let mut page = stream.to_owned();
        for module in modules {
            let id = module.id;
            let open = format!("<template id=\"{id}-template\">");
            let close = format!("</template><script>swap(\"{id}\")</script>");
            let start = page.find(&open).expect(&open);
            let end = start + page[start..].find(&close).expect(&close);
            let content = page[start + open.len()..end].to_owned();
            page.replace_range(start..end + close.len(), "");

            let at = page.find(&format!(" id=\"{id}-placeholder\"")).unwrap();
            let div = page[..at].rfind("<div").unwrap();
            let end = at + page[at..].find("</div>").unwrap() + "</div>".len();
            page.replace_range(div..end, &content);
        }
        page
    }

    #[test]
    fn a_placeholder_is_the_title_in_an_empty_module() {
        assert_eq!(
            placeholder("feed", "Feed"),
            "<div class=\"module placeholder\" id=\"feed-placeholder\">\
             <h2>Feed</h2></div>\n"
        );
        assert_eq!(
            placeholder("recommendations", "Recommended for you"),
            "<div class=\"module placeholder\" id=\"recommendations-placeholder\">\
             <h2>Recommended for you</h2></div>\n"
        );
    }

    #[test]
    fn a_module_is_sent_as_a_template_and_a_call_to_swap() {
        let feed = "<section class=\"module\" id=\"feed\"><h2>Feed</h2>\
                    <p>feed is ready.</p></section>\n";
        // The module's line break is left out.
        assert_eq!(
            template("feed", feed),
            "<template id=\"feed-template\"><section class=\"module\" id=\"feed\">\
             <h2>Feed</h2><p>feed is ready.</p></section></template>\
             <script>swap(\"feed\")</script>"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_shell_goes_out_at_once_with_a_placeholder_per_module() {
        let modules = [module("a", "A", 10), module("b", "B", 20)];
        let wire = stream(&modules).await;
        assert_eq!(
            wire.sent[0],
            (
                Duration::ZERO,
                "<main>\n\
                 <div class=\"module placeholder\" id=\"a-placeholder\"><h2>A</h2></div>\n\
                 <div class=\"module placeholder\" id=\"b-placeholder\"><h2>B</h2></div>\n"
                    .to_owned()
            )
        );
    }

    #[tokio::test(start_paused = true)]
    async fn each_module_is_sent_the_moment_it_is_ready() {
        let wire = stream(&dashboard()).await;
        assert_eq!(
            log(&wire),
            [
                (0, ""), // the shell
                (50, "profile"),
                (150, "comments"),
                (200, "weather"),
                (300, "feed"),
                (800, "recommendations"),
                (800, ""), // the end
            ]
        );
        assert_eq!(
            wire.sent[1].1,
            "<template id=\"profile-template\"><section class=\"module\" \
             id=\"profile\"><h2>Profile</h2><p>profile is ready.</p>\
             </section></template><script>swap(\"profile\")</script>"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_source_is_sent_as_its_fallback_in_its_own_time() {
        let wire = stream(&dashboard()).await;
        assert_eq!(wire.sent[3].0, Duration::from_millis(200));
        assert_eq!(
            wire.sent[3].1,
            "<template id=\"weather-template\"><section class=\"module error\" \
             id=\"weather\"><h2>Weather</h2><p>Weather is not available right \
             now.</p></section></template><script>swap(\"weather\")</script>"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn once_swapped_in_the_page_is_in_document_order() {
        let modules = dashboard();
        let wire = stream(&modules).await;
        let stream: String =
            wire.sent.iter().map(|(_, chunk)| chunk.as_str()).collect();
        assert_eq!(swap_all(&stream, &modules), page(&modules));
    }

    #[tokio::test(start_paused = true)]
    async fn an_empty_page_is_the_shell_and_the_end_at_once() {
        let wire = stream(&[]).await;
        assert_eq!(log(&wire), [(0, ""), (0, "")]);
        assert_eq!(wire.sent[0].1, "<main>\n");
        assert_eq!(wire.sent[1].1, "</main>\n");
    }
}
