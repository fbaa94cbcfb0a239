//! `--svg`: the Timeline as a standalone picture, from records.
//!
//! One lane per exchange, all on one time axis from the moment the
//! request was written: the head's arrival as a tick, each piece of the
//! body (a chunk, a read of a plain body, an HTTP/2 DATA frame, a
//! WebSocket frame from the server) as a bar at its arrival, the end,
//! and under the lane its verdict's word and sentence. A bar spans the
//! time its piece took to arrive, and its height is its bytes: content
//! bytes for a coded body, since that is what the page gets and what the
//! verdict judges, wire bytes otherwise. `compare` draws one lane per
//! target; the book draws its SSR timelines with [`Moment`]s on them.
//!
//! The output depends only on the lanes: every number is written with a
//! fixed number of decimals, so a picture can be snapshot-tested.

use std::fmt::Write as _;
use std::io;
use std::path::Path;
use std::time::SystemTime;

use crate::human;
use crate::human::wrap;
use crate::output::Output;
use crate::session::{Content, Record};
use crate::verdict::{Pattern, Verdict};

/// One exchange's records, drawn as one lane.
#[derive(Debug, Clone, Default)]
pub struct Lane {
    pub label: String,
    pub records: Vec<Record>,
    /// Things the caller knows the records cannot: when a page's parts
    /// arrived, as the book's SSR timelines mark its modules.
    pub moments: Vec<Moment>,
}

impl Lane {
    pub fn new(label: impl Into<String>, records: Vec<Record>) -> Self {
        Lane {
            label: label.into(),
            records,
            moments: Vec::new(),
        }
    }
}

/// A named moment on a lane: a dot at `at_ms`, and a faint bar from
/// `from_ms` if given (a part that was ready then, and came later). One
/// colour per name, the same on every lane, with a legend.
#[derive(Debug, Clone, PartialEq)]
pub struct Moment {
    pub name: String,
    pub from_ms: Option<f64>,
    pub at_ms: f64,
}

// Colours. mdBook sets its themes with a class on <html>, which an SVG in
// an <img> cannot see; `prefers-color-scheme` inside the SVG follows the
// OS instead, and would turn the text light on the book's light theme
// when the OS is dark. So there is no background and one set of colours,
// mid-tones that hold on white and on the dark themes' near-black alike.
// TEXT's grey has the same contrast, about 4.2:1, on both #fff and
// #141617 (coal); the others are at least 3:1 on both, as marks need.
const TEXT: &str = "#7b7b7b";
const HEAD: &str = "#a463c9";
const PIECE: &str = "#3b8fd9";
const EVENT: &str = "#d68910";
const ERROR: &str = "#e0503f";
const STREAMED: &str = "#3aa35f";
const NOT_STREAMED: &str = "#d68910";
/// One per moment name, in order of first appearance.
const MOMENTS: [&str; 5] =
    ["#3b8fd9", "#3aa35f", "#e0503f", "#a463c9", "#d68910"];

const WIDTH: f64 = 900.0;
/// The plot's left and right edges.
const LEFT: f64 = 20.0;
const RIGHT: f64 = 870.0;
/// The tallest bar, and the band it stands in.
const BAR: f64 = 34.0;
const BAND: f64 = 52.0;
const LINE: f64 = 16.0;
/// Characters per line of a verdict's sentence, at 12 px.
const WRAP: usize = 130;

/// What a lane's records come to, for drawing.
#[derive(Debug, Default)]
struct Shape {
    head: Option<f64>,
    pieces: Vec<Piece>,
    events: Vec<f64>,
    end: Option<f64>,
    error: Option<(f64, String)>,
    verdict: Option<Verdict>,
}

/// A piece of the body: when its first and last bytes came, and its bytes.
#[derive(Debug)]
struct Piece {
    from: f64,
    at: f64,
    bytes: u64,
}

