//! The live terminal UI: every chunk of a response as it arrives.
//!
//! Three parts, after ratatui's async examples:
//! - [`app`]: the state, changed only by [`App::handle`], which does no I/O;
//! - [`ui`]: drawing, a pure function of the state;
//! - this runtime, which owns the terminal and the threads.
//!
//! Everything reaches the app as one [`Event`] enum: ticks and terminal
//! input from a tokio task, and capture news from a thread that does
//! nothing but read the socket. Ticks, keys and signals come on
//! a channel of their own that the loop always empties first; capture
//! news is taken in batches of at most [`BATCH`] events or half a frame,
//! then the loop draws (at most once a frame) and looks at the keys
//! again. So a flood of chunks is batched into few draws, the capture
//! never waits for drawing, and no flood keeps `q` from acting.
//!
//! # Layout
//! - [`exchange`]: one request and its response, stored compactly.
//! - [`app`]: views, selection, keys, and the commands they cause.
//! - [`exchanges`]: `inspector proxy`'s list of exchanges, each an
//!   [`exchange`] that Enter opens in the other views.
//! - [`ui`]: the views, drawn from the state.
//! - [`theme`]: styles, and `NO_COLOR`.

pub mod app;
pub mod exchange;
pub mod exchanges;
pub mod theme;
pub mod ui;

use crate::recording::{Event as Recorded, Pace, Reader};
use crate::svg;
use crate::target::Target;
use crate::transport::{self, Writer};
use std::io::{self, Stdout};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use std::{panic, thread};

use crossterm::event::{
    DisableMouseCapture, EnableMouseCapture, Event as Input, EventStream,
    KeyCode, KeyEvent, KeyModifiers,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode,
    enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect, Size};
use ratatui::widgets::Widget as _;
use tokio::sync::mpsc;
use tokio_stream::StreamExt as _;

pub use app::{App, Capture, Command, Demo, Event, Options, View};

use crate::capture::Live;

/// About 60 frames a second: smooth, and far fewer draws than events.
pub const FRAME: Duration = Duration::from_micros(16_667);

/// Events the channel holds before a sender waits. Ticks and keys are
/// few; capture reads are the many. At 100k reads a second this is 40 ms
/// of slack, twenty times a slow frame, so the capture thread does not
/// wait while a frame is drawn. If the app ever fell that far behind in
/// ingesting, the thread would wait and TCP would slow the server: memory
/// stays bounded (at most this many reads of 64 KiB) instead of growing.
const CHANNEL: usize = 4096;

/// Room for ticks, keys and signals, which the loop takes before any
/// capture news: a few frames' worth.
const KEYS: usize = 64;

/// The most capture events taken in per frame (with at most half a frame
/// of time). The rest wait in the channel, so that a flood never keeps
/// the loop from drawing and from reading the keyboard: `q` acts within
/// a frame or two whatever arrives.
pub const BATCH: usize = 1024;

/// Takes in at most `limit` of the events waiting in `rx`, stopping early
/// at `deadline` or once the app quits; `run` carries out the commands
/// they cause. Returns how many were taken: the rest stay queued.
pub fn ingest(
    app: &mut App,
    rx: &mut mpsc::Receiver<Event>,
    limit: usize,
    deadline: Instant,
    mut run: impl FnMut(Command),
) -> usize {
    let mut taken = 0;
    while taken < limit && !app.quit {
        // One event at least, so that a slow one still makes progress.
        if taken > 0 && Instant::now() >= deadline {
            break;
        }
        let Ok(event) = rx.try_recv() else { break };
        taken += 1;
        if let Some(c) = app.handle(event) {
            run(c);
        }
    }
    taken
}

/// What the TUI opens on.
#[derive(Debug)]
pub enum Start {
    /// Inspect this URL at once.
    Url(String),
    /// The tour: a picker of these streams.
    Tour(Vec<Demo>),
    /// A recording, replayed at once, or at `speed` times its pace.
    Replay {
        recording: Box<Reader<io::BufReader<std::fs::File>>>,
        speed: Option<f64>,
    },
    /// The exchanges of this proxy (started with its reads), which
    /// forwards to `to`.
    Proxy {
        proxy: crate::proxy::Proxy,
        to: String,
    },
}

/// Runs the TUI until the user quits. The terminal is restored however
/// this ends: return, error or panic. Returns false if the response on
/// screen at the end had failed, as the headless modes exit 1 then.
pub fn run(start: Start, options: Options) -> io::Result<bool> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Listen for signals before taking the terminal: one that came in
    // between would end the process with the terminal still raw.
    let stop = {
        let _context = runtime.enter();
        Stop::listen()?
    };
    let mut terminal = TerminalGuard::enter()?;
    let size = terminal.terminal.size()?;
    runtime.block_on(event_loop(&mut terminal, stop, start, options, size))
}

