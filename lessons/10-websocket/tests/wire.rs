//! Lesson 10 on a real socket: the handshake's exact bytes, frames both
//! ways, and the close codes for bad frames; then clients nobody here
//! wrote: Python's `websockets` and headless Chromium.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;

use inspector::capture::Live;
use inspector::session::{Record, Session};
use inspector::target::Target;
use lesson_01_raw_tcp::testing::{chromium, mask_date, require};
use lesson_10_websocket::frame::{Opcode, encode, encode_masked};
use lesson_10_websocket::session::{GREETING, close_payload};
use lesson_10_websocket::spawn;

const HANDSHAKE: &str = "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A client that has done the handshake, and read the 101 and greeting.
fn connect(addr: SocketAddr) -> TcpStream {
    let mut client = TcpStream::connect(addr).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    client.write_all(HANDSHAKE.as_bytes()).unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0];
        client.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let greeting = encode(true, Opcode::Text, GREETING.as_bytes());
    assert_eq!(read_n(&mut client, greeting.len()), greeting);
    client
}

fn read_n(client: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut bytes = vec![0; n];
    client.read_exact(&mut bytes).unwrap();
    bytes
}

/// Everything until the server closes.
fn read_to_end(client: &mut TcpStream) -> Vec<u8> {
    let mut bytes = Vec::new();
    client.read_to_end(&mut bytes).unwrap();
    bytes
}

// ANCHOR: handshake
#[test]
fn the_handshake_switches_protocols_with_the_accept_key() {
    let addr = spawn().unwrap();
    let mut client = TcpStream::connect(addr).unwrap();
    client.write_all(HANDSHAKE.as_bytes()).unwrap();
    let head = "HTTP/1.1 101 Switching Protocols\r\nDate: <date>\r\n\
        Upgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    let greeting = encode(true, Opcode::Text, GREETING.as_bytes());
    let mut got = read_n(
        &mut client,
        head.len() - "<date>".len() + 29 + greeting.len(),
    );
    got = mask_date(&got);
    assert_eq!(got, [head.as_bytes(), &greeting].concat());
}
// ANCHOR_END: handshake

// ANCHOR: frames
#[test]
fn messages_come_back_pings_get_pongs_and_a_close_is_answered() {
    let addr = spawn().unwrap();
    let mut client = connect(addr);
    // A text message in two fragments, with a ping between them.
    client
        .write_all(&encode_masked(false, Opcode::Text, b"Hel", KEY))
        .unwrap();
    client
        .write_all(&encode_masked(true, Opcode::Ping, b"?", KEY))
        .unwrap();
    client
        .write_all(&encode_masked(true, Opcode::Continuation, b"lo", KEY))
        .unwrap();
    let pong = encode(true, Opcode::Pong, b"?");
    let echo = encode(true, Opcode::Text, b"Hello");
    assert_eq!(
        read_n(&mut client, pong.len() + echo.len()),
        [pong, echo].concat()
    );
    // 70,000 bytes: a 64-bit length.
    let big = vec![7; 70_000];
    client
        .write_all(&encode_masked(true, Opcode::Binary, &big, KEY))
        .unwrap();
    let echo = encode(true, Opcode::Binary, &big);
    assert_eq!(&echo[..4], [0x82, 127, 0, 0]);
    assert_eq!(read_n(&mut client, echo.len()), echo);
    // A close with 1000 gets 1000 back, and the server closes.
    client
        .write_all(&encode_masked(
            true,
            Opcode::Close,
            &close_payload(1000, "bye"),
            KEY,
        ))
        .unwrap();
    assert_eq!(
        read_to_end(&mut client),
        encode(true, Opcode::Close, &[0x03, 0xe8])
    );
}
// ANCHOR_END: frames

// ANCHOR: bad_frames
#[test]
fn bad_frames_are_refused_with_the_right_close_code() {
    let addr = spawn().unwrap();
    let closed_with = |frame: &[u8]| {
        let mut client = connect(addr);
        client.write_all(frame).unwrap();
        let close = read_to_end(&mut client);
        assert_eq!(close[0], 0x88, "{close:?}");
        let code = u16::from_be_bytes([close[2], close[3]]);
        (code, String::from_utf8(close[4..].to_vec()).unwrap())
    };
    // Unmasked: a client's frames must be masked.
    let unmasked = encode(true, Opcode::Text, b"hi");
    assert_eq!(
        closed_with(&unmasked),
        (1002, "a client frame must be masked".into())
    );
    // A header that promises 2 MiB: refused before the payload comes.
    let mut huge = encode_masked(true, Opcode::Binary, &[], KEY);
    huge.splice(1..2, [0xFF, 0, 0, 0, 0, 0, 0x20, 0, 0]);
    assert_eq!(closed_with(&huge[..10]).0, 1009);
    // Text that is not UTF-8.
    let latin1 = encode_masked(true, Opcode::Text, b"caf\xe9", KEY);
    assert_eq!(
        closed_with(&latin1),
        (1007, "a text message must be UTF-8".into())
    );
    // And the server still serves the next client.
    connect(addr);
}
// ANCHOR_END: bad_frames

