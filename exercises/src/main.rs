//! The learner's runner: `cargo run -p exercises [-- COMMAND]`.
//!
//! No saved state: an exercise is done when its tests pass, and the current
//! one is the first that is not done. Cargo caches the builds, so testing
//! every exercise again each time stays quick.
//!
//! # Layout
//! - `main.rs`: the commands, and what they print.
//! - `watch.rs`: `watch`, its state and its keys.
//! - `terminal.rs`: raw mode, restored on every way out, and `list`'s
//!   picker.

use std::env;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use exercises::progress::bar;
use exercises::{Course, Error, Exercise, Kind, Outcome, Progress, Step};

/// `println!`, but a closed stdout (`| head`) is an error to return, not a
/// panic. Defined before the modules, so that they can use it.
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(io::stdout(), $($arg)*).map_err(stdout_error)?
    };
}

mod terminal;
mod watch;

/// How a learner runs this program; printed in every suggestion.
const RUNNER: &str = "cargo run -p exercises --";

/// Runs the exercises of another checkout than the one the runner was built
/// in: the runner's own path is fixed at build time, and its tests run it on
/// a temporary copy of the exercises.
const WORKSPACE_VAR: &str = "FLUSHER_WORKSPACE";

/// Flusher's exercises: small programs to finish, one idea each.
///
/// With no command, tests every exercise, shows the first one whose tests
/// fail, and the progress.
#[derive(Debug, Parser)]
#[command(name = "exercises", version)]
#[command(after_help = "Start with `cargo run -p exercises -- watch`, \
                        then edit the file it points to.")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show the current exercise, again each time a file changes, and move
    /// on when it passes (keys: h hint, l list, n next, r re-run, q quit)
    Watch,
    /// Print an exercise's hint: the current one's, without a name
    Hint {
        /// The exercise's name, as shown by `list`
        name: Option<String>,
    },
    /// Show every exercise and its state; on a terminal, pick one to run
    List,
    /// Run one exercise's tests
    Run {
        /// The exercise's name, as shown by `list`
        name: String,
        /// Run the reference solution instead
        #[arg(long)]
        solution: bool,
    },
    /// Put an exercise back as it was shipped (your edits are lost)
    Reset {
        /// The exercise's name, as shown by `list`
        name: String,
    },
    /// Prove that every exercise fails as shipped and every solution
    /// passes its tests and clippy (what CI runs)
    Check,
}

