//! The session's WebSocket side: after a `101` that answers the
//! handshake, the connection carries frames, and the inspector is the
//! client. It reads the server's frames, answers pings and closes, sends
//! the messages it is given, and makes a `ws_frame` record of each frame,
//! both ways.

use std::time::Duration;

use super::{Record, State, first_read, hex, keep, millis, text_of};
use crate::decode::Head;
use crate::ws::{
    self, Frame, FrameReader, Header, Opcode, client_frame, close_payload,
};

/// What the inspector does once a WebSocket is open.
#[derive(Debug, Clone, Default)]
pub struct WsClient {
    /// The `Sec-WebSocket-Key` the request sent, if it asked for a
    /// WebSocket: the `101` must answer it.
    pub key: Option<String>,
    /// Text messages to send as soon as the WebSocket is open.
    pub send: Vec<String>,
    /// Whether the inspector is the client on a live connection, and
    /// answers pings and closes; not when it decodes a captured one.
    pub live: bool,
}

impl State {
    /// The `101` is read and right: frames from `offset` on.
    pub(super) fn open_websocket(&mut self, offset: u64) {
        self.ws = Some(Ws {
            reader: FrameReader::new(offset),
            frame: None,
            frames: 0,
            outgoing: Vec::new(),
            sent_close: false,
        });
    }

    /// Reads frames from `bytes`, which arrived `at`.
    pub(super) fn frames(
        &mut self,
        at: Duration,
        bytes: &[u8],
        emit: &mut impl FnMut(Record),
    ) {
        let State {
            reads,
            max_data,
            ws,
            client,
            ..
        } = self;
        let Some(ws) = ws.as_mut() else { return };
        let Ws {
            reader,
            frame,
            frames,
            ..
        } = ws;
        let mut done = Vec::new();
        let read = reader.feed(bytes, &mut |event| match event {
            Frame::Start { offset, header } => {
                let first = first_read(reads, offset);
                *frame = Some(OpenFrame {
                    header,
                    offset,
                    payload: Vec::new(),
                    t_first: first.at,
                    first_read: first.number,
                });
            }
            Frame::Payload(bytes) => {
                if let Some(frame) = frame {
                    // A control frame is kept whole (at most 125 bytes):
                    // a ping's payload goes back in the pong.
                    let limit = match frame.header.opcode.is_control() {
                        true => 125,
                        false => *max_data,
                    };
                    keep(&mut frame.payload, bytes, limit);
                }
            }
            Frame::End { close, .. } => {
                if let Some(open) = frame.take() {
                    *frames += 1;
                    done.push((open, close));
                }
            }
        });
        let last_read = reads.back().map_or(0, |r| r.number);
        for (open, close) in done {
            let ping = (open.header.opcode == Opcode::Ping)
                .then(|| open.payload.clone());
            let close_code = close.as_ref().map(|(code, _)| *code);
            let closing = open.header.opcode == Opcode::Close;
            emit(open.record(at, last_read, *max_data, close));
            // A client answers a ping with a pong, and a close with a
            // close, echoing its code (RFC 6455 §5.5.1, §5.5.2).
            if !client.live {
                continue;
            }
            if let Some(payload) = ping.filter(|_| !ws.sent_close) {
                ws.send(at, Opcode::Pong, &payload, emit);
            }
            if closing {
                let payload = close_code
                    .map(|code| close_payload(code, ""))
                    .unwrap_or_default();
                ws.close(at, payload, emit);
            }
        }
        if let Err(e) = read {
            self.fail(at, e, emit);
        }
    }
}

/// A WebSocket, once open.
#[derive(Debug)]
pub(super) struct Ws {
    pub(super) reader: FrameReader,
    /// The server's frame being received.
    frame: Option<OpenFrame>,
    /// Frames so far, both ways.
    pub(super) frames: u64,
    /// Frames to write, each with when it was sent: pongs, closes,
    /// messages to send.
    pub(super) outgoing: Vec<(Duration, Vec<u8>)>,
    pub(super) sent_close: bool,
}

