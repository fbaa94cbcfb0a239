//! Chapter 11's table: lessons 02, 08, 09 and 11, each straight and
//! through Debian's nginx in each configuration that matters, as the
//! inspector judges them; the server blocks the book shows; and lesson 11
//! over TLS and HTTP/2 through nginx, in DATA frames.
//!
//! One nginx runs every configuration, a server block each, and every
//! cell of the table is measured at once: a `compare` of the lesson
//! straight and through that server block, as `inspector compare` runs.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::thread;

use inspector::compare::{self, Plan, Run};
use inspector::session::Record;
use inspector::transport::{self, Http2};
use inspector::verdict::Pattern;
use lesson_01_raw_tcp::page::DEFAULT_PAUSE;
use lesson_01_raw_tcp::{server, testing};

use crate::Result;
use crate::transcripts::shell;

/// A lesson: its column, where nginx serves it, and its server.
struct Column {
    name: &'static str,
    /// nginx's `location`: lesson 11, the chapter's own, at the root.
    location: &'static str,
    /// What to ask the lesson for, after its location.
    path: &'static str,
    /// It sends `X-Accel-Buffering: no` itself.
    unbuffers: bool,
    /// The port the book shows it on.
    shown: u16,
    spawn: fn() -> io::Result<SocketAddr>,
}

const COLUMNS: [Column; 4] = [
    Column {
        name: "02 chunks by hand",
        location: "/02/",
        path: "",
        unbuffers: false,
        shown: 7802,
        spawn: || {
            server::spawn(lesson_02_chunked_by_hand::handler(
                DEFAULT_PAUSE,
                true,
            ))
        },
    },
    Column {
        name: "08 out of order",
        location: "/08/",
        path: "",
        unbuffers: false,
        shown: 7808,
        spawn: || lesson_08_out_of_order::spawn(Default::default()),
    },
    Column {
        name: "09 server-sent events",
        location: "/09/",
        path: "events?n=6&every=200",
        unbuffers: true,
        shown: 7809,
        spawn: || lesson_09_sse::spawn(Default::default()),
    },
    Column {
        name: "11 production",
        location: "/",
        path: "",
        unbuffers: true,
        shown: 7811,
        spawn: || lesson_11_production::spawn(DEFAULT_PAUSE),
    },
];

/// A configuration: a row of the table, and a server block.
struct Setup {
    /// The row's first column.
    name: &'static str,
    /// The server block's directives, besides `listen` and the locations.
    directives: &'static [&'static str],
    /// The lessons that do not send `X-Accel-Buffering: no` reach this
    /// server through [`RELAY`], which adds it.
    relayed: bool,
    /// Plain TCP, TLS, or TLS with HTTP/2 (offered by ALPN, and the
    /// client speaking it).
    listen: Listen,
    /// The port the book shows it on.
    shown: u16,
}

/// How a server block listens.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Listen {
    Plain,
    Tls,
    TlsHttp2,
}

