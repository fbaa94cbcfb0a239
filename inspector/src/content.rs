//! Content codings (RFC 9110 §8.4), decoded as the body arrives: what a
//! browser gets out of a `Content-Encoding: gzip` (or `deflate`, `br`,
//! `zstd`) response, piece by piece.
//!
//! Chunked coding frames a message; a content coding compresses what it
//! carries. They are independent: a gzip body may be chunked, or not, and
//! its chunk boundaries say nothing of where the compressor let go of its
//! bytes. So the inspector decodes each piece as it comes (each chunk's
//! data, or each read of a body that is not chunked) and counts the
//! content it yields. A 10-byte gzip header that arrives at once yields
//! nothing: that is the difference between wire bytes and content.
//!
//! Memory stays bounded whatever the input: every coder writes into one
//! fixed buffer, whose bytes are handed on and forgotten; zstd windows
//! over 8 MiB are refused (RFC 9659), and brotli's are capped at its
//! standard 16 MiB (RFC 7932 §9.1: the large-window variant is not HTTP's
//! `br`). A decompression bomb costs time, never memory.

use std::fmt;

use brotli_decompressor::{
    BrotliDecoderParameter, BrotliDecompressStream, BrotliResult, BrotliState,
    StandardAlloc,
};
use flate2::{Decompress, FlushDecompress, Status};
use zstd::stream::raw::{InBuffer, Operation as _, OutBuffer};

/// How much each coder writes before its output is handed on.
const OUT: usize = 32 * 1024;

/// zstd's window limit for HTTP: 8 MiB, 2^23 (RFC 9659 §3).
const ZSTD_WINDOW_LOG_MAX: u32 = 23;

/// A content coding the inspector can undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Gzip,
    /// The zlib format (RFC 1950) as RFC 9110 says, or raw deflate
    /// (RFC 1951) as some servers send it: told apart by the first two
    /// bytes, as browsers do.
    Deflate,
    Br,
    Zstd,
}

impl Coding {
    /// The coding a `Content-Encoding` token names; `None` for `identity`.
    fn parse(token: &str) -> Result<Option<Coding>, String> {
        Ok(Some(match token.to_ascii_lowercase().as_str() {
            "identity" => return Ok(None),
            // "x-gzip" is gzip (RFC 9110 §8.4.1.3).
            "gzip" | "x-gzip" => Coding::Gzip,
            "deflate" => Coding::Deflate,
            "br" => Coding::Br,
            "zstd" => Coding::Zstd,
            other => {
                return Err(format!(
                    "the body's Content-Encoding is {other:?}, which the \
                     inspector cannot decode (it decodes gzip, deflate, br \
                     and zstd), and no browser asks for"
                ));
            }
        }))
    }

    pub fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
            Coding::Br => "br",
            Coding::Zstd => "zstd",
        }
    }
}

/// The codings of a `Content-Encoding` list, in the order they were
/// applied (RFC 9110 §8.4: "listed in the order in which they were
/// applied"); `identity` is left out. An empty list is no coding.
pub fn codings<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Coding>, String> {
    let mut codings = Vec::new();
    for token in values.into_iter().flat_map(|v| v.split(',')) {
        let token = token.trim();
        if !token.is_empty() {
            codings.extend(Coding::parse(token)?);
        }
    }
    Ok(codings)
}

/// Where decoding failed: at which byte of the input it was fed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The index in the coded bytes of that `feed` where the outermost
    /// coder was when the error came out.
    pub at: usize,
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A content decoder: every coding of a response, undone in reverse order
/// of application, each stage's output fed to the next.
#[derive(Debug)]
pub struct Decoder {
    /// The last-applied coding first: it is undone first.
    stages: Vec<Stage>,
}

impl Decoder {
    pub fn new(codings: &[Coding]) -> Self {
        Decoder {
            stages: codings.iter().rev().map(|&c| Stage::new(c)).collect(),
        }
    }

    /// Decodes `coded`, handing each stretch of content to `content` as
    /// it comes out.
    pub fn feed(
        &mut self,
        coded: &[u8],
        content: &mut impl FnMut(&[u8]),
    ) -> Result<(), Failure> {
        run(&mut self.stages, coded, content).map_err(|(at, message)| Failure {
            at: at.unwrap_or(0),
            message,
        })
    }

