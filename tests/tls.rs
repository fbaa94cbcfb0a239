//! https, wss and HTTP/2, against real peers: Debian's nginx with
//! certificates made here, in front of lessons 05 and 10; nghttp2's
//! `nghttp` as a second HTTP/2 client to compare frames with; and servers
//! that fail in each way a user meets: a wrong name, an expired
//! certificate, an issuer nobody trusts, no TLS version in common, plain
//! HTTP on an https port, and bytes that are no HTTP/2 on an h2c one.
//!
//! The inspector runs as a program, `inspector --json`: its flags, its
//! records as printed and its exit status are the interface under test.
//! Lesson 05 writes a part every 200 ms, and nginx passes each on at once
//! (`proxy_buffering off`): the test asserts order, and gaps of at least
//! half a pause, never durations.

use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use lesson_01_raw_tcp::page::{PARTS, html};
use lesson_01_raw_tcp::testing::{self, NGINX, Nginx, free_ports};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, date_time_ymd,
};
use serde_json::{Value, json};

/// The wait between two parts of lesson 05's page.
const PAUSE: Duration = Duration::from_millis(200);

/// How long one inspector run may take: a hang fails the test.
const DEADLINE: Duration = Duration::from_secs(20);

/// The common name of the test's CA, which `issuer` must show.
const CA_NAME: &str = "Flusher test CA";

/// The end of every valid certificate here: a date to assert exactly.
const NOT_AFTER: &str = "2100-01-01T00:00:00Z";

#[test]
fn https_streams_each_part_as_a_chunk() {
    if !present(&[NGINX]) {
        return;
    }
    let site = Site::start("http1");
    let url = format!("https://localhost:{}/", site.tls);
    let run = inspect(&["--cacert", &site.pem("ca"), &url]);
    run.succeeded();
    let head = run.one("head");
    let line = [&head["status"], &head["version"], &head["framing"]];
    assert_eq!(line, [&json!(200), &json!("HTTP/1.1"), &json!("chunked")]);
    check_tls(head, false);
    let chunks: Vec<&Value> =
        run.all("chunk").filter(|c| c["last"] == false).collect();
    check_parts(&chunks);
    assert_eq!(run.one("verdict")["pattern"], "stream");
}

/// `inspector proxy` in front of an https server: the browser side is
/// plain HTTP, the upstream TLS, checked with `--cacert`'s CA; each part
/// still arrives at its pause, through both.
#[test]
fn the_proxy_forwards_to_an_https_server() {
    if !present(&[NGINX]) {
        return;
    }
    let site = Site::start("proxy");
    let proxy = inspector::proxy::start(inspector::proxy::Options {
        listen: "127.0.0.1:0".into(),
        to: format!("https://localhost:{}", site.tls).parse().unwrap(),
        transport: inspector::transport::Options {
            cacert: Some(site.pem("ca").into()),
            ..Default::default()
        },
        via: false,
        max_data: 64,
    })
    .unwrap();
    let chunks = inspector::capture::get_chunks(proxy.addr, "/").unwrap();
    assert_eq!(chunks.len(), PARTS.len(), "{chunks:?}");
    for pair in chunks.windows(2) {
        let gap = pair[1].t_ms - pair[0].t_ms;
        assert!(gap >= PAUSE.as_secs_f64() * 1e3 / 2.0, "{chunks:?}");
    }
}

