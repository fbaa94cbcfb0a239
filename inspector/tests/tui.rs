//! The TUI driven by scripted events, as the capture thread and the
//! terminal would send them, and drawn on a test buffer.
//!
//! The snapshots in `snapshots/` are also the book's inspector screens
//! (`cargo xtask transcripts` copies them), so the manual shows exactly
//! what these tests check.

use std::time::Duration;

use crossterm::event::{
    Event as Input, KeyCode, KeyEvent, KeyEventKind, KeyModifiers,
};
use inspector::proxy::{News, RequestRecord};
use inspector::tui::exchange::{Kind, State};
use inspector::tui::theme::Theme;
use inspector::tui::{self, App, Capture, Command, Demo, Event, Options, View};
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect, Size};
use ratatui::widgets::Widget as _;

const URL: &str = "http://127.0.0.1:7878/";

const HEAD: &[u8] = b"HTTP/1.1 200 OK\r\n\
    Content-Type: text/html; charset=utf-8\r\n\
    Transfer-Encoding: chunked\r\n\r\n";

/// The lesson page's shape: a head chunk at once, then a part every
/// 400 ms, then the last-chunk.
const PARTS: [&str; 4] = [
    "<!doctype html>\n<title>Flusher</title>\n<h1>One page, five parts</h1>\n",
    "<p>Part 1 arrived after one pause.</p>\n",
    "<p>Part 2 arrived after two pauses.</p>\n",
    "<p>Part 3 arrived last. The page is complete.</p>\n</html>\n",
];

fn options() -> Options {
    Options {
        theme: Theme { color: true },
        ..Options::default()
    }
}

fn app(size: (u16, u16)) -> App {
    let (app, command) =
        App::inspect(URL, options(), Size::new(size.0, size.1));
    assert!(
        matches!(command, Command::Start { id: 1, .. }),
        "{command:?}"
    );
    app
}

fn chunk(data: &str) -> Vec<u8> {
    format!("{:x}\r\n{data}\r\n", data.len()).into_bytes()
}

fn ms(n: f64) -> Duration {
    Duration::from_secs_f64(n / 1e3)
}

/// Sends what the capture thread would: a read of `bytes` at `t_ms`.
fn read(app: &mut App, t_ms: f64, bytes: &[u8]) -> Option<Command> {
    app.handle(Event::Capture(1, Capture::Read(ms(t_ms), bytes.to_vec())))
}

fn key(app: &mut App, code: KeyCode) -> Option<Command> {
    app.handle(Event::Input(Input::Key(KeyEvent::new(
        code,
        KeyModifiers::NONE,
    ))))
}

/// The head and first chunk in one read, then each part 400 ms apart.
fn streamed(app: &mut App, parts: usize) {
    app.handle(Event::Capture(1, Capture::Connected(None)));
    read(app, 0.41, &[HEAD, &chunk(PARTS[0])].concat());
    for (i, part) in PARTS.iter().enumerate().take(parts).skip(1) {
        read(app, 0.41 + 400.2 * i as f64, &chunk(part));
    }
}

fn complete(size: (u16, u16)) -> App {
    let mut app = app(size);
    streamed(&mut app, 4);
    let stop = read(&mut app, 1201.1, b"0\r\n\r\n");
    assert_eq!(stop, Some(Command::Stop));
    app
}

fn screen(app: &App) -> String {
    tui::text(app, app.size)
}

