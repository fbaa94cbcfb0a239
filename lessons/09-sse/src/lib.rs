//! Lesson 09: Server-Sent Events.
//!
//! An event stream is a chunked response like lesson 05's, with a format
//! on top (`text/event-stream`) that a browser's `EventSource` reads:
//! events with an id, a type and data, and comments as heartbeats. The
//! browser reconnects by itself when the stream ends or breaks, and says
//! where it was with `Last-Event-ID`; the server resumes after it.
//!
//! The same format also answers a POST: a page reads it with `fetch()`
//! and parses the events itself, as pages that talk to the APIs of
//! language models do.
//!
//! # Layout
//! - [`sse`]: the format: an [`Event`](sse::Event) and its encoding.
//! - [`reply`]: a stream read by `fetch()`: `POST /reply`, and the page
//!   at `/fetch` that reads it.
//! - [`Events`]: the site: the pages at `/` and `/fetch`, the streams at
//!   `/events` and `/reply`.

pub mod reply;
pub mod sse;

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use lesson_01_raw_tcp::cli::{Lesson, Watch};
use lesson_01_raw_tcp::response::Status;
use lesson_04_http_parse::head::Head;
use lesson_05_tokio::produce::Chunks;
use lesson_05_tokio::site::path_and_query;
use lesson_05_tokio::{Answer, Config, Site};
use tokio::time::{Instant, sleep_until};

use sse::{Event, HEARTBEAT};

pub const LESSON: Lesson = Lesson {
    package: "lesson-09-sse",
    title: "lesson 09: server-sent events",
    idea: "an event stream over chunked coding: typed events with ids, heartbeats, and resuming after a reconnect",
    watch: &[
        Watch {
            what: "the events as they come (Ctrl-C stops)",
            command: "curl -sS -N '{url}'",
            path: "events?n=6&every=200",
        },
        Watch {
            what: "reconnecting after event 4: the stream resumes at 5",
            command: "curl -sS -N -H 'Last-Event-ID: 4' '{url}'",
            path: "events?n=2&every=200",
        },
        Watch {
            what: "a quiet stream: heartbeats between the events",
            command: "curl -sS -N '{url}'",
            path: "events?n=2&every=1000&heartbeat=300",
        },
        Watch {
            what: "each event, and the chunk that carried it",
            command: "cargo run -q -p inspector -- --plain '{url}'",
            path: "events?n=6&every=100",
        },
        Watch {
            what: "the events' chunks live, in the inspector (q quits)",
            command: "cargo run -q -p inspector -- '{url}'",
            path: "events?n=10&every=300",
        },
        Watch {
            what: "a POST answered with an event stream, a word per event",
            command: "cargo run -q -p inspector -- --plain -d 'prompt=a haiku' '{url}'",
            path: "reply?n=3&every=100",
        },
    ],
};

/// How a stream runs: each may be set per request in the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The time between two events: `every=` in milliseconds.
    pub every: Duration,
    /// How many events before the stream ends: `n=`; `None`, never.
    pub n: Option<u64>,
    /// How long the stream may be quiet before a heartbeat: `heartbeat=`.
    pub heartbeat: Duration,
    /// How long the client waits before it reconnects: `retry=`.
    pub retry: Duration,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            every: Duration::from_secs(1),
            n: None,
            heartbeat: Duration::from_secs(15),
            retry: Duration::from_secs(1),
        }
    }
}

impl Plan {
    /// This plan, with what `query` sets: `n=6&every=200`.
    pub fn with_query(mut self, query: &str) -> Result<Plan, String> {
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let number = value
                .parse::<u64>()
                .map_err(|_| format!("{key}={value}: a whole number, please"));
            let ms = || -> Result<Duration, String> {
                match number.clone()? {
                    0 => Err(format!("{key}: 1 ms at least")),
                    ms => Ok(Duration::from_millis(ms.min(3_600_000))),
                }
            };
            match key {
                "every" => self.every = ms()?,
                "heartbeat" => self.heartbeat = ms()?,
                "retry" => self.retry = ms()?,
                "n" => self.n = Some(number?),
                _ => {
                    return Err(format!(
                        "{key}: the query takes n, every, heartbeat and retry"
                    ));
                }
            }
        }
        Ok(self)
    }
}

// ANCHOR: event_n
/// Event `n` of the stream, the same every time it is asked for: so a
/// client that reconnects after `n - 1` gets exactly what it missed.
/// Every fifth is a poem, whose data has three lines.
pub fn event(n: u64) -> Event {
    let (event, data) = if n.is_multiple_of(5) {
        let poem = "Chunk after chunk,\nthe page comes as it is made:\nflushed, not buffered.";
        ("poem", poem.to_owned())
    } else {
        ("tick", format!("tick {n}"))
    };
    Event {
        id: Some(n),
        event: Some(event),
        data,
        retry: None,
    }
}
// ANCHOR_END: event_n

