//! The Chinese edition (book/zh) cannot fall behind the English one
//! unnoticed. Every English chapter has a Chinese twin of the same name,
//! which includes exactly the same code anchors and generated files (so
//! nothing is copied, and a regenerated transcript updates both), and is
//! mostly Chinese (an untranslated copy is not a twin). Once both books
//! are built, each pair has the same headings, level for level, with the
//! same ids: the Chinese ones carry the English ids (`## 思路
//! {#the-idea}`), so a link to a section works in either edition.
//! Chromium then renders a Chinese page with a font that has its glyphs.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use flusher::devtools::Chromium;
use lesson_01_raw_tcp::testing;

use crate::Result;
use crate::book::{include_specs, markdown_files};

/// The least share of Han characters among a chapter's letters (Han and
/// Latin, code left out, three Latin letters counting as one character)
/// for it to count as Chinese. The translated chapters measure 0.79 to
/// 0.94 and an English one 0, so a chapter with whole sections left in
/// English falls below this.
const MIN_HAN_SHARE: f64 = 0.7;

/// Problems with the Chinese chapters' sources, against `book`'s English
/// ones.
pub fn twins(book: &Path) -> Result<Vec<String>> {
    let zh = book.join("zh/src");
    let mut problems = Vec::new();
    for english in markdown_files(&book.join("src"))? {
        let name = english.strip_prefix(book.join("src"))?;
        if name.starts_with("generated") || name.ends_with("SUMMARY.md") {
            continue;
        }
        let chinese = zh.join(name);
        let shown = chinese.display();
        let Ok(text) = fs::read_to_string(&chinese) else {
            problems.push(format!(
                "{shown}: missing (the twin of {})",
                name.display()
            ));
            continue;
        };
        let english_text = fs::read_to_string(&english)?;
        let root = book.parent().unwrap_or(book);
        let (theirs, ours) = (
            included(root, &english, &english_text),
            included(root, &chinese, &text),
        );
        for (target, n) in &theirs {
            let m = ours.get(target).copied().unwrap_or(0);
            if m != *n {
                problems.push(format!(
                    "{shown}: includes {target} {m} times, the English {n}"
                ));
            }
        }
        for target in ours.keys().filter(|t| !theirs.contains_key(*t)) {
            problems.push(format!(
                "{shown}: includes {target}, which the English does not"
            ));
        }
        let share = han_share(&text);
        if share < MIN_HAN_SHARE {
            problems.push(format!(
                "{shown}: only {:.0}% of its letters are Chinese: not translated?",
                share * 100.0
            ));
        }
    }
    // The same chapters in the same order; the glossary is the Chinese
    // edition's own.
    let chapters = |summary: &Path| -> Result<Vec<String>> {
        Ok(fs::read_to_string(summary)?
            .split("](")
            .skip(1)
            .filter_map(|rest| rest.split(')').next())
            .filter(|file| *file != "glossary.md")
            .map(str::to_owned)
            .collect())
    };
    if chapters(&book.join("src/SUMMARY.md"))?
        != chapters(&zh.join("SUMMARY.md"))?
    {
        problems.push(
            "book/zh/src/SUMMARY.md: not the English chapters, in order".into(),
        );
    }
    Ok(problems)
}

/// What a chapter includes, resolved: each file (links followed, from
/// `root`) and anchor, and how many times.
fn included(root: &Path, md: &Path, text: &str) -> BTreeMap<String, usize> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_owned());
    let dir = md.parent().unwrap_or(Path::new("."));
    let mut found = BTreeMap::new();
    for spec in include_specs(text) {
        let (path, anchor) = spec.split_once(':').unwrap_or((spec, ""));
        let file = dir
            .join(path)
            .canonicalize()
            .unwrap_or_else(|_| PathBuf::from(path));
        let file = file.strip_prefix(&root).unwrap_or(&file);
        *found
            .entry(format!("{}:{anchor}", file.display()))
            .or_default() += 1;
    }
    found
}

