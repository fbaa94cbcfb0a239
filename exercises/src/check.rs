//! The proof CI runs: every exercise fails as shipped, and every solution
//! passes.
//!
//! Three cargo invocations build everything (the exercises, the solutions,
//! clippy over the solutions); then each test binary runs once. On a
//! two-core CI machine that is a few seconds once the builds are cached.

use std::env;
use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::Error;
use crate::course::{Course, Exercise, Kind};
use crate::project::{Build, Outcome, Project, Step};

/// A rule that an exercise and its solution must keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The file named in info.toml exists.
    FileExists(Kind),
    /// The exercise, as shipped, compiles (`cargo build --all-targets`).
    ExerciseCompiles,
    /// The exercise, as shipped, fails its tests.
    ExerciseFails,
    /// The solution compiles.
    SolutionCompiles,
    /// The solution runs at least one test and passes them all.
    SolutionPasses,
    /// `cargo clippy --all-targets -- -D warnings` is clean for the
    /// solution.
    SolutionClippyClean,
    /// The solution's tests (from `#[cfg(test)]` on) are the exercise's,
    /// byte for byte: it passes the very tests the learner gets.
    SameTests,
    /// The exercise is its shipped copy (`exercises/shipped/`) byte for
    /// byte, so that `reset` restores what this check proves fails.
    Shipped,
    /// `rustfmt --check` is clean. `cargo fmt` cannot see these files,
    /// since they are no package's targets.
    Formatted(Kind),
}

impl fmt::Display for Rule {
    /// The rule, as broken.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rule::FileExists(Kind::Exercise) => "exercise file is missing",
            Rule::FileExists(Kind::Solution) => "solution file is missing",
            Rule::FileExists(Kind::Shipped) => "shipped copy is missing",
            Rule::ExerciseCompiles => "exercise does not compile",
            Rule::ExerciseFails => "exercise passes its tests as shipped",
            Rule::SolutionCompiles => "solution does not compile",
            Rule::SolutionPasses => "solution does not pass its tests",
            Rule::SolutionClippyClean => "solution is not clippy-clean",
            Rule::SameTests => "solution's tests differ from the exercise's",
            Rule::Shipped => "exercise differs from its shipped copy",
            Rule::Formatted(Kind::Exercise) => "exercise is not rustfmt-clean",
            Rule::Formatted(Kind::Solution) => "solution is not rustfmt-clean",
            Rule::Formatted(Kind::Shipped) => {
                "shipped copy is not rustfmt-clean"
            }
        })
    }
}

/// An exercise that broke at least one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub name: String,
    pub rules: Vec<Rule>,
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rules: Vec<String> =
            self.rules.iter().map(Rule::to_string).collect();
        write!(f, "{} ({})", self.name, rules.join(", "))
    }
}

/// A broken rule, with what shows why (compiler output, test output, a
/// diff).
struct Problem {
    rule: Rule,
    detail: String,
}

