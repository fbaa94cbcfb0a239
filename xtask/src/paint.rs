//! Chapter 11's browser measurements: lesson 11's pages in headless
//! Chromium, each piece's arrival and the first paint.

use crate::Result;

pub fn files() -> Result<Vec<(String, String)>> {
    Ok(Vec::new())
}