impl Ws {
    /// Queues a masked frame to write, and emits its record.
    pub(super) fn send(
        &mut self,
        at: Duration,
        opcode: Opcode,
        payload: &[u8],
        emit: &mut impl FnMut(Record),
    ) {
        let (header, wire) = client_frame(opcode, payload);
        self.outgoing.push((at, wire));
        self.sent_frame(at, header, payload, emit);
    }

    /// Records the frames in `wire`, which the inspector sent `at`: as a
    /// recording replays them, with their masks as they went. Nothing is
    /// queued: they were written when recorded.
    pub(super) fn replay_sent(
        &mut self,
        at: Duration,
        mut wire: &[u8],
        emit: &mut impl FnMut(Record),
    ) {
        while let Some((header, payload, len)) = ws::read_client_frame(wire) {
            if header.opcode == Opcode::Close {
                self.sent_close = true;
            }
            self.sent_frame(at, header, &payload, emit);
            wire = &wire[len..];
        }
    }

    /// Counts a frame the inspector sent `at`, and emits its record.
    fn sent_frame(
        &mut self,
        at: Duration,
        header: Header,
        payload: &[u8],
        emit: &mut impl FnMut(Record),
    ) {
        self.frames += 1;
        let t_ms = millis(at);
        let close = (header.opcode == Opcode::Close && payload.len() >= 2)
            .then(|| {
                let code = u16::from_be_bytes([payload[0], payload[1]]);
                (code, String::from_utf8_lossy(&payload[2..]).into_owned())
            });
        // What the inspector sends is shown whole: it is short, and the
        // user wrote it.
        emit(frame_record(
            (t_ms, t_ms),
            "client",
            None,
            header,
            payload,
            close,
            1,
        ));
    }

    /// Sends a close frame with `payload`, unless one was sent.
    pub(super) fn close(
        &mut self,
        at: Duration,
        payload: Vec<u8>,
        emit: &mut impl FnMut(Record),
    ) {
        if !self.sent_close {
            self.sent_close = true;
            self.send(at, Opcode::Close, &payload, emit);
        }
    }
}

/// A server's frame being received.
#[derive(Debug)]
struct OpenFrame {
    header: Header,
    offset: u64,
    /// Its payload, up to `max_data` bytes.
    payload: Vec<u8>,
    t_first: Duration,
    first_read: u64,
}

impl OpenFrame {
    /// Its record, complete `at`, in read `last_read`.
    fn record(
        self,
        at: Duration,
        last_read: u64,
        max_data: usize,
        close: Option<(u16, String)>,
    ) -> Record {
        let kept = &self.payload[..self.payload.len().min(max_data)];
        frame_record(
            (millis(self.t_first), millis(at)),
            "server",
            Some(self.offset),
            self.header,
            kept,
            close,
            last_read - self.first_read + 1,
        )
    }
}

/// A `ws_frame` record; `kept` is as much of the payload as is shown.
fn frame_record(
    (t_first_ms, t_ms): (f64, f64),
    direction: &'static str,
    offset: Option<u64>,
    header: Header,
    kept: &[u8],
    close: Option<(u16, String)>,
    reads: u64,
) -> Record {
    let (close_code, close_reason) = close.unzip();
    Record::WsFrame {
        t_first_ms,
        t_ms,
        direction,
        offset,
        fin: header.fin,
        opcode: header.opcode,
        masked: header.mask.is_some(),
        mask_key: header.mask.map(|key| hex(&key)),
        header_bytes: header.size,
        len: header.len,
        data: text_of(kept.to_vec()),
        data_hex: hex(kept),
        truncated: (kept.len() as u64) < header.len,
        close_code,
        close_reason,
        reads,
    }
}

/// A handshake answered with a final status other than `101`. RFC 6455
/// §4.1: "If the status code received from the server is not 101, the
/// client handles the response per HTTP procedures", and no WebSocket is
/// established. The inspector shows that response as any other, whose
/// body often says why, then fails: what it was asked to send never went.
/// The server broke no rule, so this is no [`crate::error::ErrorKind`]:
/// as a refused connection is, it is a failure of the exchange.
#[derive(Debug)]
pub(super) struct Refusal {
    /// Where the refusing head starts.
    offset: u64,
    status: u16,
    reason: String,
}

