//! The Flusher protocol inspector.
//!
//! The inspector answers one question: *did this response really stream, and
//! when did each piece arrive?* It connects to a server, writes a request, and
//! timestamps every read the moment it returns.
//!
//! # Layout
//! - [`capture`]: the timed client. One [`capture::Read`] per `read(2)`, with
//!   its arrival time and its place in the byte stream.
//!
//! The strict chunked decoder, the headless `--json` output and the TUI grow
//! on top of this capture (see `shared/DESIGN.md`, "Inspector contract").
//! Every test in the workspace that checks wire bytes or timing goes through
//! here, so there is one client, not one per lesson.

pub mod capture;
