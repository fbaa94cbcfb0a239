//! One connection's conversation, after the `101`: every message the
//! client sends comes back to it, a ping gets its pong, and either side
//! may close. A client that breaks the protocol gets a close frame with
//! the code that says why (RFC 6455 §7.4.1), and the connection ends.

use std::time::Duration;

use lesson_05_tokio::site::Upgraded;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::timeout;

use crate::frame::{
    self, Failure, Frame, INVALID_DATA, Opcode, PROTOCOL_ERROR, TOO_BIG,
};
use crate::utf8::Utf8;

/// The biggest message this server takes by default, whole or in
/// fragments: 1 MiB. `--max-message` changes it.
pub const MAX_MESSAGE: usize = 1 << 20;

/// How one connection goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Say [`GREETING`] first (`/ws`), or only echo (`/echo`).
    pub greet: bool,
    /// The biggest message taken, whole or in fragments.
    pub max_message: usize,
}

/// What the server says first.
pub const GREETING: &str = "hello: send a message, and it comes back";

/// 1000: a normal close.
pub const NORMAL: u16 = 1000;
/// 1001: the server is going away.
pub const GOING_AWAY: u16 = 1001;

/// What to do after a frame.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Nothing,
    Send(Opcode, Vec<u8>),
    /// Send a close frame with this payload, then end the connection.
    Close(Vec<u8>),
}

// ANCHOR: run
/// Runs the conversation on an upgraded connection, until a close, a
/// failure, the client leaving, or shutdown.
pub async fn run(upgraded: Upgraded, settings: Settings) {
    let Upgraded {
        mut stream,
        early,
        shutdown,
    } = upgraded;
    let (mut rd, mut wr) = stream.split();
    // Frames the client sent right after its handshake came with it.
    let mut buf = early;
    let mut inbox = Inbox::new(settings.max_message);
    if settings.greet
        && send(&mut wr, Opcode::Text, GREETING.as_bytes())
            .await
            .is_err()
    {
        return;
    }
    loop {
        while let Some(step) = inbox.next_step(&mut buf) {
            match step {
                Step::Nothing => {}
                Step::Send(opcode, payload) => {
                    if send(&mut wr, opcode, &payload).await.is_err() {
                        return;
                    }
                }
                Step::Close(payload) => {
                    let _ = send(&mut wr, Opcode::Close, &payload).await;
                    return finish(&mut rd, &mut wr).await;
                }
            }
        }
        tokio::select! {
            read = rd.read_buf(&mut buf) => {
                if !matches!(read, Ok(n) if n > 0) {
                    return; // the client left without a close frame
                }
            }
            () = shutdown.cancelled() => {
                let bye =
                    close_payload(GOING_AWAY, "the server is shutting down");
                let _ = send(&mut wr, Opcode::Close, &bye).await;
                return finish(&mut rd, &mut wr).await;
            }
        }
    }
}
// ANCHOR_END: run

/// The message coming in, as far as it has come.
#[derive(Debug)]
struct Inbox {
    /// A message whose first fragments have come and whose last has not.
    message: Option<(Opcode, Vec<u8>)>,
    /// The UTF-8 check of the text message coming in.
    utf8: Utf8,
    /// How much of the payload of the frame still coming (at the front
    /// of the buffer) the UTF-8 check has seen.
    checked: usize,
    max_message: usize,
}

impl Inbox {
    fn new(max_message: usize) -> Inbox {
        Inbox {
            message: None,
            utf8: Utf8::default(),
            checked: 0,
            max_message,
        }
    }

    /// The step for the next whole frame in `buf`, if one has come. If
    /// only part of a text frame has, that part is checked now: bad
    /// UTF-8 fails the connection before the rest comes.
    fn next_step(&mut self, buf: &mut Vec<u8>) -> Option<Step> {
        let close = |f: Failure| Step::Close(close_payload(f.code, f.reason));
        match frame::decode(buf, self.max_message) {
            Ok(Some(frame)) => Some(self.step(frame).unwrap_or_else(close)),
            Ok(None) => self.check_partial(buf).err().map(close),
            Err(f) => Some(close(f)),
        }
    }

    /// Whether a frame with `opcode` carries text.
    fn is_text(&self, opcode: Opcode) -> bool {
        match (opcode, &self.message) {
            (Opcode::Text, None) => true,
            (Opcode::Continuation, Some((opcode, _))) => {
                *opcode == Opcode::Text
            }
            _ => false,
        }
    }

    // ANCHOR: check_partial
    /// Checks the text of the frame still coming, as far as it has come,
    /// from where the last check stopped: each byte is checked once.
    fn check_partial(&mut self, buf: &[u8]) -> Result<(), Failure> {
        let Ok(Some(head)) = frame::head(buf, self.max_message) else {
            return Ok(()); // no whole header yet, or decode said why not
        };
        if !self.is_text(head.opcode) {
            return Ok(());
        }
        let come = &buf[head.size..]
            .get(..head.len)
            .unwrap_or(&buf[head.size..]);
        let new = frame::unmask(&come[self.checked..], head.key, self.checked);
        self.checked = come.len();
        self.utf8.feed(&new).map_err(|_| Failure {
            code: INVALID_DATA,
            reason: "a text message must be UTF-8",
        })
    }
    // ANCHOR_END: check_partial

