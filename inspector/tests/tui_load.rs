//! The TUI's model under a flood: a million capture events through
//! [`App::handle`], as the capture thread would send them.
//!
//! Nothing may be lost: every chunk, body byte and read is counted,
//! exactly, and the selection follows the newest. Memory must stay
//! bounded: past the caps the oldest rows, reads and wire bytes go, and
//! only the totals remember them. (`benches/tui.rs` measures how fast
//! this goes; here it is only checked.)

use std::time::Duration;

use inspector::tui::exchange::{Exchange, Kind, MAX_ROWS, State};
use inspector::tui::{App, Capture, Command, Event, Options};
use ratatui::layout::Size;

const URL: &str = "http://127.0.0.1:7878/";
const HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
const LAST_CHUNK: &[u8] = b"0\r\n\r\n";
const EVENTS: u64 = 1_000_000;

/// Chunks of sizes 1 to 100, in an order that repeats every [`TILE`]
/// chunks: chunk `i` of the stream is chunk `i % TILE` of the tile.
const TILE: usize = 1024;

struct Stream {
    bytes: Vec<u8>,
    /// Where each chunk of the tile starts, and one more for the end.
    starts: Vec<usize>,
    /// The data bytes of each chunk of the tile.
    sizes: Vec<u64>,
}

impl Stream {
    fn new() -> Self {
        let (mut bytes, mut starts, mut sizes) = (Vec::new(), vec![], vec![]);
        for i in 0..TILE {
            starts.push(bytes.len());
            let size = 1 + (i * 37) % 100;
            bytes.extend(format!("{size:x}\r\n").as_bytes());
            bytes.extend(std::iter::repeat_n(
                b"abcdefghijklmnopqrstuvwxyz"[i % 26],
                size,
            ));
            bytes.extend(b"\r\n");
            sizes.push(size as u64);
        }
        starts.push(bytes.len());
        Stream {
            bytes,
            starts,
            sizes,
        }
    }

    /// Chunks `first..first + n` of the stream, within one tile.
    fn chunks(&self, first: u64, n: usize) -> &[u8] {
        let i = usize::try_from(first).unwrap() % TILE;
        &self.bytes[self.starts[i]..self.starts[i + n]]
    }

    /// The data bytes of the first `chunks` chunks.
    fn body(&self, chunks: u64) -> u64 {
        let tiles = chunks / TILE as u64;
        let rest = usize::try_from(chunks % TILE as u64).unwrap();
        tiles * self.sizes.iter().sum::<u64>()
            + self.sizes[..rest].iter().sum::<u64>()
    }

    /// The wire bytes of the first `chunks` chunks.
    fn wire(&self, chunks: u64) -> u64 {
        let tiles = chunks / TILE as u64;
        let rest = usize::try_from(chunks % TILE as u64).unwrap();
        tiles * self.bytes.len() as u64 + self.starts[rest] as u64
    }
}

/// An app inspecting [`URL`], connected, with the head read.
fn app(options: Options) -> App {
    let (mut app, command) = App::inspect(URL, options, Size::new(160, 48));
    assert!(matches!(command, Command::Start { id: 1, .. }));
    app.handle(Event::Capture(1, Capture::Connected(None)));
    read(&mut app, 0, HEAD);
    app
}

/// A read of `bytes`, `t` microseconds after the request.
fn read(app: &mut App, t: u64, bytes: &[u8]) -> Option<Command> {
    let at = Duration::from_micros(t);
    app.handle(Event::Capture(1, Capture::Read(at, bytes.to_vec())))
}

fn exchange(app: &App) -> &Exchange {
    app.exchange.as_ref().expect("inspecting")
}

/// The selection is on the newest row and read, as when following.
fn follows_the_newest(app: &App) {
    let x = exchange(app);
    assert!(app.follow);
    assert_eq!(app.selected, x.rows.total() - 1);
    assert_eq!(app.selected_read, x.reads.total() - 1);
    // And is on screen.
    let page = u64::from(app.page());
    assert!((app.scroll..app.scroll + page).contains(&app.selected));
}

/// The last-chunk ends the response, and the app says stop.
fn finish(app: &mut App, t: u64) {
    assert_eq!(read(app, t, LAST_CHUNK), Some(Command::Stop));
    let x = exchange(app);
    assert_eq!(x.state, State::Complete);
    assert_eq!(x.rows.last().map(|r| r.kind), Some(Kind::Last));
}

#[test]
fn a_million_reads_of_one_chunk_are_all_counted_and_kept() {
    let stream = Stream::new();
    let mut app = app(Options::default());
    for i in 0..EVENTS {
        read(&mut app, 1 + i, stream.chunks(i, 1));
        if i % 100_000 == 0 {
            follows_the_newest(&app);
        }
    }
    let x = exchange(&app);
    assert_eq!(x.chunks, EVENTS);
    assert_eq!(x.rows.total(), EVENTS);
    assert_eq!(x.body_bytes, stream.body(EVENTS));
    // The head's read, then one a chunk.
    assert_eq!(x.reads.total(), EVENTS + 1);
    follows_the_newest(&app);
    // Under MAX_ROWS and the 64 MiB budget: nothing was evicted.
    assert!(EVENTS < MAX_ROWS as u64);
    assert_eq!(x.rows.kept(), 0..EVENTS);
    assert_eq!(x.reads.kept(), 0..EVENTS + 1);
    assert_eq!(x.wire.evicted(), 0);
    assert_eq!(x.wire.end(), HEAD.len() as u64 + stream.wire(EVENTS));
    // Each row is where the stream put it, arriving with its read.
    let n = EVENTS - 1;
    let newest = x.rows.get(n).unwrap();
    let i = usize::try_from(n).unwrap() % TILE;
    assert_eq!(newest.size, stream.sizes[i]);
    assert_eq!(newest.offset, HEAD.len() as u64 + stream.wire(n));
    assert_eq!((newest.t, newest.reads), (EVENTS, 1));
    finish(&mut app, EVENTS + 1);
    follows_the_newest(&app);
}