async fn event_loop(
    guard: &mut TerminalGuard,
    stop: Stop,
    start: Start,
    options: Options,
    size: Size,
) -> io::Result<bool> {
    let (tx, mut rx) = mpsc::channel(CHANNEL);
    // Ticks, keys and signals have a channel of their own, which the loop
    // always looks at first.
    let (keys_tx, mut keys) = mpsc::channel(KEYS);
    tokio::spawn(ticks_and_input(keys_tx, stop));
    let mut capture = None;
    let mut app = match start {
        Start::Url(url) => {
            let (app, command) = App::inspect(&url, options, size);
            run_command(command, &mut capture, &tx);
            app
        }
        Start::Tour(demos) => App::tour(demos, options, size),
        Start::Replay { recording, speed } => {
            replaying(*recording, speed, options, size, tx.clone())
        }
        Start::Proxy { proxy, to } => {
            tell_proxy_news(proxy.news, tx.clone());
            App::proxy(proxy.addr, to, options, size)
        }
    };
    guard.draw(&app)?;
    loop {
        // Wait for anything, the user first: under a flood of capture
        // news a key or a signal must not queue behind it.
        let event = tokio::select! {
            biased;
            event = keys.recv() => event,
            event = rx.recv() => event,
        };
        let Some(event) = event else { break };
        let mut frame_due = matches!(event, Event::Tick);
        if let Some(c) = app.handle(event) {
            run_command(c, &mut capture, &tx);
        }
        // Everything the user did, then a bounded batch of news: at most
        // BATCH events or half a frame, so that drawing and input keep up
        // whatever the capture sends. The rest waits in the channel, and
        // a full channel slows the capture thread, then TCP, the server.
        while !app.quit {
            let Ok(event) = keys.try_recv() else { break };
            frame_due |= matches!(event, Event::Tick);
            if let Some(c) = app.handle(event) {
                run_command(c, &mut capture, &tx);
            }
        }
        let deadline = Instant::now() + FRAME / 2;
        ingest(&mut app, &mut rx, BATCH, deadline, |c| {
            run_command(c, &mut capture, &tx);
        });
        if app.quit {
            break;
        }
        if frame_due && app.dirty {
            guard.draw(&app)?;
            app.dirty = false;
        }
        // Let the task that reads keys and signals run: with news always
        // waiting, this loop would otherwise not give the runtime back
        // until tokio's budget ran out, 128 batches later (a second and
        // more under a flood).
        tokio::task::yield_now().await;
    }
    draw_svg(&app)?;
    Ok(!failed(&app))
}

/// `--svg`: the exchange's Timeline as a picture, once the run is over.
fn draw_svg(app: &App) -> io::Result<()> {
    match (&app.options.svg, &app.exchange) {
        (Some(path), Some(x)) => svg::save(path, &[x.lane()]),
        _ => Ok(()),
    }
}

/// Passes the proxy's news on to the app, from a thread of its own: the
/// proxy's channel is a blocking one. The proxy never waits for it.
fn tell_proxy_news(
    news: std::sync::mpsc::Receiver<crate::proxy::News>,
    tx: mpsc::Sender<Event>,
) {
    thread::spawn(move || {
        for news in news {
            if tx.blocking_send(Event::Proxy(news)).is_err() {
                return;
            }
        }
    });
}

/// Whether the exchange on screen failed; the proxy's failures are its
/// exchanges', not its own.
fn failed(app: &App) -> bool {
    app.exchanges.is_none()
        && app
            .exchange
            .as_ref()
            .is_some_and(|x| matches!(x.state, exchange::State::Failed(_)))
}

/// What [`screen`] took.
#[derive(Debug)]
pub struct Screen {
    /// The screen as lines of text.
    pub text: String,
    /// Whether the response was complete and valid by then.
    pub complete: bool,
    /// Whether the response was still going when `limit` came.
    pub cut: bool,
}

