//! The strict, incremental HTTP/1.1 response decoder: the one decoder in
//! the workspace.
//!
//! Feed it bytes as they arrive, split any way at all; it calls back with
//! [`Event`]s: the head, each chunk's size line, data and end, the trailers,
//! and the end of the message. It stops exactly after the message's last
//! byte; what follows belongs to the next message.
//!
//! It is strict on purpose. Where RFC 9112 lets a reader be lenient (a bare
//! LF, whitespace in odd places), lenient readers have disagreed with each
//! other about where a message ends, and that disagreement is what request
//! smuggling exploits. An inspector's job is to point at the byte.
//!
//! Work is done in bulk: data is passed through as slices of the input, and
//! lines are found with `memchr`. The head is gathered into one buffer for
//! httparse, which parses it again only when an LF arrives; a size line or
//! trailer line is copied only when it is split across feeds.

use std::borrow::Cow;

use memchr::memchr;

use crate::error::{Error, ErrorKind};

/// The largest response head read before giving up.
pub const MAX_HEAD: usize = 64 * 1024;
/// The largest chunk size line, extensions included.
pub const MAX_SIZE_LINE: usize = 16 * 1024;
/// The largest trailer section.
pub const MAX_TRAILERS: usize = 16 * 1024;
/// The most header fields in a head.
const MAX_FIELDS: usize = 128;

/// How the end of the body is found (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Transfer-Encoding: chunked`: the last-chunk ends it.
    Chunked,
    /// `Content-Length: n`: after `n` bytes.
    ContentLength(u64),
    /// Neither: the server closes the connection to end it.
    Close,
    /// No body at all: a response to HEAD, a 1xx, 204 or 304.
    None,
}

impl Framing {
    /// The name used in the JSON `head` record.
    pub fn name(self) -> &'static str {
        match self {
            Framing::Chunked => "chunked",
            Framing::ContentLength(_) => "content-length",
            Framing::Close => "close",
            Framing::None => "none",
        }
    }
}

/// A header or trailer field. The value is bytes: HTTP allows obs-text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: Vec<u8>,
}

/// A decoded response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The minor version: 1 for HTTP/1.1.
    pub minor_version: u8,
    pub status: u16,
    pub reason: String,
    pub fields: Vec<Field>,
    pub framing: Framing,
    /// The head's length in bytes, final empty line included.
    pub len: usize,
    /// What the decoder changed to read the head, for a person to see:
    /// an obs-fold replaced with a space. Usually empty.
    pub notes: Vec<String>,
}

impl Head {
    /// The value of the first field called `name`, case aside.
    pub fn field(&self, name: &str) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.as_slice())
    }

    /// Whether a `name` field lists `token`, case aside: `Connection:
    /// keep-alive, Upgrade` lists `upgrade`.
    pub fn lists(&self, name: &str, token: &str) -> bool {
        list(&self.fields, name)
            .any(|t| t.eq_ignore_ascii_case(token.as_bytes()))
    }
}

/// The elements of every `name` field's comma-separated list, trimmed:
/// repeated fields make one list (RFC 9110 §5.3).
fn list<'a>(
    fields: &'a [Field],
    name: &'a str,
) -> impl Iterator<Item = &'a [u8]> {
    fields
        .iter()
        .filter(move |f| f.name.eq_ignore_ascii_case(name))
        .flat_map(|f| f.value.split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
}

// ANCHOR: events
/// What the decoder found. Offsets count from the response's first byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// A complete head. A 1xx head is followed by another head.
    Head(Head),
    /// A chunk's size line was read: `size_line` is exactly as sent, hex
    /// digits and extensions, without its CRLF.
    ChunkStart {
        index: u64,
        offset: u64,
        size: u64,
        size_line: &'a [u8],
    },
    /// Body bytes: part of the current chunk, or of a non-chunked body.
    Data { offset: u64, bytes: &'a [u8] },
    /// The CRLF after chunk `index` was read; `offset` is just past it.
    ChunkEnd { index: u64, offset: u64 },
    /// The last-chunk (size zero) was read; `index` is the number of
    /// chunks before it.
    LastChunk {
        index: u64,
        offset: u64,
        size_line: &'a [u8],
    },
    /// The trailer section, if it was not empty, and what was mended in
    /// it (an obs-fold).
    Trailers {
        fields: Vec<Field>,
        notes: Vec<String>,
    },
    /// The message is complete; `offset` is just past its last byte.
    End {
        offset: u64,
        chunks: u64,
        body_bytes: u64,
    },
}

/// The outcome of one [`Decoder::feed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Every byte was used and the message is not complete yet.
    Partial,
    /// The message ended after this many bytes of the input; the rest
    /// belongs to the next message.
    Complete(usize),
}
// ANCHOR_END: events

