//! Headless Chromium, measured over the DevTools protocol: what a real
//! browser received for a navigation, and when it first painted.
//!
//! [`Chromium::start`] runs Debian's `chromium` with a DevTools server;
//! [`Chromium::load`] navigates its page and returns a [`Load`]: the
//! document's head, each piece of its body as Chromium read it, each
//! subresource's arrival, and the paint timing. The WebSocket to DevTools
//! is the inspector's own client: one implementation in the project.
//!
//! Every time a [`Load`] gives is in milliseconds since Chromium sent the
//! request, the origin the inspector's own times have.

use std::fs;
use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use inspector::capture::{self, Live};
use inspector::session::{Record, Session};
use inspector::target::{Request, Target};
use inspector::verdict::{Analysis, Verdict};
use inspector::ws::Opcode;
use serde_json::{Value, json};

/// Headless Chromium, with a DevTools server on a free port: stopped, and
/// its profile removed, when dropped.
#[derive(Debug)]
pub struct Chromium {
    devtools: SocketAddr,
    _running: Running,
}

impl Chromium {
    /// Starts it on `about:blank`, with a profile of its own.
    pub fn start() -> io::Result<Chromium> {
        let profile = scratch("chromium")?;
        let mut child = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox", // CI runs as root
                "--disable-gpu",
                "--no-first-run",
                // This machine's network may be closed; don't let Chromium try.
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let running = Running {
            child,
            scratch: Some(profile),
        };
        // It says where: `DevTools listening on ws://127.0.0.1:PORT/…`.
        let mut lines = BufReader::new(stderr).lines().map_while(Result::ok);
        let devtools = lines
            .by_ref()
            .find_map(|line| {
                let url = line.strip_prefix("DevTools listening on ws://")?;
                url.split('/').next()?.parse().ok()
            })
            .ok_or_else(|| io::Error::other("Chromium names no DevTools"))?;
        // It goes on writing to stderr: unread, the pipe would fill and
        // stop it.
        thread::spawn(move || lines.for_each(drop));
        Ok(Chromium {
            devtools,
            _running: running,
        })
    }

    /// The page's DevTools WebSocket, `ws://…/devtools/page/ID`, once
    /// Chromium lists the page.
    fn page(&self) -> io::Result<Target> {
        let request = format!(
            "GET /json/list HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.devtools
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let (_, body) = capture::answer(self.devtools, request.as_bytes())?;
            let targets: Value = serde_json::from_str(&body)?;
            let page = targets.as_array().into_iter().flatten().find_map(|t| {
                (t["type"] == "page")
                    .then(|| t["webSocketDebuggerUrl"].as_str())
                    .flatten()
            });
            if let Some(url) = page {
                return url.parse().map_err(io::Error::other);
            }
            thread::sleep(Duration::from_millis(100));
        }
        Err(io::Error::other("Chromium lists no page"))
    }

    /// Navigates the page to `url`, and returns what Chromium received
    /// and painted: once the document is loaded (its `load` event) and
    /// has painted content, or the network has been idle for 500 ms if
    /// it never does. Fails if DevTools reports an error or the load
    /// failed, or says nothing for 20 s.
    pub fn load(&self, url: &str) -> io::Result<Load> {
        let enable = [
            json!({"id": 1, "method": "Network.enable"}),
            // Each load fetches every resource anew, as a first visit.
            json!({"id": 2, "method": "Network.setCacheDisabled",
                   "params": {"cacheDisabled": true}}),
            // `Page.lifecycleEvent`s: the paints, `load`, `networkIdle`.
            json!({"id": 3, "method": "Page.enable"}),
            json!({"id": 4, "method": "Page.setLifecycleEventsEnabled",
                   "params": {"enabled": true}}),
        ];
        let navigate =
            json!({"id": 5, "method": "Page.navigate", "params": {"url": url}});
        let mut devtools = self.connect(&enable)?;
        let mut load = Load::default();
        while !load.complete() {
            for message in devtools.next()? {
                // Navigates only once every domain is on: sent with the
                // rest, the navigation could start before the page's
                // renderer reports its events, and the first piece and
                // the requests it makes would go unseen.
                if message["id"] == 4 {
                    devtools.send(&navigate);
                }
                load.take(url, &message)?;
            }
        }
        devtools.close()?;
        Ok(load)
    }

    /// A DevTools session with the page, which has sent `commands`.
    fn connect(&self, commands: &[Value]) -> io::Result<DevTools> {
        let page = self.page()?;
        let request = page.request(&Request::default());
        let session = Session::for_request(&request, usize::MAX)
            .sending(commands.iter().map(Value::to_string).collect());
        let live = Live::open(&page, &request, &Default::default())?;
        // A Chromium that stops talking fails the call, not hangs it.
        live.set_read_timeout(Some(Duration::from_secs(20)))?;
        Ok(DevTools { live, session })
    }
}

