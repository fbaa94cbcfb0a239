//! `cargo xtask autobahn`: lesson 10's `/echo` against the Autobahn
//! WebSocket test suite, a client nobody here wrote and most WebSocket
//! servers are judged by.
//!
//! The suite's `fuzzingclient` runs cases 1 to 10 (there is no 8) against
//! lesson 10, started here on a free port with the suite's 16 MiB message
//! limit. Cases 12 and 13 are left out: they test permessage-deflate,
//! which lesson 10 does not offer. Every case must come out OK or
//! INFORMATIONAL; the summary goes to the book, generated.
//!
//! The suite is Python 2 code: `wstest` comes from a virtualenv that
//! `.ci/run` makes with pyenv's 2.7 and `tests/autobahn/requirements.txt`,
//! in `~/.cache/flusher-autobahn/venv` (`AUTOBAHN_VENV` overrides it).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lesson_05_tokio::Config;
use lesson_10_websocket::Chat;
use serde_json::Value;

use crate::Result;

/// The largest message the suite sends (cases 9.1.6 and 9.2.6): 16 MiB.
const MAX_MESSAGE: usize = 16 << 20;

/// The case groups run, and what each tests (the suite's own names).
const GROUPS: [(&str, &str); 9] = [
    ("1", "Framing"),
    ("2", "Pings/Pongs"),
    ("3", "Reserved Bits"),
    ("4", "Opcodes"),
    ("5", "Fragmentation"),
    ("6", "UTF-8 Handling"),
    ("7", "Close Handling"),
    ("9", "Limits/Performance"),
    ("10", "Miscellaneous"),
];

/// Outcomes that pass: the case did what the RFC asks, or the case only
/// reports (INFORMATIONAL: say, which close code came back).
const PASS: [&str; 2] = ["OK", "INFORMATIONAL"];

pub fn run(root: &Path) -> Result {
    let wstest = venv().join("bin/wstest");
    if !wstest.exists() {
        return Err(format!(
            "no {}: make the virtualenv as .ci/run does",
            wstest.display()
        )
        .into());
    }
    let chat = Chat {
        max_message: MAX_MESSAGE,
    };
    let addr = lesson_05_tokio::spawn_site(Config::new(Duration::ZERO), chat)?;
    let dir = std::env::temp_dir()
        .join(format!("flusher-autobahn-{}", std::process::id()));
    fs::create_dir_all(&dir)?;
    let cases: Vec<String> =
        GROUPS.iter().map(|(g, _)| format!("\"{g}.*\"")).collect();
    let spec = format!(
        r#"{{
  "outdir": "./reports/servers",
  "servers": [{{"agent": "lesson-10-websocket", "url": "ws://{addr}/echo"}}],
  "cases": [{}],
  "exclude-cases": ["12.*", "13.*"],
  "exclude-agent-cases": {{}}
}}
"#,
        cases.join(", ")
    );
    fs::write(dir.join("spec.json"), spec)?;
    let log = dir.join("wstest.log");
    println!("autobahn: wstest fuzzingclient against ws://{addr}/echo");
    println!("autobahn: its log goes to {}", log.display());
    let started = Instant::now();
    let status = Command::new(&wstest)
        .args(["-m", "fuzzingclient", "-s", "spec.json"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&log)?)
        .stderr(fs::File::create(dir.join("wstest.err"))?)
        .status()?;
    let took = started.elapsed();
    if !status.success() {
        return Err(
            format!("wstest failed ({status}): see {}", log.display()).into()
        );
    }
    let index = fs::read_to_string(dir.join("reports/servers/index.json"))?;
    let results = parse(&index)?;
    println!(
        "autobahn: {} cases in {:.0} s, report in {}",
        results.len(),
        took.as_secs_f64(),
        dir.join("reports/servers/index.html").display()
    );
    let table = table(&results)?;
    let out = root.join("book/src/generated/10-websocket/autobahn.md");
    fs::create_dir_all(out.parent().expect("a directory"))?;
    fs::write(&out, &table)?;
    print!("{table}");
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.passes())
        .map(|r| format!("{} {} (close: {})", r.id, r.behavior, r.close))
        .collect();
    if !failed.is_empty() {
        return Err(format!(
            "autobahn: {} cases not OK: {}; see {}",
            failed.len(),
            failed.join(", "),
            dir.join("reports/servers/index.html").display()
        )
        .into());
    }
    Ok(())
}