#[test]
fn http2_by_alpn_sends_a_data_frame_per_part() {
    if !present(&[NGINX]) {
        return;
    }
    let site = Site::start("http2");
    let url = format!("https://localhost:{}/", site.tls);
    let run = inspect(&["--http2", "--cacert", &site.pem("ca"), &url]);
    run.succeeded();
    let head = run.one("head");
    let line = [&head["status"], &head["version"], &head["framing"]];
    assert_eq!(line, [&json!(200), &json!("HTTP/2"), &json!("frames")]);
    assert_eq!(head["headers"][0], json!([":status", "200"]));
    check_tls(head, true);

    let frames: Vec<&Value> = run.all("h2_frame").collect();
    // The server's preface is a SETTINGS frame, not its ACK.
    let first = &frames[0];
    let first = [&first["frame"], &first["stream"], &first["flags"]];
    assert_eq!(first, [&json!("SETTINGS"), &json!(0), &json!(0)]);
    // Recorded in the order they came, each after the one before.
    for pair in frames.windows(2) {
        assert!(pair[0]["offset"].as_u64() < pair[1]["offset"].as_u64());
    }
    let data: Vec<&Value> = frames
        .iter()
        .copied()
        .filter(|f| f["frame"] == "DATA" && f["stream"] == 1)
        .collect();
    // Only the last DATA frame ends the stream: the last part's, or an
    // empty one after it.
    let (last, before) = data.split_last().expect("DATA frames on stream 1");
    assert_eq!(last["end_stream"], true);
    assert!(before.iter().all(|f| f["end_stream"] == false), "{data:?}");
    let parts: Vec<&Value> =
        data.iter().copied().filter(|f| f["len"] != 0).collect();
    check_parts(&parts);
    // `chunks` counts the DATA frames that carried some of the body.
    let end = run.one("end");
    assert_eq!(
        [&end["chunks"], &end["body_bytes"]],
        [PARTS.len(), html().len()]
    );
    assert_eq!(run.one("verdict")["pattern"], "stream");
}

/// nghttp and the inspector ask nginx for the same page at once, over TLS
/// and over h2c: the server's frames, up to the end of stream 1, must be
/// the same for both. An empty DATA frame that only ends the stream is
/// left out: whether nginx sends one depends on whether the lesson's
/// last-chunk came in the same read as its last part.
#[test]
fn nghttp_receives_the_frames_that_the_inspector_records() {
    if !present(&[NGINX, "nghttp"]) {
        return;
    }
    let site = Site::start("nghttp");
    let ca = site.pem("ca");
    let tls = format!("https://localhost:{}/", site.tls);
    let h2c = format!("http://127.0.0.1:{}/", site.h2c);
    let cases = [
        (&tls, vec!["--http2", "--cacert", &ca]),
        (&h2c, vec!["--http2-prior-knowledge"]),
    ];
    for (url, flags) in cases {
        // nghttp checks no certificate; `--no-dep` sends no PRIORITY
        // frames first, so its request is stream 1 too.
        let nghttp = Command::new("nghttp")
            .args(["-nv", "--no-dep", url])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let run = inspect(&[&flags[..], &[url]].concat());
        let nghttp = nghttp.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&nghttp.stderr);
        assert!(nghttp.status.success(), "nghttp {url}: {stderr}");
        run.succeeded();
        let theirs = nghttp_frames(&String::from_utf8_lossy(&nghttp.stdout));
        let ours = up_to_the_end(run.all("h2_frame").map(|f| {
            let n = |k: &str| f[k].as_u64().unwrap();
            let frame = f["frame"].as_str().unwrap().to_owned();
            (frame, n("stream"), n("len"), f["end_stream"] == true)
        }));
        assert!(!ours.is_empty());
        assert_eq!(ours, theirs, "{url}: the inspector's, then nghttp's");
    }
}

