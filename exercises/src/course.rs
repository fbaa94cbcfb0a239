//! The ordered list of exercises, from `exercises/info.toml`.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use crate::Error;

/// Where the list lives, relative to the workspace.
pub const INFO_FILE: &str = "exercises/info.toml";

/// An exercise (the learner's file), its reference solution, or the copy
/// of the exercise as shipped that `reset` restores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Exercise,
    Solution,
    /// Why a copy, and not git: a learner who commits their work moves
    /// `HEAD`, a fork or a download may have no history or no `origin`, and
    /// the file compiled into the runner would be the learner's own edit
    /// (the runner is built from the same checkout). A copy that the
    /// learner never edits is there in every case, and `check` proves it
    /// is the exercise byte for byte.
    Shipped,
}

impl Kind {
    /// The folder, relative to the workspace, that holds the files.
    fn dir(self) -> &'static str {
        match self {
            Kind::Exercise => "exercises",
            Kind::Solution => "exercises/solutions",
            Kind::Shipped => "exercises/shipped",
        }
    }

    /// A short name, used for the generated project's folder.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Exercise => "exercises",
            Kind::Solution => "solutions",
            Kind::Shipped => "shipped",
        }
    }
}

/// One entry of `info.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    /// Its name, which is also its file's name without `.rs`.
    pub name: String,
    /// The exercise file, relative to `exercises/`; the solution has the
    /// same path under `exercises/solutions/`, and the shipped copy under
    /// `exercises/shipped/`.
    pub path: PathBuf,
    /// The lesson step it belongs to, two digits such as `"01"`.
    pub lesson: String,
    /// The book chapter that teaches the idea, relative to the workspace.
    pub chapter: String,
    /// Where to look and what to think about, not the answer.
    pub hint: String,
    /// The crates it uses, by their names in the workspace's
    /// `[workspace.dependencies]`; most exercises use none. `crate/feature`
    /// adds a feature to the crate's entry.
    #[serde(default)]
    pub dependencies: Vec<String>,
}

impl Exercise {
    /// The exercise's (or its solution's) file, relative to the workspace.
    pub fn file(&self, kind: Kind) -> PathBuf {
        Path::new(kind.dir()).join(&self.path)
    }
}

/// The exercises of one workspace, in order.
#[derive(Debug, Clone)]
pub struct Course {
    workspace: PathBuf,
    exercises: Vec<Exercise>,
}

impl Course {
    /// Reads and validates `exercises/info.toml` in `workspace`.
    pub fn load(workspace: &Path) -> Result<Course, Error> {
        let path = workspace.join(INFO_FILE);
        let text = fs::read_to_string(&path)
            .map_err(Error::io(format!("reading {}", path.display())))?;
        let exercises =
            parse(&text).map_err(|message| Error::Info { path, message })?;
        Ok(Course {
            workspace: workspace.to_path_buf(),
            exercises,
        })
    }

    pub fn workspace(&self) -> &Path {
        &self.workspace
    }

    pub fn exercises(&self) -> &[Exercise] {
        &self.exercises
    }

    /// The exercise called `name`, or an error that lists the valid names.
    pub fn get(&self, name: &str) -> Result<&Exercise, Error> {
        self.exercises
            .iter()
            .find(|exercise| exercise.name == name)
            .ok_or_else(|| Error::UnknownExercise {
                name: name.to_owned(),
                known: self.exercises.iter().map(|e| e.name.clone()).collect(),
            })
    }

    /// The crates that any exercise uses, each once, in order of name: the
    /// generated projects depend on all of them.
    pub fn dependencies(&self) -> BTreeSet<&str> {
        self.exercises
            .iter()
            .flat_map(|e| &e.dependencies)
            .map(String::as_str)
            .collect()
    }

    /// The absolute path of an exercise's (or its solution's) file.
    pub fn path(&self, exercise: &Exercise, kind: Kind) -> PathBuf {
        self.workspace.join(exercise.file(kind))
    }

