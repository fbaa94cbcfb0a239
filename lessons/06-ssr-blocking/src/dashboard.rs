//! The demo page of lessons 06 to 08: a dashboard whose modules each wait
//! for a data source of their own.
//!
//! The header and nav need no data: they are part of the shell. Each
//! module below them has a source with its own latency, and one source
//! fails. The three lessons render the same modules into the same page;
//! only *when* each part is sent differs.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::future::{Future as _, poll_fn};
use std::sync::atomic::AtomicUsize;
use std::task::Poll;
use std::time::Duration;

use lesson_05_tokio::produce::Live;
use tokio::task::{self, JoinSet};

/// A part of the page that needs data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Module {
    /// Its element's id, and its name in the query string.
    pub id: &'static str,
    pub title: &'static str,
    /// Whether its data source fails, as one always does somewhere.
    pub fails: bool,
}

// ANCHOR: modules
/// The modules, in document order.
pub const MODULES: [Module; 5] = [
    Module {
        id: "profile",
        title: "Profile",
        fails: false,
    },
    Module {
        id: "feed",
        title: "Feed",
        fails: false,
    },
    Module {
        id: "recommendations",
        title: "Recommended for you",
        fails: false,
    },
    Module {
        id: "comments",
        title: "Comments",
        fails: false,
    },
    Module {
        id: "weather",
        title: "Weather",
        fails: true,
    },
];

/// Each module's latency, in milliseconds, unless `--delays-ms` or the
/// query string says otherwise. The slowest is not the last: in order,
/// the recommendations (800 ms) hold back the comments and the weather.
pub const DEFAULT_DELAYS_MS: [u64; 5] = [50, 300, 800, 150, 200];
// ANCHOR_END: modules

/// The longest delay a request may ask for: a minute. Longer would only
/// hold a task for nobody's benefit.
pub const MAX_DELAY_MS: u64 = 60_000;

/// The latency of each module's source, in module order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delays(pub [Duration; MODULES.len()]);

impl Default for Delays {
    fn default() -> Self {
        Delays(DEFAULT_DELAYS_MS.map(Duration::from_millis))
    }
}

/// As `--delays-ms` takes them: `50,300,800,150,200`.
impl std::fmt::Display for Delays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms: Vec<String> =
            self.0.iter().map(|d| d.as_millis().to_string()).collect();
        f.write_str(&ms.join(","))
    }
}

impl Delays {
    /// `50,300,800`: milliseconds, in module order. The first value is
    /// the first module's; modules without a value keep their default.
    pub fn parse(list: &str) -> Result<Delays, String> {
        let mut delays = Delays::default();
        let values = list.split(',').filter(|v| !v.trim().is_empty());
        for (i, value) in values.enumerate() {
            let slot = delays.0.get_mut(i).ok_or_else(|| {
                format!("{} delays at most, one per module", MODULES.len())
            })?;
            let ms: u64 = value.trim().parse().map_err(|_| {
                format!("{value:?}: a delay is a whole number of milliseconds")
            })?;
            if ms > MAX_DELAY_MS {
                return Err(format!(
                    "{ms}: a delay is {MAX_DELAY_MS} ms at most"
                ));
            }
            *slot = Duration::from_millis(ms);
        }
        Ok(delays)
    }

    /// These delays, or those of a `delays=…` in `query`.
    pub fn from_query(self, query: &str) -> Result<Delays, String> {
        match query.split('&').find_map(|p| p.strip_prefix("delays=")) {
            Some(list) => Delays::parse(&list.replace("%2C", ",")),
            None => Ok(self),
        }
    }

    /// The slowest source: what a page that waits for all of them waits.
    pub fn slowest(&self) -> Duration {
        self.0.iter().copied().max().unwrap_or_default()
    }
}

/// What a module's source returned: its content, or why it has none.
pub type Data = Result<String, String>;

// ANCHOR: fetch
/// Modules whose data is being fetched now, across every request: a
/// fetch counts from its start until it ends or is aborted.
pub static FETCHING: AtomicUsize = AtomicUsize::new(0);

/// Asks `module`'s source for its data, which takes `delay`. A stand-in
/// for a database or a service: the content is made up, the wait is real.
/// A zero delay is a cache hit: the data is there without waiting.
pub async fn fetch(module: Module, delay: Duration) -> Data {
    let _live = Live::new(&FETCHING);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if module.fails {
        return Err(format!("the {} service did not answer", module.id));
    }
    Ok(match module.id {
        "profile" => "<p><b>Ada</b>, member since 1843.</p>".to_owned(),
        "feed" => list(&[
            "Chunked coding turns 28",
            "Why TTFB matters",
            "Flushing, explained",
        ]),
        "recommendations" => list(&[
            "The Rust Book",
            "RFC 9112",
            "High Performance Browser Networking",
        ]),
        "comments" => list(&[
            "“Finally, streaming that I understand.”",
            "“Where is my first byte?”",
        ]),
        _ => "<p>Nothing here.</p>".to_owned(),
    })
}
// ANCHOR_END: fetch