impl Shape {
    fn of(records: &[Record]) -> Shape {
        let mut shape = Shape::default();
        // Content bytes of a coded body, wire bytes otherwise.
        let size = |content: &Option<Content>, wire: u64| {
            content.as_ref().map_or(wire, |c| c.content_len)
        };
        for record in records {
            let piece = match record {
                Record::Head { t_ms, status, .. } if *status >= 200 => {
                    shape.head = Some(*t_ms);
                    None
                }
                Record::Chunk(c) if !c.last => Some(Piece {
                    from: c.t_first_ms,
                    at: c.t_ms,
                    bytes: size(&c.content, c.size),
                }),
                Record::Data {
                    t_ms, len, content, ..
                } => Some(Piece {
                    from: *t_ms,
                    at: *t_ms,
                    bytes: size(content, *len as u64),
                }),
                Record::H2Frame(f) if f.frame == "DATA" => Some(Piece {
                    from: f.t_first_ms,
                    at: f.t_ms,
                    bytes: size(&f.content, u64::from(f.len)),
                }),
                Record::WsFrame {
                    t_first_ms,
                    t_ms,
                    direction: "server",
                    len,
                    ..
                } => Some(Piece {
                    from: *t_first_ms,
                    at: *t_ms,
                    bytes: *len,
                }),
                Record::Event { t_ms, .. } => {
                    shape.events.push(*t_ms);
                    None
                }
                Record::End { t_ms, .. } => {
                    shape.end = Some(*t_ms);
                    None
                }
                Record::Error { t_ms, message, .. } => {
                    shape.error = Some((*t_ms, message.clone()));
                    None
                }
                Record::Verdict(v) => {
                    shape.verdict = Some(v.clone());
                    None
                }
                _ => None,
            };
            shape.pieces.extend(piece);
        }
        shape
    }

    /// The latest time drawn.
    fn last(&self) -> f64 {
        let times = self.head.iter().chain(&self.events).chain(&self.end);
        let pieces = self.pieces.iter().map(|p| &p.at);
        let error = self.error.iter().map(|(t, _)| t);
        times
            .chain(pieces)
            .chain(error)
            .copied()
            .fold(0.0, f64::max)
    }

    /// The lines under the lane: the verdict's word and sentence, or the
    /// error; each wrapped.
    fn words(&self) -> Vec<(Option<(&'static str, &'static str)>, String)> {
        let mut lines = Vec::new();
        if let Some(v) = &self.verdict {
            let colour = match v.pattern {
                Pattern::Stream | Pattern::BurstsBySize => STREAMED,
                _ => NOT_STREAMED,
            };
            let mut wrapped = wrap(&v.sentence(), WRAP).into_iter();
            let word = Some((v.pattern.name(), colour));
            lines.push((word, wrapped.next().unwrap_or_default()));
            lines.extend(wrapped.map(|l| (None, l)));
        }
        if let Some((_, message)) = &self.error {
            let mut wrapped = wrap(message, WRAP).into_iter();
            let word = Some(("error", ERROR));
            lines.push((word, wrapped.next().unwrap_or_default()));
            lines.extend(wrapped.map(|l| (None, l)));
        }
        lines
    }
}

/// Writes the lanes' picture to `path`; an error names the file.
pub fn save(path: &Path, lanes: &[Lane]) -> io::Result<()> {
    std::fs::write(path, timeline(lanes)).map_err(|e| {
        io::Error::new(e.kind(), format!("{}: {e}", path.display()))
    })
}

/// An [`Output`] that passes every record on and, for `--svg` and
/// `--har`, keeps them for a picture or an archive at the end, with the
/// request and when it went. Only then: an endless stream's records
/// never stop growing.
pub struct Keep<'a> {
    out: &'a mut dyn Output,
    records: Option<Vec<Record>>,
    sent: Option<(Vec<u8>, SystemTime)>,
}

impl<'a> Keep<'a> {
    pub fn new(out: &'a mut dyn Output, keep: bool) -> Self {
        Keep {
            out,
            records: keep.then(Vec::new),
            sent: None,
        }
    }

    /// The records kept.
    pub fn records(&self) -> &[Record] {
        self.records.as_deref().unwrap_or_default()
    }

    /// The request as sent, and the wall clock then, once it has gone
    /// out (a raw capture has none).
    pub fn sent(&self) -> Option<(&[u8], SystemTime)> {
        self.sent
            .as_ref()
            .map(|(bytes, at)| (bytes.as_slice(), *at))
    }

    /// Draws what was kept, as one lane called `label`, to `path`.
    pub fn save(self, path: Option<&Path>, label: String) -> io::Result<()> {
        match (path, self.records) {
            (Some(path), Some(records)) => {
                save(path, &[Lane::new(label, records)])
            }
            _ => Ok(()),
        }
    }
}

