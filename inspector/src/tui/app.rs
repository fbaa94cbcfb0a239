//! The TUI's state, and how each event changes it.
//!
//! [`App::handle`] is the only way state changes, and it does no I/O: it
//! returns a [`Command`] for the runtime to carry out (start or stop a
//! capture, quit). That keeps the app drivable by scripted events in
//! tests, and drawing a pure function of it (see `ui.rs`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossterm::event::{
    Event as Input, KeyCode, KeyEvent, KeyEventKind, KeyModifiers,
    MouseEventKind,
};
use ratatui::layout::Size;

use super::exchange::{Exchange, MAX_ROWS, State};
use super::exchanges::Exchanges;
use super::theme::Theme;
use crate::proxy::News;
use crate::target::{Request, Target};
use crate::transport::{self, Connection};

/// Everything that can happen to the app, over one channel.
#[derive(Debug)]
pub enum Event {
    /// About 60 times a second: time to draw what changed.
    Tick,
    /// A key press, a mouse wheel, a resize.
    Input(Input),
    /// News from the capture numbered `.0`. Older captures' news is
    /// ignored: `r` replaces the capture, and its thread may still talk.
    Capture(u64, Capture),
    /// News from `inspector proxy`.
    Proxy(News),
}

/// What the capture thread reports.
#[derive(Debug)]
pub enum Capture {
    /// Connected, and the request is written; how: the connect's time
    /// (about a round trip), and TLS's details.
    Connected(Option<Connection>),
    /// A read returned these bytes, this long after the request.
    Read(Duration, Vec<u8>),
    /// Replaying a recording: the inspector wrote these bytes then.
    Sent(Duration, Vec<u8>),
    /// The server closed the connection.
    Closed(Duration),
    /// Connecting, writing or reading failed.
    Failed(Duration, String),
}

/// What the runtime should do after an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Stop any capture, and start capture `id`: send `request` to
    /// `target`, connecting as `transport` says.
    Start {
        id: u64,
        target: Target,
        request: Vec<u8>,
        transport: transport::Options,
    },
    /// Write these bytes to the server: WebSocket frames.
    Send(Vec<u8>),
    /// The response is over: close the connection.
    Stop,
    Quit,
}

/// One stream the tour offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demo {
    /// Such as `lesson 02: chunked by hand`.
    pub title: String,
    /// What the row shows, in a sentence.
    pub idea: String,
    pub url: String,
    /// The same from another terminal: a curl command, by default.
    pub command: String,
    /// The request to send, if not the options' (a `Last-Event-ID`).
    pub request: Option<Request>,
    /// With a WebSocket: text messages to send once it is open.
    pub send: Vec<String>,
    /// How many requests go on the one connection, one after another,
    /// as `--repeat` sends them (HTTP/1.1 keep-alive): 1 for most rows.
    pub repeat: u64,
}

impl Demo {
    /// A row that sends the options' request to `url`, once.
    pub fn new(title: &str, idea: &str, url: &str) -> Demo {
        Demo {
            title: title.to_owned(),
            idea: idea.to_owned(),
            url: url.to_owned(),
            // Quoted: a shell takes `&` in a query for "in the background".
            command: format!("curl -sS --raw -N '{url}'"),
            request: None,
            send: Vec::new(),
            repeat: 1,
        }
    }
}

/// Requests sent one after another on one connection (a [`Demo`]'s
/// `repeat`): which one is on screen, and what the connection said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeepAlive {
    /// The request on screen, from 1, and how many the run sends.
    pub request: u64,
    pub of: u64,
    /// When it was written, counted from the first request: the capture
    /// thread times every read from there.
    since: Duration,
    /// Why the server ended the connection before the last request.
    pub ended: Option<String>,
}

/// The views Tab cycles through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The tour's picker; only with demos.
    Lessons,
    /// The proxy's exchanges; only in proxy mode.
    Exchanges,
    Chunks,
    Timeline,
    Reads,
    Raw,
    Headers,
}

impl View {
    pub const ALL: [View; 7] = [
        View::Lessons,
        View::Exchanges,
        View::Chunks,
        View::Timeline,
        View::Reads,
        View::Raw,
        View::Headers,
    ];

