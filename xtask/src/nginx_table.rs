//! Chapter 11's table: lessons 02, 08, 09 and 11, each straight and
//! through Debian's nginx in each configuration that matters.

use crate::Result;

pub fn files() -> Result<Vec<(String, String)>> {
    Ok(Vec::new())
}