// ANCHOR: state
/// Where in the message the decoder is: one state per grammar position.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Head,
    ChunkSize,
    ChunkData {
        remaining: u64,
    },
    /// After a chunk's data: expecting CR.
    ChunkCr,
    /// After that CR: expecting LF.
    ChunkLf,
    Trailer,
    Length {
        remaining: u64,
    },
    UntilClose,
    Done,
    Failed(Error),
}
// ANCHOR_END: state

/// Decodes one HTTP/1.1 response (and any 1xx heads before it).
#[derive(Debug)]
pub struct Decoder {
    state: State,
    /// The offset of the next byte to be fed.
    pos: u64,
    /// A head or line split across feeds, and where it started.
    line: Vec<u8>,
    line_start: u64,
    /// A response to HEAD has no body, whatever its head says; nor has a
    /// 2xx to CONNECT, after which the connection is a tunnel.
    head_request: bool,
    connect_request: bool,
    chunks: u64,
    body_bytes: u64,
    trailers: Vec<Field>,
    trailer_notes: Vec<String>,
    trailer_bytes: usize,
}

impl Decoder {
    /// A decoder for the response to a request with `method`.
    pub fn new(method: &str) -> Self {
        Decoder {
            state: State::Head,
            pos: 0,
            line: Vec::new(),
            line_start: 0,
            head_request: method.eq_ignore_ascii_case("HEAD"),
            connect_request: method.eq_ignore_ascii_case("CONNECT"),
            chunks: 0,
            body_bytes: 0,
            trailers: Vec::new(),
            trailer_notes: Vec::new(),
            trailer_bytes: 0,
        }
    }

    /// A decoder for a chunked body alone, such as a request's, whose head
    /// was read elsewhere: it starts at the first size line, and offsets
    /// count from there. The same rules and limits apply.
    pub fn chunked_body() -> Self {
        Decoder {
            state: State::ChunkSize,
            ..Decoder::new("GET")
        }
    }

    /// The offset of the next byte to be fed.
    pub fn offset(&self) -> u64 {
        self.pos
    }

