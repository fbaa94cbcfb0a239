//! Lesson 10: WebSocket, on the same server.
//!
//! A WebSocket starts as an HTTP/1.1 request that asks to switch
//! protocols. The server answers `101 Switching Protocols`, and from then
//! on the connection carries frames both ways, not HTTP: text and binary
//! messages, pings and pongs, and a closing handshake. Lesson 05's server
//! hands the connection over after the `101` ([`Answer::upgrade`]).
//!
//! # Layout
//! - [`handshake`]: the opening handshake: checks, and the accept key.
//! - [`frame`]: frames, by hand: the header, masking, lengths.
//! - [`session`]: one connection's conversation: messages in and out,
//!   ping and pong, closing, and failing with the right close code.
//! - [`utf8`]: text checked as it comes, fragment by fragment.
//! - [`Chat`]: the site: the page at `/`, the endpoint at `/ws`, and a
//!   plain echo at `/echo` for test suites (Autobahn's, in CI).

pub mod frame;
pub mod handshake;
pub mod session;
pub mod utf8;

use std::io;
use std::net::SocketAddr;

use bytes::Bytes;
use lesson_01_raw_tcp::cli::{Lesson, Watch};
use lesson_01_raw_tcp::response::Status;
use lesson_04_http_parse::head::Head;
use lesson_05_tokio::site::path_and_query;
use lesson_05_tokio::{Answer, Config, Site};

pub const LESSON: Lesson = Lesson {
    package: "lesson-10-websocket",
    title: "lesson 10: WebSocket",
    idea: "one HTTP request switches protocols: then frames go both ways on the same connection",
    watch: &[
        Watch {
            what: "the opening handshake by hand, then the first frame (. is a byte that is not text)",
            command: "curl -sS -i -N --max-time 1 -H 'Connection: Upgrade' -H 'Upgrade: websocket' \\\n    \
                -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \\\n    \
                '{url}' | LC_ALL=C tr -c '[:print:]\\r\\n' '.'",
            path: "ws",
        },
        Watch {
            what: "every frame both ways: the inspector sends two messages, and closes after 500 ms",
            command: "cargo run -q -p inspector -- --plain --send hello --send 'two words' \\\n    \
                --close-after 500 {ws}",
            path: "ws",
        },
        Watch {
            what: "the same in the inspector's TUI, printed at the close \
                (without --screen and --close-after: live)",
            command: "cargo run -q -p inspector -- --screen 100x30 --send hello --send 'two words' \\\n    \
                --close-after 500 {ws}",
            path: "ws",
        },
        Watch {
            what: "a handshake it refuses: version 8 gets 426, and the version it speaks",
            command: "curl -sS -i -H 'Connection: Upgrade' -H 'Upgrade: websocket' \\\n    \
                -H 'Sec-WebSocket-Version: 8' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \\\n    \
                '{url}'",
            path: "ws",
        },
    ],
};

/// Lesson 10's site: the page at `/`, the WebSocket at `/ws`, and the
/// same without the greeting at `/echo`.
#[derive(Debug, Clone, Copy)]
pub struct Chat {
    /// The biggest message taken, whole or in fragments.
    pub max_message: usize,
}

impl Default for Chat {
    fn default() -> Chat {
        Chat {
            max_message: session::MAX_MESSAGE,
        }
    }
}

// ANCHOR: answer
impl Site for Chat {
    fn answer(&self, request: &Head) -> Answer {
        let (path, _) = path_and_query(request);
        match path {
            "/" if matches!(request.method.as_str(), "GET" | "HEAD") => {
                Answer::whole("text/html; charset=utf-8", |chunks| async move {
                    chunks.send(Bytes::from_static(PAGE.as_bytes())).await;
                })
            }
            "/" => Answer::not_allowed(request),
            // `/echo` is `/ws` without the greeting: a test suite's echo
            // server answers exactly what it is sent.
            "/ws" | "/echo" => match handshake::check(request) {
                Ok(key) => {
                    let accept = handshake::accept_key(&key);
                    let fields = vec![
                        ("Upgrade", "websocket".into()),
                        ("Connection", "Upgrade".into()),
                        ("Sec-WebSocket-Accept", accept),
                    ];
                    let settings = session::Settings {
                        greet: path == "/ws",
                        max_message: self.max_message,
                    };
                    Answer::upgrade(fields, move |upgraded| {
                        session::run(upgraded, settings)
                    })
                }
                Err((status, why)) if status == Status::UpgradeRequired => {
                    Answer::plain(status, why)
                        .field("Sec-WebSocket-Version", "13")
                }
                Err((status, why)) => Answer::plain(status, why),
            },
            _ => Answer::plain(
                Status::NotFound,
                format!("nothing at {path}: try /, /ws or /echo"),
            ),
        }
    }
}
// ANCHOR_END: answer

/// The page: a WebSocket to `/ws`, a box to send, and what came back.
pub const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>WebSocket</title>
<style>
body{font:16px/1.5 system-ui;margin:1em 2em}
#log li.out{color:#25a}
#log li.in{color:#262}
</style>
</head>
<body>
<h1>WebSocket</h1>
<p>Status: <b id="status">connecting</b></p>
<form id="form"><input id="text" value="hello" autocomplete="off"> <button>Send</button></form>
<ol id="log"></ol>
<script>
const log = document.getElementById("log");
const status = document.getElementById("status");
const show = (dir, text) => {
  const item = document.createElement("li");
  item.className = dir;
  item.textContent = (dir === "out" ? "→ " : "← ") + text;
  log.append(item);
};
const socket = new WebSocket(new URL("/ws", location.href.replace(/^http/, "ws")));
socket.onopen = () => {
  status.textContent = "open";
  // The page's query, if any, is sent as the first messages: ?say=a&say=b
  for (const text of new URLSearchParams(location.search).getAll("say")) {
    socket.send(text);
    show("out", text);
  }
};
socket.onmessage = (e) => show("in", e.data);
socket.onclose = (e) => status.textContent = "closed (" + e.code + ")";
document.getElementById("form").onsubmit = (e) => {
  e.preventDefault();
  const text = document.getElementById("text").value;
  socket.send(text);
  show("out", text);
};
</script>
</body>
</html>
"#;

/// Serves lesson 10 on `127.0.0.1:0` in the background: tests, the tour.
pub fn spawn() -> io::Result<SocketAddr> {
    lesson_05_tokio::spawn_site(
        Config::new(Default::default()),
        Chat::default(),
    )
}