    pub fn name(self) -> &'static str {
        match self {
            View::Lessons => "Lessons",
            View::Exchanges => "Exchanges",
            View::Chunks => "Chunks",
            View::Timeline => "Timeline",
            View::Reads => "Reads",
            View::Raw => "Raw",
            View::Headers => "Headers",
        }
    }
}

/// How to make requests.
#[derive(Debug, Clone)]
pub struct Options {
    /// The method, extra fields and body of every request.
    pub request: Request,
    /// TLS's trust, and whether to speak HTTP/2.
    pub transport: transport::Options,
    /// With a WebSocket: text messages to send once it is open, and when
    /// to close it, after the request.
    pub send: Vec<String>,
    pub close_after: Option<Duration>,
    /// Wire bytes kept for the hex and raw views.
    pub budget: usize,
    /// Chunk rows and reads kept.
    pub max_rows: usize,
    pub theme: Theme,
    /// `--svg`: where to draw the exchange's Timeline once the run is
    /// over. The exchange then keeps its records for it.
    pub svg: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            request: Request::default(),
            transport: transport::Options::default(),
            send: Vec::new(),
            close_after: None,
            budget: super::exchange::DEFAULT_BUDGET,
            max_rows: MAX_ROWS,
            theme: Theme::from_env(),
            svg: None,
        }
    }
}

/// The whole state of the TUI.
#[derive(Debug)]
pub struct App {
    pub options: Options,
    /// The tour's streams; empty when inspecting one URL.
    pub demos: Vec<Demo>,
    /// The picker's cursor, its first row shown, and the demo being
    /// inspected.
    pub cursor: usize,
    pub lessons_scroll: u64,
    pub picked: Option<usize>,
    /// With a demo's `repeat`: where its run of requests is.
    pub keep_alive: Option<KeepAlive>,
    /// In proxy mode, its exchanges; the one open in the other views is
    /// `exchange` meanwhile.
    pub exchanges: Option<Exchanges>,
    /// Showing a recording: nothing is sent.
    pub replaying: bool,
    /// The current exchange, and its capture's number.
    pub exchange: Option<Exchange>,
    pub capture_id: u64,
    started: Option<Instant>,
    pub view: View,
    /// The selected chunk row and read, by number.
    pub selected: u64,
    pub selected_read: u64,
    /// The first row shown in the chunk and read tables.
    pub scroll: u64,
    pub read_scroll: u64,
    /// Lines scrolled in the detail pane and in the headers view.
    pub detail_scroll: u16,
    pub headers_scroll: u16,
    /// Keep the newest chunk and read selected as they arrive.
    pub follow: bool,
    pub help: bool,
    /// A WebSocket message being typed (`m`), sent with Enter.
    pub compose: Option<String>,
    /// The terminal's size, and how many table rows it shows: a page.
    pub size: Size,
    page: u16,
    pub quit: bool,
    /// Whether anything shown changed since the last draw.
    pub dirty: bool,
}

impl App {
    /// An app that inspects `url` at once.
    pub fn inspect(url: &str, options: Options, size: Size) -> (App, Command) {
        let mut app = App::new(Vec::new(), options, size);
        app.view = View::Chunks;
        app.layout_changed();
        let start = app.start(url.to_owned());
        (app, start)
    }

    /// An app that shows a recording of a request to `url`, as the
    /// [`Capture`] news of its replay comes: the request as recorded, on
    /// the connection recorded. Nothing is sent again.
    pub fn replay(
        url: &str,
        request: Vec<u8>,
        connection: Option<&Connection>,
        options: Options,
        size: Size,
    ) -> App {
        let mut app = App::new(Vec::new(), options, size);
        app.view = View::Chunks;
        app.layout_changed();
        app.replaying = true;
        app.capture_id = 1;
        app.started = Some(Instant::now());
        let method = request.split(|&b| b == b' ').next().unwrap_or(b"GET");
        let method = String::from_utf8_lossy(method).into_owned();
        let o = &app.options;
        let mut x = Exchange::new(&method, url, request, o.budget, o.max_rows)
            .replaying()
            .keeping_records(o.svg.is_some());
        x.connected(connection);
        app.exchange = Some(x);
        app
    }