    /// The body is over: each coding must have come to its end.
    pub fn finish(&mut self) -> Result<(), String> {
        self.stages.iter().try_for_each(Stage::finish)
    }
}

/// A failure, with where the stage that was fed from the wire had got to,
/// once it is known.
type Fail = (Option<usize>, String);

/// Runs `input` through the first stage, its output through the rest.
fn run(
    stages: &mut [Stage],
    input: &[u8],
    content: &mut dyn FnMut(&[u8]),
) -> Result<(), Fail> {
    match stages.split_first_mut() {
        None => {
            content(input);
            Ok(())
        }
        Some((first, rest)) => {
            first.decode(input, &mut |out| run(rest, out, content))
        }
    }
}

/// One coding being undone.
enum Stage {
    Inflate(Box<Inflate>),
    Brotli(Box<Brotli>),
    Zstd(Box<Zstd>),
}

impl fmt::Debug for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Inflate(z) => z.coding.name(),
            Stage::Brotli(_) => "br",
            Stage::Zstd(_) => "zstd",
        })
    }
}

impl Stage {
    fn new(coding: Coding) -> Stage {
        match coding {
            Coding::Gzip | Coding::Deflate => {
                Stage::Inflate(Box::new(Inflate {
                    coding,
                    z: (coding == Coding::Gzip)
                        .then(|| Decompress::new_gzip(15)),
                    start: Vec::new(),
                    ended: false,
                    out: vec![0; OUT],
                }))
            }
            Coding::Br => {
                let mut state = BrotliState::new(
                    StandardAlloc::default(),
                    StandardAlloc::default(),
                    StandardAlloc::default(),
                );
                // HTTP's br is RFC 7932's, whose window is at most 16 MiB;
                // the large-window extension could ask for a gigabyte.
                state.set_parameter(
                    BrotliDecoderParameter::BROTLI_DECODER_PARAM_LARGE_WINDOW,
                    0,
                );
                Stage::Brotli(Box::new(Brotli {
                    state,
                    ended: false,
                    out: vec![0; OUT],
                }))
            }
            Coding::Zstd => Stage::Zstd(Box::new(Zstd::new())),
        }
    }

    fn decode(
        &mut self,
        input: &[u8],
        next: &mut dyn FnMut(&[u8]) -> Result<(), Fail>,
    ) -> Result<(), Fail> {
        match self {
            Stage::Inflate(z) => z.decode(input, next),
            Stage::Brotli(b) => b.decode(input, next),
            Stage::Zstd(z) => z.decode(input, next),
        }
    }

    fn finish(&self) -> Result<(), String> {
        let (name, ended) = match self {
            Stage::Inflate(z) => (z.coding.name(), z.ended),
            Stage::Brotli(b) => ("br", b.ended),
            Stage::Zstd(z) => ("zstd", z.between_frames),
        };
        match ended {
            true => Ok(()),
            false => Err(format!(
                "the body ended inside its {name} data: the coded stream \
                 stops before its end, so its last content may be missing \
                 (a browser may show what it got, or fail the load)"
            )),
        }
    }
}

/// Fills in where the wire-fed stage was, if a later stage failed.
fn at(position: usize) -> impl FnOnce(Fail) -> Fail {
    move |(at, why)| (Some(at.unwrap_or(position)), why)
}

/// gzip (RFC 1952) and deflate, by zlib-rs.
struct Inflate {
    coding: Coding,
    /// Made once the format is known: for deflate, after two bytes.
    z: Option<Decompress>,
    /// The first bytes of a deflate body, until there are two to look at.
    start: Vec<u8>,
    ended: bool,
    out: Vec<u8>,
}

