//! The learner's runner: `cargo run -p exercises [-- COMMAND]`.
//!
//! No saved state: an exercise is done when its tests pass. Cargo caches the
//! builds, so running everything again each time stays quick.

use std::cmp::Ordering;
use std::fs;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, SystemTime};

use clap::{Parser, Subcommand};
use exercises::{Course, Error, Exercise, Kind, Outcome, Project, Step};

/// How a learner runs this program; printed in every suggestion.
const RUNNER: &str = "cargo run -p exercises --";

/// How often `watch` looks at the files' modification times.
const POLL: Duration = Duration::from_millis(300);

/// Flusher's exercises: small programs to finish, one idea each.
///
/// With no command, runs the exercises in order, stops at the first one
/// whose tests fail, and shows what failed.
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
    /// Run the exercises, then again each time a file changes (Ctrl-C
    /// stops)
    Watch,
    /// Print an exercise's hint
    Hint {
        /// The exercise's name, as shown by `list`
        name: String,
    },
    /// Show every exercise and its status
    List,
    /// Run one exercise's tests
    Run {
        /// The exercise's name, as shown by `list`
        name: String,
        /// Run the reference solution instead
        #[arg(long)]
        solution: bool,
    },
    /// Prove that every exercise fails as shipped and every solution
    /// passes its tests and clippy (what CI runs)
    Check,
}

/// `println!`, but a closed stdout (`| head`) is an error to return, not a
/// panic.
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(io::stdout(), $($arg)*).map_err(stdout_error)?
    };
}

