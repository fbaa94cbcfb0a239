//! The `inspector` binary end to end, against real servers on loopback:
//! a scripted one that sends exact bytes with pauses, and curl as a second
//! opinion on the framing.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::Duration;

use serde_json::Value;

mod common;
use common::{BIN, records, serve};

const HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

/// Serves `pieces` to every client, pausing `gap` between them, then
/// closes.
fn server(pieces: Vec<Vec<u8>>, gap: Duration) -> SocketAddr {
    serve(move |stream, _| {
        for (i, piece) in pieces.iter().enumerate() {
            if i > 0 {
                thread::sleep(gap);
            }
            if stream.write_all(piece).is_err() {
                return;
            }
        }
    })
}

fn inspector(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn chunked_pieces() -> Vec<Vec<u8>> {
    vec![
        [HEAD, b"5\r\nhello\r\n"].concat(),
        b"7;note=\"a \\\"b\\\"\"\r\n, world\r\n".to_vec(),
        b"0\r\nX-Checksum: 42\r\n\r\n".to_vec(),
    ]
}

#[test]
fn json_has_one_record_per_head_chunk_trailers_and_end() {
    let addr = server(chunked_pieces(), Duration::from_millis(60));
    let out = inspector(&["--json", &format!("http://{addr}/x")]);
    assert!(out.status.success(), "{out:?}");
    let recs = records(&out);
    let types: Vec<&str> =
        recs.iter().map(|r| r["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "head", "chunk", "chunk", "chunk", "trailers", "end", "verdict"
        ]
    );

    assert_eq!(recs[0]["status"], 200);
    assert_eq!(recs[0]["version"], "HTTP/1.1");
    assert_eq!(recs[0]["framing"], "chunked");
    assert_eq!(recs[0]["headers"][0][0], "Transfer-Encoding");

    assert_eq!(recs[1]["index"], 0);
    assert_eq!(recs[1]["size_line"], "5");
    assert_eq!(recs[1]["size"], 5);
    assert_eq!(recs[1]["data"], "hello");
    assert_eq!(recs[1]["data_hex"], "68656c6c6f");
    assert_eq!(recs[1]["reads"], 1);
    assert_eq!(recs[2]["size_line"], "7;note=\"a \\\"b\\\"\"");
    assert_eq!(recs[2]["data"], ", world");
    assert_eq!(recs[3]["size"], 0);
    assert_eq!(recs[3]["last"], true);
    assert_eq!(
        recs[4]["headers"],
        serde_json::json!([["X-Checksum", "42"]])
    );
    assert_eq!(recs[5]["chunks"], 2);
    assert_eq!(recs[5]["body_bytes"], 12);
    // Two pieces of content, a pause apart.
    assert_eq!(recs[6]["pattern"], "stream");
    assert_eq!(recs[6]["streamed"], true);
    assert_eq!(recs[6]["releases"], 2);
    assert_eq!(recs[6]["content_bytes"], 12);

    // Each chunk is timed by its own arrival: one pause apart.
    let t = |i: usize| recs[i]["t_ms"].as_f64().unwrap();
    assert!(t(2) - t(1) >= 40.0, "{recs:?}");
    assert!(t(3) - t(2) >= 40.0, "{recs:?}");
    assert!(recs[2]["t_first_ms"].as_f64().unwrap() <= t(2));
}

#[test]
fn a_chunk_split_over_reads_counts_its_reads() {
    // One chunk's size line, data and CRLF arrive in three pieces.
    let pieces = vec![
        [HEAD, b"a\r\n01234"].concat(),
        b"56789".to_vec(),
        b"\r\n0\r\n\r\n".to_vec(),
    ];
    let addr = server(pieces, Duration::from_millis(50));
    let recs = records(&inspector(&["--json", &format!("http://{addr}/")]));
    assert_eq!(recs[1]["data"], "0123456789");
    assert_eq!(recs[1]["reads"], 3);
    let (first, last) = (
        recs[1]["t_first_ms"].as_f64().unwrap(),
        recs[1]["t_ms"].as_f64().unwrap(),
    );
    assert!(last - first >= 80.0, "{recs:?}");
}

#[test]
fn a_protocol_error_is_a_record_with_its_offset_and_exit_code_1() {
    let addr = server(
        vec![[HEAD, b"5\r\nhello\r\n0x5\r\n"].concat()],
        Duration::ZERO,
    );
    let out = inspector(&["--json", &format!("http://{addr}/")]);
    assert_eq!(out.status.code(), Some(1));
    let recs = records(&out);
    // What came before the error is still there.
    assert_eq!(recs[1]["data"], "hello");
    // The verdict on a broken response says so.
    let verdict = recs.last().unwrap();
    assert_eq!(verdict["type"], "verdict");
    assert_eq!(verdict["complete"], false);
    let error = &recs[recs.len() - 2];
    assert_eq!(error["type"], "error");
    assert_eq!(error["kind"], "invalid_chunk_size");
    assert_eq!(error["offset"], HEAD.len() + 10 + 1);
    assert!(error["message"].as_str().unwrap().contains("0x prefix"));
}

#[test]
fn a_close_before_the_end_is_an_error() {
    let addr = server(vec![[HEAD, b"5\r\nhel"].concat()], Duration::ZERO);
    let out = inspector(&["--json", &format!("http://{addr}/")]);
    assert_eq!(out.status.code(), Some(1));
    let recs = records(&out);
    let error = &recs[recs.len() - 2];
    assert_eq!(error["kind"], "unexpected_eof");
    assert_eq!(error["offset"], HEAD.len() + 6);
}

#[test]
fn max_data_caps_each_chunk_and_marks_it() {
    let addr = server(chunked_pieces(), Duration::ZERO);
    let recs = records(&inspector(&[
        "--json",
        "--max-data",
        "3",
        &format!("http://{addr}/"),
    ]));
    assert_eq!(recs[1]["data"], "hel");
    assert_eq!(recs[1]["size"], 5);
    assert_eq!(recs[1]["truncated"], true);
}

#[test]
fn a_file_or_stdin_is_decoded_with_times_of_zero() {
    let raw: Vec<u8> = chunked_pieces().concat();
    let mut child = Command::new(BIN)
        .args(["--json", "--file", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&raw).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let recs = records(&out);
    assert_eq!(recs.len(), 7);
    assert!(recs.iter().all(|r| r.get("t_ms").is_none_or(|t| t == 0.0)));
}

#[test]
fn an_obs_fold_is_mended_and_the_head_says_so() {
    // RFC 9112 §5.2: a user agent replaces an obs-fold with a space.
    let raw = b"HTTP/1.1 200 OK\r\nX-Long: one\r\n two\r\n\
                Content-Length: 2\r\n\r\nhi";
    let decode = |format: &str| {
        let mut child = Command::new(BIN)
            .args([format, "--file", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(raw).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        out
    };
    let head = &records(&decode("--json"))[0];
    assert_eq!(head["headers"][0], serde_json::json!(["X-Long", "one two"]));
    let notes = head["notes"].as_array().expect("a note");
    assert!(notes[0].as_str().unwrap().contains("obs-fold"), "{head}");
    let text = String::from_utf8(decode("--plain").stdout).unwrap();
    assert!(text.contains("note: obs-fold in X-Long"), "{text}");
}

#[test]
fn plain_lines_show_each_chunk_with_its_gap() {
    let addr = server(chunked_pieces(), Duration::from_millis(60));
    let out = inspector(&["--plain", &format!("http://{addr}/")]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("HTTP/1.1 200 OK  framing: chunked"), "{text}");
    assert!(text.contains("chunk 0    \"5\""), "{text}");
    assert!(text.contains("last-chunk \"0\""), "{text}");
    assert!(text.contains("trailers: X-Checksum: 42"), "{text}");
    assert!(text.contains("end: 2 chunks, 12 body bytes"), "{text}");
}

#[test]
fn bad_targets_are_one_clear_line() {
    let ftp = inspector(&["ftp://127.0.0.1/"]);
    assert_eq!(ftp.status.code(), Some(1));
    let stderr = String::from_utf8(ftp.stderr).unwrap();
    assert!(stderr.contains("unknown scheme ftp"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1);

    // A port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let refused = inspector(&[&format!("http://{closed}/")]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8(refused.stderr)
            .unwrap()
            .starts_with("inspector: cannot connect")
    );
}

#[test]
fn the_chunks_agree_with_curl_raw() {
    if Command::new("curl").arg("--version").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "curl is required in CI"
        );
        eprintln!("SKIPPED: curl is not installed");
        return;
    }
    let addr = server(chunked_pieces(), Duration::from_millis(20));
    let url = format!("http://{addr}/");
    let curl = Command::new("curl")
        .args(["-sS", "--raw", &url])
        .output()
        .unwrap();
    assert!(curl.status.success());

    // Rebuild the body's framing from the inspector's records alone.
    let mut rebuilt = Vec::new();
    for r in records(&inspector(&["--json", &url])) {
        match r["type"].as_str().unwrap() {
            "chunk" => {
                rebuilt.extend_from_slice(
                    r["size_line"].as_str().unwrap().as_bytes(),
                );
                rebuilt.extend_from_slice(b"\r\n");
                if r["last"] == false {
                    rebuilt.extend_from_slice(
                        r["data"].as_str().unwrap().as_bytes(),
                    );
                    rebuilt.extend_from_slice(b"\r\n");
                }
            }
            "trailers" => {
                for field in r["headers"].as_array().unwrap() {
                    let line = format!(
                        "{}: {}\r\n",
                        field[0].as_str().unwrap(),
                        field[1].as_str().unwrap()
                    );
                    rebuilt.extend_from_slice(line.as_bytes());
                }
            }
            "end" => rebuilt.extend_from_slice(b"\r\n"),
            _ => {}
        }
    }
    assert_eq!(
        String::from_utf8(rebuilt).unwrap(),
        String::from_utf8(curl.stdout).unwrap()
    );
}

#[test]
fn screen_prints_the_tui_once_the_response_is_over() {
    let addr = server(chunked_pieces(), Duration::from_millis(50));
    let url = format!("http://{addr}/");
    let out = inspector(&["--screen", "100x20", &url]);
    assert!(out.status.success(), "{out:?}");
    let screen = String::from_utf8(out.stdout).unwrap();
    assert_eq!(screen.lines().count(), 20, "{screen}");
    assert!(screen.contains(&format!("GET {url}  →  HTTP/1.1 200 OK")));
    assert!(screen.contains("● complete"), "{screen}");
    // Each chunk's size line exactly as sent, extension and all.
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.starts_with("│0 ") || l.starts_with("│1 "))
        .collect();
    assert!(
        rows[0].contains(" 5 ") && rows[0].contains("hello"),
        "{screen}"
    );
    assert!(rows[1].contains("7;note=\"a \\…"), "{screen}");
    // Other views, by name.
    let out = inspector(&["--screen", "100x30", "--view", "headers", &url]);
    let screen = String::from_utf8(out.stdout).unwrap();
    assert!(screen.contains("X-Checksum: 42"), "{screen}");
}

#[test]
fn screen_exits_1_after_a_protocol_error_or_a_refused_connection() {
    let addr = server(
        vec![[HEAD, b"5\r\nhello\r\n0x5\r\n"].concat()],
        Duration::ZERO,
    );
    let out = inspector(&["--screen", "100x20", &format!("http://{addr}/")]);
    assert_eq!(out.status.code(), Some(1));
    let screen = String::from_utf8(out.stdout).unwrap();
    assert!(screen.contains("invalid_chunk_size"), "{screen}");
    // A port nobody listens on: bind one, then free it.
    let free = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = inspector(&["--screen", "100x20", &format!("http://{free}/")]);
    assert_eq!(out.status.code(), Some(1));
    let screen = String::from_utf8(out.stdout).unwrap();
    assert!(screen.contains("cannot connect"), "{screen}");
}

#[test]
fn without_a_terminal_the_default_is_plain_lines() {
    let addr = server(chunked_pieces(), Duration::ZERO);
    // Output captured by a pipe is not a terminal.
    let out = inspector(&[&format!("http://{addr}/")]);
    let plain = inspector(&["--plain", &format!("http://{addr}/")]).stdout;
    assert!(out.status.success());
    let strip_times = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .lines()
            // The verdict's sentence has times in it too.
            .map(|l| {
                l.get(22..)
                    .unwrap_or("")
                    .replace(|c: char| c.is_ascii_digit() || c == '.', "")
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip_times(&out.stdout), strip_times(&plain));
}

#[test]
fn screen_after_takes_the_screen_of_a_stream_that_goes_on() {
    let pieces =
        vec![[HEAD, b"5\r\nhello\r\n"].concat(), b"0\r\n\r\n".to_vec()];
    let addr = server(pieces, Duration::from_secs(5));
    let url = format!("http://{addr}/");
    let out = inspector(&["--screen", "100x20", "--screen-after", "300", &url]);
    // Incomplete by then: exit 1, and the screen says where it stood.
    assert_eq!(out.status.code(), Some(1));
    let screen = String::from_utf8(out.stdout).unwrap();
    assert!(screen.contains("● streaming"), "{screen}");
    assert!(screen.contains("chunks 1 "), "{screen}");
}

#[test]
fn a_flood_of_small_chunks_loses_none_on_the_way_to_the_screen() {
    // 200,000 chunks as fast as loopback takes them: the capture thread,
    // the event channel and the app, as the live TUI runs them.
    const CHUNKS: usize = 200_000;
    let body: Vec<u8> = (0..CHUNKS)
        .flat_map(|i| {
            let data = format!("chunk {i}");
            format!("{:x}\r\n{data}\r\n", data.len()).into_bytes()
        })
        .collect();
    let data_bytes: usize =
        (0..CHUNKS).map(|i| format!("chunk {i}").len()).sum();
    let pieces = vec![[HEAD, &body, b"0\r\n\r\n"].concat()];
    let addr = server(pieces, Duration::ZERO);
    let out = inspector(&["--screen", "120x20", &format!("http://{addr}/")]);
    assert!(out.status.success(), "{out:?}");
    let screen = String::from_utf8(out.stdout).unwrap();
    assert!(screen.contains("● complete"), "{screen}");
    assert!(screen.contains(&format!("chunks {CHUNKS} ")), "{screen}");
    // Every row is kept: the chunks and the last-chunk.
    assert!(
        screen
            .contains(&format!("Chunks: {} · #{CHUNKS} selected", CHUNKS + 1)),
        "{screen}"
    );
    let body = inspector::tui::ui::bytes(data_bytes as u64);
    assert!(screen.contains(&format!("body {body} ")), "{screen}");
}

/// A WebSocket server: answers the handshake with the right accept key,
/// then runs `script` on the connection.
fn ws_server(script: fn(&mut TcpStream)) -> SocketAddr {
    serve(move |stream, head| {
        let key = head
            .lines()
            .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
            .unwrap();
        let answer = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
            inspector::ws::accept_key(key)
        );
        stream.write_all(answer.as_bytes()).unwrap();
        script(stream);
    })
}

/// Reads one client frame: its first byte and its payload, unmasked. It
/// must be masked.
fn client_frame(stream: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut head = [0; 2];
    stream.read_exact(&mut head).unwrap();
    assert_eq!(head[1] & 0x80, 0x80, "a client frame is masked");
    let mut key = [0; 4];
    stream.read_exact(&mut key).unwrap();
    let mut payload = vec![0; usize::from(head[1] & 0x7F)];
    stream.read_exact(&mut payload).unwrap();
    for (b, k) in payload.iter_mut().zip(key.iter().cycle()) {
        *b ^= k;
    }
    (head[0], payload)
}

/// A server frame: unmasked, short.
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let len = u8::try_from(payload.len()).unwrap();
    [&[first, len], payload].concat()
}