    // ANCHOR: feed
    /// Decodes as much of `input` as belongs to this message, calling `on`
    /// for each event. After an error, every later call returns it again.
    pub fn feed(
        &mut self,
        mut input: &[u8],
        on: &mut impl FnMut(Event<'_>),
    ) -> Result<Status, Error> {
        let len = input.len();
        loop {
            match &self.state {
                State::Failed(e) => return Err(e.clone()),
                State::Done => return Ok(Status::Complete(len - input.len())),
                _ if input.is_empty() => return Ok(Status::Partial),
                _ => {}
            }
            if let Err(e) = self.step(&mut input, on) {
                self.state = State::Failed(e.clone());
                return Err(e);
            }
        }
    }
    // ANCHOR_END: feed

    // ANCHOR: finish
    /// The connection closed: ends a close-delimited body, and is an error
    /// anywhere else short of the end.
    pub fn finish(
        &mut self,
        on: &mut impl FnMut(Event<'_>),
    ) -> Result<(), Error> {
        let what = match &self.state {
            State::Done => return Ok(()),
            State::Failed(e) => return Err(e.clone()),
            State::UntilClose => {
                self.end(on);
                return Ok(());
            }
            State::Head if self.pos == 0 => "before sending a response",
            State::Head => "in the middle of the response head",
            State::ChunkSize if self.line.is_empty() => {
                "where the next chunk's size line should start"
            }
            State::ChunkSize => "in the middle of a chunk size line",
            State::ChunkData { .. } => "in the middle of a chunk's data",
            State::ChunkCr | State::ChunkLf => "before the CRLF after a chunk",
            State::Trailer => "before the empty line that ends a chunked body",
            State::Length { .. } => "before Content-Length bytes arrived",
        };
        let e = Error {
            offset: self.pos,
            kind: ErrorKind::UnexpectedEof(what),
        };
        self.state = State::Failed(e.clone());
        Err(e)
    }
    // ANCHOR_END: finish

    /// Takes at least one byte from `input`, or fails.
    fn step(
        &mut self,
        input: &mut &[u8],
        on: &mut impl FnMut(Event<'_>),
    ) -> Result<(), Error> {
        match self.state {
            State::Head => self.read_head(input, on),
            // ANCHOR: chunk_size
            State::ChunkSize => {
                let Some(line) = self.take_line(input, MAX_SIZE_LINE)? else {
                    return Ok(());
                };
                let bytes = line.bytes(&self.line);
                let content = check_crlf(bytes, self.line_start)?;
                let size = parse_size_line(content)
                    .map_err(|(at, kind)| self.error_at_line(at, kind))?;
                let offset = self.line_start;
                if size == 0 {
                    on(Event::LastChunk {
                        index: self.chunks,
                        offset,
                        size_line: content,
                    });
                    self.state = State::Trailer;
                } else {
                    on(Event::ChunkStart {
                        index: self.chunks,
                        offset,
                        size,
                        size_line: content,
                    });
                    self.state = State::ChunkData { remaining: size };
                }
                self.line.clear();
                Ok(())
            }
            // ANCHOR_END: chunk_size
            // ANCHOR: chunk_body
            State::ChunkData { remaining } => {
                let n = self.pass_data(input, remaining, on);
                self.state = match remaining - n {
                    0 => State::ChunkCr,
                    remaining => State::ChunkData { remaining },
                };
                Ok(())
            }
            State::ChunkCr => {
                match input[0] {
                    b'\r' => {}
                    b'\n' => return Err(self.error_at(0, ErrorKind::BareLf)),
                    _ => {
                        return Err(
                            self.error_at(0, ErrorKind::MissingCrlfAfterData)
                        );
                    }
                }
                self.advance(input, 1);
                self.state = State::ChunkLf;
                Ok(())
            }
            State::ChunkLf => {
                if input[0] != b'\n' {
                    // The CR we took was a lone CR.
                    return Err(Error {
                        offset: self.pos - 1,
                        kind: ErrorKind::BareCr,
                    });
                }
                self.advance(input, 1);
                on(Event::ChunkEnd {
                    index: self.chunks,
                    offset: self.pos,
                });
                self.chunks += 1;
                self.state = State::ChunkSize;
                Ok(())
            }
            // ANCHOR_END: chunk_body
            State::Trailer => self.read_trailer(input, on),
            State::Length { remaining } => {
                let n = self.pass_data(input, remaining, on);
                if remaining == n {
                    self.end(on);
                } else {
                    self.state = State::Length {
                        remaining: remaining - n,
                    };
                }
                Ok(())
            }
            State::UntilClose => {
                self.pass_data(input, u64::MAX, on);
                Ok(())
            }
            State::Done | State::Failed(_) => unreachable!("feed checks first"),
        }
    }

    // ANCHOR: pass_data
    /// Passes up to `max` bytes of body through, without copying.
    fn pass_data(
        &mut self,
        input: &mut &[u8],
        max: u64,
        on: &mut impl FnMut(Event<'_>),
    ) -> u64 {
        let n =
            usize::try_from(max).map_or(input.len(), |m| m.min(input.len()));
        on(Event::Data {
            offset: self.pos,
            bytes: &input[..n],
        });
        self.advance(input, n);
        self.body_bytes += n as u64;
        n as u64
    }
    // ANCHOR_END: pass_data

    fn read_head(
        &mut self,
        input: &mut &[u8],
        on: &mut impl FnMut(Event<'_>),
    ) -> Result<(), Error> {
        // httparse needs the whole head in one slice. Collect at most
        // MAX_HEAD bytes of it, then give back what lies past its end.
        if self.line.is_empty() {
            self.line_start = self.pos;
        }
        let before = self.line.len();
        let data: &[u8] = input;
        let take = data.len().min(MAX_HEAD + 1 - before);
        // A head can only end at an LF. Parsing again only when one came
        // keeps a head that trickles in byte by byte from costing
        // quadratic time.
        if memchr(b'\n', &data[..take]).is_none() && before + take <= MAX_HEAD {
            self.line.extend_from_slice(&data[..take]);
            self.advance(input, take);
            return Ok(());
        }
        // A head that starts in this read is parsed where it lies. Copying
        // it first would copy the rest of the read for every head, and one
        // read can hold thousands of small 1xx heads.
        let whole: &[u8] = if before == 0 {
            &data[..take]
        } else {
            self.line.extend_from_slice(&data[..take]);
            &self.line
        };

        // RFC 9110 §2.5: a recipient of a later minor version "SHOULD
        // process the message as if it were in the highest minor version
        // within that major version to which the recipient is
        // conformant". httparse knows 1.0 and 1.1 only, so it reads a copy
        // that says 1.1, and a note says what came.
        let later_minor = later_minor_version(whole);
        let head: Cow<'_, [u8]> = match later_minor {
            Some((at, _)) => {
                let mut copy = whole.to_vec();
                copy[at] = b'1';
                Cow::Owned(copy)
            }
            None => Cow::Borrowed(whole),
        };
        let mut fields = [httparse::EMPTY_HEADER; MAX_FIELDS];
        let mut parsed = httparse::Response::new(&mut fields);
        // RFC 9112 §5.2: "A user agent that receives an obs-fold in a
        // response message ... MUST replace each received obs-fold with
        // one or more SP octets prior to interpreting the field value."
        // So httparse keeps the fold in the value, and `unfold` replaces it.
        let config = httparse::ParserConfig::default()
            .allow_obsolete_multiline_headers_in_responses(true)
            .clone();
        let len = match config.parse_response(&mut parsed, &head) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) if before + take > MAX_HEAD => {
                return Err(Error {
                    offset: self.line_start + MAX_HEAD as u64,
                    kind: ErrorKind::HeadTooLarge,
                });
            }
            Ok(httparse::Status::Partial) => {
                if before == 0 {
                    self.line.extend_from_slice(&data[..take]);
                }
                self.advance(input, take);
                return Ok(());
            }
            // httparse does not say where, nor tell a bad reason phrase
            // from a bad status code: `head_error` reads the head again to
            // find the byte, and names the rule it breaks.
            Err(e) => {
                let (at, kind) = head_error(&head, e);
                return Err(self.error_at_line(at, kind));
            }
        };
        // httparse accepts bare LF line endings; this decoder does not.
        if let Some(e) = line_ending_error(&head[..len], self.line_start) {
            return Err(e);
        }
        let status = parsed.code.unwrap_or_default();
        let mut notes = Vec::new();
        // httparse skips empty lines before the status line, as RFC 9112
        // §2.2 asks of a server before a request line; said, not hidden.
        if empty_lines(&head) > 0 {
            notes.push(
                "empty lines before the status line, skipped (RFC 9112 §2.2)"
                    .to_owned(),
            );
        }
        if let Some((_, minor)) = later_minor {
            notes.push(format!(
                "HTTP/1.{minor} read as HTTP/1.1, the latest 1.x this reader \
                 knows (RFC 9110 §2.5)"
            ));
        }
        let fields: Vec<Field> = parsed
            .headers
            .iter()
            .map(|h| Field {
                name: h.name.to_owned(),
                value: unfold(h.name, h.value, &mut notes),
            })
            .collect();
        let no_body = self.head_request
            || self.connect_request && (200..300).contains(&status);
        let framing =
            framing(status, &fields, no_body).map_err(|kind| Error {
                offset: self.line_start,
                kind,
            })?;
        let head = Head {
            minor_version: later_minor
                .map_or(parsed.version.unwrap_or(1), |(_, minor)| minor),
            status,
            reason: reason_phrase(&head),
            fields,
            framing,
            len,
            notes,
        };
        self.line.clear();
        self.advance(input, len - before);
        on(Event::Head(head));

        // ANCHOR: interim
        self.state = match framing {
            // An interim response: the final one follows (RFC 9110 §15.2),
            // except after 101, when the connection changes protocol.
            Framing::None if (100..200).contains(&status) && status != 101 => {
                State::Head
            }
            Framing::None | Framing::ContentLength(0) => {
                self.end(on);
                State::Done
            }
            Framing::ContentLength(n) => State::Length { remaining: n },
            Framing::Chunked => State::ChunkSize,
            Framing::Close => State::UntilClose,
        };
        // ANCHOR_END: interim
        Ok(())
    }

    /// Reads one trailer line; the empty line ends the message.
    fn read_trailer(
        &mut self,
        input: &mut &[u8],
        on: &mut impl FnMut(Event<'_>),
    ) -> Result<(), Error> {
        // A field line, CRLF included, must fit in what is left of
        // MAX_TRAILERS; the empty line that ends the section always fits.
        let limit =
            (MAX_TRAILERS - 1).saturating_sub(self.trailer_bytes).max(1);
        let Some(line) = self.take_line(input, limit).map_err(|e| Error {
            kind: match e.kind {
                ErrorKind::ChunkExtensionTooLong => ErrorKind::TrailersTooLong,
                kind => kind,
            },
            ..e
        })?
        else {
            return Ok(());
        };
        let bytes = line.bytes(&self.line);
        self.trailer_bytes += bytes.len();
        let content = check_crlf(bytes, self.line_start)?;
        if content.is_empty() {
            if !self.trailers.is_empty() {
                on(Event::Trailers {
                    fields: std::mem::take(&mut self.trailers),
                    notes: std::mem::take(&mut self.trailer_notes),
                });
            }
            self.line.clear();
            self.end(on);
            self.state = State::Done;
            return Ok(());
        }
        // RFC 9112 §5.2: a user agent "MUST replace each received
        // obs-fold with one or more SP octets", in trailers as in the head.
        if matches!(content[0], b' ' | b'\t') {
            let Some(above) = self.trailers.last_mut() else {
                return Err(self.error_at_line(0, ErrorKind::ObsFold));
            };
            if let Some(at) = control_byte(content) {
                return Err(self.error_at_line(at, value_error(content[at])));
            }
            let more = content.trim_ascii();
            if !above.value.is_empty() && !more.is_empty() {
                above.value.push(b' ');
            }
            above.value.extend_from_slice(more);
            let note = fold_note(&above.name);
            if !self.trailer_notes.contains(&note) {
                self.trailer_notes.push(note);
            }
            self.line.clear();
            return Ok(());
        }
        let field = parse_field_line(content)
            .map_err(|(at, kind)| self.error_at_line(at, kind))?;
        self.trailers.push(field);
        self.line.clear();
        Ok(())
    }

    // ANCHOR: take_line
    /// Takes one line, up to and including its LF. `None` means the line
    /// is not complete yet: all of `input` was kept for later.
    fn take_line<'i>(
        &mut self,
        input: &mut &'i [u8],
        limit: usize,
    ) -> Result<Option<Line<'i>>, Error> {
        if self.line.is_empty() {
            self.line_start = self.pos;
        }
        let too_long = |this: &Self| Error {
            offset: this.line_start + limit as u64,
            kind: ErrorKind::ChunkExtensionTooLong,
        };
        match memchr(b'\n', input) {
            None => {
                if self.line.len() + input.len() > limit {
                    return Err(too_long(self));
                }
                self.line.extend_from_slice(input);
                self.advance(input, input.len());
                Ok(None)
            }
            Some(lf) => {
                if self.line.len() + lf > limit {
                    return Err(too_long(self));
                }
                let taken = &input[..=lf];
                self.advance(input, lf + 1);
                if self.line.is_empty() {
                    Ok(Some(Line::Input(taken)))
                } else {
                    self.line.extend_from_slice(taken);
                    Ok(Some(Line::Buffered))
                }
            }
        }
    }
    // ANCHOR_END: take_line

    fn advance(&mut self, input: &mut &[u8], n: usize) {
        *input = &input[n..];
        self.pos += n as u64;
    }

    fn end(&mut self, on: &mut impl FnMut(Event<'_>)) {
        on(Event::End {
            offset: self.pos,
            chunks: self.chunks,
            body_bytes: self.body_bytes,
        });
        self.state = State::Done;
    }

    /// An error `at` bytes past the next unread byte.
    fn error_at(&self, at: usize, kind: ErrorKind) -> Error {
        Error {
            offset: self.pos + at as u64,
            kind,
        }
    }

    /// An error `at` bytes into the line just read.
    fn error_at_line(&self, at: usize, kind: ErrorKind) -> Error {
        Error {
            offset: self.line_start + at as u64,
            kind,
        }
    }
}

/// A complete line: still in the input, or gathered in the line buffer.
enum Line<'i> {
    Input(&'i [u8]),
    Buffered,
}

impl<'i> Line<'i> {
    fn bytes<'a>(&self, buffer: &'a [u8]) -> &'a [u8]
    where
        'i: 'a,
    {
        match self {
            Line::Input(bytes) => bytes,
            Line::Buffered => buffer,
        }
    }
}

// ANCHOR: check_crlf
/// Checks that `line` (ending in LF) ends in CRLF and has no other CR, and
/// returns it without its CRLF.
fn check_crlf(line: &[u8], start: u64) -> Result<&[u8], Error> {
    let lf = line.len() - 1;
    if lf == 0 || line[lf - 1] != b'\r' {
        return Err(Error {
            offset: start + lf as u64,
            kind: ErrorKind::BareLf,
        });
    }
    let content = &line[..lf - 1];
    match memchr(b'\r', content) {
        Some(cr) => Err(Error {
            offset: start + cr as u64,
            kind: ErrorKind::BareCr,
        }),
        None => Ok(content),
    }
}
// ANCHOR_END: check_crlf

/// The first LF without CR, or CR without LF, in `bytes`.
fn line_ending_error(bytes: &[u8], start: u64) -> Option<Error> {
    let mut from = 0;
    while let Some(i) = memchr::memchr2(b'\r', b'\n', &bytes[from..]) {
        let i = from + i;
        let kind = match bytes[i] {
            b'\n' => ErrorKind::BareLf,
            _ if bytes.get(i + 1) == Some(&b'\n') => {
                from = i + 2;
                continue;
            }
            // A CR at the very end may be followed by its LF later.
            _ if i + 1 == bytes.len() => return None,
            _ => ErrorKind::BareCr,
        };
        return Some(Error {
            offset: start + i as u64,
            kind,
        });
    }
    None
}

// ANCHOR: parse_size_line
/// Parses `chunk-size [ chunk-ext ]` (RFC 9112 §7.1):
///
/// ```text
/// chunk-size     = 1*HEXDIG
/// chunk-ext      = *( BWS ";" BWS chunk-ext-name
///                     [ BWS "=" BWS chunk-ext-val ] )
/// chunk-ext-name = token
/// chunk-ext-val  = token / quoted-string
/// ```
///
/// Errors carry the index of the offending byte.
fn parse_size_line(line: &[u8]) -> Result<u64, (usize, ErrorKind)> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(match line.first() {
            None => (0, ErrorKind::EmptyChunkSize),
            Some(&b) => (0, ErrorKind::InvalidChunkSize(b)),
        });
    }
    let mut size: u64 = 0;
    for (i, &b) in line[..digits].iter().enumerate() {
        let digit = u64::from(hex_value(b));
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(digit))
            .ok_or((i, ErrorKind::ChunkSizeOverflow))?;
    }
    parse_extensions(line, digits)?;
    Ok(size)
}
// ANCHOR_END: parse_size_line

