//! # Flusher's exercises: the list, the builds, and the check
//!
//! The exercises are small Rust files, most of them std-only, that compile
//! as shipped but fail their tests. A learner edits each one until its tests pass. This
//! crate finds the exercises, builds them, runs their tests, and proves in CI
//! that every exercise fails as shipped and every solution passes.
//!
//! The exercise files are deliberately not targets of this package: the
//! unfinished exercises would break `cargo test --workspace` and `cargo
//! clippy --workspace`. Instead, each one is a `[[bin]]` of a throwaway
//! project generated under `target/exercises/`, built by a nested `cargo`.
//!
//! # Layout
//! - [`course`]: `exercises/info.toml`, the ordered list of exercises.
//! - [`project`]: the generated Cargo project, one cargo invocation that
//!   builds every exercise, and running one exercise's test binary.
//! - [`progress`]: every exercise tested, how many are done whatever the
//!   order, and which one is current; shared by every command of the
//!   runner.
//! - [`check`](mod@check): what CI runs. Every exercise fails as shipped,
//!   and every solution passes its tests and clippy.
//! - `main.rs`: the learner's runner, `cargo run -p exercises`, with
//!   `watch.rs` (re-run on save, and its keys) and `terminal.rs` (raw mode,
//!   always restored, and `list`'s picker).

pub mod check;
pub mod course;
pub mod progress;
pub mod project;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

pub use check::{Broken, Rule, check};
pub use course::{Course, Exercise, Kind};
pub use progress::Progress;
pub use project::{Build, Outcome, Project, Step, TestRun};

/// The workspace this crate was built in: the parent of its own folder.
///
/// The path is fixed at compile time, which suits a runner that is started
/// with `cargo run` from the same checkout.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// Everything that can go wrong. Each one displays as one line.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file, or the report, failed.
    Io { context: String, source: io::Error },
    /// `exercises/info.toml` is not valid.
    Info { path: PathBuf, message: String },
    /// No exercise has this name.
    UnknownExercise { name: String, known: Vec<String> },
    /// A program (cargo, rustfmt, a test binary) could not be started.
    Spawn { program: String, source: io::Error },
    /// `check` found exercises that broke a rule.
    Check(Vec<Broken>),
}

impl Error {
    /// An `Error::Io` that says what was being done.
    pub(crate) fn io(
        context: impl Into<String>,
    ) -> impl FnOnce(io::Error) -> Self {
        let context = context.into();
        move |source| Error::Io { context, source }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { context, source } => write!(f, "{context}: {source}"),
            Error::Info { path, message } => {
                write!(f, "{}: {message}", path.display())
            }
            Error::UnknownExercise { name, known } => write!(
                f,
                "no exercise is named `{name}`; the exercises are: {}",
                known.join(", ")
            ),
            Error::Spawn { program, source } => {
                write!(f, "could not run `{program}`: {source}")
            }
            Error::Check(broken) => {
                let list: Vec<String> =
                    broken.iter().map(Broken::to_string).collect();
                write!(
                    f,
                    "{} exercise(s) broke a rule: {}",
                    broken.len(),
                    list.join("; ")
                )
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } | Error::Spawn { source, .. } => {
                Some(source)
            }
            _ => None,
        }
    }
}
