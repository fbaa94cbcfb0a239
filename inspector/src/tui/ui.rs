//! Drawing: a pure function of [`App`].
//!
//! Every view reads the exchange and draws only what fits on screen, so a
//! frame costs the same with ten chunks or a million.

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{
    Block, Cell, Clear, Paragraph, Row as TableRow, Table, Tabs, Widget, Wrap,
};

use super::app::{App, View, window};
use super::exchange::{Exchange, Kind, Micros, Row, State};
use super::exchanges;
use super::theme::Theme;
use crate::http2;
pub use crate::human::bytes;
use crate::human::wrap;
use crate::verdict::Pattern;
use crate::ws::Opcode;

/// Below this the screen says so instead of drawing a cramped mess.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

/// Where the parts of the screen go.
struct Areas {
    status: Rect,
    tabs: Rect,
    body: Rect,
    keys: Rect,
}

fn areas(area: Rect) -> Areas {
    let [status, tabs, body, keys] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    Areas {
        status,
        tabs,
        body,
        keys,
    }
}

/// The chunk table and the detail pane: side by side when wide enough
/// for a 16-byte hex dump next to the table, else one above the other.
fn chunk_areas(body: Rect) -> [Rect; 2] {
    if body.width >= 140 {
        Layout::horizontal([Constraint::Min(60), Constraint::Length(80)])
            .areas(body)
    } else {
        Layout::vertical([Constraint::Percentage(55), Constraint::Min(0)])
            .areas(body)
    }
}

/// How many rows the current view's table shows. The app keeps the
/// answer (see `App::page`): it changes only with the size or the view.
pub fn table_height(app: &App) -> u16 {
    let body = areas(Rect::from((Default::default(), app.size))).body;
    let table = match app.view {
        View::Chunks => chunk_areas(body)[0],
        // Borders only: the picker has no header row.
        View::Lessons => {
            let list = lesson_areas(body, app.demos.len())[0];
            return list.height.saturating_sub(2).max(1);
        }
        _ => body,
    };
    // Borders and the header row.
    table.height.saturating_sub(3).max(1)
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = &self.options.theme;
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            too_small(area, buf, t);
            return;
        }
        let a = areas(area);
        status(self, a.status, buf);
        tabs(self, a.tabs, buf);
        keys(self, a.keys, buf);
        match (self.view, &self.exchange) {
            (View::Lessons, _) => lessons(self, a.body, buf),
            (View::Exchanges, _) => {
                if let Some(list) = &self.exchanges {
                    exchanges::render(self, list, a.body, buf);
                }
            }
            (_, None) => Paragraph::new(
                "Nothing inspected yet: Tab to Lessons, pick one, Enter.",
            )
            .block(Block::bordered())
            .render(a.body, buf),
            (View::Chunks, Some(x)) => {
                let [table, detail] = chunk_areas(a.body);
                chunks(self, x, table, buf);
                self::detail(self, x, detail, buf);
            }
            (View::Timeline, Some(x)) => timeline(self, x, a.body, buf),
            (View::Reads, Some(x)) => reads(self, x, a.body, buf),
            (View::Raw, Some(x)) => raw(self, x, a.body, buf),
            (View::Headers, Some(x)) => headers(self, x, a.body, buf),
        }
        if self.help {
            help(t, area, buf);
        }
    }
}

fn too_small(area: Rect, buf: &mut Buffer, t: &Theme) {
    let text = format!(
        "The terminal is {}×{}; the inspector needs {MIN_WIDTH}×{MIN_HEIGHT}. \
         Enlarge it, or q to quit.",
        area.width, area.height
    );
    Paragraph::new(text)
        .style(t.error())
        .wrap(Wrap { trim: true })
        .render(area, buf);
}

// ---------------------------------------------------------------- bars --

fn status(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.options.theme;
    if let (View::Exchanges, Some(list)) = (app.view, &app.exchanges) {
        return exchanges::status(app, list, area, buf);
    }
    let Some(x) = &app.exchange else {
        let lines = vec![
            Line::from(Span::styled(
                " Flusher: HTTP streaming output, from the socket up",
                t.title(),
            )),
            Line::from(" Pick a lesson and press Enter to watch its stream."),
        ];
        Paragraph::new(lines).render(area, buf);
        return;
    };
    let mut first = vec![
        Span::styled(format!(" {} ", x.method), t.title()),
        Span::raw(x.url.clone()),
    ];
    if let Some(head) = &x.head {
        first.push(Span::raw("  →  "));
        first.push(Span::styled(
            format!("{} {} {}", head.version, head.status, head.reason),
            t.title(),
        ));
        first.push(Span::styled(
            format!("  framing: {}", head.framing),
            t.dim(),
        ));
    }
    let (state, style) = match &x.state {
        State::Connecting => ("● connecting".to_owned(), t.busy()),
        State::Streaming => ("● streaming".to_owned(), t.busy()),
        State::Complete => ("● complete".to_owned(), t.good()),
        State::Failed(_) => ("● error".to_owned(), t.error()),
    };
    // After a `101` there is no body, only frames.
    let counts = match x.head.as_ref().is_some_and(|h| h.status == 101) {
        true => format!("frames {}", x.frames),
        false => {
            let h2 = x.head.as_ref().is_some_and(|h| h.version == "HTTP/2");
            let pieces = if h2 { "DATA frames" } else { "chunks" };
            format!("{pieces} {}   body {}", x.chunks, bytes(x.body_bytes))
        }
    };
    let mut second = vec![Span::styled(format!(" {state}"), style)];
    // Requests one after another on one connection: which this is (from
    // the second on, no connection was made for it), or why the next
    // was not sent.
    if let Some(k) = &app.keep_alive {
        let (said, style) = match (&k.ended, k.request) {
            (Some(why), _) => (why.clone(), t.error()),
            (None, 1) => (format!("request 1 of {}", k.of), t.title()),
            (None, n) => (
                format!("request {n} of {}, same connection", k.of),
                t.title(),
            ),
        };
        second.push(Span::styled(format!("   {said}"), style));
    }
    second.extend([Span::raw(format!(
        "   TTFB {}   elapsed {}   {counts}",
        x.first_byte().map_or("—".into(), ms),
        ms(x.now),
    ))]);
    if x.events.total() > 0 {
        second.push(Span::raw(format!("   events {}", x.events.total())));
    }
    // The verdict on the content, in a word: once the response is over,
    // or live once it has streamed. A failure's reason matters more, and
    // the Timeline says the rest.
    let verdict = x.verdict().filter(|v| v.content_bytes > 0);
    let word = match (&x.state, verdict) {
        (State::Complete, Some(v)) => Some(v.pattern),
        (State::Streaming, Some(v)) if v.streamed => Some(Pattern::Stream),
        _ => None,
    };
    if let Some(pattern) = word {
        let style = t.pattern(pattern);
        second.push(Span::styled(format!("   {}", pattern.name()), style));
    }
    if x.rows.evicted() > 0 || x.wire.evicted() > 0 {
        // Server-sent events are capped as rows are; said only once some
        // went, to keep the bar short.
        let events = match x.events.evicted() {
            0 => String::new(),
            n => format!("{n} events, "),
        };
        second.push(Span::styled(
            format!(
                "   evicted: {} rows, {events}{}",
                x.rows.evicted(),
                bytes(x.wire.evicted())
            ),
            t.dim(),
        ));
    }
    if app.follow {
        second.push(Span::styled("   following", t.dim()));
    }
    // Last, so the figures stay in place; the detail says more.
    if let State::Failed(why) = &x.state {
        second.push(Span::styled(format!("   {why}"), t.error()));
    }
    Paragraph::new(vec![Line::from(first), Line::from(second)])
        .render(area, buf);
}