    /// Puts the exercise's file back as shipped, from its copy under
    /// `exercises/shipped/` ([`Kind::Shipped`] says why a copy).
    pub fn reset(&self, exercise: &Exercise) -> Result<(), Error> {
        let shipped = self.path(exercise, Kind::Shipped);
        let text = fs::read(&shipped)
            .map_err(Error::io(format!("reading {}", shipped.display())))?;
        let file = self.path(exercise, Kind::Exercise);
        fs::write(&file, text)
            .map_err(Error::io(format!("writing {}", file.display())))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Info {
    exercises: Vec<Exercise>,
}

/// Parses and validates the text of `info.toml`. The error is one line,
/// such as `line 7: missing field `hint``.
pub fn parse(text: &str) -> Result<Vec<Exercise>, String> {
    let info: Info = toml::from_str(text).map_err(|err| {
        // toml's own Display draws the offending line; one line is enough.
        match err.span() {
            Some(span) => {
                let line = text[..span.start].matches('\n').count() + 1;
                format!("line {line}: {}", err.message().trim())
            }
            None => err.message().trim().to_owned(),
        }
    })?;
    if info.exercises.is_empty() {
        return Err("no [[exercises]] are listed".to_owned());
    }
    let mut names = HashSet::new();
    for exercise in &info.exercises {
        validate(exercise)
            .map_err(|why| format!("exercise `{}`: {why}", exercise.name))?;
        if !names.insert(&exercise.name) {
            return Err(format!(
                "exercise `{}` is listed twice",
                exercise.name
            ));
        }
    }
    Ok(info.exercises)
}

/// The rules that let the rest of the crate trust an entry: the name is a
/// valid Cargo target name, and the path stays inside `exercises/`.
fn validate(exercise: &Exercise) -> Result<(), String> {
    let name = &exercise.name;
    let name_ok = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !name_ok {
        return Err("the name must be lowercase ASCII letters, digits and \
                    `_`, starting with a letter"
            .to_owned());
    }

    let lesson = &exercise.lesson;
    if lesson.len() != 2 || !lesson.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "lesson must be two digits, such as \"01\", not {lesson:?}"
        ));
    }

    let path = &exercise.path;
    let mut components = path.components();
    let dir = match (components.next(), components.next(), components.next()) {
        (Some(Component::Normal(dir)), Some(Component::Normal(_)), None) => {
            dir.to_string_lossy()
        }
        _ => {
            return Err(format!(
                "path must be NN_topic/{name}.rs, not {:?}",
                path.display().to_string()
            ));
        }
    };
    if !dir.starts_with(&format!("{lesson}_")) {
        return Err(format!(
            "path must be in a folder named {lesson}_topic, as it belongs \
             to lesson {lesson}"
        ));
    }
    if path.file_stem().is_none_or(|stem| *stem != **name)
        || path.extension().is_none_or(|ext| ext != "rs")
    {
        return Err(format!("the file must be named {name}.rs"));
    }

    if exercise.chapter.trim().is_empty() || exercise.hint.trim().is_empty() {
        return Err("chapter and hint must not be empty".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"
[[exercises]]
name = "content_length"
path = "01_raw_tcp/content_length.rs"
lesson = "01"
chapter = "book/src/01-raw-tcp.md"
hint = "Read the chapter."
"#;

    /// `ONE`, with `field = value` in place of its current line.
    fn with(field: &str, value: &str) -> String {
        ONE.lines()
            .map(|line| {
                if line.starts_with(&format!("{field} = ")) {
                    format!("{field} = {value}")
                } else {
                    line.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn parses_an_entry() {
        let exercises = parse(ONE).unwrap();
        assert_eq!(
            exercises,
            [Exercise {
                name: "content_length".into(),
                path: "01_raw_tcp/content_length.rs".into(),
                lesson: "01".into(),
                chapter: "book/src/01-raw-tcp.md".into(),
                hint: "Read the chapter.".into(),
                dependencies: Vec::new(),
            }]
        );
        assert_eq!(
            exercises[0].file(Kind::Solution),
            Path::new("exercises/solutions/01_raw_tcp/content_length.rs")
        );
    }

    #[test]
    fn keeps_the_order() {
        let two = format!(
            "{ONE}{}",
            ONE.replace("content_length", "zz_last").replace("01", "02")
        );
        let names: Vec<_> =
            parse(&two).unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["content_length", "zz_last"]);
    }

    #[test]
    fn dependencies_are_optional_and_listed_once() {
        let async_one = format!(
            "{}dependencies = [\"tokio\", \"bytes\"]\n",
            ONE.replace("content_length", "zz_async")
                .replace("01", "02")
        );
        let course = Course {
            workspace: PathBuf::from("/w"),
            exercises: parse(&format!(
                "{ONE}{async_one}{}",
                async_one.replace("zz_async", "zz_more")
            ))
            .unwrap(),
        };
        assert_eq!(course.exercises()[0].dependencies, Vec::<String>::new());
        assert_eq!(course.exercises()[1].dependencies, ["tokio", "bytes"]);
        assert_eq!(
            course.dependencies().into_iter().collect::<Vec<_>>(),
            ["bytes", "tokio"]
        );
    }

    #[test]
    fn a_syntax_error_names_its_line_on_one_line() {
        let err = parse(&with("lesson", "01")).unwrap_err();
        assert!(err.starts_with("line 5: "), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn a_missing_field_is_an_error() {
        let err = parse(&ONE.replace("hint = \"Read the chapter.\"", ""))
            .unwrap_err();
        assert!(err.contains("missing field `hint`"), "{err}");
    }

    #[test]
    fn an_unknown_field_is_an_error() {
        let err = parse(&format!("{ONE}hnit = \"typo\"\n")).unwrap_err();
        assert!(err.contains("hnit"), "{err}");
    }

    #[test]
    fn rejects_bad_entries() {
        let cases = [
            ("name", "\"Content-Length\"", "lowercase"),
            ("lesson", "\"1\"", "two digits"),
            ("path", "\"content_length.rs\"", "NN_topic"),
            ("path", "\"../01_x/content_length.rs\"", "NN_topic"),
            ("path", "\"/01_x/content_length.rs\"", "NN_topic"),
            ("path", "\"02_chunked/content_length.rs\"", "01_topic"),
            ("path", "\"01_raw_tcp/other.rs\"", "content_length.rs"),
            ("path", "\"01_raw_tcp/content_length.txt\"", ".rs"),
            ("hint", "\" \"", "must not be empty"),
        ];
        for (field, value, expected) in cases {
            let err = parse(&with(field, value)).unwrap_err();
            assert!(err.contains(expected), "{field} = {value}: {err}");
            assert!(err.starts_with("exercise `"), "{err}");
        }
    }

    #[test]
    fn rejects_duplicates_and_an_empty_list() {
        let err = parse(&format!("{ONE}{ONE}")).unwrap_err();
        assert!(err.contains("listed twice"), "{err}");
        let err = parse("exercises = []").unwrap_err();
        assert!(err.contains("no [[exercises]]"), "{err}");
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let course = Course {
            workspace: PathBuf::from("/w"),
            exercises: parse(ONE).unwrap(),
        };
        let err = course.get("nope").unwrap_err().to_string();
        assert_eq!(
            err,
            "no exercise is named `nope`; the exercises are: content_length"
        );
    }

    #[test]
    fn the_shipped_list_is_valid() {
        let course = Course::load(&crate::workspace_root()).unwrap();
        for exercise in course.exercises() {
            for kind in [Kind::Exercise, Kind::Solution, Kind::Shipped] {
                let path = course.path(exercise, kind);
                assert!(path.is_file(), "missing {}", path.display());
            }
        }
    }
}
