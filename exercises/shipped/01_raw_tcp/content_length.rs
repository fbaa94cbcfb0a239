//! # Exercise: a response with Content-Length
//!
//! Chapter: `book/src/01-raw-tcp.md`.
//!
//! An HTTP/1.1 response is a status line, header fields, an empty line, then
//! the body (RFC 9112 §2.1):
//!
//! ```text
//! HTTP-message = start-line CRLF *( field-line CRLF ) CRLF [ message-body ]
//! ```
//!
//! `Content-Length` tells the client where the body ends. The price: the
//! server must know the whole body before it sends the first byte.
//!
//! Make the tests at the bottom pass:
//! `cargo run -p exercises -- run content_length`.

fn main() {
    // You can experiment here, then run the tests with
    // `cargo run -p exercises -- run content_length`.
}

/// A complete `200 OK` response that carries `body` as HTML.
//
// TODO: Return these bytes, in this order. Every line ends in CRLF ("\r\n"),
// and an empty line ends the head:
//
//   HTTP/1.1 200 OK                           the status line
//   Content-Type: text/html; charset=utf-8    what the body is
//   Content-Length: N                         how many bytes the body has
//                                             the empty line
//   <the body>
//
// For example:
//   response("hi") → b"HTTP/1.1 200 OK\r\n\
//                      Content-Type: text/html; charset=utf-8\r\n\
//                      Content-Length: 2\r\n\
//                      \r\n\
//                      hi"
//
// TODO: N counts bytes, not characters:
//   response("héllo") → "…Content-Length: 6\r\n\r\nhéllo"
fn response(body: &str) -> Vec<u8> {
    todo!()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::thread;
    use std::time::Duration;

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).expect("the response is UTF-8")
    }

    #[test]
    fn a_short_body() {
        assert_eq!(
            text(response("hi")),
            "HTTP/1.1 200 OK\r\n\
             Content-Type: text/html; charset=utf-8\r\n\
             Content-Length: 2\r\n\
             \r\n\
             hi"
        );
    }

    #[test]
    fn an_empty_body_has_length_zero() {
        assert_eq!(
            text(response("")),
            "HTTP/1.1 200 OK\r\n\
             Content-Type: text/html; charset=utf-8\r\n\
             Content-Length: 0\r\n\
             \r\n"
        );
    }

    #[test]
    fn content_length_counts_bytes_not_characters() {
        // "héllo" is 5 characters, but "é" takes 2 bytes in UTF-8.
        assert_eq!(
            text(response("héllo")),
            "HTTP/1.1 200 OK\r\n\
             Content-Type: text/html; charset=utf-8\r\n\
             Content-Length: 6\r\n\
             \r\n\
             héllo"
        );
    }

    #[test]
    fn the_bytes_cross_a_real_socket() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            // Read the request head, up to its empty line, before answering:
            // closing a socket with unread input makes the kernel send a
            // reset, and the client could lose the response.
            let mut lines = BufReader::new(&stream).lines();
            while !lines.next().unwrap().unwrap().is_empty() {}
            stream.write_all(&response("<h1>héllo</h1>")).unwrap();
            // Dropping `stream` closes the connection.
        });

        let mut client = TcpStream::connect(addr).unwrap();
        // A safety net: a broken server must fail this test, not hang it.
        client
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        client
            .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let mut got = Vec::new();
        let read = client.read_to_end(&mut got);

        assert!(server.join().is_ok(), "the server thread panicked");
        read.unwrap();
        assert_eq!(
            text(got),
            "HTTP/1.1 200 OK\r\n\
             Content-Type: text/html; charset=utf-8\r\n\
             Content-Length: 15\r\n\
             \r\n\
             <h1>héllo</h1>"
        );
    }
}