fn stdout_error(source: io::Error) -> Error {
    Error::Io {
        context: "writing to stdout".to_owned(),
        source,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let workspace = env::var_os(WORKSPACE_VAR)
        .map_or_else(exercises::workspace_root, PathBuf::from);
    let result = match cli.command {
        None => progress(&workspace).map(|()| ExitCode::SUCCESS),
        Some(Command::Watch) => watch::watch(&workspace),
        Some(Command::Hint { name }) => hint(&workspace, name.as_deref()),
        Some(Command::List) => list(&workspace),
        Some(Command::Run { name, solution }) => {
            let kind = if solution {
                Kind::Solution
            } else {
                Kind::Exercise
            };
            run(&workspace, &name, kind)
        }
        Some(Command::Reset { name }) => reset(&workspace, &name),
        Some(Command::Check) => {
            exercises::check(&workspace, &mut io::stdout().lock())
                .map(|()| ExitCode::SUCCESS)
        }
    };
    result.unwrap_or_else(|err| {
        eprintln!("error: {err}");
        // A name that doesn't exist is a usage error, like clap's own.
        match err {
            Error::UnknownExercise { .. } => ExitCode::from(2),
            _ => ExitCode::FAILURE,
        }
    })
}

/// Builds and tests every exercise. The note goes to stderr: the first
/// build takes a while, and stdout stays the answer.
fn survey(course: &Course) -> Result<Progress, Error> {
    eprintln!("Building and testing the exercises…");
    Progress::survey(course)
}

/// The default: the current exercise's failure, then the progress.
fn progress(workspace: &Path) -> Result<(), Error> {
    let course = Course::load(workspace)?;
    let progress = survey(&course)?;
    let current = progress.current();

    // The failure first, then the summary: in a terminal, the last lines
    // are the ones that stay on the screen.
    if let Some(i) = current {
        say!();
        show_outcome(&course.exercises()[i], progress.outcome(i))?;
    }
    say!("\n{}\n", bar(progress.done(), progress.total(), 30));
    for row in rows(&course, &progress, current) {
        say!("  {row}");
    }
    say!();
    match current {
        None => all_done(progress.total())?,
        Some(i) => {
            let exercise = &course.exercises()[i];
            say!(
                "Next: edit {} until its tests pass.\n\
                 The idea is taught in {}. Stuck? Ask for a hint:\n    \
                 {RUNNER} hint",
                exercise.file(Kind::Exercise).display(),
                exercise.chapter,
            );
        }
    }
    Ok(())
}

fn all_done(total: usize) -> Result<(), Error> {
    say!(
        "All {total} exercises pass. Well done!\n\
         You wrote a response with Content-Length, chunk frames, and \
         Go's Flusher, by hand.\n\
         Compare your code with the solutions in exercises/solutions/."
    );
    Ok(())
}

/// How an exercise did: that it passes, the compiler's errors, or the
/// output of its failing tests, byte for byte as the test binary wrote it.
fn show_outcome(exercise: &Exercise, outcome: &Outcome) -> Result<(), Error> {
    match outcome {
        Outcome::Tested(run) if run.success => {
            say!("✓ {}: all {} tests pass.", exercise.name, run.passed);
        }
        Outcome::DoesNotCompile(errors) => {
            say!("{} does not compile yet:\n", exercise.name);
            say!("{}", errors.trim_end());
        }
        Outcome::Tested(run) => {
            say!(
                "{}: {} of {} tests fail:\n",
                exercise.name,
                run.failed,
                run.passed + run.failed
            );
            say!("{}", run.output.trim());
        }
    }
    Ok(())
}

/// `hint [NAME]`: without a name, the current exercise's.
fn hint(workspace: &Path, name: Option<&str>) -> Result<ExitCode, Error> {
    let course = Course::load(workspace)?;
    let exercise = match name {
        Some(name) => course.get(name)?,
        None => match survey(&course)?.current() {
            Some(i) => &course.exercises()[i],
            None => {
                say!("Every exercise passes: there is nothing left to hint.");
                return Ok(ExitCode::SUCCESS);
            }
        },
    };
    show_hint(exercise)?;
    Ok(ExitCode::SUCCESS)
}

fn show_hint(exercise: &Exercise) -> Result<(), Error> {
    say!(
        "Hint for {} ({}):\n\n{}\n\nChapter: {}",
        exercise.name,
        exercise.file(Kind::Exercise).display(),
        exercise.hint.trim(),
        exercise.chapter
    );
    Ok(())
}

/// `list`: every exercise's state. On a terminal, a picker: the chosen
/// exercise's tests run. Elsewhere (a pipe, a script), the plain table.
fn list(workspace: &Path) -> Result<ExitCode, Error> {
    let course = Course::load(workspace)?;
    let progress = survey(&course)?;
    let current = progress.current();
    let rows = rows(&course, &progress, current);
    if terminal::interactive() {
        let title = bar(progress.done(), progress.total(), 30);
        let picked = terminal::pick(&title, &rows, current.unwrap_or(0))
            .map_err(stdout_error)?;
        return match picked {
            Some(i) => {
                run(workspace, &course.exercises()[i].name, Kind::Exercise)
            }
            None => Ok(ExitCode::SUCCESS),
        };
    }
    for row in rows {
        say!("  {row}");
    }
    say!("\n{}", bar(progress.done(), progress.total(), 30));
    Ok(ExitCode::SUCCESS)
}

/// One line per exercise: `✓` done, `→` current, `·` to do; its name, its
/// file and its state.
fn rows(
    course: &Course,
    progress: &Progress,
    current: Option<usize>,
) -> Vec<String> {
    let width = name_width(course);
    let files: Vec<String> = course
        .exercises()
        .iter()
        .map(|e| e.file(Kind::Exercise).display().to_string())
        .collect();
    let file_width = files.iter().map(String::len).max().unwrap_or(0);
    let exercises = course.exercises().iter().zip(&files).enumerate();
    exercises
        .map(|(i, (exercise, file))| {
            let marker = if progress.is_done(i) {
                '✓'
            } else if Some(i) == current {
                '→'
            } else {
                '·'
            };
            let status = progress.status(i);
            format!(
                "{marker} {:width$}  {file:file_width$}  {status}",
                exercise.name
            )
        })
        .collect()
}

/// `run NAME`: one exercise's tests, with their whole output.
fn run(workspace: &Path, name: &str, kind: Kind) -> Result<ExitCode, Error> {
    let course = Course::load(workspace)?;
    let exercise = course.get(name)?;
    let project = exercises::Project::generate(&course, kind)?;
    let build = project.build(Step::Tests)?;
    match project.test(&build, name)? {
        Outcome::Tested(run) if run.success => {
            say!("{}", run.output.trim());
            say!("\n✓ {name}: all {} tests pass.", run.passed);
            Ok(ExitCode::SUCCESS)
        }
        outcome => {
            show_outcome(exercise, &outcome)?;
            if kind == Kind::Exercise {
                say!("\nStuck? Ask for a hint: {RUNNER} hint {name}");
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `reset NAME`: the exercise's file as shipped, from its copy in
/// `exercises/shipped/` (see [`Kind::Shipped`] for why a copy).
fn reset(workspace: &Path, name: &str) -> Result<ExitCode, Error> {
    let course = Course::load(workspace)?;
    let exercise = course.get(name)?;
    course.reset(exercise)?;
    say!(
        "{} is back as shipped, from {}.",
        exercise.file(Kind::Exercise).display(),
        exercise.file(Kind::Shipped).display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The width of the longest exercise name, to line up the columns.
fn name_width(course: &Course) -> usize {
    course
        .exercises()
        .iter()
        .map(|e| e.name.len())
        .max()
        .unwrap_or(0)
}

/// Whether stdout is a terminal, where clearing the screen makes sense: in
/// a pipe or a log, the escape code would be noise.
fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}
