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

use lesson_01_raw_tcp::cli::{Lesson, Watch};
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
        // Not the page at `/`: lesson 04 showed it, and it reads the same
        // here. What is new is a producer that can run ahead of its
        // reader, and this shows where that starts.
        Watch {
            what: "1 MiB, as fast as the socket takes it: full reads, the server is ahead (q quits)",
            command: "cargo run -q -p inspector -- --view reads '{url}'",
            path: "stream?n=16&size=65536",
        },
    ],
};

/// Serves lesson 05 on `127.0.0.1:0` on a runtime of its own, in the
/// background: for tests and the tour.
pub fn spawn(config: Config) -> io::Result<SocketAddr> {
    let demo = site::Demo {
        pause: config.pause,
    };
    spawn_site(config, demo)
}

/// [`spawn`], for any site: lessons 06 to 08 start this way. It may be
/// called from inside a runtime too (a `#[tokio::test]`): the server's
/// runtime is its own, on its own thread.
pub fn spawn_site(config: Config, site: impl Site) -> io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let runtime = tokio::runtime::Runtime::new()?;
    std::thread::spawn(move || {
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::from_std(listener)
                .expect("a bound, non-blocking listener");
            let server = Server::with_site(listener, config, site);
            server.run(std::future::pending()).await;
        });
    });
    Ok(addr)
}

// ANCHOR: serve
/// Serves `site` on `listener` until Ctrl-C or SIGTERM, then shuts down
/// gracefully, saying on stderr what it finished and what it cut. What
/// the lesson binaries run, after `cli::listen` has printed the banner.
pub fn serve(listener: std::net::TcpListener, config: Config, site: impl Site) {
    if let Err(e) = serve_until_stopped(listener, config, site) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

#[tokio::main]
async fn serve_until_stopped(
    listener: std::net::TcpListener,
    config: Config,
    site: impl Site,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let grace = config.grace;
    let server = Server::with_site(listener, config, site);
    let stats = server.stats();
    let cut = server
        .run(async {
            stop_signal().await;
            eprintln!(
                "\nstopping: no new connections; {} open, given {grace:?} to finish",
                stats.connections(),
            );
        })
        .await;
    match cut {
        0 => eprintln!("stopped: every response finished"),
        1 => eprintln!("stopped: 1 connection cut mid-stream"),
        n => eprintln!("stopped: {n} connections cut mid-stream"),
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM from a process manager.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term =
            signal(SignalKind::terminate()).expect("SIGTERM can be watched");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
// ANCHOR_END: serve