impl std::fmt::Debug for Keep<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = self.records.as_ref().map(Vec::len);
        f.debug_struct("Keep").field("records", &kept).finish()
    }
}

impl Output for Keep<'_> {
    fn request(&mut self, request: &[u8]) -> io::Result<()> {
        // It has just been written: its records count from now.
        if self.records.is_some() {
            self.sent = Some((request.to_vec(), SystemTime::now()));
        }
        self.out.request(request)
    }

    fn record(&mut self, record: &Record) -> io::Result<()> {
        if let Some(records) = &mut self.records {
            records.push(record.clone());
        }
        self.out.record(record)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The lanes as one SVG document, one above the other on one time axis.
pub fn timeline(lanes: &[Lane]) -> String {
    let shapes: Vec<Shape> =
        lanes.iter().map(|l| Shape::of(&l.records)).collect();
    let moments = lanes.iter().flat_map(|l| &l.moments);
    let last = shapes
        .iter()
        .map(Shape::last)
        .chain(moments.clone().map(|m| m.at_ms))
        .fold(0.0, f64::max);
    let axis = Axis::new(last);
    let x = |ms: f64| LEFT + ms / axis.span * (RIGHT - LEFT);
    let tallest = shapes
        .iter()
        .flat_map(|s| &s.pieces)
        .map(|p| p.bytes)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut names: Vec<&str> = Vec::new();
    for m in moments {
        if !names.contains(&m.name.as_str()) {
            names.push(&m.name);
        }
    }
    let colour = |name: &str| {
        let i = names.iter().position(|n| *n == name).unwrap_or(0);
        MOMENTS[i % MOMENTS.len()]
    };

    let mut body = String::new();
    let mut y = 10.0;
    for (lane, shape) in lanes.iter().zip(&shapes) {
        let _ = writeln!(
            body,
            "<text x=\"{LEFT}\" y=\"{:.1}\" font-weight=\"bold\">{}</text>",
            y + 13.0,
            escape(&lane.label)
        );
        // The baseline: from the request to the end, or to the error.
        let base = y + LINE + 4.0 + BAR;
        let stop = shape.end.or(shape.error.as_ref().map(|e| e.0));
        let stop = stop.unwrap_or_else(|| shape.last());
        let _ = writeln!(
            body,
            "<line x1=\"{:.1}\" y1=\"{base:.1}\" x2=\"{:.1}\" y2=\"{base:.1}\" \
             stroke=\"{TEXT}\"/>",
            x(0.0),
            x(stop)
        );
        for m in &lane.moments {
            let c = colour(&m.name);
            if let Some(from) = m.from_ms {
                let _ = writeln!(
                    body,
                    "<line x1=\"{:.1}\" y1=\"{base:.1}\" x2=\"{:.1}\" \
                     y2=\"{base:.1}\" stroke=\"{c}\" stroke-width=\"6\" \
                     stroke-opacity=\".3\"/>",
                    x(from),
                    x(m.at_ms)
                );
            }
        }
        for p in &shape.pieces {
            // At least 3 px wide and 3 px tall: every piece shows.
            let h = (p.bytes as f64 / tallest as f64 * BAR).max(3.0);
            let w = (x(p.at) - x(p.from)).max(3.0);
            let _ = writeln!(
                body,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" \
                 height=\"{h:.1}\" fill=\"{PIECE}\" fill-opacity=\".8\"/>",
                x(p.at) - w,
                base - h
            );
        }
        if let Some(head) = shape.head {
            let _ = writeln!(
                body,
                "<line x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{2:.1}\" \
                 stroke=\"{HEAD}\" stroke-width=\"2\"/>",
                x(head),
                base - BAR - 2.0,
                base + 8.0
            );
        }
        for &t in &shape.events {
            let _ = writeln!(
                body,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{EVENT}\"/>",
                x(t),
                base + 6.0
            );
        }
        for m in &lane.moments {
            let _ = writeln!(
                body,
                "<circle cx=\"{:.1}\" cy=\"{base:.1}\" r=\"5\" fill=\"{}\"/>",
                x(m.at_ms),
                colour(&m.name)
            );
        }
        if let Some(end) = shape.end {
            let _ = writeln!(
                body,
                "<line x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{2:.1}\" \
                 stroke=\"{TEXT}\" stroke-width=\"3\"/>",
                x(end),
                base - 8.0,
                base + 8.0
            );
        }
        if let Some((t, _)) = shape.error {
            let (cx, d) = (x(t), 5.0);
            let _ = writeln!(
                body,
                "<path d=\"M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}\" \
                 stroke=\"{ERROR}\" stroke-width=\"2.5\"/>",
                cx - d,
                base - d,
                cx + d,
                base + d,
                cx - d,
                base + d,
                cx + d,
                base - d
            );
        }
        y = base + BAND - BAR - 6.0;
        for (word, text) in shape.words() {
            y += LINE;
            let _ = write!(body, "<text x=\"{LEFT}\" y=\"{y:.1}\">");
            if let Some((word, c)) = word {
                let _ = write!(
                    body,
                    "<tspan fill=\"{c}\" font-weight=\"bold\">{word}</tspan> "
                );
            }
            let _ = writeln!(body, "{}</text>", escape(&text));
        }
        y += 14.0;
    }

    // The shared axis under the lanes, a faint line up through them at
    // every tick.
    let top = 10.0;
    let axis_y = y + 4.0;
    let mut grid = String::new();
    for (t, label) in axis.ticks() {
        let _ = writeln!(
            grid,
            "<line x1=\"{0:.1}\" y1=\"{top:.1}\" x2=\"{0:.1}\" y2=\"{axis_y:.1}\" \
             stroke=\"{TEXT}\" stroke-opacity=\".25\"/>\
             <text x=\"{0:.1}\" y=\"{1:.1}\" text-anchor=\"middle\">{label}</text>",
            x(t),
            axis_y + 14.0
        );
    }
    let names: Vec<(&str, &str)> =
        names.iter().map(|n| (*n, colour(n))).collect();
    let (legend, bottom) = legend(axis_y + 38.0, &names, &shapes, tallest);
    let height = bottom + 14.0;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH:.0}\" \
         height=\"{height:.0}\" viewBox=\"0 0 {WIDTH:.0} {height:.0}\" \
         font-family=\"system-ui, sans-serif\" font-size=\"12\" \
         fill=\"{TEXT}\">\n{grid}{body}{legend}</svg>\n"
    )
}