#[test]
fn empty() {
    let app = app((100, 30));
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn mid_stream() {
    let mut app = app((100, 30));
    streamed(&mut app, 2);
    assert_eq!(app.exchange.as_ref().unwrap().state, State::Streaming);
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn complete_wide() {
    let app = complete((160, 40));
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn hex_selection() {
    let mut app = complete((100, 36));
    // From the last-chunk up to part 1.
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    assert_eq!(app.selected, 1);
    assert!(!app.follow, "moving up stops following");
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn protocol_error() {
    let mut app = app((100, 30));
    streamed(&mut app, 2);
    // A size line with a non-hex digit: everything before stays.
    let stop = read(&mut app, 900.0, b"2g\r\nno\r\n");
    assert_eq!(stop, Some(Command::Stop));
    let x = app.exchange.as_ref().unwrap();
    assert_eq!(x.rows.last().unwrap().kind, Kind::Error);
    assert_eq!(x.chunks, 2);
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn tiny_terminal() {
    let mut app = complete((40, 10));
    insta::assert_snapshot!(screen(&app));
    // It keeps working, and draws again once the terminal grows.
    app.handle(Event::Input(Input::Resize(100, 30)));
    assert!(screen(&app).contains("Chunks: 5 · #4 selected"));
}

#[test]
fn every_view() {
    let mut app = complete((100, 30));
    key(&mut app, KeyCode::Up);
    for view in [View::Timeline, View::Reads, View::Raw, View::Headers] {
        key(&mut app, KeyCode::Tab);
        assert_eq!(app.view, view);
        insta::assert_snapshot!(view.name().to_lowercase(), screen(&app));
    }
    // Tab wraps around; there is no picker without demos.
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.view, View::Chunks);
}

/// A page behind a compressor that does not flush: the 10-byte gzip
/// header at once, and everything else 2.1 s later, as nginx's `gzip on`
/// sends it.
#[test]
fn compressed() {
    use std::io::Write as _;
    let mut gzip = flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    );
    gzip.write_all(PARTS.concat().as_bytes()).unwrap();
    let coded = gzip.finish().unwrap();
    let head = b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n\
        Content-Type: text/html; charset=utf-8\r\n\
        Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n";
    let chunk = |data: &[u8]| {
        [format!("{:x}\r\n", data.len()).as_bytes(), data, b"\r\n"].concat()
    };
    let mut app = app((100, 34));
    app.handle(Event::Capture(1, Capture::Connected(None)));
    read(
        &mut app,
        0.41,
        &[head.as_slice(), &chunk(&coded[..10])].concat(),
    );
    read(
        &mut app,
        2100.3,
        &[chunk(&coded[10..]), b"0\r\n\r\n".to_vec()].concat(),
    );
    key(&mut app, KeyCode::Up);
    insta::assert_snapshot!(screen(&app));
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.view, View::Timeline);
    insta::assert_snapshot!("compressed_timeline", screen(&app));
}

#[test]
fn help() {
    let mut app = complete((100, 30));
    key(&mut app, KeyCode::Char('?'));
    insta::assert_snapshot!(screen(&app));
    // Any key closes it, and does nothing else.
    assert_eq!(key(&mut app, KeyCode::Char('r')), None);
    assert!(!app.help);
}

/// The tour's rows, as `flusher::demos` makes them (this crate cannot
/// depend on the tour): more than 80×24 shows at once.
fn demos() -> Vec<Demo> {
    const ROWS: [(&str, &str, &str); 22] = [
        (
            "01 raw TCP",
            "Content-Length: the whole page arrives at once, at the end",
            "",
        ),
        (
            "02 chunked by hand",
            "the page a chunk per part, each sent the moment it is ready",
            "",
        ),
        (
            "03 a flusher",
            "one chunk per flush(): the buffer sent on purpose",
            "",
        ),
        (
            "  /buffered",
            "never flushed: Content-Length, as in lesson 01",
            "buffered",
        ),
        (
            "  /bufwriter",
            "a BufWriter nobody flushes: chunked, yet one burst",
            "bufwriter",
        ),
        (
            "04 parsing requests",
            "two requests on one connection: a zero chunk ends each response",
            "",
        ),
        (
            "05 tokio",
            "1 MiB at full speed: the task is ahead, so reads come full (Reads)",
            "stream?n=16&size=65536",
        ),
        (
            "  /stream, paced",
            "twenty chunks 100 ms apart, each made by the stream's task",
            "stream?n=20&size=32&every=100",
        ),
        (
            "  /stream, long",
            "25 s of chunks: pick another row, and its task stops at once",
            "stream?n=100&size=16&every=250",
        ),
        (
            "06 blocking SSR",
            "the page after all its data: nothing until the slowest",
            "",
        ),
        (
            "  /?delays=…",
            "other delays for this request: the first byte waits 50 ms",
            "?delays=10,20,30,40,50",
        ),
        (
            "  /csr",
            "rendered in the browser instead: a script asks for each module",
            "csr",
        ),
        (
            "07 streaming SSR, in order",
            "the shell, then the modules in page order: a slow one holds the rest",
            "",
        ),
        (
            "08 streaming SSR, out of order",
            "each module the moment its data is in, swapped into place",
            "",
        ),
        (
            "  /?delays=0",
            "a cache hit: the profile's data is ready, so it is in the shell",
            "?delays=0",
        ),
        (
            "09 server-sent events",
            "six events, a chunk each: ids, types, a poem of three lines",
            "events?n=6&every=300",
        ),
        (
            "  /events, resumed",
            "a reconnect that says Last-Event-ID: 4 resumes at event 5",
            "events?n=2&every=300",
        ),
        (
            "  /events, quiet",
            "a quiet stream: heartbeat comments between two events",
            "events?n=2&every=1500&heartbeat=400",
        ),
        (
            "10 WebSocket",
            "frames both ways: a greeting, two messages echoed; m sends another",
            "ws",
        ),
        (
            "11 production",
            "gzip flushed after each part: each chunk decodes at once",
            "",
        ),
        (
            "  /swallowed",
            "a compression middleware that swallows the flushes: one burst",
            "swallowed",
        ),
        (
            "  /text",
            "text/plain, no nosniff: it streams, yet browsers wait for 1024 bytes",
            "text?nosniff=0",
        ),
    ];
    // A port per lesson, as the tour has them: a route beside a lesson
    // is on its server.
    let mut port = 40000;
    ROWS.iter()
        .map(|(title, shows, path)| {
            if let Some(n) = title.get(..2).and_then(|n| n.parse::<u16>().ok())
            {
                port = 40000 + n;
            }
            Demo::new(title, shows, &format!("http://127.0.0.1:{port}/{path}"))
        })
        .collect()
}

#[test]
fn tour_picker() {
    let mut app = App::tour(demos(), options(), Size::new(80, 24));
    assert_eq!(app.view, View::Lessons);
    key(&mut app, KeyCode::Down);
    insta::assert_snapshot!(screen(&app));
    // Enter inspects the lesson under the cursor...
    let Some(Command::Start { id: 1, target, .. }) =
        key(&mut app, KeyCode::Enter)
    else {
        panic!("Enter starts a capture");
    };
    assert_eq!(target.authority(), "127.0.0.1:40002");
    assert_eq!(app.view, View::Chunks);
    // ...and Enter there runs it again, as a new capture.
    let again = key(&mut app, KeyCode::Enter);
    assert!(matches!(again, Some(Command::Start { id: 2, .. })));
    // Esc goes back to the list, the stream still running and marked;
    // Esc on the list does nothing, and q quits.
    assert_eq!(key(&mut app, KeyCode::Esc), None);
    assert_eq!((app.view, app.quit), (View::Lessons, false));
    assert!(screen(&app).contains("│ ▶ 02 chunked by hand "));
    assert_eq!(key(&mut app, KeyCode::Esc), None);
    assert_eq!((app.view, app.quit), (View::Lessons, false));
    key(&mut app, KeyCode::Enter);
    assert_eq!(key(&mut app, KeyCode::Backspace), None);
    assert_eq!(app.view, View::Lessons);
    assert_eq!(key(&mut app, KeyCode::Char('q')), Some(Command::Quit));
}

/// The picker scrolls with its cursor: End and G go to the last row,
/// Home and g to the first, PgUp and PgDn a page, and the row under the
/// cursor is always on screen, its URL and command below the list.
#[test]
fn tour_picker_scrolls() {
    let mut app = App::tour(demos(), options(), Size::new(80, 24));
    let last = app.demos.len() - 1;
    // The row under the cursor is drawn in the selected style.
    let highlighted = |app: &App| {
        let area = Rect::from((Position::ORIGIN, app.size));
        let mut buf = Buffer::empty(area);
        app.render(area, &mut buf);
        let selected = options().theme.selected().bg;
        (0..area.height)
            // The list's rows, not the tabs, whose current one is in the
            // same style.
            .filter(|&y| buf[(0, y)].symbol() == "│")
            .filter(|&y| buf[(2, y)].bg == selected.unwrap())
            .map(|y| (0..area.width).map(|x| buf[(x, y)].symbol()).collect())
            .collect::<Vec<String>>()
    };
    for end in [KeyCode::End, KeyCode::Char('G')] {
        key(&mut app, end);
        assert_eq!(app.cursor, last);
        let rows = highlighted(&app);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(rows[0].contains("  /text "), "{}", screen(&app));
        let url = "URL      http://127.0.0.1:40011/text?nosniff=0";
        assert!(screen(&app).contains(url), "{}", screen(&app));
        for home in [KeyCode::Home, KeyCode::Char('g')] {
            key(&mut app, home);
            assert_eq!(app.cursor, 0);
            assert!(highlighted(&app)[0].contains("01 raw TCP"));
            key(&mut app, KeyCode::End);
        }
    }
    insta::assert_snapshot!("tour_picker_end", screen(&app));
    let page = usize::from(app.page());
    assert!((8..last).contains(&page), "a page of rows: {page}");
    key(&mut app, KeyCode::PageUp);
    assert_eq!(app.cursor, last - page);
    assert!(highlighted(&app)[0].contains(&app.demos[last - page].title));
    key(&mut app, KeyCode::PageDown);
    assert_eq!(app.cursor, last);
    // A taller terminal shows every row again, from the first.
    app.handle(Event::Input(Input::Resize(80, 40)));
    assert_eq!(app.lessons_scroll, 0);
    assert!(screen(&app).contains("01 raw TCP"));
}

/// A row that asks for keep-alive sends its request again on the same
/// connection once the response is over, and shows the second exchange,
/// timed from its own request; the connection is closed after the last.
#[test]
fn a_keep_alive_row_sends_its_request_again_on_the_connection() {
    let mut demo = Demo::new("04 parsing requests", "twice", URL);
    demo.repeat = 2;
    let mut app = App::tour(vec![demo], options(), Size::new(80, 24));
    let Some(Command::Start { request, .. }) = key(&mut app, KeyCode::Enter)
    else {
        panic!("Enter starts a capture");
    };
    streamed(&mut app, 4);
    let k = app.keep_alive.as_ref().unwrap();
    assert_eq!((k.request, k.of), (1, 2));
    // The zero chunk ends the response, not the connection.
    let again = read(&mut app, 1201.1, b"0\r\n\r\n");
    assert_eq!(again, Some(Command::Send(request)));
    assert_eq!(app.keep_alive.as_ref().unwrap().request, 2);
    let x = app.exchange.as_ref().unwrap();
    assert_eq!((x.head.as_ref(), x.chunks), (None, 0));
    assert!(screen(&app).contains("request 2 of 2, same connection"));
    // Reads are timed from the first request; the exchange counts from
    // its own, so its first byte is not 1.2 s late.
    streamed_at(&mut app, 1300.0);
    let x = app.exchange.as_ref().unwrap();
    assert!(x.first_byte().unwrap() < 200_000, "{:?}", x.first_byte());
    assert_eq!(read(&mut app, 3000.0, b"0\r\n\r\n"), Some(Command::Stop));
    assert!(screen(&app).contains(" ● complete   request 2 of 2"));
}

/// A response that says the connection ends with it gets no second
/// request (RFC 9112 §9.6): the status bar says why.
#[test]
fn a_keep_alive_row_stops_where_the_server_closes() {
    let mut demo = Demo::new("04 parsing requests", "twice", URL);
    demo.repeat = 2;
    let mut app = App::tour(vec![demo], options(), Size::new(100, 24));
    key(&mut app, KeyCode::Enter);
    app.handle(Event::Capture(1, Capture::Connected(None)));
    let closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\
        Content-Length: 2\r\n\r\nhi";
    assert_eq!(read(&mut app, 1.0, closing), Some(Command::Stop));
    let k = app.keep_alive.as_ref().unwrap();
    assert_eq!(k.request, 1);
    let why = k.ended.as_deref().unwrap();
    assert_eq!(
        why,
        "request 2 not sent: its response said Connection: close"
    );
    assert!(status(&app).contains(why), "{}", screen(&app));
}

/// The lesson page's response at `t_ms` since the connection's first
/// request, all in one read.
fn streamed_at(app: &mut App, t_ms: f64) {
    let body: Vec<u8> = PARTS.iter().flat_map(|p| chunk(p)).collect();
    read(app, t_ms, &[HEAD, &body].concat());
}

/// The status bar's second line.
fn status(app: &App) -> String {
    screen(app).lines().nth(1).unwrap_or_default().to_owned()
}

#[test]
fn keys() {
    let mut app = complete((100, 30));
    // A key release is not a press.
    let mut release = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    assert_eq!(app.handle(Event::Input(Input::Key(release))), None);
    assert!(!app.quit);
    key(&mut app, KeyCode::Home);
    assert_eq!((app.selected, app.follow), (0, false));
    key(&mut app, KeyCode::PageDown);
    assert_eq!(app.selected, 4, "a page down stops at the newest row");
    key(&mut app, KeyCode::Char('f'));
    assert!(!app.follow, "f toggles following off");
    key(&mut app, KeyCode::Char('f'));
    assert_eq!((app.selected, app.follow), (4, true));
    // r repeats: a new capture, and the old one's news is ignored.
    let repeat = key(&mut app, KeyCode::Char('r'));
    assert!(matches!(repeat, Some(Command::Start { id: 2, .. })));
    read(&mut app, 1.0, HEAD);
    assert!(app.exchange.as_ref().unwrap().head.is_none());
    for quit in [
        KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE),
        KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE),
        KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
    ] {
        let mut app = complete((100, 30));
        let command = app.handle(Event::Input(Input::Key(quit)));
        assert_eq!((command, app.quit), (Some(Command::Quit), true));
    }
}