/// Inspects a URL, or replays a recording, without a terminal, and
/// returns the screen drawn at `size` in `view`: what `inspector --screen`
/// prints, and how the book shows the TUI. The screen is taken once the
/// response is over, or after `limit` for a stream that goes on.
pub fn screen(
    start: Start,
    options: Options,
    size: Size,
    view: View,
    limit: Option<Duration>,
) -> io::Result<Screen> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let (tx, mut rx) = mpsc::channel(CHANNEL);
    let mut capture = None;
    // Ticks only to close a WebSocket on time: the screen's clock is the
    // capture's.
    let ticking = options.close_after.is_some();
    // A live capture keeps a sender, to start and to write on; a replay
    // has the only one, so that the channel closes where the recording
    // does, even if it holds no end.
    let (mut app, tx, mut over) = match start {
        Start::Url(url) => {
            let (app, command) = App::inspect(&url, options, size);
            // A URL that does not parse says Stop at once.
            let over = matches!(command, Command::Stop);
            run_command(command, &mut capture, &tx);
            (app, Some(tx), over)
        }
        Start::Replay { recording, speed } => {
            (replaying(*recording, speed, options, size, tx), None, false)
        }
        Start::Tour(_) | Start::Proxy { .. } => {
            let why = "a screen is of one URL or one recording";
            return Err(io::Error::new(io::ErrorKind::InvalidInput, why));
        }
    };
    let deadline = limit.map(|limit| tokio::time::Instant::now() + limit);
    let mut cut = false;
    runtime.block_on(async {
        let mut tick = tokio::time::interval(FRAME);
        // The capture reports until the response is over, and the app
        // then says Stop.
        while !over {
            let timeout = async {
                match deadline {
                    Some(deadline) => tokio::time::sleep_until(deadline).await,
                    None => std::future::pending().await,
                }
            };
            let event = tokio::select! {
                event = rx.recv() => event,
                _ = tick.tick(), if ticking => Some(Event::Tick),
                () = timeout => {
                    cut = true;
                    break;
                }
            };
            let Some(event) = event else { break };
            if let Some(command) = app.handle(event) {
                over = matches!(command, Command::Stop);
                if let Some(tx) = &tx {
                    run_command(command, &mut capture, tx);
                }
            }
        }
    });
    app.view = view;
    draw_svg(&app)?;
    let complete = app
        .exchange
        .as_ref()
        .is_some_and(|x| x.state == exchange::State::Complete);
    Ok(Screen {
        text: text(&app, size),
        complete,
        cut,
    })
}