/// Checks every exercise of the workspace at `workspace`, and writes one
/// line per exercise to `out`, with the evidence under each broken one.
/// The last line reads `exercises: N passed, M failed`.
///
/// Returns [`Error::Check`] naming every exercise that broke a rule, or
/// another [`Error`] if the check itself could not run.
pub fn check(workspace: &Path, out: &mut dyn Write) -> Result<(), Error> {
    let course = Course::load(workspace)?;
    let exercises = Project::generate(&course, Kind::Exercise)?;
    let solutions = Project::generate(&course, Kind::Solution)?;

    writeln!(
        out,
        "checking {} exercises: each must fail as shipped, and its solution \
         must pass its tests and clippy",
        course.exercises().len()
    )
    .map_err(report)?;
    let builds = Builds {
        exercises: exercises.build(Step::Everything)?,
        solutions: solutions.build(Step::Everything)?,
        clippy: solutions.build(Step::Clippy)?,
    };

    let width = course.exercises().iter().map(|e| e.name.len()).max();
    let width = width.unwrap_or(0);
    let mut broken = Vec::new();
    for exercise in course.exercises() {
        let (summary, problems) =
            check_one(&course, exercise, &exercises, &solutions, &builds)?;
        let name = &exercise.name;
        let line = if problems.is_empty() {
            format!("ok    {name:width$}  {summary}")
        } else {
            let rules: Vec<String> =
                problems.iter().map(|p| p.rule.to_string()).collect();
            format!("FAIL  {name:width$}  {}", rules.join("; "))
        };
        writeln!(out, "{line}").map_err(report)?;
        for problem in &problems {
            write_detail(out, problem).map_err(report)?;
        }
        if !problems.is_empty() {
            broken.push(Broken {
                name: name.clone(),
                rules: problems.iter().map(|p| p.rule).collect(),
            });
        }
    }

    writeln!(
        out,
        "exercises: {} passed, {} failed",
        course.exercises().len() - broken.len(),
        broken.len()
    )
    .map_err(report)?;
    if broken.is_empty() {
        Ok(())
    } else {
        Err(Error::Check(broken))
    }
}

struct Builds {
    exercises: Build,
    solutions: Build,
    clippy: Build,
}

/// Checks one exercise. Returns the summary of a good one, and the problems.
fn check_one(
    course: &Course,
    exercise: &Exercise,
    exercises: &Project,
    solutions: &Project,
    builds: &Builds,
) -> Result<(String, Vec<Problem>), Error> {
    let name = &exercise.name;
    let mut problems = Vec::new();
    let mut summary = Vec::new();
    let mut problem =
        |rule, detail: String| problems.push(Problem { rule, detail });

    let exercise_file = course.path(exercise, Kind::Exercise);
    let solution_file = course.path(exercise, Kind::Solution);
    let shipped_file = course.path(exercise, Kind::Shipped);
    for (kind, file) in [
        (Kind::Exercise, &exercise_file),
        (Kind::Solution, &solution_file),
        (Kind::Shipped, &shipped_file),
    ] {
        if !file.is_file() {
            problem(Rule::FileExists(kind), file.display().to_string());
        }
    }

    // (a) The exercise compiles, and fails.
    if exercise_file.is_file() {
        match exercises.test(&builds.exercises, name)? {
            Outcome::DoesNotCompile(errors) => {
                problem(Rule::ExerciseCompiles, errors);
            }
            Outcome::Tested(run) if run.success => {
                problem(Rule::ExerciseFails, run.output);
            }
            Outcome::Tested(run) => summary.push(format!(
                "exercise: {} of {} tests fail",
                run.failed,
                run.passed + run.failed
            )),
        }
        if let Some(diff) = unformatted(&exercise_file)? {
            problem(Rule::Formatted(Kind::Exercise), diff);
        }
    }

    // (b) The solution compiles, passes, and is clippy-clean.
    if solution_file.is_file() {
        let compiles = builds.solutions.compiled(name);
        match solutions.test(&builds.solutions, name)? {
            Outcome::DoesNotCompile(errors) => {
                problem(Rule::SolutionCompiles, errors);
            }
            Outcome::Tested(run) if !run.success || run.passed == 0 => {
                problem(Rule::SolutionPasses, run.output);
            }
            Outcome::Tested(run) => {
                summary.push(format!("solution: {} tests pass", run.passed));
            }
        }
        // Clippy's view of a solution that doesn't compile would only
        // repeat the compiler's errors.
        if compiles {
            match clippy_findings(&builds.clippy, name) {
                Some(findings) => problem(Rule::SolutionClippyClean, findings),
                None => summary.push("clippy-clean".to_owned()),
            }
        }
        if let Some(diff) = unformatted(&solution_file)? {
            problem(Rule::Formatted(Kind::Solution), diff);
        }
    }

    let read = |path: &Path| {
        fs::read_to_string(path)
            .map_err(Error::io(format!("reading {}", path.display())))
    };
    // What `reset` restores is what (a) proved fails: the same bytes.
    if exercise_file.is_file()
        && shipped_file.is_file()
        && read(&exercise_file)? != read(&shipped_file)?
    {
        problem(
            Rule::Shipped,
            format!(
                "{} must be a copy of {}: copy the exercise there when you \
                 change it",
                exercise.file(Kind::Shipped).display(),
                exercise.file(Kind::Exercise).display()
            ),
        );
    }

    // The solution must pass the learner's tests, not easier ones.
    if exercise_file.is_file() && solution_file.is_file() {
        let (shipped, solved) = (read(&exercise_file)?, read(&solution_file)?);
        match (tests_section(&shipped), tests_section(&solved)) {
            (Some(a), Some(b)) if a == b => {}
            _ => problem(
                Rule::SameTests,
                format!(
                    "compare the `#[cfg(test)]` sections of {} and {}",
                    exercise.file(Kind::Exercise).display(),
                    exercise.file(Kind::Solution).display()
                ),
            ),
        }
    }

    Ok((summary.join("; "), problems))
}