fn tabs(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.options.theme;
    let views: Vec<View> = app.views().collect();
    let selected = views.iter().position(|&v| v == app.view);
    Tabs::new(views.iter().map(|v| v.name()))
        .select(selected)
        .highlight_style(t.selected())
        .divider("│")
        .render(area, buf);
}

fn keys(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.options.theme;
    if let Some(typed) = &app.compose {
        let line = Line::from(vec![
            Span::styled(" message ", t.key()),
            Span::raw(typed.clone()),
            // The cursor.
            Span::styled(" ", t.selected()),
            Span::styled("  Enter", t.key()),
            Span::raw(" send "),
            Span::styled(" Esc", t.key()),
            Span::raw(" cancel"),
        ]);
        // The end of a long line stays in sight, where the typing is.
        let hidden = line.width().saturating_sub(usize::from(area.width));
        Paragraph::new(line)
            .scroll((0, u16::try_from(hidden).unwrap_or(u16::MAX)))
            .render(area, buf);
        return;
    }
    let hints = exchanges::hints(app).unwrap_or_else(|| {
        if app.view == View::Lessons {
            return vec![
                ("↑↓ Home End", "choose"),
                ("Enter", "inspect"),
                ("Tab", "view"),
                ("?", "help"),
                ("q", "quit"),
            ];
        }
        let mut hints = vec![
            ("↑↓", "select"),
            ("Tab", "view"),
            ("f", if app.follow { "unfollow" } else { "follow" }),
            ("r/Enter", "repeat"),
        ];
        if !app.demos.is_empty() {
            hints.push(("Esc", "lessons"));
        }
        if app.websocket_open() {
            hints.extend([("m", "message"), ("c", "close")]);
        }
        hints.extend([("?", "help"), ("q", "quit")]);
        hints
    });
    Paragraph::new(Line::from(hint_spans(t, fitting(hints, area.width))))
        .render(area, buf);
}

/// `hints`, less the ones a reader can best do without, until they fit
/// in `width` columns: what is left names what can be done now (a
/// WebSocket's message and close), help and quit, and `?` lists the rest.
fn fitting<'a>(
    mut hints: Vec<(&'a str, &'a str)>,
    width: u16,
) -> Vec<(&'a str, &'a str)> {
    const FIRST_TO_GO: [&str; 5] = ["Tab", "f", "↑↓", "r/Enter", "Esc"];
    let width_of = |hints: &[(&str, &str)]| {
        hints
            .iter()
            .map(|(key, what)| key.chars().count() + what.chars().count() + 3)
            .sum::<usize>()
    };
    for key in FIRST_TO_GO {
        if width_of(&hints) <= usize::from(width) {
            break;
        }
        hints.retain(|(k, _)| *k != key);
    }
    hints
}

fn hint_spans<'a>(t: &Theme, hints: Vec<(&'a str, &'a str)>) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    for (key, what) in hints {
        spans.push(Span::styled(format!(" {key}"), t.key()));
        spans.push(Span::raw(format!(" {what} ")));
    }
    spans
}

fn help(t: &Theme, area: Rect, buf: &mut Buffer) {
    const KEYS: &[(&str, &str)] = &[
        ("↑ ↓  j k", "select the previous or next row"),
        ("PgUp PgDn", "a page up or down"),
        ("Home End  g G", "the first or last row; End follows"),
        ("J K", "scroll the detail pane"),
        ("Tab Shift-Tab", "the next or previous view"),
        ("f", "follow the newest chunk, or stop"),
        ("r  Enter", "send the request again"),
        ("Enter", "in Lessons, Exchanges: open the one selected"),
        ("Esc  Backspace", "back to the list: lessons, exchanges"),
        ("m", "WebSocket: type a message; Enter sends it"),
        ("c", "WebSocket: close it, with code 1000"),
        ("mouse wheel", "scroll"),
        ("Shift-drag", "select text, in most terminals"),
        ("?", "this help; any key closes it"),
        ("q  Ctrl-C", "quit; Esc too, where there is no list"),
    ];
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:15}"), t.key()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        " Times count from when the request was written.",
        t.dim(),
    ));
    let width = 64.min(area.width);
    let height = u16::try_from(lines.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    Clear.render(popup, buf);
    Paragraph::new(lines)
        .block(Block::bordered().title(" Keys "))
        .render(popup, buf);
}

// ------------------------------------------------------------- lessons --

/// Lines kept below the picker for the row under the cursor: what it
/// shows, its URL and its command (each may wrap once), and a border.
const LESSON_PANE: u16 = 6;

/// The picker's list, and below it the pane about the row under the
/// cursor. The list takes what the pane leaves, up to all its rows: on
/// a short screen it scrolls, and the URL stays in sight.
fn lesson_areas(body: Rect, rows: usize) -> [Rect; 2] {
    let all = u16::try_from(rows + 2).unwrap_or(u16::MAX);
    let list = all.min(body.height.saturating_sub(LESSON_PANE)).max(3);
    Layout::vertical([Constraint::Length(list), Constraint::Min(0)]).areas(body)
}

fn lessons(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.options.theme;
    let [list, below] = lesson_areas(area, app.demos.len());
    // Titles get at most half the row; the idea gets the rest, cut with
    // an ellipsis, and said whole below for the row under the cursor.
    let inner = usize::from(list.width.saturating_sub(2));
    let title_width = app
        .demos
        .iter()
        .map(|d| d.title.chars().count())
        .max()
        .unwrap_or(0)
        .min(inner / 2);
    let idea_width = inner.saturating_sub(3 + title_width + 2);
    let page = usize::from(list.height.saturating_sub(2));
    let first = usize::try_from(app.lessons_scroll).unwrap_or(0);
    let rows: Vec<Line> = app
        .demos
        .iter()
        .enumerate()
        .skip(first)
        .take(page)
        .map(|(i, demo)| {
            let marker = if app.picked == Some(i) { "▶" } else { " " };
            let title = clip(&demo.title, title_width);
            let line = Line::from(vec![
                Span::raw(format!(" {marker} ")),
                Span::styled(format!("{title:title_width$}"), t.title()),
                Span::raw(format!("  {}", clip(&demo.idea, idea_width))),
            ]);
            if i == app.cursor {
                line.style(t.selected())
            } else {
                line
            }
        })
        .collect();
    // Where the window is, when it does not show every row.
    let shown = match app.demos.len() > page {
        true => format!(
            " {}-{} of {} ",
            first + 1,
            (first + page).min(app.demos.len()),
            app.demos.len()
        ),
        false => String::new(),
    };
    Paragraph::new(rows)
        .block(
            Block::bordered()
                .title(" Lessons: ↑↓ choose, Enter inspects ")
                .title_bottom(Line::from(shown).right_aligned()),
        )
        .render(list, buf);
    let Some(demo) = app.demos.get(app.cursor) else {
        return;
    };
    let field = |name: &'static str, value: &str| {
        Line::from(vec![
            Span::styled(format!("  {name:9}"), t.dim()),
            Span::raw(value.to_owned()),
        ])
    };
    let lines = vec![
        field("shows", &demo.idea),
        field("URL", &demo.url),
        field("command", &demo.command),
        Line::raw(""),
        Line::styled(
            "  Open the URL in a browser, or run the command in another \
             terminal.",
            t.dim(),
        ),
    ];
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(below, buf);
}

