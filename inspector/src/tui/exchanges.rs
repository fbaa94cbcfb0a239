//! `inspector proxy`'s list of exchanges: its state, and its view.
//!
//! Each exchange the proxy forwards is an [`Exchange`] like
//! `inspector URL`'s one, fed the same way: the request's head, then each
//! read of the response with its time ([`News::Read`]), then the server's
//! close. So Enter opens it in the familiar views, Reads and Raw
//! included, with nothing decoded twice by different code.
//!
//! Memory stays bounded: the list keeps the newest [`MAX_EXCHANGES`]
//! (the status bar counts the others), and they share one URL's bounds,
//! each keeping its part of the wire-byte budget and of the rows.

use std::net::SocketAddr;
use std::ops::Range;
use std::time::{Duration, Instant};

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, Widget as _};

use super::app::{App, Options, View, window};
use super::exchange::{Exchange, Log, Micros, State, micros};
use super::ui::ms;
use crate::proxy::{News, RequestRecord};

/// How many exchanges the list keeps; the oldest go first.
pub const MAX_EXCHANGES: usize = 256;

/// One exchange in the list.
#[derive(Debug)]
pub struct Item {
    /// The proxy's number for it, as in `--json`'s `exchange`.
    pub id: u64,
    /// When its request came, since the proxy started.
    pub at: Duration,
    pub target: String,
    /// `None` while it is open: [`App::exchange`] holds it then.
    pub exchange: Option<Exchange>,
}

/// The proxy's exchanges, and the list's cursor.
#[derive(Debug)]
pub struct Exchanges {
    /// Where the proxy listens, and the server it forwards to.
    pub listen: SocketAddr,
    pub to: String,
    /// When the proxy started, near enough: the exchanges' clocks run
    /// from their requests' times since then.
    began: Instant,
    /// The newest [`MAX_EXCHANGES`], numbered from the first ever.
    items: Log<Item>,
    /// The selected exchange, by its place in the list (counted from the
    /// first ever, so it keeps its number as older ones go).
    pub cursor: u64,
    pub scroll: u64,
    /// Keep the newest exchange selected as they come.
    pub follow: bool,
    /// The exchange open in the other views: its id and its request's
    /// time.
    open: Option<(u64, Duration)>,
    /// Each exchange's share of the wire bytes and rows.
    budget: usize,
    max_rows: usize,
}

impl Exchanges {
    pub fn new(listen: SocketAddr, to: String, options: &Options) -> Self {
        Exchanges {
            listen,
            to,
            began: Instant::now(),
            items: Log::new(MAX_EXCHANGES),
            cursor: 0,
            scroll: 0,
            follow: true,
            open: None,
            budget: (options.budget / MAX_EXCHANGES).max(64 << 10),
            max_rows: (options.max_rows / MAX_EXCHANGES).max(1024),
        }
    }

    /// The numbers of the exchanges still kept.
    pub fn kept(&self) -> Range<u64> {
        self.items.kept()
    }

    /// How many exchanges came.
    pub fn total(&self) -> u64 {
        self.items.total()
    }

    /// How many were dropped, the oldest first, to keep the newest.
    pub fn evicted(&self) -> u64 {
        self.items.evicted()
    }

