//! # Lesson 03: a flusher, after Go's `http.Flusher`
//!
//! Lesson 02 wrote every chunk by hand. Real handlers just write, and decide
//! now and then that what they wrote so far should reach the client. Go's
//! `net/http` gives them exactly that: a buffered `ResponseWriter`, and
//! `Flush()` to push the buffer out as one chunk. This lesson rebuilds that
//! design as [`ChunkedWriter`], and shows the two ways it can go wrong:
//! never flushing, or buffering somewhere the flusher can't see.
//!
//! # Layout
//! - [`writer`]: [`ChunkedWriter`], lazy head, one chunk per flush,
//!   `Content-Length` when nothing was flushed.
//! - [`write_page`]: the page, with a flush after each part (or without).
//! - [`write_page_bufwriter`]: lesson 02's chunks behind a `BufWriter` that
//!   is never flushed: chunked, yet one burst.
//! - [`handler`]: the routes `/`, `/buffered` and `/bufwriter`.

pub mod writer;

use std::io::{self, BufWriter, Write};
use std::net::TcpStream;
use std::time::Duration;

use lesson_01_raw_tcp::cli::{self, Lesson, Watch};
use lesson_01_raw_tcp::request::{Request, Version};
use lesson_01_raw_tcp::response::{self, Status};
use lesson_01_raw_tcp::server::Handler;
use lesson_01_raw_tcp::{not_found, page};
pub use writer::{BUFFER_BEFORE_CHUNKING, ChunkedWriter, Head};

/// How lesson 03 introduces itself, and the commands that watch it.
pub const LESSON: Lesson = Lesson {
    package: "lesson-03-flusher",
    title: "lesson 03: a flusher",
    idea: "Go's Flusher in Rust: write buffers, each flush() sends one chunk",
    watch: &[
        Watch {
            what: "flushed after each part: one chunk per flush",
            command: "curl -sS --raw -N {url}",
            path: "",
        },
        Watch {
            what: "never flushed: Content-Length, like lesson 01",
            command: "curl -sS -i {url}",
            path: "buffered",
        },
        Watch {
            what: "a BufWriter nobody flushes: chunked, yet one burst",
            ..cli::TIMING.at("bufwriter")
        },
        cli::INSPECTOR,
    ],
};

/// Whether [`write_page`] flushes after each part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    EachPart,
    Never,
}

// ANCHOR: write_page
/// Writes the page through a [`ChunkedWriter`], flushing as `flush` says.
pub fn write_page(
    stream: impl Write,
    pause: Duration,
    flush: Flush,
) -> io::Result<()> {
    let head = Head::new(Status::Ok)
        .field("Content-Type", "text/html; charset=utf-8")
        .field("Connection", "close");
    let mut w = ChunkedWriter::new(stream, head);
    page::render(pause, |part| {
        w.write_all(part.as_bytes())?;
        // Flush on purpose: the part is ready, and the client should see it
        // now rather than when the buffer happens to fill.
        if flush == Flush::EachPart {
            w.flush()?;
        }
        Ok::<_, io::Error>(())
    })?;
    w.finish()?;
    Ok(())
}
// ANCHOR_END: write_page

// ANCHOR: bufwriter
/// Lesson 02's hand-written chunks, through a `BufWriter`. Every chunk lands
/// in its 8 KiB buffer, and nothing empties it until the end: the framing
/// says "chunked", but the client gets everything in one burst.
pub fn write_page_bufwriter(
    stream: impl Write,
    pause: Duration,
) -> io::Result<()> {
    let mut w = BufWriter::new(stream);
    lesson_02_chunked_by_hand::write_page(&mut w, pause)?;
    w.flush() // the only flush, after the last part
}
// ANCHOR_END: bufwriter

// ANCHOR: handler
/// Lesson 03's server.
pub fn handler(pause: Duration) -> impl Handler {
    move |req: &Request, stream: &mut TcpStream| {
        stream.set_nodelay(true)?;
        if req.version == Version::Http10 {
            // No chunks for HTTP/1.0 (RFC 9112 §6.1); lesson 04 does better.
            return response::write_page(stream, pause);
        }
        match req.target.as_str() {
            "/" => write_page(stream, pause, Flush::EachPart),
            "/buffered" => write_page(stream, pause, Flush::Never),
            "/bufwriter" => write_page_bufwriter(stream, pause),
            _ => not_found(stream, req),
        }
    }
}
// ANCHOR_END: handler