// ANCHOR: parse_extensions
fn parse_extensions(
    line: &[u8],
    mut i: usize,
) -> Result<(), (usize, ErrorKind)> {
    use ErrorKind::InvalidChunkExtension as Bad;
    while i < line.len() {
        let ws = skip_bws(line, i);
        match line.get(ws) {
            Some(b';') => i = skip_bws(line, ws + 1),
            // Right after the digits, say what is wrong with the size.
            Some(&b) if ws == i && is_first_after_size(line, i) => {
                return Err((i, ErrorKind::InvalidChunkSize(b)));
            }
            None if is_first_after_size(line, i) => {
                return Err((i, ErrorKind::InvalidChunkSize(line[i])));
            }
            None => return Err((i, Bad("whitespace at the end of the line"))),
            Some(_) => {
                return Err((ws, Bad("expected `;` before an extension")));
            }
        }
        let name = token_len(&line[i..]);
        if name == 0 {
            return Err((i, Bad("an extension needs a name (a token)")));
        }
        i += name;
        let ws = skip_bws(line, i);
        if line.get(ws) != Some(&b'=') {
            continue; // a name alone; the loop checks what follows
        }
        i = skip_bws(line, ws + 1);
        i = match line.get(i) {
            Some(b'"') => quoted_string_end(line, i)?,
            Some(_) if token_len(&line[i..]) > 0 => i + token_len(&line[i..]),
            _ => {
                return Err((
                    i,
                    Bad("`=` must be followed by a token or a quoted string"),
                ));
            }
        };
    }
    Ok(())
}
// ANCHOR_END: parse_extensions

