//! The analysis layer: did this response stream, and if not, why not?
//!
//! The verdict is judged on *content*, the decoded bytes a browser would
//! hand to the page, over time. Not on chunks: a compressor that holds
//! every write sends a 10-byte gzip header at once and the rest at the
//! end, two chunks, and that is not a stream. Not on wire bytes either,
//! for the same reason.
//!
//! The arrivals of content are grouped into *releases*: arrivals with no
//! pause between them. A pause is a wait of at least [`PAUSE`], or twice
//! the connection's round trip if that is longer: one burst sent at once
//! reaches a far client in several TCP flights, a round trip apart, and
//! that must not look like a stream. Two releases or more is a stream.
//!
//! Everything kept here is bounded, however long the response runs: a
//! few counters, and the content per stretch of time in at most
//! 4,096 buckets, which double their width when time outgrows them.

use std::time::Duration;

use serde::Serialize;

use crate::human::{bytes, time};
use crate::session::millis;

/// The shortest wait between two arrivals that counts as a pause, on a
/// connection whose round trip is shorter than half of it.
pub const PAUSE: Duration = Duration::from_millis(10);

/// The shortest wait a person notices: below it, content that came after
/// the head, or a head that came late, is not called held.
pub const NOTICEABLE: Duration = Duration::from_millis(100);

/// How many stretches of time the content is counted in, for the figures.
const BUCKETS: usize = 4096;

/// The shape of a response's content over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// Content in two releases or more, spread over the response's life.
    Stream,
    /// Everything in one release, after a noticeable wait since the head.
    BurstAtEnd,
    /// Releases of one size, the last no bigger: a buffer filling and
    /// spilling, not the server's writes.
    BurstsBySize,
    /// The head came late, and the content with it in one release: the
    /// head itself was held until the body was ready.
    HeadHeld,
    /// All of the content at once, soon after the head (or none at all):
    /// nothing to judge.
    SinglePiece,
    /// The response broke off, or is still going, before a second release.
    Incomplete,
}

impl Pattern {
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Stream => "stream",
            Pattern::BurstAtEnd => "burst_at_end",
            Pattern::BurstsBySize => "bursts_by_size",
            Pattern::HeadHeld => "head_held",
            Pattern::SinglePiece => "single_piece",
            Pattern::Incomplete => "incomplete",
        }
    }
}

/// A reason the response may not have streamed, drawn from what was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clue {
    /// A short code: `compression`, `content_length`, `proxy`,
    /// `x_accel_buffering`, `http_1_0`, `no_transform`, `head_held`;
    /// `sniffing` for a stream a browser holds, though it streamed.
    pub code: &'static str,
    /// One sentence; a guess says so.
    pub message: String,
}

/// The verdict on one response: the `verdict` record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// Content arrived in two releases or more.
    pub streamed: bool,
    pub pattern: Pattern,
    /// The response ended as its framing says.
    pub complete: bool,
    /// Releases of content: arrivals with no pause between them.
    pub releases: u64,
    /// Decoded bytes of content, and body bytes on the wire.
    pub content_bytes: u64,
    pub body_bytes: u64,
    /// When the head arrived.
    pub head_ms: Option<f64>,
    pub first_content_ms: Option<f64>,
    /// When half of the content had arrived.
    pub half_content_ms: Option<f64>,
    pub last_content_ms: Option<f64>,
    /// The longest wait for content: from the head to the first content,
    /// or between two arrivals of it.
    pub longest_gap_ms: f64,
    /// The share of the content, 0 to 1, that arrived in the last 10% of
    /// the time from the head to the last content.
    pub late_share: f64,
    /// The shortest wait that counted as a pause here.
    pub pause_ms: f64,
    pub clues: Vec<Clue>,
}

/// What the head says that bears on buffering.
#[derive(Debug, Clone, Default)]
struct Facts {
    version: String,
    framing: &'static str,
    content_length: Option<String>,
    content_encoding: Option<String>,
    /// A field that names a proxy or CDN in the path, as `Name: value`.
    front: Option<String>,
    cdn: bool,
    x_accel_buffering: Option<String>,
    no_transform: bool,
    /// `text/plain` without `X-Content-Type-Options: nosniff`: a browser
    /// sniffs its first bytes before it shows them.
    sniffed: bool,
}