impl Inflate {
    fn decode(
        &mut self,
        mut input: &[u8],
        next: &mut dyn FnMut(&[u8]) -> Result<(), Fail>,
    ) -> Result<(), Fail> {
        let z = match &mut self.z {
            Some(z) => z,
            None => {
                // deflate: a zlib header, or raw deflate data? Look at the
                // first two bytes, however they were split.
                let take = input.len().min(2 - self.start.len());
                self.start.extend_from_slice(&input[..take]);
                input = &input[take..];
                let [cmf, flg] = self.start[..] else {
                    return Ok(());
                };
                let zlib = cmf & 0x0F == 8
                    && cmf >> 4 <= 7
                    && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0;
                let start = std::mem::take(&mut self.start);
                let z = self.z.insert(Decompress::new(zlib));
                let out = &mut self.out;
                let ended = &mut self.ended;
                inflate(z, &start, out, ended, self.coding, next)
                    .map_err(at(0))?;
                // Errors from here on are past the bytes just taken.
                return inflate(z, input, out, ended, self.coding, next)
                    .map_err(|(at, why)| (at.map(|at| at + take), why));
            }
        };
        inflate(z, input, &mut self.out, &mut self.ended, self.coding, next)
    }
}

/// Inflates `input` through `out`, handing on what comes out.
fn inflate(
    z: &mut Decompress,
    input: &[u8],
    out: &mut [u8],
    ended: &mut bool,
    coding: Coding,
    next: &mut dyn FnMut(&[u8]) -> Result<(), Fail>,
) -> Result<(), Fail> {
    let mut used = 0;
    while !*ended {
        let (before_in, before_out) = (z.total_in(), z.total_out());
        let status = z
            .decompress(&input[used..], out, FlushDecompress::None)
            .map_err(|e| {
            (
                Some(used),
                format!("the {} data is not valid: {e}", coding.name()),
            )
        })?;
        let took = usize::try_from(z.total_in() - before_in).unwrap_or(0);
        let made = usize::try_from(z.total_out() - before_out).unwrap_or(0);
        next(&out[..made]).map_err(at(used))?;
        used += took;
        *ended = status == Status::StreamEnd;
        // Done with this input once it is all taken and the output had
        // room to spare: nothing more is waiting inside.
        if used == input.len() && made < out.len() {
            break;
        }
        if took == 0 && made == 0 {
            break;
        }
    }
    match used < input.len() && *ended && coding == Coding::Deflate {
        // Browsers ignore bytes after a gzip member's trailer (Chromium's
        // GzipSourceStream does), so the inspector does too. After zlib
        // data, there should be nothing.
        true => Err((
            Some(used),
            "there are bytes after the end of the deflate data".into(),
        )),
        false => Ok(()),
    }
}

/// br (RFC 7932), by brotli-decompressor.
struct Brotli {
    state: BrotliState<StandardAlloc, StandardAlloc, StandardAlloc>,
    ended: bool,
    out: Vec<u8>,
}

impl Brotli {
    fn decode(
        &mut self,
        input: &[u8],
        next: &mut dyn FnMut(&[u8]) -> Result<(), Fail>,
    ) -> Result<(), Fail> {
        let mut available_in = input.len();
        let mut used = 0;
        loop {
            if self.ended {
                return match used < input.len() {
                    true => Err((
                        Some(used),
                        "there are bytes after the end of the br data".into(),
                    )),
                    false => Ok(()),
                };
            }
            let mut available_out = self.out.len();
            let mut made = 0;
            let mut total = 0;
            let result = BrotliDecompressStream(
                &mut available_in,
                &mut used,
                input,
                &mut available_out,
                &mut made,
                &mut self.out,
                &mut total,
                &mut self.state,
            );
            next(&self.out[..made]).map_err(at(used))?;
            match result {
                BrotliResult::ResultSuccess => self.ended = true,
                BrotliResult::NeedsMoreOutput => {}
                BrotliResult::NeedsMoreInput => return Ok(()),
                BrotliResult::ResultFailure => {
                    return Err((
                        Some(used),
                        format!(
                            "the br data is not valid: {:?}",
                            self.state.error_code
                        ),
                    ));
                }
            }
        }
    }
}

/// zstd (RFC 8878), by the reference library.
struct Zstd {
    z: zstd::stream::raw::Decoder<'static>,
    /// Whether the last byte fed ended a frame: a zstd body is one or
    /// more whole frames.
    between_frames: bool,
    out: Vec<u8>,
}

impl Zstd {
    fn new() -> Zstd {
        let mut z = zstd::stream::raw::Decoder::new()
            .expect("a zstd context can be made");
        z.set_parameter(zstd::zstd_safe::DParameter::WindowLogMax(
            ZSTD_WINDOW_LOG_MAX,
        ))
        .expect("23 is a valid window log");
        Zstd {
            z,
            between_frames: true,
            out: vec![0; OUT],
        }
    }