/// A mark in the legend, as the lanes draw it.
#[derive(Debug, Clone, Copy)]
enum Mark {
    Tick(&'static str, f64),
    Bar,
    Dot(&'static str, f64),
    Cross,
}

impl Mark {
    fn draw(self, x: f64, y: f64) -> String {
        match self {
            Mark::Tick(c, w) => format!(
                "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" \
                 stroke=\"{c}\" stroke-width=\"{w:.1}\"/>",
                y - 7.0,
                y + 7.0
            ),
            Mark::Bar => format!(
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"4\" height=\"12\" \
                 fill=\"{PIECE}\"/>",
                x - 2.0,
                y - 6.0
            ),
            Mark::Dot(c, r) => format!(
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\" fill=\"{c}\"/>"
            ),
            Mark::Cross => format!(
                "<path d=\"M{:.1} {:.1}l8 8m0 -8l-8 8\" stroke=\"{ERROR}\" \
                 stroke-width=\"2.5\"/>",
                x - 4.0,
                y - 4.0
            ),
        }
    }
}

/// The key, from `y` down: what each mark is, and the moments' names in
/// their colours. Returns it and where it ends.
fn legend(
    mut y: f64,
    names: &[(&str, &'static str)],
    shapes: &[Shape],
    tallest: u64,
) -> (String, f64) {
    let mut items = vec![
        (Mark::Tick(HEAD, 2.0), "head".to_owned()),
        (
            Mark::Bar,
            format!(
                "piece (height: bytes; the tallest {})",
                human::bytes(tallest)
            ),
        ),
        (Mark::Tick(TEXT, 3.0), "end".to_owned()),
    ];
    if shapes.iter().any(|s| !s.events.is_empty()) {
        items.push((Mark::Dot(EVENT, 2.5), "event".to_owned()));
    }
    if shapes.iter().any(|s| s.error.is_some()) {
        items.push((Mark::Cross, "error".to_owned()));
    }
    items.extend(
        names
            .iter()
            .map(|(n, c)| (Mark::Dot(c, 5.0), n.to_string())),
    );
    let mut out = String::new();
    let mut x = LEFT + 4.0;
    for (mark, text) in items {
        // System fonts run up to about 6.5 px a character at 12 px.
        let width = 30.0 + text.chars().count() as f64 * 6.5;
        if x + width > RIGHT && x > LEFT + 4.0 {
            (x, y) = (LEFT + 4.0, y + 20.0);
        }
        let _ = writeln!(
            out,
            "{}<text x=\"{:.1}\" y=\"{y:.1}\" \
             dominant-baseline=\"middle\">{}</text>",
            mark.draw(x, y),
            x + 10.0,
            escape(&text)
        );
        x += width;
    }
    (out, y)
}

/// The time axis: a round step, so that there are at most about eight
/// ticks, and labels in ms or s.
#[derive(Debug)]
struct Axis {
    step: f64,
    span: f64,
}

impl Axis {
    fn new(last: f64) -> Axis {
        let last = last.max(1.0);
        // 0.01, 0.02, 0.05, 0.1, ... ms: the first that needs no more
        // than eight steps.
        let mut step = 0.01;
        for factor in [2.0, 2.5, 2.0].iter().cycle() {
            if last / step <= 8.0 {
                break;
            }
            step *= factor;
        }
        let span = (last / step).ceil() * step;
        Axis { step, span }
    }

    fn ticks(&self) -> Vec<(f64, String)> {
        let mut ticks = Vec::new();
        let mut i = 0.0;
        while i * self.step <= self.span + self.step / 2.0 {
            let t = i * self.step;
            ticks.push((t, self.label(t)));
            i += 1.0;
        }
        ticks
    }

    /// `0`, `250 ms`, `1.5 s`, `0.2 ms`: as many decimals as the step needs.
    fn label(&self, t: f64) -> String {
        if t == 0.0 {
            return "0".into();
        }
        let (value, step, unit) = match self.span > 1000.0 {
            true => (t / 1000.0, self.step / 1000.0, "s"),
            false => (t, self.step, "ms"),
        };
        let decimals = (0..4)
            .find(|&d| {
                let scaled = step * 10f64.powi(d);
                (scaled - scaled.round()).abs() < 1e-6
            })
            .unwrap_or(3) as usize;
        format!("{value:.decimals$} {unit}")
    }
}

/// Text for XML: the five characters markup gives meaning to.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0 at all.
            c if c.is_control() && c != '\t' && c != '\n' => {
                out.push('\u{fffd}')
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Chunk;
    use crate::verdict::Analysis;
    use std::time::Duration;

    fn head(t_ms: f64) -> Record {
        Record::Head {
            t_ms,
            status: 200,
            reason: "OK".into(),
            version: "HTTP/1.1".into(),
            headers: Vec::new(),
            framing: "chunked",
            bytes: 48,
            connection: None,
            notes: Vec::new(),
        }
    }

    fn chunk(index: u64, t_first_ms: f64, t_ms: f64, size: u64) -> Record {
        Record::Chunk(Chunk {
            index,
            t_first_ms,
            t_ms,
            size_line: format!("{size:x}"),
            size,
            data: String::new(),
            data_hex: String::new(),
            reads: 1,
            offset: 0,
            truncated: false,
            last: size == 0,
            content: None,
        })
    }

    fn end(t_ms: f64, chunks: u64, body_bytes: u64) -> Record {
        Record::End {
            t_ms,
            chunks,
            body_bytes,
            frames: None,
        }
    }

    /// The verdict the analysis gives on a head at `head_ms` and these
    /// arrivals, (ms, bytes).
    fn verdict(head_ms: u64, arrivals: &[(u64, u64)]) -> Record {
        let ms = Duration::from_millis;
        let mut analysis = Analysis::new();
        analysis.head(ms(head_ms), "HTTP/1.1", "chunked", &[]);
        for &(at, n) in arrivals {
            analysis.arrived(ms(at), n, n);
        }
        Record::Verdict(analysis.verdict(true))
    }

    fn chunked_stream() -> Lane {
        let arrivals = [(0, 120), (200, 40), (400, 40), (600, 800)];
        let mut records = vec![head(0.4)];
        for (i, &(at, n)) in arrivals.iter().enumerate() {
            let at = at as f64 + 0.5;
            records.push(chunk(i as u64, at - 0.1, at, n));
        }
        records.push(chunk(4, 600.6, 600.6, 0));
        records.push(end(600.6, 4, 1000));
        records.push(verdict(0, &arrivals));
        Lane::new("lesson 02: chunked", records)
    }

    fn burst() -> Lane {
        let records = vec![
            head(1.2),
            Record::Data {
                t_ms: 1601.0,
                offset: 60,
                len: 1000,
                data: String::new(),
                data_hex: String::new(),
                truncated: false,
                content: None,
            },
            end(1601.0, 0, 1000),
            verdict(1, &[(1601, 1000)]),
        ];
        Lane::new("through :8080", records)
    }

    fn broken() -> Lane {
        let mut records = vec![
            head(0.3),
            chunk(0, 0.3, 0.4, 5),
            Record::Error {
                t_ms: 50.0,
                offset: 58,
                kind: "bad_chunk_size",
                message: "the chunk size `0x5` is not hexadecimal".into(),
            },
        ];
        let mut analysis = Analysis::new();
        analysis.head(Duration::from_micros(300), "HTTP/1.1", "chunked", &[]);
        analysis.arrived(Duration::from_micros(400), 5, 5);
        records.push(Record::Verdict(analysis.verdict(false)));
        Lane::new("a <broken> \"stream\" & more", records)
    }

    fn well_formed(svg: &str) {
        // Every tag closes, and no `&` starts anything but an entity.
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>\n"));
        for (i, _) in svg.match_indices('&') {
            let rest = &svg[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| rest.starts_with(e)),
                "{rest}"
            );
        }
    }

    #[test]
    fn a_chunked_stream() {
        let svg = timeline(&[chunked_stream()]);
        well_formed(&svg);
        assert_eq!(svg.matches("<rect").count(), 4 + 1, "4 chunks and the key");
        assert!(svg.contains(">stream</tspan>"), "{svg}");
        insta::assert_snapshot!(svg);
    }

    #[test]
    fn a_burst_beside_a_stream_on_one_axis() {
        let svg = timeline(&[chunked_stream(), burst()]);
        well_formed(&svg);
        assert!(svg.contains(">burst_at_end</tspan>"), "{svg}");
        // One axis for both: past 1.6 s, in seconds.
        assert!(svg.contains(">2.0 s</text>"), "{svg}");
        insta::assert_snapshot!(svg);
    }

    #[test]
    fn an_error_lane_says_what_broke_and_labels_are_escaped() {
        let svg = timeline(&[broken()]);
        well_formed(&svg);
        assert!(
            svg.contains("a &lt;broken&gt; &quot;stream&quot; &amp; more"),
            "{svg}"
        );
        assert!(svg.contains(">error</tspan> the chunk size"), "{svg}");
        insta::assert_snapshot!(svg);
    }

    #[test]
    fn moments_get_a_colour_per_name_and_a_key() {
        let mut lane = chunked_stream();
        lane.moments = vec![
            Moment {
                name: "profile".into(),
                from_ms: Some(100.0),
                at_ms: 200.5,
            },
            Moment {
                name: "feed".into(),
                from_ms: None,
                at_ms: 400.5,
            },
        ];
        let svg = timeline(&[lane]);
        well_formed(&svg);
        assert!(svg.contains(&format!("fill=\"{}\"", MOMENTS[1])));
        assert!(
            svg.contains(">profile</text>") && svg.contains(">feed</text>")
        );
    }

    #[test]
    fn the_axis_takes_a_round_step_and_says_its_unit() {
        let labels = |last| {
            let axis = Axis::new(last);
            axis.ticks().into_iter().map(|(_, l)| l).collect::<Vec<_>>()
        };
        assert_eq!(
            labels(0.0),
            ["0", "0.2 ms", "0.4 ms", "0.6 ms", "0.8 ms", "1.0 ms"]
        );
        assert_eq!(labels(801.0)[1..3], ["200 ms", "400 ms"]);
        assert_eq!(labels(1601.0).last().map(String::as_str), Some("2.0 s"));
        assert_eq!(labels(12_000.0)[1], "2 s");
    }

    #[test]
    fn escape_leaves_no_markup() {
        assert_eq!(
            escape("<a href='x'>&\u{1}"),
            "&lt;a href=&apos;x&apos;&gt;&amp;\u{fffd}"
        );
    }
}