/// Whether `i` is the first byte after the size's hex digits.
fn is_first_after_size(line: &[u8], i: usize) -> bool {
    line[..i].iter().all(u8::is_ascii_hexdigit)
}

// ANCHOR: quoted_string_end
/// `quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE`; returns the
/// index just past the closing quote.
fn quoted_string_end(
    line: &[u8],
    open: usize,
) -> Result<usize, (usize, ErrorKind)> {
    use ErrorKind::InvalidChunkExtension as Bad;
    let mut i = open + 1;
    while let Some(&b) = line.get(i) {
        match b {
            b'"' => return Ok(i + 1),
            // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
            b'\\' => match line.get(i + 1) {
                Some(&next)
                    if next == b'\t' || next >= 0x20 && next != 0x7f =>
                {
                    i += 2
                }
                _ => {
                    return Err((
                        i,
                        Bad("a backslash must escape a visible character"),
                    ));
                }
            },
            // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
            b'\t' | 0x20..=0x7e | 0x80..=0xff => i += 1,
            _ => {
                return Err((
                    i,
                    Bad("a control character inside a quoted string"),
                ));
            }
        }
    }
    Err((open, Bad("a quoted string is not closed")))
}
// ANCHOR_END: quoted_string_end

/// `BWS = *( SP / HTAB )`
fn skip_bws(line: &[u8], mut i: usize) -> usize {
    while matches!(line.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

/// The length of the token at the start of `bytes`.
fn token_len(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|&&b| is_tchar(b)).count()
}

/// `tchar` (RFC 9110 §5.6.2).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

/// `field-line = field-name ":" OWS field-value OWS` (RFC 9112 §5).
fn parse_field_line(line: &[u8]) -> Result<Field, (usize, ErrorKind)> {
    use ErrorKind::InvalidTrailer as Bad;
    if matches!(line[0], b' ' | b'\t') {
        return Err((0, ErrorKind::ObsFold));
    }
    let name = token_len(line);
    match line.get(name) {
        _ if name == 0 => {
            return Err((0, Bad("the field name is not a token")));
        }
        Some(b':') => {}
        Some(b' ' | b'\t') => {
            return Err((
                name,
                Bad("whitespace between the name and the colon"),
            ));
        }
        _ => {
            return Err((
                name,
                Bad("the field name is not followed by a colon"),
            ));
        }
    }
    let value = &line[name + 1..];
    if let Some(at) = control_byte(value) {
        return Err((name + 1 + at, value_error(value[at])));
    }
    let trimmed = value.trim_ascii();
    Ok(Field {
        name: String::from_utf8_lossy(&line[..name]).into_owned(),
        value: trimmed.to_vec(),
    })
}

// ANCHOR: framing
/// Decides the framing from the head (RFC 9112 §6.3).
fn framing(
    status: u16,
    fields: &[Field],
    no_body: bool,
) -> Result<Framing, ErrorKind> {
    if no_body || (100..200).contains(&status) || status == 204 || status == 304
    {
        return Ok(Framing::None);
    }
    let codings: Vec<&[u8]> = list(fields, "transfer-encoding")
        .filter(|c| !c.is_empty())
        .collect();
    let lengths: Vec<&[u8]> = list(fields, "content-length").collect();
    // The field's presence is what counts, even with an empty list: one
    // reader that sees `Transfer-Encoding:` and another that does not can
    // disagree on where the body ends (§6.3: "ought to be handled as an
    // error").
    let has_coding_field = fields
        .iter()
        .any(|f| f.name.eq_ignore_ascii_case("transfer-encoding"));
    if has_coding_field && !lengths.is_empty() {
        return Err(ErrorKind::ConflictingFraming);
    }
    if !codings.is_empty() {
        // chunked has no parameters (RFC 9112 §7.1) and is applied at most
        // once (§6.1). A response whose last coding is not chunked is read
        // until the server closes (§6.3).
        let is_chunked = |c: &[u8]| {
            let name = c.split(|&b| b == b';').next().unwrap_or_default();
            name.trim_ascii().eq_ignore_ascii_case(b"chunked")
        };
        if codings.iter().any(|c| is_chunked(c) && c.contains(&b';')) {
            return Err(ErrorKind::InvalidTransferEncoding);
        }
        return match codings.iter().filter(|c| is_chunked(c)).count() {
            0 => Ok(Framing::Close),
            1 if codings.last().is_some_and(|c| is_chunked(c)) => {
                Ok(Framing::Chunked)
            }
            1 => Ok(Framing::Close),
            _ => Err(ErrorKind::InvalidTransferEncoding),
        };
    }
    let Some(first) = lengths.first() else {
        return Ok(Framing::Close);
    };
    if first.is_empty()
        || !first.iter().all(u8::is_ascii_digit)
        || lengths.iter().any(|l| l != first)
    {
        return Err(ErrorKind::InvalidContentLength);
    }
    let n = std::str::from_utf8(first)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(ErrorKind::InvalidContentLength)?;
    Ok(Framing::ContentLength(n))
}
// ANCHOR_END: framing

// ANCHOR: unfold
/// A field's value with each obs-fold replaced by one space, and a note
/// for each field that had one.
///
/// > obs-fold = OWS CRLF RWS ; obsolete line folding
///
/// A bare LF in a fold never gets here: the head was refused for it.
fn unfold(name: &str, value: &[u8], notes: &mut Vec<String>) -> Vec<u8> {
    if memchr(b'\n', value).is_none() {
        return value.to_vec();
    }
    notes.push(fold_note(name));
    let lines: Vec<&[u8]> = value
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line).trim_ascii())
        .filter(|line| !line.is_empty())
        .collect();
    lines.join(&b' ')
}
// ANCHOR_END: unfold