#[test]
fn wss_through_nginx_echoes_each_message() {
    if !present(&[NGINX]) {
        return;
    }
    let site = Site::start("wss");
    let url = format!("wss://localhost:{}/ws", site.tls);
    let run = inspect(
        &[
            ["--cacert", &site.pem("ca"), "--close-after", "500"].as_slice(),
            &["--send", "hello", "--send", "two words", &url],
        ]
        .concat(),
    );
    run.succeeded();
    let head = run.one("head");
    assert_eq!(head["status"], 101);
    check_tls(head, false);
    // Each side's frames in order; how the two interleave is up to timing.
    let frames = |direction: &str| -> Vec<[String; 2]> {
        let frames =
            run.all("ws_frame").filter(|f| f["direction"] == direction);
        frames
            .map(|f| {
                let text = match &f["close_code"] {
                    Value::Null => f["data"].as_str().unwrap().into(),
                    code => code.to_string(),
                };
                [f["opcode"].as_str().unwrap().into(), text]
            })
            .collect()
    };
    let greeting = lesson_10_websocket::session::GREETING;
    let [hello, two] = [["text", "hello"], ["text", "two words"]];
    assert_eq!(frames("client"), [hello, two, ["close", "1000"]]);
    let server = [["text", greeting], hello, two, ["close", "1000"]];
    assert_eq!(frames("server"), server);
    assert_eq!(run.one("end")["frames"], 7);
}