const SETUPS: [Setup; 8] = [
    Setup {
        name: "nginx at its defaults",
        directives: &[],
        relayed: false,
        listen: Listen::Plain,
        shown: 8081,
    },
    Setup {
        name: "`proxy_http_version 1.1;`",
        directives: &["proxy_http_version 1.1;"],
        relayed: false,
        listen: Listen::Plain,
        shown: 8082,
    },
    Setup {
        name: "`proxy_buffering off;`",
        directives: &["proxy_buffering off;"],
        relayed: false,
        listen: Listen::Plain,
        shown: 8083,
    },
    Setup {
        name: "`X-Accel-Buffering: no` from the upstream¹",
        directives: &[],
        relayed: true,
        listen: Listen::Plain,
        shown: 8084,
    },
    Setup {
        name: "`proxy_http_version 1.1;` `gzip on;`",
        directives: &["proxy_http_version 1.1;", "gzip on;"],
        relayed: false,
        listen: Listen::Plain,
        shown: 8085,
    },
    Setup {
        name: "`proxy_http_version 1.1;` `proxy_buffering off;` `gzip on;`",
        directives: &[
            "proxy_http_version 1.1;",
            "proxy_buffering off;",
            "gzip on;",
        ],
        relayed: false,
        listen: Listen::Plain,
        shown: 8086,
    },
    Setup {
        name: "TLS, `proxy_http_version 1.1;`",
        directives: &[
            "ssl_certificate localhost.pem;",
            "ssl_certificate_key localhost.key;",
            "proxy_http_version 1.1;",
        ],
        relayed: false,
        listen: Listen::Tls,
        shown: 8443,
    },
    Setup {
        name: "TLS and HTTP/2², `proxy_http_version 1.1;`",
        directives: &[
            "ssl_certificate localhost.pem;",
            "ssl_certificate_key localhost.key;",
            "proxy_http_version 1.1;",
        ],
        relayed: false,
        listen: Listen::TlsHttp2,
        shown: 8444,
    },
];

/// Between nginx at its defaults and a lesson that does not send
/// `X-Accel-Buffering: no`, a server block that adds it. It speaks
/// HTTP/1.0 to the lesson, as nginx does by default, and passes each read
/// on: the header field is all it changes.
const RELAY: &[&str] =
    &["proxy_buffering off;", "add_header X-Accel-Buffering no;"];

/// The port the book shows [`RELAY`] on.
const RELAY_SHOWN: u16 = 8090;

/// What the table says under itself.
const FOOTNOTES: &str = "\
Each cell is the inspector's verdict through nginx, with when the first \
and the last byte of content arrived, in ms after the request; the first \
row is the lesson straight, measured at the same time. The client sends \
the inspector's `Accept-Encoding` (gzip, deflate, br, zstd), which nginx \
passes on: lesson 11 answers br itself, and nginx's gzip does not \
compress a body that is coded already.

¹ Lessons 02 and 08 do not send `X-Accel-Buffering: no`, so in this row \
nginx at its defaults reaches them through a second server block, \
`proxy_buffering off; add_header X-Accel-Buffering no;`, which speaks \
HTTP/1.0 to them as nginx's default does: the header is all it changes. \
Lessons 09 and 11 send the header themselves: for them this row is the \
defaults' row again.

² `listen … ssl http2;` is nginx 1.22's syntax (Debian 12); from 1.25.1 \
it is `listen … ssl;` and `http2 on;`. The client speaks HTTP/2: \
`--http2 --cacert ca.pem`.
";

/// The HTTP/2 screen: the file, and the command as the book shows it.
const HTTP2: (&str, &str) = (
    "11-production/http2.txt",
    "cargo run -q -p inspector -- --plain --http2 --cacert ca.pem \
     https://localhost:8444/",
);

/// Where everything listens: each lesson, each setup's server, the relay.
struct Ports {
    lessons: [u16; 4],
    setups: [u16; SETUPS.len()],
    relay: u16,
}