#[test]
fn following_keeps_the_newest_chunk_selected_and_on_screen() {
    let mut app = app((100, 30));
    app.handle(Event::Capture(1, Capture::Connected(None)));
    read(&mut app, 0.1, HEAD);
    for i in 0..100 {
        read(&mut app, 1.0 + f64::from(i), &chunk("tick\n"));
    }
    assert_eq!(app.selected, 99);
    assert!(screen(&app).contains("Chunks: 100 · #99 selected"));
    let text = screen(&app);
    assert!(text.contains("99 "), "the newest row is on screen:\n{text}");
}

#[test]
fn no_color_draws_without_colour() {
    let mut app = complete((100, 30));
    app.options.theme = Theme { color: false };
    for _ in 0..6 {
        let area = ratatui::layout::Rect::new(0, 0, 100, 30);
        let mut buf = ratatui::buffer::Buffer::empty(area);
        ratatui::widgets::Widget::render(&app, area, &mut buf);
        for cell in buf.content() {
            assert_eq!(
                (cell.fg, cell.bg),
                (ratatui::style::Color::Reset, ratatui::style::Color::Reset),
                "{:?} in {:?}",
                cell.symbol(),
                app.view
            );
        }
        key(&mut app, KeyCode::Tab);
    }
}

#[test]
fn a_failed_connection_says_why_and_r_retries() {
    let mut app = app((100, 30));
    let stop = app.handle(Event::Capture(
        1,
        Capture::Failed(
            ms(0.2),
            "cannot connect to 127.0.0.1:7878: Connection refused".into(),
        ),
    ));
    assert_eq!(stop, Some(Command::Stop));
    assert!(screen(&app).contains("Connection refused"));
    assert!(matches!(
        key(&mut app, KeyCode::Char('r')),
        Some(Command::Start { id: 2, .. })
    ));
}