/// Every handshake that fails is one `tls` error record that says why,
/// and exit status 1, however the server fails it.
#[test]
fn each_failed_handshake_is_a_tls_error_that_says_why() {
    if !present(&[NGINX]) {
        return;
    }
    const UNTRUSTED: &[&str] =
        &["unknown issuer", "issuer is unknown", "not trusted"];
    // OpenSSL 3 offers TLS 1.1 only at security level 0.
    const OLD: &str = "ssl_protocols TLSv1.1; ssl_ciphers DEFAULT:@SECLEVEL=0;";
    // A server each: its certificate and settings, the host to ask for,
    // whether to trust the test's CA, and what the message must say (one
    // of each list).
    type Says = &'static [&'static [&'static str]];
    #[rustfmt::skip] // a table
    let cases: [(&str, &str, &str, bool, Says); 5] = [
        ("other", "", "127.0.0.1", true,
            &[&["not valid for 127.0.0.1"], &["other.test"]]),
        ("expired", "", "localhost", true, &[&["expired"], &["2001"]]),
        ("localhost", "", "localhost", false,
            &[UNTRUSTED, &["--cacert"], &["-k"]]),
        ("self-signed", "", "localhost", true, &[UNTRUSTED]),
        ("localhost", OLD, "localhost", true, &[&["protocol version"]]),
    ];
    let ports: [u16; 5] = free_ports();
    let servers = cases.iter().zip(ports).map(|((cert, extra, ..), port)| {
        format!(
            "server {{ listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert}.pem; ssl_certificate_key {cert}.key; {extra}
        return 200 \"accepted\"; }}\n"
        )
    });
    let nginx = nginx("failures", &servers.collect::<String>(), &ports);
    let ca = nginx.dir.join("ca.pem").display().to_string();
    let mut runs: Vec<(String, Run, Says)> = cases
        .iter()
        .zip(ports)
        .map(|(&(cert, _, host, trust, says), port)| {
            let url = format!("https://{host}:{port}/");
            let mut args = vec![url.as_str()];
            if trust {
                args.splice(..0, ["--cacert", &ca]);
            }
            (format!("{cert} {url}"), inspect(&args), says)
        })
        .collect();
    let plain =
        lesson_05_tokio::spawn(lesson_05_tokio::Config::new(PAUSE)).unwrap();
    let url = format!("https://{plain}/");
    runs.push((
        format!("lesson 05, {url}"),
        inspect(&[&url]),
        &[&["plain HTTP"]],
    ));

    for (name, run, says) in &runs {
        let error = run.failed(name);
        assert_eq!(error["kind"], "tls", "{name}: {error}");
        let message = error["message"].as_str().unwrap();
        // Shown when the test fails, or with --nocapture.
        eprintln!("{name}: {message}");
        let host = name.split("://").nth(1).and_then(|s| s.split(':').next());
        assert!(
            message.starts_with(&format!("TLS with {}: ", host.unwrap())),
            "{name}: the message does not name the host: {message}"
        );
        for any in *says {
            assert!(
                any.iter().any(|s| message.contains(s)),
                "{name}: the message says none of {any:?}: {message}"
            );
        }
    }
    // `-k` takes the certificate that no root vouches for; and `--http2`
    // speaks HTTP/1.1 where the server picks no h2.
    let url = format!("https://localhost:{}/", ports[2]);
    let run = inspect(&["-k", "--http2", &url]);
    run.succeeded();
    let head = run.one("head");
    assert_eq!(head["version"], "HTTP/1.1");
    assert_eq!(head["tls"]["version"], "TLSv1.2");
    let alpn = head["tls"]["alpn"].as_str();
    assert!(matches!(alpn, None | Some("http/1.1")), "{head}");
    assert_eq!(run.one("end")["body_bytes"], "accepted".len());
}

/// An h2c client that gets no SETTINGS frame back must say so, not hang
/// or take the bytes for frames.
#[test]
fn bytes_that_are_no_http2_are_an_h2_error() {
    if !present(&[]) {
        return;
    }
    let answers: [&[u8]; 2] = [
        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
        &[0xff; 32],
    ];
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    thread::spawn(move || {
        for (answer, stream) in answers.iter().zip(listener.incoming()) {
            let mut stream = stream.unwrap();
            stream.set_read_timeout(Some(DEADLINE)).unwrap();
            // Reads the client's preface, answers, and reads on until the
            // client leaves: closing with bytes unread would send a reset,
            // which could overtake the answer.
            let mut buf = [0; 4096];
            let _ = stream.read(&mut buf);
            stream.write_all(answer).unwrap();
            let _ = stream.shutdown(Shutdown::Write);
            while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
        }
    });
    for answer in answers {
        let run = inspect(&["--http2-prior-knowledge", &url]);
        let name = String::from_utf8_lossy(answer);
        let error = run.failed(&name);
        let kind = error["kind"].as_str().unwrap();
        assert!(kind.starts_with("h2"), "{name:?}: {error}");
    }
}

// ----------------------------------------------------------- helpers --

/// The TLS that a head reports: 1.3, the leaf for localhost that the
/// test's CA signed, and h2 by ALPN, or else HTTP/1.1 or nothing.
fn check_tls(head: &Value, h2: bool) {
    let tls = &head["tls"];
    let text = |k: &str| tls[k].as_str().unwrap_or_default();
    assert_eq!(text("version"), "TLSv1.3", "{tls}");
    assert!(text("cipher").starts_with("TLS13_"), "{tls}");
    assert!(text("subject").contains("CN=localhost"), "{tls}");
    assert!(text("issuer").contains(CA_NAME), "{tls}");
    assert_eq!(tls["not_after"], NOT_AFTER);
    let alpn = tls["alpn"].as_str();
    match h2 {
        true => assert_eq!(alpn, Some("h2")),
        false => assert!(matches!(alpn, None | Some("http/1.1")), "{tls}"),
    }
    // How long the connection took to make: no time since the request.
    for k in ["connect_ms", "tls_ms"] {
        assert!(head[k].as_f64().is_some_and(|t| t >= 0.0), "{head}");
    }
}

/// The records that carried the page, in order: one per part, with the
/// part as its data, each at least half a pause after the one before.
fn check_parts(records: &[&Value]) {
    let field = |k: &'static str| records.iter().map(move |r| r[k].clone());
    let data: Vec<Value> = field("data").collect();
    assert_eq!(data, PARTS, "one record per part");
    let times: Vec<f64> = field("t_ms").map(|t| t.as_f64().unwrap()).collect();
    let half = PAUSE.as_secs_f64() * 1e3 / 2.0;
    for pair in times.windows(2) {
        assert!(pair[1] - pair[0] >= half, "not at the pauses: {times:?}");
    }
}

/// A frame the server sent: its type, stream, payload length, and whether
/// it ended its stream.
type Frame = (String, u64, u64, bool);

/// The frames that `nghttp -nv` received, up to the end of stream 1, from
/// lines such as
/// `[  0.034] recv DATA frame <length=186, flags=0x00, stream_id=1>`.
fn nghttp_frames(out: &str) -> Vec<Frame> {
    up_to_the_end(out.lines().filter_map(|line| {
        let (_, rest) = line.split_once("] recv ")?;
        let (frame, rest) = rest.split_once(" frame <")?;
        let field = |name: &str| {
            let value = rest
                .split(", ")
                .find_map(|f| f.trim_end_matches('>').strip_prefix(name))?;
            match value.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => value.parse().ok(),
            }
        };
        // END_STREAM is flag 0x1 on DATA and HEADERS (RFC 9113 §6.1, §6.2).
        let ends =
            matches!(frame, "DATA" | "HEADERS") && field("flags=")? & 1 == 1;
        Some((frame.into(), field("stream_id=")?, field("length=")?, ends))
    }))
}

