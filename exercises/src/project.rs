//! The generated Cargo project that builds the exercises, and running
//! their tests.
//!
//! ```text
//! target/exercises/
//!   exercises/Cargo.toml   one [[bin]] per exercise, path = the shipped file
//!   solutions/Cargo.toml   one [[bin]] per exercise, path = its solution
//!   target/                CARGO_TARGET_DIR of both
//! ```
//!
//! Each exercise is a `[[bin]]` whose `path` points back at the file in
//! `exercises/`, so the learner edits the real file and cargo rebuilds only
//! what changed.
//!
//! An exercise that needs a crate names it in `info.toml`. The project
//! depends on it as the workspace does, with the version and features of
//! `[workspace.dependencies]` (plus any feature named as `crate/feature`,
//! as a dev-dependency would add it), and gets the workspace's `Cargo.lock`: the
//! exercises build with the very versions the lessons use, and nothing new
//! is resolved.

use std::collections::BTreeMap;
use std::env;
use std::ffi::OsString;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::course::{Course, Kind};

/// Where the generated projects live, relative to the workspace.
pub const GENERATED_DIR: &str = "target/exercises";

/// How long one exercise's tests may run. They take milliseconds; this only
/// stops a learner's endless loop from hanging the runner or CI.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(60);

/// What to ask cargo for. Each step builds every exercise in one cargo
/// invocation, and `--keep-going` stops one broken exercise from hiding how
/// the others did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `cargo build --tests`: the test binaries, all the runner needs.
    Tests,
    /// `cargo build --all-targets`: the plain binaries and the test
    /// binaries, to prove that both compile.
    Everything,
    /// `cargo clippy --all-targets -- -D warnings`.
    Clippy,
}

impl Step {
    fn args(self) -> &'static [&'static str] {
        match self {
            Step::Tests => &["build", "--tests"],
            Step::Everything => &["build", "--all-targets"],
            Step::Clippy => &["clippy", "--all-targets"],
        }
    }
}

/// The generated project for the exercises, or for their solutions.
#[derive(Debug)]
pub struct Project {
    kind: Kind,
    dir: PathBuf,
    target_dir: PathBuf,
    /// Exercises whose file does not exist, by name.
    missing: BTreeMap<String, PathBuf>,
}