    /// Exchange number `n` in the list.
    pub fn get(&self, n: u64) -> Option<&Item> {
        self.items.get(n)
    }

    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.items.iter()
    }

    /// Takes in the proxy's `news`; `open` is the exchange open in the
    /// other views. Returns whether that one changed.
    pub fn take(&mut self, news: News, open: &mut Option<Exchange>) -> bool {
        match news {
            News::Request(request) => {
                self.push(request);
                false
            }
            News::Read {
                exchange,
                at,
                bytes,
            } => {
                let Some(x) = self.find(exchange, open) else {
                    return false;
                };
                x.read(at, &bytes);
                // A WebSocket's answers are the client's to send, not the
                // inspector's: what the session would send is dropped,
                // as the proxy drops its own.
                let _ = x.outgoing();
                self.is_open(exchange)
            }
            News::Closed { exchange, at } => {
                let Some(x) = self.find(exchange, open) else {
                    return false;
                };
                x.eof(at);
                self.is_open(exchange)
            }
            // The proxy's own records: the exchanges make theirs from
            // the reads, as `inspector URL`'s one does.
            News::Record { .. } => false,
        }
    }

    fn push(&mut self, request: RequestRecord) {
        let url =
            format!("{}{}", self.to.trim_end_matches('/'), request.target);
        let mut x = Exchange::new(
            &request.method,
            &url,
            request.head,
            self.budget,
            self.max_rows,
        );
        // Forwarded: from here its response is awaited.
        x.connected(None);
        self.items.push(Item {
            id: request.exchange,
            at: Duration::try_from_secs_f64(request.at_ms / 1e3)
                .unwrap_or_default(),
            target: request.target,
            exchange: Some(x),
        });
        self.cursor = self.cursor.max(self.items.evicted());
        if self.follow {
            self.cursor = self.total() - 1;
        }
    }

    fn is_open(&self, id: u64) -> bool {
        self.open.is_some_and(|(open, _)| open == id)
    }

    /// Exchange `id`, in the list or open.
    fn find<'a>(
        &'a mut self,
        id: u64,
        open: &'a mut Option<Exchange>,
    ) -> Option<&'a mut Exchange> {
        if self.is_open(id) {
            return open.as_mut();
        }
        // The newest are the busiest: look from the end.
        let item = self.items.iter_mut().rev().find(|item| item.id == id)?;
        item.exchange.as_mut()
    }

    /// The clock moved on: responses still awaited are still running.
    /// Returns whether any is.
    pub fn tick(&mut self, open: &mut Option<Exchange>) -> bool {
        let now = self.began.elapsed();
        let mut live = false;
        let mut tick = |x: &mut Exchange, at: Duration| {
            if !x.is_over() {
                x.tick(now.saturating_sub(at));
                live = true;
            }
        };
        for item in self.items.iter_mut() {
            if let Some(x) = &mut item.exchange {
                tick(x, item.at);
            }
        }
        if let (Some(x), Some((_, at))) = (open.as_mut(), self.open) {
            tick(x, at);
        }
        live
    }

    /// Takes the selected exchange out of the list, to open it.
    pub fn open_selected(&mut self) -> Option<Exchange> {
        let item = self.items.get_mut(self.cursor)?;
        let x = item.exchange.take()?;
        self.open = Some((item.id, item.at));
        Some(x)
    }

    /// Puts the open exchange back in its place, if it is still kept.
    pub fn close(&mut self, x: Option<Exchange>) {
        let Some((id, _)) = self.open.take() else {
            return;
        };
        if let Some(item) = self.items.iter_mut().find(|item| item.id == id) {
            item.exchange = x;
        }
    }

    /// Moves the cursor by `by`, clamped, following again at the newest.
    pub fn step(&mut self, by: i64) {
        let kept = self.kept();
        if kept.is_empty() {
            return;
        }
        let to = self.cursor.saturating_add_signed(by);
        self.cursor = if by < 0 && to > self.cursor {
            kept.start
        } else {
            to.clamp(kept.start, kept.end - 1)
        };
        self.follow = self.cursor + 1 >= self.total();
    }

    /// Follows the newest exchange from now on, or stops.
    pub fn set_follow(&mut self, follow: bool) {
        self.follow = follow;
        if follow {
            self.cursor = self.total().saturating_sub(1);
        }
    }

    /// Scrolls the list so that the cursor is among `page` rows.
    pub fn keep_visible(&mut self, page: u16) {
        self.scroll =
            window(self.cursor, self.scroll, u64::from(page), self.total());
    }
}

/// What an exchange came to, in a word: its verdict's pattern once over,
/// `…` while it runs, `error` if it failed.
fn verdict(x: &Exchange) -> (String, Option<crate::verdict::Pattern>) {
    match &x.state {
        State::Connecting | State::Streaming => ("…".into(), None),
        State::Failed(_) => ("error".into(), None),
        State::Complete if x.head.as_ref().is_some_and(|h| h.status == 101) => {
            ("websocket".into(), None)
        }
        State::Complete => match x.verdict() {
            Some(v) => (v.pattern.name().into(), Some(v.pattern)),
            None => ("—".into(), None),
        },
    }
}

// ---------------------------------------------------------------- view --

