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

/// The biggest message this server takes, whole or in fragments.
pub const MAX_MESSAGE: usize = 1 << 20;

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
pub async fn run(upgraded: Upgraded) {
    let Upgraded {
        mut stream,
        early,
        shutdown,
    } = upgraded;
    let (mut rd, mut wr) = stream.split();
    // Frames the client sent right after its handshake came with it.
    let mut buf = early;
    let mut message = None;
    if send(&mut wr, Opcode::Text, GREETING.as_bytes())
        .await
        .is_err()
    {
        return;
    }
    loop {
        while let Some(step) = next_step(&mut buf, &mut message) {
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

/// The step for the next whole frame in `buf`, if one has come.
fn next_step(
    buf: &mut Vec<u8>,
    message: &mut Option<(Opcode, Vec<u8>)>,
) -> Option<Step> {
    match frame::decode(buf, MAX_MESSAGE) {
        Ok(Some(frame)) => {
            Some(step(frame, message).unwrap_or_else(|f| {
                Step::Close(close_payload(f.code, f.reason))
            }))
        }
        Ok(None) => None,
        Err(f) => Some(Step::Close(close_payload(f.code, f.reason))),
    }
}

// ANCHOR: step
/// What one frame calls for. `message` holds a message whose first
/// fragments have come and whose last has not.
fn step(
    frame: Frame,
    message: &mut Option<(Opcode, Vec<u8>)>,
) -> Result<Step, Failure> {
    let fail = |code, reason| Err(Failure { code, reason });
    match frame.opcode {
        Opcode::Ping => Ok(Step::Send(Opcode::Pong, frame.payload)),
        Opcode::Pong => Ok(Step::Nothing),
        Opcode::Close => close_reply(&frame.payload),
        Opcode::Text | Opcode::Binary if message.is_some() => fail(
            PROTOCOL_ERROR,
            "a new message began before the last one ended",
        ),
        Opcode::Continuation if message.is_none() => {
            fail(PROTOCOL_ERROR, "a continuation with no message to continue")
        }
        Opcode::Text | Opcode::Binary | Opcode::Continuation => {
            let (opcode, mut data) =
                message.take().unwrap_or((frame.opcode, Vec::new()));
            if data.len() + frame.payload.len() > MAX_MESSAGE {
                return fail(
                    TOO_BIG,
                    "the message is bigger than this server takes",
                );
            }
            data.extend_from_slice(&frame.payload);
            if !frame.fin {
                *message = Some((opcode, data));
                return Ok(Step::Nothing);
            }
            if opcode == Opcode::Text && std::str::from_utf8(&data).is_err() {
                return fail(INVALID_DATA, "a text message must be UTF-8");
            }
            // The whole message, back to the client, in one frame.
            Ok(Step::Send(opcode, data))
        }
    }
}
// ANCHOR_END: step

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

    #[test]
    fn fragments_make_one_message_and_a_ping_may_come_between_them() {
        let mut message = None;
        let steps = [
            step(frame(false, Opcode::Text, b"Hel"), &mut message),
            step(frame(true, Opcode::Ping, b"?"), &mut message),
            step(frame(true, Opcode::Continuation, b"lo"), &mut message),
        ];
        assert_eq!(
            steps,
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
            let mut message = None;
            frames
                .iter()
                .find_map(|f| step(f.clone(), &mut message).err())
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
        // Invalid UTF-8 only once the message is whole: a character may
        // be split between fragments.
        let euro = "€".as_bytes();
        assert_eq!(
            code(&[
                frame(false, Opcode::Text, &euro[..1]),
                frame(true, Opcode::Continuation, &euro[1..])
            ]),
            None
        );
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
    fn a_close_is_answered_with_its_code() {
        let mut message = None;
        let reply =
            step(frame(true, Opcode::Close, b"\x03\xe8bye"), &mut message);
        assert_eq!(reply, Ok(Step::Close(vec![0x03, 0xe8])));
    }
}
