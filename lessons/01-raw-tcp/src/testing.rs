//! Helpers that the lessons' tests share.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// What tests put in place of a `Date` value, which changes every second.
pub const DATE_MASK: &str = "<date>";

/// Replaces the value of the `Date` field in `response` with [`DATE_MASK`],
/// so that tests can compare every other byte exactly. Panics (failing the
/// test) if there is no `Date` field or its value is not a valid HTTP date.
pub fn mask_date(response: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(response);
    let start = text.find("\r\nDate: ").expect("a Date field") + 8;
    let len = text[start..].find("\r\n").expect("a complete Date field");
    let value = &text[start..start + len];
    assert!(
        httpdate::parse_http_date(value).is_ok(),
        "not an HTTP date: {value:?}"
    );
    [
        &response[..start],
        DATE_MASK.as_bytes(),
        &response[start + len..],
    ]
    .concat()
}

/// Whether `program` can run, for tests that need a real peer such as curl.
/// Outside CI a missing program skips the test, saying why; under `CI=true`
/// it fails the test, so CI can never pass by skipping.
pub fn require(program: &str) -> bool {
    if Command::new(program).arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{program} is required in CI but is not installed"
    );
    eprintln!("SKIPPED: {program} is not installed");
    false
}

/// Runs Debian's headless Chromium on `url`, with `args` such as
/// `--dump-dom` or `--screenshot=…`, and returns what it printed.
/// `stop_after` stops the loading then, as a user pressing Esc would:
/// what was parsed by then is what it dumps or draws.
pub fn chromium(
    url: &str,
    args: &[&str],
    stop_after: Option<Duration>,
) -> String {
    // A profile of its own each run: runs at once must not share one.
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let profile = std::env::temp_dir().join(format!(
        "flusher-chromium-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    ));
    let mut command = Command::new("chromium");
    command.args([
        "--headless",
        "--no-sandbox", // CI runs as root
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        // This machine's network may be closed; don't let Chromium try.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]);
    command.arg(format!("--user-data-dir={}", profile.display()));
    if let Some(after) = stop_after {
        command.arg(format!("--timeout={}", after.as_millis()));
    }
    let out = command.args(args).arg(url).output().expect("chromium runs");
    let _ = std::fs::remove_dir_all(&profile);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Debian's nginx. `/usr/sbin` is not on every user's PATH.
pub const NGINX: &str = "/usr/sbin/nginx";

/// nginx, started with a generated configuration in a directory of its
/// own: stopped, and the directory removed, when dropped, so that a test
/// that fails leaves nothing running.
#[derive(Debug)]
pub struct Nginx {
    child: std::process::Child,
    /// Its prefix: the configuration's relative paths point here.
    pub dir: std::path::PathBuf,
    /// A master with its workers, which a kill would orphan.
    workers: bool,
}

impl Nginx {
    /// Starts nginx in `dir`, which the caller has made and may have put
    /// files in (certificates), with `servers` in its `http` block; returns
    /// once every port in `ports` takes connections. Panics, with its
    /// error log, if it does not start in 10 s.
    pub fn start(
        dir: std::path::PathBuf,
        servers: &str,
        ports: &[u16],
    ) -> Nginx {
        Nginx::launch(dir, servers, ports, false)
    }

    /// [`Nginx::start`], as a site deploys it: a master and a worker per
    /// core (`worker_processes auto`), for measurements; tests want one
    /// process, whose memory is all in one place.
    pub fn with_workers(
        dir: std::path::PathBuf,
        servers: &str,
        ports: &[u16],
    ) -> Nginx {
        Nginx::launch(dir, servers, ports, true)
    }

    fn launch(
        dir: std::path::PathBuf,
        servers: &str,
        ports: &[u16],
        workers: bool,
    ) -> Nginx {
        use std::net::{SocketAddr, TcpStream};
        use std::time::Instant;
        let (processes, master) = match workers {
            true => ("worker_processes auto;\n", ""),
            false => ("", " master_process off;"),
        };
        // Paths are relative to the prefix, `dir`: nothing goes elsewhere.
        let conf = format!(
            "{processes}pid nginx.pid;
events {{}}
http {{
    access_log off;
    client_body_temp_path client_body;
    proxy_temp_path proxy;
    fastcgi_temp_path fastcgi;
    uwsgi_temp_path uwsgi;
    scgi_temp_path scgi;
    {servers}
}}
"
        );
        std::fs::write(dir.join("nginx.conf"), conf)
            .expect("nginx.conf is written");
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            // The error log from the start, before the config is read: not
            // /var/log/nginx, which may not be ours to write.
            .arg("-e")
            .arg(dir.join("error.log"))
            // In the foreground, and in one process unless asked: ours
            // to stop.
            .args(["-g", &format!("daemon off;{master}")])
            .spawn()
            .expect("nginx runs");
        let mut nginx = Nginx {
            child,
            dir,
            workers,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        for &port in ports {
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            while TcpStream::connect(addr).is_err() {
                let exited = nginx.child.try_wait().ok().flatten();
                if exited.is_some() || Instant::now() > deadline {
                    let log =
                        std::fs::read_to_string(nginx.dir.join("error.log"));
                    panic!("nginx did not start ({exited:?}): {log:?}");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        nginx
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // A master stops gracefully on SIGQUIT, taking its workers with
        // it; killed, it would leave them running.
        if self.workers {
            let _ = Command::new("kill")
                .args(["-QUIT", &self.child.id().to_string()])
                .status();
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while matches!(self.child.try_wait(), Ok(None))
                && std::time::Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Ports that were free a moment ago, for a server such as nginx to take
/// at once: bound all together, so that no two are the same.
pub fn free_ports<const N: usize>() -> [u16; N] {
    let listeners =
        [(); N].map(|()| std::net::TcpListener::bind("127.0.0.1:0"));
    listeners
        .map(|l| l.and_then(|l| l.local_addr()).expect("a free port").port())
}