/// The list: a row per exchange, the newest last.
pub fn render(app: &App, list: &Exchanges, area: Rect, buf: &mut Buffer) {
    let t = &app.options.theme;
    let page = u64::from(area.height.saturating_sub(3).max(1));
    let start = window(list.cursor, list.scroll, page, list.total())
        .max(list.kept().start);
    let time = |at: Option<Micros>| at.map_or("—".into(), ms);
    let rows: Vec<Row> = (start..start + page)
        .filter_map(|n| Some((n, list.get(n)?)))
        .map(|(n, item)| {
            let mut cells = vec![
                item.id.to_string(),
                ms(micros(item.at)),
                String::new(),
                item.target.clone(),
            ];
            let mut word_style = Style::new();
            match &item.exchange {
                Some(x) => {
                    let head = x.head.as_ref();
                    let (word, pattern) = verdict(x);
                    word_style = match (&x.state, pattern) {
                        (_, Some(p)) => t.pattern(p),
                        (State::Failed(_), _) => t.error(),
                        _ => t.busy(),
                    };
                    cells[2].clone_from(&x.method);
                    cells.extend([
                        head.map_or("—".into(), |h| h.status.to_string()),
                        head.map_or("—", |h| h.framing).into(),
                        word,
                        time(head.map(|h| h.t)),
                        ms(x.now),
                    ]);
                }
                None => cells.push("(open)".into()),
            }
            let mut cells: Vec<Span> =
                cells.into_iter().map(Span::raw).collect();
            if let Some(word) = cells.get_mut(6) {
                word.style = word_style;
            }
            let row = Row::new(cells);
            if n == list.cursor {
                row.style(t.selected())
            } else {
                row
            }
        })
        .collect();
    let header = Row::new([
        "#",
        "at",
        "method",
        "path",
        "status",
        "framing",
        "verdict",
        "first byte",
        "duration",
    ])
    .style(t.title());
    let widths = [
        Constraint::Length(5),
        Constraint::Length(10),
        Constraint::Length(7),
        Constraint::Min(10),
        Constraint::Length(6),
        Constraint::Length(14),
        Constraint::Length(14),
        Constraint::Length(10),
        Constraint::Length(10),
    ];
    let title = match list.total() {
        0 => " Exchanges ".to_owned(),
        n => format!(" Exchanges: {n} · Enter opens the selected one "),
    };
    Table::new(rows, widths)
        .header(header)
        .block(Block::bordered().title(title))
        .render(area, buf);
    if list.total() == 0 {
        let note = format!(
            "waiting for requests: point a browser or curl at http://{}/",
            list.listen
        );
        let inner = Rect {
            y: area.y + 2,
            height: 1,
            x: area.x + 2,
            width: area.width.saturating_sub(4),
        };
        Paragraph::new(Span::styled(note, t.dim())).render(inner, buf);
    }
}

/// The status bar over the list: where the proxy listens and forwards,
/// and how many exchanges it has seen.
pub fn status(app: &App, list: &Exchanges, area: Rect, buf: &mut Buffer) {
    let t = &app.options.theme;
    let first = Line::from(vec![
        Span::styled(" proxy ", t.title()),
        Span::raw(format!("http://{}/", list.listen)),
        Span::raw("  →  "),
        Span::raw(list.to.clone()),
    ]);
    let running = list
        .items()
        .filter_map(|item| item.exchange.as_ref())
        .filter(|x| !x.is_over())
        .count();
    let failed = list
        .items()
        .filter_map(|item| item.exchange.as_ref())
        .filter(|x| matches!(x.state, State::Failed(_)))
        .count();
    let mut second = vec![Span::raw(format!(" exchanges {}", list.total()))];
    if running > 0 {
        second
            .push(Span::styled(format!("   ● streaming {running}"), t.busy()));
    }
    if failed > 0 {
        second.push(Span::styled(format!("   errors {failed}"), t.error()));
    }
    if list.evicted() > 0 {
        second.push(Span::styled(
            format!("   evicted: {} oldest", list.evicted()),
            t.dim(),
        ));
    }
    if list.follow {
        second.push(Span::styled("   following", t.dim()));
    }
    Paragraph::new(vec![first, Line::from(second)]).render(area, buf);
}

/// The key hints in proxy mode: on the list, and in an exchange's views.
pub fn hints(app: &App) -> Option<Vec<(&'static str, &'static str)>> {
    let list = app.exchanges.as_ref()?;
    let (follow, back) = match app.view {
        View::Exchanges => (list.follow, ("Enter", "open")),
        _ => (app.follow, ("Esc", "list")),
    };
    Some(vec![
        ("↑↓", "select"),
        back,
        ("Tab", "view"),
        ("f", if follow { "unfollow" } else { "follow" }),
        ("?", "help"),
        ("q", "quit"),
    ])
}
