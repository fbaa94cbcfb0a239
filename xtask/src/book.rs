//! The book cannot drift: every include must resolve, every anchor must
//! exist and hold code, and mdBook must build.
//!
//! mdBook itself renders a misspelled anchor as *nothing*, silently. This
//! check is what turns that into an error.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Result;
use crate::listings::{CHINESE, ENGLISH, Edition};

pub fn run(root: &Path) -> Result {
    let book = root.join("book");
    let config_path = book.join("book.toml");
    let config = fs::read_to_string(&config_path)
        .map_err(|e| format!("cannot read {}: {e}", config_path.display()))?;
    if !config.contains("create-missing = false") {
        return Err("book/book.toml must set `create-missing = false`".into());
    }

    // A chapter that sends the reader to a renamed exercise has drifted too.
    let course = exercises::Course::load(root)?;
    let (includes, mut problems) =
        check_sources(&course, &book.join("src"), &ENGLISH)?;
    let (zh_includes, zh_problems) =
        check_sources(&course, &book.join("zh/src"), &CHINESE)?;
    problems.extend(zh_problems);
    problems.extend(crate::zh::twins(&book)?);
    if !problems.is_empty() {
        return Err(
            format!("the book drifted:\n  {}", problems.join("\n  ")).into()
        );
    }
    println!(
        "book: {includes} includes (and the Chinese edition's \
         {zh_includes}) resolve to non-empty anchors, each listing names \
         its file; every exercise it names exists; every chapter has its \
         Chinese twin, with the same includes, in Chinese"
    );

    // The English book first: building it empties book/book, where the
    // Chinese one is built as zh/.
    mdbook(root, "book")?;
    mdbook(root, "book/zh")?;
    let html = book.join("book");
    let same = crate::zh::same_sections(&html, &html.join("zh"))?;
    if !same.is_empty() {
        return Err(format!(
            "the Chinese edition's sections drifted:\n  {}",
            same.join("\n  ")
        )
        .into());
    }
    println!("book: each Chinese chapter has the English one's sections");
    crate::fits::check(&[html.clone(), html.join("zh")])?;
    crate::zh::glyphs(&html.join("zh"))
}

/// Builds the book in `dir`.
fn mdbook(root: &Path, dir: &str) -> Result {
    let status = Command::new("mdbook")
        .args(["build", dir])
        .current_dir(root)
        .status()
        .map_err(|e| {
            format!("cannot run mdbook ({e}); install it: cargo install mdbook --locked")
        })?;
    if !status.success() {
        return Err(format!("mdbook build {dir} failed").into());
    }
    Ok(())
}

/// Checks every chapter in `src`: its includes resolve, its listings are
/// labelled, the exercises it names exist. Returns the includes counted
/// and the problems found.
fn check_sources(
    course: &exercises::Course,
    src: &Path,
    edition: &Edition,
) -> Result<(usize, Vec<String>)> {
    let mut problems = Vec::new();
    let mut includes = 0;
    for md in markdown_files(src)? {
        let text = fs::read_to_string(&md)?;
        for spec in include_specs(&text) {
            includes += 1;
            if let Err(why) = check_include(&md, spec) {
                problems.push(format!("{}: {spec}: {why}", md.display()));
            }
        }
        for problem in crate::listings::unlabelled(&text, edition) {
            problems.push(format!("{}: {problem}", md.display()));
        }
        for name in hinted_exercises(&text) {
            if name != "NAME" && course.get(name).is_err() {
                problems.push(format!("{}: no exercise {name}", md.display()));
            }
        }
    }
    Ok((includes, problems))
}

/// Every `path[:anchor]` in `{{#include ...}}` and `{{#rustdoc_include ...}}`.
pub fn include_specs(text: &str) -> Vec<&str> {
    let mut specs = Vec::new();
    for directive in ["{{#include ", "{{#rustdoc_include "] {
        let mut rest = text;
        while let Some(start) = rest.find(directive) {
            rest = &rest[start + directive.len()..];
            let Some(end) = rest.find("}}") else { break };
            specs.push(rest[..end].trim());
            rest = &rest[end..];
        }
    }
    specs
}

