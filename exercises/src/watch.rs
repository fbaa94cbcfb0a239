//! `watch`: the current exercise, tested again on every save, with a
//! progress bar; when it passes, the runner says so and moves on to the
//! next exercise not done.
//!
//! State, input and drawing are apart: [`State`] is which exercise is
//! current, [`Input`] turns keys (on a terminal) or lines (from a pipe, as
//! the tests drive it) into an [`Action`], and [`draw`] prints a run.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, SystemTime};

use crossterm::cursor::MoveTo;
use crossterm::event::KeyCode;
use crossterm::execute;
use crossterm::terminal::{Clear, ClearType};
use exercises::progress::bar;
use exercises::{Course, Error, Kind, Progress};

use crate::terminal::{self, RawMode};
use crate::{
    all_done, rows, show_hint, show_outcome, stdout_error, stdout_is_terminal,
    survey,
};

/// How often `watch` looks at the files' modification times.
const POLL: Duration = Duration::from_millis(300);

/// What the learner asks for, or what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    Hint,
    List,
    Next,
    Rerun,
    Quit,
    /// Make the exercise of this name the current one.
    Pick(String),
    /// An exercise file or `info.toml` changed.
    Changed,
}

/// The keys, which are also the one-letter lines of [`Input::Lines`].
fn action_for_key(key: char) -> Option<Action> {
    Some(match key {
        'h' => Action::Hint,
        'l' => Action::List,
        'n' => Action::Next,
        'r' => Action::Rerun,
        'q' => Action::Quit,
        _ => return None,
    })
}

/// A line typed without a terminal: a key's letter, or an exercise's name.
fn action_for_line(line: &str) -> Option<Action> {
    let line = line.trim();
    let mut chars = line.chars();
    match (chars.next(), chars.next()) {
        (None, _) => None,
        (Some(key), None) => action_for_key(key),
        _ => Some(Action::Pick(line.to_owned())),
    }
}

/// Which exercise `watch` shows.
#[derive(Debug, Default)]
struct State {
    /// `None` until the first run, which starts at the first exercise not
    /// done; and again when every exercise is done.
    current: Option<usize>,
    /// Whether each exercise passed in the last run: an exercise that
    /// passes now and failed then has just been solved.
    passed: Vec<bool>,
}

impl State {
    /// Takes in a new run. Returns what to say when the current exercise
    /// has just been solved, which moves on to the next one not done.
    fn update(
        &mut self,
        course: &Course,
        progress: &Progress,
    ) -> Option<String> {
        let passed = (0..progress.total()).map(|i| progress.is_done(i));
        let before = std::mem::replace(&mut self.passed, passed.collect());
        let current = match self.current {
            Some(i) if i < progress.total() => i,
            _ => {
                self.current = progress.current();
                return None;
            }
        };
        // An exercise picked from the list that already passed stays
        // current until `n`: the learner chose to look at it.
        if !progress.is_done(current) || before.get(current) != Some(&false) {
            return None;
        }
        let name = &course.exercises()[current].name;
        self.current = progress.next_after(current);
        Some(match self.current {
            Some(next) => format!(
                "✓ {name} passes! On to {}.",
                course.exercises()[next].name
            ),
            None => format!("✓ {name} passes!"),
        })
    }
}

/// Where actions come from.
enum Input {
    /// A terminal: single keys in raw mode.
    Keys,
    /// Anything else: lines, read by a thread of their own so that saves
    /// are seen while no line comes. When stdin ends, saves still count.
    Lines(Receiver<String>),
}