/// What a head or trailer record says of a field it unfolded.
fn fold_note(name: &str) -> String {
    format!("obs-fold in {name}, replaced with a space (RFC 9112 §5.2)")
}

/// Where a head that httparse refused with `e` breaks the grammar, from
/// the head's first byte, and what rule it breaks. The head holds at least
/// the bytes up to the one httparse stopped at, however it was split; the
/// answer depends on those bytes only.
fn head_error(head: &[u8], e: httparse::Error) -> (usize, ErrorKind) {
    let found = match e {
        httparse::Error::Status | httparse::Error::Version => {
            status_line_error(head)
        }
        // A line ending that httparse refused may be in the status line
        // (a lone CR at the very start, say): look there first, so that
        // the answer never depends on how much of the head has come.
        httparse::Error::HeaderName
        | httparse::Error::HeaderValue
        | httparse::Error::NewLine => {
            status_line_error(head).or_else(|| field_lines_error(head))
        }
        httparse::Error::Token | httparse::Error::TooManyHeaders => None,
    };
    found.unwrap_or((0, ErrorKind::InvalidHead(httparse_reason(e))))
}

/// The reason phrase as sent. httparse gives an empty one when it holds
/// obs-text (bytes over 0x7F), which RFC 9112 §4 allows: those are read as
/// UTF-8 if they are, else as ISO-8859-1, HTTP's historical charset
/// (RFC 9110 §5.5).
fn reason_phrase(head: &[u8]) -> String {
    let line = &head[empty_lines(head)..];
    let end = memchr(b'\n', line).unwrap_or(line.len());
    let line = line[..end].strip_suffix(b"\r").unwrap_or(&line[..end]);
    let reason = line.get(13..).unwrap_or_default();
    match std::str::from_utf8(reason) {
        Ok(text) => text.to_owned(),
        Err(_) => reason.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Where a status line's minor version digit is, and its value, when it
/// is later than 1: `HTTP/1.2 200 OK`.
fn later_minor_version(head: &[u8]) -> Option<(usize, u8)> {
    let start = empty_lines(head);
    match head.get(start..start + 9)? {
        [
            b'H',
            b'T',
            b'T',
            b'P',
            b'/',
            b'1',
            b'.',
            minor @ b'2'..=b'9',
            b' ',
        ] => Some((start + 7, minor - b'0')),
        _ => None,
    }
}

/// The empty lines httparse skips before the status line.
fn empty_lines(head: &[u8]) -> usize {
    let mut at = 0;
    while let Some(rest) = head.get(at..) {
        match rest {
            [b'\r', b'\n', ..] => at += 2,
            [b'\n', ..] => at += 1,
            _ => break,
        }
    }
    at
}

// ANCHOR: status_line_error
/// The first byte that breaks the status line (RFC 9112 §4):
///
/// > status-line = HTTP-version SP status-code SP [ reason-phrase ]
/// > status-code = 3DIGIT
/// > reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
fn status_line_error(head: &[u8]) -> Option<(usize, ErrorKind)> {
    use ErrorKind::InvalidHead as Bad;
    let start = empty_lines(head);
    let line = &head[start..];
    let version = b"HTTP/1.";
    if let Some(i) = (0..=version.len()).find(|&i| match line.get(i) {
        Some(&b) if i < version.len() => b != version[i],
        Some(&b) => !matches!(b, b'0' | b'1'),
        None => false,
    }) {
        return Some((start + i, Bad("the version is not HTTP/1.x")));
    }
    if line.get(8).is_some_and(|&b| b != b' ') {
        return Some((
            start + 8,
            Bad("the version is not followed by a space"),
        ));
    }
    let digits = line.get(9..12).unwrap_or_default();
    if let Some(i) = digits.iter().position(|b| !b.is_ascii_digit()) {
        return Some((
            start + 9 + i,
            Bad("the status code is not three digits"),
        ));
    }
    let reason = match line.get(12) {
        Some(b' ') => 13,
        Some(b'\r' | b'\n') => 12,
        Some(b'0'..=b'9') => {
            return Some((
                start + 12,
                Bad("the status code is not three digits"),
            ));
        }
        Some(_) => {
            return Some((
                start + 12,
                Bad("the status code is not followed by a space"),
            ));
        }
        None => return None,
    };
    for (i, &b) in line.iter().enumerate().skip(reason) {
        match b {
            b'\r' if line.get(i + 1) == Some(&b'\n') => return None,
            b'\r' => return Some((start + i, ErrorKind::BareCr)),
            b'\n' => return None,
            b'\t' | b' '..=b'~' | 0x80.. => {}
            _ => {
                return Some((
                    start + i,
                    Bad("the reason phrase has a control character"),
                ));
            }
        }
    }
    None
}
// ANCHOR_END: status_line_error

/// The first field line that breaks `field-line` (RFC 9112 §5), an
/// obs-fold aside, and where. The same checks as a trailer's.
fn field_lines_error(head: &[u8]) -> Option<(usize, ErrorKind)> {
    let start = empty_lines(head);
    let mut at = start + memchr(b'\n', &head[start..])? + 1;
    let mut first = true;
    while at < head.len() {
        let end = memchr(b'\n', &head[at..]).map_or(head.len(), |i| at + i);
        let line = &head[at..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return None;
        }
        let folded = matches!(line[0], b' ' | b'\t');
        if folded && first {
            return Some((
                at,
                ErrorKind::InvalidHead(
                    "whitespace before the first header field (RFC 9112 §2.2)",
                ),
            ));
        }
        let found = match folded {
            // A continuation of the value above: its bytes are value bytes.
            true => control_byte(line).map(|i| (i, value_error(line[i]))),
            false => parse_field_line(line).err(),
        };
        if let Some((i, kind)) = found {
            let kind = match kind {
                ErrorKind::InvalidTrailer(why) => ErrorKind::InvalidHead(why),
                kind => kind,
            };
            return Some((at + i, kind));
        }
        first = false;
        at = end + 1;
    }
    None
}

/// The first byte a field value may not hold: a control character other
/// than HTAB (RFC 9110 §5.5).
fn control_byte(value: &[u8]) -> Option<usize> {
    value
        .iter()
        .position(|&b| b < 0x20 && b != b'\t' || b == 0x7f)
}

/// What a control byte in a field value breaks: a CR alone is the line
/// rule, anything else the value's.
fn value_error(byte: u8) -> ErrorKind {
    match byte {
        b'\r' => ErrorKind::BareCr,
        _ => ErrorKind::InvalidTrailer("a control character in the value"),
    }
}

fn httparse_reason(e: httparse::Error) -> &'static str {
    match e {
        httparse::Error::HeaderName => "a header name is not a token",
        httparse::Error::HeaderValue => "a header value has a forbidden byte",
        httparse::Error::NewLine => "a line ending is malformed",
        httparse::Error::Status => "the status code is not three digits",
        httparse::Error::Token => "the status line has a forbidden byte",
        httparse::Error::TooManyHeaders => {
            "there are more than 128 header fields"
        }
        httparse::Error::Version => {
            "the status line does not start with HTTP/1.x"
        }
    }
}