/// The share of Han characters among the letters of `text`'s prose:
/// code blocks, inline code, includes, link targets and tags left out.
fn han_share(text: &str) -> f64 {
    let (mut han, mut latin) = (0usize, 0usize);
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut skip: Option<char> = None;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if let Some(end) = skip {
                if c == end {
                    skip = None;
                }
                continue;
            }
            match c {
                '`' => skip = Some('`'),
                '<' => skip = Some('>'),
                '{' if chars.peek() == Some(&'{') => skip = Some('}'),
                ']' if chars.peek() == Some(&'(') => skip = Some(')'),
                '\u{4e00}'..='\u{9fff}' => han += 1,
                c if c.is_ascii_alphabetic() => latin += 1,
                _ => {}
            }
        }
    }
    // A Han character says about as much as an English word's 3 letters.
    let latin_words = latin as f64 / 3.0;
    if han == 0 {
        0.0
    } else {
        han as f64 / (han as f64 + latin_words)
    }
}

/// The chapters of the two built books whose headings differ: the
/// (level, id) of each, in order.
pub fn same_sections(english: &Path, chinese: &Path) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for entry in fs::read_dir(english)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !name.ends_with(".html")
            || ["print.html", "toc.html", "404.html", "index.html"]
                .contains(&name)
        {
            continue;
        }
        let theirs = headings(&fs::read_to_string(&path)?);
        let ours = headings(
            &fs::read_to_string(chinese.join(name)).unwrap_or_default(),
        );
        if theirs != ours {
            let first =
                theirs.iter().zip(&ours).find(|(a, b)| a != b).map_or_else(
                    || {
                        format!(
                            "{} headings, the English {}",
                            ours.len(),
                            theirs.len()
                        )
                    },
                    |(a, b)| {
                        format!(
                            "h{} #{} where the English has h{} #{}",
                            b.0, b.1, a.0, a.1
                        )
                    },
                );
            problems.push(format!("zh/{name}: {first}"));
        }
    }
    problems.sort();
    Ok(problems)
}

/// The (level, id) of every heading in a built page's main text.
fn headings(html: &str) -> Vec<(u32, String)> {
    let main = html.split_once("<main>").map_or("", |(_, rest)| rest);
    let main = main.split_once("</main>").map_or(main, |(body, _)| body);
    main.match_indices("<h")
        .filter_map(|(at, _)| {
            let rest = &main[at + 2..];
            let level = rest.chars().next()?.to_digit(10)?;
            let id = rest.split_once(" id=\"")?.1.split('"').next()?;
            (1..=6).contains(&level).then(|| (level, id.to_owned()))
        })
        .collect()
}

/// Chromium renders a Chinese chapter's text with fonts that have its
/// glyphs: one of the fonts it used for a paragraph is one fontconfig
/// says covers 中. Without a CJK font (fonts-noto-cjk), every character
/// would be a box.
pub fn glyphs(html: &Path) -> Result {
    if !testing::require("chromium") || !testing::require("fc-list") {
        return Ok(());
    }
    let out = std::process::Command::new("fc-list")
        .args([":charset=4e2d", "family"])
        .output()?;
    let cjk: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .flat_map(|l| l.split(','))
        .map(|f| f.trim().to_owned())
        .collect();
    if cjk.is_empty() {
        return Err(
            "no font here has Chinese glyphs: install fonts-noto-cjk".into()
        );
    }
    let page = html.join("02-chunked-by-hand.html").canonicalize()?;
    let chromium = Chromium::start()?;
    let used =
        chromium.fonts(&format!("file://{}", page.display()), "main p")?;
    if !used.iter().any(|f| cjk.contains(f)) {
        return Err(format!(
            "Chromium drew zh/02-chunked-by-hand.html's first paragraph with \
             {used:?}, none of which has Chinese glyphs ({} fonts do)",
            cjk.len()
        )
        .into());
    }
    println!(
        "book: Chromium draws the Chinese edition with {}",
        used.join(", ")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_prose_counts_and_code_does_not() {
        let english = "The decoder reads each chunk as it arrives.\n";
        assert!(han_share(english) < 0.01);
        let chinese = "解码器在每个块（chunk）到达时读取它，见 `Decoder::feed`。\n\
                       ```rust\nfn english_code_is_not_counted() {}\n```\n\
                       [链接](https://example.com/long/english/path)\n";
        assert!(han_share(chinese) > 0.8, "{}", han_share(chinese));
    }

    #[test]
    fn headings_are_read_with_their_level_and_id() {
        let html = "<nav><h2 id=\"no\">x</h2></nav><main>\
                    <h1 id=\"a\"><a href=\"#a\">A</a></h1><p>x</p>\
                    <h3 id=\"b-c\">B</h3></main>";
        assert_eq!(
            headings(html),
            [(1, "a".to_owned()), (3, "b-c".to_owned())]
        );
    }
}
