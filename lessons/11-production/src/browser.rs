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
//!   first 1024 bytes (WHATWG HTML, "prescan a byte stream"). Chromium
//!   does not wait for them: it decodes the first piece at once, as
//!   windows-1252 if the meta is not in it, and a later meta changes
//!   nothing (tests/paint.rs at the workspace's root).
//! - `/blocking?by=script|stylesheet|nothing`: a shell that loads a script
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

/// How many pieces `/text` and `/charset` send, and their size: 16 × 100
/// bytes, so that the first 1024 bytes are complete with piece 10, at
/// 2 s, a second before the end.
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
    let answer = Answer::stream("text/plain; charset=utf-8", |chunks| {
        send_every(text_lines(), chunks)
    });
    match nosniff {
        // The type is what the server says it is: no need to look.
        true => answer.field("X-Content-Type-Options", "nosniff"),
        false => answer,
    }
}
// ANCHOR_END: text

/// The lines of `/text`, each saying when it was sent.
fn text_lines() -> Vec<String> {
    let line = |i: usize| format!("piece {i:>2}, sent at {:>4} ms ", i * 200);
    (0..TEXT_PIECES).map(|i| padded(line(i), '.')).collect()
}

/// `line`, filled with `fill` to [`TEXT_PIECE`] bytes, the last a newline.
fn padded(line: String, fill: char) -> String {
    let width = TEXT_PIECE - 1 - line.len();
    format!("{line}{}\n", fill.to_string().repeat(width))
}

/// The `<meta charset>` element that the charset pages place early or
/// late.
const META: &str = "<meta charset=\"utf-8\">\n";

/// The piece of `/charset?meta=late` that carries [`META`]: the first
/// that starts past the prescan's 1024 bytes.
const LATE: usize = 1024 / TEXT_PIECE + 1;

// ANCHOR: charset
/// `/charset`: HTML sent as `text/html` with no charset, so the browser
/// must find the encoding in the bytes: [`TEXT_PIECES`] pieces of
/// [`TEXT_PIECE`] bytes, the heading in the first, with `<meta charset>`
/// before it (`early`) or only in piece [`LATE`], past the first 1024
/// bytes.
pub fn charset(early: bool) -> Answer {
    Answer::stream("text/html", move |chunks| {
        send_every(charset_pieces(early), chunks)
    })
}

/// The pieces of `/charset`. Spaces pad each one, where HTML ignores
/// them.
fn charset_pieces(early: bool) -> Vec<String> {
    let head = "<!doctype html>\n<title>Charset?</title>\n";
    let meta = |yes: bool| if yes { META } else { "" };
    (0..TEXT_PIECES)
        .map(|i| match i {
            0 => format!("{head}{}<h1>Où est le charset ?</h1>", meta(early)),
            i => format!(
                "{}<p>Piece {i}, après {} ms.</p>",
                meta(!early && i == LATE),
                i * 200
            ),
        })
        .map(|piece| padded(piece, ' '))
        .collect()
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
        let at = |early| charset_pieces(early).concat().find(META).unwrap();
        assert!(at(true) < 1024);
        assert!(at(false) > 1024);
    }

    #[test]
    fn every_piece_has_its_size() {
        let pages = [text_lines(), charset_pieces(true), charset_pieces(false)];
        for piece in pages.iter().flatten() {
            assert_eq!(piece.len(), TEXT_PIECE, "{piece:?}");
        }
    }
}