/// The page's DevTools WebSocket: commands out, messages in.
struct DevTools {
    live: Live,
    session: Session,
}

impl DevTools {
    /// The messages that the next read of the WebSocket completed.
    fn next(&mut self) -> io::Result<Vec<Value>> {
        if self.session.is_done() {
            return Err(io::Error::other("DevTools closed the WebSocket"));
        }
        let mut texts = Vec::new();
        self.live.step(&mut self.session, None, &mut |record| {
            if let Record::WsFrame {
                direction: "server",
                opcode: Opcode::Text,
                data,
                ..
            } = record
            {
                // DevTools sends a message in one frame.
                texts.push(data);
            }
        })?;
        texts
            .iter()
            .map(|text| serde_json::from_str(text).map_err(io::Error::from))
            .collect()
    }

    /// Sends `command`.
    fn send(&mut self, command: &Value) {
        let at = self.live.elapsed();
        self.session.send_text(at, &command.to_string(), &mut drop);
    }

    /// Closes the WebSocket, as a client should.
    fn close(self) -> io::Result<()> {
        self.live.run(self.session, Some(Duration::ZERO))?;
        Ok(())
    }
}

impl Chromium {
    /// Navigates the page to `url`, then evaluates `expression` in the
    /// new document and returns the value it gives, or its promise
    /// settles to: for a page whose own script measures what it showed,
    /// such as one that reads a stream with `fetch()`, which `load`'s
    /// events cannot follow.
    pub fn evaluate(&self, url: &str, expression: &str) -> io::Result<Value> {
        let navigate =
            json!({"id": 1, "method": "Page.navigate", "params": {"url": url}});
        let evaluate = json!({"id": 2, "method": "Runtime.evaluate",
            "params": {"expression": expression, "awaitPromise": true,
                       "returnByValue": true}});
        let mut devtools = self.connect(&[navigate])?;
        loop {
            for message in devtools.next()? {
                if message.get("error").is_some() {
                    return Err(io::Error::other(message.to_string()));
                }
                // Page.navigate answers once the new document is there:
                // the expression runs in it.
                if message["id"] == 1 {
                    devtools.send(&evaluate);
                }
                if message["id"] == 2 {
                    devtools.close()?;
                    return Ok(message["result"]["result"]["value"].clone());
                }
            }
        }
    }
}

impl Chromium {
    /// Navigates the page to `url` and, once it has loaded, returns the
    /// family of every font Chromium drew the first element that matches
    /// `selector` with (`CSS.getPlatformFontsForNode`): how one tells a
    /// page drawn with real glyphs from one of boxes.
    pub fn fonts(&self, url: &str, selector: &str) -> io::Result<Vec<String>> {
        let command = |id: u32, method: &str, params: Value| json!({"id": id, "method": method, "params": params});
        let mut devtools = self.connect(&[
            command(1, "Page.enable", json!({})),
            command(2, "DOM.enable", json!({})),
            command(3, "CSS.enable", json!({})),
            command(4, "Page.navigate", json!({"url": url})),
        ])?;
        loop {
            for message in devtools.next()? {
                if message.get("error").is_some() {
                    return Err(io::Error::other(message.to_string()));
                }
                let result = &message["result"];
                if message["method"] == "Page.loadEventFired" {
                    devtools.send(&command(5, "DOM.getDocument", json!({})));
                }
                match message["id"].as_u64() {
                    Some(5) => devtools.send(&command(
                        6,
                        "DOM.querySelector",
                        json!({"nodeId": result["root"]["nodeId"],
                               "selector": selector}),
                    )),
                    Some(6) if result["nodeId"] == 0 => {
                        return Err(io::Error::other(format!(
                            "nothing on {url} matches {selector}"
                        )));
                    }
                    Some(6) => devtools.send(&command(
                        7,
                        "CSS.getPlatformFontsForNode",
                        json!({"nodeId": result["nodeId"]}),
                    )),
                    Some(7) => {
                        let fonts = result["fonts"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|f| f["familyName"].as_str())
                            .map(str::to_owned)
                            .collect();
                        devtools.close()?;
                        return Ok(fonts);
                    }
                    _ => {}
                }
            }
        }
    }
}