/// How many bytes of a `text/plain` body Chromium sniffs before it shows
/// any (`kMaxBytesToSniff`, net/base/mime_sniffer.h; measured in chapter
/// 11).
const SNIFFED: u64 = 1024;

/// The content that arrived in one stretch of time, and when the last
/// of it did.
#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    content: u64,
    last: Duration,
}

/// A release: arrivals with no pause between them.
#[derive(Debug, Clone, Copy)]
struct Release {
    first: Duration,
    last: Duration,
    /// Body bytes on the wire that carried it.
    body: u64,
}

/// The response's content over time, taken in as it arrives.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// The connection's round trip, if known: the time `connect` took.
    rtt: Option<Duration>,
    head: Option<Duration>,
    facts: Facts,
    /// Bucket `i` holds what arrived from `i * width` to `(i + 1) * width`.
    buckets: Vec<Bucket>,
    width: Duration,
    content: u64,
    body: u64,
    first: Option<Duration>,
    last: Option<Duration>,
    longest_gap: Duration,
    releases: u64,
    release: Option<Release>,
    /// The body size of every release so far but the current one, if
    /// they were all the same, and how many they were.
    same_size: Option<(u64, u64)>,
    sizes_differ: bool,
    /// When the content reached [`SNIFFED`] bytes.
    sniffed_by: Option<Duration>,
}

impl Analysis {
    pub fn new() -> Self {
        Analysis::default()
    }

    /// The connection's round trip, as a connect measured it: bursts of
    /// one write spread over TCP flights this far apart.
    pub fn rtt(mut self, rtt: Option<Duration>) -> Self {
        self.rtt = rtt;
        self
    }

    /// The shortest wait that counts as a pause.
    pub fn pause(&self) -> Duration {
        PAUSE.max(self.rtt.map_or(Duration::ZERO, |rtt| rtt * 2))
    }

