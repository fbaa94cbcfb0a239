//! Chapter 11's table, its key rows: lessons 02, 08 and 11 straight and
//! through Debian's nginx in the configurations that hold a stream or let
//! it through, judged by the inspector's library as `inspector compare`
//! judges them (`cargo xtask transcripts` writes the whole table).
//!
//! Every exchange runs at once, the lesson straight beside nginx, and the
//! test asserts the verdict's pattern, the framing and the coding, never
//! a duration.

use std::fs;
use std::time::Duration;

use inspector::compare::{self, Plan, Run};
use inspector::session::Record;
use inspector::transport::{self, Http2};
use inspector::verdict::Pattern;
use lesson_01_raw_tcp::page::PARTS;
use lesson_01_raw_tcp::{server, testing};

/// The wait between two parts of lessons 02 and 11.
const PAUSE: Duration = Duration::from_millis(200);

/// One exchange through nginx, and what it must show.
struct Case {
    what: &'static str,
    /// The lesson's own URL, and nginx's.
    origin: String,
    proxy: String,
    pattern: Pattern,
    framing: &'static str,
    coding: Option<&'static str>,
}

#[test]
fn nginx_holds_or_passes_each_lesson_as_configured() {
    if !testing::require(testing::NGINX) {
        return;
    }
    let l02 =
        server::spawn(lesson_02_chunked_by_hand::handler(PAUSE, true)).unwrap();
    let l08 = lesson_08_out_of_order::spawn(Default::default()).unwrap();
    let l11 = lesson_11_production::spawn(PAUSE).unwrap();
    let dir = std::env::temp_dir()
        .join(format!("flusher-nginx-table-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    // A certificate for localhost, signed by its own key: the client
    // trusts it as its own root (`--cacert`).
    let localhost =
        rcgen::generate_simple_self_signed(["localhost".to_owned()]).unwrap();
    fs::write(dir.join("localhost.pem"), localhost.cert.pem()).unwrap();
    fs::write(
        dir.join("localhost.key"),
        localhost.signing_key.serialize_pem(),
    )
    .unwrap();
    // Every server block sends /02/ to lesson 02, /08/ to lesson 08, and
    // the rest to lesson 11; they differ in what nginx does on the way.
    let ports: [u16; 6] = testing::free_ports();
    let [defaults, http11, gzip, gzip_unbuffered, tls11, tls] = ports;
    let setups = [
        (defaults, ""),
        (http11, "proxy_http_version 1.1;"),
        (gzip, "proxy_http_version 1.1; gzip on;"),
        (
            gzip_unbuffered,
            "proxy_http_version 1.1; proxy_buffering off; gzip on;",
        ),
        (
            tls11,
            "ssl_certificate localhost.pem; \
             ssl_certificate_key localhost.key; \
             proxy_http_version 1.1;",
        ),
        (
            tls,
            "ssl_certificate localhost.pem; \
             ssl_certificate_key localhost.key; \
             proxy_http_version 1.1; proxy_buffering off;",
        ),
    ];
    let servers: String = setups
        .iter()
        .map(|&(port, directives)| {
            let ssl = match port {
                _ if port == tls => " ssl http2",
                _ if port == tls11 => " ssl",
                _ => "",
            };
            format!(
                "server {{ listen 127.0.0.1:{port}{ssl}; {directives}
        location /02/ {{ proxy_pass http://{l02}/; }}
        location /08/ {{ proxy_pass http://{l08}/; }}
        location / {{ proxy_pass http://{l11}/; }} }}\n"
            )
        })
        .collect();
    let nginx = testing::Nginx::start(dir, &servers, &ports);

    let case = |what, lesson, (port, path): (u16, &str), expect| {
        let (pattern, framing, coding) = expect;
        // The certificate names localhost.
        let host = match port == tls || port == tls11 {
            true => "https://localhost",
            false => "http://127.0.0.1",
        };
        Case {
            what,
            origin: format!("http://{lesson}/"),
            proxy: format!("{host}:{port}{path}"),
            pattern,
            framing,
            coding,
        }
    };
    let cases = [
        // HTTP/1.0 to the upstream: lesson 02 answers it with
        // Content-Length, once it has the whole page.
        case(
            "lesson 02, nginx at its defaults",
            l02,
            (defaults, "/02/"),
            (Pattern::HeadHeld, "content-length", None),
        ),
        // HTTP/1.1: chunks, which nginx passes on as each is complete,
        // buffering on.
        case(
            "lesson 02, proxy_http_version 1.1",
            l02,
            (http11, "/02/"),
            (Pattern::Stream, "chunked", None),
        ),
        // gzip flushes only when a buffer says so, which only unbuffered
        // reads do.
        case(
            "lesson 02, gzip on",
            l02,
            (gzip, "/02/"),
            (Pattern::HeadHeld, "chunked", Some("gzip")),
        ),
        case(
            "lesson 02, gzip on, proxy_buffering off",
            l02,
            (gzip_unbuffered, "/02/"),
            (Pattern::Stream, "chunked", Some("gzip")),
        ),
        // A body that ends at the close has no length for nginx to wait
        // on: it passes a buffer on once it is full.
        case(
            "lesson 08, nginx at its defaults",
            l08,
            (defaults, "/08/"),
            (Pattern::HeadHeld, "chunked", None),
        ),
        // The same server: X-Accel-Buffering: no turns buffering off for
        // this response; lesson 11 codes it with br and flushes each part.
        case(
            "lesson 11, nginx at its defaults",
            l11,
            (defaults, "/"),
            (Pattern::Stream, "chunked", Some("br")),
        ),
        // Over TLS, nginx fills a record of ssl_buffer_size (16k) before
        // it sends it, unless a buffer says flush, which only unbuffered
        // reads do: the chunks that streamed in plain HTTP/1.1 are held.
        case(
            "lesson 02, TLS, proxy_http_version 1.1",
            l02,
            (tls11, "/02/"),
            (Pattern::HeadHeld, "chunked", None),
        ),
        case(
            "lesson 11, TLS and HTTP/2",
            l11,
            (tls, "/"),
            (Pattern::Stream, "frames", Some("br")),
        ),
    ];
    let plan = Plan {
        max_data: 16,
        transport: transport::Options {
            cacert: Some(nginx.dir.join("localhost.pem")),
            http2: Http2::Offer,
            ..Default::default()
        },
        ..Plan::default()
    };
    let runs: Vec<Vec<Run>> = std::thread::scope(|scope| {
        let jobs: Vec<_> = cases
            .iter()
            .map(|c| {
                let (urls, plan) = ([c.origin.clone(), c.proxy.clone()], &plan);
                scope.spawn(move || compare::run(&urls, plan, |_, _| {}))
            })
            .collect();
        jobs.into_iter().map(|job| job.join().unwrap()).collect()
    });

    for (case, runs) in cases.iter().zip(&runs) {
        let [origin, proxy] = &runs[..] else {
            unreachable!("two targets")
        };
        let pattern = |run: &Run| run.verdict().map(|v| v.pattern);
        assert_eq!(
            pattern(origin),
            Some(Pattern::Stream),
            "{}: the lesson straight: {:?}",
            case.what,
            origin.records
        );
        let (framing, coding) = head(proxy);
        assert_eq!(
            (pattern(proxy), framing, coding.as_deref()),
            (Some(case.pattern), case.framing, case.coding),
            "{}: {:?}",
            case.what,
            proxy.verdict()
        );
    }
    // Over HTTP/2 the parts are DATA frames, not chunks: one each, each
    // its own release.
    let h2 = &runs[cases.len() - 1][1];
    let data = h2.records.iter().filter(
        |r| matches!(r, Record::H2Frame(f) if f.frame == "DATA" && f.len > 0),
    );
    assert_eq!(data.count(), PARTS.len(), "{:?}", h2.records);
    assert!(!h2.records.iter().any(|r| matches!(r, Record::Chunk(_))));
    assert_eq!(h2.verdict().unwrap().releases, PARTS.len() as u64);
}

/// The framing and content coding of `run`'s response.
fn head(run: &Run) -> (&'static str, Option<String>) {
    run.records
        .iter()
        .find_map(|r| match r {
            Record::Head {
                framing, headers, ..
            } => {
                let coding = headers.iter().find_map(|[name, value]| {
                    name.eq_ignore_ascii_case("content-encoding")
                        .then(|| value.clone())
                });
                Some((*framing, coding))
            }
            _ => None,
        })
        .expect("a head")
}
