//! `POST /reply` on a real socket, and read by `fetch()` in headless
//! Chromium: the page shows each event as it arrives.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use std::{fs, thread};

use inspector::capture::{self, Live};
use inspector::session::{Record, Session};
use inspector::target::{Request, Target};
use inspector::ws::Opcode;
use lesson_01_raw_tcp::testing::require;
use lesson_09_sse::reply::{done, token};
use lesson_09_sse::{Plan, spawn};
use serde_json::{Value, json};

// ANCHOR: wire
#[test]
fn a_post_is_answered_with_a_word_per_event_then_done() {
    let addr = spawn(Plan::default()).unwrap();
    let body = r#"{"prompt":"a haiku about streaming"}"#;
    let request = format!(
        "POST /reply?n=3&every=100 HTTP/1.1\r\nHost: t\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let live = Live::connect(addr, request.as_bytes()).unwrap();
    let records = live.records("POST", usize::MAX).unwrap();
    let Record::Head {
        status, headers, ..
    } = &records[0]
    else {
        panic!("{:?}", records[0]);
    };
    assert_eq!(*status, 200);
    let field = |name: &str| {
        let found = headers.iter().find(|[n, _]| n.eq_ignore_ascii_case(name));
        found.map(|[_, value]| value.as_str())
    };
    assert_eq!(field("Content-Type"), Some("text/event-stream"));
    assert_eq!(field("Transfer-Encoding"), Some("chunked"));

    // The exact bytes: a chunk per event.
    let sent: Vec<String> = records
        .iter()
        .cloned()
        .filter_map(Record::into_data_chunk)
        .map(|chunk| chunk.data)
        .collect();
    let words = (1..=3).map(|n| token(n).encode());
    let expected: Vec<String> = words.chain([done(3).encode()]).collect();
    assert_eq!(sent, expected);
    assert_eq!(expected[0], "event: token\ndata: Chunk\n\n");

    // The events, as the inspector's event-stream reader takes them.
    let events: Vec<(String, String)> = records
        .into_iter()
        .filter_map(|record| match record {
            Record::Event { event, data, .. } => Some((event, data)),
            _ => None,
        })
        .collect();
    let expected = [
        ("token", "Chunk"),
        ("token", "after"),
        ("token", "chunk,"),
        ("done", "3 words"),
    ];
    let expected = expected.map(|(e, d)| (e.to_owned(), d.to_owned()));
    assert_eq!(events, expected);
}
// ANCHOR_END: wire

#[test]
fn reply_takes_a_post_and_nothing_else() {
    let addr = spawn(Plan::default()).unwrap();
    let get = "GET /reply HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    let answer = capture::answer(addr, get.as_bytes()).unwrap();
    assert_eq!(answer, (405, "/reply takes a POST\n".into()));
    let bad = "POST /reply?every=0 HTTP/1.1\r\nHost: t\r\n\
               Content-Length: 0\r\nConnection: close\r\n\r\n";
    let answer = capture::answer(addr, bad.as_bytes()).unwrap();
    assert_eq!(answer, (400, "every: 1 ms at least\n".into()));
}

// ANCHOR: browser
#[test]
fn chromium_shows_each_event_as_it_arrives() {
    if !require("chromium") {
        return;
    }
    let addr = spawn(Plan::default()).unwrap();
    // Four words, 200 ms apart: the page stamps each item with the time
    // it was shown, in ms since it called fetch().
    let url = format!("http://{addr}/fetch?n=4&every=200");
    let page = Browser::start().unwrap().open(&url, UNTIL_DONE).unwrap();
    let items: Vec<(&str, f64)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i[0].as_str().unwrap(), i[1].as_f64().unwrap()))
        .collect();
    let texts: Vec<&str> = items.iter().map(|i| i.0).collect();
    let expected = [
        "token: Chunk",
        "token: after",
        "token: chunk,",
        "token: the",
        "done: 4 words",
    ];
    assert_eq!(texts, expected, "{page}");
    assert_eq!(page["status"], "done", "{page}");
    // Each word shown when it came, about 200 ms after the one before:
    // not all of them at the end.
    for pair in items[..4].windows(2) {
        let gap = pair[1].1 - pair[0].1;
        assert!((100.0..400.0).contains(&gap), "{gap} ms: {page}");
    }
}
// ANCHOR_END: browser

/// A promise that settles once the page's reply is over: the list's
/// items (text, and when each was shown) and the status.
const UNTIL_DONE: &str = r##"new Promise((resolve) => {
  const check = () => {
    const status = document.getElementById("status");
    if (!status || ["asking", "streaming"].includes(status.textContent)) {
      return setTimeout(check, 20);
    }
    const items = [...document.querySelectorAll("#events li")]
      .map((li) => [li.textContent.replace(/ \(.*\)$/, ""),
                    Number(li.dataset.ms)]);
    resolve({ items, status: status.textContent });
  };
  check();
})"##;

