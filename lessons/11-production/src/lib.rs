//! Lesson 11: production, where streams break.
//!
//! Every lesson so far streamed on loopback, from the server straight to
//! the client. In production a response crosses a proxy (nginx, a CDN, a
//! load balancer), is compressed somewhere, and ends in a browser that
//! has rules of its own about the first bytes. Each can hold the stream
//! back. This server streams through all of them, and shows each pitfall
//! next to its fix:
//!
//! - compression that flushes after each part, and a middleware that
//!   swallows the flushes ([`compress`]);
//! - the header fields that tell an intermediary not to hold or
//!   transform the stream ([`Production`]'s `/`);
//! - HTTP/1.0 clients, which is what nginx is by default: lesson 05's
//!   server streams to them until the close, where lesson 02 waited to
//!   send `Content-Length`;
//! - browsers' rules on the first bytes ([`browser`]).
//!
//! # Layout
//! - [`coding`]: which coding a client accepts, and an [`Encoder`] that
//!   compresses a part at a time, with a sync flush or without.
//! - [`compress`]: the middleware that compresses an answer, and the same
//!   middleware swallowing the flushes.
//! - [`browser`]: pages for the browser's rules: MIME sniffing, the
//!   charset prescan, render-blocking resources.
//! - [`Production`]: the routes.
//!
//! [`Encoder`]: coding::Encoder
//! [`compress`]: compress::compress

pub mod browser;
pub mod coding;
pub mod compress;

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use lesson_01_raw_tcp::cli::{self, Lesson, Watch};
use lesson_01_raw_tcp::response::Status;
use lesson_04_http_parse::head::Head;
use lesson_05_tokio::produce::Source;
use lesson_05_tokio::site::path_and_query;
use lesson_05_tokio::{Answer, Config, Site};

use browser::Blocker;
use coding::Flush;
use compress::compress;

pub const LESSON: Lesson = Lesson {
    package: "lesson-11-production",
    title: "lesson 11: production",
    idea: "streams that survive proxies, compression and browsers: flush the compressor, tell the proxy, mind the first bytes",
    watch: &[
        Watch {
            what: "gzip, flushed after each part: every chunk decodes on arrival",
            command: "curl -sS -N --compressed '{url}'",
            path: "",
        },
        Watch {
            what: "each chunk's gzip, and the content it decodes to",
            command: "cargo run -q -p inspector -- --plain \
                -H 'Accept-Encoding: gzip' '{url}'",
            path: "",
        },
        Watch {
            what: "a compression middleware that swallows the flushes: one burst",
            command: "cargo run -q -p inspector -- --plain \
                -H 'Accept-Encoding: gzip' '{url}'",
            path: "swallowed",
        },
        Watch {
            what: "HTTP/1.0, as nginx asks unless told (before 1.29.7): streamed until the close",
            command: "curl -sS -0 -i -N '{url}'",
            path: "",
        },
        cli::INSPECTOR,
        Watch {
            what: "text/plain without nosniff: it streams, yet a browser shows nothing before 1024 bytes",
            command: "cargo run -q -p inspector -- --plain '{url}'",
            path: "text?nosniff=0",
        },
    ],
};

/// Lesson 11's site.
#[derive(Debug, Clone)]
pub struct Production {
    /// Each part of the page waits this long for its data.
    pub pause: Duration,
}

// ANCHOR: answer
impl Site for Production {
    fn answer(&self, request: &Head) -> Answer {
        if !matches!(request.method.as_str(), "GET" | "HEAD") {
            return Answer::not_allowed(request);
        }
        let (path, query) = path_and_query(request);
        let page = || {
            let source = Source::Page { pause: self.pause };
            Answer::stream("text/html; charset=utf-8", |c| source.produce(c))
        };
        match (path, query) {
            ("/", _) => production(compress(request, page(), Flush::EachPart)),
            ("/swallowed", _) => compress(request, page(), Flush::Never),
            ("/text", "nosniff=1") => browser::text(true),
            ("/text", "nosniff=0") => browser::text(false),
            ("/charset", "meta=early") => browser::charset(true),
            ("/charset", "meta=late") => browser::charset(false),
            ("/blocking", "by=script") => browser::blocking(Blocker::Script),
            ("/blocking", "by=stylesheet") => {
                browser::blocking(Blocker::Stylesheet)
            }
            ("/blocking", "by=nothing") => browser::blocking(Blocker::Nothing),
            ("/slow.js", _) => {
                browser::slow("text/javascript", "console.log('late');\n")
            }
            ("/slow.css", _) => browser::slow("text/css", "h1{color:teal}\n"),
            _ => Answer::plain(
                Status::NotFound,
                format!(
                    "nothing at {path}?{query}: try /, /swallowed, \
                     /text?nosniff=0|1, /charset?meta=early|late or \
                     /blocking?by=script|stylesheet|nothing"
                ),
            ),
        }
    }
}
// ANCHOR_END: answer

// ANCHOR: production
/// `answer`, with the header fields that keep the hops between here and
/// the browser from holding or changing the stream.
fn production(answer: Answer) -> Answer {
    answer
        // nginx (and servers that copy it) buffer a proxied response
        // unless this says not to, for this response only; nginx then
        // passes on each part as it reads it, gzip included.
        .field("X-Accel-Buffering", "no")
        // An intermediary must not change the content (RFC 9110
        // §7.7): no recompressing, no minifying, which CDNs do by
        // buffering the whole body first.
        .field("Cache-Control", "no-transform")
        // The type is what it says: a browser need not hold the first
        // bytes back to sniff them.
        .field("X-Content-Type-Options", "nosniff")
}
// ANCHOR_END: production

/// Serves lesson 11 on `127.0.0.1:0` in the background: tests, the tour,
/// the book's measurements.
pub fn spawn(pause: Duration) -> io::Result<SocketAddr> {
    lesson_05_tokio::spawn_site(Config::new(pause), Production { pause })
}
