//! Streams made by their own tasks, and handed over a bounded channel.
//!
//! A [`Producer`] is the page renderer of lessons 01-04, made async: a
//! task that waits for its data (here, a timer stands for a database or
//! another service) and sends each part as it is ready. The connection
//! task writes the parts out. Two things tie the producer to its client:
//!
//! - **Backpressure.** The channel holds [`AHEAD`] chunks. When the
//!   client reads slowly, the socket's buffer fills, the writer waits,
//!   the channel fills, and the producer waits in `send`. Nothing grows.
//! - **Cancellation.** Dropping the [`Producer`] aborts its task, wherever
//!   it is waiting, timers and all. The connection drops it as soon as it
//!   sees the client go, so no work is done for nobody.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use lesson_01_raw_tcp::page::PARTS;
use tokio::sync::mpsc::{self, error::TryRecvError};
use tokio::task::JoinHandle;

/// How many chunks a producer may run ahead of the socket.
pub const AHEAD: usize = 2;

/// The largest chunk `/stream` makes, the most chunks, and the longest
/// pause between them (ms): a client's numbers, so each has a bound.
pub const MAX_SIZE: usize = 1024 * 1024;
pub const MAX_CHUNKS: u64 = 1 << 32;
pub const MAX_EVERY: u64 = 60_000;

/// What a stream is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The lesson page, a part after each pause, as in lessons 01-04.
    Page { pause: Duration },
    /// `n` chunks of `size` bytes, `every` apart: the benchmark's streams,
    /// and an endless one to watch backpressure.
    Chunks {
        n: u64,
        size: usize,
        every: Duration,
    },
}

impl Source {
    /// Makes the stream, sending each chunk as soon as it is ready. Stops
    /// early if the client is gone.
    pub async fn produce(self, chunks: Chunks) {
        match self {
            Source::Page { pause } => {
                for (i, part) in PARTS.iter().enumerate() {
                    if i > 0 {
                        tokio::time::sleep(pause).await;
                    }
                    if !chunks.send(Bytes::from_static(part.as_bytes())).await {
                        return;
                    }
                }
            }
            Source::Chunks { n, size, every } => {
                // One buffer for every chunk: a clone is a reference count.
                let data = Bytes::from(pattern(size));
                for i in 0..n {
                    if i > 0 && !every.is_zero() {
                        tokio::time::sleep(every).await;
                    }
                    if !chunks.send(data.clone()).await {
                        return;
                    }
                }
            }
        }
    }
}

// ANCHOR: send
/// Where a producer sends its chunks: the sending end of its channel.
#[derive(Debug, Clone)]
pub struct Chunks {
    tx: mpsc::Sender<Bytes>,
    stats: Arc<Stats>,
}

impl Chunks {
    /// Sends a chunk, waiting while the channel is full: backpressure.
    /// `false` once nobody receives: the client is gone.
    pub async fn send(&self, chunk: Bytes) -> bool {
        let len = chunk.len() as u64;
        let sent = self.tx.send(chunk).await.is_ok();
        if sent {
            self.stats.chunks.fetch_add(1, Ordering::Relaxed);
            self.stats.bytes.fetch_add(len, Ordering::Relaxed);
        }
        sent
    }
}
// ANCHOR_END: send

/// `size` bytes of `0123456789abcdef…` then a newline, repeated: easy to
/// check, and readable in the inspector.
pub fn pattern(size: usize) -> Vec<u8> {
    const LINE: &[u8] =
        b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\n";
    LINE.iter().copied().cycle().take(size).collect()
}

// ANCHOR: producer
/// A stream being made by its own task. Dropping it stops the task.
#[derive(Debug)]
pub struct Producer {
    chunks: mpsc::Receiver<Bytes>,
    task: JoinHandle<()>,
}

