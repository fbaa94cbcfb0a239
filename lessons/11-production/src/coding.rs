//! Content codings that stream: which one a client accepts, and an
//! encoder that can hand over what it has after every part.
//!
//! A compressor keeps a window of what it has seen and emits output in
//! blocks, when it decides to. Left alone, it holds a small page whole:
//! the stream is chunked, and arrives at the end anyway. A *flush* makes
//! it close the block it is in and emit every bit of it, aligned to a
//! byte, so that the client can decode all that was written so far. The
//! window stays: what comes next still compresses against what went
//! before, so a flush costs a few bytes, not the compression.

use std::io::{self, Write};

use brotli::CompressorWriter;
use flate2::Compression;
use flate2::write::GzEncoder;

/// A content coding this server can send (RFC 9110 §8.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Br,
}

impl Coding {
    /// The `Content-Encoding` value; `None` for identity, which is sent
    /// without one.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Br => Some("br"),
        }
    }

    // ANCHOR: negotiate
    /// The coding to answer `accept_encoding` with (RFC 9110 §12.5.3):
    /// the one with the highest weight, `br` before `gzip` when they
    /// tie, and identity when the client accepts neither or sent no
    /// `Accept-Encoding` at all. `q=0` means "not this one"; `*` stands
    /// for every coding the list does not name.
    pub fn negotiate(accept_encoding: Option<&str>) -> Coding {
        let Some(list) = accept_encoding else {
            return Coding::Identity;
        };
        let weight = |coding: &str| {
            let mut star = None;
            for item in list.split(',') {
                let mut params = item.split(';');
                let name = params.next().unwrap_or("").trim();
                let q = params
                    .filter_map(|p| p.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                if name.eq_ignore_ascii_case(coding) {
                    return q;
                }
                if name == "*" {
                    star = Some(q);
                }
            }
            star.unwrap_or(0.0)
        };
        [Coding::Br, Coding::Gzip]
            .into_iter()
            .map(|coding| (coding, weight(coding.name().unwrap_or(""))))
            .filter(|&(_, q)| q > 0.0)
            // `max_by` keeps the last of equals: reversed, the first wins.
            .rev()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(Coding::Identity, |(coding, _)| coding)
    }
    // ANCHOR_END: negotiate
}

/// Whether an encoder hands over what it has after each part, or only
/// what it chooses to emit by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    /// A sync flush after each part: gzip's `Z_SYNC_FLUSH` (flate2's
    /// `FlushCompress::Sync`, which its writers' `flush` does), brotli's
    /// `BROTLI_OPERATION_FLUSH`. The part can be decoded on arrival.
    EachPart,
    /// No flush: the compressor holds the parts until its block is full,
    /// or the end.
    Never,
}

// ANCHOR: encoder
/// A body being compressed, a part at a time. Each call returns the bytes
/// that are ready to send: with [`Flush::EachPart`], all of the part.
#[derive(Debug)]
pub enum Encoder {
    Identity,
    // Boxed: a coder's state is large, and an enum is as big as its
    // biggest variant.
    Gzip(Box<GzEncoder<Vec<u8>>>),
    Br(Box<BrWriter>),
}

/// brotli's writer, which implements no `Debug` of its own.
pub struct BrWriter(CompressorWriter<Vec<u8>>);

impl std::fmt::Debug for BrWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BrWriter")
    }
}

/// brotli's quality for text made on the fly: 5 of 11 compresses about
/// as well as gzip's default, several times faster than 11. The window
/// is 2^22 bytes, brotli's default.
const BR_QUALITY: u32 = 5;
const BR_WINDOW_BITS: u32 = 22;

impl Encoder {
    pub fn new(coding: Coding) -> Encoder {
        match coding {
            Coding::Identity => Encoder::Identity,
            Coding::Gzip => {
                let gzip = GzEncoder::new(Vec::new(), Compression::default());
                Encoder::Gzip(Box::new(gzip))
            }
            Coding::Br => {
                Encoder::Br(Box::new(BrWriter(CompressorWriter::new(
                    Vec::new(),
                    4096,
                    BR_QUALITY,
                    BR_WINDOW_BITS,
                ))))
            }
        }
    }

    /// Compresses `part`, flushing as `flush` says, and returns what is
    /// ready to go on the wire: maybe nothing at all without a flush.
    pub fn part(&mut self, part: &[u8], flush: Flush) -> io::Result<Vec<u8>> {
        let out = match self {
            Encoder::Identity => return Ok(part.to_vec()),
            Encoder::Gzip(gz) => {
                gz.write_all(part)?;
                if flush == Flush::EachPart {
                    // Flush on purpose: a sync flush ends the deflate block
                    // with an empty stored block (00 00 ff ff), so that the
                    // client can decode all of the part now.
                    gz.flush()?;
                }
                gz.get_mut()
            }
            Encoder::Br(br) => {
                br.0.write_all(part)?;
                if flush == Flush::EachPart {
                    // Flush on purpose: brotli's flush operation emits the
                    // part as a complete meta-block, decodable now.
                    br.0.flush()?;
                }
                br.0.get_mut()
            }
        };
        Ok(std::mem::take(out))
    }