fn venv() -> PathBuf {
    if let Some(venv) = std::env::var_os("AUTOBAHN_VENV") {
        return venv.into();
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
    Path::new(&home).join(".cache/flusher-autobahn/venv")
}

/// One case's outcome, as the report's `index.json` gives it.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    id: String,
    /// What came back: OK, NON-STRICT, FAILED, INFORMATIONAL...
    behavior: String,
    /// How the connection closed, judged the same way.
    close: String,
}

impl Outcome {
    fn passes(&self) -> bool {
        PASS.contains(&self.behavior.as_str())
            && PASS.contains(&self.close.as_str())
    }

    /// "6.4.3" as numbers, to sort 6.10 after 6.9.
    fn key(&self) -> Vec<u32> {
        self.id.split('.').map(|n| n.parse().unwrap_or(0)).collect()
    }
}

/// `{"agent": {"1.1.1": {"behavior": "OK", "behaviorClose": "OK", ..}}}`
fn parse(index: &str) -> Result<Vec<Outcome>> {
    let index: Value = serde_json::from_str(index)?;
    let agents = index.as_object().ok_or("index.json: not an object")?;
    let cases = agents
        .values()
        .next()
        .and_then(Value::as_object)
        .ok_or("index.json: no agent")?;
    let field = |case: &Value, name: &str| {
        case[name].as_str().unwrap_or("missing").to_owned()
    };
    let mut outcomes: Vec<Outcome> = cases
        .iter()
        .map(|(id, case)| Outcome {
            id: id.clone(),
            behavior: field(case, "behavior"),
            close: field(case, "behaviorClose"),
        })
        .collect();
    outcomes.sort_by_key(Outcome::key);
    Ok(outcomes)
}

/// The book's table: a row per group, its cases counted by outcome, and
/// the INFORMATIONAL ones named.
fn table(outcomes: &[Outcome]) -> Result<String> {
    let mut groups: BTreeMap<&str, Vec<&Outcome>> = BTreeMap::new();
    for o in outcomes {
        let group = o.id.split('.').next().unwrap_or_default();
        groups.entry(group).or_default().push(o);
    }
    let mut out = String::from(
        "| Cases | What they test | Run | OK | INFORMATIONAL | Not OK |\n\
         |---|---|--:|--:|---|--:|\n",
    );
    for (group, what) in GROUPS {
        let cases = groups.get(group).map(Vec::as_slice).unwrap_or_default();
        let ok = cases
            .iter()
            .filter(|o| o.behavior == "OK" && o.close == "OK")
            .count();
        let info: Vec<&str> = cases
            .iter()
            .filter(|o| o.passes() && !(o.behavior == "OK" && o.close == "OK"))
            .map(|o| o.id.as_str())
            .collect();
        let bad = cases.iter().filter(|o| !o.passes()).count();
        let info = if info.is_empty() {
            "".to_owned()
        } else {
            format!("{}: {}", info.len(), info.join(", "))
        };
        writeln!(
            out,
            "| {group}.* | {what} | {} | {ok} | {info} | {bad} |",
            cases.len()
        )?;
    }
    let bad = outcomes.iter().filter(|o| !o.passes()).count();
    writeln!(
        out,
        "| | **all** | **{}** | **{}** | | **{bad}** |",
        outcomes.len(),
        outcomes
            .iter()
            .filter(|o| o.behavior == "OK" && o.close == "OK")
            .count()
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_is_read_and_sorted_and_failures_counted() {
        let index = r#"{"lesson": {
            "6.10.1": {"behavior": "OK", "behaviorClose": "OK"},
            "6.9.1": {"behavior": "NON-STRICT", "behaviorClose": "OK"},
            "7.1.6": {"behavior": "INFORMATIONAL", "behaviorClose": "INFORMATIONAL"}
        }}"#;
        let outcomes = parse(index).unwrap();
        let ids: Vec<&str> = outcomes.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["6.9.1", "6.10.1", "7.1.6"]);
        let table = table(&outcomes).unwrap();
        assert!(table.contains("| 6.* | UTF-8 Handling | 2 | 1 |  | 1 |"));
        assert!(
            table.contains("| 7.* | Close Handling | 1 | 0 | 1: 7.1.6 | 0 |")
        );
    }
}