fn stdout_error(source: io::Error) -> Error {
    Error::Io {
        context: "writing to stdout".to_owned(),
        source,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let workspace = exercises::workspace_root();
    let result = match cli.command {
        None => progress(&workspace).map(|()| ExitCode::SUCCESS),
        Some(Command::Watch) => watch(&workspace),
        Some(Command::Hint { name }) => hint(&workspace, &name),
        Some(Command::List) => list(&workspace),
        Some(Command::Run { name, solution }) => {
            let kind = if solution {
                Kind::Solution
            } else {
                Kind::Exercise
            };
            run(&workspace, &name, kind)
        }
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

/// The default: run the exercises in order, up to the first that fails.
fn progress(workspace: &Path) -> Result<(), Error> {
    let course = Course::load(workspace)?;
    let project = Project::generate(&course, Kind::Exercise)?;
    say!("Building and testing the exercises…");
    let build = project.build(Step::Tests)?;

    let mut done = 0;
    let mut failure = None;
    for exercise in course.exercises() {
        match project.test(&build, &exercise.name)? {
            Outcome::Tested(run) if run.success => done += 1,
            outcome => {
                failure = Some((exercise, outcome));
                break;
            }
        }
    }

    // The failure first, then the summary: in a terminal, the last lines
    // are the ones that stay on the screen.
    if let Some((exercise, outcome)) = &failure {
        say!();
        show_failure(exercise, outcome)?;
    }
    let total = course.exercises().len();
    say!("\nFlusher exercises: {done} of {total} done\n");
    let width = name_width(&course);
    for (i, exercise) in course.exercises().iter().enumerate() {
        let marker = match i.cmp(&done) {
            Ordering::Less => '✓',
            Ordering::Equal => '→',
            Ordering::Greater => '·',
        };
        let file = exercise.file(Kind::Exercise);
        say!("  {marker} {:width$}  {}", exercise.name, file.display());
    }
    say!();

    match failure {
        None => say!(
            "All {total} exercises pass. Well done!\n\
             You wrote a response with Content-Length, chunk frames, and \
             Go's Flusher, by hand.\n\
             Compare your code with the solutions in exercises/solutions/."
        ),
        Some((exercise, _)) => say!(
            "Next: edit {} until its tests pass.\n\
             The idea is taught in {}. Stuck? Ask for a hint:\n    \
             {RUNNER} hint {}",
            exercise.file(Kind::Exercise).display(),
            exercise.chapter,
            exercise.name
        ),
    }
    Ok(())
}

/// What went wrong with an exercise: the compiler's errors, or the output of
/// its failing tests.
fn show_failure(exercise: &Exercise, outcome: &Outcome) -> Result<(), Error> {
    match outcome {
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

/// `watch`: the default, again each time an exercise file changes.
fn watch(workspace: &Path) -> Result<ExitCode, Error> {
    // Clearing the screen keeps the latest run on top. Only on a terminal:
    // in a pipe or a log, the escape code would be noise.
    let clear = io::stdout().is_terminal();
    loop {
        // Taken before the run, so that a save during the run starts
        // another.
        let before = modified(workspace);
        if clear {
            write!(io::stdout(), "\x1b[2J\x1b[H").map_err(stdout_error)?;
        }
        if let Err(err) = progress(workspace) {
            say!("error: {err}");
        }
        say!("\nWatching the exercise files. Press Ctrl-C to stop.");
        io::stdout().flush().map_err(stdout_error)?;
        while modified(workspace) == before {
            thread::sleep(POLL);
        }
    }
}

/// The modification time of `info.toml` and of every exercise file.
fn modified(workspace: &Path) -> Vec<(PathBuf, Option<SystemTime>)> {
    let mut files = vec![workspace.join(exercises::course::INFO_FILE)];
    if let Ok(course) = Course::load(workspace) {
        files.extend(
            course
                .exercises()
                .iter()
                .map(|e| course.path(e, Kind::Exercise)),
        );
    }
    files
        .into_iter()
        .map(|file| {
            let time = fs::metadata(&file).and_then(|m| m.modified()).ok();
            (file, time)
        })
        .collect()
}

/// `hint NAME`.
fn hint(workspace: &Path, name: &str) -> Result<ExitCode, Error> {
    let course = Course::load(workspace)?;
    let exercise = course.get(name)?;
    say!(
        "Hint for {} ({}):\n\n{}\n\nChapter: {}",
        exercise.name,
        exercise.file(Kind::Exercise).display(),
        exercise.hint.trim(),
        exercise.chapter
    );
    Ok(ExitCode::SUCCESS)
}

/// `list`: every exercise's status, testing them all.
fn list(workspace: &Path) -> Result<ExitCode, Error> {
    let course = Course::load(workspace)?;
    let project = Project::generate(&course, Kind::Exercise)?;
    let build = project.build(Step::Tests)?;
    let width = name_width(&course);
    let mut done = 0;
    let mut current_shown = false;
    for exercise in course.exercises() {
        let status = match project.test(&build, &exercise.name)? {
            Outcome::Tested(run) if run.success => "done",
            Outcome::Tested(_) => "tests fail",
            Outcome::DoesNotCompile(_) => "does not compile",
        };
        let marker = if status == "done" {
            done += 1;
            '✓'
        } else if !current_shown {
            current_shown = true;
            '→'
        } else {
            '·'
        };
        let file = exercise.file(Kind::Exercise).display().to_string();
        say!("  {marker} {:width$}  {file:40}  {status}", exercise.name);
    }
    say!("\n{done} of {} done", course.exercises().len());
    Ok(ExitCode::SUCCESS)
}

/// `run NAME`: one exercise's tests, with their whole output.
fn run(workspace: &Path, name: &str, kind: Kind) -> Result<ExitCode, Error> {
    let course = Course::load(workspace)?;
    let exercise = course.get(name)?;
    let project = Project::generate(&course, kind)?;
    let build = project.build(Step::Tests)?;
    match project.test(&build, name)? {
        Outcome::Tested(run) if run.success => {
            say!("{}", run.output.trim());
            say!("\n✓ {name}: all {} tests pass.", run.passed);
            Ok(ExitCode::SUCCESS)
        }
        outcome => {
            show_failure(exercise, &outcome)?;
            if kind == Kind::Exercise {
                say!("\nStuck? Ask for a hint: {RUNNER} hint {name}");
            }
            Ok(ExitCode::FAILURE)
        }
    }
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