    /// Ends the coded body: the rest, and the coding's trailer (gzip's
    /// CRC-32 and length, brotli's last meta-block).
    pub fn finish(self) -> io::Result<Vec<u8>> {
        match self {
            Encoder::Identity => Ok(Vec::new()),
            Encoder::Gzip(gz) => gz.finish(),
            Encoder::Br(br) => Ok(br.0.into_inner()),
        }
    }
}
// ANCHOR_END: encoder

/// The whole of `parts` coded with `coding`, as the parts that go on the
/// wire (the last is the end of the coding): for tests and the chapter's
/// table of what each flush costs.
pub fn encode_parts(
    coding: Coding,
    flush: Flush,
    parts: &[&[u8]],
) -> io::Result<Vec<Vec<u8>>> {
    let mut encoder = Encoder::new(coding);
    let mut sent = Vec::with_capacity(parts.len() + 1);
    for part in parts {
        sent.push(encoder.part(part, flush)?);
    }
    sent.push(encoder.finish()?);
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn the_client_s_weights_decide_and_br_wins_a_tie() {
        let cases = [
            (None, Coding::Identity),
            (Some(""), Coding::Identity),
            (Some("gzip, deflate, br, zstd"), Coding::Br),
            (Some("gzip"), Coding::Gzip),
            (Some("GZIP"), Coding::Gzip),
            (Some("br;q=0.5, gzip"), Coding::Gzip),
            (Some("br; q=0, gzip;q=0.1"), Coding::Gzip),
            (Some("*"), Coding::Br),
            (Some("*;q=0.2, br;q=0"), Coding::Gzip),
            (Some("identity"), Coding::Identity),
            (Some("gzip;q=0, br;q=0"), Coding::Identity),
            (Some("zstd, deflate"), Coding::Identity),
            (Some("gzip;q=nonsense"), Coding::Gzip),
        ];
        for (accept, coding) in cases {
            assert_eq!(Coding::negotiate(accept), coding, "{accept:?}");
        }
    }

    /// Decodes what came so far, as a client does on each arrival.
    fn decode_so_far(coding: Coding, sent: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        // A prefix of a stream ends in an "unexpected EOF": keep what
        // was decoded before it.
        let _ = match coding {
            Coding::Identity => return sent.to_vec(),
            Coding::Gzip => {
                flate2::read::GzDecoder::new(sent).read_to_end(&mut out)
            }
            Coding::Br => {
                brotli::Decompressor::new(sent, 4096).read_to_end(&mut out)
            }
        };
        out
    }

    const PARTS: [&[u8]; 3] = [b"<p>one</p>\n", b"<p>two</p>\n", b"<p>3</p>\n"];

    #[test]
    fn with_a_flush_each_part_decodes_as_it_arrives() {
        for coding in [Coding::Gzip, Coding::Br] {
            let sent = encode_parts(coding, Flush::EachPart, &PARTS).unwrap();
            let mut so_far = Vec::new();
            for (i, piece) in sent.iter().enumerate().take(PARTS.len()) {
                so_far.extend_from_slice(piece);
                assert_eq!(
                    decode_so_far(coding, &so_far),
                    PARTS[..=i].concat(),
                    "{coding:?}, part {i}"
                );
            }
            so_far.extend_from_slice(&sent[PARTS.len()]);
            assert_eq!(decode_so_far(coding, &so_far), PARTS.concat());
        }
    }

    #[test]
    fn without_a_flush_a_small_body_waits_for_the_end() {
        for coding in [Coding::Gzip, Coding::Br] {
            let sent = encode_parts(coding, Flush::Never, &PARTS).unwrap();
            let before_end = sent[..PARTS.len()].concat();
            // At most a header, and no content.
            assert!(before_end.len() <= 10, "{coding:?}: {before_end:?}");
            assert_eq!(decode_so_far(coding, &before_end), b"");
            assert_eq!(decode_so_far(coding, &sent.concat()), PARTS.concat());
        }
    }

    #[test]
    fn a_gzip_sync_flush_ends_with_the_empty_stored_block() {
        let sent = encode_parts(Coding::Gzip, Flush::EachPart, &PARTS).unwrap();
        for piece in &sent[..PARTS.len()] {
            assert!(piece.ends_with(&[0, 0, 0xff, 0xff]), "{piece:02x?}");
        }
    }

    #[test]
    fn identity_sends_each_part_as_it_is() {
        let sent =
            encode_parts(Coding::Identity, Flush::Never, &PARTS).unwrap();
        assert_eq!(sent[..3], PARTS.map(<[u8]>::to_vec));
        assert!(sent[3].is_empty());
    }
}