    fn decode(
        &mut self,
        input: &[u8],
        next: &mut dyn FnMut(&[u8]) -> Result<(), Fail>,
    ) -> Result<(), Fail> {
        let mut input = InBuffer::around(input);
        loop {
            let before = input.pos();
            let mut out = OutBuffer::around(&mut self.out[..]);
            let hint = self.z.run(&mut input, &mut out).map_err(|e| {
                (Some(input.pos()), zstd_message(&e.to_string()))
            })?;
            let made = out.pos();
            next(&self.out[..made]).map_err(at(input.pos()))?;
            self.between_frames = hint == 0;
            let stuck = made == 0 && input.pos() == before;
            if stuck || input.pos() == input.src.len() && made < self.out.len()
            {
                return Ok(());
            }
        }
    }
}

/// zstd's error, said for a reader: a window too big is RFC 9659's limit.
fn zstd_message(error: &str) -> String {
    // zstd says "Frame requires too much memory for decoding" when a
    // frame's window is over the limit set.
    match error.contains("too much memory") {
        true => format!(
            "the zstd data needs a window over 8 MiB, which HTTP's zstd \
             may not use (RFC 9659 §3): {error}"
        ),
        false => format!("the zstd data is not valid: {error}"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write as _;

    use super::*;

    const TEXT: &[u8] = b"<p>streamed, or not? that is the question</p>\n";

    pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::default(),
        );
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(
            Vec::new(),
            flate2::Compression::default(),
        );
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(
            Vec::new(),
            flate2::Compression::default(),
        );
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zstd(data: &[u8]) -> Vec<u8> {
        zstd::encode_all(data, 3).unwrap()
    }

    /// Decodes `coded` fed in pieces of `step` bytes: the content, and
    /// how the end went.
    fn decode(
        codings: &[Coding],
        coded: &[u8],
        step: usize,
    ) -> (Vec<u8>, Result<(), String>) {
        let mut decoder = Decoder::new(codings);
        let mut content = Vec::new();
        for piece in coded.chunks(step.max(1)) {
            if let Err(e) =
                decoder.feed(piece, &mut |c| content.extend_from_slice(c))
            {
                return (content, Err(e.message));
            }
        }
        (content, decoder.finish())
    }

    #[test]
    fn each_coding_decodes_split_anywhere() {
        let long = TEXT.repeat(2000);
        for text in [TEXT, &long[..]] {
            let cases = [
                (Coding::Gzip, gzip(text)),
                (Coding::Deflate, zlib(text)),
                (Coding::Deflate, raw_deflate(text)),
                (Coding::Zstd, zstd(text)),
            ];
            for (coding, coded) in cases {
                for step in [1, 2, 3, 7, 64, 1 << 20] {
                    let (content, end) = decode(&[coding], &coded, step);
                    assert_eq!(end, Ok(()), "{coding:?} in {step}s");
                    assert!(content == text, "{coding:?} in {step}s");
                }
            }
        }
    }

    #[test]
    fn brotli_decodes() {
        // From the reference encoder (Python's brotli, quality 11).
        let coded = b"\x1b\x1c\x00\xf8\x9d\x09\x36\x4e\xa8\x77\x37\xbc\x04\x11\
            \x43\xeb\x10\x16\x36\x3a\x55\x26\x97\x6c\x69\x6f\xa1\x54\x08\x10\
            \xcb\xea\x0b";
        let text = b"hello, brotli! hello, brotli!".to_vec();
        for step in [1, 2, 100] {
            assert_eq!(
                decode(&[Coding::Br], coded, step),
                (text.clone(), Ok(()))
            );
        }
        // Cut short, it has not ended.
        let (_, end) = decode(&[Coding::Br], &coded[..20], 100);
        assert!(end.unwrap_err().contains("br"));
    }

    #[test]
    fn a_list_of_codings_is_undone_in_reverse() {
        // Content-Encoding: deflate, gzip: deflated first, then gzipped.
        let coded = gzip(&zlib(TEXT));
        let list = codings(["deflate, gzip"]).unwrap();
        assert_eq!(list, [Coding::Deflate, Coding::Gzip]);
        assert_eq!(decode(&list, &coded, 5), (TEXT.to_vec(), Ok(())));
        assert_eq!(codings(["identity", " X-Gzip "]).unwrap(), [Coding::Gzip]);
        assert!(codings(["compress"]).unwrap_err().contains("compress"));
    }

    #[test]
    fn a_gzip_header_alone_is_no_content() {
        let coded = gzip(TEXT);
        let mut decoder = Decoder::new(&[Coding::Gzip]);
        let mut n = 0;
        decoder.feed(&coded[..10], &mut |c| n += c.len()).unwrap();
        assert_eq!(n, 0);
        assert!(decoder.finish().unwrap_err().contains("gzip"));
    }

    #[test]
    fn bad_data_fails_where_it_is() {
        let mut coded = gzip(TEXT);
        coded[3] = 0xE0; // reserved flag bits
        let mut decoder = Decoder::new(&[Coding::Gzip]);
        let e = decoder.feed(&coded, &mut |_| {}).unwrap_err();
        assert!(e.message.contains("gzip"), "{e}");
        assert!(e.at < 10, "{e:?}");
        // After zlib data, nothing may follow.
        let mut coded = zlib(TEXT);
        let end = coded.len();
        coded.extend_from_slice(b"junk");
        let e = Decoder::new(&[Coding::Deflate])
            .feed(&coded, &mut |_| {})
            .unwrap_err();
        assert_eq!(e.at, end, "{e:?}");
        // After a gzip member, browsers ignore what follows; so do we.
        let mut coded = gzip(TEXT);
        coded.extend_from_slice(b"junk");
        assert_eq!(decode(&[Coding::Gzip], &coded, 9).1, Ok(()));
    }

    #[test]
    fn a_zstd_window_over_8_mib_is_refused() {
        let mut e = zstd::stream::raw::Encoder::new(1).unwrap();
        e.set_parameter(zstd::zstd_safe::CParameter::WindowLog(24))
            .unwrap();
        let mut coded =
            zstd::stream::write::Encoder::with_encoder(Vec::new(), e);
        coded.write_all(&[7; 100]).unwrap();
        let coded = coded.finish().unwrap();
        let (_, end) = decode(&[Coding::Zstd], &coded, 1 << 20);
        let why = end.unwrap_err();
        assert!(why.contains("RFC 9659"), "{why}");
    }

    proptest::proptest! {
        /// Any bytes, under any coding, split anywhere: an error or
        /// content, never a panic or a hang.
        #[test]
        fn hostile_bytes_never_panic(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512),
            coding in 0..4usize,
            step in 1..64usize,
        ) {
            let coding = [Coding::Gzip, Coding::Deflate, Coding::Br, Coding::Zstd][coding];
            let _ = decode(&[coding], &bytes, step);
        }

        /// Valid data decodes to the same content however it is split.
        #[test]
        fn splits_do_not_change_the_content(
            text in proptest::collection::vec(proptest::num::u8::ANY, 0..4096),
            step in 1..300usize,
        ) {
            for (coding, coded) in [(Coding::Gzip, gzip(&text)), (Coding::Zstd, zstd(&text))] {
                let (content, end) = decode(&[coding], &coded, step);
                proptest::prop_assert_eq!(end, Ok(()));
                proptest::prop_assert_eq!(&content, &text);
            }
        }
    }

    #[test]
    fn a_bomb_is_counted_not_kept() {
        // 64 MiB of zeros in about 64 KiB of gzip: the decoder's memory
        // is its buffers, whatever comes out.
        let mut e = flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::best(),
        );
        let zeros = vec![0; 1 << 20];
        for _ in 0..64 {
            e.write_all(&zeros).unwrap();
        }
        let coded = e.finish().unwrap();
        let mut decoder = Decoder::new(&[Coding::Gzip]);
        let (mut total, mut biggest) = (0, 0);
        decoder
            .feed(&coded, &mut |c| {
                total += c.len();
                biggest = biggest.max(c.len());
            })
            .unwrap();
        assert_eq!(total, 64 << 20);
        assert!(biggest <= OUT);
        assert_eq!(decoder.finish(), Ok(()));
    }
}
