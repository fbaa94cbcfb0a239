//! # Exercise: stream the modules in document order
//!
//! Chapter: `book/src/07-streaming-ssr.md`.
//!
//! Lesson 06 sent nothing until the slowest module's data was in. Lesson
//! 07 sends the shell at once, then each module as soon as it can. But
//! plain HTML can only be appended to: a module must go out after every
//! module above it on the page. So a module is sent as soon as its data
//! AND the data of every module before it are in.
//!
//! ```text
//! module        profile  feed  recommendations  comments  weather
//! data in at      50 ms  300 ms     800 ms       150 ms    200 ms
//! sent at         50 ms  300 ms     800 ms       800 ms    800 ms
//! ```
//!
//! The comments are ready at 150 ms, but wait for the recommendations
//! above them: head-of-line blocking, the price of plain HTML. Lesson 08
//! lifts it.
//!
//! The data arrives in the order it is ready, down a channel. Data that
//! comes early must wait somewhere for its turn. A module whose source
//! fails is sent too, as its error fallback: one failing source costs one
//! module, not the page.
//!
//! The tests run on tokio's paused clock: a `sleep` takes no real time,
//! but the clock still moves by exactly its length. So the tests can ask
//! that a chunk goes out at exactly 800 ms, not "about".
//!
//! Make the tests at the bottom pass:
//! `cargo run -p exercises -- run in_order`.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

fn main() {
    // You can experiment here, then run the tests with
    // `cargo run -p exercises -- run in_order`.
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

/// Starts every module's fetch at once, each in a task of its own. Each
/// task sends its module's place in `modules` and its data when its
/// source answers, so the receiver gets them in the order they are
/// ready. Once every source has answered, `recv` returns `None`.
fn start(modules: &[Module]) -> mpsc::UnboundedReceiver<(usize, Data)> {
    let (tx, rx) = mpsc::unbounded_channel();
    for (i, &module) in modules.iter().enumerate() {
        let tx = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(module.delay).await;
            let _ = tx.send((i, answer(module)));
        });
    }
    rx
}

/// Lesson 07's shell: where the modules go, and a skeleton for each, to
/// show until it is there.
fn shell(modules: &[Module]) -> String {
    let mut html = String::from("<main>\n");
    for module in modules {
        html += &format!(
            "<div class=\"module skeleton\" id=\"{id}-skeleton\"><h2>{title}</h2></div>\n",
            id = module.id,
            title = module.title,
        );
    }
    html
}

/// Everything after the modules.
const END: &str = "</main>\n";

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

/// The response body: a stand-in for lesson 07's chunks. It keeps each
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

/// Sends the shell at once, then each module in document order as soon
/// as it and every module before it have their data, then the end of the
/// page. `arrivals` gives each module's place in `modules` and its data,
/// in the order they are ready.
//
// TODO: This is lesson 06's way: it waits for every module's data, and
// only then sends anything. Send the shell first: it needs no data.
//   any page                          → the shell at 0 ms
//
// TODO: Send each module as soon as its data and that of every module
// before it are in, in document order. Data that comes early must wait
// for its turn somewhere; when its turn comes, it may release the
// modules after it too.
//   data in at 50, 300, 800, 150, 200 ms
//     → modules sent at 50, 300, 800, 800, 800 ms; the end at 800 ms
//   data in at a: 30, b: 20, c: 10 ms → a, b, c, all at 30 ms
//   no modules                        → the shell and the end, at 0 ms
//
// TODO: A source that fails still sends its module: `render` turns its
// error into a fallback.
//   a fails at 10 ms, b at 20 ms      → a's fallback at 10 ms, b at 20 ms
async fn in_order(
    modules: &[Module],
    mut arrivals: mpsc::UnboundedReceiver<(usize, Data)>,
    wire: &mut Wire,
) {
    let mut data: Vec<Data> = vec![Err(String::new()); modules.len()];
    while let Some((i, got)) = arrivals.recv().await {
        data[i] = got;
    }
    wire.send(shell(modules));
    for (&module, data) in modules.iter().zip(&data) {
        wire.send(render(module, data));
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

    /// Lesson 07's dashboard: the weather's source fails.
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

    /// Streams `modules` in order, and keeps what was sent.
    async fn stream(modules: &[Module]) -> Wire {
        let mut wire = Wire::new();
        in_order(modules, start(modules), &mut wire).await;
        wire
    }

    /// When each chunk was sent, in milliseconds.
    fn times(wire: &Wire) -> Vec<u128> {
        wire.sent.iter().map(|(at, _)| at.as_millis()).collect()
    }

    /// What was sent, in the order it was sent.
    fn chunks(wire: &Wire) -> Vec<&str> {
        wire.sent.iter().map(|(_, chunk)| chunk.as_str()).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn the_shell_goes_out_at_once_then_the_modules_in_document_order() {
        let modules = dashboard();
        let wire = stream(&modules).await;
        let expected: Vec<String> = [shell(&modules)]
            .into_iter()
            .chain(modules.iter().map(|&m| render(m, &answer(m))))
            .chain([END.to_owned()])
            .collect();
        assert_eq!(chunks(&wire), expected);
        assert_eq!(times(&wire)[0], 0, "the shell waits for no data");
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_module_holds_back_every_module_after_it() {
        let wire = stream(&dashboard()).await;
        // shell, profile, feed, recommendations, comments, weather, end:
        // the comments (150 ms) and the weather (200 ms) wait for the
        // recommendations (800 ms).
        assert_eq!(times(&wire), [0, 50, 300, 800, 800, 800, 800]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_module_that_is_ready_first_still_waits_its_turn() {
        // The last module is ready first, the first one last.
        let modules = [
            module("a", "A", 30),
            module("b", "B", 20),
            module("c", "C", 10),
        ];
        let wire = stream(&modules).await;
        assert_eq!(
            chunks(&wire)[1..4],
            [
                "<section class=\"module\" id=\"a\"><h2>A</h2><p>a is ready.</p></section>\n",
                "<section class=\"module\" id=\"b\"><h2>B</h2><p>b is ready.</p></section>\n",
                "<section class=\"module\" id=\"c\"><h2>C</h2><p>c is ready.</p></section>\n",
            ]
        );
        assert_eq!(times(&wire), [0, 30, 30, 30, 30]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_source_still_releases_its_module() {
        // The first source fails: its fallback goes out in its place, and
        // the module after it is not held back for ever.
        let modules = [
            Module {
                fails: true,
                ..module("a", "A", 10)
            },
            module("b", "B", 20),
        ];
        let wire = stream(&modules).await;
        assert_eq!(
            chunks(&wire),
            [
                "<main>\n\
                 <div class=\"module skeleton\" id=\"a-skeleton\"><h2>A</h2></div>\n\
                 <div class=\"module skeleton\" id=\"b-skeleton\"><h2>B</h2></div>\n",
                "<section class=\"module error\" id=\"a\"><h2>A</h2>\
                 <p>A is not available right now.</p></section>\n",
                "<section class=\"module\" id=\"b\"><h2>B</h2><p>b is ready.</p></section>\n",
                "</main>\n",
            ]
        );
        assert_eq!(times(&wire), [0, 10, 20, 20]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_empty_page_is_the_shell_and_the_end_at_once() {
        let wire = stream(&[]).await;
        assert_eq!(chunks(&wire), ["<main>\n", "</main>\n"]);
        assert_eq!(times(&wire), [0, 0]);
    }
}