/// Checks one include: the file exists, and a named anchor is present,
/// closed, and not empty.
fn check_include(md: &Path, spec: &str) -> std::result::Result<(), String> {
    let (path, anchor) = match spec.split_once(':') {
        Some((path, anchor)) => (path, Some(anchor)),
        None => (spec, None),
    };
    let target = md.parent().unwrap_or(Path::new(".")).join(path);
    let text = fs::read_to_string(&target)
        .map_err(|e| format!("cannot read {}: {e}", target.display()))?;
    // Line ranges (`file:3:9`) are not anchors; only names are checked.
    let Some(anchor) =
        anchor.filter(|a| !a.starts_with(|c: char| c.is_ascii_digit()))
    else {
        return Ok(());
    };
    anchored_lines(&text, anchor).map(|_| ())
}

/// The lines between `ANCHOR: name` and `ANCHOR_END: name`, if there are
/// any that are not blank.
fn anchored_lines<'a>(
    text: &'a str,
    name: &str,
) -> std::result::Result<Vec<&'a str>, String> {
    let is_marker = |line: &str, kind: &str| {
        line.split_once(kind)
            .is_some_and(|(_, rest)| rest.trim() == name)
    };
    let mut lines = text.lines();
    if !lines.any(|l| is_marker(l, "ANCHOR:")) {
        return Err(format!("no `ANCHOR: {name}`"));
    }
    let mut body = Vec::new();
    for line in lines {
        if is_marker(line, "ANCHOR_END:") {
            return if body.iter().any(|l: &&str| !l.trim().is_empty()) {
                Ok(body)
            } else {
                Err(format!("anchor `{name}` is empty"))
            };
        }
        if !line.contains("ANCHOR:") && !line.contains("ANCHOR_END:") {
            body.push(line);
        }
    }
    Err(format!("no `ANCHOR_END: {name}`"))
}

/// Every `NAME` in `cargo run -p exercises -- hint NAME`.
fn hinted_exercises(text: &str) -> Vec<&str> {
    text.split("exercises -- hint ")
        .skip(1)
        .filter_map(|rest| rest.split_whitespace().next())
        .map(|name| name.trim_end_matches(['`', '.', ',', ')']))
        .collect()
}

pub fn markdown_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        // Not through a link: the Chinese edition's generated/ is the
        // English one's.
        if entry.file_type()?.is_dir() {
            found.extend(markdown_files(&path)?);
        } else if path.extension().is_some_and(|e| e == "md") {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "fn a() {}\n\
                          // ANCHOR: full\n\
                          fn b() {}\n\
                          // ANCHOR: inner\n\
                          fn c() {}\n\
                          // ANCHOR_END: inner\n\
                          // ANCHOR_END: full\n\
                          // ANCHOR: empty\n\
                          \n\
                          // ANCHOR_END: empty\n\
                          // ANCHOR: open\n\
                          fn d() {}\n";

    #[test]
    fn finds_the_exercises_a_chapter_hints_at() {
        let md = "run `cargo run -p exercises -- hint chunk_frame`.\n\
                  cargo run -p exercises -- hint lazy_head\n";
        assert_eq!(hinted_exercises(md), ["chunk_frame", "lazy_head"]);
    }

    #[test]
    fn finds_every_include() {
        let md = "a {{#include ../x.rs:name}} b\n{{#include y.txt}}\n\
                  {{#rustdoc_include z.rs:2:5 }}";
        assert_eq!(include_specs(md), ["../x.rs:name", "y.txt", "z.rs:2:5"]);
    }

    #[test]
    fn an_anchor_holds_its_lines_without_nested_markers() {
        assert_eq!(
            anchored_lines(SOURCE, "full").unwrap(),
            ["fn b() {}", "fn c() {}"]
        );
        assert_eq!(anchored_lines(SOURCE, "inner").unwrap(), ["fn c() {}"]);
    }

    #[test]
    fn a_missing_empty_or_open_anchor_is_an_error() {
        assert_eq!(
            anchored_lines(SOURCE, "nope").unwrap_err(),
            "no `ANCHOR: nope`"
        );
        assert_eq!(
            anchored_lines(SOURCE, "empty").unwrap_err(),
            "anchor `empty` is empty"
        );
        assert_eq!(
            anchored_lines(SOURCE, "open").unwrap_err(),
            "no `ANCHOR_END: open`"
        );
        // A name that is a prefix of another is not that other.
        assert!(anchored_lines(SOURCE, "ful").is_err());
    }
}