/// An event stream: the detail pane lists the events a chunk completed,
/// and an event that two chunks carried says so.
#[test]
fn event_stream() {
    let mut app = app((100, 30));
    app.handle(Event::Capture(1, Capture::Connected(None)));
    let head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                 Transfer-Encoding: chunked\r\n\r\n";
    read(
        &mut app,
        0.4,
        &[head.as_slice(), &chunk("retry: 1000\n\n")].concat(),
    );
    read(
        &mut app,
        100.2,
        &chunk("id: 1\nevent: tick\ndata: tick 1\n\nid: 2\ndata: two"),
    );
    read(&mut app, 200.3, &chunk("\ndata: lines\n\n"));
    read(&mut app, 300.1, b"0\r\n\r\n");
    key(&mut app, KeyCode::Up);
    insta::assert_snapshot!(screen(&app));
    key(&mut app, KeyCode::Up);
    insta::assert_snapshot!("event_stream_two_events", screen(&app));
}

/// The `101` that answers `request`'s key: what a WebSocket server sends.
fn switching(request: &[u8]) -> Vec<u8> {
    let request = String::from_utf8_lossy(request);
    let key = request
        .lines()
        .find_map(|line| line.strip_prefix("Sec-WebSocket-Key: "))
        .expect("a ws:// request has a key");
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        inspector::ws::accept_key(key)
    )
    .into_bytes()
}

