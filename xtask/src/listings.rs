//! Every listing taken from the project's code says which file it comes
//! from, on the line above it, as the Rust Book labels its listings:
//!
//! ```text
//! <span class="filename">Filename: lessons/02-chunked-by-hand/src/chunk.rs</span>
//!
//! ```rust,ignore
//! {{#include ../../lessons/02-chunked-by-hand/src/chunk.rs:size_line}}
//! ```
//! ```
//!
//! Generated outputs (`generated/…`) are not listings: the text around
//! them says which command made them.
//!
//! The Chinese edition (book/zh/src) labels them `文件名：PATH`, and its
//! chapters are a directory deeper, so their includes climb one more `../`.

/// How an edition labels a listing, and how its chapters reach the
/// workspace's root.
pub struct Edition {
    pub filename: &'static str,
    pub up: &'static str,
}

pub const ENGLISH: Edition = Edition {
    filename: "Filename: ",
    up: "../../",
};

pub const CHINESE: Edition = Edition {
    filename: "文件名：",
    up: "../../../",
};

impl Edition {
    /// The label a listing of `path` (from the workspace's root) carries.
    pub fn label(&self, path: &str) -> String {
        format!("<span class=\"filename\">{}{path}</span>", self.filename)
    }
}

/// The listings in a chapter's `text` without their label: the file
/// each includes, and what stands above it instead.
pub fn unlabelled(text: &str, edition: &Edition) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut problems = Vec::new();
    for (i, pair) in lines.windows(2).enumerate() {
        let [fence, include] = pair else { continue };
        let Some(path) = listed_file(fence, include, edition.up) else {
            continue;
        };
        let label = edition.label(path);
        let above = lines[..i].iter().rev().find(|l| !l.trim().is_empty());
        if above.map(|l| l.trim()) != Some(label.as_str()) {
            problems.push(format!("{path}: no `{label}` above it"));
        }
    }
    problems
}

/// The file a code block includes, from the workspace's root, if the
/// block opens with `fence` and its first line is `include`, an include
/// of the project's code (`../../lessons/…:anchor`, `up` being `../../`).
fn listed_file<'a>(fence: &str, include: &'a str, up: &str) -> Option<&'a str> {
    if !fence.starts_with("```") {
        return None;
    }
    let spec = include
        .trim()
        .strip_prefix("{{#include ")
        .or_else(|| include.trim().strip_prefix("{{#rustdoc_include "))?
        .strip_suffix("}}")?
        .trim();
    let path = spec.split(':').next()?.strip_prefix(up)?;
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_of_code_needs_its_label_and_an_output_does_not() {
        let labelled = "Text.\n\n\
            <span class=\"filename\">Filename: lessons/a/src/lib.rs</span>\n\n\
            ```rust,ignore\n{{#include ../../lessons/a/src/lib.rs:x}}\n```\n";
        assert!(unlabelled(labelled, &ENGLISH).is_empty());
        let bare = "Text.\n\n```rust,ignore\n\
            {{#include ../../lessons/a/src/lib.rs:x}}\n```\n";
        assert_eq!(unlabelled(bare, &ENGLISH).len(), 1);
        let output = "```console\n{{#include generated/a/watch-1.txt}}\n```\n";
        assert!(unlabelled(output, &ENGLISH).is_empty());
        // The Chinese edition's label, a directory deeper.
        let zh = "文字。\n\n\
            <span class=\"filename\">文件名：lessons/a/src/lib.rs</span>\n\n\
            ```rust,ignore\n{{#include ../../../lessons/a/src/lib.rs:x}}\n```\n";
        assert!(unlabelled(zh, &CHINESE).is_empty());
        assert_eq!(
            unlabelled(
                labelled.replace("../../", "../../../").as_str(),
                &CHINESE
            )
            .len(),
            1
        );
    }
}
