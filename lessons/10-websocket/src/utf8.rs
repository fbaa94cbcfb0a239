//! UTF-8, checked as it arrives: a text message may come in fragments,
//! and a fragment in many reads, so a character may be cut anywhere.
//!
//! A message that can no longer be UTF-8 fails at once, not when its last
//! fragment comes: "an endpoint [...] MUST _Fail the WebSocket Connection_"
//! when it finds invalid UTF-8 (RFC 6455 §8.1), and a peer that sent a bad
//! byte should not get to send megabytes more first.
//!
//! std does the checking: [`std::str::from_utf8`]'s error says how far the
//! bytes were valid (`valid_up_to`), and `error_len` is `None` when what
//! follows is only a character cut short at the end. That tail is kept
//! here until the next bytes complete it.

use std::str::from_utf8;

/// The bytes can't be UTF-8, whatever comes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid;

// ANCHOR: utf8
/// A UTF-8 check fed piece by piece. It keeps at most the 3 bytes of a
/// character cut short; it never copies the text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Utf8 {
    /// The start of a character whose other bytes have not come yet.
    partial: [u8; 4],
    len: usize,
}

impl Utf8 {
    /// Checks the next bytes of the text.
    pub fn feed(&mut self, mut bytes: &[u8]) -> Result<(), Invalid> {
        // First, finish the character the last bytes cut short: one byte
        // at a time, at most 3 times.
        while self.len > 0 {
            let Some((&byte, rest)) = bytes.split_first() else {
                return Ok(());
            };
            self.partial[self.len] = byte;
            self.len += 1;
            bytes = rest;
            match from_utf8(&self.partial[..self.len]) {
                Ok(_) => self.len = 0,
                Err(e) if e.error_len().is_none() => {} // still cut short
                Err(_) => return Err(Invalid),
            }
        }
        // Then the rest, in bulk.
        match from_utf8(bytes) {
            Ok(_) => Ok(()),
            // Valid up to a character cut short at the end: keep its start.
            Err(e) if e.error_len().is_none() => {
                let tail = &bytes[e.valid_up_to()..];
                self.partial[..tail.len()].copy_from_slice(tail);
                self.len = tail.len();
                Ok(())
            }
            Err(_) => Err(Invalid),
        }
    }

    /// The end of the text: a character still cut short is invalid.
    pub fn finish(&mut self) -> Result<(), Invalid> {
        let whole = self.len == 0;
        *self = Utf8::default();
        if whole { Ok(()) } else { Err(Invalid) }
    }
}
// ANCHOR_END: utf8

#[cfg(test)]
mod tests {
    use super::*;

    /// Good and bad texts: `Some(n)` if the check must fail once the
    /// first `n` bytes have come (and not before), `None` if it is valid.
    const TABLE: &[(&[u8], Option<usize>)] = &[
        (b"", None),
        (b"Hello", None),
        ("κόσμε".as_bytes(), None),
        ("€ and 𝄞".as_bytes(), None),
        (b"\xff", Some(1)),
        (b"ab\xffcd", Some(3)),
        // κόσμε, then a surrogate (U+D800), which UTF-8 may not encode:
        // it fails on the byte after ED, not at the end.
        (
            b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80ed",
            Some(13),
        ),
        (b"\xc0\xaf", Some(1)),         // an overlong '/'
        (b"\xf4\x90\x80\x80", Some(2)), // above U+10FFFF
    ];

    /// Feeds `pieces`; the number of bytes fed when the check failed.
    fn fails_at(pieces: &[&[u8]]) -> Option<usize> {
        let mut utf8 = Utf8::default();
        let mut fed = 0;
        for piece in pieces {
            fed += piece.len();
            if utf8.feed(piece).is_err() {
                return Some(fed);
            }
        }
        utf8.finish().err().map(|Invalid| fed)
    }

    #[test]
    fn whole_split_anywhere_and_byte_by_byte() {
        for &(text, fails) in TABLE {
            let whole = fails_at(&[text]);
            assert_eq!(whole, fails.map(|_| text.len()), "{text:x?} whole");
            for at in 0..=text.len() {
                let (a, b) = text.split_at(at);
                let split = fails_at(&[a, b]);
                let want = fails.map(|n| if n <= at { at } else { text.len() });
                assert_eq!(split, want, "{text:x?} split at {at}");
            }
            let bytes: Vec<&[u8]> = text.chunks(1).collect();
            assert_eq!(fails_at(&bytes), fails, "{text:x?} byte by byte");
        }
    }

    #[test]
    fn a_character_cut_short_at_the_end_is_invalid() {
        let euro = "€".as_bytes();
        assert_eq!(fails_at(&[&euro[..2]]), Some(2));
        assert_eq!(fails_at(&[&euro[..1], &euro[1..2], &euro[2..]]), None);
    }
}