/// Frames up to the one that ends stream 1, without empty DATA frames
/// (see the test): their end goes on the frame before.
fn up_to_the_end(frames: impl Iterator<Item = Frame>) -> Vec<Frame> {
    let mut kept: Vec<Frame> = Vec::new();
    for (frame, stream, len, ends) in frames {
        let ends = ends && stream == 1;
        match kept.last_mut() {
            Some(last) if frame == "DATA" && len == 0 => last.3 |= ends,
            _ => kept.push((frame, stream, len, ends)),
        }
        if ends {
            break;
        }
    }
    kept
}

/// What one `inspector --json` run printed, and how it ended.
struct Run {
    args: String,
    status: ExitStatus,
    records: Vec<Value>,
}

impl Run {
    /// The records of one type, in order.
    fn all(&self, kind: &'static str) -> impl Iterator<Item = &Value> {
        self.records.iter().filter(move |r| r["type"] == kind)
    }

    /// The one record of a type.
    fn one(&self, kind: &'static str) -> &Value {
        let mut all = self.all(kind);
        match (all.next(), all.next()) {
            (Some(record), None) => record,
            _ => panic!("not one {kind} record: {self}"),
        }
    }

    fn succeeded(&self) {
        assert!(self.status.success(), "{self}");
        assert_eq!(self.all("error").count(), 0, "{self}");
    }

    /// The one error record of a run that had to fail.
    fn failed(&self, name: &str) -> &Value {
        assert_eq!(self.status.code(), Some(1), "{name}: {self}");
        self.one("error")
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "inspector {} ({}):", self.args, self.status)?;
        self.records.iter().try_for_each(|r| writeln!(f, "{r}"))
    }
}

/// Runs `inspector --json ARGS`; killed, failing the test, after
/// [`DEADLINE`].
fn inspect(args: &[&str]) -> Run {
    let mut child = Command::new(inspector().unwrap())
        .arg("--json")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read as it comes: a full pipe would stop the inspector.
    let read = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut text = String::new();
            pipe.read_to_string(&mut text).map(|_| text).unwrap()
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("inspector {args:?} still ran after {DEADLINE:?}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let stderr = stderr.join().unwrap();
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    let stdout = stdout.join().unwrap();
    let records = stdout.lines().map(|l| serde_json::from_str(l).expect(l));
    Run {
        args: args.join(" "),
        status,
        records: records.collect(),
    }
}

/// Whether the inspector's binary and `programs` are here: else the
/// project's rule (`testing::require`): skip, saying why, or under
/// `CI=true` fail.
fn present(programs: &[&str]) -> bool {
    if inspector().is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the inspector's binary is required in CI: build the workspace"
        );
        eprintln!("SKIPPED: no inspector binary; `cargo build -p inspector`");
        return false;
    }
    programs.iter().all(|program| testing::require(program))
}

/// The inspector's binary, if built. Cargo builds a package's own binaries
/// for its integration tests, not those of the packages it depends on: the
/// inspector's is there after `cargo test --workspace` (which builds every
/// binary first) or `cargo build -p inspector`, as tests/tui.rs expects.
/// The library alone would miss what is under test here: the flags, the
/// records as printed, the exit status.
fn inspector() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_BIN_EXE_flusher"))
        .with_file_name(format!("inspector{}", std::env::consts::EXE_SUFFIX));
    path.exists().then_some(path)
}