// -------------------------------------------------------------- chunks --

fn chunks(app: &App, x: &Exchange, area: Rect, buf: &mut Buffer) {
    let t = &app.options.theme;
    let page = u64::from(area.height.saturating_sub(3).max(1));
    let start = window(app.selected, app.scroll, page, x.rows.total())
        .max(x.rows.kept().start);
    let preview_width = usize::from(area.width.saturating_sub(60)).max(8);
    let rows: Vec<TableRow> = x
        .rows
        .range(start..start + page)
        .map(|(n, row)| {
            let previous = n.checked_sub(1).and_then(|p| x.rows.get(p));
            let cells = match row.kind {
                Kind::Error => {
                    let why = x.fault.as_ref().map_or(String::new(), |f| {
                        format!("{}: {}", f.kind, f.message)
                    });
                    vec![
                        Cell::from("error"),
                        Cell::from(ms(row.t)),
                        Cell::from(""),
                        Cell::from(format!("at byte {}", row.offset)),
                        Cell::from(""),
                        Cell::from(""),
                        Cell::from(why),
                    ]
                }
                _ => vec![
                    Cell::from(n.to_string()),
                    Cell::from(ms(row.t)),
                    Cell::from(
                        previous.map_or(String::new(), |p| delta(p.t, row.t)),
                    ),
                    Cell::from(Span::styled(
                        match row.kind {
                            Kind::Data => "—".into(),
                            Kind::Frame {
                                opcode,
                                fin,
                                client,
                            } => frame_label(opcode, fin, client),
                            Kind::H2 {
                                frame,
                                flags,
                                stream,
                            } => h2_label(frame, flags, stream),
                            _ => clip(&row.size_line(), 12),
                        },
                        t.size_line(),
                    )),
                    Cell::from(row.size.to_string()),
                    Cell::from(row.reads.to_string()),
                    Cell::from(preview(x, n, row, preview_width, t)),
                ],
            };
            // A coded body: what each piece decoded to, before the preview.
            let mut cells = cells;
            if x.coded {
                let content = match row.kind {
                    Kind::Chunk | Kind::Data => row.content.to_string(),
                    _ => String::new(),
                };
                cells.insert(6, Cell::from(content));
            }
            let style = match (n == app.selected, row.kind) {
                (true, _) => t.selected(),
                (false, Kind::Error) => t.error(),
                (false, Kind::Last) => t.dim(),
                _ => Style::new(),
            };
            TableRow::new(cells).style(style)
        })
        .collect();
    // After a `101`, the rows are frames, from before the first arrives.
    let websocket = x.head.as_ref().is_some_and(|h| h.status == 101);
    let (what, framing) = match x.rows.get(x.rows.kept().start) {
        Some(row) if row.kind == Kind::Data => {
            ("Body reads (not chunked)", "size line")
        }
        Some(Row {
            kind: Kind::H2 { .. },
            ..
        }) => ("HTTP/2 frames (DATA are the pieces)", "frame"),
        _ if websocket => ("WebSocket frames (← server, → inspector)", "frame"),
        _ => ("Chunks", "size line"),
    };
    let mut header =
        vec!["#", "arrival", "Δ", framing, "bytes", "reads", "preview"];
    let mut widths = vec![
        Constraint::Length(6),
        Constraint::Length(10),
        Constraint::Length(10),
        Constraint::Length(12),
        Constraint::Length(8),
        Constraint::Length(5),
        Constraint::Min(8),
    ];
    if x.coded {
        header.insert(6, "content");
        widths.insert(6, Constraint::Length(8));
        header[7] = "decoded preview";
    }
    let header = TableRow::new(header).style(t.title());
    // Rows are numbered from 0, as chunks are on the wire.
    let title = match x.rows.total() {
        0 => format!(" {what} "),
        n => format!(" {what}: {n} · #{} selected ", app.selected),
    };
    let empty = x.rows.total() == 0;
    let table = Table::new(rows, widths)
        .header(header)
        .block(Block::bordered().title(title));
    table.render(area, buf);
    if empty {
        let note = match (&x.state, &x.head) {
            (State::Failed(why), _) => format!("{why} (r tries again)"),
            (State::Connecting, _) => "connecting…".into(),
            (_, None) => "waiting for the response head…".into(),
            (State::Complete, _) => "this response has no body".into(),
            _ if websocket => "waiting for the first frame…".into(),
            _ => "waiting for the first chunk…".into(),
        };
        let inner = Rect {
            y: area.y + 2,
            height: 1,
            x: area.x + 2,
            width: area.width.saturating_sub(4),
        };
        Paragraph::new(Span::styled(note, t.dim())).render(inner, buf);
    }
}

/// A frame in the table's `frame` column: its direction, its opcode,
/// and `…` when more of its message follows.
fn frame_label(opcode: Opcode, fin: bool, client: bool) -> String {
    let arrow = if client { '→' } else { '←' };
    let name = match opcode {
        Opcode::Continuation => "cont",
        opcode => opcode.name(),
    };
    format!("{arrow} {name}{}", if fin { "" } else { " …" })
}

/// An HTTP/2 frame in the table: its type, `ES` for END_STREAM, and its
/// stream unless it is the response's.
fn h2_label(frame: u8, flags: u8, stream: u8) -> String {
    let name = match http2::name(frame).as_str() {
        "WINDOW_UPDATE" => "WINDOW_UPD".to_owned(),
        "CONTINUATION" => "CONTIN".to_owned(),
        name => name.to_owned(),
    };
    let end = matches!(frame, http2::DATA | http2::HEADERS)
        && flags & http2::END_STREAM != 0;
    match stream {
        0 | 1 if end => format!("{name} ES"),
        0 | 1 => name,
        s => format!("{name} s{s}"),
    }
}