impl Producer {
    /// Runs `make` as a task of its own, handing it the sending end.
    pub fn spawn<F>(
        stats: Arc<Stats>,
        make: impl FnOnce(Chunks) -> F,
    ) -> Producer
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let (tx, chunks) = mpsc::channel(AHEAD);
        let live = Arc::clone(&stats);
        let made = make(Chunks { tx, stats });
        let task = tokio::spawn(async move {
            // Counted while the task lives, however it ends: finished,
            // or aborted part way (the guard is dropped either way).
            let _live = Live::new(&live.producers);
            made.await;
        });
        Producer { chunks, task }
    }

    /// The next chunk, when it is ready; `None` at the end.
    pub async fn next(&mut self) -> Option<Bytes> {
        self.chunks.recv().await
    }

    /// The next chunk if it is ready now, without waiting: `Empty` if it
    /// isn't, `Disconnected` at the end.
    pub fn try_next(&mut self) -> Result<Bytes, TryRecvError> {
        self.chunks.try_recv()
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        // A no-op if the task is done. Otherwise it is cancelled at the
        // point where it waits: a timer, or a full channel.
        self.task.abort();
    }
}
// ANCHOR_END: producer

/// What the server is doing, for the banner, the tests and the shutdown
/// message. Plain counters: reading them never slows the streams.
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections open now.
    pub connections: AtomicUsize,
    /// Producer tasks alive now.
    pub producers: AtomicUsize,
    /// Chunks and data bytes produced since the start.
    pub chunks: AtomicU64,
    pub bytes: AtomicU64,
}

impl Stats {
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }

    pub fn producers(&self) -> usize {
        self.producers.load(Ordering::Relaxed)
    }

    pub fn chunks(&self) -> u64 {
        self.chunks.load(Ordering::Relaxed)
    }
}

/// Counts one live thing in `gauge` until it is dropped.
#[derive(Debug)]
pub struct Live<'a>(&'a AtomicUsize);

impl<'a> Live<'a> {
    pub fn new(gauge: &'a AtomicUsize) -> Self {
        gauge.fetch_add(1, Ordering::Relaxed);
        Live(gauge)
    }
}

impl Drop for Live<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_page_comes_a_part_per_pause() {
        let stats = Arc::new(Stats::default());
        let pause = Duration::from_millis(400);
        let start = tokio::time::Instant::now();
        let source = Source::Page { pause };
        let mut producer = Producer::spawn(stats, |c| source.produce(c));
        let mut at = Vec::new();
        let mut page = Vec::new();
        while let Some(part) = producer.next().await {
            at.push(start.elapsed().as_millis());
            page.extend_from_slice(&part);
        }
        assert_eq!(at, [0, 400, 800, 1200, 1600]);
        assert_eq!(page, lesson_01_raw_tcp::page::html().as_bytes());
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_reader_holds_the_producer_back() {
        let stats = Arc::new(Stats::default());
        let source = Source::Chunks {
            n: 1000,
            size: 64,
            every: Duration::ZERO,
        };
        let mut producer =
            Producer::spawn(Arc::clone(&stats), |c| source.produce(c));
        tokio::time::sleep(Duration::from_secs(1)).await;
        // Nobody read: the producer made what the channel holds, and waits.
        assert_eq!(stats.chunks(), AHEAD as u64);
        producer.next().await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(stats.chunks(), AHEAD as u64 + 1);
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_producer_stops_its_task_at_once() {
        let stats = Arc::new(Stats::default());
        let source = Source::Chunks {
            n: 10,
            size: 8,
            every: Duration::from_secs(3600),
        };
        let mut producer =
            Producer::spawn(Arc::clone(&stats), |c| source.produce(c));
        assert_eq!(producer.next().await.unwrap(), "01234567");
        assert_eq!(stats.producers(), 1);
        drop(producer);
        // Let the runtime run the abort; no time passes on the paused clock.
        tokio::task::yield_now().await;
        assert_eq!(stats.producers(), 0);
    }

    #[test]
    fn the_pattern_is_lines_of_64() {
        let p = pattern(130);
        assert_eq!(&p[..10], b"0123456789");
        assert_eq!(p[63], b'\n');
        assert_eq!(&p[64..66], b"01");
        assert_eq!(p.len(), 130);
    }
}