/// The payloads of the masked frames in `wire`, unmasked, with their
/// first byte (FIN and opcode): what a server reads.
fn sent(mut wire: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut frames = Vec::new();
    while let [b0, b1, rest @ ..] = wire {
        let len = usize::from(b1 & 0x7F);
        assert!(b1 & 0x80 != 0 && len < 126, "masked and short");
        let (key, rest) = rest.split_at(4);
        let payload = rest[..len]
            .iter()
            .zip(key.iter().cycle())
            .map(|(b, k)| b ^ k);
        frames.push((*b0, payload.collect()));
        wire = &rest[len..];
    }
    frames
}

/// An app inspecting a `ws://` URL, connected; and the request it sent.
fn ws_app(options: Options) -> (App, Vec<u8>) {
    let (mut app, start) =
        App::inspect("ws://127.0.0.1:7878/ws", options, Size::new(100, 30));
    let Command::Start { request, .. } = start else {
        panic!("{start:?}")
    };
    app.handle(Event::Capture(1, Capture::Connected(None)));
    (app, request)
}

/// A WebSocket: the frames both ways are the rows, and the inspector
/// answers as a client must: the message it was given to send, a pong for
/// a ping, a close for a close.
#[test]
fn websocket() {
    let (mut app, request) = ws_app(Options {
        send: vec!["hello".into()],
        ..options()
    });
    let greeting = b"\x81\x28hello: send a message, and it comes back";
    let send = read(
        &mut app,
        0.5,
        &[switching(&request), greeting.to_vec()].concat(),
    );
    let Some(Command::Send(bytes)) = send else {
        panic!("{send:?}\n{}", screen(&app))
    };
    assert_eq!(sent(&bytes), [(0x81, b"hello".to_vec())]);
    // The echo in two fragments, a ping between them.
    let send = read(&mut app, 1.2, b"\x01\x03hel\x89\x01?\x80\x02lo");
    let Some(Command::Send(bytes)) = send else {
        panic!("{send:?}")
    };
    assert_eq!(sent(&bytes), [(0x8A, b"?".to_vec())]);
    // The server closes: the inspector answers with the same code.
    let send = read(&mut app, 1000.3, b"\x88\x05\x03\xe8bye");
    let Some(Command::Send(bytes)) = send else {
        panic!("{send:?}\n{}", screen(&app))
    };
    assert_eq!(sent(&bytes), [(0x88, vec![0x03, 0xe8])]);
    let stop = app.handle(Event::Capture(1, Capture::Closed(ms(1000.9))));
    assert_eq!(stop, Some(Command::Stop));
    let x = app.exchange.as_ref().unwrap();
    assert_eq!((x.frames, &x.state), (8, &State::Complete));
    // The first fragment of the echo, selected.
    for _ in 0..5 {
        key(&mut app, KeyCode::Up);
    }
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn close_after_closes_a_websocket_on_the_next_tick() {
    let (mut app, request) = ws_app(Options {
        close_after: Some(Duration::ZERO),
        ..options()
    });
    assert_eq!(read(&mut app, 0.5, &switching(&request)), None);
    key(&mut app, KeyCode::Char('m'));
    typed(&mut app, "unsent");
    let Some(Command::Send(bytes)) = app.handle(Event::Tick) else {
        panic!("a close is due")
    };
    assert_eq!(sent(&bytes), [(0x88, vec![0x03, 0xe8])]);
    assert_eq!(app.compose, None, "nothing left to send on");
    // Once: the inspector has closed.
    assert_eq!(app.handle(Event::Tick), None);
    let x = app.exchange.as_ref().unwrap();
    assert!(matches!(
        x.rows.last().unwrap().kind,
        Kind::Frame { client: true, .. }
    ));
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        assert_eq!(key(app, KeyCode::Char(c)), None, "{c:?} is typed");
    }
}