/// The screen as lines of text, trailing spaces trimmed.
pub fn text(app: &App, size: Size) -> String {
    let area = Rect::from((Position::ORIGIN, size));
    let mut buf = Buffer::empty(area);
    app.render(area, &mut buf);
    let mut out = String::new();
    for y in 0..size.height {
        let line: String =
            (0..size.width).map(|x| buf[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Sends a tick every frame, each terminal input as it comes, and a quit
/// when the process is asked to stop.
async fn ticks_and_input(tx: mpsc::Sender<Event>, mut stop: Stop) {
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(FRAME);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let event = tokio::select! {
            _ = tick.tick() => Event::Tick,
            input = input.next() => match input {
                Some(Ok(input)) => Event::Input(input),
                // The terminal is gone: nothing more can be shown.
                Some(Err(_)) | None => ctrl_c(),
            },
            () = stop.recv() => ctrl_c(),
        };
        if tx.send(event).await.is_err() {
            return;
        }
    }
}

/// Signals that ask the process to stop: SIGINT (in raw mode Ctrl-C is a
/// key, so this one comes from `kill`), SIGTERM and SIGHUP (the terminal
/// closed). Each becomes a quit, so the terminal is restored.
///
/// The listeners are made once: a listener made anew on each pass of a
/// `select!` loop can be dropped after the signal woke it, and the signal
/// is lost, with the default action already replaced.
#[derive(Debug)]
struct Stop {
    #[cfg(unix)]
    signals: [tokio::signal::unix::Signal; 3],
}

impl Stop {
    fn listen() -> io::Result<Stop> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Stop {
                signals: [
                    signal(SignalKind::interrupt())?,
                    signal(SignalKind::terminate())?,
                    signal(SignalKind::hangup())?,
                ],
            })
        }
        #[cfg(not(unix))]
        Ok(Stop {})
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        {
            let [int, term, hup] = &mut self.signals;
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            // Made once per call, which is once: the loop quits after it.
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn ctrl_c() -> Event {
    Event::Input(Input::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )))
}

fn run_command(
    command: Command,
    capture: &mut Option<CaptureThread>,
    tx: &mpsc::Sender<Event>,
) {
    match command {
        Command::Start {
            id,
            target,
            request,
            transport,
        } => {
            // Dropping the old capture closes its connection.
            let dial = Dial {
                target,
                request,
                transport,
            };
            *capture = Some(CaptureThread::spawn(id, dial, tx.clone()));
        }
        Command::Send(bytes) => {
            if let Some(capture) = capture {
                capture.send(&bytes);
            }
        }
        Command::Stop => *capture = None,
        Command::Quit => {}
    }
}

/// What a capture connects to, and sends.
struct Dial {
    target: Target,
    request: Vec<u8>,
    transport: transport::Options,
}

/// The connection's writing end, once connected; and whether the capture
/// was stopped, so that the thread must not start reading.
type Socket = Mutex<(bool, Option<Writer>)>;

/// A thread that reads a recording and reports its events as a capture's
/// thread reports a live connection's: the app cannot tell them apart.
/// The app for a recording's exchange, which `replay` plays into `tx`.
fn replaying(
    recording: Reader<io::BufReader<std::fs::File>>,
    speed: Option<f64>,
    options: Options,
    size: Size,
    tx: mpsc::Sender<Event>,
) -> App {
    let header = recording.header();
    let app = App::replay(
        &header.url,
        header.request.clone(),
        header.connection().as_ref(),
        options,
        size,
    );
    replay(recording, speed, tx);
    app
}

fn replay(
    mut recording: Reader<io::BufReader<std::fs::File>>,
    speed: Option<f64>,
    tx: mpsc::Sender<Event>,
) {
    thread::spawn(move || {
        let pace = speed.map(Pace::new);
        loop {
            let news = match recording.next_event() {
                Ok(Some(event)) => event,
                Ok(None) => return,
                Err(e) => Recorded::Failed {
                    at: Duration::ZERO,
                    message: e.to_string(),
                    tls: false,
                },
            };
            if let Some(pace) = &pace {
                pace.wait(news.at());
            }
            let (capture, more) = match news {
                Recorded::In(at, bytes) => (Capture::Read(at, bytes), true),
                Recorded::Out(at, bytes) => (Capture::Sent(at, bytes), true),
                Recorded::Eof(at) => (Capture::Closed(at), false),
                Recorded::Failed { at, message, .. } => {
                    (Capture::Failed(at, message), false)
                }
            };
            if tx.blocking_send(Event::Capture(1, capture)).is_err() || !more {
                return;
            }
        }
    });
}

/// A thread that connects, writes the request, and reports each read.
/// Dropping it shuts the connection down, which ends the thread.
#[derive(Debug)]
struct CaptureThread {
    /// A handle on the connection, to write on it and shut it down from
    /// here; `None` until connected.
    socket: Arc<Socket>,
}

impl CaptureThread {
    fn spawn(id: u64, dial: Dial, tx: mpsc::Sender<Event>) -> CaptureThread {
        let socket = Arc::new(Mutex::new((false, None)));
        let shared = Arc::clone(&socket);
        thread::spawn(move || {
            let started = Instant::now();
            // `blocking_send` waits only if the app is a whole channel
            // behind (see CHANNEL); it fails once the app has quit.
            let send = |c| tx.blocking_send(Event::Capture(id, c)).is_ok();
            let mut live = match connect(&dial, &shared) {
                Ok(Some(live)) => live,
                Ok(None) => return,
                Err(e) => {
                    send(Capture::Failed(started.elapsed(), e.to_string()));
                    return;
                }
            };
            if !send(Capture::Connected(live.connection().cloned())) {
                return;
            }
            loop {
                let news = match live.next_read() {
                    Ok(Some((at, bytes))) => Capture::Read(at, bytes.to_vec()),
                    Ok(None) => Capture::Closed(live.elapsed()),
                    // Shut down from our side: no news.
                    Err(_) if stopped(&shared) => return,
                    Err(e) => Capture::Failed(live.elapsed(), e.to_string()),
                };
                let more = matches!(news, Capture::Read(..));
                if !send(news) || !more {
                    return;
                }
            }
        });
        CaptureThread { socket }
    }
}

impl CaptureThread {
    /// Writes `bytes` on the connection. A failure shows up as the
    /// reading thread's.
    fn send(&self, bytes: &[u8]) {
        let mut socket =
            self.socket.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(writer) = socket.1.as_mut() {
            let _ = writer.write_all(bytes);
        }
    }
}

/// Connects and writes the request, unless stopped meanwhile.
fn connect(dial: &Dial, socket: &Socket) -> io::Result<Option<Live>> {
    let live = Live::open(&dial.target, &dial.request, &dial.transport)?;
    let mut socket = socket.lock().unwrap_or_else(PoisonError::into_inner);
    if socket.0 {
        return Ok(None);
    }
    socket.1 = Some(live.writer()?);
    Ok(Some(live))
}

fn stopped(socket: &Socket) -> bool {
    socket.lock().unwrap_or_else(PoisonError::into_inner).0
}

impl Drop for CaptureThread {
    fn drop(&mut self) {
        let mut socket =
            self.socket.lock().unwrap_or_else(PoisonError::into_inner);
        socket.0 = true;
        if let Some(writer) = &socket.1 {
            // Wakes the thread's blocking read; it sees `stopped` and ends.
            let _ = writer.shutdown();
        }
    }
}

/// The terminal in raw mode on the alternate screen, restored on drop and
/// by a panic hook: a TUI that dies must not leave a broken shell.
struct TerminalGuard {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    fn enter() -> io::Result<TerminalGuard> {
        restore_before_panic_messages(restore);
        enable_raw_mode()?;
        let mut stdout = io::stdout();
        if let Err(e) =
            execute!(stdout, EnterAlternateScreen, EnableMouseCapture)
        {
            restore();
            return Err(e);
        }
        let terminal = Terminal::new(CrosstermBackend::new(stdout))?;
        Ok(TerminalGuard { terminal })
    }

    fn draw(&mut self, app: &App) -> io::Result<()> {
        self.terminal
            .draw(|frame| frame.render_widget(app, frame.area()))?;
        Ok(())
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
        let _ = self.terminal.show_cursor();
    }
}

/// Makes a panic call `restore` before the usual hook prints its message,
/// so that the message lands on a working screen, not the alternate one
/// about to be cleared.
fn restore_before_panic_messages(restore: fn()) {
    let hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        restore();
        hook(info);
    }));
}