impl Refusal {
    /// The refusal `head`, which starts at `offset`.
    pub(super) fn of(head: &Head, offset: u64) -> Refusal {
        Refusal {
            offset,
            status: head.status,
            reason: head.reason.clone(),
        }
    }

    /// Its `error` record, of kind `ws_refused`, at the head's first byte,
    /// once the response is over, `at`.
    pub(super) fn record(self, at: Duration) -> Record {
        let Refusal {
            offset,
            status,
            reason,
        } = self;
        Record::Error {
            t_ms: millis(at),
            offset,
            kind: "ws_refused",
            message: format!(
                "the server answered {status} {reason}, not 101 Switching \
                 Protocols: it refused the WebSocket upgrade, so no message \
                 was sent (RFC 6455 §4.1)"
            ),
        }
    }
}

/// The client's checks of a `101` to its handshake (RFC 6455 §4.1).
pub(super) fn check_handshake(
    head: &Head,
    client: &WsClient,
) -> Result<(), String> {
    let value = |name: &str| {
        head.field(name)
            .map(|v| String::from_utf8_lossy(v).trim().to_owned())
    };
    if !head.lists("connection", "upgrade") {
        return Err("it has no Connection: Upgrade".into());
    }
    if let Some(key) = &client.key {
        let expected = ws::accept_key(key);
        match value("sec-websocket-accept") {
            Some(accept) if accept == expected => {}
            Some(accept) => {
                return Err(format!(
                    "Sec-WebSocket-Accept is {accept}, but the key sent \
                     needs {expected}"
                ));
            }
            None => return Err("it has no Sec-WebSocket-Accept".into()),
        }
    }
    // The inspector offers no extension and no subprotocol, so a server
    // may not pick one (RFC 6455 §4.1, steps 5 and 6).
    for name in ["Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol"] {
        if value(name).is_some() && client.key.is_some() {
            return Err(format!(
                "it picks a {name} the inspector did not offer"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Session;

    const HANDSHAKE: &[u8] =
        b"GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Version: 13\r\n\r\n";

    const SWITCH: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

    /// Each record in short: frames as direction, opcode and data.
    fn frames(records: &[Record]) -> Vec<String> {
        records
            .iter()
            .map(|r| match r {
                Record::Head { status, .. } => format!("head {status}"),
                Record::WsFrame {
                    direction,
                    opcode,
                    data,
                    masked,
                    close_code,
                    ..
                } => {
                    let shown = match close_code {
                        Some(code) => code.to_string(),
                        None => format!("{data:?}"),
                    };
                    let masked = if *masked { " masked" } else { "" };
                    let opcode = opcode.name();
                    format!("{direction} {opcode} {shown}{masked}")
                }
                Record::End { frames, .. } => format!("end {frames:?}"),
                Record::Error { kind, offset, .. } => {
                    format!("error {kind} at {offset}")
                }
                other => format!("{other:?}"),
            })
            .collect()
    }

    /// The frames in `wire`, as a server reads them: unmasked.
    fn unmask(mut wire: &[u8]) -> Vec<(u8, Vec<u8>)> {
        let mut frames = Vec::new();
        while !wire.is_empty() {
            let len = usize::from(wire[1] & 0x7F);
            assert!(len < 126 && wire[1] & 0x80 != 0, "{wire:?}");
            let key = &wire[2..6];
            let payload = wire[6..6 + len]
                .iter()
                .zip(key.iter().cycle())
                .map(|(b, k)| b ^ k);
            frames.push((wire[0], payload.collect()));
            wire = &wire[6 + len..];
        }
        frames
    }

    #[test]
    fn after_a_101_frames_go_both_ways_until_the_closing_handshake() {
        let mut session =
            Session::for_request(HANDSHAKE, 64).sending(vec!["hi".into()]);
        let mut recs = Vec::new();
        let at = Duration::ZERO;
        // The 101 and the first frame in one read.
        let first = [SWITCH, b"\x81\x05Hello"].concat();
        assert_eq!(
            session.read(at, &first, &mut |r| recs.push(r)),
            first.len()
        );
        assert!(session.websocket_open());
        assert_eq!(unmask(&session.outgoing()), [(0x81, b"hi".to_vec())]);
        // A ping is answered with a pong; a fragmented text is two frames.
        session
            .read(at, b"\x89\x01?\x01\x02on\x80\x01e", &mut |r| recs.push(r));
        assert_eq!(unmask(&session.outgoing()), [(0x8A, b"?".to_vec())]);
        // The server's close is answered with the same code.
        session.read(at, b"\x88\x02\x03\xe8", &mut |r| recs.push(r));
        assert_eq!(unmask(&session.outgoing()), [(0x88, vec![0x03, 0xe8])]);
        assert!(!session.is_done());
        session.eof(at, &mut |r| recs.push(r));
        assert!(session.is_done());
        assert_eq!(
            frames(&recs),
            [
                "head 101",
                "server text \"Hello\"",
                "client text \"hi\" masked",
                "server ping \"?\"",
                "client pong \"?\" masked",
                "server text \"on\"",
                "server continuation \"e\"",
                "server close 1000",
                "client close 1000 masked",
                "end Some(8)"
            ]
        );
    }

    #[test]
    fn a_message_goes_whenever_asked_but_never_after_a_close() {
        let mut session =
            Session::for_request(HANDSHAKE, 64).sending(vec!["early".into()]);
        let mut recs = Vec::new();
        let at = Duration::ZERO;
        // Before the 101 there is no WebSocket to send on.
        session.send_text(at, "too soon", &mut |r| recs.push(r));
        assert!(session.outgoing_empty());
        session.read(at, SWITCH, &mut |r| recs.push(r));
        session.send_text(at, "later", &mut |r| recs.push(r));
        assert_eq!(
            unmask(&session.outgoing()),
            [(0x81, b"early".to_vec()), (0x81, b"later".to_vec())]
        );
        session.read(at, b"\x88\x02\x03\xe8", &mut |r| recs.push(r));
        session.send_text(at, "too late", &mut |r| recs.push(r));
        assert_eq!(unmask(&session.outgoing()), [(0x88, vec![0x03, 0xe8])]);
    }

    #[test]
    fn a_server_that_closes_at_once_gets_no_messages() {
        let mut session =
            Session::for_request(HANDSHAKE, 64).sending(vec!["hi".into()]);
        let mut recs = Vec::new();
        let first = [SWITCH, b"\x88\x02\x03\xe9"].concat();
        session.read(Duration::ZERO, &first, &mut |r| recs.push(r));
        // The close's echo, and no message after it (RFC 6455 §5.5.1).
        assert_eq!(unmask(&session.outgoing()), [(0x88, vec![0x03, 0xe9])]);
    }

    #[test]
    fn the_inspector_may_close_first() {
        let mut session = Session::for_request(HANDSHAKE, 64);
        let mut recs = Vec::new();
        let at = Duration::ZERO;
        session.read(at, SWITCH, &mut |r| recs.push(r));
        session.close(at, &mut |r| recs.push(r));
        assert!(!session.websocket_open());
        assert_eq!(unmask(&session.outgoing()), [(0x88, vec![0x03, 0xe8])]);
        // The server's answer needs none: the inspector has closed.
        session.read(at, b"\x88\x02\x03\xe8", &mut |r| recs.push(r));
        assert!(session.outgoing().is_empty());
        session.eof(at, &mut |r| recs.push(r));
        assert_eq!(recs.len(), 4, "{recs:?}");
        assert!(matches!(
            recs[3],
            Record::End {
                frames: Some(2),
                ..
            }
        ));
    }

    #[test]
    fn a_wrong_accept_key_or_a_close_without_a_close_frame_is_an_error() {
        let mut session = Session::for_request(HANDSHAKE, 64);
        let mut recs = Vec::new();
        let wrong = String::from_utf8_lossy(SWITCH).replace("xOo=", "xOp=");
        session.read(Duration::ZERO, wrong.as_bytes(), &mut |r| recs.push(r));
        assert!(session.is_done());
        assert_eq!(frames(&recs)[1], "error ws_handshake at 0");
        let Record::Error { message, .. } = &recs[1] else {
            panic!()
        };
        assert!(
            message.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            "{message}"
        );

        let mut session = Session::for_request(HANDSHAKE, 64);
        let mut recs = Vec::new();
        session.read(Duration::ZERO, SWITCH, &mut |r| recs.push(r));
        session.read(Duration::ZERO, b"\x81\x02h", &mut |r| recs.push(r));
        session.eof(Duration::ZERO, &mut |r| recs.push(r));
        let end = SWITCH.len() + 3;
        assert_eq!(frames(&recs)[1], format!("error ws_no_close at {end}"));
    }

    #[test]
    fn a_refused_handshake_is_shown_whole_then_fails() {
        let mut session =
            Session::for_request(HANDSHAKE, 64).sending(vec!["hi".into()]);
        let mut recs = Vec::new();
        // After a 100 Continue, so that the error points at the final
        // head, not at the first byte.
        let refusal = b"HTTP/1.1 100 Continue\r\n\r\n\
            HTTP/1.1 426 Upgrade Required\r\nContent-Length: 2\r\n\r\nno";
        session.read(Duration::ZERO, refusal, &mut |r| recs.push(r));
        assert!(session.is_done() && session.failed());
        let shown = frames(&recs);
        assert_eq!(shown[..2], ["head 100", "head 426"], "{recs:?}");
        assert!(matches!(recs[2], Record::Data { len: 2, .. }), "{recs:?}");
        assert_eq!(shown[3], "end None");
        // The response is complete, and judged so: what failed is the
        // WebSocket.
        assert!(matches!(&recs[4], Record::Verdict(v) if v.complete));
        assert_eq!(shown[5..], ["error ws_refused at 25"]);
        let Record::Error { message, .. } = &recs[5] else {
            unreachable!()
        };
        assert!(message.contains("426 Upgrade Required"), "{message}");
        assert!(message.contains("no message was sent"), "{message}");
        assert!(session.outgoing().is_empty());
    }

    #[test]
    fn a_refusal_from_a_capture_is_an_ordinary_response() {
        // `--file` of a raw capture: no request, so no WebSocket was
        // asked for, and a 426 is just a response.
        let mut session = Session::new("GET", 64);
        let mut recs = Vec::new();
        let refusal =
            b"HTTP/1.1 426 Upgrade Required\r\nContent-Length: 2\r\n\r\nno";
        session.read(Duration::ZERO, refusal, &mut |r| recs.push(r));
        assert!(session.is_done() && !session.failed());
        assert!(
            matches!(
                &recs[..],
                [
                    Record::Head { status: 426, .. },
                    Record::Data { .. },
                    Record::End { .. },
                    Record::Verdict(_)
                ]
            ),
            "{recs:?}"
        );
    }

    #[test]
    fn a_captured_websocket_is_read_not_answered() {
        // `--file`: no request, so no key to check and nobody to answer.
        let mut session = Session::new("GET", 64);
        let mut recs = Vec::new();
        let capture = String::from_utf8_lossy(SWITCH).replace(
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
            "",
        );
        let capture =
            [capture.as_bytes(), b"\x89\x00\x88\x02\x03\xe8"].concat();
        session.read(Duration::ZERO, &capture, &mut |r| recs.push(r));
        session.eof(Duration::ZERO, &mut |r| recs.push(r));
        assert_eq!(
            frames(&recs),
            [
                "head 101",
                "server ping \"\"",
                "server close 1000",
                "end Some(2)"
            ]
        );
        assert!(session.outgoing().is_empty());
    }
}
