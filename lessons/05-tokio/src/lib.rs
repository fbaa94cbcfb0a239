//! Lesson 05: the same server on tokio.
//!
//! Lesson 04 gave each connection a thread. That reads well, but a
//! thread can't watch two things at once: while it sleeps before the next
//! part, it can't see its client leave; while it writes, it can't read.
//! On tokio each connection is a task that waits on several things at
//! once, and a thousand idle streams cost a thousand small tasks.
//!
//! # Layout
//! - [`writer`]: [`ChunkedWriter`], lesson 03's writer on `AsyncWrite`:
//!   a chunk per `send`, size line, data and CRLF in one vectored write.
//! - [`produce`]: a stream made by its own task, handed over a bounded
//!   channel (backpressure), and stopped when dropped (cancellation).
//! - [`server`]: lesson 04's connection loop as a task per connection,
//!   noticing disconnects mid-stream, with a graceful shutdown.
//! - [`site`]: what the server serves: a [`Site`] answers each request
//!   with an [`Answer`]; lesson 05's routes are `site::Demo`.

pub mod produce;
pub mod server;
pub mod site;
pub mod writer;

use std::io;
use std::net::SocketAddr;

use lesson_01_raw_tcp::cli::{self, Lesson, Watch};
pub use server::{Config, Server};
pub use site::{Answer, Site};
pub use writer::ChunkedWriter;

pub const LESSON: Lesson = Lesson {
    package: "lesson-05-tokio",
    title: "lesson 05: tokio",
    idea: "a task per stream: thousands at once, stopped when the client leaves, slowed when it reads slowly",
    watch: &[
        Watch {
            what: "twenty chunks, a tenth of a second apart, made by a task",
            // Quoted: the shell would take each `&` for "run in the background".
            command: "curl -sS --raw -N '{url}'",
            path: "stream?n=20&size=32&every=100",
        },
        Watch {
            what: "the stream stops when curl does: its producer is stopped at once",
            command: "curl -sS -N --max-time 1 '{url}' | wc -c",
            path: "stream?n=100&size=16&every=250",
        },
        cli::INSPECTOR,
    ],
};

/// Serves lesson 05 on `127.0.0.1:0` on a runtime of its own, in the
/// background: for tests and the tour.
pub fn spawn(config: Config) -> io::Result<SocketAddr> {
    let runtime = tokio::runtime::Runtime::new()?;
    let server = runtime.block_on(Server::bind_any(config))?;
    let addr = server.local_addr()?;
    std::thread::spawn(move || {
        runtime.block_on(server.run(std::future::pending()));
    });
    Ok(addr)
}