/// The error for a report that could not be written (a closed pipe, say).
fn report(source: io::Error) -> Error {
    Error::Io {
        context: "writing the report".to_owned(),
        source,
    }
}

/// What clippy found in exercise `name`, or `None` if it is clean.
fn clippy_findings(clippy: &Build, name: &str) -> Option<String> {
    if !clippy.compiled(name) {
        return Some(clippy.errors(name));
    }
    let findings = clippy.diagnostics(name);
    if findings.is_empty() {
        return None;
    }
    Some(findings.iter().map(|d| d.rendered.as_str()).collect())
}

/// The tests of an exercise file: everything from its `#[cfg(test)]` line.
pub fn tests_section(source: &str) -> Option<&str> {
    let start = source
        .match_indices("#[cfg(test)]")
        .map(|(at, _)| at)
        .find(|&at| at == 0 || source[..at].ends_with('\n'))?;
    Some(&source[start..])
}

/// `rustfmt --check` on one file: `None` if it is formatted, or the diff.
/// rustfmt finds the workspace's rustfmt.toml by itself, from the file's
/// folder upwards.
fn unformatted(file: &Path) -> Result<Option<String>, Error> {
    let rustfmt: OsString =
        env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let output = Command::new(&rustfmt)
        .args(["--check", "--edition", "2024", "--color", "never"])
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| Error::Spawn {
            program: rustfmt.to_string_lossy().into_owned(),
            source,
        })?;
    if output.status.success() {
        return Ok(None);
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Ok(Some(text))
}

/// The evidence for a problem, indented under its exercise's line.
fn write_detail(out: &mut dyn Write, problem: &Problem) -> io::Result<()> {
    writeln!(out, "      {}:", problem.rule)?;
    for line in problem.detail.trim_end().lines() {
        writeln!(out, "        {line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tests_section_starts_at_cfg_test() {
        let source = "fn f() {}\n\n#[cfg(test)]\nmod tests {}\n";
        assert_eq!(tests_section(source), Some("#[cfg(test)]\nmod tests {}\n"));
        assert_eq!(tests_section("fn f() {}\n"), None);
        // Only at the start of a line: not in a comment or a string.
        assert_eq!(tests_section("// see #[cfg(test)]\n"), None);
    }

    #[test]
    fn a_broken_exercise_lists_its_rules_on_one_line() {
        let broken = Broken {
            name: "chunk_frame".into(),
            rules: vec![Rule::ExerciseFails, Rule::SolutionClippyClean],
        };
        assert_eq!(
            broken.to_string(),
            "chunk_frame (exercise passes its tests as shipped, \
             solution is not clippy-clean)"
        );
        let error = Error::Check(vec![broken]).to_string();
        assert!(error.starts_with("1 exercise(s) broke a rule: chunk_frame"));
        assert!(!error.contains('\n'));
    }
}