/// The start of row `n`'s data as one line of text: of a coded body, of
/// its decoded content.
fn preview(
    x: &Exchange,
    n: u64,
    row: &Row,
    width: usize,
    t: &Theme,
) -> Line<'static> {
    if let Some(note) = row.note() {
        return escaped(note, width, t);
    }
    if x.coded && matches!(row.kind, Kind::Chunk | Kind::Data) {
        return match x.content_of(n) {
            Some(text) => escaped(text, width, t),
            None if row.content == 0 => Line::default(),
            None => Line::raw("(no longer kept)"),
        };
    }
    // Enough bytes for more than `width` characters, however many bytes
    // each takes, so a cut shows its `…`.
    let start = row.data_offset();
    let want = row.size.min(width as u64 * 4 + 1);
    let (_, bytes) = x.wire.get(start..start + want);
    let bytes: Vec<u8> = bytes.collect();
    if bytes.is_empty() && row.size > 0 {
        return Line::raw("(evicted)");
    }
    escaped(&String::from_utf8_lossy(&bytes), width, t)
}

/// How the TUI draws CR, LF and tab, the bytes that draw nothing.
///
/// Not as their Unicode control pictures ␍ ␊ ␉: the fonts a stock Linux
/// draws monospace with (DejaVu, Liberation, Noto) lack them, so terminals
/// and the book drew empty boxes. Where one cell is one byte (the hex
/// view's text, Raw), each is drawn as how it moves a typewriter's
/// carriage: CR `←` back to the left edge, LF `↓` down a line, tab `→` on
/// to the next stop. DejaVu Sans Mono, Liberation Mono, Noto Sans Mono and
/// the book's Source Code Pro have these arrows, as they have the box
/// lines every screen is drawn with; the older Noto Mono has neither, so
/// a terminal with it already borrows both from DejaVu. Where width is
/// free (previews, decoded text, event data), each is its escape, `\r`
/// `\n` `\t`, dimmed: what `--plain` prints, and how Rust or C write it.
const CONTROLS: [(char, char, &str); 3] =
    [('\r', '←', "\\r"), ('\n', '↓', "\\n"), ('\t', '→', "\\t")];

/// CR, LF or tab: its arrow and its escape.
fn control(c: char) -> Option<(char, &'static str)> {
    CONTROLS
        .iter()
        .find(|&&(control, _, _)| control == c)
        .map(|&(_, arrow, escape)| (arrow, escape))
}

/// A byte as one cell: printable ASCII as itself, CR LF and tab as their
/// arrows (see [`CONTROLS`]), and any other byte as ·. Byte views (hex,
/// raw) use this, so one cell is always one byte.
fn visible_byte(b: u8) -> char {
    match control(char::from(b)) {
        Some((arrow, _)) => arrow,
        None if matches!(b, b' '..=b'~') => char::from(b),
        None => '·',
    }
}

/// `text` in at most `width` cells, ending in … if cut: CR LF and tab as
/// their escapes, dimmed (see [`CONTROLS`]), and any other control
/// character as ·. The cut never splits an escape.
fn escaped(text: &str, width: usize, t: &Theme) -> Line<'static> {
    let cells = |c: char| control(c).map_or(1, |(_, escape)| escape.len());
    // Cut only what does not fit, and then leave a cell for the `…`.
    let cut = text
        .chars()
        .scan(0, |used, c| {
            *used += cells(c);
            Some(*used)
        })
        .any(|used| used > width);
    let room = if cut { width.saturating_sub(1) } else { width };
    let (mut spans, mut plain, mut used) = (Vec::new(), String::new(), 0);
    for c in text.chars() {
        used += cells(c);
        if used > room {
            break;
        }
        match control(c) {
            Some((_, escape)) => {
                if !plain.is_empty() {
                    spans.push(Span::raw(std::mem::take(&mut plain)));
                }
                spans.push(Span::styled(escape, t.dim()));
            }
            None if c.is_control() => plain.push('·'),
            None => plain.push(c),
        }
    }
    if cut {
        plain.push('…');
    }
    if !plain.is_empty() {
        spans.push(Span::raw(plain));
    }
    Line::from(spans)
}