// ANCHOR: stream
/// Streams the events after `last` (the client's `Last-Event-ID`, or 0),
/// one per `plan.every`, with a heartbeat whenever the stream has been
/// quiet for `plan.heartbeat`. The first chunk says how soon to come back.
pub async fn stream(last: u64, plan: Plan, chunks: Chunks) {
    let retry = format!("retry: {}\n\n", plan.retry.as_millis());
    if !chunks.send(Bytes::from(retry)).await {
        return;
    }
    let mut quiet_since = Instant::now();
    let mut due = quiet_since + plan.every;
    // Both numbers come from the client: no sum of them may overflow.
    // The ids end at `u64::MAX`, and so does the stream, however big
    // `n` is: `next` is `None` once the last id there is has been sent.
    let last_one = plan.n.map(|n| last.saturating_add(n));
    let mut next = last.checked_add(1);
    while let Some(id) = next.filter(|&id| last_one.is_none_or(|end| id <= end))
    {
        let heartbeat = quiet_since + plan.heartbeat;
        let chunk = if heartbeat < due {
            sleep_until(heartbeat).await;
            Bytes::from_static(HEARTBEAT.as_bytes())
        } else {
            sleep_until(due).await;
            due += plan.every;
            next = id.checked_add(1);
            Bytes::from(event(id).encode())
        };
        if !chunks.send(chunk).await {
            return;
        }
        quiet_since = Instant::now();
    }
}
// ANCHOR_END: stream

/// Lesson 09's site: the page at `/`, the event stream at `/events`.
#[derive(Debug, Clone, Default)]
pub struct Events {
    /// The defaults, which a request's query may override.
    pub plan: Plan,
}

// ANCHOR: answer
impl Site for Events {
    fn answer(&self, request: &Head) -> Answer {
        let (path, query) = path_and_query(request);
        match (request.method.as_str(), path) {
            ("GET" | "HEAD", "/") => page(PAGE),
            ("GET" | "HEAD", "/fetch") => page(reply::PAGE),
            ("GET" | "HEAD", "/events") => {
                let plan = self.plan.with_query(query);
                match (plan, last_event_id(request)) {
                    (Ok(plan), Ok(last)) => {
                        Answer::stream("text/event-stream", move |chunks| {
                            stream(last, plan, chunks)
                        })
                        // A cache must not keep a stream, nor answer the next
                        // client with this one's events.
                        .field("Cache-Control", "no-cache")
                        // nginx buffers responses unless told not to; this
                        // tells it, for this response only.
                        .field("X-Accel-Buffering", "no")
                    }
                    (Err(why), _) | (_, Err(why)) => {
                        Answer::plain(Status::BadRequest, why)
                    }
                }
            }
            // The body of the POST was read and thrown away by lesson
            // 05's server: the numbers come from the query.
            ("POST", "/reply") => match self.plan.with_query(query) {
                Ok(plan) => Answer::stream("text/event-stream", move |c| {
                    reply::reply(plan, c)
                })
                .field("Cache-Control", "no-cache")
                .field("X-Accel-Buffering", "no"),
                Err(why) => Answer::plain(Status::BadRequest, why),
            },
            (_, "/reply") => {
                Answer::plain(Status::MethodNotAllowed, "/reply takes a POST")
                    .field("Allow", "POST")
            }
            ("GET" | "HEAD", _) => Answer::plain(
                Status::NotFound,
                format!("nothing at {path}: try /, /fetch or /events"),
            ),
            _ => Answer::not_allowed(request),
        }
    }
}
// ANCHOR_END: answer

/// A page that is ready at once, sent with `Content-Length`.
fn page(html: &'static str) -> Answer {
    Answer::whole("text/html; charset=utf-8", move |chunks| async move {
        chunks.send(Bytes::from_static(html.as_bytes())).await;
    })
}

/// The `Last-Event-ID` a reconnecting client sends: the id of the last
/// event it got. None, or empty, is a first visit.
fn last_event_id(request: &Head) -> Result<u64, String> {
    let value = request
        .field_pairs()
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("last-event-id"))
        .map(|(_, value)| String::from_utf8_lossy(value).trim().to_owned());
    match value.as_deref() {
        None | Some("") => Ok(0),
        Some(id) => match id.parse() {
            // Nothing comes after the last id there is. An empty stream
            // would not say so: the browser would come back after `retry`
            // with the same id, and again, forever. A status other than
            // 200 makes `EventSource` give up instead (the HTML
            // standard's "fail the connection"), and the reason tells a
            // person with curl why.
            Ok(u64::MAX) => Err(format!(
                "Last-Event-ID: {id} is the last id there is: \
                 no event comes after it"
            )),
            Ok(last) => Ok(last),
            Err(_) => {
                Err(format!("Last-Event-ID: {id:?} is no id this server sent"))
            }
        },
    }
}