/// A WebSocket the user talks on: `m` opens a line to type a message on,
/// where every letter is text (`q` too), Enter sends it, Esc drops it;
/// `c` closes the WebSocket, after which there is nothing to send on.
#[test]
fn typing_a_message_sends_it_and_c_closes() {
    let (mut app, request) = ws_app(options());
    assert_eq!(key(&mut app, KeyCode::Char('m')), None);
    assert_eq!(app.compose, None, "no WebSocket yet");
    read(&mut app, 0.5, &switching(&request));
    key(&mut app, KeyCode::Char('m'));
    typed(&mut app, "quit? nox");
    key(&mut app, KeyCode::Backspace);
    typed(&mut app, "t yet");
    assert!(!app.quit);
    insta::assert_snapshot!("websocket_message", screen(&app));
    let send = key(&mut app, KeyCode::Enter);
    let Some(Command::Send(bytes)) = send else {
        panic!("{send:?}")
    };
    assert_eq!(sent(&bytes), [(0x81, b"quit? not yet".to_vec())]);
    assert_eq!(app.compose, None);
    // Esc drops what was typed, and sends nothing.
    key(&mut app, KeyCode::Char('m'));
    typed(&mut app, "never mind");
    assert_eq!(key(&mut app, KeyCode::Esc), None);
    assert!(!app.quit && app.compose.is_none());
    let send = key(&mut app, KeyCode::Char('c'));
    let Some(Command::Send(bytes)) = send else {
        panic!("{send:?}")
    };
    assert_eq!(sent(&bytes), [(0x88, vec![0x03, 0xe8])]);
    // Closed by the inspector: nothing more goes out.
    assert_eq!(key(&mut app, KeyCode::Char('c')), None);
    key(&mut app, KeyCode::Char('m'));
    assert_eq!(app.compose, None);
    let x = app.exchange.as_ref().unwrap();
    let sent_rows = x
        .rows
        .iter()
        .filter(|r| matches!(r.kind, Kind::Frame { client: true, .. }))
        .count();
    assert_eq!(sent_rows, 2, "the message and the close");
}

