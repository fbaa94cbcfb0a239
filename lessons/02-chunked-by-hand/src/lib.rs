//! # Lesson 02: chunked transfer coding, by hand
//!
//! Lesson 01 could not send a byte before it knew the `Content-Length`. The
//! chunked transfer coding (RFC 9112 §7.1) removes that need: the body goes
//! out as a series of chunks, each prefixed by its own size, and a chunk of
//! size zero ends it. So each part of the page can leave the moment it is
//! ready.
//!
//! ```text
//! chunked-body = *chunk last-chunk trailer-section CRLF
//! chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//! last-chunk   = 1*("0") [ chunk-ext ] CRLF
//! ```
//!
//! The server sets `TCP_NODELAY`, so the kernel sends each small write at
//! once instead of holding it back for Nagle's algorithm.
//!
//! # Layout
//! - [`chunk`]: the size line, one chunk frame, the last-chunk.
//! - [`write_page`]: the page from lesson 01, one chunk per part.
//! - [`handler`]: the server (lesson 01's, serving [`write_page`]).

pub mod chunk;

use std::io::{self, Write};
use std::net::TcpStream;
use std::time::Duration;

use lesson_01_raw_tcp::cli::{self, Lesson, Watch};
use lesson_01_raw_tcp::request::{Request, Version};
use lesson_01_raw_tcp::server::Handler;
use lesson_01_raw_tcp::{not_found, page, response};

/// How lesson 02 introduces itself, and the commands that watch it.
pub const LESSON: Lesson = Lesson {
    package: "lesson-02-chunked-by-hand",
    title: "lesson 02: chunked by hand",
    idea: "hex size line, data, CRLF: each part leaves as soon as it is ready",
    watch: &[
        Watch {
            what: "the raw chunks, printed as they arrive",
            command: "curl -sS --raw -N {url}",
            path: "",
        },
        cli::TIMING,
        cli::INSPECTOR,
    ],
};

// ANCHOR: write_page
/// Sends the page as it renders: the head at once, then one chunk per part.
pub fn write_page(stream: &mut impl Write, pause: Duration) -> io::Result<()> {
    // No Content-Length: the length is not known yet. Transfer-Encoding
    // tells the client that chunks follow instead.
    let head = format!(
        "HTTP/1.1 200 OK\r\n\
         Date: {date}\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Transfer-Encoding: chunked\r\n\
         Connection: close\r\n\
         \r\n",
        date = response::date(),
    );
    stream.write_all(head.as_bytes())?;

    // Each part becomes one chunk the moment it is rendered. If the client
    // has gone, the write fails and `?` stops the rendering.
    page::render(pause, |part| chunk::write_chunk(stream, part.as_bytes()))?;

    // The zero-size chunk ends the body (and only the body: with keep-alive
    // the connection could carry another request, see lesson 04).
    stream.write_all(chunk::LAST_CHUNK)
}
// ANCHOR_END: write_page

// ANCHOR: handler
/// Lesson 02's server. `nodelay` is `true` in the binary; tests turn it off
/// to show what Nagle's algorithm does to small writes.
pub fn handler(pause: Duration, nodelay: bool) -> impl Handler {
    move |req: &Request, stream: &mut TcpStream| {
        // Send each write now, not when the previous one is acknowledged.
        stream.set_nodelay(nodelay)?;
        match (req.target.as_str(), req.version) {
            // An HTTP/1.0 client does not know chunked coding (RFC 9112
            // §6.1), so it gets lesson 01's response. Lesson 04 does better.
            ("/", Version::Http10) => response::write_page(stream, pause),
            ("/", Version::Http11) => write_page(stream, pause),
            _ => not_found(stream, req),
        }
    }
}
// ANCHOR_END: handler