    /// The final head arrived `at`, with these fields.
    pub fn head(
        &mut self,
        at: Duration,
        version: &str,
        framing: &'static str,
        fields: &[[String; 2]],
    ) {
        self.head = Some(at);
        let field = |name: &str| {
            fields
                .iter()
                .filter(|[n, _]| n.eq_ignore_ascii_case(name))
                .map(|[_, v]| v.as_str())
                .reduce(|_, v| v)
                .map(str::to_owned)
        };
        let fronts = [
            ("via", true),
            ("cf-ray", true),
            ("x-amz-cf-id", true),
            ("x-served-by", true),
            ("x-cache", true),
            ("akamai-grn", true),
            ("x-vercel-id", true),
            ("fly-request-id", false),
            ("server", false),
        ];
        let front = fronts.iter().find_map(|&(name, cdn)| {
            let value = field(name)?;
            let proxy = name != "server"
                || ["nginx", "envoy", "cloudflare", "varnish", "haproxy"]
                    .iter()
                    .any(|p| value.to_ascii_lowercase().contains(p));
            proxy.then(|| (format!("{name}: {value}"), cdn))
        });
        self.facts = Facts {
            version: version.to_owned(),
            framing,
            content_length: field("content-length"),
            content_encoding: field("content-encoding")
                .filter(|v| !v.trim().eq_ignore_ascii_case("identity")),
            cdn: front.as_ref().is_some_and(|(_, cdn)| *cdn),
            front: front.map(|(f, _)| f),
            x_accel_buffering: field("x-accel-buffering"),
            no_transform: field("cache-control").is_some_and(|v| {
                v.to_ascii_lowercase().contains("no-transform")
            }),
            sniffed: field("content-type").is_some_and(|v| {
                let mime = v.split(';').next().unwrap_or_default();
                mime.trim().eq_ignore_ascii_case("text/plain")
            }) && !field("x-content-type-options")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("nosniff")),
        };
    }

    /// `body` bytes of the body arrived `at`, and yielded `content` bytes
    /// of content (the same number, unless the body is coded).
    pub fn arrived(&mut self, at: Duration, body: u64, content: u64) {
        self.body += body;
        let pause = self.pause();
        if content == 0 {
            // Wire bytes that carry no content yet, such as a gzip
            // header, count towards the release they precede.
            if let Some(release) = &mut self.release
                && at.saturating_sub(release.last) < pause
            {
                release.body += body;
            }
            return;
        }
        let since = self.last.or(self.head).unwrap_or_default();
        self.longest_gap = self.longest_gap.max(at.saturating_sub(since));
        match &mut self.release {
            Some(r) if at.saturating_sub(r.last) < pause => {
                r.last = at;
                r.body += body;
            }
            _ => {
                if let Some(done) = self.release.take() {
                    self.same_size = match self.same_size {
                        None => Some((done.body, 1)),
                        Some((size, n)) if size == done.body => {
                            Some((size, n + 1))
                        }
                        Some(other) => {
                            self.sizes_differ = true;
                            Some(other)
                        }
                    };
                }
                self.releases += 1;
                self.release = Some(Release {
                    first: at,
                    last: at,
                    body,
                });
            }
        }
        self.first.get_or_insert(at);
        self.last = Some(at);
        self.content += content;
        if self.content >= SNIFFED {
            self.sniffed_by.get_or_insert(at);
        }
        self.count(at, content);
    }

    /// Counts `content` in its bucket, widening them all if `at` is past
    /// the last one.
    fn count(&mut self, at: Duration, content: u64) {
        if self.width.is_zero() {
            self.width = Duration::from_millis(1);
        }
        // In whole nanoseconds, as u64: 584 years of them, and a 64-bit
        // division where u128's costs several times as much, per read.
        let nanos =
            |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let at_nanos = nanos(at);
        let bucket = |width: Duration| {
            usize::try_from(at_nanos / nanos(width).max(1))
                .unwrap_or(usize::MAX)
        };
        while bucket(self.width) >= BUCKETS {
            // Twice as wide: each pair of buckets becomes one.
            self.buckets = self
                .buckets
                .chunks(2)
                .map(|pair| Bucket {
                    content: pair.iter().map(|b| b.content).sum(),
                    last: pair.iter().map(|b| b.last).max().unwrap_or_default(),
                })
                .collect();
            self.width *= 2;
        }
        let i = bucket(self.width);
        if self.buckets.len() <= i {
            self.buckets.resize(i + 1, Bucket::default());
        }
        let b = &mut self.buckets[i];
        b.content += content;
        b.last = b.last.max(at);
    }

    /// The verdict on what has arrived, had the response ended `end`;
    /// `complete` if it ended as its framing says.
    pub fn verdict(&self, complete: bool) -> Verdict {
        let head = self.head.unwrap_or_default();
        let window = self.last.map(|last| last.saturating_sub(head));
        let late_share = match window {
            Some(window) if !window.is_zero() && self.content > 0 => {
                let from = self.last.unwrap_or_default() - window / 10;
                // A bucket that straddles `from` counts as late if its
                // last content was: this errs late, by a bucket at most.
                let late: u64 = self
                    .buckets
                    .iter()
                    .filter(|b| b.content > 0 && b.last >= from)
                    .map(|b| b.content)
                    .sum();
                late as f64 / self.content as f64
            }
            _ => 1.0,
        };
        let half = self.buckets.iter().scan(0, |sum, b| {
            *sum += b.content;
            Some((*sum, b.last))
        });
        let half_content = half
            .into_iter()
            .find(|&(sum, _)| sum * 2 >= self.content && self.content > 0)
            .map(|(_, at)| at);
        let noticeable = NOTICEABLE.max(self.pause());
        let pattern = match (self.releases, &self.release) {
            (2.., _) if self.by_size() => Pattern::BurstsBySize,
            (2.., _) => Pattern::Stream,
            (_, _) if !complete => Pattern::Incomplete,
            (1, Some(r)) if r.first.saturating_sub(head) >= noticeable => {
                Pattern::BurstAtEnd
            }
            (1, _) if head >= noticeable => Pattern::HeadHeld,
            _ => Pattern::SinglePiece,
        };
        let mut verdict = Verdict {
            streamed: self.releases >= 2,
            pattern,
            complete,
            releases: self.releases,
            content_bytes: self.content,
            body_bytes: self.body,
            head_ms: self.head.map(millis),
            first_content_ms: self.first.map(millis),
            half_content_ms: half_content.map(millis),
            last_content_ms: self.last.map(millis),
            longest_gap_ms: millis(self.longest_gap),
            late_share: (late_share * 1000.0).round() / 1000.0,
            pause_ms: millis(self.pause()),
            clues: Vec::new(),
        };
        verdict.clues = self.clues(&verdict);
        verdict
    }

    /// Three releases or more, all but the last of one body size of at
    /// least 1 KiB, and the last no bigger.
    fn by_size(&self) -> bool {
        match (self.same_size, &self.release) {
            (Some((size, n)), Some(last)) => {
                !self.sizes_differ
                    && n >= 2
                    && size >= 1024
                    && last.body <= size
            }
            _ => false,
        }
    }

    /// The clues that bear on this verdict.
    fn clues(&self, v: &Verdict) -> Vec<Clue> {
        let f = &self.facts;
        let mut clues = Vec::new();
        let mut clue =
            |code, message: String| clues.push(Clue { code, message });
        let held = matches!(
            v.pattern,
            Pattern::BurstAtEnd | Pattern::BurstsBySize | Pattern::HeadHeld
        );
        if held && let Some(coding) = &f.content_encoding {
            clue(
                "compression",
                format!(
                    "The body is {coding}-coded: a compressor that does not \
                     flush after each write holds the content until its \
                     buffer fills or the response ends. It must flush \
                     (Z_SYNC_FLUSH; res.flush() with Express's \
                     compression()) after each piece; compare with \
                     --identity to see the stream without it."
                ),
            );
        }
        // HTTP/2 frames every body, but a content-length field still says
        // the length was known first.
        let sized = f.framing == "content-length"
            || f.framing == "frames" && f.content_length.is_some();
        if held && sized {
            let length = f.content_length.as_deref().unwrap_or_default();
            clue(
                "content_length",
                format!(
                    "The head says Content-Length: {length}, so the whole \
                     body's length was known before its first byte: it was \
                     probably gathered first, by the server or a proxy. A \
                     Content-Length body can still stream when it is written \
                     slowly; this one did not."
                ),
            );
        }
        if v.pattern == Pattern::HeadHeld {
            clue(
                "head_held",
                format!(
                    "The head came {} after the request, together with the \
                     content: nothing was sent until the body was ready. \
                     Send the head (flush) before the slow work.",
                    ms(self.head.unwrap_or_default())
                ),
            );
        }
        if held && let Some(front) = &f.front {
            clue(
                "proxy",
                format!(
                    "A proxy may be in the path ({front}), and proxies can \
                     buffer a response: compare with the origin server \
                     directly (a guess, from the head's fields)."
                ),
            );
        }
        match &f.x_accel_buffering {
            Some(value) if held && value.trim().eq_ignore_ascii_case("no") => {
                clue(
                    "x_accel_buffering",
                    "The response says X-Accel-Buffering: no, which turns \
                     off nginx's proxy buffering, yet the content was held: \
                     something else buffers it (a compressor, or another \
                     proxy)."
                        .into(),
                );
            }
            None if held
                && f.front.as_deref().is_some_and(|s| s.contains("nginx")) =>
            {
                // Measured with Debian's nginx 1.22 in chapter 11's
                // table: each cause below holds a stream on its own. 1.29.7
                // made proxy_http_version 1.1 the default (its CHANGES).
                clue(
                    "x_accel_buffering",
                    "The Server field names nginx. Before 1.29.7 it asks in \
                     HTTP/1.0 by default (no chunks: the answer has \
                     Content-Length, or nginx passes it on 4 KiB at a time); \
                     its gzip, and TLS over HTTP/1.1, hold content while \
                     buffering is on: try proxy_http_version 1.1 and \
                     proxy_buffering off."
                        .into(),
                );
            }
            _ => {}
        }
        if held && f.version == "HTTP/1.0" {
            clue(
                "http_1_0",
                "The response is HTTP/1.0, which has no chunked coding: a \
                 proxy that speaks HTTP/1.0 to its upstream (nginx's \
                 default proxy_http_version) gets no chunks to pass on as \
                 they come."
                    .into(),
            );
        }
        // The wire streamed, but a browser shows nothing of a sniffed
        // body before its first bytes have all come (or the body ended).
        let sniffed_by = self.sniffed_by.or(self.last.filter(|_| v.complete));
        if v.streamed
            && f.sniffed
            && let (Some(first), Some(by)) = (self.first, sniffed_by)
            && by.saturating_sub(first) >= self.pause()
        {
            clue(
                "sniffing",
                format!(
                    "It streamed, but it is text/plain without \
                     X-Content-Type-Options: nosniff, so Chromium shows \
                     nothing until it has sniffed the first {SNIFFED} bytes \
                     (or the end): here at {}, not at {}. Send nosniff.",
                    ms(by),
                    ms(first)
                ),
            );
        }
        if held && f.cdn && !f.no_transform {
            clue(
                "no_transform",
                "A CDN seems to be in the path and Cache-Control has no \
                 no-transform, so it may compress or buffer the response \
                 (a guess, from the head's fields)."
                    .into(),
            );
        }
        clues
    }
}

