//! # Exercise: forward a stream until the client leaves
//!
//! Chapter: `book/src/05-tokio.md`.
//!
//! Lesson 05's connection waits on two things at once: the producer's next
//! chunk, and its client leaving. `tokio::select!` polls both and takes
//! whichever comes first. The branch that loses is dropped, and in async
//! Rust that is how a wait is cancelled.
//!
//! A producer is a task of its own, and a task is not a future you hold:
//! dropping its `JoinHandle` does not stop it. The `Producer` here stops
//! its task when it is dropped, so a connection that returns early stops
//! its producer too, even one that is asleep in a timer.
//!
//! ```text
//! producer task ──chunks──▶ forward ──write──▶ client
//!                              ▲
//!                  gone ───────┘   (the client closed: stop everything)
//! ```
//!
//! The tests run on tokio's paused clock: a `sleep` takes no real time,
//! but the clock still moves by exactly its length.
//!
//! Make the tests at the bottom pass:
//! `cargo run -p exercises -- run until_gone`.

use std::future::Future;
use std::io;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

fn main() {
    // You can experiment here, then run the tests with
    // `cargo run -p exercises -- run until_gone`.
}

/// How many chunks a producer may make before the writer takes them.
const AHEAD: usize = 2;

/// A stream being made by its own task. Dropping it stops the task.
#[derive(Debug)]
struct Producer {
    chunks: mpsc::Receiver<Vec<u8>>,
    task: JoinHandle<()>,
}

impl Producer {
    /// Runs `make` as a task of its own, handing it the sending end of a
    /// channel that holds `AHEAD` chunks.
    fn spawn<F>(make: impl FnOnce(mpsc::Sender<Vec<u8>>) -> F) -> Producer
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let (tx, chunks) = mpsc::channel(AHEAD);
        let task = tokio::spawn(make(tx));
        Producer { chunks, task }
    }

    /// The next chunk, when it is ready; `None` once the producer has
    /// ended. Cancel safe: if it loses a `select!`, no chunk is lost.
    async fn next(&mut self) -> Option<Vec<u8>> {
        self.chunks.recv().await
    }
}

impl Drop for Producer {
    // TODO: Stop the producer's task. Dropping `self.task`, which happens
    // anyway after this, does not stop it: see what tokio's `JoinHandle`
    // docs say a dropped handle does.
    //   a producer asleep in a 10 s timer, dropped  → its task ends now,
    //                                                 and makes no chunk
    fn drop(&mut self) {}
}

/// How a stream ended.
#[derive(Debug, PartialEq, Eq)]
enum Ended {
    /// The producer ended, and every chunk was written.
    Done,
    /// The client left first. The producer was stopped.
    ClientGone,
}