// ANCHOR: inspector
#[test]
fn the_inspector_sees_every_frame_both_ways() {
    let addr = spawn().unwrap();
    let target: Target = format!("ws://{addr}/ws").parse().unwrap();
    let request = target.request(&inspector::target::Request::default());
    let session = Session::for_request(&request, 1024)
        .sending(vec!["hello".into(), "two words".into()]);
    // Close as soon as the messages are out: the server echoes them
    // first, since it reads frames in order.
    let records = Live::connect(addr, &request)
        .unwrap()
        .run(session, Some(Duration::ZERO))
        .unwrap();
    let frames: Vec<String> = records
        .iter()
        .filter_map(|r| match r {
            Record::WsFrame {
                direction,
                opcode,
                data,
                close_code,
                masked,
                ..
            } => Some(match close_code {
                Some(code) => format!("{direction} close {code} {masked}"),
                None => format!("{direction} {opcode:?} {data} {masked}"),
            }),
            _ => None,
        })
        .collect();
    let from = |who: &str| -> Vec<&String> {
        frames.iter().filter(|f| f.starts_with(who)).collect()
    };
    assert_eq!(
        from("client"),
        [
            "client Text hello true",
            "client Text two words true",
            "client close 1000 true"
        ]
    );
    assert_eq!(
        from("server"),
        [
            &format!("server Text {GREETING} false"),
            "server Text hello false",
            "server Text two words false",
            "server close 1000 false"
        ]
    );
    assert!(matches!(
        records.last(),
        Some(Record::End {
            frames: Some(7),
            ..
        })
    ));
}
// ANCHOR_END: inspector

#[test]
fn bad_handshakes_are_refused_with_a_reason() {
    let addr = spawn().unwrap();
    let answer = |request: String| {
        let mut client = TcpStream::connect(addr).unwrap();
        client.write_all(request.as_bytes()).unwrap();
        String::from_utf8_lossy(&read_to_end(&mut client)).into_owned()
    };
    let version =
        answer(HANDSHAKE.replace(": 13\r\n", ": 8\r\nConnection: close\r\n"));
    assert!(
        version.starts_with("HTTP/1.1 426 Upgrade Required\r\n"),
        "{version}"
    );
    assert!(
        version.contains("\r\nSec-WebSocket-Version: 13\r\n"),
        "{version}"
    );
    let key = answer(
        HANDSHAKE
            .replace("dGhlIHNhbXBsZSBub25jZQ==", "short\r\nConnection: close"),
    );
    assert!(key.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{key}");
    assert!(
        key.ends_with("Sec-WebSocket-Key must be 16 bytes in base64\n"),
        "{key}"
    );
    let post = answer(HANDSHAKE.replace("GET", "POST").replace(
        "Version: 13\r\n",
        "Version: 13\r\nContent-Length: 0\r\nConnection: close\r\n",
    ));
    assert!(post.ends_with("a WebSocket handshake is a GET\n"), "{post}");
}

/// A Python that has the `websockets` package: Debian's, which
/// `python3-websockets` installs, if the `python3` first on the PATH is
/// another.
fn python_with_websockets() -> Option<&'static str> {
    ["python3", "/usr/bin/python3"].into_iter().find(|python| {
        Command::new(python)
            .args(["-c", "import websockets"])
            .output()
            .is_ok_and(|out| out.status.success())
    })
}

// ANCHOR: python
#[test]
fn pythons_websockets_client_talks_with_it() {
    let Some(python) = python_with_websockets() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "python3 with the websockets package is required in CI"
        );
        eprintln!("SKIPPED: no python3 with the websockets package");
        return;
    };
    let addr = spawn().unwrap();
    let script = r#"
import asyncio, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1], max_size=None) as ws:
        print(await ws.recv())
        await ws.send("héllo")
        print(await ws.recv())
        await ws.send(bytes(range(200)))
        print(len(await ws.recv()))
        pong = await ws.ping(b"are you there")
        await pong
        print("pong")
    print("closed", ws.close_code)
asyncio.run(main())
"#;
    let out = Command::new(python)
        .args(["-c", script, &format!("ws://{addr}/ws")])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout,
        format!("{GREETING}\nhéllo\n200\npong\nclosed 1000\n")
    );
}
// ANCHOR_END: python

// ANCHOR: chromium
#[test]
fn chromium_talks_both_ways() {
    if !require("chromium") {
        return;
    }
    let addr = spawn().unwrap();
    let url = format!("http://{addr}/?say=one&say=two");
    let dom =
        chromium(&url, &["--virtual-time-budget=2000", "--dump-dom"], None);
    let log: Vec<&str> = dom
        .split("<li class=\"")
        .skip(1)
        .map(|item| &item[..item.find("</li>").unwrap()])
        .collect();
    let greeting = format!("in\">← {GREETING}");
    // The page sends as soon as the socket is open, before the greeting's
    // message event; the echoes come after both.
    let expected = [
        "out\">→ one",
        "out\">→ two",
        &greeting,
        "in\">← one",
        "in\">← two",
    ];
    assert_eq!(log, expected, "{dom}");
    assert!(dom.contains("<b id=\"status\">open</b>"), "{dom}");
}
// ANCHOR_END: chromium
