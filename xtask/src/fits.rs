//! Every listing, screen and transcript of the built book fits the page
//! at 1280 px: nothing scrolls sideways. Checked in headless Chromium,
//! which lays each page out in a 1280-px frame and measures every code
//! block.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use lesson_01_raw_tcp::testing;

use crate::Result;

/// The width a reader's laptop shows the book at, sidebar open.
const WIDTH: u32 = 1280;

/// A page that loads each chapter (the URL's fragment lists them) in a
/// frame `WIDTH` wide, and writes down every code block wider than its
/// box, then `DONE`. Chromium runs it with file access, so the frames'
/// documents are its to read.
const MEASURE: &str = r#"<!doctype html><meta charset="utf-8"><pre id="out"></pre>
<script>
const pages = location.hash.slice(1).split(",");
const found = [];
function measure(i) {
  if (i == pages.length) {
    document.getElementById("out").textContent = found.join("\n") + "\nDONE";
    return;
  }
  const frame = document.createElement("iframe");
  frame.style.width = "WIDTHpx";
  frame.style.height = "900px";
  frame.src = pages[i];
  frame.onload = () => {
    for (const code of frame.contentDocument.querySelectorAll("pre > code")) {
      if (code.scrollWidth > code.clientWidth + 1) {
        const line = code.textContent.split("\n")
          .reduce((a, b) => (b.length > a.length ? b : a), "");
        found.push(pages[i].split("/").slice(-2).join("/") + ": " + line.trim().slice(0, 72));
      }
    }
    frame.remove();
    measure(i + 1);
  };
  document.body.append(frame);
}
measure(0);
</script>
"#;

/// Checks the books built in `htmls` (book/book and its zh/), in one
/// Chromium.
pub fn check(htmls: &[PathBuf]) -> Result {
    if !testing::require("chromium") {
        return Ok(());
    }
    let mut pages = Vec::new();
    for html in htmls {
        for entry in fs::read_dir(html)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            // `print.html` repeats every chapter; the rest are not chapters.
            let chapter = name.ends_with(".html")
                && !["print.html", "toc.html", "404.html", "index.html"]
                    .contains(&name);
            if chapter {
                pages
                    .push(format!("file://{}", path.canonicalize()?.display()));
            }
        }
    }
    pages.sort();
    let dir = std::env::temp_dir()
        .join(format!("flusher-book-fits-{}", std::process::id()));
    fs::create_dir_all(&dir)?;
    let page = dir.join("measure.html");
    fs::write(&page, MEASURE.replace("WIDTH", &WIDTH.to_string()))?;
    let profile = dir.join("profile");
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox", // CI runs as root
            "--disable-gpu",
            "--no-first-run",
            "--allow-file-access-from-files",
            "--virtual-time-budget=60000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}#{}", page.display(), pages.join(",")))
        .output()?;
    let _ = fs::remove_dir_all(&dir);
    let dom = String::from_utf8_lossy(&out.stdout);
    let Some(report) = dom
        .split_once("<pre id=\"out\">")
        .and_then(|(_, rest)| rest.split_once("DONE"))
        .map(|(found, _)| found.trim())
    else {
        return Err(format!(
            "Chromium did not measure the book's pages: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    };
    // The DOM comes back as HTML: the lines, as the reader sees them.
    let report = report
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    if !report.is_empty() {
        return Err(format!(
            "these blocks scroll sideways at {WIDTH} px (the widest line \
             of each):\n  {}",
            report.replace('\n', "\n  ")
        )
        .into());
    }
    println!(
        "book: all code blocks of {} pages fit at {WIDTH} px",
        pages.len()
    );
    Ok(())
}