/// The server closing while a message is typed ends the typing: there is
/// no WebSocket left to send it on.
#[test]
fn a_close_from_the_server_ends_the_typing() {
    let (mut app, request) = ws_app(options());
    read(&mut app, 0.5, &switching(&request));
    key(&mut app, KeyCode::Char('m'));
    typed(&mut app, "hel");
    read(&mut app, 9.0, b"\x88\x02\x03\xe9");
    assert_eq!(app.compose, None);
    assert_eq!(key(&mut app, KeyCode::Char('q')), Some(Command::Quit));
}

/// A message longer than the terminal is wide: its end, where the typing
/// is, stays on screen.
#[test]
fn a_long_message_keeps_its_end_in_sight() {
    let (mut app, request) = ws_app(options());
    read(&mut app, 0.5, &switching(&request));
    key(&mut app, KeyCode::Char('m'));
    let text: String = (0..30).map(|i| format!("w{i:02} ")).collect();
    typed(&mut app, &text);
    let screen = screen(&app);
    let last = screen.lines().last().unwrap();
    assert!(
        last.trim_end().ends_with("w29    Enter send  Esc cancel"),
        "{last}"
    );
    assert!(!last.contains("w00"), "{last}");
}

/// Lesson 02's page over HTTP/2, as nginx sends it: the connection's
/// frames, the HEADERS, a DATA frame per part 400 ms apart, and an empty
/// DATA frame that ends the stream.
#[test]
fn http2_frames() {
    use inspector::http2::{
        DATA, END_HEADERS, END_STREAM, HEADERS, SETTINGS, WINDOW_UPDATE, frame,
    };
    use inspector::transport::Connection;
    let mut app = app((100, 30));
    let connection = Connection {
        connect_ms: 0.1,
        http2: true,
        ..Connection::default()
    };
    app.handle(Event::Capture(1, Capture::Connected(Some(connection))));
    let fields = [
        (&b":status"[..], &b"200"[..]),
        (b"content-type", b"text/html"),
    ];
    let head = loona_hpack::Encoder::new().encode(fields);
    let start = [
        frame(SETTINGS, 0, 0, &[0, 3, 0, 0, 0, 128]),
        frame(WINDOW_UPDATE, 0, 0, &[0x7f, 0xff, 0, 0]),
        frame(SETTINGS, 1, 0, &[]),
        frame(HEADERS, END_HEADERS, 1, &head),
        frame(DATA, 0, 1, PARTS[0].as_bytes()),
    ];
    read(&mut app, 0.52, &start.concat());
    for (i, part) in PARTS.iter().enumerate().skip(1) {
        read(
            &mut app,
            0.52 + 400.3 * i as f64,
            &frame(DATA, 0, 1, part.as_bytes()),
        );
    }
    read(&mut app, 1202.0, &frame(DATA, END_STREAM, 1, &[]));
    assert_eq!(app.exchange.as_ref().unwrap().chunks, 4);
    insta::assert_snapshot!(screen(&app));
    // The Headers view: the head, from the HEADERS frame's block.
    app.view = View::Headers;
    let headers = screen(&app);
    assert!(headers.contains("HTTP/2 200"), "{headers}");
    assert!(headers.contains(":status: 200"), "{headers}");
    assert!(headers.contains(":path: /"), "{headers}");
}

// ---------------------------------------------------------------- proxy --

