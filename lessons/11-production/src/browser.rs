//! Pages that stream perfectly, and that a browser still shows late: the
//! rules a browser applies to the first bytes before it paints them.
//!
//! Each page is sent a piece every [`EVERY`], chunked, uncompressed, so
//! that the only thing that differs between two variants is the rule:
//!
//! - `/text?nosniff=0|1`: `text/plain`. Without
//!   `X-Content-Type-Options: nosniff`, Chromium sniffs the first 1024
//!   bytes (to be sure the "text" is not binary) before it renders any.
//! - `/charset?meta=early|late`: HTML whose `Content-Type` names no
//!   charset. HTML's encoding prescan looks for `<meta charset>` in the
//!   first 1024 bytes (WHATWG HTML, "prescan a byte stream").
//! - `/blocking?by=script|stylesheet|none`: a shell that loads a script
//!   or a stylesheet that takes [`SLOW`] to come. A classic script stops
//!   the parser; a stylesheet in the head stops rendering.

use std::time::Duration;

use bytes::Bytes;
use lesson_05_tokio::Answer;
use lesson_05_tokio::produce::Chunks;

/// The time between two pieces of every page here.
pub const EVERY: Duration = Duration::from_millis(200);

/// How long `/slow.js` and `/slow.css` take to come.
pub const SLOW: Duration = Duration::from_millis(1500);

/// How many pieces `/text` sends, and their size: 16 × 100 bytes, so
/// that the first 1024 bytes are complete with piece 10, at 2 s, a
/// second before the end.
pub const TEXT_PIECES: usize = 16;
pub const TEXT_PIECE: usize = 100;

/// Sends `pieces`, one per [`EVERY`]; stops if the client has gone.
async fn send_every(pieces: Vec<String>, chunks: Chunks) {
    for (i, piece) in pieces.into_iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(EVERY).await;
        }
        if !chunks.send(Bytes::from(piece)).await {
            return;
        }
    }
}

// ANCHOR: text
/// `/text`: [`TEXT_PIECES`] lines of [`TEXT_PIECE`] bytes, and
/// `X-Content-Type-Options: nosniff` if `nosniff`.
pub fn text(nosniff: bool) -> Answer {
    let pieces = (0..TEXT_PIECES)
        .map(|i| {
            let line = format!("piece {i:>2}, sent at {:>4} ms ", i * 200);
            format!("{line:.<width$}\n", width = TEXT_PIECE - 1)
        })
        .collect();
    let answer = Answer::stream("text/plain; charset=utf-8", |chunks| {
        send_every(pieces, chunks)
    });
    match nosniff {
        // The type is what the server says it is: no need to look.
        true => answer.field("X-Content-Type-Options", "nosniff"),
        false => answer,
    }
}
// ANCHOR_END: text

/// The `<meta charset>` element that the charset pages place early or
/// late.
const META: &str = "<meta charset=\"utf-8\">\n";

// ANCHOR: charset
/// `/charset`: HTML sent as `text/html` with no charset, so the browser
/// must find the encoding in the bytes: with `<meta charset>` in the
/// first piece (`early`), or only after 1024 bytes of comment (`late`).
pub fn charset(early: bool) -> Answer {
    let mut pieces =
        vec![charset_shell(early) + "<h1>Où est le charset ?</h1>\n"];
    for i in 1..8 {
        pieces.push(format!("<p>Piece {i}: après {} ms.</p>\n", i * 200));
    }
    Answer::stream("text/html", |chunks| send_every(pieces, chunks))
}

/// The head of `/charset`, `<meta charset>` early or late in it.
fn charset_shell(early: bool) -> String {
    let head = "<!doctype html>\n<title>Where is the charset?</title>\n";
    // A comment pads the head past 1024 bytes, as a big inline script or
    // a long list of <link>s does: the prescan gives up there.
    let padding = format!("<!--{}-->\n", "padding ".repeat(130));
    match early {
        true => format!("{head}{META}{padding}"),
        false => format!("{head}{padding}{META}"),
    }
}
// ANCHOR_END: charset

// ANCHOR: blocking
/// `/blocking`: a shell that loads a slow script or stylesheet (or
/// nothing), then the page's pieces.
pub fn blocking(by: Blocker) -> Answer {
    let resource = match by {
        Blocker::Script => "<script src=\"/slow.js\"></script>\n",
        Blocker::Stylesheet => "<link rel=\"stylesheet\" href=\"/slow.css\">\n",
        Blocker::Nothing => "",
    };
    let mut pieces = vec![format!(
        "<!doctype html>\n<meta charset=\"utf-8\">\n\
         <title>Render-blocking</title>\n{resource}\
         <h1>The shell</h1>\n"
    )];
    for i in 1..8 {
        pieces.push(format!("<p>Piece {i}, sent at {} ms.</p>\n", i * 200));
    }
    Answer::stream("text/html; charset=utf-8", |chunks| {
        send_every(pieces, chunks)
    })
}
// ANCHOR_END: blocking

/// What holds the shell of `/blocking` back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocker {
    Script,
    Stylesheet,
    Nothing,
}

/// `/slow.js` or `/slow.css`: a tiny resource, sent whole after [`SLOW`].
pub fn slow(content_type: &'static str, body: &'static str) -> Answer {
    Answer::whole(content_type, move |chunks| async move {
        tokio::time::sleep(SLOW).await;
        chunks.send(Bytes::from_static(body.as_bytes())).await;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_charset_is_in_the_first_1024_bytes_only_when_early() {
        let at = |early| charset_shell(early).find(META).unwrap();
        assert!(at(true) < 1024);
        assert!(at(false) > 1024);
    }
}
