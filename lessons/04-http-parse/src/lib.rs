//! Lesson 04: parsing requests with httparse, and framing them by the
//! rules that keep request smuggling out.
//!
//! Lessons 01-03 read only the request line. A server that keeps
//! connections alive must know exactly where each request ends, and two
//! parsers that disagree on that (a proxy and this server, say) can be
//! made to see two different requests in the same bytes: request
//! smuggling. RFC 9112 §6 gives the rules that leave no room for
//! disagreement; this lesson applies them strictly.
//!
//! # Layout
//! - [`head`]: the request head from a growing buffer, found in one pass
//!   over the new bytes and parsed by httparse once, with its limits,
//!   its one Host, and an absolute-form target turned into a path.
//! - [`framing`]: where a request's body ends, from its header fields,
//!   or why the request must be refused.
//! - [`body`]: the body itself, read exactly to its end, chunked ones by
//!   the inspector's decoder.
//! - [`server`]: one connection, many requests: keep-alive, pipelining,
//!   `Connection: close`, HTTP/1.0, HEAD, 404 and 405.
//! - [`hostile`]: requests built to break those rules, and the answer
//!   each must get: the table the tests check and the book prints.

pub mod body;
pub mod framing;
pub mod head;
pub mod hostile;
pub mod server;

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use lesson_01_raw_tcp::cli::{Lesson, Watch};

pub const LESSON: Lesson = Lesson {
    package: "lesson-04-http-parse",
    title: "lesson 04: parsing requests",
    idea: "httparse and RFC 9112's framing: many requests on one connection, and no smuggling",
    watch: &[
        Watch {
            what: "two requests on one connection: the zero chunk ends each",
            command: "curl -sS --raw -w '[new connections: %{num_connects}]\\n' {url} {url}",
            path: "",
        },
        // In place of the live TUI, which would show lesson 03's stream
        // again: what is new here is the second exchange.
        Watch {
            what: "the same, in the inspector: the second exchange makes no connection",
            command: "cargo run -q -p inspector -- --plain --repeat 2 {url}",
            path: "",
        },
    ],
};

/// Serves lesson 04 on `127.0.0.1:0` in the background, for tests and the
/// tour.
pub fn spawn(pause: Duration) -> io::Result<SocketAddr> {
    lesson_01_raw_tcp::server::spawn_connections(move |stream| {
        server::connection(stream, pause)
    })
}
