//! How far a learner is: every exercise built and tested, and which one is
//! current.
//!
//! The one definition that the default command, `list`, `hint` and `watch`
//! share. An exercise is done when its tests pass, whatever the order in
//! which it was solved; the current exercise is the first one, in the
//! course's order, that is not done.

use crate::Error;
use crate::course::{Course, Kind};
use crate::project::{Outcome, Project, Step};

/// Every exercise's outcome, in the course's order.
#[derive(Debug)]
pub struct Progress {
    outcomes: Vec<Outcome>,
}

impl Progress {
    /// Builds every exercise in one cargo invocation and runs each one's
    /// tests. No state is kept between runs: the files are the state.
    pub fn survey(course: &Course) -> Result<Progress, Error> {
        let project = Project::generate(course, Kind::Exercise)?;
        let build = project.build(Step::Tests)?;
        let outcomes = course
            .exercises()
            .iter()
            .map(|exercise| project.test(&build, &exercise.name))
            .collect::<Result<_, _>>()?;
        Ok(Progress { outcomes })
    }

    /// From outcomes known already, one per exercise in order.
    pub fn from_outcomes(outcomes: Vec<Outcome>) -> Progress {
        Progress { outcomes }
    }

    pub fn outcome(&self, index: usize) -> &Outcome {
        &self.outcomes[index]
    }

    /// Whether exercise `index` passes its tests.
    pub fn is_done(&self, index: usize) -> bool {
        matches!(&self.outcomes[index], Outcome::Tested(run) if run.success)
    }

    /// How many exercises pass, wherever they are in the order.
    pub fn done(&self) -> usize {
        (0..self.outcomes.len())
            .filter(|&i| self.is_done(i))
            .count()
    }

    pub fn total(&self) -> usize {
        self.outcomes.len()
    }

    /// The first exercise not done, or `None` when all are.
    pub fn current(&self) -> Option<usize> {
        (0..self.outcomes.len()).find(|&i| !self.is_done(i))
    }

    /// The first exercise not done after `index`, going round to the start:
    /// where `watch` goes when `index` passes or is skipped. `None` when
    /// every other exercise is done.
    pub fn next_after(&self, index: usize) -> Option<usize> {
        let total = self.outcomes.len();
        (1..total)
            .map(|step| (index + step) % total)
            .find(|&i| !self.is_done(i))
    }

    /// One word for the state of exercise `index`, as `list` shows it.
    pub fn status(&self, index: usize) -> &'static str {
        match &self.outcomes[index] {
            Outcome::Tested(run) if run.success => "done",
            Outcome::Tested(_) => "tests fail",
            Outcome::DoesNotCompile(_) => "does not compile",
        }
    }
}

/// A progress bar `width` cells wide, then the count:
/// `[######>---------]  4 of 13 done`.
pub fn bar(done: usize, total: usize, width: usize) -> String {
    let filled = (done * width).checked_div(total).unwrap_or(0);
    let mut cells = "#".repeat(filled);
    if filled < width {
        // The arrow marks where the learner is; a full bar has none.
        cells.push('>');
        cells.push_str(&"-".repeat(width - filled - 1));
    }
    format!("[{cells}]  {done} of {total} done")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::TestRun;

    fn outcomes(done: &[bool]) -> Progress {
        Progress::from_outcomes(
            done.iter()
                .map(|&success| {
                    Outcome::Tested(TestRun {
                        success,
                        passed: usize::from(success),
                        failed: usize::from(!success),
                        output: String::new(),
                    })
                })
                .collect(),
        )
    }

    #[test]
    fn counts_exercises_solved_out_of_order() {
        // The second is solved, the first not: 1 done, and the first is
        // current (the bug was a count that stopped at the first failure).
        let progress = outcomes(&[false, true, false]);
        assert_eq!(progress.done(), 1);
        assert_eq!(progress.current(), Some(0));
        assert_eq!(progress.status(1), "done");
        assert_eq!(progress.status(0), "tests fail");
    }

    #[test]
    fn the_next_unsolved_goes_round_and_skips_the_done() {
        let progress = outcomes(&[false, true, false, true]);
        assert_eq!(progress.next_after(0), Some(2));
        assert_eq!(progress.next_after(2), Some(0));
        assert_eq!(progress.next_after(1), Some(2));
        assert_eq!(outcomes(&[false, true]).next_after(0), None);
        assert_eq!(outcomes(&[true, true]).current(), None);
    }

    #[test]
    fn a_compile_error_is_not_done() {
        let progress = Progress::from_outcomes(vec![Outcome::DoesNotCompile(
            "error".into(),
        )]);
        assert_eq!(progress.done(), 0);
        assert_eq!(progress.status(0), "does not compile");
    }

    #[test]
    fn the_bar_fills_with_the_count() {
        assert_eq!(bar(0, 4, 8), "[>-------]  0 of 4 done");
        assert_eq!(bar(2, 4, 8), "[####>---]  2 of 4 done");
        assert_eq!(bar(4, 4, 8), "[########]  4 of 4 done");
        assert_eq!(bar(0, 0, 3), "[>--]  0 of 0 done");
    }
}