impl Verdict {
    /// The verdict in a sentence, as `--plain` ends and the TUI shows it.
    /// How the content came, in a phrase to set beside another's, as
    /// `compare` does: "streams: first content at 2.0 ms, the last at
    /// 1.60 s", "arrives in one burst at 1.60 s".
    pub fn brief(&self) -> String {
        let at = |t: Option<f64>| t.map_or("—".into(), time);
        match self.pattern {
            Pattern::Stream => format!(
                "streams: first content at {}, the last at {}",
                at(self.first_content_ms),
                at(self.last_content_ms)
            ),
            Pattern::BurstsBySize => format!(
                "arrives in {} blocks of one size, a buffer spilling, the \
                 first at {}",
                self.releases,
                at(self.first_content_ms)
            ),
            Pattern::BurstAtEnd => format!(
                "arrives in one burst at {}, after the head at {}",
                at(self.last_content_ms),
                at(self.head_ms)
            ),
            Pattern::HeadHeld => format!(
                "holds even its head until {}, then all at once",
                at(self.head_ms)
            ),
            Pattern::SinglePiece => {
                format!("comes in one piece at {}", at(self.last_content_ms))
            }
            Pattern::Incomplete => "does not complete".into(),
        }
    }

    pub fn sentence(&self) -> String {
        let at = |t: Option<f64>| t.map_or("—".into(), time);
        let content = bytes(self.content_bytes);
        match self.pattern {
            Pattern::Stream => format!(
                "Streamed: {content} of content in {} releases, from {} to \
                 {}, half of it by {}; the longest wait was {}.",
                self.releases,
                at(self.first_content_ms),
                at(self.last_content_ms),
                at(self.half_content_ms),
                time(self.longest_gap_ms),
            ),
            Pattern::BurstsBySize => format!(
                "Streamed in blocks: {content} of content in {} releases of \
                 the same size on the wire, the longest wait {}: a buffer \
                 filling and spilling, not the server's own writes.",
                self.releases,
                time(self.longest_gap_ms),
            ),
            Pattern::BurstAtEnd => format!(
                "Not streamed: the head came at {}, then no content for {}, then \
                 all {content} of content at once, at {}.",
                at(self.head_ms),
                time(self.longest_gap_ms),
                at(self.last_content_ms),
            ),
            Pattern::HeadHeld => format!(
                "Not streamed: the head waited for the body, and came at {} \
                 with all {content} of content at once.",
                at(self.head_ms),
            ),
            Pattern::SinglePiece if self.content_bytes == 0 => {
                "Nothing to judge: the response has no content.".into()
            }
            Pattern::SinglePiece => format!(
                "Nothing to judge: all {content} of content came at once, \
                 at {}, right after the head.",
                at(self.last_content_ms),
            ),
            Pattern::Incomplete => format!(
                "Incomplete: the response did not end as its framing says, \
                 after {content} of content in {} release{}.",
                self.releases,
                if self.releases == 1 { "" } else { "s" },
            ),
        }
    }
}