/// Headless Chromium with a DevTools server, on `about:blank`: stopped,
/// and its profile removed, when dropped.
///
/// `--dump-dom` cannot wait for this page: it dumps at the `load` event,
/// long before the reply ends, and `--virtual-time-budget` stops waiting
/// once the response's head is in, since a body read by `fetch()` does
/// not hold virtual time as an `EventSource` does. So the test asks the
/// page itself, over DevTools, through the inspector's WebSocket client.
struct Browser {
    child: Child,
    profile: std::path::PathBuf,
    /// Where its DevTools server listens, once it has said.
    devtools: Option<SocketAddr>,
}

impl Browser {
    fn start() -> std::io::Result<Browser> {
        let profile = std::env::temp_dir()
            .join(format!("flusher-09-fetch-{}", std::process::id()));
        let mut child = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox", // CI runs as root
                "--disable-gpu",
                "--no-first-run",
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
        // Stopped by `drop` from here on, whatever fails next.
        let mut browser = Browser {
            child,
            profile,
            devtools: None,
        };
        // It says where: `DevTools listening on ws://127.0.0.1:PORT/…`.
        let mut lines = BufReader::new(stderr).lines().map_while(Result::ok);
        browser.devtools = lines.by_ref().find_map(|line| {
            let url = line.strip_prefix("DevTools listening on ws://")?;
            url.split('/').next()?.parse().ok()
        });
        // Unread, the pipe would fill and stop it.
        thread::spawn(move || lines.for_each(drop));
        Ok(browser)
    }

    /// Navigates the page to `url`, then evaluates `expression` in it and
    /// returns the value its promise settles to.
    fn open(&self, url: &str, expression: &str) -> std::io::Result<Value> {
        let page = self.page()?;
        let request = page.request(&Request::default());
        let navigate =
            json!({"id": 1, "method": "Page.navigate", "params": {"url": url}});
        let evaluate = json!({"id": 2, "method": "Runtime.evaluate",
            "params": {"expression": expression, "awaitPromise": true,
                       "returnByValue": true}});
        let mut session = Session::for_request(&request, usize::MAX)
            .sending(vec![navigate.to_string()]);
        let mut live = Live::open(&page, &request, &Default::default())?;
        live.set_read_timeout(Some(Duration::from_secs(20)))?;
        let mut messages = Vec::new();
        while !session.is_done() {
            live.step(&mut session, None, &mut |record| {
                if let Record::WsFrame {
                    direction: "server",
                    opcode: Opcode::Text,
                    data,
                    ..
                } = record
                {
                    messages.push(data);
                }
            })?;
            for message in messages.drain(..) {
                let message: Value = serde_json::from_str(&message)?;
                if message.get("error").is_some() {
                    return Err(std::io::Error::other(message.to_string()));
                }
                // Page.navigate answers once the new document is there:
                // the expression runs in it.
                if message["id"] == 1 {
                    let at = live.elapsed();
                    session.send_text(at, &evaluate.to_string(), &mut drop);
                }
                if message["id"] == 2 {
                    return Ok(message["result"]["result"]["value"].clone());
                }
            }
        }
        Err(std::io::Error::other("DevTools closed the WebSocket"))
    }

    /// The page's DevTools WebSocket, `ws://…/devtools/page/ID`.
    fn page(&self) -> std::io::Result<Target> {
        let devtools = self.devtools.ok_or_else(|| {
            std::io::Error::other("Chromium names no DevTools")
        })?;
        let request = format!(
            "GET /json/list HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            devtools
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let (_, body) = capture::answer(devtools, request.as_bytes())?;
            let targets: Value = serde_json::from_str(&body)?;
            let page = targets.as_array().into_iter().flatten().find_map(|t| {
                (t["type"] == "page")
                    .then(|| t["webSocketDebuggerUrl"].as_str())
                    .flatten()
            });
            if let Some(url) = page {
                return url.parse().map_err(std::io::Error::other);
            }
            thread::sleep(Duration::from_millis(100));
        }
        Err(std::io::Error::other("Chromium lists no page"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Its helpers may write in the profile a moment longer.
        let deadline = Instant::now() + Duration::from_secs(5);
        while fs::remove_dir_all(&self.profile).is_err()
            && self.profile.exists()
            && Instant::now() < deadline
        {
            thread::sleep(Duration::from_millis(50));
        }
    }
}