impl Project {
    /// Writes the project's manifest for `kind` (only when it changed, so
    /// cargo sees nothing new), and copies the workspace's Cargo.lock beside
    /// it.
    pub fn generate(course: &Course, kind: Kind) -> Result<Project, Error> {
        let workspace = course.workspace();
        let generated = workspace.join(GENERATED_DIR);
        let dir = generated.join(kind.name());
        fs::create_dir_all(&dir)
            .map_err(Error::io(format!("creating {}", dir.display())))?;

        let root_manifest = workspace.join("Cargo.toml");
        let root = fs::read_to_string(&root_manifest).map_err(Error::io(
            format!("reading {}", root_manifest.display()),
        ))?;
        // Cargo rejects the whole project if one bin's file is missing, so
        // a missing file is left out here and reported on its own.
        let (bins, missing): (Vec<_>, Vec<_>) = course
            .exercises()
            .iter()
            .map(|e| (e.name.clone(), course.path(e, kind)))
            .partition(|(_, path)| path.is_file());
        let names: Vec<&str> = course.dependencies().into_iter().collect();
        let dependencies =
            workspace_dependencies(&root, &names).map_err(|message| {
                Error::Info {
                    path: root_manifest.clone(),
                    message,
                }
            })?;
        let manifest =
            manifest(kind, &bins, workspace_lints(&root), dependencies);
        write_if_changed(&dir.join("Cargo.toml"), &manifest)?;

        // Every time, not only the first: cargo drops from the copy what
        // the project does not use, and the workspace's versions may have
        // moved on since.
        let lock = dir.join("Cargo.lock");
        let workspace_lock = workspace.join("Cargo.lock");
        if workspace_lock.exists() {
            fs::copy(&workspace_lock, &lock)
                .map_err(Error::io(format!("copying {}", lock.display())))?;
        }

        Ok(Project {
            kind,
            dir,
            target_dir: generated.join("target"),
            missing: missing.into_iter().collect(),
        })
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn manifest_path(&self) -> PathBuf {
        self.dir.join("Cargo.toml")
    }

    /// Runs one cargo `step` over every exercise, and sorts what cargo
    /// reports by exercise.
    pub fn build(&self, step: Step) -> Result<Build, Error> {
        let mut command = Command::new(cargo());
        command
            .args(step.args())
            .args(["--keep-going", "--message-format=json"])
            .arg("--manifest-path")
            .arg(self.manifest_path())
            .env("CARGO_TARGET_DIR", &self.target_dir)
            // The lints are the manifest's. A `RUSTFLAGS="-D warnings"`
            // meant for the workspace would make the shipped exercises'
            // harmless warnings (an unused parameter) fail their build.
            // This variable takes precedence over every other way to set
            // rustc flags.
            .env("CARGO_ENCODED_RUSTFLAGS", "")
            .current_dir(&self.dir)
            .stdin(Stdio::null());
        if step == Step::Clippy {
            // Solutions are held to the same bar as the workspace.
            command.args(["--", "-D", "warnings"]);
        }
        let output = command.output().map_err(|source| Error::Spawn {
            program: format!("cargo {}", step.args().join(" ")),
            source,
        })?;
        Ok(Build::parse(
            step,
            &String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ))
    }

    /// How exercise `name` did: its compiler errors, or its test run.
    pub fn test(&self, build: &Build, name: &str) -> Result<Outcome, Error> {
        if let Some(path) = self.missing.get(name) {
            let why = format!("{} does not exist", path.display());
            return Ok(Outcome::DoesNotCompile(why));
        }
        match build.test_executable(name) {
            Some(executable) if build.compiled(name) => {
                Ok(Outcome::Tested(self.run_tests(executable)?))
            }
            _ => Ok(Outcome::DoesNotCompile(build.errors(name))),
        }
    }

    /// Runs a test binary as `cargo test` would, with a time limit.
    pub fn run_tests(&self, executable: &Path) -> Result<TestRun, Error> {
        let mut command = Command::new(executable);
        command
            .args(["--color", "never"])
            // A panic's message and place are what a learner needs; a
            // backtrace through the test harness buries them.
            .env("RUST_BACKTRACE", "0")
            .current_dir(&self.dir);
        let (status, mut output) = run_with_timeout(command, TEST_TIMEOUT)
            .map_err(|source| Error::Spawn {
                program: executable.display().to_string(),
                source,
            })?;
        if status.is_none() {
            output.push_str(&format!(
                "\nThe tests were stopped after {} s: is there an endless \
                 loop, or a read that never ends?\n",
                TEST_TIMEOUT.as_secs()
            ));
        }
        let (passed, failed) = test_counts(&output).unwrap_or((0, 0));
        Ok(TestRun {
            success: status.is_some_and(|s| s.success()),
            passed,
            failed,
            output,
        })
    }
}

/// Runs `command` to its end, or kills it after `timeout`. Returns its exit
/// status (`None` if it was killed), and its stdout followed by its stderr.
fn run_with_timeout(
    mut command: Command,
    timeout: Duration,
) -> io::Result<(Option<ExitStatus>, String)> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;

    // Drain both pipes while waiting, or a chatty child could fill one and
    // block forever.
    fn drain(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<String> {
        thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());

    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            // Killing it closes its ends of the pipes, which ends the
            // drains.
            child.kill()?;
            child.wait()?;
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };

    let mut output = stdout.join().unwrap_or_default();
    output.push_str(&stderr.join().unwrap_or_default());
    Ok((status, output))
}

/// The cargo to run: the one that started us, if any, so the toolchain
/// matches.
fn cargo() -> OsString {
    env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

fn write_if_changed(path: &Path, text: &str) -> Result<(), Error> {
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    fs::write(path, text)
        .map_err(Error::io(format!("writing {}", path.display())))
}

/// How one exercise did.
#[derive(Debug)]
pub enum Outcome {
    /// It did not compile; here are the compiler's errors.
    DoesNotCompile(String),
    /// It compiled, and its tests ran.
    Tested(TestRun),
}

/// One run of an exercise's test binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRun {
    /// Whether the binary exited successfully: every test passed.
    pub success: bool,
    pub passed: usize,
    pub failed: usize,
    /// What the test binary printed, stdout then stderr.
    pub output: String,
}