    // ANCHOR: step
    /// What one whole frame calls for.
    fn step(&mut self, frame: Frame) -> Result<Step, Failure> {
        let fail = |code, reason| Err(Failure { code, reason });
        // The part of this frame's payload that check_partial has seen.
        let checked = std::mem::take(&mut self.checked);
        let is_text = self.is_text(frame.opcode);
        match frame.opcode {
            Opcode::Ping => Ok(Step::Send(Opcode::Pong, frame.payload)),
            Opcode::Pong => Ok(Step::Nothing),
            Opcode::Close => close_reply(&frame.payload),
            Opcode::Text | Opcode::Binary if self.message.is_some() => fail(
                PROTOCOL_ERROR,
                "a new message began before the last one ended",
            ),
            Opcode::Continuation if self.message.is_none() => fail(
                PROTOCOL_ERROR,
                "a continuation with no message to continue",
            ),
            Opcode::Text | Opcode::Binary | Opcode::Continuation => {
                let (opcode, mut data) =
                    self.message.take().unwrap_or((frame.opcode, Vec::new()));
                if data.len() + frame.payload.len() > self.max_message {
                    return fail(
                        TOO_BIG,
                        "the message is bigger than this server takes",
                    );
                }
                // Text is checked fragment by fragment, so bad UTF-8
                // fails now, not when the message ends. Only a character
                // cut short is left for the last fragment to finish.
                let utf8 = if is_text {
                    self.utf8.feed(&frame.payload[checked..]).and_then(|()| {
                        if frame.fin {
                            self.utf8.finish()
                        } else {
                            Ok(())
                        }
                    })
                } else {
                    Ok(())
                };
                if utf8.is_err() {
                    return fail(INVALID_DATA, "a text message must be UTF-8");
                }
                data.extend_from_slice(&frame.payload);
                if !frame.fin {
                    self.message = Some((opcode, data));
                    return Ok(Step::Nothing);
                }
                // The whole message, back to the client, in one frame.
                Ok(Step::Send(opcode, data))
            }
        }
    }
    // ANCHOR_END: step
}

// ANCHOR: close_reply
/// The answer to the client's close frame: the same code back, if it is
/// one a close frame may carry (§7.4), then the end.
fn close_reply(payload: &[u8]) -> Result<Step, Failure> {
    let fail = |code, reason| Err(Failure { code, reason });
    match payload {
        [] => Ok(Step::Close(Vec::new())),
        [_] => fail(PROTOCOL_ERROR, "a close frame's code is two bytes"),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            // 1004 to 1006 and 1015 are never sent; below 1000 and
            // 1016 to 2999 are not assigned (§7.4.1, §7.4.2).
            let valid = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            if !valid {
                return fail(
                    PROTOCOL_ERROR,
                    "a close code no endpoint may send",
                );
            }
            if std::str::from_utf8(reason).is_err() {
                return fail(INVALID_DATA, "a close reason must be UTF-8");
            }
            Ok(Step::Close(code.to_be_bytes().to_vec()))
        }
    }
}
// ANCHOR_END: close_reply

/// A close frame's payload: the code, then the reason.
pub fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    [&code.to_be_bytes()[..], reason.as_bytes()].concat()
}

async fn send(
    wr: &mut (impl AsyncWrite + Unpin),
    opcode: Opcode,
    payload: &[u8],
) -> std::io::Result<()> {
    wr.write_all(&frame::encode(true, opcode, payload)).await
}