/// What Chromium received and painted for one navigation, as DevTools
/// reports it. Times are DevTools' `timestamp`s, in seconds on one
/// monotonic clock; the methods give them in milliseconds since the
/// request was sent.
#[derive(Debug, Default)]
pub struct Load {
    request_id: Option<String>,
    /// The navigation's loader: its lifecycle events carry it.
    loader_id: Option<String>,
    /// Its `Network.Response`: the head's fields and the timing.
    response: Value,
    /// Each `Network.dataReceived`: when, wire bytes, decoded bytes.
    data: Vec<(f64, u64, u64)>,
    /// Every other request of the page: its URL, and when it finished
    /// loading, once it has.
    resources: Vec<(String, String, Option<f64>)>,
    /// `Page.lifecycleEvent`s of the document: name and when.
    lifecycle: Vec<(String, f64)>,
    finished: bool,
}

/// One piece of the document's body, as Chromium read it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Piece {
    /// When it arrived, in ms since the request was sent.
    pub at_ms: f64,
    /// Its bytes once decoded: the content, not the wire's framing.
    pub bytes: u64,
}

impl Load {
    /// Takes in one DevTools message about the navigation to `url`.
    fn take(&mut self, url: &str, message: &Value) -> io::Result<()> {
        if message.get("error").is_some() {
            return Err(io::Error::other(format!("DevTools: {message}")));
        }
        let params = &message["params"];
        let id = params["requestId"].as_str();
        let ours =
            self.request_id.is_some() && id == self.request_id.as_deref();
        let at = || params["timestamp"].as_f64().unwrap_or_default();
        match message["method"].as_str().unwrap_or_default() {
            "Network.requestWillBeSent"
                if params["type"] == "Document"
                    && params["request"]["url"] == url =>
            {
                self.request_id = id.map(Into::into);
                self.loader_id = params["loaderId"].as_str().map(Into::into);
            }
            "Network.requestWillBeSent" if self.request_id.is_some() => {
                let url = params["request"]["url"].as_str().unwrap_or_default();
                let id = id.unwrap_or_default();
                self.resources.push((id.into(), url.into(), None));
            }
            "Network.responseReceived" if ours => {
                self.response = params["response"].clone();
            }
            "Network.dataReceived" if ours => self.data.push((
                at(),
                params["encodedDataLength"].as_u64().unwrap_or_default(),
                params["dataLength"].as_u64().unwrap_or_default(),
            )),
            "Network.loadingFinished" if ours => self.finished = true,
            "Network.loadingFinished" => {
                let mut resources = self.resources.iter_mut();
                if let Some((.., done)) =
                    resources.find(|(r, ..)| Some(r.as_str()) == id)
                {
                    *done = Some(at());
                }
            }
            "Network.loadingFailed" if ours => {
                return Err(io::Error::other(format!(
                    "Chromium could not load {url}: {params}"
                )));
            }
            "Page.lifecycleEvent"
                if self.loader_id.is_some()
                    && params["loaderId"].as_str()
                        == self.loader_id.as_deref() =>
            {
                let name = params["name"].as_str().unwrap_or_default();
                self.lifecycle.push((name.into(), at()));
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether there is nothing more to wait for: the document loaded,
    /// its `load` event fired, and it painted content, or it never will
    /// (the network has been idle for 500 ms). Chromium may report
    /// `firstPaint` after `firstContentfulPaint`: both are awaited.
    fn complete(&self) -> bool {
        let fired = |name| self.lifecycle.iter().any(|(n, _)| n == name);
        let painted = fired("firstPaint") && fired("firstContentfulPaint");
        self.finished && fired("load") && (painted || fired("networkIdle"))
    }

    /// The response's `timing`, field `name`: milliseconds since its
    /// `requestTime`.
    fn timing(&self, name: &str) -> f64 {
        self.response["timing"][name].as_f64().unwrap_or_default()
    }

    /// A DevTools `timestamp`, in seconds, as milliseconds since the
    /// request was sent.
    fn since_sent(&self, timestamp: f64) -> f64 {
        // `timestamp` and `requestTime` are seconds on one clock.
        let sent = self.timing("requestTime") * 1e3 + self.timing("sendEnd");
        timestamp * 1e3 - sent
    }

    /// When the head had arrived, in ms since the request was sent.
    pub fn head_ms(&self) -> f64 {
        self.timing("receiveHeadersEnd") - self.timing("sendEnd")
    }

    /// The document's body as it arrived, a piece per
    /// `Network.dataReceived`.
    ///
    /// A gap in what DevTools reports: a first piece that comes just
    /// after the head may have no `dataReceived` at all (lesson 02's
    /// first 186 bytes, in some runs), so its bytes are in no piece.
    pub fn pieces(&self) -> Vec<Piece> {
        let piece = |&(at, _, bytes): &(f64, u64, u64)| Piece {
            at_ms: self.since_sent(at),
            bytes,
        };
        self.data.iter().map(piece).collect()
    }

    /// When the document's lifecycle event `name` fired (`firstPaint`,
    /// `firstContentfulPaint`, `DOMContentLoaded`, `load`…), in ms since
    /// the request was sent; None if it did not.
    pub fn event_ms(&self, name: &str) -> Option<f64> {
        let (_, at) = self.lifecycle.iter().find(|(n, _)| n == name)?;
        Some(self.since_sent(*at))
    }

    /// The first paint of anything (a background will do).
    pub fn first_paint_ms(&self) -> Option<f64> {
        self.event_ms("firstPaint")
    }

    /// The first paint of content: text, an image, a canvas.
    pub fn first_contentful_paint_ms(&self) -> Option<f64> {
        self.event_ms("firstContentfulPaint")
    }

    /// When the page's request for a URL ending in `path` (`/slow.js`)
    /// finished loading, in ms since the document's request was sent.
    pub fn resource_ms(&self, path: &str) -> Option<f64> {
        let (.., done) = self
            .resources
            .iter()
            .find(|(_, url, _)| url.ends_with(path))?;
        done.map(|at| self.since_sent(at))
    }

    /// Chromium's arrivals, judged by the inspector's analysis. Times
    /// count from when the request was sent, as the inspector's do.
    ///
    /// Two gaps in what DevTools reports: every `dataReceived` of a page
    /// has `encodedDataLength` 0 (wire bytes come only in total, with
    /// `loadingFinished`), so Chromium's figures can never show
    /// `bursts_by_size`; and a first piece may be missing, as
    /// [`Load::pieces`] says. Neither changes a pattern in
    /// tests/browser.rs.
    pub fn verdict(&self) -> Verdict {
        let since_sent = |ms: f64| Duration::from_secs_f64(ms.max(0.0) / 1e3);
        // A connection Chromium reused has no connect time (-1).
        let connect = self.timing("connectEnd") - self.timing("connectStart");
        let rtt =
            (self.timing("connectStart") >= 0.0).then(|| since_sent(connect));
        let mut analysis = Analysis::new().rtt(rtt);
        let fields: Vec<[String; 2]> = self.response["headers"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, value)| {
                [name.clone(), value.as_str().unwrap_or_default().into()]
            })
            .collect();
        let has = |name: &str| {
            fields.iter().any(|[n, _]| n.eq_ignore_ascii_case(name))
        };
        let framing = match () {
            _ if has("transfer-encoding") => "chunked",
            _ if has("content-length") => "content-length",
            _ => "close",
        };
        let version = self.response["protocol"].as_str().unwrap_or_default();
        analysis.head(
            since_sent(self.head_ms()),
            &version.to_ascii_uppercase(),
            framing,
            &fields,
        );
        for &(at, wire, decoded) in &self.data {
            analysis.arrived(since_sent(self.since_sent(at)), wire, decoded);
        }
        analysis.verdict(self.finished)
    }
}

/// The pieces of `GET url` as they come off the wire: the same request
/// from the inspector, to set against what Chromium shows. DevTools
/// cannot say it: its `dataReceived` is when the page got the bytes,
/// after any the browser held back (to sniff them, say).
pub fn wire(url: &str) -> io::Result<Vec<Piece>> {
    let target: Target = url.parse().map_err(io::Error::other)?;
    let request = target.request(&Request::default());
    let live = Live::open(&target, &request, &Default::default())?;
    let records = live.records("GET", 0)?;
    let piece = |record| match record {
        Record::Chunk(c) if !c.last => Some(Piece {
            at_ms: c.t_ms,
            bytes: c.size,
        }),
        Record::Data { t_ms, len, .. } => Some(Piece {
            at_ms: t_ms,
            bytes: len as u64,
        }),
        _ => None,
    };
    Ok(records.into_iter().filter_map(piece).collect())
}

/// A fresh directory for a program's files: give it to [`Running`] to
/// have it removed with the program.
pub fn scratch(name: &str) -> io::Result<PathBuf> {
    // Its own each call: tests running at once must not share one.
    static CALL: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "flusher-devtools-{name}-{}-{}",
        std::process::id(),
        CALL.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A program started for a measurement: stopped, and its scratch
/// directory removed, when dropped, passed or failed. Left running, it
/// would outlive the test that started it.
#[derive(Debug)]
pub struct Running {
    pub child: Child,
    pub scratch: Option<PathBuf>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Chromium's helpers outlive it by a moment, and may write in its
        // profile meanwhile: try again until the directory is gone.
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Some(dir) = &self.scratch
            && fs::remove_dir_all(dir).is_err()
            && dir.exists()
            && Instant::now() < deadline
        {
            thread::sleep(Duration::from_millis(50));
        }
    }
}