/// News of a request through the proxy: exchange `id`, `at_ms` after it
/// started.
fn request(app: &mut App, id: u64, at_ms: f64, target: &str) {
    let head = format!(
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept: */*\r\n\r\n"
    );
    let record = RequestRecord::with_head(head.as_bytes(), id, 1, ms(at_ms));
    app.handle(Event::Proxy(News::Request(record)));
}

/// News of a read of exchange `id`'s response, `t_ms` after its request.
fn proxied(app: &mut App, id: u64, t_ms: f64, bytes: &[u8]) {
    let bytes = bytes.to_vec();
    let at = ms(t_ms);
    app.handle(Event::Proxy(News::Read {
        exchange: id,
        at,
        bytes,
    }));
}

/// A browser's page load through the proxy: the page streamed, a
/// stylesheet at once, an event stream still going, a favicon the server
/// does not have, and a response that breaks its chunked framing.
fn proxy_app() -> App {
    let listen = "127.0.0.1:8080".parse().unwrap();
    let to = "http://127.0.0.1:7878".to_owned();
    let mut app = App::proxy(listen, to, options(), Size::new(100, 24));
    request(&mut app, 1, 0.0, "/");
    proxied(&mut app, 1, 0.41, &[HEAD, &chunk(PARTS[0])].concat());
    request(&mut app, 2, 3.2, "/style.css");
    proxied(
        &mut app,
        2,
        0.38,
        b"HTTP/1.1 200 OK\r\nContent-Type: text/css\r\n\
          Content-Length: 17\r\n\r\nh1 { color: red }",
    );
    request(&mut app, 3, 4.1, "/events");
    proxied(
        &mut app,
        3,
        0.52,
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
          Transfer-Encoding: chunked\r\n\r\n",
    );
    proxied(&mut app, 3, 1.1, &chunk("data: tick 1\n\n"));
    for (i, part) in PARTS.iter().enumerate().skip(1) {
        proxied(&mut app, 1, 0.41 + 400.2 * i as f64, &chunk(part));
    }
    proxied(&mut app, 1, 1201.1, b"0\r\n\r\n");
    request(&mut app, 4, 1210.5, "/favicon.ico");
    proxied(
        &mut app,
        4,
        0.33,
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\nnot found\n",
    );
    request(&mut app, 5, 1302.7, "/broken");
    proxied(&mut app, 5, 0.45, HEAD);
    proxied(&mut app, 5, 2.3, b"2g\r\nno\r\n");
    app
}

#[test]
fn proxy_exchanges() {
    let mut app = proxy_app();
    assert_eq!(app.view, View::Exchanges);
    // The list follows: the newest is selected.
    let list = app.exchanges.as_ref().unwrap();
    assert_eq!((list.cursor, list.follow), (4, true));
    insta::assert_snapshot!(screen(&app));
    // Up stops following; a new exchange then leaves the cursor be.
    key(&mut app, KeyCode::Up);
    request(&mut app, 6, 1400.0, "/later");
    let list = app.exchanges.as_ref().unwrap();
    assert_eq!((list.cursor, list.follow), (3, false));
    key(&mut app, KeyCode::End);
    assert_eq!(app.exchanges.as_ref().unwrap().cursor, 5);
}

#[test]
fn proxy_enter_opens_an_exchange_and_esc_goes_back() {
    let mut app = proxy_app();
    for _ in 0..4 {
        key(&mut app, KeyCode::Up);
    }
    assert_eq!(key(&mut app, KeyCode::Enter), None);
    assert_eq!(app.view, View::Chunks);
    let x = app.exchange.as_ref().unwrap();
    assert_eq!((x.url.as_str(), x.chunks), ("http://127.0.0.1:7878/", 4));
    insta::assert_snapshot!("proxy_chunks", screen(&app));
    // The views of `inspector URL`, Reads and Raw included: the
    // exchange was fed the response's reads.
    let views: Vec<View> = app.views().collect();
    assert_eq!(
        views,
        [
            View::Exchanges,
            View::Chunks,
            View::Timeline,
            View::Reads,
            View::Raw,
            View::Headers
        ]
    );
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.view, View::Reads);
    assert!(screen(&app).contains("Reads: 5"), "{}", screen(&app));
    // Enter and r send nothing through a proxy; Esc is back, not quit.
    assert_eq!(key(&mut app, KeyCode::Char('r')), None);
    key(&mut app, KeyCode::Esc);
    assert!(!app.quit);
    assert_eq!(app.view, View::Exchanges);
    assert!(app.exchange.is_none());
    assert!(screen(&app).contains(" Exchanges: 5 "));
}

#[test]
fn proxy_news_reaches_the_open_exchange() {
    let mut app = proxy_app();
    // The event stream, open while it goes on.
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.exchange.as_ref().unwrap().chunks, 1);
    proxied(&mut app, 3, 1000.0, &chunk("data: tick 2\n\n"));
    let x = app.exchange.as_ref().unwrap();
    assert_eq!((x.chunks, x.events.total()), (2, 2));
    assert_eq!(app.selected, 1, "following the newest chunk");
    // The server closes: the stream breaks off before its last-chunk.
    app.handle(Event::Proxy(News::Closed {
        exchange: 3,
        at: ms(1500.0),
    }));
    assert!(matches!(
        app.exchange.as_ref().unwrap().state,
        State::Failed(_)
    ));
    key(&mut app, KeyCode::Backspace);
    let text = screen(&app);
    assert!(text.contains("errors 2"), "{text}");
}

#[test]
fn proxy_keeps_the_newest_exchanges() {
    let mut app = proxy_app();
    let max = tui::exchanges::MAX_EXCHANGES as u64;
    for id in 6..=max + 8 {
        request(&mut app, id, 2000.0, "/again");
    }
    let list = app.exchanges.as_ref().unwrap();
    assert_eq!(list.total(), max + 8);
    assert_eq!(list.evicted(), 8);
    assert_eq!(list.items().count() as u64, max);
    assert!(screen(&app).contains("evicted: 8 oldest"));
}