// ANCHOR: finish
/// After the close frame: the server closes the TCP connection first
/// (§7.1.1), then reads what is left for a moment, so that the client's
/// own close frame doesn't meet a closed socket and reset it.
async fn finish(
    rd: &mut (impl AsyncRead + Unpin),
    wr: &mut (impl AsyncWrite + Unpin),
) {
    let _ = wr.shutdown().await;
    let mut sink = [0; 1024];
    let _ = timeout(Duration::from_secs(1), async {
        while matches!(rd.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}
// ANCHOR_END: finish

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(fin: bool, opcode: Opcode, payload: &[u8]) -> Frame {
        Frame {
            fin,
            opcode,
            masked: true,
            payload: payload.to_vec(),
        }
    }

    /// The steps for `frames`, as one connection would take them.
    fn steps(frames: &[Frame]) -> Vec<Result<Step, Failure>> {
        let mut inbox = Inbox::new(MAX_MESSAGE);
        frames.iter().map(|f| inbox.step(f.clone())).collect()
    }

    #[test]
    fn fragments_make_one_message_and_a_ping_may_come_between_them() {
        assert_eq!(
            steps(&[
                frame(false, Opcode::Text, b"Hel"),
                frame(true, Opcode::Ping, b"?"),
                frame(true, Opcode::Continuation, b"lo"),
            ]),
            [
                Ok(Step::Nothing),
                Ok(Step::Send(Opcode::Pong, b"?".to_vec())),
                Ok(Step::Send(Opcode::Text, b"Hello".to_vec())),
            ]
        );
    }

    #[test]
    fn broken_messages_fail_with_their_close_codes() {
        let code = |frames: &[Frame]| {
            steps(frames)
                .into_iter()
                .find_map(|s| s.err())
                .map(|f| f.code)
        };
        assert_eq!(
            code(&[frame(true, Opcode::Continuation, b"x")]),
            Some(PROTOCOL_ERROR)
        );
        assert_eq!(
            code(&[
                frame(false, Opcode::Text, b"x"),
                frame(true, Opcode::Text, b"y")
            ]),
            Some(PROTOCOL_ERROR)
        );
        assert_eq!(
            code(&[frame(true, Opcode::Text, b"\xff")]),
            Some(INVALID_DATA)
        );
        // A character may be split between fragments.
        let euro = "€".as_bytes();
        assert_eq!(
            code(&[
                frame(false, Opcode::Text, &euro[..1]),
                frame(true, Opcode::Continuation, &euro[1..])
            ]),
            None
        );
        // But not left cut short by the last.
        assert_eq!(
            code(&[
                frame(false, Opcode::Text, &euro[..1]),
                frame(true, Opcode::Continuation, &euro[1..2])
            ]),
            Some(INVALID_DATA)
        );
        // Binary is not text.
        assert_eq!(code(&[frame(true, Opcode::Binary, b"\xff")]), None);
        let big = vec![0; MAX_MESSAGE];
        assert_eq!(
            code(&[
                frame(false, Opcode::Binary, &big),
                frame(true, Opcode::Continuation, b"!")
            ]),
            Some(TOO_BIG)
        );
        assert_eq!(
            code(&[frame(true, Opcode::Close, b"\x03")]),
            Some(PROTOCOL_ERROR)
        );
        assert_eq!(
            code(&[frame(true, Opcode::Close, b"\x03\xed")]),
            Some(PROTOCOL_ERROR),
            "1005"
        );
        assert_eq!(
            code(&[frame(true, Opcode::Close, b"\x03\xe8\xff")]),
            Some(INVALID_DATA)
        );
    }

    #[test]
    fn bad_utf8_fails_on_its_fragment_not_at_the_end() {
        // The first of 3 fragments has a byte no UTF-8 has: the first
        // step fails, before the other fragments come.
        let steps = steps(&[
            frame(false, Opcode::Text, b"ab\xff"),
            frame(false, Opcode::Continuation, b"cd"),
            frame(true, Opcode::Continuation, b"ef"),
        ]);
        assert_eq!(steps[0].as_ref().unwrap_err().code, INVALID_DATA);
    }

    #[test]
    fn bad_utf8_fails_before_its_frame_has_all_come() {
        // κόσμε, then a surrogate: invalid at byte 13 of 20.
        let text =
            b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited";
        let wire = frame::encode_masked(true, Opcode::Text, text, [1, 2, 3, 4]);
        let head = wire.len() - text.len();
        for at in 0..wire.len() {
            // The frame comes in two reads, split at `at`.
            let mut inbox = Inbox::new(MAX_MESSAGE);
            let mut buf = wire[..at].to_vec();
            let first = inbox.next_step(&mut buf);
            let fails_early = at >= head + 13;
            assert_eq!(
                first,
                fails_early.then(|| {
                    Step::Close(close_payload(
                        INVALID_DATA,
                        "a text message must be UTF-8",
                    ))
                }),
                "split at {at}"
            );
            if !fails_early {
                buf.extend_from_slice(&wire[at..]);
                let second = inbox.next_step(&mut buf).unwrap();
                assert!(
                    matches!(&second, Step::Close(p) if p[..2] == INVALID_DATA.to_be_bytes()),
                    "split at {at}: {second:?}"
                );
            }
        }
    }

    #[test]
    fn text_split_across_reads_and_fragments_comes_back_whole() {
        let text = "κόσμε € 𝄞".as_bytes();
        let (a, b) = text.split_at(4); // inside ό
        let wire = [
            frame::encode_masked(false, Opcode::Text, a, [9, 8, 7, 6]),
            frame::encode_masked(true, Opcode::Continuation, b, [5, 4, 3, 2]),
        ]
        .concat();
        // Byte by byte: each read is checked as it comes.
        let mut inbox = Inbox::new(MAX_MESSAGE);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        for &byte in &wire {
            buf.push(byte);
            while let Some(step) = inbox.next_step(&mut buf) {
                out.push(step);
            }
        }
        assert_eq!(
            out,
            [Step::Nothing, Step::Send(Opcode::Text, text.to_vec())]
        );
    }

    #[test]
    fn a_close_is_answered_with_its_code() {
        let reply = steps(&[frame(true, Opcode::Close, b"\x03\xe8bye")]);
        assert_eq!(reply, [Ok(Step::Close(vec![0x03, 0xe8]))]);
    }
}