fn detail(app: &App, x: &Exchange, area: Rect, buf: &mut Buffer) {
    let t = &app.options.theme;
    let Some(row) = x.rows.get(app.selected) else {
        Block::bordered().title(" Detail ").render(area, buf);
        return;
    };
    let inner_width = area.width.saturating_sub(2);
    // 16 bytes a line when they fit: offset, hex, text.
    let per_line: usize = if inner_width >= 76 { 16 } else { 8 };
    let step = per_line as u64;
    let mut lines = Vec::new();
    let (title, range) = match row.kind {
        Kind::Error => {
            let fault = x.fault.as_ref();
            lines.push(Line::styled(
                fault.map_or(String::new(), |f| {
                    format!("{} at byte {}", f.kind, f.offset)
                }),
                t.error(),
            ));
            for line in
                wrap(fault.map_or("", |f| &f.message), usize::from(inner_width))
            {
                lines.push(Line::raw(line));
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "The bytes around it; the bad one is marked:",
                t.dim(),
            ));
            let from = row.offset.saturating_sub(step * 2) / step * step;
            (" Protocol error ".to_string(), from..row.offset + step * 2)
        }
        Kind::Frame {
            opcode,
            fin,
            client: true,
        } => {
            lines.push(Line::raw(format!(
                "{} frame{}, {} bytes, sent {}",
                opcode.name(),
                if fin { ", FIN" } else { "" },
                row.size,
                ms(row.t)
            )));
            lines.push(Line::styled(
                "Sent by the inspector, masked with a fresh key, as every \
                 client frame must be (RFC 6455 §5.3). Its payload:",
                t.dim(),
            ));
            lines.push(Line::raw(""));
            lines.push(escaped(row.note().unwrap_or_default(), usize::MAX, t));
            (format!(" frame #{} → ", app.selected), row.frame())
        }
        _ => {
            let what = match row.kind {
                Kind::Data => "body read",
                Kind::Last => "last-chunk",
                Kind::Frame { opcode, .. } => opcode.name(),
                Kind::H2 { .. } => "HTTP/2 frame",
                _ => "chunk",
            };
            let mut info = match row.kind {
                // Its header line says how big it is.
                Kind::Frame { .. } | Kind::H2 { .. } => String::new(),
                _ => format!("{} bytes ", row.size),
            };
            let _ =
                write!(info, "at byte {}, arrived {}", row.offset, ms(row.t));
            if row.t_first != row.t {
                let _ = write!(info, " (began {})", ms(row.t_first));
            }
            let _ = write!(
                info,
                " in {} read{}",
                row.reads,
                if row.reads == 1 { "" } else { "s" }
            );
            if matches!(row.kind, Kind::Chunk | Kind::Last) {
                lines.push(Line::from(vec![
                    Span::raw("size line "),
                    Span::styled(row.size_line(), t.size_line()),
                    Span::raw(format!(" = {} bytes", row.size)),
                ]));
            }
            if let Kind::H2 {
                frame,
                flags,
                stream,
            } = row.kind
            {
                lines.push(Line::from(vec![
                    Span::styled("9-byte header", t.size_line()),
                    Span::raw(format!(
                        " ({}, flags {flags:#04x}, stream {stream}), then a \
                         {}-byte payload",
                        http2::name(frame),
                        row.size,
                    )),
                ]));
            }
            if let Kind::Frame { fin, .. } = row.kind {
                let header = row.data_offset() - row.offset;
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("{header}-byte header"),
                        t.size_line(),
                    ),
                    Span::raw(format!(
                        " ({}, not masked), then a {}-byte payload{}",
                        if fin { "FIN" } else { "no FIN: more follows" },
                        row.size,
                        row.note()
                            .map(|n| format!(": close {n}"))
                            .unwrap_or_default(),
                    )),
                ]));
            }
            lines.push(Line::raw(info));
            // An event stream: the events this piece completed.
            for (_, e) in x.events.range(x.events_of(app.selected)) {
                let carried = match e.chunks {
                    Some([first, last]) if first != last => {
                        format!(" (chunks {first}-{last})")
                    }
                    _ => String::new(),
                };
                let mut spans = vec![
                    Span::styled(format!("event {}", e.event), t.size_line()),
                    Span::raw(format!(" id {}{carried}: ", e.id)),
                ];
                spans.extend(escaped(&e.preview, usize::MAX, t).spans);
                lines.push(Line::from(spans));
            }
            // A coded body: what these bytes decoded to, before them.
            if x.coded && matches!(row.kind, Kind::Chunk | Kind::Data) {
                lines.push(Line::styled(
                    format!(
                        "{} bytes of content, decoded from its {} coded bytes:",
                        row.content, row.size
                    ),
                    t.title(),
                ));
                let text =
                    x.content_of(app.selected).unwrap_or("(no longer kept)");
                for text in text.lines() {
                    lines.push(escaped(text, usize::MAX, t));
                }
            }
            lines.push(Line::raw(""));
            (format!(" {what} #{} ", app.selected), row.frame())
        }
    };
    let visible_lines =
        usize::from(area.height) + usize::from(app.detail_scroll);
    let highlight = |at: u64| match row.kind {
        Kind::Error if at == row.offset => t.error(),
        Kind::Error => Style::new(),
        Kind::Data => Style::new(),
        Kind::Frame { .. } | Kind::H2 { .. } if at < row.data_offset() => {
            t.size_line()
        }
        Kind::Frame { .. } | Kind::H2 { .. } => Style::new(),
        _ if at < row.data_offset() - 2 => t.size_line(),
        _ if at < row.data_offset() => t.framing(),
        _ if at >= row.data_offset() + row.size => t.framing(),
        _ => Style::new(),
    };
    let (from, wire) = x.wire.get(range.clone());
    let wire: Vec<u8> = wire.take(visible_lines * 16).collect();
    if wire.is_empty() && !range.is_empty() {
        lines.push(Line::styled(
            format!(
                "Its bytes were evicted: the newest {} are kept (--budget).",
                bytes(x.wire.end() - x.wire.evicted())
            ),
            t.dim(),
        ));
    }
    for (i, line) in wire.chunks(per_line).enumerate() {
        let at = from + (i * per_line) as u64;
        lines.push(hex_line(at, line, per_line, &highlight, t));
    }
    let shown = from + wire.len() as u64;
    if shown < range.end && !wire.is_empty() {
        lines.push(Line::styled(
            format!("… {} more bytes (J/K scroll)", range.end - shown),
            t.dim(),
        ));
    }
    let text = match row.kind {
        Kind::Chunk | Kind::Data => !x.coded,
        Kind::Frame { opcode, client, .. } => {
            !client && !matches!(opcode, Opcode::Binary | Opcode::Close)
        }
        Kind::H2 { frame, .. } => {
            frame == http2::DATA && !x.coded && row.size > 0
        }
        _ => false,
    };
    if text {
        lines.push(Line::raw(""));
        lines.push(Line::styled("text", t.title()));
        let start = row.data_offset();
        let (_, data) = x.wire.get(start..start + row.size.min(4096));
        let data: Vec<u8> = data.collect();
        for text in String::from_utf8_lossy(&data).lines() {
            lines.push(escaped(text, usize::MAX, t));
        }
    }
    Paragraph::new(lines)
        .block(Block::bordered().title(title))
        .scroll((app.detail_scroll, 0))
        .render(area, buf);
}

/// `offset  hex bytes  text`, each byte styled by what it is.
fn hex_line<'a>(
    at: u64,
    bytes: &[u8],
    per_line: usize,
    style: &impl Fn(u64) -> Style,
    t: &Theme,
) -> Line<'a> {
    let mut spans = vec![Span::styled(format!("{at:>8}  "), t.dim())];
    for (i, &b) in bytes.iter().enumerate() {
        let gap = if i == 7 { "  " } else { " " };
        spans.push(Span::styled(format!("{b:02x}"), style(at + i as u64)));
        spans.push(Span::raw(gap));
    }
    let missing = per_line - bytes.len();
    let mut pad = " ".repeat(missing * 3);
    if bytes.len() <= 7 && per_line > 8 {
        pad.push(' ');
    }
    spans.push(Span::raw(pad + " "));
    for (i, &b) in bytes.iter().enumerate() {
        spans.push(Span::styled(
            visible_byte(b).to_string(),
            style(at + i as u64),
        ));
    }
    Line::from(spans)
}

// ------------------------------------------------------------ timeline --