/// The `N passed; M failed` counts from libtest's summary line:
/// `test result: FAILED. 1 passed; 3 failed; 0 ignored; …`.
pub fn test_counts(output: &str) -> Option<(usize, usize)> {
    let summary = output
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("test result: "))?;
    let count = |label: &str| {
        summary.split(';').find_map(|part| {
            part.trim()
                .rsplit(". ") // "ok. 4 passed" → "4 passed"
                .next()?
                .strip_suffix(label)?
                .trim()
                .parse()
                .ok()
        })
    };
    Some((count(" passed")?, count(" failed")?))
}

/// What one cargo step reported, sorted by exercise.
#[derive(Debug)]
pub struct Build {
    step: Step,
    targets: BTreeMap<String, Target>,
    /// Cargo's own stderr: its errors when it failed before any exercise
    /// could be blamed (a broken manifest, say).
    stderr: String,
}

#[derive(Debug, Default)]
struct Target {
    /// The plain binary (`profile.test == false`) was built or checked.
    plain: bool,
    /// The test binary was built or checked.
    test: bool,
    test_executable: Option<PathBuf>,
    /// Rendered errors and warnings in the compiler's order, without
    /// repeats: with `--all-targets`, the plain and the test build report
    /// the same ones.
    diagnostics: Vec<Diagnostic>,
}

/// One compiler message, as rustc renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// `"error"` or `"warning"`.
    pub level: String,
    pub rendered: String,
}

/// The parts of a `--message-format=json` line that we read.
#[derive(Deserialize)]
struct Message {
    reason: String,
    target: Option<MessageTarget>,
    profile: Option<MessageProfile>,
    executable: Option<PathBuf>,
    message: Option<MessageDiagnostic>,
}

#[derive(Deserialize)]
struct MessageTarget {
    name: String,
}

#[derive(Deserialize)]
struct MessageProfile {
    test: bool,
}

#[derive(Deserialize)]
struct MessageDiagnostic {
    level: String,
    rendered: Option<String>,
}

impl Build {
    /// Sorts cargo's JSON messages (one per line of `stdout`) by target.
    pub fn parse(step: Step, stdout: &str, stderr: String) -> Build {
        let mut targets: BTreeMap<String, Target> = BTreeMap::new();
        let messages = stdout
            .lines()
            .filter_map(|line| serde_json::from_str::<Message>(line).ok());
        for message in messages {
            let Some(target) = message.target else {
                continue;
            };
            let entry = targets.entry(target.name).or_default();
            match message.reason.as_str() {
                "compiler-artifact" => {
                    if message.profile.is_some_and(|p| p.test) {
                        entry.test = true;
                        entry.test_executable = message.executable;
                    } else {
                        entry.plain = true;
                    }
                }
                "compiler-message" => {
                    let Some(MessageDiagnostic {
                        level,
                        rendered: Some(rendered),
                    }) = message.message
                    else {
                        continue;
                    };
                    // Notes such as "for more information about this
                    // error…" are left out; errors and warnings stay.
                    let diagnostic = Diagnostic { level, rendered };
                    if matches!(diagnostic.level.as_str(), "error" | "warning")
                        && !entry.diagnostics.contains(&diagnostic)
                    {
                        entry.diagnostics.push(diagnostic);
                    }
                }
                _ => {}
            }
        }
        Build {
            step,
            targets,
            stderr,
        }
    }

    /// Whether every unit this step asked for compiled (or, for clippy,
    /// was checked) for exercise `name`.
    pub fn compiled(&self, name: &str) -> bool {
        self.targets.get(name).is_some_and(|t| match self.step {
            Step::Tests => t.test,
            Step::Everything | Step::Clippy => t.plain && t.test,
        })
    }

    /// The test binary of exercise `name`, if it was built.
    pub fn test_executable(&self, name: &str) -> Option<&Path> {
        self.targets.get(name)?.test_executable.as_deref()
    }

