//! The tour's lessons, shared by the tour (src/main.rs) and the tests
//! that go through every stream it offers.

pub mod devtools;

use std::io;
use std::net::SocketAddr;

use inspector::target::Request;
use inspector::tui::Demo;
use lesson_01_raw_tcp::cli::{self, Lesson};
use lesson_01_raw_tcp::page::DEFAULT_PAUSE;
use lesson_01_raw_tcp::server;

/// Every lesson, in the tour's order.
pub const LESSONS: [Lesson; 11] = [
    lesson_01_raw_tcp::LESSON,
    lesson_02_chunked_by_hand::LESSON,
    lesson_03_flusher::LESSON,
    lesson_04_http_parse::LESSON,
    lesson_05_tokio::LESSON,
    lesson_06_ssr_blocking::LESSON,
    lesson_07_streaming_ssr::LESSON,
    lesson_08_out_of_order::LESSON,
    lesson_09_sse::LESSON,
    lesson_10_websocket::LESSON,
    lesson_11_production::LESSON,
];

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

/// The picker's rows for `lesson`, served at `url`: its stream first,
/// then each other route its chapter compares it with (such as lesson
/// 03's `/buffered`). Each says what the row shows in the tour, which is
/// not what the lesson's banner says of its commands (curl's flags, when
/// to press Ctrl-C): the tour has rows, not commands.
pub fn demos(lesson: &Lesson, url: &str) -> Vec<Demo> {
    // The lesson's stream, and a route beside it: `label` stands in for
    // the lesson's title, which the first row carries.
    let title = title(lesson);
    let first = |path: &str, shows: &str| {
        Demo::new(&title, shows, &format!("{url}{path}"))
    };
    let also = |label: &str, path: &str, shows: &str| {
        Demo::new(&format!("  {label}"), shows, &format!("{url}{path}"))
    };
    match lesson.package {
        "lesson-01-raw-tcp" => vec![first(
            "",
            "Content-Length: the whole page arrives at once, at the end",
        )],
        "lesson-02-chunked-by-hand" => vec![first(
            "",
            "the page a chunk per part, each sent the moment it is ready",
        )],
        "lesson-03-flusher" => vec![
            first("", "one chunk per flush(): the buffer sent on purpose"),
            also(
                "/buffered",
                "buffered",
                "never flushed: Content-Length, as in lesson 01",
            ),
            also(
                "/bufwriter",
                "bufwriter",
                "a BufWriter nobody flushes: chunked, yet one burst",
            ),
        ],
        // Keep-alive is the new idea, so the row sends its request twice
        // on one connection, as `--repeat 2` and the chapter's curl do.
        "lesson-04-http-parse" => {
            let mut row = first(
                "",
                "two requests on one connection: a zero chunk ends each response",
            );
            row.repeat = 2;
            // The chapter's curl, which asks twice and counts connections.
            let twice = lesson
                .watch
                .iter()
                .find(|w| w.command.contains(" {url} {url}"));
            if let Some(watch) = twice {
                row.command = watch.command_for(url);
            }
            vec![row]
        }
        // Not the page at `/`, which reads as lesson 02's: what is new is
        // a producer task, ahead of its reader, stopped when it leaves.
        "lesson-05-tokio" => vec![
            first(
                "stream?n=16&size=65536",
                "1 MiB at full speed: the task is ahead, so reads come full (Reads)",
            ),
            also(
                "/stream, paced",
                "stream?n=20&size=32&every=100",
                "twenty chunks 100 ms apart, each made by the stream's task",
            ),
            also(
                "/stream, long",
                "stream?n=100&size=16&every=250",
                "25 s of chunks: pick another row, and its task stops at once",
            ),
        ],
        "lesson-06-ssr-blocking" => vec![
            first("", "the page after all its data: nothing until the slowest"),
            also(
                "/?delays=…",
                "?delays=10,20,30,40,50",
                "other delays for this request: the first byte waits 50 ms",
            ),
            also(
                "/csr",
                "csr",
                "rendered in the browser instead: a script asks for each module",
            ),
        ],
        "lesson-07-streaming-ssr" => vec![first(
            "",
            "the shell, then the modules in page order: a slow one holds the rest",
        )],
        "lesson-08-out-of-order" => vec![
            first(
                "",
                "each module the moment its data is in, swapped into place",
            ),
            also(
                "/?delays=0",
                "?delays=0",
                "a cache hit: the profile's data is ready, so it is in the shell",
            ),
        ],
        "lesson-09-sse" => vec![
            first(
                "events?n=6&every=300",
                "six events, a chunk each: ids, types, a poem of three lines",
            ),
            resumed(also(
                "/events, resumed",
                "events?n=2&every=300",
                "a reconnect that says Last-Event-ID: 4 resumes at event 5",
            )),
            also(
                "/events, quiet",
                "events?n=2&every=1500&heartbeat=400",
                "a quiet stream: heartbeat comments between two events",
            ),
        ],
        // Live, so that `m` can send more, and `c` close it.
        "lesson-10-websocket" => {
            let ws = cli::ws_url(&format!("{url}ws"));
            let send = ["hello", "two words"].map(String::from).to_vec();
            vec![Demo {
                command: format!(
                    "cargo run -q -p inspector -- --send hello \
                     --send 'two words' {ws}"
                ),
                send,
                ..Demo::new(
                    &title,
                    "frames both ways: a greeting, two messages echoed; m sends another",
                    &ws,
                )
            }]
        }
        "lesson-11-production" => vec![
            first(
                "",
                "gzip flushed after each part: each chunk decodes at once",
            ),
            also(
                "/swallowed",
                "swallowed",
                "a compression middleware that swallows the flushes: one burst",
            ),
            also(
                "/text",
                "text?nosniff=0",
                "text/plain, no nosniff: it streams, yet browsers wait for 1024 bytes",
            ),
        ],
        // A lesson this list has not caught up with: its stream.
        _ => vec![first("", lesson.idea)],
    }
}

