//! An event stream read by `fetch()`, not by `EventSource`: the answer to
//! a POST, a word per event, as the APIs of language models send theirs.
//!
//! `EventSource` can only GET, and sets no header fields of its own
//! (`Last-Event-ID` aside). `fetch()` can POST a body and set any field,
//! and the page reads the response's body as a stream. What it gives up:
//! the browser no longer parses the events, reconnects, or sends
//! `Last-Event-ID`. The page does the parsing itself, in a few lines.
//!
//! Lesson 05's server reads a request's body, to find where the next
//! request starts, and throws it away: a [`Site`](lesson_05_tokio::Site)
//! sees only the head. So `/reply` takes its numbers from the query of
//! the POST, as `/events` does, and never reads the prompt in its body.

use bytes::Bytes;
use lesson_05_tokio::produce::Chunks;
use tokio::time::{Instant, sleep_until};

use crate::Plan;
use crate::sse::Event;

/// What `/reply` says, a word per event: lesson 09's poem.
pub const WORDS: [&str; 13] = [
    "Chunk",
    "after",
    "chunk,",
    "the",
    "page",
    "comes",
    "as",
    "it",
    "is",
    "made:",
    "flushed,",
    "not",
    "buffered.",
];

// ANCHOR: reply
/// Word `n` of the reply, from 1: a `token` event. The words start over
/// after the last one.
pub fn token(n: u64) -> Event {
    let at = usize::try_from(n.saturating_sub(1)).unwrap_or(0) % WORDS.len();
    Event {
        id: None,
        event: Some("token"),
        data: WORDS[at].to_owned(),
        retry: None,
    }
}

/// The last event: the reply is whole. The end of the body alone could
/// not say so, since a stream that is cut off ends too.
pub fn done(n: u64) -> Event {
    Event {
        id: None,
        event: Some("done"),
        data: format!("{n} words"),
        retry: None,
    }
}

/// Streams a reply: `plan.n` words (all of the poem without `n=`), one
/// per `plan.every`, then `done`. A reply has no heartbeats and no
/// `retry`: nothing will reconnect to it.
pub async fn reply(plan: Plan, chunks: Chunks) {
    let n = plan.n.unwrap_or(WORDS.len() as u64);
    let mut due = Instant::now();
    for i in 1..=n {
        due += plan.every;
        sleep_until(due).await;
        // Each event a chunk of its own, sent when it is due: the page
        // shows a word as soon as it is said.
        if !chunks.send(Bytes::from(token(i).encode())).await {
            return;
        }
    }
    chunks.send(Bytes::from(done(n).encode())).await;
}
// ANCHOR_END: reply

// ANCHOR: page
/// The page at `/fetch`: it POSTs a prompt to `/reply` with `fetch()`,
/// reads the body as text as it comes, splits it into events at blank
/// lines, and shows each event as it arrives. The page's own query
/// (`?n=5&every=200`) goes to `/reply`.
pub const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>An event stream read by fetch()</title>
<style>body{font:16px/1.5 system-ui;margin:1em 2em}</style>
</head>
<body>
<h1>An event stream read by fetch()</h1>
<p>The page POSTs a prompt, and reads the answer a word at a time.</p>
<p>Status: <b id="status">asking</b></p>
<ol id="events"></ol>
<script>
const list = document.getElementById("events");
const status = document.getElementById("status");

// One block of lines, as the standard reads it: `field: value` lines,
// comments starting with a colon. This server ends its lines with LF
// only; the standard's parser also takes CR and CRLF.
function parse(block) {
  let type = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") type = value;
    if (field === "data") data.push(value);
  }
  // A block without data dispatches nothing.
  return data.length ? { type, data: data.join("\n") } : null;
}

// Each event in the list, with when it came: ms since fetch() was called.
function show(event, ms) {
  const item = document.createElement("li");
  item.dataset.type = event.type;
  item.dataset.ms = ms;
  item.textContent = event.type + ": " + event.data + " (" + ms + " ms)";
  list.append(item);
}

async function ask() {
  const asked = performance.now();
  const response = await fetch("/reply?" + location.search.slice(1), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ prompt: "a haiku about streaming" }),
  });
  if (!response.ok) {
    status.textContent = response.status + ": " + await response.text();
    return;
  }
  status.textContent = "streaming";
  // Text as it comes: the decoder keeps a character split between two
  // reads until its last byte is there.
  const reader = response.body.pipeThrough(new TextDecoderStream())
    .getReader();
  let buffer = "";
  let finished = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    // Every blank line ends an event; what follows the last one waits
    // for the next read.
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = parse(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (event) show(event, Math.round(performance.now() - asked));
      if (event && event.type === "done") finished = true;
    }
  }
  // No reconnection: the end of the body is the end, and only the
  // `done` event tells a whole reply from one cut off.
  status.textContent = finished ? "done" : "cut off";
}
ask().catch((e) => status.textContent = "failed: " + e);
</script>
</body>
</html>
"#;
// ANCHOR_END: page

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use lesson_05_tokio::produce::{Producer, Stats};

    use super::*;

    // ANCHOR: test
    #[tokio::test(start_paused = true)]
    async fn a_reply_is_a_word_per_event_then_done() {
        let plan = Plan {
            every: Duration::from_millis(100),
            n: Some(3),
            ..Plan::default()
        };
        let start = Instant::now();
        let stats = Arc::new(Stats::default());
        let mut producer = Producer::spawn(stats, |c| reply(plan, c));
        let mut sent = Vec::new();
        while let Some(chunk) = producer.next().await {
            let text = String::from_utf8(chunk.to_vec()).unwrap();
            sent.push((start.elapsed().as_millis(), text));
        }
        let expected = [
            (100, "event: token\ndata: Chunk\n\n"),
            (200, "event: token\ndata: after\n\n"),
            (300, "event: token\ndata: chunk,\n\n"),
            (300, "event: done\ndata: 3 words\n\n"),
        ];
        let expected = expected.map(|(t, s)| (t, s.to_owned()));
        assert_eq!(sent, expected);
    }
    // ANCHOR_END: test

    #[test]
    fn the_words_start_over_after_the_last() {
        assert_eq!(token(13).data, "buffered.");
        assert_eq!(token(14).data, "Chunk");
        assert_eq!(token(0).data, "Chunk");
    }
}