    /// The errors and warnings reported for exercise `name`.
    pub fn diagnostics(&self, name: &str) -> Vec<&Diagnostic> {
        self.targets
            .get(name)
            .map(|t| t.diagnostics.iter().collect())
            .unwrap_or_default()
    }

    /// Why exercise `name` did not compile: the compiler's errors, or, when
    /// there are none, what cargo itself said.
    pub fn errors(&self, name: &str) -> String {
        let errors: Vec<&str> = self
            .diagnostics(name)
            .into_iter()
            .filter(|d| d.level == "error")
            .map(|d| d.rendered.as_str())
            .collect();
        if errors.is_empty() {
            self.stderr.clone()
        } else {
            errors.concat()
        }
    }
}

/// The generated manifest.
#[derive(Serialize)]
struct Manifest<'a> {
    package: Package,
    /// An empty `[workspace]`: this project is not a member of the
    /// workspace it sits in.
    workspace: toml::Table,
    lints: toml::Table,
    /// Left out when empty, so that a project without crates keeps the
    /// manifest it always had.
    #[serde(skip_serializing_if = "toml::Table::is_empty")]
    dependencies: toml::Table,
    bin: Vec<Bin<'a>>,
}

#[derive(Serialize)]
struct Package {
    name: String,
    version: &'static str,
    edition: &'static str,
    publish: bool,
}

#[derive(Serialize)]
struct Bin<'a> {
    name: &'a str,
    path: &'a Path,
}

/// The text of a generated `Cargo.toml`: one `[[bin]]` per `(name, path)`.
/// `lints` are the workspace's `[workspace.lints]`, and `dependencies` come
/// from [`workspace_dependencies`].
pub fn manifest(
    kind: Kind,
    bins: &[(String, PathBuf)],
    mut lints: toml::Table,
    dependencies: toml::Table,
) -> String {
    // An exercise's functions are called only from its tests, while `main`
    // is left for experiments: in the plain binary they are all dead code.
    // rustlings allows `dead_code` for the same reason.
    let rust = lints
        .entry("rust")
        .or_insert_with(|| toml::Table::new().into());
    if let Some(rust) = rust.as_table_mut() {
        rust.insert("dead_code".into(), "allow".into());
    }

    let manifest = Manifest {
        package: Package {
            name: format!("flusher-{}", kind.name()),
            version: "0.0.0",
            edition: "2024",
            publish: false,
        },
        workspace: toml::Table::new(),
        lints,
        dependencies,
        bin: bins.iter().map(|(name, path)| Bin { name, path }).collect(),
    };
    let body = toml::to_string(&manifest)
        .expect("names and paths always serialize to TOML");
    format!(
        "# Generated by the `exercises` crate on every run: edits are lost.\n\
         # See exercises/README.md.\n\n{body}"
    )
}

/// The `[workspace.lints]` table of the workspace's Cargo.toml, or an empty
/// table if it has none (or does not parse: cargo will say why).
pub fn workspace_lints(root_manifest: &str) -> toml::Table {
    workspace_table(root_manifest, "lints").unwrap_or_default()
}

/// The entries of the workspace's `[workspace.dependencies]` for `names`,
/// as they stand there: the same version, the same features. A name may
/// add a feature as cargo writes it, `crate/feature` (`tokio/test-util`,
/// for tokio's paused clock): the entry gets that feature too. An error
/// says which name is missing, or is a path: an exercise stands alone, and
/// builds against crates from the registry only.
pub fn workspace_dependencies(
    root_manifest: &str,
    names: &[&str],
) -> Result<toml::Table, String> {
    if names.is_empty() {
        return Ok(toml::Table::new());
    }
    let declared =
        workspace_table(root_manifest, "dependencies").unwrap_or_default();
    let mut dependencies = toml::Table::new();
    for &name in names {
        let (name, feature) = match name.split_once('/') {
            Some((name, feature)) => (name, Some(feature)),
            None => (name, None),
        };
        let Some(entry) = declared.get(name) else {
            return Err(format!(
                "an exercise uses `{name}`, which [workspace.dependencies] \
                 does not declare"
            ));
        };
        if entry.get("path").is_some() {
            return Err(format!(
                "an exercise uses `{name}`, a path dependency: exercises use \
                 crates from the registry only"
            ));
        }
        let entry = dependencies
            .entry(name.to_owned())
            .or_insert_with(|| entry.clone());
        if let Some(feature) = feature {
            add_feature(entry, feature);
        }
    }
    Ok(dependencies)
}