/// Writes the producer's chunks to `out` as they come, until the producer
/// ends or `gone` completes, whichever is first. Either way the producer
/// is dropped on return, which stops it.
async fn forward(
    mut producer: Producer,
    out: &mut (impl AsyncWrite + Unpin),
    gone: impl Future<Output = ()>,
) -> io::Result<Ended> {
    // TODO: Loop: wait for the producer's next chunk and write it to
    // `out`, until the producer ends (`next` gives `None`).
    //   chunks "0", "1", "2", 1 s apart, a client that stays
    //     → Ok(Ended::Done) after 3 s, and `out` holds "012"
    //
    // TODO: Race each wait against `gone` with `tokio::select!`: the wait
    // for the next chunk, and the write too (a client that reads nothing
    // makes the write wait forever). Return `Ended::ClientGone` as soon as
    // `gone` completes. `gone` is one future for the whole loop: pin it
    // once, before the loop, and select on `&mut gone`.
    //   a chunk every 10 s, the client leaves at 25 s
    //     → Ok(Ended::ClientGone) at 25 s, `out` holds "01"
    //   a write that never completes, the client leaves at 5 s
    //     → Ok(Ended::ClientGone) at 5 s
    todo!()
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll};
    use std::time::Duration;

    use tokio::time::{Instant, sleep, timeout};

    use super::*;

    /// What the tests watch of a producer: how many chunks it has made,
    /// and whether its task is still alive.
    #[derive(Debug, Default)]
    struct Watched {
        made: AtomicUsize,
        alive: Arc<()>,
    }

    impl Watched {
        fn made(&self) -> usize {
            self.made.load(Ordering::Relaxed)
        }

        /// The producer's task holds a clone of `alive` while it lives.
        fn producer_alive(&self) -> bool {
            Arc::strong_count(&self.alive) > 1
        }
    }

    /// `n` chunks, `b"0"`, `b"1"`, …, each after a wait of `every` (its
    /// data source: a database, another service).
    fn producer(n: usize, every: Duration, watched: &Arc<Watched>) -> Producer {
        let watched = Arc::clone(watched);
        Producer::spawn(move |tx| async move {
            let _alive = Arc::clone(&watched.alive);
            for i in 0..n {
                sleep(every).await;
                watched.made.fetch_add(1, Ordering::Relaxed);
                if tx.send(i.to_string().into_bytes()).await.is_err() {
                    return;
                }
            }
        })
    }

    /// A writer that never takes a byte: the socket of a client that has
    /// stopped reading, its buffers full.
    #[derive(Debug)]
    struct Full;

    impl AsyncWrite for Full {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &[u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Pending
        }

        fn poll_flush(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<io::Result<()>> {
            Poll::Pending
        }

        fn poll_shutdown(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<io::Result<()>> {
            Poll::Pending
        }
    }

    /// `forward`, with a limit: a `forward` that never returns fails the
    /// test instead of hanging it.
    async fn forward_within(
        producer: Producer,
        out: &mut (impl AsyncWrite + Unpin),
        gone: impl Future<Output = ()>,
    ) -> Ended {
        let limit = Duration::from_secs(3600);
        timeout(limit, forward(producer, out, gone))
            .await
            .expect("forward returns: the producer ends or the client leaves")
            .expect("the writer does not fail")
    }

    const SECOND: Duration = Duration::from_secs(1);

    #[tokio::test(start_paused = true)]
    async fn every_chunk_is_written_when_the_client_stays() {
        let watched = Arc::default();
        let start = Instant::now();
        let mut out = Vec::new();
        let ended = forward_within(
            producer(3, SECOND, &watched),
            &mut out,
            std::future::pending(),
        )
        .await;
        assert_eq!(ended, Ended::Done);
        assert_eq!(out, b"012");
        // Each chunk was written when it was made, not all at the end.
        assert_eq!(start.elapsed(), 3 * SECOND);
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_leaves_between_chunks_is_seen_at_once() {
        let watched = Arc::default();
        let start = Instant::now();
        let mut out = Vec::new();
        // A chunk every 10 s; the client leaves after 25 s.
        let ended = forward_within(
            producer(5, 10 * SECOND, &watched),
            &mut out,
            sleep(25 * SECOND),
        )
        .await;
        assert_eq!(ended, Ended::ClientGone);
        assert_eq!(out, b"01");
        // At 25 s, not at 30 s when the next chunk would have come.
        assert_eq!(start.elapsed(), 25 * SECOND);
    }

    #[tokio::test(start_paused = true)]
    async fn the_producer_is_stopped_when_the_client_leaves() {
        let watched = Arc::new(Watched::default());
        let mut out = Vec::new();
        let ended = forward_within(
            producer(100, 10 * SECOND, &watched),
            &mut out,
            sleep(25 * SECOND),
        )
        .await;
        assert_eq!(ended, Ended::ClientGone);
        // Let the runtime run the abort; no time passes on the paused clock.
        tokio::task::yield_now().await;
        assert!(!watched.producer_alive(), "the producer task still runs");
        // It was asleep in its timer, and never wakes up to make another.
        let made = watched.made();
        sleep(60 * SECOND).await;
        assert_eq!(watched.made(), made, "work done for a client that left");
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_leaves_while_the_write_waits_is_seen_too() {
        let watched = Arc::new(Watched::default());
        let start = Instant::now();
        // The socket is full: the first write waits, and would wait forever.
        let ended = forward_within(
            producer(100, SECOND, &watched),
            &mut Full,
            sleep(5 * SECOND),
        )
        .await;
        assert_eq!(ended, Ended::ClientGone);
        assert_eq!(start.elapsed(), 5 * SECOND);
        tokio::task::yield_now().await;
        assert!(!watched.producer_alive(), "the producer task still runs");
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_is_gone_before_the_first_chunk_gets_nothing() {
        let watched = Arc::new(Watched::default());
        let mut out = Vec::new();
        let ended = forward_within(
            producer(3, SECOND, &watched),
            &mut out,
            std::future::ready(()),
        )
        .await;
        assert_eq!(ended, Ended::ClientGone);
        assert_eq!(out, b"");
        tokio::task::yield_now().await;
        assert!(!watched.producer_alive());
        assert_eq!(watched.made(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_a_producer_stops_its_task_where_it_waits() {
        let watched = Arc::new(Watched::default());
        let mut producer = producer(100, 10 * SECOND, &watched);
        assert_eq!(producer.next().await, Some(b"0".to_vec()));
        assert!(watched.producer_alive());
        drop(producer);
        tokio::task::yield_now().await;
        assert!(!watched.producer_alive(), "dropping the handle detaches");
        sleep(60 * SECOND).await;
        assert_eq!(watched.made(), 1);
    }
}
