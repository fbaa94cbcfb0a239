//! # Exercise: a whole chunked response
//!
//! Chapter: `book/src/02-chunked-by-hand.md`.
//!
//! A server that streams doesn't know how long the body will be when it
//! sends the head. So instead of `Content-Length`, the head says
//! `Transfer-Encoding: chunked`, and each part of the page goes out as a
//! chunk as soon as it is ready. The last-chunk, `0\r\n\r\n`, ends the body
//! (RFC 9112 §7.1). A message must not carry both fields (RFC 9112 §6.2).
//!
//! Here all the parts are known at once, so that the test can compare
//! bytes. Lesson 02's server sends each chunk as its part is rendered.
//!
//! Make the tests at the bottom pass:
//! `cargo run -p exercises -- run chunked_body`.

fn main() {
    // You can experiment here, then run the tests with
    // `cargo run -p exercises -- run chunked_body`.
}

/// A `200 OK` response whose HTML body is `parts`, one chunk per part.
//
// TODO: Start with the head. It is lesson 01's head, with one field changed:
//
//   HTTP/1.1 200 OK\r\n
//   Content-Type: text/html; charset=utf-8\r\n
//   Transfer-Encoding: chunked\r\n
//   \r\n
//
// TODO: Then one chunk per part (as in the exercise chunk_frame), and the
// last-chunk:
//   chunked_response(&["<p>Hello</p>", "<p>world</p>"])
//     → head + b"c\r\n<p>Hello</p>\r\nc\r\n<p>world</p>\r\n0\r\n\r\n"
//   chunked_response(&[])
//     → head + b"0\r\n\r\n"
//
// TODO: An empty part must not end the body early:
//   chunked_response(&["a", "", "b"])
//     → head + b"1\r\na\r\n1\r\nb\r\n0\r\n\r\n"
fn chunked_response(parts: &[&str]) -> Vec<u8> {
    todo!()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "HTTP/1.1 200 OK\r\n\
                        Content-Type: text/html; charset=utf-8\r\n\
                        Transfer-Encoding: chunked\r\n\
                        \r\n";

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).expect("the response is UTF-8")
    }

    #[test]
    fn two_parts_make_two_chunks() {
        let got = text(chunked_response(&["<p>Hello</p>", "<p>world</p>"]));
        let body = "c\r\n<p>Hello</p>\r\nc\r\n<p>world</p>\r\n0\r\n\r\n";
        assert_eq!(got, format!("{HEAD}{body}"));
    }

    #[test]
    fn the_head_has_no_content_length() {
        let got = text(chunked_response(&["<p>Hello</p>"]));
        let head = &got[..got.find("\r\n\r\n").expect("an empty line") + 4];
        assert!(
            head.contains("\r\nTransfer-Encoding: chunked\r\n"),
            "{head}"
        );
        assert!(!head.contains("Content-Length"), "{head}");
    }

    #[test]
    fn no_parts_is_just_the_last_chunk() {
        assert_eq!(text(chunked_response(&[])), format!("{HEAD}0\r\n\r\n"));
    }

    #[test]
    fn empty_parts_are_skipped() {
        let got = text(chunked_response(&["a", "", "b", ""]));
        let body = "1\r\na\r\n1\r\nb\r\n0\r\n\r\n";
        assert_eq!(got, format!("{HEAD}{body}"));
    }

    #[test]
    fn sizes_count_bytes_in_hexadecimal() {
        let long = "x".repeat(300);
        let got = text(chunked_response(&["héllo", &long]));
        let body = format!("6\r\nhéllo\r\n12c\r\n{long}\r\n0\r\n\r\n");
        assert_eq!(got, format!("{HEAD}{body}"));
    }
}
