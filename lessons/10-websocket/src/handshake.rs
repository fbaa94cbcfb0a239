//! The opening handshake (RFC 6455 §4): an HTTP/1.1 GET that asks to
//! switch protocols, and the `101` that agrees.
//!
//! ```text
//! GET /ws HTTP/1.1                          HTTP/1.1 101 Switching Protocols
//! Upgrade: websocket                        Upgrade: websocket
//! Connection: Upgrade                       Connection: Upgrade
//! Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
//! Sec-WebSocket-Version: 13                 Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use lesson_01_raw_tcp::response::Status;
use lesson_04_http_parse::head::Head;
use sha1::{Digest as _, Sha1};

/// The GUID every server appends to the key (RFC 6455 §1.3).
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// ANCHOR: accept
/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: the base64 of the
/// SHA-1 of the key and the GUID. It proves the server read this very
/// request and speaks WebSocket: no cache or plain HTTP server answers it
/// by accident.
pub fn accept_key(key: &str) -> String {
    let digest = Sha1::digest(format!("{key}{GUID}").as_bytes());
    BASE64.encode(digest)
}
// ANCHOR_END: accept

/// Why a request can't be upgraded: the status and a one-line reason.
pub type Refusal = (Status, String);

// ANCHOR: check
/// Checks the request is an opening handshake this server accepts, and
/// returns its key (RFC 6455 §4.2.1).
pub fn check(request: &Head) -> Result<String, Refusal> {
    let bad = |why: &str| Err((Status::BadRequest, why.to_owned()));
    if request.method != "GET" {
        return bad("a WebSocket handshake is a GET");
    }
    if request.version == lesson_01_raw_tcp::request::Version::Http10 {
        return bad("a WebSocket handshake needs HTTP/1.1");
    }
    if !has_token(request, "upgrade", "websocket") {
        return bad("Upgrade: websocket is missing");
    }
    if !has_token(request, "connection", "upgrade") {
        return bad("Connection: Upgrade is missing");
    }
    if field(request, "sec-websocket-version").as_deref() != Some("13") {
        // 426 with the versions this server speaks (§4.4).
        return Err((
            Status::UpgradeRequired,
            "Sec-WebSocket-Version: 13 only".into(),
        ));
    }
    let key = field(request, "sec-websocket-key").unwrap_or_default();
    // The key is 16 random bytes, base64-encoded (§4.1).
    match BASE64.decode(&key) {
        Ok(bytes) if bytes.len() == 16 => Ok(key),
        _ => bad("Sec-WebSocket-Key must be 16 bytes in base64"),
    }
}
// ANCHOR_END: check

/// The value of the field `name`, trimmed, if the request has it once.
fn field(request: &Head, name: &str) -> Option<String> {
    let mut values = request
        .field_pairs()
        .into_iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name));
    let (_, value) = values.next()?;
    if values.next().is_some() {
        return None;
    }
    Some(String::from_utf8_lossy(value).trim().to_owned())
}

/// Whether any `name` field lists `token`, case aside: `Connection:
/// keep-alive, Upgrade` lists `upgrade`.
fn has_token(request: &Head, name: &str, token: &str) -> bool {
    request
        .field_pairs()
        .into_iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .any(|(_, value)| {
            String::from_utf8_lossy(value)
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_key_of_rfc_6455s_example() {
        // RFC 6455 §1.3.
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }
}