fn timeline(app: &App, x: &Exchange, area: Rect, buf: &mut Buffer) {
    let t = &app.options.theme;
    let block = Block::bordered().title(" Timeline ");
    let inner = block.inner(area);
    block.render(area, buf);
    // A label gutter, then one column per interval.
    let gutter = 10u16;
    let columns = inner.width.saturating_sub(gutter + 1).max(1);
    let span = x.now.max(1);
    let per_column = span.div_ceil(u64::from(columns)).max(1);
    let column = |at: Micros| {
        usize::try_from(at / per_column)
            .unwrap_or(usize::MAX)
            .min(usize::from(columns) - 1)
    };
    let (wire, arrivals) = by_column(x, per_column, usize::from(columns));
    let most = wire.iter().copied().max().unwrap_or(0).max(1);
    let bar_rows = inner.height.saturating_sub(8).clamp(1, 12);
    let arrived = match x.rows.get(x.rows.kept().start).map(|r| r.kind) {
        Some(Kind::Data) => "reads",
        Some(Kind::Frame { .. } | Kind::H2 { .. }) => "frames",
        _ => "chunks",
    };
    let mut lines = vec![Line::styled(
        format!(
            "wire bytes per {} (each column), and where {arrived} arrived",
            ms(per_column)
        ),
        t.dim(),
    )];
    // Bars, top row first, in eighths of a cell.
    for level in (0..bar_rows).rev() {
        let label = match level {
            l if l + 1 == bar_rows => bytes(most),
            0 => "0".into(),
            _ => String::new(),
        };
        let mut bar = String::with_capacity(usize::from(columns) * 3);
        for &b in &wire {
            let eighths = b * u64::from(bar_rows) * 8 / most;
            let here = eighths.saturating_sub(u64::from(level) * 8).min(8);
            bar.push(if b > 0 && here == 0 && level == 0 {
                '▁'
            } else {
                [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'][here as usize]
            });
        }
        lines.push(Line::from(vec![
            Span::styled(format!("{label:>9} "), t.dim()),
            Span::styled(bar, t.bar()),
        ]));
    }
    // The chunk arrivals, and the selected one.
    let selected = x.rows.get(app.selected).map(|r| column(r.t));
    let mut marks = vec![Span::styled(format!("{arrived:>9} "), t.dim())];
    for (i, &n) in arrivals.iter().enumerate() {
        let c = match n {
            0 => "─".to_string(),
            1 => "▲".to_string(),
            2..=9 => n.to_string(),
            _ => "+".to_string(),
        };
        let style = if Some(i) == selected {
            t.selected()
        } else if n > 0 {
            t.size_line()
        } else {
            t.dim()
        };
        marks.push(Span::styled(c, style));
    }
    lines.push(Line::from(marks));
    let end = ms(span);
    let pad = usize::from(columns).saturating_sub(4 + end.len());
    lines.push(Line::styled(
        format!("{:>9} 0 ms{}{end}", "", " ".repeat(pad)),
        t.dim(),
    ));
    lines.push(Line::raw(""));
    let width = usize::from(inner.width);
    lines.extend(
        summary(x)
            .iter()
            .flat_map(|s| wrap(s, width))
            .map(Line::raw),
    );
    if let Some(row) = x.rows.get(app.selected) {
        lines.push(Line::styled(
            format!(
                "selected: #{} at {} ({} bytes)",
                app.selected,
                ms(row.t),
                row.size
            ),
            t.dim(),
        ));
    }
    Paragraph::new(lines).render(inner, buf);
}

/// The timeline's columns of `per_column` each: the wire bytes of the kept
/// reads whose time falls in each, and how many kept rows arrived in each
/// (every row but the error row).
///
/// Times never go backwards: a monotonic clock stamps every read, and a
/// row takes the time of a read. So each column's reads, and its rows,
/// are consecutive, and a binary search finds where each column ends. A
/// frame then costs the same with ten rows or two million; counting row
/// by row took 10 ms a frame at a million.
fn by_column(
    x: &Exchange,
    per_column: Micros,
    columns: usize,
) -> (Vec<u64>, Vec<u32>) {
    let mut wire = vec![0u64; columns];
    let mut arrivals = vec![0u32; columns];
    let column = |at: Micros| {
        usize::try_from(at / per_column)
            .unwrap_or(usize::MAX)
            .min(columns - 1)
    };
    let (mut read, mut row) = (x.reads.kept().start, x.rows.kept().start);
    for c in 0..columns {
        // Where the column ends; the last one takes all the rest.
        let (read_end, row_end) = if c + 1 == columns {
            (x.reads.total(), x.rows.total())
        } else {
            (
                x.reads.partition_point(|r| column(r.t) <= c),
                x.rows.partition_point(|r| column(r.t) <= c),
            )
        };
        // Reads are contiguous on the wire: together they span from where
        // the first starts to where the last ends.
        if read < read_end
            && let (Some(first), Some(last)) =
                (x.reads.get(read), x.reads.get(read_end - 1))
        {
            wire[c] = last.range().end - first.offset;
        }
        arrivals[c] = u32::try_from(row_end - row).unwrap_or(u32::MAX);
        (read, row) = (read_end, row_end);
    }
    // The error row, if any, is the last row; it is not an arrival.
    if let Some(error) = x.rows.last().filter(|r| r.kind == Kind::Error) {
        arrivals[column(error.t)] -= 1;
    }
    (wire, arrivals)
}

/// The pieces of the body among the kept rows: what carries data, as the
/// status bar counts it (chunks, or reads of a body that is not chunked).
/// The last-chunk only ends the body.
#[derive(Debug, PartialEq, Eq)]
struct Pieces<'a> {
    first: &'a Row,
    last: &'a Row,
    count: u64,
    longest_wait: Option<Micros>,
}

/// The pieces, found without a pass over every row on every frame: they
/// are the kept rows but for those that can only come last, at most two
/// (the last-chunk, then an error row), and the exchange keeps the
/// longest wait as rows arrive.
fn pieces(x: &Exchange) -> Option<Pieces<'_>> {
    let kept = x.rows.kept();
    let mut end = kept.end;
    while end > kept.start
        && x.rows
            .get(end - 1)
            .is_some_and(|r| !matches!(r.kind, Kind::Chunk | Kind::Data))
    {
        end -= 1;
    }
    let count = end.checked_sub(kept.start).filter(|&n| n > 0)?;
    Some(Pieces {
        first: x.rows.get(kept.start)?,
        last: x.rows.get(end - 1)?,
        count,
        longest_wait: x.longest_wait(),
    })
}

/// What the timeline says in words: when the body's bytes came, and the
/// verdict on its content with its clues.
fn summary(x: &Exchange) -> Vec<String> {
    if x.frames > 0 {
        return vec![format!(
            "A WebSocket: {} frames so far, both ways; the Chunks view lists them.",
            x.frames
        )];
    }
    let Some(p) = pieces(x) else {
        return vec!["No body bytes yet.".into()];
    };
    let mut when = format!(
        "first body byte at {}, last at {}",
        ms(p.first.t_first),
        ms(p.last.t)
    );
    if let Some(head) = &x.head {
        when = format!("head at {}, {when}", ms(head.t));
    }
    if let Some(end) = x.rows.last().filter(|r| r.kind == Kind::Last) {
        when += &format!(", last-chunk at {}", ms(end.t));
    }
    let noun = if p.first.kind == Kind::Data {
        "reads"
    } else {
        "chunks"
    };
    let mut out = vec![when];
    if let Some(gap) = p.longest_wait {
        out.push(format!("Longest wait between {noun}: {}.", ms(gap)));
    }
    if let Some(v) = x.verdict() {
        out.push(match x.is_over() {
            true => v.sentence(),
            false => v.so_far(),
        });
        out.extend(v.clues.iter().map(|c| format!("· {}", c.message)));
    }
    out
}

// --------------------------------------------------------------- reads --