/// Adds `feature` to a dependency's entry, once: `"1"` becomes
/// `{ version = "1", features = [feature] }`.
fn add_feature(entry: &mut toml::Value, feature: &str) {
    if let toml::Value::String(version) = entry {
        let mut table = toml::Table::new();
        table.insert("version".into(), version.clone().into());
        *entry = table.into();
    }
    let Some(table) = entry.as_table_mut() else {
        return;
    };
    let features = table
        .entry("features")
        .or_insert_with(|| toml::Value::Array(Vec::new()));
    if let Some(features) = features.as_array_mut()
        && !features.iter().any(|f| f.as_str() == Some(feature))
    {
        features.push(feature.into());
    }
}

/// `[workspace.<key>]` of the workspace's Cargo.toml, if it is a table.
fn workspace_table(root_manifest: &str, key: &str) -> Option<toml::Table> {
    let mut root = root_manifest.parse::<toml::Table>().ok()?;
    match root.remove("workspace")? {
        toml::Value::Table(mut workspace) => match workspace.remove(key)? {
            toml::Value::Table(table) => Some(table),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = r#"
[workspace]
members = ["exercises"]

[workspace.lints.rust]
unsafe_code = "forbid"

[workspace.lints.clippy]
dbg_macro = "warn"
pedantic = { level = "warn", priority = -1 }

[workspace.dependencies]
tokio = { version = "1.47", features = ["full"] }
bytes = "1"
lesson = { path = "lessons/lesson" }
"#;

    fn no_dependencies() -> toml::Table {
        toml::Table::new()
    }

    fn generated(bins: &[(String, PathBuf)]) -> toml::Table {
        let text = manifest(
            Kind::Solution,
            bins,
            workspace_lints(ROOT),
            no_dependencies(),
        );
        assert!(text.starts_with("# Generated"), "{text}");
        text.parse().expect("the manifest is valid TOML")
    }

    #[test]
    fn the_manifest_has_one_bin_per_exercise() {
        let bins = [
            ("a".to_owned(), PathBuf::from("/w/exercises/01_x/a.rs")),
            ("b".to_owned(), PathBuf::from("/w/exercises/02_y/b.rs")),
        ];
        let manifest = generated(&bins);
        let bin = manifest["bin"].as_array().unwrap();
        assert_eq!(bin.len(), 2);
        assert_eq!(bin[0]["name"].as_str(), Some("a"));
        assert_eq!(bin[0]["path"].as_str(), Some("/w/exercises/01_x/a.rs"));
        assert_eq!(bin[1]["name"].as_str(), Some("b"));
    }

    #[test]
    fn the_manifest_is_its_own_workspace_on_edition_2024() {
        let manifest = generated(&[]);
        assert_eq!(manifest["workspace"].as_table(), Some(&toml::Table::new()));
        assert_eq!(manifest["package"]["edition"].as_str(), Some("2024"));
        assert_eq!(
            manifest["package"]["name"].as_str(),
            Some("flusher-solutions")
        );
    }

    #[test]
    fn the_manifest_keeps_the_workspace_lints_and_allows_dead_code() {
        let manifest = generated(&[]);
        let lints = &manifest["lints"];
        assert_eq!(lints["rust"]["unsafe_code"].as_str(), Some("forbid"));
        assert_eq!(lints["rust"]["dead_code"].as_str(), Some("allow"));
        assert_eq!(lints["clippy"]["dbg_macro"].as_str(), Some("warn"));
        assert_eq!(
            lints["clippy"]["pedantic"]["priority"].as_integer(),
            Some(-1)
        );
    }

    #[test]
    fn a_root_without_lints_gives_just_dead_code() {
        let text = manifest(
            Kind::Exercise,
            &[],
            workspace_lints("[workspace]"),
            no_dependencies(),
        );
        let manifest: toml::Table = text.parse().unwrap();
        let lints = manifest["lints"].as_table().unwrap();
        assert_eq!(lints.len(), 1);
        assert_eq!(lints["rust"]["dead_code"].as_str(), Some("allow"));
        assert!(workspace_lints("not toml [").is_empty());
    }

    #[test]
    fn the_manifest_is_stable() {
        // Rewriting the same text must not make cargo see a change.
        let bins = [("a".to_owned(), PathBuf::from("/w/a.rs"))];
        let text = || {
            let deps = workspace_dependencies(ROOT, &["tokio"]).unwrap();
            manifest(Kind::Exercise, &bins, workspace_lints(ROOT), deps)
        };
        assert_eq!(text(), text());
    }

    #[test]
    fn dependencies_take_the_workspace_versions_and_features() {
        let deps = workspace_dependencies(ROOT, &["bytes", "tokio"]).unwrap();
        let text = manifest(Kind::Exercise, &[], workspace_lints(ROOT), deps);
        let manifest: toml::Table = text.parse().unwrap();
        let deps = manifest["dependencies"].as_table().unwrap();
        assert_eq!(deps.len(), 2);
        assert_eq!(deps["bytes"].as_str(), Some("1"));
        assert_eq!(deps["tokio"]["version"].as_str(), Some("1.47"));
        let features = deps["tokio"]["features"].as_array().unwrap();
        assert_eq!(features[0].as_str(), Some("full"));
    }

    #[test]
    fn a_dependency_can_add_a_feature() {
        let deps = workspace_dependencies(
            ROOT,
            &["bytes/serde", "tokio", "tokio/test-util", "tokio/full"],
        )
        .unwrap();
        let features = |name: &str| -> Vec<String> {
            deps[name]["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(features("tokio"), ["full", "test-util"]);
        assert_eq!(deps["tokio"]["version"].as_str(), Some("1.47"));
        assert_eq!(features("bytes"), ["serde"]);
        assert_eq!(deps["bytes"]["version"].as_str(), Some("1"));
        assert!(workspace_dependencies(ROOT, &["lesson/x"]).is_err());
    }

    #[test]
    fn without_dependencies_the_manifest_has_no_table_for_them() {
        assert!(!generated(&[]).contains_key("dependencies"));
        assert_eq!(
            workspace_dependencies("not toml [", &[]),
            Ok(no_dependencies())
        );
    }

    #[test]
    fn a_crate_the_workspace_does_not_declare_is_an_error() {
        let err = workspace_dependencies(ROOT, &["serde"]).unwrap_err();
        assert!(err.contains("`serde`"), "{err}");
        assert!(err.contains("does not declare"), "{err}");
        let err = workspace_dependencies(ROOT, &["lesson"]).unwrap_err();
        assert!(err.contains("path dependency"), "{err}");
        let err =
            workspace_dependencies("[workspace]", &["tokio"]).unwrap_err();
        assert!(err.contains("`tokio`"), "{err}");
    }

    #[test]
    fn a_generated_project_gets_the_crates_and_the_workspace_lock() {
        let workspace = env::temp_dir()
            .join(format!("flusher-exercises-{}", std::process::id()));
        let write = |path: &str, text: &str| {
            let path = workspace.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        write("Cargo.toml", ROOT);
        write("Cargo.lock", "# the workspace's lock, first version\n");
        write(
            crate::course::INFO_FILE,
            r#"
[[exercises]]
name = "async_one"
path = "05_tokio/async_one.rs"
lesson = "05"
chapter = "book/src/05-tokio.md"
hint = "Read the chapter."
dependencies = ["tokio"]
"#,
        );
        let generated = workspace.join(GENERATED_DIR).join("exercises");
        let read = |file: &str| fs::read_to_string(generated.join(file));

        let course = Course::load(&workspace).unwrap();
        Project::generate(&course, Kind::Exercise).unwrap();
        let manifest: toml::Table =
            read("Cargo.toml").unwrap().parse().unwrap();
        assert_eq!(
            manifest["dependencies"]["tokio"]["version"].as_str(),
            Some("1.47")
        );
        assert_eq!(
            read("Cargo.lock").unwrap(),
            "# the workspace's lock, first version\n"
        );
        // The workspace moves on, and so does the project's copy.
        write("Cargo.lock", "# the workspace's lock, second version\n");
        Project::generate(&course, Kind::Exercise).unwrap();
        assert_eq!(
            read("Cargo.lock").unwrap(),
            "# the workspace's lock, second version\n"
        );
        fs::remove_dir_all(&workspace).unwrap();
    }

    /// Trimmed-down lines of real `cargo build --all-targets
    /// --message-format=json` output: `a` built, `b` failed.
    const CARGO_OUTPUT: &str = r#"{"reason":"compiler-message","target":{"name":"a"},"message":{"level":"warning","rendered":"warning: unused variable: `body`\n"}}
{"reason":"compiler-message","target":{"name":"a"},"message":{"level":"warning","rendered":"warning: unused variable: `body`\n"}}
{"reason":"compiler-artifact","target":{"name":"a"},"profile":{"test":false},"executable":"/t/debug/a"}
{"reason":"compiler-artifact","target":{"name":"a"},"profile":{"test":true},"executable":"/t/debug/deps/a-5a53"}
{"reason":"compiler-message","target":{"name":"b"},"message":{"level":"error","rendered":"error[E0308]: mismatched types\n"}}
{"reason":"compiler-message","target":{"name":"b"},"message":{"level":"failure-note","rendered":"For more information about this error, try `rustc --explain E0308`.\n"}}
{"reason":"build-finished","success":false}
"#;

    #[test]
    fn sorts_cargo_messages_by_exercise() {
        let build =
            Build::parse(Step::Everything, CARGO_OUTPUT, "stderr".into());
        assert!(build.compiled("a"));
        assert_eq!(
            build.test_executable("a"),
            Some(Path::new("/t/debug/deps/a-5a53"))
        );
        // The same warning from the plain and the test build, once.
        assert_eq!(build.diagnostics("a").len(), 1);

        assert!(!build.compiled("b"));
        assert_eq!(build.test_executable("b"), None);
        assert_eq!(build.errors("b"), "error[E0308]: mismatched types\n");
    }

    #[test]
    fn without_compiler_errors_cargo_says_why() {
        let build =
            Build::parse(Step::Tests, "not json\n", "no manifest".into());
        assert!(!build.compiled("a"));
        assert_eq!(build.errors("a"), "no manifest");
    }

    #[test]
    fn the_tests_step_needs_only_the_test_binary() {
        let test_only = CARGO_OUTPUT
            .lines()
            .filter(|line| !line.contains(r#""test":false"#))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            Build::parse(Step::Tests, &test_only, String::new()).compiled("a")
        );
        assert!(
            !Build::parse(Step::Everything, &test_only, String::new())
                .compiled("a")
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_child_that_hangs_is_stopped_with_its_output_kept() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo out; echo err >&2; exec sleep 30"]);
        let started = Instant::now();
        let (status, output) =
            run_with_timeout(command, Duration::from_millis(300)).unwrap();
        assert_eq!(status, None);
        assert_eq!(output, "out\nerr\n");
        assert!(started.elapsed() < Duration::from_secs(20));
    }

    #[cfg(unix)]
    #[test]
    fn a_child_that_ends_keeps_its_status_and_output() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo out; echo err >&2; exit 3"]);
        let (status, output) =
            run_with_timeout(command, Duration::from_secs(30)).unwrap();
        assert_eq!(status.and_then(|s| s.code()), Some(3));
        assert_eq!(output, "out\nerr\n");
    }

    #[test]
    fn reads_libtest_counts() {
        let failed = "running 4 tests\n....\n\
            test result: FAILED. 1 passed; 3 failed; 0 ignored; 0 measured; \
            0 filtered out; finished in 0.00s\n";
        assert_eq!(test_counts(failed), Some((1, 3)));
        let ok = "test result: ok. 8 passed; 0 failed; 0 ignored; 0 measured; \
                  0 filtered out; finished in 0.01s\n";
        assert_eq!(test_counts(ok), Some((8, 0)));
        assert_eq!(test_counts("thread 'main' panicked"), None);
    }
}