/// `lesson 02: chunked by hand` as the picker's first column has it,
/// `02 chunked by hand`: short, so that 80 columns leave room for what
/// each row shows.
pub fn title(lesson: &Lesson) -> String {
    let title = lesson.title.strip_prefix("lesson ").unwrap_or(lesson.title);
    title.replacen(": ", " ", 1)
}

/// Lesson 09's reconnect: `row` sends the id of the last event the
/// client had, as a browser's `EventSource` does when it comes back.
fn resumed(mut row: Demo) -> Demo {
    const RESUME: &str = "Last-Event-ID: 4";
    row.request = Some(Request::new("GET", &[RESUME.into()]));
    row.command = format!("curl -sS -N -H '{RESUME}' '{}'", row.url);
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every lesson's rows, as the tour lists them, each lesson at a
    /// made-up address of its own.
    fn rows() -> Vec<Demo> {
        LESSONS
            .iter()
            .enumerate()
            .flat_map(|(i, lesson)| {
                demos(lesson, &format!("http://127.0.0.1:{}/", i + 1))
            })
            .collect()
    }

    /// What a row shows is said for the picker, whole on one line of an
    /// 80-column terminal below the list (after its 11-column label),
    /// and says nothing of a command line's keys or of curl.
    #[test]
    fn every_caption_is_the_tours_and_fits_80_columns() {
        for row in rows() {
            let idea = &row.idea;
            assert!(idea.chars().count() <= 80 - 11, "too long: {idea}");
            for banner in ["Ctrl-C", "q quits", "curl", "--"] {
                assert!(!idea.contains(banner), "{banner:?} in: {idea}");
            }
        }
    }

    /// No two rows show the same request: each has a URL, or a request,
    /// of its own.
    #[test]
    fn every_row_is_a_stream_of_its_own() {
        let rows = rows();
        for (i, a) in rows.iter().enumerate() {
            for b in &rows[i + 1..] {
                let same = a.url == b.url && a.request == b.request;
                assert!(
                    !same,
                    "{} and {} both ask {}",
                    a.title, b.title, a.url
                );
            }
        }
    }

    /// Lesson 04's row sends two requests on one connection; lesson 10's
    /// sends the two messages its caption promises.
    #[test]
    fn rows_carry_what_their_captions_promise() {
        let rows = rows();
        let row = |title: &str| rows.iter().find(|r| r.title == title).unwrap();
        assert_eq!(row("04 parsing requests").repeat, 2);
        assert!(row("04 parsing requests").command.contains("num_connects"));
        let ws = row("10 WebSocket");
        assert!(ws.url.starts_with("ws://") && ws.url.ends_with("/ws"));
        assert_eq!(ws.send, ["hello", "two words"]);
        assert!(ws.idea.contains("two messages"));
    }
}