/// Greets in two writes, pings, echoes text with a `> `, reports the
/// pong, and answers the close with its own and a reason.
fn echo(stream: &mut TcpStream) {
    let greeting = frame(0x81, b"hi there");
    stream.write_all(&greeting[..4]).unwrap();
    thread::sleep(Duration::from_millis(50));
    stream.write_all(&greeting[4..]).unwrap();
    stream.write_all(&frame(0x89, b"p")).unwrap();
    loop {
        match client_frame(stream) {
            (0x81, text) => {
                let echo = [b"> ", text.as_slice()].concat();
                stream.write_all(&frame(0x81, &echo)).unwrap();
            }
            (0x8A, payload) => {
                let report = [b"pong ", payload.as_slice()].concat();
                stream.write_all(&frame(0x81, &report)).unwrap();
            }
            (0x88, payload) => {
                assert_eq!(payload, [0x03, 0xe8], "1000, no reason");
                stream.write_all(&frame(0x88, b"\x03\xe8bye")).unwrap();
                return;
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_websocket_shows_every_frame_both_ways() {
    let addr = ws_server(echo);
    let url = format!("ws://{addr}/chat");
    let out = inspector(&[
        "--json",
        &url,
        "--send",
        "one",
        "--send",
        "two",
        "--close-after",
        "300",
    ]);
    assert!(out.status.success(), "{out:?}");
    let recs = records(&out);
    let head_bytes = recs[0]["bytes"].as_u64().unwrap();
    assert_eq!(recs[0]["status"], 101);
    let frames: Vec<&Value> =
        recs.iter().filter(|r| r["type"] == "ws_frame").collect();
    // The greeting: two reads, 2 bytes of header, at the head's end.
    let greeting = frames.iter().find(|f| f["direction"] == "server").unwrap();
    assert_eq!(greeting["offset"].as_u64(), Some(head_bytes));
    assert_eq!(
        (&greeting["opcode"], &greeting["data"], &greeting["reads"]),
        (&"text".into(), &"hi there".into(), &2.into())
    );
    assert_eq!(
        (
            &greeting["header_bytes"],
            &greeting["masked"],
            &greeting["fin"]
        ),
        (&2.into(), &false.into(), &true.into())
    );
    // What the inspector sent: masked, with a 6-byte header.
    let sent: Vec<&Value> = frames
        .iter()
        .copied()
        .filter(|f| f["direction"] == "client")
        .collect();
    let opcodes: Vec<(&str, &str)> = sent
        .iter()
        .map(|f| (f["opcode"].as_str().unwrap(), f["data"].as_str().unwrap()))
        .collect();
    assert_eq!(
        opcodes,
        [
            ("text", "one"),
            ("text", "two"),
            ("pong", "p"),
            ("close", "\u{3}\u{fffd}")
        ]
    );
    for f in &sent {
        assert_eq!(
            (&f["masked"], &f["header_bytes"]),
            (&true.into(), &6.into())
        );
        assert_eq!(f["mask_key"].as_str().unwrap().len(), 8);
        assert_eq!(f["offset"], Value::Null);
    }
    // What came back, and the server's close with its reason.
    let server: Vec<&str> = frames
        .iter()
        .filter(|f| f["direction"] == "server" && f["opcode"] == "text")
        .map(|f| f["data"].as_str().unwrap())
        .collect();
    assert_eq!(server, ["hi there", "> one", "> two", "pong p"]);
    let close = frames.last().unwrap();
    assert_eq!(
        (
            &close["direction"],
            &close["close_code"],
            &close["close_reason"]
        ),
        (&"server".into(), &1000.into(), &"bye".into())
    );
    let end = recs.last().unwrap();
    assert_eq!((&end["type"], &end["frames"]), (&"end".into(), &10.into()));
}

#[test]
fn a_masked_server_frame_is_an_error_at_its_byte() {
    let addr = ws_server(|stream| {
        stream.write_all(b"\x81\x82\0\0\0\0hi").unwrap();
        thread::sleep(Duration::from_millis(200));
    });
    let out = inspector(&["--json", &format!("ws://{addr}/")]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let recs = records(&out);
    let head_bytes = recs[0]["bytes"].as_u64().unwrap();
    let error = recs.last().unwrap();
    assert_eq!(error["kind"], "ws_masked");
    assert_eq!(error["offset"].as_u64(), Some(head_bytes + 1));
    let plain = inspector(&["--plain", &format!("ws://{addr}/")]);
    let text = String::from_utf8(plain.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "error at byte {}: the server masked",
            head_bytes + 1
        )),
        "{text}"
    );
}

/// A server that answers each request with the request itself, head and
/// body, as its body: what the inspector really sent.
fn echo_server() -> SocketAddr {
    serve(|stream, head| {
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .map_or(0, |n| n.trim().parse().unwrap());
        let mut body = vec![0; length];
        stream.read_exact(&mut body).unwrap();
        let echoed = [head.as_bytes(), &body].concat();
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            echoed.len()
        );
        let _ = stream.write_all(&[answer.as_bytes(), &echoed].concat());
    })
}

/// What the inspector sent with `args`, as the echo server got it.
fn sent(args: &[&str]) -> String {
    let url = format!("http://{}/ask", echo_server());
    let out = inspector(
        &[&["--json", "--max-data", "100000"], args, &[&url]].concat(),
    );
    assert!(out.status.success(), "{out:?}");
    records(&out)
        .iter()
        .filter(|r| r["type"] == "data")
        .map(|r| r["data"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_browsers_request_by_default_and_identity_on_request() {
    let asked = sent(&[]);
    assert!(asked.starts_with("GET /ask HTTP/1.1\r\n"), "{asked}");
    assert!(
        asked.contains("\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n"),
        "{asked}"
    );
    assert!(asked.contains("\r\nAccept: text/html,"), "{asked}");
    let asked = sent(&["--identity"]);
    assert!(
        asked.contains("\r\nAccept-Encoding: identity\r\n"),
        "{asked}"
    );
    assert!(!asked.contains("gzip"), "{asked}");
}

#[test]
fn bodies_are_sent_as_curl_sends_them() {
    let dir = std::env::temp_dir()
        .join(format!("inspector-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("body.txt");
    std::fs::write(&file, "b=2\r\nc=3\n").unwrap();
    let at_file = format!("@{}", file.display());
    // -d: a form, POST; @FILE without its line breaks; parts joined by &.
    let asked = sent(&["-d", "a=1", "-d", &at_file]);
    assert!(asked.starts_with("POST /ask HTTP/1.1\r\n"), "{asked}");
    assert!(asked.contains("\r\nAccept: */*\r\n"), "{asked}");
    assert!(asked.ends_with(
        "Content-Length: 10\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\na=1&b=2c=3"
    ), "{asked}");
    // --data-binary: as it is, with a type of the user's; -X wins.
    let asked = sent(&[
        "-X",
        "PUT",
        "--data-binary",
        &at_file,
        "-H",
        "Content-Type: text/plain",
    ]);
    assert!(asked.starts_with("PUT /ask HTTP/1.1\r\n"), "{asked}");
    assert!(
        asked.ends_with(
            "Content-Length: 9\r\nContent-Type: text/plain\r\n\r\nb=2\r\nc=3\n"
        ),
        "{asked}"
    );
    std::fs::remove_dir_all(dir).unwrap();
    // A file that is not there is said so, before connecting.
    let out = inspector(&["-d", "@/no/such/file", "http://127.0.0.1:9/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/file"));
}

#[test]
fn a_gzip_body_is_decoded_as_it_arrives_and_judged_on_its_content() {
    use std::io::Write as _;
    let page = "<p>one</p>\n<p>two, deux, zwei, \u{4e8c}</p>\n".repeat(20);
    let mut gzip = flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    );
    gzip.write_all(page.as_bytes()).unwrap();
    let coded = gzip.finish().unwrap();
    let chunk = |data: &[u8]| {
        [format!("{:x}\r\n", data.len()).as_bytes(), data, b"\r\n"].concat()
    };
    let head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n";
    // The gzip header at once, the rest in two chunks 300 ms later.
    let addr = server(
        vec![
            [head.as_slice(), &chunk(&coded[..10])].concat(),
            [
                chunk(&coded[10..40]),
                chunk(&coded[40..]),
                b"0\r\n\r\n".to_vec(),
            ]
            .concat(),
        ],
        Duration::from_millis(300),
    );
    let out = inspector(&["--json", &format!("http://{addr}/")]);
    assert!(out.status.success(), "{out:?}");
    let recs = records(&out);
    let chunks: Vec<&Value> = recs
        .iter()
        .filter(|r| r["type"] == "chunk" && r["last"] == false)
        .collect();
    let lens: Vec<u64> = chunks
        .iter()
        .map(|c| c["content_len"].as_u64().unwrap())
        .collect();
    assert_eq!(lens[0], 0, "a gzip header is no content");
    assert_eq!(lens.iter().sum::<u64>(), page.len() as u64);
    let text: String = chunks
        .iter()
        .map(|c| c["content"].as_str().unwrap())
        .collect();
    assert_eq!(text, page);
    let verdict = recs.last().unwrap();
    assert_eq!(verdict["type"], "verdict");
    assert_eq!(verdict["pattern"], "burst_at_end");
    assert_eq!(verdict["streamed"], false);
    assert_eq!(verdict["clues"][0]["code"], "compression");
    // The same bytes with --plain end in the verdict, in words.
    let plain = String::from_utf8(
        inspector(&["--plain", &format!("http://{addr}/")]).stdout,
    )
    .unwrap();
    assert!(plain.contains("verdict: burst_at_end"), "{plain}");
    assert!(plain.contains("Not streamed: the head came at"), "{plain}");
}

/// Whether `file` is well-formed XML, by Python's parser (an XML parser
/// from another ecosystem); None, saying so, without python3.
fn parses_as_xml(file: &std::path::Path) -> Option<bool> {
    let check =
        "import xml.dom.minidom, sys; xml.dom.minidom.parse(sys.argv[1])";
    let Ok(out) = Command::new("python3")
        .args(["-c", check])
        .arg(file)
        .output()
    else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "python3 is required in CI"
        );
        eprintln!("SKIPPED: python3 is not installed");
        return None;
    };
    Some(out.status.success())
}

#[test]
fn svg_draws_the_timeline_headless_and_from_the_screen() {
    let addr = server(chunked_pieces(), Duration::from_millis(20));
    let url = format!("http://{addr}/");
    let dir = std::env::temp_dir();
    let id = std::process::id();
    let modes: [&[&str]; 2] = [&["--plain"], &["--screen", "100x20"]];
    for (n, mode) in modes.into_iter().enumerate() {
        let file = dir.join(format!("inspector-{id}-{n}.svg"));
        let path = file.to_str().unwrap();
        let args = [mode, &["--svg", path, &url]].concat();
        let out = inspector(&args);
        assert!(out.status.success(), "{out:?}");
        let svg = std::fs::read_to_string(&file).unwrap();
        assert!(svg.contains(&format!("GET {url}")), "{svg}");
        assert!(svg.contains(">stream</tspan>"), "{svg}");
        if let Some(ok) = parses_as_xml(&file) {
            assert!(ok, "{svg}");
        }
        std::fs::remove_file(&file).unwrap();
    }
}