#[test]
fn reads_of_many_chunks_are_all_counted() {
    // 62,500 reads of 16 chunks: a million chunks.
    const PER_READ: usize = 16;
    let reads = EVENTS / PER_READ as u64;
    let stream = Stream::new();
    let mut app = app(Options::default());
    for r in 0..reads {
        read(
            &mut app,
            1 + r,
            stream.chunks(r * PER_READ as u64, PER_READ),
        );
    }
    let x = exchange(&app);
    assert_eq!(x.chunks, EVENTS);
    assert_eq!(x.rows.total(), EVENTS);
    assert_eq!(x.body_bytes, stream.body(EVENTS));
    assert_eq!(x.reads.total(), reads + 1);
    follows_the_newest(&app);
    // The 16 chunks of the newest read all arrived with it.
    for n in EVENTS - PER_READ as u64..EVENTS {
        let row = x.rows.get(n).unwrap();
        assert_eq!((row.t_first, row.t, row.reads), (reads, reads, 1));
    }
    finish(&mut app, reads + 1);
}

#[test]
fn a_million_reads_that_split_chunks_are_all_counted() {
    // The stream cut every 1 to 31 bytes, across size lines, data and
    // CRLFs alike: a million reads.
    let stream = Stream::new();
    let tile = &stream.bytes;
    let mut app = app(Options::default());
    let mut at = 0;
    let mut wire = 0;
    for i in 0..EVENTS {
        let len = 1 + usize::try_from(i * 7 % 31).unwrap();
        let from = at % tile.len();
        let piece = &tile[from..(from + len).min(tile.len())];
        read(&mut app, 1 + i, piece);
        at += piece.len();
        wire += piece.len() as u64;
    }
    // The reads ended mid-tile; the whole chunks so far are these.
    let whole = stream.starts.partition_point(|&s| s <= at % tile.len()) - 1;
    let chunks = (at / tile.len() * TILE + whole) as u64;
    let x = exchange(&app);
    assert_eq!(x.reads.total(), EVENTS + 1);
    assert_eq!(x.wire.end(), HEAD.len() as u64 + wire);
    follows_the_newest(&app);
    // A chunk cut short counts once it is whole.
    let rest = &tile[at % tile.len()..stream.starts[whole + 1]];
    let t = EVENTS + 1;
    read(&mut app, t, rest);
    let x = exchange(&app);
    assert_eq!(x.chunks, chunks + u64::from(!rest.is_empty()));
    assert_eq!(x.rows.total(), x.chunks);
    assert_eq!(x.body_bytes, stream.body(x.chunks));
    // Some chunks took two reads or more, and none is out of time order.
    assert!(x.rows.iter().any(|r| r.reads > 1));
    assert!(x.rows.iter().all(|r| r.t_first <= r.t));
    follows_the_newest(&app);
    finish(&mut app, t + 1);
}

#[test]
fn past_the_caps_the_oldest_go_and_the_totals_stay_exact() {
    let (budget, max_rows) = (4096, 1000);
    let stream = Stream::new();
    let mut app = app(Options {
        budget,
        max_rows,
        ..Options::default()
    });
    let within_caps = |app: &App| {
        let x = exchange(app);
        assert!(x.wire.end() - x.wire.evicted() <= budget as u64);
        let kept = |r: std::ops::Range<u64>| r.end - r.start;
        assert!(kept(x.rows.kept()) <= max_rows as u64);
        assert!(kept(x.reads.kept()) <= max_rows as u64);
    };
    for i in 0..EVENTS {
        read(&mut app, 1 + i, stream.chunks(i, 1));
        if i % 10_000 == 0 {
            within_caps(&app);
            follows_the_newest(&app);
        }
    }
    within_caps(&app);
    let x = exchange(&app);
    assert_eq!(x.chunks, EVENTS);
    assert_eq!(x.body_bytes, stream.body(EVENTS));
    assert_eq!(x.rows.total(), EVENTS);
    assert_eq!(x.reads.total(), EVENTS + 1);
    // Full: the newest rows and reads, and the budget's worth of bytes.
    assert_eq!(x.rows.kept(), EVENTS - max_rows as u64..EVENTS);
    assert_eq!(x.reads.kept(), EVENTS + 1 - max_rows as u64..EVENTS + 1);
    assert_eq!(x.wire.end() - x.wire.evicted(), budget as u64);
    assert_eq!(x.wire.end(), HEAD.len() as u64 + stream.wire(EVENTS));
    follows_the_newest(&app);
    // The newest chunk's bytes are still there to show.
    let newest = x.rows.last().unwrap();
    let (from, bytes) = x.wire.get(newest.frame());
    assert_eq!(from, newest.offset);
    assert_eq!(bytes.count() as u64, newest.frame().end - newest.offset);
    finish(&mut app, EVENTS + 1);
}