// ANCHOR: page
/// The page: an `EventSource` on `/events`, five events per connection
/// (`n=5`), so that the browser reconnects, and shows that it resumed.
/// The page's own query (`?every=200`) goes to the stream too.
pub const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Server-sent events</title>
<style>
body{font:16px/1.5 system-ui;margin:1em 2em}
li{white-space:pre-line}
.reconnect{color:#888;list-style:none}
</style>
</head>
<body>
<h1>Server-sent events</h1>
<p>Each connection carries five events, then ends. The browser comes back
with the id of the last event it got, and the server goes on from there.</p>
<p>Status: <b id="status">connecting</b></p>
<ol id="events"></ol>
<script>
const list = document.getElementById("events");
const status = document.getElementById("status");
const source = new EventSource("/events?n=5&" + location.search.slice(1));
let opened = 0;
source.onopen = () => {
  status.textContent = "open";
  if (opened++ > 0) {
    const note = document.createElement("li");
    note.className = "reconnect";
    note.textContent = "reconnected";
    list.append(note);
  }
};
source.onerror = () => status.textContent = "reconnecting";
for (const type of ["tick", "poem"]) {
  source.addEventListener(type, (e) => {
    const item = document.createElement("li");
    item.value = Number(e.lastEventId);
    item.dataset.id = e.lastEventId;
    item.textContent = type + ": " + e.data;
    list.append(item);
  });
}
</script>
</body>
</html>
"#;
// ANCHOR_END: page

/// Serves lesson 09 on `127.0.0.1:0` in the background: tests, the tour.
pub fn spawn(plan: Plan) -> io::Result<SocketAddr> {
    lesson_05_tokio::spawn_site(
        Config::new(Default::default()),
        Events { plan },
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use lesson_05_tokio::produce::{Producer, Stats};

    use super::*;

    /// What `stream` sends, and when, on tokio's paused clock.
    async fn sent(last: u64, plan: Plan) -> Vec<(u128, String)> {
        let start = Instant::now();
        let stats = Arc::new(Stats::default());
        let mut producer = Producer::spawn(stats, |c| stream(last, plan, c));
        let mut sent = Vec::new();
        while let Some(chunk) = producer.next().await {
            let text = String::from_utf8(chunk.to_vec()).unwrap();
            sent.push((start.elapsed().as_millis(), text));
        }
        sent
    }

    // ANCHOR: heartbeat
    #[tokio::test(start_paused = true)]
    async fn a_quiet_stream_gets_a_heartbeat_and_events_keep_their_pace() {
        let plan = Plan {
            every: Duration::from_millis(250),
            n: Some(2),
            heartbeat: Duration::from_millis(100),
            retry: Duration::from_millis(3000),
        };
        let heartbeat = HEARTBEAT.to_owned();
        let sent = sent(0, plan).await;
        let expected = [
            (0, "retry: 3000\n\n".to_owned()),
            (100, heartbeat.clone()),
            (200, heartbeat.clone()),
            (250, event(1).encode()),
            (350, heartbeat.clone()),
            (450, heartbeat.clone()),
            (500, event(2).encode()),
        ];
        assert_eq!(sent, expected);
    }
    // ANCHOR_END: heartbeat

    #[tokio::test(start_paused = true)]
    async fn a_reconnecting_client_gets_what_it_missed_and_no_more() {
        let plan = Plan {
            n: Some(2),
            ..Plan::default()
        };
        let sent: Vec<String> =
            sent(4, plan).await.into_iter().map(|s| s.1).collect();
        assert_eq!(
            sent,
            [
                "retry: 1000\n\n".to_owned(),
                event(5).encode(),
                event(6).encode()
            ]
        );
        assert_eq!(event(5).event, Some("poem"));
    }

    #[tokio::test(start_paused = true)]
    async fn the_stream_ends_at_the_last_id_there_is_whatever_n_says() {
        let plan = Plan {
            n: Some(3),
            ..Plan::default()
        };
        let sent = sent_text(u64::MAX - 1, plan).await;
        assert_eq!(
            sent,
            ["retry: 1000\n\n".to_owned(), event(u64::MAX).encode()]
        );
        // Past the end, nothing: the server refuses such an id (see
        // `last_event_id`), but `stream` must not wrap to 0 either.
        let sent = sent_text(u64::MAX, Plan::default()).await;
        assert_eq!(sent, ["retry: 1000\n\n".to_owned()]);
    }

    async fn sent_text(last: u64, plan: Plan) -> Vec<String> {
        sent(last, plan).await.into_iter().map(|s| s.1).collect()
    }

    #[test]
    fn a_query_sets_the_plan_and_nonsense_is_refused() {
        let plan = Plan::default().with_query("n=3&every=20&retry=5").unwrap();
        assert_eq!(plan.n, Some(3));
        assert_eq!(plan.every, Duration::from_millis(20));
        assert_eq!(plan.retry, Duration::from_millis(5));
        assert!(Plan::default().with_query("every=0").is_err());
        assert!(Plan::default().with_query("every=soon").is_err());
        assert!(Plan::default().with_query("colour=red").is_err());
    }
}