    /// An app that offers `demos` in a picker.
    pub fn tour(demos: Vec<Demo>, options: Options, size: Size) -> App {
        App::new(demos, options, size)
    }

    /// An app that lists the exchanges of the proxy at `listen`, which
    /// forwards to `to`, as [`Event::Proxy`] news of them comes.
    pub fn proxy(
        listen: std::net::SocketAddr,
        to: String,
        options: Options,
        size: Size,
    ) -> App {
        let exchanges = Exchanges::new(listen, to, &options);
        let mut app = App::new(Vec::new(), options, size);
        app.exchanges = Some(exchanges);
        app.view = View::Exchanges;
        app.layout_changed();
        app
    }

    fn new(demos: Vec<Demo>, options: Options, size: Size) -> App {
        let mut app = App {
            options,
            demos,
            cursor: 0,
            lessons_scroll: 0,
            picked: None,
            keep_alive: None,
            exchanges: None,
            replaying: false,
            exchange: None,
            capture_id: 0,
            started: None,
            view: View::Lessons,
            selected: 0,
            selected_read: 0,
            scroll: 0,
            read_scroll: 0,
            detail_scroll: 0,
            headers_scroll: 0,
            follow: true,
            help: false,
            compose: None,
            size,
            page: 1,
            quit: false,
            dirty: true,
        };
        app.layout_changed();
        app
    }

    /// The size or the view changed: so may the page.
    fn layout_changed(&mut self) {
        // Kept, not computed per event: every capture event scrolls to
        // the newest row, and laying the screen out each time was a third
        // of the cost of taking in a small chunk.
        self.page = super::ui::table_height(self);
        self.keep_visible();
    }