fn reads(app: &App, x: &Exchange, area: Rect, buf: &mut Buffer) {
    let t = &app.options.theme;
    let page = u64::from(area.height.saturating_sub(3).max(1));
    let start =
        window(app.selected_read, app.read_scroll, page, x.reads.total())
            .max(x.reads.kept().start);
    let rows: Vec<TableRow> = x
        .reads
        .range(start..start + page)
        .map(|(n, read)| {
            let previous = n.checked_sub(1).and_then(|p| x.reads.get(p));
            let range = read.range();
            let row = TableRow::new([
                Cell::from(n.to_string()),
                Cell::from(ms(read.t)),
                Cell::from(
                    previous.map_or(String::new(), |p| delta(p.t, read.t)),
                ),
                Cell::from(read.len.to_string()),
                Cell::from(format!("{}..{}", range.start, range.end)),
                Cell::from(carried(x, range)),
            ]);
            if n == app.selected_read {
                row.style(t.selected())
            } else {
                row
            }
        })
        .collect();
    let header = TableRow::new([
        "read",
        "arrival",
        "Δ",
        "bytes",
        "wire bytes",
        "carried",
    ])
    .style(t.title());
    Table::new(
        rows,
        [
            Constraint::Length(6),
            Constraint::Length(10),
            Constraint::Length(10),
            Constraint::Length(7),
            Constraint::Length(16),
            Constraint::Min(10),
        ],
    )
    .header(header)
    .block(Block::bordered().title(format!(
        " Reads: {} · what each read(2) returned; reads and chunks need not line up ",
        x.reads.total()
    )))
    .render(area, buf);
}

/// What a read carried: the head, and which chunks, whole or in part.
fn carried(x: &Exchange, range: std::ops::Range<u64>) -> String {
    let mut parts = Vec::new();
    if let Some(head) = &x.head
        && range.start < head.bytes as u64
    {
        parts.push(if range.end < head.bytes as u64 {
            "head (part)".to_string()
        } else {
            "head".to_string()
        });
    }
    let rows = x.rows_in(range.clone());
    let label = |n: u64| {
        let Some(row) = x.rows.get(n) else {
            return String::new();
        };
        let frame = row.frame();
        let name = match row.kind {
            Kind::Error => "error".to_string(),
            Kind::Data => "data".to_string(),
            Kind::Last => format!("#{n} last"),
            Kind::Chunk => format!("#{n}"),
            Kind::Frame { opcode, .. } => format!("#{n} {}", opcode.name()),
            Kind::H2 { frame, .. } => format!("#{n} {}", http2::name(frame)),
        };
        match (frame.start < range.start, frame.end > range.end) {
            (true, true) => format!("{name} (middle)"),
            (true, false) => format!("{name} (end)"),
            (false, true) => format!("{name} (start)"),
            (false, false) => name,
        }
    };
    if rows.end - rows.start <= 4 {
        parts.extend(rows.map(label));
    } else {
        parts.push(label(rows.start));
        parts.push(format!("… {} more …", rows.end - rows.start - 2));
        parts.push(label(rows.end - 1));
    }
    parts.join(", ")
}

// ----------------------------------------------------------------- raw --

fn raw(app: &App, x: &Exchange, area: Rect, buf: &mut Buffer) {
    let t = &app.options.theme;
    let block = Block::bordered().title(
        " Raw: the wire bytes from the selected chunk; ← is CR, ↓ LF, → tab, · not printable ASCII ",
    );
    let inner = block.inner(area);
    block.render(area, buf);
    let from = match x.rows.get(app.selected) {
        Some(row) if app.selected > x.rows.kept().start => row.offset,
        _ => x.wire.evicted(),
    };
    let width = usize::from(inner.width.saturating_sub(10)).max(8);
    let want = u64::from(inner.height) * width as u64;
    let (from, wire) = x.wire.get(from..from + want);
    // Which bytes are size lines: walk the rows from the one at `from`.
    let mut rows = x.rows.range(x.rows_in(from..from + want));
    let mut row = rows.next();
    let head_end = x.head.as_ref().map_or(0, |h| h.bytes as u64);
    let style = |at: u64, row: Option<&Row>| match row {
        _ if at < head_end => t.head(),
        Some(r)
            if matches!(r.kind, Kind::Chunk | Kind::Last)
                && at < r.data_offset().saturating_sub(2) =>
        {
            t.size_line()
        }
        _ => Style::new(),
    };
    let mut lines: Vec<Line> = Vec::new();
    let mut spans = vec![Span::styled(format!("{from:>8}  "), t.dim())];
    let mut cells = 0;
    for (i, b) in wire.enumerate() {
        let at = from + i as u64;
        while let Some((_, r)) = row {
            if at >= r.frame().end {
                row = rows.next();
            } else {
                break;
            }
        }
        let s = match b {
            b'\r' | b'\n' => t.framing(),
            _ => style(at, row.map(|(_, r)| r)),
        };
        spans.push(Span::styled(visible_byte(b).to_string(), s));
        cells += 1;
        if b == b'\n' || cells == width {
            lines.push(Line::from(std::mem::take(&mut spans)));
            spans.push(Span::styled(format!("{:>8}  ", at + 1), t.dim()));
            cells = 0;
            if lines.len() >= usize::from(inner.height) {
                break;
            }
        }
    }
    if cells > 0 {
        lines.push(Line::from(spans));
    }
    Paragraph::new(lines).render(inner, buf);
}

// ------------------------------------------------------------- headers --

fn headers(app: &App, x: &Exchange, area: Rect, buf: &mut Buffer) {
    let t = &app.options.theme;
    let mut lines = vec![Line::styled("Request, as sent", t.title())];
    for line in String::from_utf8_lossy(&x.request).lines() {
        if !line.is_empty() {
            lines.push(Line::raw(format!("  {line}")));
        }
    }
    lines.push(Line::raw(""));
    // How the connection was made: its timings, and TLS's agreement.
    if let Some(h) = x.head.as_ref().filter(|h| !h.connection.is_empty()) {
        lines.push(Line::styled("Connection", t.title()));
        for said in &h.connection {
            lines.push(Line::raw(format!("  {said}")));
        }
        lines.push(Line::raw(""));
    }
    match &x.head {
        Some(h) => {
            lines.push(Line::styled(
                format!(
                    "Response head: {} bytes, arrived {}, framing: {}",
                    h.bytes,
                    ms(h.t),
                    h.framing
                ),
                t.title(),
            ));
            lines.push(Line::styled(
                format!("  {} {} {}", h.version, h.status, h.reason),
                t.head(),
            ));
            for [name, value] in &h.headers {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {name}"), t.head()),
                    Span::raw(format!(": {value}")),
                ]));
            }
        }
        None => lines.push(Line::styled("No response head yet.", t.dim())),
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Trailers", t.title()));
    if x.trailers.is_empty() {
        lines.push(Line::styled("  (none)", t.dim()));
    }
    for [name, value] in &x.trailers {
        lines.push(Line::raw(format!("  {name}: {value}")));
    }
    Paragraph::new(Text::from(lines))
        .block(Block::bordered().title(" Headers "))
        .scroll((app.headers_scroll, 0))
        .render(area, buf);
}

// -------------------------------------------------------------- format --

/// A time since the request: `0.41 ms`, `412.3 ms`, `12.35 s`.
pub fn ms(micros: Micros) -> String {
    let ms = micros as f64 / 1e3;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 10_000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1e3)
    }
}

/// The time between two arrivals: `+400.1 ms`.
fn delta(before: Micros, after: Micros) -> String {
    format!("+{}", ms(after.saturating_sub(before)))
}