/// Leaves the alternate screen and raw mode. Safe to call twice.
fn restore() {
    let _ = execute!(io::stdout(), DisableMouseCapture, LeaveAlternateScreen);
    let _ = disable_raw_mode();
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    static RESTORED: AtomicBool = AtomicBool::new(false);

    /// An app inspecting a close-delimited body, its head already in.
    fn streaming_app() -> App {
        let size = Size::new(80, 24);
        let (mut app, _start) =
            App::inspect("http://127.0.0.1:1/", Options::default(), size);
        app.handle(Event::Capture(1, Capture::Connected(None)));
        let head = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        app.handle(Event::Capture(1, Capture::Read(Duration::ZERO, head)));
        app
    }

    #[test]
    fn a_frame_takes_in_at_most_a_batch_and_leaves_the_rest_queued() {
        const FLOOD: usize = 1_000_000;
        let mut app = streaming_app();
        let (tx, mut rx) = mpsc::channel(FLOOD);
        for i in 0..FLOOD as u64 {
            let read = Capture::Read(Duration::from_micros(i), vec![b'x']);
            tx.try_send(Event::Capture(1, read)).unwrap();
        }
        let far = Instant::now() + Duration::from_secs(3600);
        let taken = ingest(&mut app, &mut rx, BATCH, far, |_| {});
        assert_eq!(taken, BATCH);
        assert_eq!(rx.len(), FLOOD - BATCH);
        let x = app.exchange.as_ref().unwrap();
        assert_eq!(x.body_bytes, BATCH as u64);
        // A frame whose time is up still takes one, so that news moves
        // on, and no more.
        let taken = ingest(&mut app, &mut rx, BATCH, Instant::now(), |_| {});
        assert_eq!(taken, 1);
        assert_eq!(rx.len(), FLOOD - BATCH - 1);
    }

    #[test]
    fn a_quit_stops_the_batch() {
        let mut app = streaming_app();
        let (tx, mut rx) = mpsc::channel(16);
        tx.try_send(ctrl_c()).unwrap();
        for _ in 0..10 {
            let read = Capture::Read(Duration::ZERO, vec![b'x']);
            tx.try_send(Event::Capture(1, read)).unwrap();
        }
        let far = Instant::now() + Duration::from_secs(3600);
        assert_eq!(ingest(&mut app, &mut rx, BATCH, far, |_| {}), 1);
        assert!(app.quit);
        assert_eq!(rx.len(), 10);
    }

    #[test]
    fn a_panic_restores_the_terminal_first() {
        restore_before_panic_messages(|| {
            RESTORED.store(true, Ordering::SeqCst)
        });
        let panicked = panic::catch_unwind(|| panic!("in a frame"));
        // The hook is the process's: put back the default for other tests.
        let _ = panic::take_hook();
        assert!(panicked.is_err());
        assert!(RESTORED.load(Ordering::SeqCst));
    }
}