impl Verdict {
    /// The verdict on a response still running, in a sentence: a stream
    /// is one already, anything else may yet become one.
    pub fn so_far(&self) -> String {
        match self.pattern {
            Pattern::Stream | Pattern::BurstsBySize => {
                format!("So far: {}", self.sentence())
            }
            _ if self.content_bytes == 0 => {
                "So far: no content yet, after the head.".into()
            }
            _ => format!(
                "So far: {} of content in one release, at {}; a stream \
                 needs a second.",
                bytes(self.content_bytes),
                self.last_content_ms.map_or("—".into(), time),
            ),
        }
    }
}

/// A duration, as people read it: `1.20 s`, `300 ms`.
fn ms(d: Duration) -> String {
    time(millis(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// An analysis of a response whose head came at `head` ms, with
    /// `fields`, then `arrivals` as (ms, body bytes, content bytes).
    fn judge(
        head: u64,
        fields: &[(&str, &str)],
        arrivals: &[(u64, u64, u64)],
        complete: bool,
    ) -> Verdict {
        let mut a = Analysis::new().rtt(Some(Duration::from_micros(50)));
        let fields: Vec<[String; 2]> = fields
            .iter()
            .map(|(n, v)| [n.to_string(), v.to_string()])
            .collect();
        let framing = match fields.iter().any(|[n, _]| n == "Content-Length") {
            true => "content-length",
            false => "chunked",
        };
        a.head(ms(head), "HTTP/1.1", framing, &fields);
        for &(at, body, content) in arrivals {
            a.arrived(ms(at), body, content);
        }
        a.verdict(complete)
    }

    fn codes(v: &Verdict) -> Vec<&'static str> {
        v.clues.iter().map(|c| c.code).collect()
    }

    #[test]
    fn a_sniffed_stream_is_held_by_the_browser_until_1024_bytes() {
        // 100 bytes every 200 ms: 1024 bytes are in at 2000 ms.
        let arrivals: Vec<_> =
            (0..16).map(|i| (200 * i + 1, 100, 100)).collect();
        let plain = [("Content-Type", "text/plain; charset=utf-8")];
        let v = judge(1, &plain, &arrivals, true);
        assert_eq!((v.pattern, codes(&v)), (Pattern::Stream, vec!["sniffing"]));
        assert!(v.clues[0].message.contains("here at 2.00 s"), "{v:?}");
        // nosniff, another type, or 1024 bytes at once: nothing to say.
        let nosniff = [plain[0], ("X-Content-Type-Options", "nosniff")];
        assert!(judge(1, &nosniff, &arrivals, true).clues.is_empty());
        let html = [("Content-Type", "text/html")];
        assert!(judge(1, &html, &arrivals, true).clues.is_empty());
        let big: Vec<_> = (0..3).map(|i| (200 * i + 1, 2000, 2000)).collect();
        assert!(judge(1, &plain, &big, true).clues.is_empty());
        // A short body is held to its end.
        let short: Vec<_> = (0..3).map(|i| (200 * i + 1, 10, 10)).collect();
        assert_eq!(codes(&judge(1, &plain, &short, true)), ["sniffing"]);
    }

    #[test]
    fn writes_300_ms_apart_are_a_stream() {
        let arrivals: Vec<_> = (0..7).map(|i| (300 * i + 1, 40, 100)).collect();
        let v = judge(1, &[], &arrivals, true);
        assert_eq!(
            (v.pattern, v.streamed, v.releases),
            (Pattern::Stream, true, 7)
        );
        assert_eq!(v.first_content_ms, Some(1.0));
        assert_eq!(v.half_content_ms, Some(901.0));
        assert_eq!(v.last_content_ms, Some(1801.0));
        assert_eq!(v.longest_gap_ms, 300.0);
        // The last 10% of 1.8 s holds the last write: 1 of 7.
        assert_eq!(v.late_share, 0.143);
        assert!(v.clues.is_empty());
    }

    #[test]
    fn a_gzip_header_then_everything_at_the_end_is_a_burst() {
        let fields = [("Content-Encoding", "gzip"), ("Server", "nginx/1.22")];
        // The 10-byte header at once, no content; the rest at 2.1 s, in
        // three reads back to back.
        let arrivals = [
            (1, 10, 0),
            (2100, 1000, 4000),
            (2100, 500, 3000),
            (2101, 8, 1),
        ];
        let v = judge(1, &fields, &arrivals, true);
        assert_eq!(v.pattern, Pattern::BurstAtEnd);
        assert!(!v.streamed);
        assert_eq!(v.releases, 1);
        assert_eq!(v.longest_gap_ms, 2099.0);
        assert_eq!(v.late_share, 1.0);
        assert_eq!(codes(&v), ["compression", "proxy", "x_accel_buffering"]);
        assert!(
            v.sentence()
                .starts_with("Not streamed: the head came at 1.0 ms")
        );
    }

    #[test]
    fn a_head_that_waits_for_the_body_is_held() {
        let fields = [("Content-Length", "5000")];
        let v = judge(1500, &fields, &[(1500, 5000, 5000)], true);
        assert_eq!(v.pattern, Pattern::HeadHeld);
        assert_eq!(codes(&v), ["content_length", "head_held"]);
        // Soon after the request, it is just one piece.
        let v = judge(3, &fields, &[(3, 5000, 5000)], true);
        assert_eq!(v.pattern, Pattern::SinglePiece);
        assert!(v.clues.is_empty());
    }

    #[test]
    fn over_http2_a_content_length_field_is_still_a_clue() {
        let mut a = Analysis::new().rtt(Some(Duration::from_micros(50)));
        let fields = [[":status", "200"], ["content-length", "5000"]]
            .map(|f| f.map(String::from));
        a.head(ms(1500), "HTTP/2", "frames", &fields);
        a.arrived(ms(1500), 5000, 5000);
        assert_eq!(codes(&a.verdict(true)), ["content_length", "head_held"]);
    }

    #[test]
    fn a_content_length_body_written_slowly_streams() {
        let fields = [("Content-Length", "30")];
        let arrivals = [(1, 10, 10), (400, 10, 10), (800, 10, 10)];
        let v = judge(1, &fields, &arrivals, true);
        assert_eq!(v.pattern, Pattern::Stream);
        assert!(v.clues.is_empty());
    }

    #[test]
    fn equal_blocks_with_waits_are_a_buffer_filling() {
        let arrivals = [
            (500, 4096, 9000),
            (1000, 4096, 8000),
            (1500, 4096, 9500),
            (1600, 100, 80),
        ];
        let v = judge(1, &[("Content-Encoding", "br")], &arrivals, true);
        assert_eq!(v.pattern, Pattern::BurstsBySize);
        assert!(v.streamed);
        assert_eq!(codes(&v), ["compression"]);
        // Blocks that differ are a stream.
        let arrivals = [(500, 4096, 1), (1000, 4000, 1), (1500, 4096, 1)];
        assert_eq!(judge(1, &[], &arrivals, true).pattern, Pattern::Stream);
    }

    #[test]
    fn reads_back_to_back_are_one_release() {
        // A flood: a read every 50 µs.
        let mut a = Analysis::new();
        a.head(Duration::ZERO, "HTTP/1.1", "chunked", &[]);
        for i in 0..100_000u64 {
            a.arrived(Duration::from_micros(50 * i), 65536, 65536);
        }
        let v = a.verdict(true);
        assert_eq!((v.pattern, v.releases), (Pattern::SinglePiece, 1));
        assert!(a.buckets.len() <= BUCKETS);
        // Half of the content by the middle, give or take the merging.
        let half = v.half_content_ms.unwrap();
        assert!((2400.0..2700.0).contains(&half), "{half}");
    }

    #[test]
    fn far_servers_bursts_are_not_streams() {
        // One burst over a 150 ms round trip: three TCP flights.
        let mut a = Analysis::new().rtt(Some(ms(150)));
        a.head(ms(150), "HTTP/1.1", "chunked", &[]);
        for (at, n) in [(2000, 14_000), (2150, 28_000), (2300, 56_000)] {
            a.arrived(ms(at), n, n);
        }
        let v = a.verdict(true);
        assert_eq!((v.pattern, v.releases), (Pattern::BurstAtEnd, 1));
        assert_eq!(v.pause_ms, 300.0);
    }

    #[test]
    fn no_content_or_no_end() {
        let v = judge(1, &[], &[], true);
        assert_eq!(v.pattern, Pattern::SinglePiece);
        assert_eq!(
            v.sentence(),
            "Nothing to judge: the response has no content."
        );
        let v = judge(1, &[], &[(200, 5, 5)], false);
        assert_eq!((v.pattern, v.complete), (Pattern::Incomplete, false));
        // A stream that was cut off still streamed.
        let v = judge(1, &[], &[(200, 5, 5), (600, 5, 5)], false);
        assert_eq!((v.pattern, v.streamed), (Pattern::Stream, true));
        // While it runs, it is said so.
        let v = judge(1, &[], &[], false);
        assert_eq!(v.so_far(), "So far: no content yet, after the head.");
        let v = judge(1, &[], &[(200, 5, 5)], false);
        assert_eq!(
            v.so_far(),
            "So far: 5 B of content in one release, at 200 ms; a stream needs \
             a second."
        );
    }
}