/// At most `width` characters, with … if cut.
fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    /// At 80 columns a WebSocket's keys stay in the bar, with help and
    /// quit; the view and follow keys give way first.
    #[test]
    fn the_key_bar_keeps_what_can_be_done_now_when_narrow() {
        let all = vec![
            ("↑↓", "select"),
            ("Tab", "view"),
            ("f", "unfollow"),
            ("r/Enter", "repeat"),
            ("Esc", "lessons"),
            ("m", "message"),
            ("c", "close"),
            ("?", "help"),
            ("q", "quit"),
        ];
        assert_eq!(fitting(all.clone(), 200), all);
        let narrow = fitting(all, 80);
        let keys: Vec<&str> = narrow.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["↑↓", "r/Enter", "Esc", "m", "c", "?", "q"]);
        let width: usize = narrow
            .iter()
            .map(|(k, w)| k.chars().count() + w.chars().count() + 3)
            .sum();
        assert!(width <= 80, "{width}");
    }

    use super::*;

    /// Byte views draw every byte in one cell, CR LF and tab as arrows.
    #[test]
    fn a_byte_is_one_cell() {
        let drawn: String =
            b"0\r\n\t~\x00\xff".map(visible_byte).iter().collect();
        assert_eq!(drawn, "0←↓→~··");
        // None left for the terminal to act on: each moves the cursor
        // one cell.
        for b in 0..=u8::MAX {
            assert!(!visible_byte(b).is_control(), "{b:#04x}");
        }
    }

    /// Text escapes CR LF and tab, dimmed, and a cut never splits an
    /// escape.
    #[test]
    fn text_escapes_controls_and_cuts_whole_escapes() {
        let t = Theme::from_env();
        let line = escaped("a\r\n\tb\x07", 20, &t);
        assert_eq!(line.to_string(), "a\\r\\n\\tb·");
        assert_eq!(line.spans[1].style, t.dim());
        let cut = |text, width| escaped(text, width, &t).to_string();
        assert_eq!(cut("ab\n", 4), "ab\\n");
        assert_eq!(cut("ab\ncd", 4), "ab…");
        assert_eq!(cut("abc\nd", 5), "abc…");
        assert_eq!(cut("abcdef", 5), "abcd…");
    }

    /// The timeline's columns counted row by row and read by read: what
    /// `by_column` must agree with.
    fn by_column_slowly(
        x: &Exchange,
        per_column: Micros,
        columns: usize,
    ) -> (Vec<u64>, Vec<u32>) {
        let column = |at: Micros| {
            usize::try_from(at / per_column)
                .unwrap_or(usize::MAX)
                .min(columns - 1)
        };
        let mut wire = vec![0u64; columns];
        for read in x.reads.iter() {
            wire[column(read.t)] += u64::from(read.len);
        }
        let mut arrivals = vec![0u32; columns];
        for row in x.rows.iter() {
            if row.kind != Kind::Error {
                arrivals[column(row.t)] += 1;
            }
        }
        (wire, arrivals)
    }

    /// The pieces from a pass over every kept row: what `pieces` must
    /// agree with.
    fn pieces_slowly(x: &Exchange) -> Option<Pieces<'_>> {
        let pieces: Vec<&Row> = x
            .rows
            .iter()
            .filter(|r| matches!(r.kind, Kind::Chunk | Kind::Data))
            .collect();
        Some(Pieces {
            first: pieces.first()?,
            last: pieces.last()?,
            count: pieces.len() as u64,
            longest_wait: pieces
                .windows(2)
                .map(|w| w[1].t.saturating_sub(w[0].t))
                .max(),
        })
    }

    /// A response of every shape the inspector meets, to be read in
    /// random pieces: chunked or not, complete, cut short, or broken
    /// before or after its last-chunk.
    fn response(
        shape: usize,
        next: &mut impl FnMut(usize) -> usize,
    ) -> Vec<u8> {
        let chunks = next(40);
        let mut wire = Vec::new();
        if shape < 4 {
            wire.extend(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            );
            for i in 0..chunks {
                let size = 1 + next(30);
                let line = if i % 7 == 3 {
                    format!("{size:X};x=y")
                } else {
                    format!("{size:x}")
                };
                wire.extend(line.as_bytes());
                wire.extend(b"\r\n");
                wire.extend(std::iter::repeat_n(b'a', size));
                wire.extend(b"\r\n");
            }
            wire.extend(match shape {
                0 => b"0\r\n\r\n".as_slice(),
                1 => b"zz\r\n",
                2 => b"0\r\n no: fold\r\n\r\n",
                _ => b"",
            });
        } else {
            let body = chunks * 5;
            let head = if shape == 4 {
                format!("HTTP/1.1 200 OK\r\nContent-Length: {body}\r\n\r\n")
            } else {
                "HTTP/1.1 200 OK\r\n\r\n".to_owned()
            };
            wire.extend(head.as_bytes());
            wire.extend(std::iter::repeat_n(b'b', body));
        }
        wire
    }

    #[test]
    fn the_timeline_counts_what_a_scan_of_every_row_counts() {
        // xorshift64: the same cases every run.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % n.max(1) as u64).unwrap()
        };
        // The shapes that matter, each met at least once.
        let (mut evicted, mut broken_after_last, mut plain) = (0, 0, 0);
        for case in 0..600 {
            let max_rows = [2, 5, 1000][case % 3];
            let mut x = Exchange::new(
                "GET",
                "http://t/",
                Vec::new(),
                1 << 20,
                max_rows,
            );
            let wire = response(next(6), &mut next);
            let mut t = 0;
            let mut at = 0;
            while at < wire.len() {
                let len = 1 + next(40);
                let to = (at + len).min(wire.len());
                // Often no time between reads; now and then a long wait.
                t += [0, 0, 1, 7, 400, 90_000][next(6)];
                x.read(Duration::from_micros(t), &wire[at..to]);
                at = to;
            }
            if next(2) == 0 {
                x.eof(Duration::from_micros(t + next(3) as u64));
            }
            for columns in [1, 2, 7, 149] {
                let per_column = x.now.max(1).div_ceil(columns as u64).max(1);
                assert_eq!(
                    by_column(&x, per_column, columns),
                    by_column_slowly(&x, per_column, columns),
                    "case {case}, {columns} columns, rows {:?}",
                    x.rows.iter().collect::<Vec<_>>()
                );
            }
            assert_eq!(pieces(&x), pieces_slowly(&x), "case {case}");
            let kinds: Vec<Kind> = x.rows.iter().map(|r| r.kind).collect();
            evicted += usize::from(x.rows.evicted() > 0);
            broken_after_last +=
                usize::from(kinds.ends_with(&[Kind::Last, Kind::Error]));
            plain += usize::from(kinds.first() == Some(&Kind::Data));
        }
        assert!(
            evicted > 0 && broken_after_last > 0 && plain > 0,
            "{evicted} {broken_after_last} {plain}"
        );
    }
}
