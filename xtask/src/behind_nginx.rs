//! The inspector manual's screens of lesson 02 behind Debian's nginx: over
//! TLS and HTTP/2, with `http2` on one port as a site serves it (its
//! certificate for localhost signed by a CA made here); and `compare`,
//! the lesson straight and through nginx at its defaults.

use std::fs;
use std::path::Path;
use std::thread;

use lesson_01_raw_tcp::page::DEFAULT_PAUSE;
use lesson_01_raw_tcp::{server, testing};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, date_time_ymd,
};

use crate::Result;
use crate::transcripts::shell;

/// The URL the book shows: nginx's usual TLS port, in place of the free
/// one it took.
const SHOWN: &str = "https://localhost:8443/";

/// The addresses `compare` shows: the lesson's own, and nginx's plain
/// port.
const SHOWN_ORIGIN: &str = "127.0.0.1:7878";
const SHOWN_PROXY: &str = "127.0.0.1:8080";

/// Each file, and the command that makes it: `{url}` is nginx's URL, and
/// `ca.pem` the CA's certificate, in nginx's directory.
const SCREENS: &[(&str, &str)] = &[
    (
        "inspector/tls/https.txt",
        "cargo run -q -p inspector -- --plain --cacert ca.pem {url}",
    ),
    (
        "inspector/tls/untrusted.txt",
        "cargo run -q -p inspector -- --plain {url}; echo \"exit status: $?\"",
    ),
    (
        "inspector/http2/plain.txt",
        "cargo run -q -p inspector -- --plain --http2 --cacert ca.pem {url}",
    ),
    (
        "inspector/http2/chunks.txt",
        "cargo run -q -p inspector -- --screen 100x30 --http2 --cacert ca.pem {url}",
    ),
    (
        "inspector/compare.txt",
        "cargo run -q -p inspector -- compare http://{origin}/ http://{proxy}/",
    ),
];

pub fn files() -> Result<Vec<(String, String)>> {
    if !testing::require(testing::NGINX) {
        return Err("the TLS and HTTP/2 screens need Debian's nginx".into());
    }
    let lesson =
        server::spawn(lesson_02_chunked_by_hand::handler(DEFAULT_PAUSE, true))?;
    let dir = std::env::temp_dir()
        .join(format!("flusher-book-tls-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    certificates(&dir)?;
    let [port, plain] = testing::free_ports();
    // On `port`, what a site does to stream through nginx: HTTP/1.1 to
    // the upstream (chunks, not HTTP/1.0's close), and no buffering. On
    // `plain`, nginx as it comes, for `compare` to find.
    let servers = format!(
        "server {{
        listen 127.0.0.1:{port} ssl http2;
        ssl_certificate localhost.pem;
        ssl_certificate_key localhost.key;
        location / {{
            proxy_pass http://{lesson};
            proxy_http_version 1.1;
            proxy_buffering off;
        }}
    }}
    server {{
        listen 127.0.0.1:{plain};
        location / {{ proxy_pass http://{lesson}; }}
    }}"
    );
    let nginx = testing::Nginx::start(dir, &servers, &[port, plain]);
    let (origin, proxy) = (lesson.to_string(), format!("127.0.0.1:{plain}"));
    let url = format!("https://localhost:{port}/");
    let ca = nginx.dir.join("ca.pem").display().to_string();
    thread::scope(|scope| {
        let jobs: Vec<_> = SCREENS
            .iter()
            .map(|&(name, command)| {
                let (url, ca, origin, proxy) = (&url, &ca, &origin, &proxy);
                scope.spawn(move || {
                    let fill = |origin: &str, proxy: &str, url: &str| {
                        command
                            .replace("{url}", url)
                            .replace("{origin}", origin)
                            .replace("{proxy}", proxy)
                    };
                    let real = fill(origin, proxy, url).replace("ca.pem", ca);
                    let shown = fill(SHOWN_ORIGIN, SHOWN_PROXY, SHOWN);
                    let text = shell(&real, &shown)?
                        .replace(url, SHOWN)
                        .replace(&format!("localhost:{port}"), "localhost:8443")
                        .replace(origin, SHOWN_ORIGIN)
                        .replace(proxy, SHOWN_PROXY);
                    Ok((name.to_owned(), text))
                })
            })
            .collect();
        jobs.into_iter()
            .map(|job| job.join().expect("a screen's job panicked"))
            .collect()
    })
}

/// `ca.pem`, a CA, and `localhost.pem` with its key `localhost.key`, for
/// localhost, signed by it, valid from 2000 to 2100: a date the book can
/// show.
pub(crate) fn certificates(dir: &Path) -> Result {
    let mut ca = CertificateParams::default();
    ca.distinguished_name
        .push(DnType::CommonName, "Flusher book CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let ca_key = KeyPair::generate()?;
    fs::write(dir.join("ca.pem"), ca.self_signed(&ca_key)?.pem())?;
    let ca = Issuer::new(ca, ca_key);
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()])?;
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.not_before = date_time_ymd(2000, 1, 1);
    leaf.not_after = date_time_ymd(2100, 1, 1);
    let key = KeyPair::generate()?;
    fs::write(dir.join("localhost.pem"), leaf.signed_by(&key, &ca)?.pem())?;
    fs::write(dir.join("localhost.key"), key.serialize_pem())?;
    Ok(())
}
