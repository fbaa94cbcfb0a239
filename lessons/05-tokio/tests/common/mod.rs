//! What the tests share.

use lesson_02_chunked_by_hand::chunk::SizeLine;
use lesson_05_tokio::produce::pattern;

/// The exact response to `GET /stream?n=N&size=S`, its date masked.
pub fn expected(n: usize, size: usize, close: bool) -> Vec<u8> {
    let close = if close { "Connection: close\r\n" } else { "" };
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nDate: <date>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n{close}\
         Transfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for _ in 0..n {
        out.extend_from_slice(SizeLine::new(size).as_bytes());
        out.extend_from_slice(&pattern(size));
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}
