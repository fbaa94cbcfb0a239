//! # Exercise: fetch every module's data at once
//!
//! Chapter: `book/src/06-ssr-blocking.md`.
//!
//! Lesson 06 renders a page only when every module's data is in. Each
//! module waits for a source of its own: a database, a service. If the
//! server asks them one after another, the page waits for the sum of
//! their latencies. If it asks them all at once, it waits for the
//! slowest one only.
//!
//! ```text
//! sources       50 ms, 300 ms, 800 ms, 150 ms, 200 ms
//! one by one    50 + 300 + 800 + 150 + 200 = 1500 ms
//! all at once   max(50, 300, 800, 150, 200) = 800 ms
//! ```
//!
//! The page puts the modules in document order, so the data must come
//! back in the order of the sources, whatever order the sources answer
//! in. And a source that fails costs its own module, not the others.
//!
//! The tests run on tokio's paused clock: a `sleep` takes no real time,
//! but the clock still moves by exactly its length. So the tests can ask
//! for exactly 800 ms, not "about".
//!
//! Make the tests at the bottom pass:
//! `cargo run -p exercises -- run fetch_all`.

use std::time::Duration;

fn main() {
    // You can experiment here, then run the tests with
    // `cargo run -p exercises -- run fetch_all`.
}

/// A module's data source: a stand-in for a database or a service.
#[derive(Debug, Clone, Copy)]
struct Source {
    name: &'static str,
    /// How long it takes to answer.
    delay: Duration,
    /// Whether it fails when it answers.
    fails: bool,
}

/// What a source returned: its content, or why it has none.
type Data = Result<String, String>;

/// Asks one source for its data. The content is made up; the wait is
/// real (on the tests' paused clock, it is exact).
async fn fetch(source: Source) -> Data {
    tokio::time::sleep(source.delay).await;
    if source.fails {
        Err(format!("{} did not answer", source.name))
    } else {
        Ok(format!("{} is ready", source.name))
    }
}

/// Every source's data, in the order of `sources`, all fetched at once:
/// the whole takes as long as the slowest source.
//
// TODO: This asks the sources one after another, so the whole takes the
// sum of their delays. Ask them all at once instead.
//   delays 50, 300, 800, 150, 200 ms   → done after 800 ms, not 1500 ms
//
// TODO: Keep the results in the order of `sources`, whatever order the
// sources answer in.
//   delays a: 30, b: 20, c: 10 ms      → [a, b, c], after 30 ms
//   no sources                          → [], after no time at all
async fn fetch_all(sources: &[Source]) -> Vec<Data> {
    let mut data = Vec::new();
    for &source in sources {
        data.push(fetch(source).await);
    }
    data
}

#[cfg(test)]
mod tests {
    use tokio::time::Instant;

    use super::*;

    fn source(name: &'static str, ms: u64) -> Source {
        Source {
            name,
            delay: Duration::from_millis(ms),
            fails: false,
        }
    }

    /// Lesson 06's dashboard: the weather's source fails.
    fn dashboard() -> Vec<Source> {
        vec![
            source("profile", 50),
            source("feed", 300),
            source("recommendations", 800),
            source("comments", 150),
            Source {
                fails: true,
                ..source("weather", 200)
            },
        ]
    }

    #[tokio::test(start_paused = true)]
    async fn the_whole_takes_the_slowest_source_not_the_sum() {
        let start = Instant::now();
        fetch_all(&dashboard()).await;
        // 800 ms, not 50 + 300 + 800 + 150 + 200 = 1500 ms.
        assert_eq!(start.elapsed(), Duration::from_millis(800));
    }

    #[tokio::test(start_paused = true)]
    async fn the_data_comes_back_in_the_order_of_the_sources() {
        // The last source answers first, the first one last.
        let sources = [source("a", 30), source("b", 20), source("c", 10)];
        let start = Instant::now();
        let data = fetch_all(&sources).await;
        assert_eq!(
            data,
            [
                Ok("a is ready".to_owned()),
                Ok("b is ready".to_owned()),
                Ok("c is ready".to_owned()),
            ]
        );
        assert_eq!(start.elapsed(), Duration::from_millis(30));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_source_costs_its_own_module_only() {
        let data = fetch_all(&dashboard()).await;
        assert_eq!(data.len(), 5);
        assert!(data[..4].iter().all(Result::is_ok), "{data:?}");
        assert_eq!(data[4], Err("weather did not answer".to_owned()));
    }

    #[tokio::test(start_paused = true)]
    async fn no_sources_take_no_time() {
        let start = Instant::now();
        assert!(fetch_all(&[]).await.is_empty());
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