fn list(items: &[&str]) -> String {
    let mut out = String::from("<ul>");
    for item in items {
        let _ = write!(out, "<li>{item}</li>");
    }
    out + "</ul>"
}

// ANCHOR: fetches
/// Every module's fetch, started at once: they wait side by side, so all
/// of them take as long as the slowest, not the sum. Each waits in a task
/// of a `JoinSet`, and dropping the `Fetches` (the client left) aborts
/// those still waiting.
#[derive(Debug)]
pub struct Fetches {
    waiting: JoinSet<Data>,
    /// Which module each task fetches for.
    modules: Vec<(task::Id, usize)>,
    /// Data that was there at the start, in module order.
    ready: VecDeque<(usize, Data)>,
}

impl Fetches {
    /// Starts every module's fetch. Each is polled once here, so data
    /// that is there at once (a cache hit) needs no task, and is ready
    /// before anything is sent: lesson 08 renders it in the shell.
    pub async fn start(delays: Delays) -> Fetches {
        let mut fetches = Fetches {
            waiting: JoinSet::new(),
            modules: Vec::new(),
            ready: VecDeque::new(),
        };
        for (i, (module, delay)) in
            MODULES.into_iter().zip(delays.0).enumerate()
        {
            let mut fetch = Box::pin(fetch(module, delay));
            match poll_fn(|cx| Poll::Ready(fetch.as_mut().poll(cx))).await {
                Poll::Ready(data) => fetches.ready.push_back((i, data)),
                Poll::Pending => {
                    let task = fetches.waiting.spawn(fetch);
                    fetches.modules.push((task.id(), i));
                }
            }
        }
        fetches
    }

    /// The modules whose data was there at the start, and their data.
    pub fn take_ready(&mut self) -> Vec<(usize, Data)> {
        self.ready.drain(..).collect()
    }

    /// The next module's data, in the order it arrives: a module's
    /// index in [`MODULES`], and its data. `None` once every module has
    /// had its turn.
    pub async fn next(&mut self) -> Option<(usize, Data)> {
        if let Some(ready) = self.ready.pop_front() {
            return Some(ready);
        }
        let (id, data) = match self.waiting.join_next_with_id().await? {
            Ok(done) => done,
            // A fetch that panicked is a module without data, not a
            // page without an answer.
            Err(e) => (e.id(), Err(format!("the fetch failed: {e}"))),
        };
        let (_, i) = self.modules.iter().find(|(task, _)| *task == id)?;
        Some((*i, data))
    }
}
// ANCHOR_END: fetches

// ANCHOR: fetch_all
/// Every module's data, once the slowest has come: what lesson 06 waits
/// for before it sends anything.
pub async fn fetch_all(delays: Delays) -> Vec<Data> {
    let mut fetches = Fetches::start(delays).await;
    let mut data: Vec<Data> = vec![Err(String::new()); MODULES.len()];
    while let Some((i, got)) = fetches.next().await {
        data[i] = got;
    }
    data
}
// ANCHOR_END: fetch_all