/// nginx with the test's certificates, in front of lesson 05 (`/`) and
/// lesson 10 (`/ws`), passing each part on as it comes: over TLS on `tls`
/// (h2 offered by ALPN), and over h2c on `h2c`.
struct Site {
    tls: u16,
    h2c: u16,
    nginx: Nginx,
}

impl Site {
    fn start(name: &str) -> Site {
        let page = lesson_05_tokio::spawn(lesson_05_tokio::Config::new(PAUSE))
            .unwrap();
        let ws = lesson_10_websocket::spawn().unwrap();
        let [tls, h2c] = free_ports();
        // `ssl_protocols TLSv1.3`: nginx 1.22 stops at 1.2 by default, as
        // the failures' servers do, so that the tests see both versions.
        let server = format!(
            "server {{
        listen 127.0.0.1:{tls} ssl http2;
        listen 127.0.0.1:{h2c} http2;
        ssl_certificate localhost.pem;
        ssl_certificate_key localhost.key;
        ssl_protocols TLSv1.3;
        location / {{
            proxy_pass http://{page};
            proxy_http_version 1.1;
            proxy_buffering off;
        }}
        location /ws {{
            proxy_pass http://{ws};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection \"upgrade\";
        }}
    }}"
        );
        let nginx = nginx(name, &server, &[tls, h2c]);
        Site { tls, h2c, nginx }
    }

    /// The path of a PEM file that [`certificates`] wrote.
    fn pem(&self, name: &str) -> String {
        self.nginx
            .dir
            .join(format!("{name}.pem"))
            .display()
            .to_string()
    }
}

/// Writes the test's certificates into `dir`, each `NAME.pem` with its key
/// `NAME.key`: `ca`, a CA; `localhost`, for localhost and 127.0.0.1, signed
/// by it; `expired`, the same but valid only in 2000; `other`, for
/// other.test only; `self-signed`, for localhost, signed by its own key.
fn certificates(dir: &Path) {
    let write = |name: &str, cert: rcgen::Certificate, key: &KeyPair| {
        fs::write(dir.join(format!("{name}.pem")), cert.pem()).unwrap();
        let key = key.serialize_pem();
        fs::write(dir.join(format!("{name}.key")), key).unwrap();
    };
    let mut ca = CertificateParams::default();
    ca.distinguished_name.push(DnType::CommonName, CA_NAME);
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let ca_key = KeyPair::generate().unwrap();
    write("ca", ca.self_signed(&ca_key).unwrap(), &ca_key);
    let ca = Issuer::new(ca, ca_key);

    let leaf = |names: &[&str], until: i32| {
        let names: Vec<String> = names.iter().map(|&n| n.into()).collect();
        let mut params = CertificateParams::new(names.clone()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, &names[0]);
        params.not_before = date_time_ymd(2000, 1, 1);
        params.not_after = date_time_ymd(until, 1, 1);
        (params, KeyPair::generate().unwrap())
    };
    let localhost = &["localhost", "127.0.0.1"][..];
    for (name, names, until) in [
        ("localhost", localhost, 2100),
        ("expired", localhost, 2001),
        ("other", &["other.test"], 2100),
    ] {
        let (params, key) = leaf(names, until);
        write(name, params.signed_by(&key, &ca).unwrap(), &key);
    }
    let (params, key) = leaf(localhost, 2100);
    write("self-signed", params.self_signed(&key).unwrap(), &key);
}

/// nginx with `servers` in its `http` block, once every port in `ports`
/// takes connections, run from a fresh directory with the test's
/// [`certificates`], where the config's relative paths point.
fn nginx(name: &str, servers: &str, ports: &[u16]) -> Nginx {
    let dir = std::env::temp_dir()
        .join(format!("flusher-tls-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    certificates(&dir);
    Nginx::start(dir, servers, ports)
}