pub fn files() -> Result<Vec<(String, String)>> {
    if !testing::require(testing::NGINX) {
        return Err("chapter 11's table needs Debian's nginx".into());
    }
    let mut lessons = [0; 4];
    for (port, column) in lessons.iter_mut().zip(&COLUMNS) {
        *port = (column.spawn)()?.port();
    }
    let [setups @ .., relay] = testing::free_ports::<{ SETUPS.len() + 1 }>();
    let real = Ports {
        lessons,
        setups,
        relay,
    };
    let shown = Ports {
        lessons: COLUMNS.map(|c| c.shown),
        setups: SETUPS.map(|s| s.shown),
        relay: RELAY_SHOWN,
    };
    let dir = std::env::temp_dir()
        .join(format!("flusher-book-nginx-table-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    crate::behind_nginx::certificates(&dir)?;
    let nginx = testing::Nginx::start(
        dir,
        &servers(&real),
        &[&setups[..], &[relay]].concat(),
    );
    let table = table(&real, &nginx.dir)?;
    let h2 = SETUPS.iter().position(|s| s.listen == Listen::TlsHttp2);
    let tls = setups[h2.expect("an HTTP/2 row")];
    let ca = nginx.dir.join("ca.pem").display().to_string();
    let (file, command) = HTTP2;
    let screen = shell(
        &command
            .replace("ca.pem", &ca)
            .replace("localhost:8444", &format!("localhost:{tls}")),
        command,
    )?
    .replace(&format!("localhost:{tls}"), "localhost:8444");
    Ok(vec![
        ("11-production/nginx.md".into(), table),
        ("11-production/nginx.conf.txt".into(), servers(&shown)),
        (file.into(), screen),
    ])
}

/// The server blocks, on `ports`: a setup's each, then the relay.
fn servers(ports: &Ports) -> String {
    let upstream = |c: usize| format!("http://127.0.0.1:{}/", ports.lessons[c]);
    let relay = format!("http://127.0.0.1:{}", ports.relay);
    let mut out = "# gzip, where a server turns it on, compresses text/html \
                   and these\ngzip_types text/event-stream;\n"
        .to_owned();
    for (setup, port) in SETUPS.iter().zip(ports.setups) {
        let tls = match setup.listen {
            Listen::Plain => "",
            Listen::Tls => " ssl",
            Listen::TlsHttp2 => " ssl http2",
        };
        // The relay passes the location on as it came (no URI after the
        // address), for its own location of the same name.
        let locations =
            COLUMNS.iter().enumerate().map(|(c, column)| {
                match setup.relayed && !column.unbuffers {
                    true => (column.location, relay.clone()),
                    false => (column.location, upstream(c)),
                }
            });
        let listen = format!("listen 127.0.0.1:{port}{tls};");
        let name = setup.name.replace(['`', '¹', '²'], "");
        out += &block(&name, &listen, setup.directives, locations);
    }
    let relayed = COLUMNS.iter().enumerate().filter(|(_, c)| !c.unbuffers);
    out += &block(
        "between nginx and a lesson: adds X-Accel-Buffering: no",
        &format!("listen 127.0.0.1:{};", ports.relay),
        RELAY,
        relayed.map(|(c, column)| (column.location, upstream(c))),
    );
    out
}

/// A server block, under a comment that names it.
fn block<'a>(
    name: &str,
    listen: &str,
    directives: &[&str],
    locations: impl Iterator<Item = (&'a str, String)>,
) -> String {
    let mut out = format!("# {name}\nserver {{\n    {listen}\n");
    for directive in directives {
        out += &format!("    {directive}\n");
    }
    for (location, to) in locations {
        out += &format!("    location {location} {{ proxy_pass {to}; }}\n");
    }
    out + "}\n"
}

/// Every cell, measured at once, as a Markdown table with its footnotes.
fn table(ports: &Ports, dir: &Path) -> Result<String> {
    // The TLS rows' client trusts the CA that signed nginx's
    // certificate, and offers h2 to the HTTP/2 row; to the lesson, over
    // plain TCP, it speaks HTTP/1.1.
    let tls = transport::Options {
        cacert: Some(dir.join("ca.pem")),
        ..Default::default()
    };
    let h2 = transport::Options {
        http2: Http2::Offer,
        ..tls.clone()
    };
    // Row 0 is the lessons straight; row n + 1, setup n.
    let rows: Vec<Option<(&Setup, u16)>> = std::iter::once(None)
        .chain(SETUPS.iter().zip(ports.setups).map(Some))
        .collect();
    let cells: Vec<String> = thread::scope(|scope| {
        let jobs: Vec<_> = rows
            .iter()
            .flat_map(|&row| {
                let plan = Plan {
                    max_data: 16,
                    transport: match row.map(|(setup, _)| setup.listen) {
                        Some(Listen::Tls) => tls.clone(),
                        Some(Listen::TlsHttp2) => h2.clone(),
                        _ => Default::default(),
                    },
                    ..Plan::default()
                };
                COLUMNS.iter().zip(ports.lessons).map(move |(c, lesson)| {
                    let (urls, plan) = (urls(c, lesson, row), plan.clone());
                    scope.spawn(move || compare::run(&urls, &plan, |_, _| {}))
                })
            })
            .collect();
        jobs.into_iter()
            .map(|job| cell(&job.join().expect("a cell's job panicked")))
            .collect::<Result<_>>()
    })?;
    let mut out = format!(
        "| nginx | {} |\n|---|{}\n",
        COLUMNS.map(|c| c.name).join(" | "),
        "---|".repeat(COLUMNS.len())
    );
    let names = std::iter::once("straight to the lesson (no nginx)")
        .chain(SETUPS.iter().map(|s| s.name));
    for (name, cells) in names.zip(cells.chunks(COLUMNS.len())) {
        writeln!(out, "| {name} | {} |", cells.join(" | "))?;
    }
    Ok(out + "\n" + FOOTNOTES)
}

/// What a cell compares: `column`'s lesson, on `lesson`, straight; then
/// through `setup`'s server, on its port, if the row has one.
fn urls(
    column: &Column,
    lesson: u16,
    setup: Option<(&Setup, u16)>,
) -> Vec<String> {
    let path = column.path;
    let straight = format!("http://127.0.0.1:{lesson}/{path}");
    let through = setup.map(|(setup, port)| {
        // The certificate names localhost.
        let host = match setup.listen {
            Listen::Plain => "http://127.0.0.1",
            Listen::Tls | Listen::TlsHttp2 => "https://localhost",
        };
        format!("{host}:{port}{}{path}", column.location)
    });
    std::iter::once(straight).chain(through).collect()
}

/// A cell: what the last run (through nginx, or the lesson straight)
/// did. Every run's origin must have streamed, or the machine was too
/// busy for the table to mean anything.
fn cell(runs: &[Run]) -> Result<String> {
    for run in runs {
        if run.verdict().is_none() {
            return Err(
                format!("{}: no verdict: {:?}", run.url, run.records).into()
            );
        }
    }
    let (origin, last) = (&runs[0], &runs[runs.len() - 1]);
    if !origin.verdict().is_some_and(|v| v.streamed) {
        return Err(format!("{} did not stream", origin.url).into());
    }
    let verdict = last.verdict().expect("checked above");
    let ms = |t: Option<f64>| t.map_or("—".into(), |t| format!("{t:.0}"));
    let (first, end) =
        (ms(verdict.first_content_ms), ms(verdict.last_content_ms));
    let mut text = match verdict.pattern {
        Pattern::Stream => format!("stream {first} → {end} ms"),
        pattern if first == end => {
            format!("{}: all at {end} ms", pattern.name())
        }
        pattern => format!("{} {first} → {end} ms", pattern.name()),
    };
    // How the body came: its framing unless chunked, its coding if any.
    let head = last.records.iter().find_map(|r| match r {
        Record::Head {
            framing, headers, ..
        } => Some((*framing, headers)),
        _ => None,
    });
    if let Some((framing, headers)) = head {
        let coding = headers.iter().find_map(|[name, value]| {
            name.eq_ignore_ascii_case("content-encoding")
                .then_some(value)
        });
        // HTTP/2's framing is its DATA frames.
        let framing = framing.replace("frames", "DATA frames");
        let tags: Vec<&str> = (framing != "chunked")
            .then_some(framing.as_str())
            .into_iter()
            .chain(coding.map(String::as_str))
            .collect();
        if !tags.is_empty() {
            write!(text, " ({})", tags.join(", "))?;
        }
    }
    Ok(text)
}