    /// The views Tab visits: the picker only in the tour, the list of
    /// exchanges only in proxy mode.
    pub fn views(&self) -> impl Iterator<Item = View> + '_ {
        View::ALL.into_iter().filter(|&v| match v {
            View::Lessons => !self.demos.is_empty(),
            View::Exchanges => self.exchanges.is_some(),
            _ => true,
        })
    }

    /// Changes the state for `event`; returns what the runtime must do.
    pub fn handle(&mut self, event: Event) -> Option<Command> {
        let command = self.apply(event);
        // A message being typed has nowhere to go once either side has
        // closed the WebSocket.
        if !self.websocket_open() {
            self.compose = None;
        }
        command
    }

    fn apply(&mut self, event: Event) -> Option<Command> {
        match event {
            // Every exchange's clock runs while its bytes are awaited.
            Event::Tick if self.exchanges.is_some() => {
                let list = self.exchanges.as_mut()?;
                self.dirty |= list.tick(&mut self.exchange);
                None
            }
            Event::Tick => {
                // The elapsed clock runs while bytes are awaited.
                let (Some(x), Some(started)) =
                    (&mut self.exchange, self.started)
                else {
                    return None;
                };
                if x.is_over() {
                    return None;
                }
                let elapsed = started.elapsed();
                x.tick(elapsed);
                self.dirty = true;
                // A WebSocket the user asked to close by now.
                if self.options.close_after.is_some_and(|d| elapsed >= d) {
                    return self.act_on_websocket(Exchange::close);
                }
                None
            }
            Event::Input(input) => self.input(input),
            Event::Capture(id, capture) if id == self.capture_id => {
                self.capture(capture)
            }
            // A capture that `r` replaced: its news is stale.
            Event::Capture(..) => None,
            Event::Proxy(news) => {
                let list = self.exchanges.as_mut()?;
                let open = list.take(news, &mut self.exchange);
                self.dirty = true;
                if open && self.follow {
                    self.follow_newest();
                } else {
                    self.keep_visible();
                }
                None
            }
        }
    }

    fn capture(&mut self, capture: Capture) -> Option<Command> {
        let x = self.exchange.as_mut()?;
        let was_over = x.is_over();
        // The capture times reads from the connection's first request;
        // the exchange on screen, from its own.
        let since =
            self.keep_alive.as_ref().map_or(Duration::ZERO, |k| k.since);
        let mut past_the_end = &[][..];
        let mut at_end = Duration::ZERO;
        match &capture {
            Capture::Connected(connection) => {
                x.connected(connection.as_ref());
                // From here the clock is the capture's, which starts as
                // the request is written (to within the channel's delay):
                // the frames the app sends are timed on it.
                self.started = Some(Instant::now());
                // Over HTTP/2 requests go side by side, as streams: there
                // is no next request on the connection to show.
                if connection.as_ref().is_some_and(|c| c.http2) {
                    self.keep_alive = None;
                }
            }
            Capture::Read(at, bytes) => {
                // The exchange takes the bytes of its response only (its
                // wire grows by them); the rest begins the next one's.
                let before = x.wire.end();
                x.read(at.saturating_sub(since), bytes);
                at_end = *at;
                let used = usize::try_from(x.wire.end() - before);
                past_the_end = bytes.get(used.unwrap_or(0)..).unwrap_or(&[]);
            }
            Capture::Sent(at, bytes) => x.sent(at.saturating_sub(since), bytes),
            Capture::Closed(at) => x.eof(at.saturating_sub(since)),
            Capture::Failed(at, error) => {
                x.failed(at.saturating_sub(since), error.clone());
            }
        }
        self.dirty = true;
        if self.follow {
            self.follow_newest();
        }
        // Once the response is over nothing more is read, unless the next
        // request goes on this connection: a keep-alive server would
        // otherwise hold it open.
        if x_is_over(&self.exchange) {
            if was_over {
                return None;
            }
            let early = past_the_end.to_vec();
            let next = self.next_request(at_end, early);
            return Some(next.unwrap_or(Command::Stop));
        }
        // A WebSocket's answers: pongs, closes, the messages to send.
        let out = self.exchange.as_mut()?.outgoing();
        (!out.is_empty()).then_some(Command::Send(out))
    }

    fn input(&mut self, input: Input) -> Option<Command> {
        match input {
            // Key releases and repeats arrive too on some terminals; only
            // presses count.
            Input::Key(key) if key.kind == KeyEventKind::Press => {
                self.dirty = true;
                self.key(key)
            }
            Input::Mouse(mouse) => {
                match mouse.kind {
                    MouseEventKind::ScrollUp => self.step(-3),
                    MouseEventKind::ScrollDown => self.step(3),
                    _ => return None,
                }
                self.dirty = true;
                None
            }
            Input::Resize(width, height) => {
                self.size = Size::new(width, height);
                self.dirty = true;
                self.layout_changed();
                None
            }
            _ => None,
        }
    }

    fn key(&mut self, key: KeyEvent) -> Option<Command> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            self.quit = true;
            return Some(Command::Quit);
        }
        if self.compose.is_some() {
            return self.compose_key(key);
        }
        // Help is a popup: the next key closes it (q still quits).
        if self.help && !matches!(key.code, KeyCode::Char('q')) {
            self.help = false;
            return None;
        }
        if self.exchanges.is_some() {
            return self.proxy_key(key);
        }
        // A recording is what it is: nothing is sent, nor sent again.
        let sends =
            matches!(key.code, KeyCode::Enter | KeyCode::Char('r' | 'm' | 'c'));
        if self.replaying && sends {
            return None;
        }
        self.common_key(key)
    }

    /// After a response completed by a read at `at` (on the capture's
    /// clock), the next request of a keep-alive run, on the same
    /// connection, as `--repeat` sends it: a new exchange on screen, fed
    /// `early`, any bytes the server sent before it was asked. None when
    /// the run is over, or the server ended it.
    fn next_request(
        &mut self,
        at: Duration,
        early: Vec<u8>,
    ) -> Option<Command> {
        let k = self.keep_alive.as_mut().filter(|k| k.request < k.of)?;
        let x = self
            .exchange
            .as_ref()
            .filter(|x| x.state == State::Complete)?;
        // RFC 9112 §9.6: no request follows a response that said the
        // connection ends with it.
        if let Some(why) = x.closes_connection() {
            k.ended =
                Some(format!("request {} not sent: {why}", k.request + 1));
            return None;
        }
        k.request += 1;
        // It goes out now, as that read came in, to within the channel's
        // delay: its exchange's clock starts there.
        k.since = at;
        self.started = Some(Instant::now());
        let o = &self.options;
        let request = x.request.clone();
        let mut next = Exchange::new(
            &x.method,
            &x.url,
            request.clone(),
            o.budget,
            o.max_rows,
        )
        .keeping_records(o.svg.is_some());
        // No connection is made for it: its head says no connect time.
        next.connected(None);
        // Bytes that came before the request are the server's, and show
        // as the start of this response (a wrong Content-Length shows
        // up here). Should they end it, the run stops with it.
        next.read(Duration::ZERO, &early);
        self.exchange = Some(next);
        self.reset_selection();
        Some(Command::Send(request))
    }

    /// A key in proxy mode: Enter opens the selected exchange, Esc goes
    /// back to the list, and nothing sends a request again.
    fn proxy_key(&mut self, key: KeyEvent) -> Option<Command> {
        let on_list = self.view == View::Exchanges;
        let list = self.exchanges.as_mut()?;
        match key.code {
            KeyCode::Enter if on_list => self.open_selected(),
            KeyCode::Esc | KeyCode::Backspace if !on_list => {
                self.back_to_list()
            }
            KeyCode::End | KeyCode::Char('G') if on_list => {
                list.set_follow(true);
                self.keep_visible();
            }
            KeyCode::Char('f') if on_list => {
                list.set_follow(!list.follow);
                self.keep_visible();
            }
            // Esc quits only where it is not "back", so that it never
            // stops a proxy a browser is using by a key too many.
            KeyCode::Esc
            | KeyCode::Backspace
            | KeyCode::Enter
            | KeyCode::Char('r' | 'm' | 'c') => {}
            _ => return self.common_key(key),
        }
        None
    }

    /// Opens the selected exchange in the Chunks view.
    fn open_selected(&mut self) {
        let Some(x) =
            self.exchanges.as_mut().and_then(Exchanges::open_selected)
        else {
            return;
        };
        self.exchange = Some(x);
        self.reset_selection();
        self.view = View::Chunks;
        self.layout_changed();
        self.follow_newest();
    }

    /// Puts the open exchange back, and shows the list.
    fn back_to_list(&mut self) {
        if let Some(list) = &mut self.exchanges {
            list.close(self.exchange.take());
        }
        self.view = View::Exchanges;
        self.layout_changed();
    }

    fn common_key(&mut self, key: KeyEvent) -> Option<Command> {
        let page = i64::from(self.page());
        let on_list = self.view == View::Lessons;
        match key.code {
            // In the tour, Esc goes back to the list, leaving the stream
            // running, as the proxy's Esc does; on the list it does
            // nothing, so that a key too many never stops the tour.
            KeyCode::Esc | KeyCode::Backspace
                if !self.demos.is_empty() && !on_list =>
            {
                self.view = View::Lessons;
                self.layout_changed();
            }
            KeyCode::Esc | KeyCode::Backspace if !self.demos.is_empty() => {}
            KeyCode::Char('q') | KeyCode::Esc => {
                self.quit = true;
                return Some(Command::Quit);
            }
            KeyCode::Char('?') => self.help = true,
            KeyCode::Tab => self.cycle_view(1),
            KeyCode::BackTab => self.cycle_view(-1),
            KeyCode::Up | KeyCode::Char('k') => self.step(-1),
            KeyCode::Down | KeyCode::Char('j') => self.step(1),
            KeyCode::PageUp => self.step(-page),
            KeyCode::PageDown => self.step(page),
            KeyCode::Home | KeyCode::Char('g') => self.step(i64::MIN),
            // The picker has no newest row to follow: its last.
            KeyCode::End | KeyCode::Char('G') if on_list => {
                self.step(i64::MAX);
            }
            KeyCode::End | KeyCode::Char('G') => {
                self.follow = true;
                self.follow_newest();
            }
            KeyCode::Char('f') => {
                self.follow = !self.follow;
                if self.follow {
                    self.follow_newest();
                }
            }
            KeyCode::Char('J') => {
                self.detail_scroll = self.detail_scroll.saturating_add(1);
            }
            KeyCode::Char('K') => {
                self.detail_scroll = self.detail_scroll.saturating_sub(1);
            }
            KeyCode::Enter if on_list => {
                return self.pick(self.cursor);
            }
            KeyCode::Enter | KeyCode::Char('r') => return self.repeat(),
            KeyCode::Char('m') if self.websocket_open() => {
                self.compose = Some(String::new());
            }
            KeyCode::Char('c') => {
                return self.act_on_websocket(Exchange::close);
            }
            _ => {}
        }
        None
    }

    /// A key while a message is typed: every printable key is text, so
    /// `q` is a letter here, not quit.
    fn compose_key(&mut self, key: KeyEvent) -> Option<Command> {
        let line = self.compose.as_mut()?;
        match key.code {
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                line.push(c);
            }
            KeyCode::Backspace => {
                line.pop();
            }
            KeyCode::Esc => self.compose = None,
            KeyCode::Enter => {
                let text = self.compose.take()?;
                return self.act_on_websocket(|x, at| x.send_text(at, &text));
            }
            _ => {}
        }
        None
    }

    /// Whether a WebSocket is open for the inspector to send on.
    pub fn websocket_open(&self) -> bool {
        // Through the proxy, a WebSocket is its client's to talk on; in a
        // recording, the past's.
        self.exchanges.is_none()
            && !self.replaying
            && self.exchange.as_ref().is_some_and(Exchange::websocket_open)
    }

    /// Does `act` to the open WebSocket now, and returns the frames it
    /// queued, to write. Nothing once the inspector has sent its close.
    fn act_on_websocket(
        &mut self,
        act: impl FnOnce(&mut Exchange, Duration),
    ) -> Option<Command> {
        let at = self.started?.elapsed();
        let x = self.exchange.as_mut().filter(|x| x.websocket_open())?;
        act(x, at);
        let out = x.outgoing();
        if self.follow {
            self.follow_newest();
        }
        (!out.is_empty()).then_some(Command::Send(out))
    }

    /// Inspects demo `i`, and shows its chunks.
    fn pick(&mut self, i: usize) -> Option<Command> {
        let url = self.demos.get(i)?.url.clone();
        self.picked = Some(i);
        self.view = View::Chunks;
        self.layout_changed();
        Some(self.start(url))
    }

    /// Sends the same request again.
    fn repeat(&mut self) -> Option<Command> {
        let url = self.exchange.as_ref()?.url.clone();
        Some(self.start(url))
    }

    /// A new exchange with `url`, and the command that starts its capture.
    /// The demo being inspected, if any, says what to send, and how often.
    fn start(&mut self, url: String) -> Command {
        self.capture_id += 1;
        self.started = Some(Instant::now());
        self.reset_selection();
        let o = &self.options;
        let demo = self.picked.and_then(|i| self.demos.get(i));
        let asked = demo.and_then(|d| d.request.as_ref()).unwrap_or(&o.request);
        let send = demo.map_or(&o.send, |d| &d.send).clone();
        self.keep_alive = demo.filter(|d| d.repeat > 1).map(|d| KeepAlive {
            request: 1,
            of: d.repeat,
            since: Duration::ZERO,
            ended: None,
        });
        let (target, request) = match url.parse::<Target>() {
            Ok(target) => {
                let request = target.request(asked);
                (target, request)
            }
            Err(e) => {
                let mut x = Exchange::new(
                    &asked.method,
                    &url,
                    Vec::new(),
                    o.budget,
                    o.max_rows,
                );
                x.failed(Duration::ZERO, e);
                self.exchange = Some(x);
                return Command::Stop;
            }
        };
        self.exchange = Some(
            Exchange::new(
                &asked.method,
                &url,
                request.clone(),
                o.budget,
                o.max_rows,
            )
            .sending(send)
            .keeping_records(o.svg.is_some()),
        );
        Command::Start {
            id: self.capture_id,
            target,
            request,
            transport: o.transport.clone(),
        }
    }

    /// A new exchange on screen: nothing selected yet, following.
    fn reset_selection(&mut self) {
        self.selected = 0;
        self.selected_read = 0;
        self.scroll = 0;
        self.read_scroll = 0;
        self.detail_scroll = 0;
        self.headers_scroll = 0;
        self.follow = true;
        self.compose = None;
        self.dirty = true;
    }

    fn cycle_view(&mut self, by: isize) {
        let views: Vec<View> = self.views().collect();
        let at = views.iter().position(|&v| v == self.view).unwrap_or(0);
        let n = views.len().cast_signed();
        let to = views[(at.cast_signed() + by).rem_euclid(n).cast_unsigned()];
        // In proxy mode, leaving the list opens the selected exchange,
        // and coming back to it closes the open one.
        match (self.view, to) {
            (View::Exchanges, _) => {
                self.open_selected();
                if self.view == View::Exchanges {
                    // Nothing to open yet.
                    return;
                }
            }
            (_, View::Exchanges) => return self.back_to_list(),
            _ => {}
        }
        self.view = to;
        self.layout_changed();
    }

    /// Moves the current view's selection by `by` (clamped), and stops
    /// following unless that lands on the newest.
    fn step(&mut self, by: i64) {
        let move_by = |at: u64, range: std::ops::Range<u64>| {
            if range.is_empty() {
                return at;
            }
            let to = at.saturating_add_signed(by);
            if by < 0 && to > at {
                range.start
            } else {
                to.clamp(range.start, range.end - 1)
            }
        };
        match self.view {
            View::Exchanges => {
                if let Some(list) = &mut self.exchanges {
                    list.step(by);
                }
            }
            View::Lessons => {
                let n = self.demos.len() as u64;
                self.cursor =
                    usize::try_from(move_by(self.cursor as u64, 0..n))
                        .unwrap_or(0);
            }
            View::Headers => {
                let to = i64::from(self.headers_scroll).saturating_add(by);
                self.headers_scroll =
                    u16::try_from(to.clamp(0, 10_000)).unwrap_or(0);
            }
            View::Reads => {
                let Some(x) = &self.exchange else { return };
                self.selected_read =
                    move_by(self.selected_read, x.reads.kept());
                self.follow = self.selected_read + 1 >= x.reads.total();
            }
            View::Chunks | View::Timeline | View::Raw => {
                let Some(x) = &self.exchange else { return };
                let before = self.selected;
                self.selected = move_by(self.selected, x.rows.kept());
                self.follow = self.selected + 1 >= x.rows.total();
                if self.selected != before {
                    self.detail_scroll = 0;
                }
            }
        }
        self.keep_visible();
    }

    fn follow_newest(&mut self) {
        if let Some(x) = &self.exchange {
            let newest_row = x.rows.total().saturating_sub(1);
            if newest_row != self.selected {
                self.detail_scroll = 0;
            }
            self.selected = newest_row;
            self.selected_read = x.reads.total().saturating_sub(1);
        }
        self.keep_visible();
    }

    /// Scrolls the tables so that their selections are on screen.
    fn keep_visible(&mut self) {
        let page = u64::from(self.page());
        let (rows, reads) = self
            .exchange
            .as_ref()
            .map_or((0, 0), |x| (x.rows.total(), x.reads.total()));
        self.scroll = window(self.selected, self.scroll, page, rows);
        self.read_scroll =
            window(self.selected_read, self.read_scroll, page, reads);
        // The page is the current view's: the picker's only there.
        if self.view == View::Lessons {
            let (cursor, n) = (self.cursor as u64, self.demos.len() as u64);
            self.lessons_scroll = window(cursor, self.lessons_scroll, page, n);
        }
        if let Some(list) = &mut self.exchanges {
            list.keep_visible(self.page);
        }
    }

    /// How many table rows fit: the screen less the bars and borders.
    pub fn page(&self) -> u16 {
        self.page
    }
}

/// The first row to show so that `selected` is among `page` rows, moving
/// as little as possible from `scroll`, and never leaving rows unshown
/// above while the page has room below (as after the terminal grew).
pub fn window(selected: u64, scroll: u64, page: u64, total: u64) -> u64 {
    let page = page.max(1);
    let start = if selected < scroll {
        selected
    } else if selected >= scroll + page {
        selected + 1 - page
    } else {
        scroll
    };
    start.min(total.saturating_sub(page))
}

fn x_is_over(x: &Option<Exchange>) -> bool {
    x.as_ref().is_some_and(Exchange::is_over)
}