// ANCHOR: shell
/// The head: what lessons 07 and 08 send first, with [`BODY`]. The
/// charset is declared in the first 1024 bytes, where a browser looks for
/// it (WHATWG HTML, "prescan"), and the styles are here, since the head
/// can't change once it is sent. Lessons 07 and 08 style their stand-ins
/// for modules not sent yet (`.skeleton`, `.placeholder`) here too.
///
/// A `\` at the end of a line goes on with the string on the next line,
/// without the line break or the next line's indent: long rules are split
/// to fit the page, and the bytes sent are the same.
pub const HEAD: &str = "<!doctype html>
<html lang=\"en\">
<head>
<meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<title>Dashboard</title>
<style>
body{font:16px/1.5 system-ui;margin:0;background:#f4f4f6}
header{background:#223;color:#fff;padding:.5em 1em}
header nav a{color:#cde;margin-right:1em}
header p{margin:.25em 0;color:#cde}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(16em,1fr));gap:1em;padding:1em}
.module{background:#fff;border-radius:6px;padding:.5em 1em;min-height:6em}
.module.error{background:#fee}
.skeleton::after,.placeholder::after{\
content:\"\";display:block;height:4em;border-radius:4px;\
background:linear-gradient(90deg,#eee,#f8f8f8,#eee)}
main>.skeleton{order:1}
main:has(>#profile)>#profile-skeleton,\
main:has(>#feed)>#feed-skeleton,\
main:has(>#recommendations)>#recommendations-skeleton,\
main:has(>#comments)>#comments-skeleton,\
main:has(>#weather)>#weather-skeleton{display:none}
</style>
";

/// The page's frame, up to where the modules go. Its paragraph is not
/// padding: WebKit paints nothing of a page still loading until it has
/// more than 200 characters of text to show (`visualCharacterThreshold`
/// in `LocalFrameView`), and with the stand-ins' titles this makes the
/// shell of lessons 07 and 08 pass it.
pub const BODY: &str = "</head>
<body>
<header><h1>Dashboard</h1><nav><a href=\"/\">Home</a><a href=\"/\">Settings</a></nav>
<p>Each module below waits for a data source of its own, and one of \
those sources fails. Streamed, this header and a grey bar per module \
come at once, and each module fills in as its source answers.</p></header>
<main>
";

/// Everything after the modules.
pub const END: &str = "</main>
</body>
</html>
";
// ANCHOR_END: shell

// ANCHOR: render
/// One module, with its data or, if its source failed, a fallback that
/// says so: one failing source costs one module, not the page.
pub fn render(module: Module, data: &Data) -> String {
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

/// The whole page, every module rendered: lesson 06's answer, and what
/// lessons 07 and 08 must end up showing.
pub fn page(data: &[Data]) -> String {
    let mut out = format!("{HEAD}{BODY}");
    for (module, data) in MODULES.iter().zip(data) {
        out += &render(*module, data);
    }
    out + END
}
// ANCHOR_END: render

// ANCHOR: placeholder
/// What stands in for a module until it is there: its title, and the
/// grey bar the styles draw after it. `role` is its class, and the end of
/// its id: lesson 07's skeletons, and the placeholders of lesson 08 and
/// of [`csr_page`].
pub fn stand_in(module: Module, role: &str) -> String {
    format!(
        "<div class=\"module {role}\" id=\"{id}-{role}\"><h2>{title}</h2></div>\n",
        id = module.id,
        title = module.title,
    )
}

/// Where a module goes, until its data is in.
pub fn placeholder(module: Module) -> String {
    stand_in(module, "placeholder")
}
// ANCHOR_END: placeholder

// ANCHOR: csr
/// The same page rendered in the browser, for comparison: a placeholder
/// per module, and a script that asks `/module/ID` for each (with this
/// page's `?delays=`) and puts the answer in its place. Nothing can be
/// asked before the page and its script are in.
pub fn csr_page() -> String {
    let placeholders: String = MODULES.into_iter().map(placeholder).collect();
    let ids: Vec<String> =
        MODULES.iter().map(|m| format!("\"{}\"", m.id)).collect();
    format!(
        "{HEAD}{BODY}{placeholders}<script>
for (const id of [{ids}]) {{
  fetch(\"/module/\" + id + location.search)
    .then(answer => answer.text())
    .then(html => document.getElementById(id + \"-placeholder\").outerHTML = html);
}}
</script>
{END}",
        ids = ids.join(", "),
    )
}
// ANCHOR_END: csr

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_apply_in_module_order_and_keep_their_defaults() {
        let d = Delays::parse("10, 20").unwrap();
        assert_eq!(d.0[0], Duration::from_millis(10));
        assert_eq!(d.0[1], Duration::from_millis(20));
        assert_eq!(d.0[2], Duration::from_millis(DEFAULT_DELAYS_MS[2]));
        assert!(Delays::parse("1,2,3,4,5,6").is_err());
        assert!(Delays::parse("fast").is_err());
        assert!(Delays::parse("60000").is_ok());
        assert_eq!(
            Delays::parse("0,60001"),
            Err("60001: a delay is 60000 ms at most".into())
        );
        let q = Delays::default().from_query("x=1&delays=0%2C0").unwrap();
        assert_eq!(q.0[1], Duration::ZERO);
        assert_eq!(Delays::default().slowest(), Duration::from_millis(800));
    }

    #[tokio::test(start_paused = true)]
    async fn the_data_takes_as_long_as_the_slowest_source() {
        let start = tokio::time::Instant::now();
        let data = fetch_all(Delays::default()).await;
        assert_eq!(start.elapsed(), Duration::from_millis(800));
        assert!(data[..4].iter().all(Result::is_ok));
        assert_eq!(data[4], Err("the weather service did not answer".into()));
    }

    #[test]
    fn the_charset_is_declared_in_the_first_1024_bytes() {
        assert!(HEAD.find("<meta charset=\"utf-8\">").unwrap() < 1024);
    }

    #[test]
    fn the_shell_has_enough_text_for_safari_to_paint_it() {
        // The text WebKit counts: outside tags, whitespace not counted.
        let shell: String = MODULES.into_iter().map(placeholder).collect();
        let mut in_tag = false;
        let mut text = 0;
        for c in format!("{BODY}{shell}").chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag && !c.is_whitespace() => text += 1,
                _ => {}
            }
        }
        assert!(text > 200, "{text} characters");
    }

    #[test]
    fn every_module_hides_its_skeleton_once_it_is_there() {
        // Lesson 07's CSS names each module: a new module needs its rule.
        for module in MODULES {
            let id = module.id;
            let rule = format!("main:has(>#{id})>#{id}-skeleton");
            assert!(HEAD.contains(&rule), "{rule}");
        }
    }

    #[test]
    fn a_failed_module_says_so_and_the_rest_render() {
        let html = render(MODULES[4], &Err("down".into()));
        assert_eq!(
            html,
            "<section class=\"module error\" id=\"weather\"><h2>Weather</h2>\
             <p>Weather is not available right now.</p></section>\n"
        );
    }
}
