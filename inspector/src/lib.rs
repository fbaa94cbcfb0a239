//! The Flusher protocol inspector.
//!
//! The inspector answers one question: *did this response really stream, and
//! when did each piece arrive?* It connects to a server, writes a request, and
//! timestamps every read the moment it returns.
//!
//! # Layout
//! - [`transport`]: TCP, or TLS over it (rustls): the connection, its
//!   timings and TLS's details, and plaintext reads.
//! - [`capture`]: the timed client. One [`capture::Read`] per `read(2)`, with
//!   its arrival time and its place in the byte stream.
//! - [`http2`]: HTTP/2's frames, read as they arrive, and the client (the
//!   `h2` crate) that keeps the connection going.
//! - [`decode`]: the strict, incremental HTTP/1.1 response decoder: head,
//!   chunks (size line as sent, data, offsets), trailers, end. The one
//!   decoder in the workspace.
//! - [`error`]: every protocol violation, with its byte offset and a
//!   sentence that explains the rule.
//!
//! - [`session`]: reads in, timed records out: the `--json` contract
//!   (`shared/DESIGN.md`, "Inspector contract").
//! - [`recording`]: `--record`'s file, a session's reads with their
//!   times, and its replay through a session: the same records again.
//! - [`output`]: the headless views of those records, `--json` and
//!   `--plain`; [`json`], the fast path that writes the records a flood
//!   is made of.
//! - [`target`]: the URL, and the request to send: a browser's.
//! - [`tui`]: the live terminal UI, and the tour's lesson picker.
//! - [`human`]: figures for people (`1.2 KiB`), for every view.
//! - [`content`]: content codings (gzip, deflate, br, zstd), decoded per
//!   piece as the body arrives: what a browser gets.
//! - [`verdict`]: the analysis over the content's arrivals: did the
//!   response stream, in what pattern, and clues to why not.
//! - [`sse`] and [`ws`]: the layers above HTTP it decodes too: server-sent
//!   events, and WebSocket frames after a `101`.
//! - [`compare`]: one request to several targets at once, and where their
//!   content's arrival differs: the hop that buffers.
//! - [`proxy`]: a reverse proxy that records every exchange it forwards.
//! - [`svg`]: the Timeline as a picture (`--svg`), one lane per exchange
//!   on one time axis.
//! - [`har`]: the exchanges as an HTTP Archive (`--har`), with each
//!   piece's time and size in `_chunks`.
//!
//! Every test in the workspace that checks wire bytes or timing goes through
//! here, so there is one client, not one per lesson.

pub mod capture;
pub mod compare;
pub mod content;
pub mod decode;
pub mod error;
pub mod har;
pub mod http2;
pub mod human;
pub mod json;
pub mod output;
pub mod proxy;
pub mod recording;
pub mod session;
pub mod sse;
pub mod svg;
pub mod target;
pub mod transport;
pub mod tui;
pub mod verdict;
pub mod ws;

pub use decode::{Decoder, Event, Framing, Status};
pub use error::{Error, ErrorKind};
