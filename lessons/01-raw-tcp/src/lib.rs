//! # Lesson 01: a response written by hand
//!
//! The baseline every later lesson improves on. A `std::net::TcpListener`
//! accepts a connection, reads the request head naively, renders the whole
//! page, and only then writes one HTTP/1.1 response with `Content-Length`.
//!
//! The page takes a while to render: each part waits for its (pretend) data
//! source. Because `Content-Length` must be known before the first byte goes
//! out, *nothing* arrives until *everything* is ready. Lesson 02 fixes that.
//!
//! # Layout
//! - [`page`]: the demo page and its slow, part-by-part renderer. Every lesson
//!   serves this same page.
//! - [`request`]: reading a request head, naively (lesson 04 does it properly).
//! - [`response`]: the response bytes, written by hand. The lesson itself is
//!   [`response::write_page`].
//! - [`server`]: accept loop, a thread per connection (at most
//!   [`server::MAX_CONNECTIONS`], then 503), error answers.
//! - [`cli`]: `--addr`, `--pause-ms`, and the banner every lesson prints.
//! - [`testing`]: helpers the lessons' tests share.

pub mod cli;
pub mod page;
pub mod request;
pub mod response;
pub mod server;
pub mod testing;

use std::net::TcpStream;
use std::time::Duration;

use cli::{Lesson, Watch};
use request::Request;
use response::Status;
use server::Handler;

/// How lesson 01 introduces itself, and the commands that watch it.
pub const LESSON: Lesson = Lesson {
    package: "lesson-01-raw-tcp",
    title: "lesson 01: raw TCP",
    idea: "a response with Content-Length: nothing arrives until all is ready",
    watch: &[
        Watch {
            what: "the whole response, head and body",
            command: "curl -sS -i {url}",
            path: "",
        },
        cli::TIMING,
        cli::INSPECTOR,
    ],
};

/// Lesson 01's server: the page at `/`, 404 anywhere else.
pub fn handler(pause: Duration) -> impl Handler {
    move |req: &Request, stream: &mut TcpStream| match req.target.as_str() {
        "/" => response::write_page(stream, pause),
        _ => not_found(stream, req),
    }
}

/// The 404 every lesson answers for a path it does not serve.
pub fn not_found(stream: &mut TcpStream, req: &Request) -> std::io::Result<()> {
    let why = format!("nothing is served at {}", req.target);
    response::write_error(stream, Status::NotFound, &why)
}