impl Input {
    fn new() -> Input {
        if terminal::interactive() {
            return Input::Keys;
        }
        let (lines, receiver) = mpsc::channel();
        thread::spawn(move || {
            for line in io::stdin().lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        Input::Lines(receiver)
    }

    fn keys_hint(&self) -> &'static str {
        match self {
            Input::Keys => "h hint · l list · n next · r re-run · q quit",
            Input::Lines(_) => {
                "Type h (hint), l (list), n (next), r (re-run), q (quit) or \
                 an exercise's name, then Enter."
            }
        }
    }

    /// The next action, or `Changed` as soon as the files differ from
    /// `since`.
    fn wait(&self, workspace: &Path, since: &Files) -> Result<Action, Error> {
        let keyboard = |source| Error::Io {
            context: "reading the keyboard".to_owned(),
            source,
        };
        match self {
            Input::Keys => {
                let _raw = RawMode::on().map_err(keyboard)?;
                loop {
                    if let Some(key) =
                        terminal::next_key(POLL).map_err(keyboard)?
                    {
                        if terminal::is_ctrl_c(&key) {
                            return Ok(Action::Quit);
                        }
                        if let KeyCode::Char(c) = key.code
                            && let Some(action) = action_for_key(c)
                        {
                            return Ok(action);
                        }
                    }
                    if files(workspace) != *since {
                        return Ok(Action::Changed);
                    }
                }
            }
            Input::Lines(lines) => loop {
                match lines.recv_timeout(POLL) {
                    Ok(line) => {
                        if let Some(action) = action_for_line(&line) {
                            return Ok(action);
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => thread::sleep(POLL),
                }
                if files(workspace) != *since {
                    return Ok(Action::Changed);
                }
            },
        }
    }
}

/// `watch`: test, draw, then wait for a save or a key.
pub fn watch(workspace: &Path) -> Result<ExitCode, Error> {
    let input = Input::new();
    let mut state = State::default();
    'run: loop {
        // Taken before the run, so that a save during the run starts
        // another.
        let since = files(workspace);
        clear()?;
        let run = Course::load(workspace)
            .and_then(|course| Ok((survey(&course)?, course)));
        let (progress, course) = match run {
            Ok(run) => run,
            Err(err) => {
                // A broken info.toml, say: show it, and wait for a fix.
                say!("error: {err}\n\n{}", input.keys_hint());
                match input.wait(workspace, &since)? {
                    Action::Quit => return Ok(ExitCode::SUCCESS),
                    _ => continue 'run,
                }
            }
        };
        let note = state.update(&course, &progress);
        draw(&course, &progress, &state, note.as_deref(), &input)?;

        loop {
            match input.wait(workspace, &since)? {
                Action::Changed | Action::Rerun => continue 'run,
                Action::Quit => return Ok(ExitCode::SUCCESS),
                Action::Hint => match state.current {
                    Some(i) => {
                        say!();
                        show_hint(&course.exercises()[i])?;
                    }
                    None => say!("Every exercise passes: no hint needed."),
                },
                Action::Next => {
                    let Some(current) = state.current else {
                        continue;
                    };
                    match progress.next_after(current) {
                        Some(next) => {
                            state.current = Some(next);
                            draw(&course, &progress, &state, None, &input)?;
                        }
                        None => say!("No other exercise is left to do."),
                    }
                }
                Action::List => {
                    let rows = rows(&course, &progress, state.current);
                    if let Input::Lines(_) = input {
                        say!();
                        for row in rows {
                            say!("  {row}");
                        }
                        say!("Type an exercise's name to make it current.");
                        continue;
                    }
                    let title = bar(progress.done(), progress.total(), 30);
                    let selected = state.current.unwrap_or(0);
                    let picked = terminal::pick(&title, &rows, selected)
                        .map_err(stdout_error)?;
                    if picked.is_some() {
                        state.current = picked;
                    }
                    draw(&course, &progress, &state, None, &input)?;
                }
                Action::Pick(name) => match course.get(&name) {
                    Ok(exercise) => {
                        state.current = course
                            .exercises()
                            .iter()
                            .position(|e| e == exercise);
                        draw(&course, &progress, &state, None, &input)?;
                    }
                    Err(err) => say!("{err}"),
                },
            }
        }
    }
}

/// One screen: the current exercise's result (or the end), what just
/// passed, the bar, the file to edit and the keys. The result comes first
/// and the rest last, so that the bottom of the terminal always shows
/// where the learner is.
fn draw(
    course: &Course,
    progress: &Progress,
    state: &State,
    note: Option<&str>,
    input: &Input,
) -> Result<(), Error> {
    clear()?;
    match state.current {
        Some(i) => show_outcome(&course.exercises()[i], progress.outcome(i))?,
        None => all_done(progress.total())?,
    }
    say!();
    if let Some(note) = note {
        say!("{note}");
    }
    say!("{}", bar(progress.done(), progress.total(), 30));
    if let Some(i) = state.current {
        let exercise = &course.exercises()[i];
        say!(
            "Current: {}  (read {})",
            exercise.file(Kind::Exercise).display(),
            exercise.chapter
        );
    }
    say!("{}", input.keys_hint());
    io::stdout().flush().map_err(stdout_error)
}

/// Clears the screen and its scrollback, so the latest run is all there is
/// to read. Only on a terminal: in a pipe or a log it would be noise.
fn clear() -> Result<(), Error> {
    if stdout_is_terminal() {
        execute!(
            io::stdout(),
            Clear(ClearType::All),
            Clear(ClearType::Purge),
            MoveTo(0, 0)
        )
        .map_err(stdout_error)?;
    }
    Ok(())
}

/// The modification times of `info.toml` and of every exercise file.
type Files = Vec<(PathBuf, Option<SystemTime>)>;

fn files(workspace: &Path) -> Files {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_lines_give_the_same_actions() {
        for (key, action) in [
            ('h', Action::Hint),
            ('l', Action::List),
            ('n', Action::Next),
            ('r', Action::Rerun),
            ('q', Action::Quit),
        ] {
            assert_eq!(action_for_key(key), Some(action.clone()));
            assert_eq!(action_for_line(&format!(" {key}\n")), Some(action));
        }
        assert_eq!(action_for_key('x'), None);
        assert_eq!(action_for_line("x"), None);
        assert_eq!(action_for_line("  \n"), None);
        assert_eq!(
            action_for_line("chunk_frame\n"),
            Some(Action::Pick("chunk_frame".into()))
        );
    }
}
