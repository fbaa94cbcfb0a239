//! bench-capture's servers beyond plain HTTP/1.1: the TLS configurations,
//! with a self-signed certificate made at start, and the HTTP/2 server,
//! over TLS and in clear (h2c). HTTP/1.1 over TLS is `bench::serve` with
//! a configuration from here.

use std::future::poll_fn;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread;

use bytes::Bytes;
use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsAcceptor;

use crate::Result;

/// The payload of each DATA frame: the inspector's limit and the default
/// SETTINGS_MAX_FRAME_SIZE (RFC 9113 §6.5.2), and the h1 streams' chunk.
const FRAME: usize = 16 * 1024;

/// How much send capacity the server asks for at a time: enough that it
/// is never waiting on its own accounting, only on the client's windows.
const RESERVE: usize = 4 << 20;

/// Windows for what a client sends us. A request has no body, so they
/// never bind; large, so that nothing here paces anything.
const WINDOW: u32 = 1 << 30;

/// TLS configurations for the https and the h2 servers: one self-signed
/// certificate for 127.0.0.1, which the clients accept with `-k`.
pub struct Tls {
    /// ALPN http/1.1 only: curl asks for h2 first over TLS by default,
    /// and this server speaks HTTP/1.1 alone.
    pub https: Arc<ServerConfig>,
    /// ALPN h2 only: the server speaks HTTP/2 alone, so a client without
    /// it fails the handshake (no_application_protocol) instead of
    /// agreeing on HTTP/1.1 and getting frames.
    pub h2: Arc<ServerConfig>,
}

impl Tls {
    pub fn new() -> Result<Tls> {
        let made = rcgen::generate_simple_self_signed(vec![
            "127.0.0.1".to_owned(),
            "localhost".to_owned(),
        ])?;
        let chain = vec![made.cert.der().clone()];
        let key = PrivatePkcs8KeyDer::from(made.signing_key.serialize_der());
        let config = |alpn: &[u8]| -> Result<Arc<ServerConfig>> {
            // The provider the inspector uses, named: no process default.
            let provider = rustls::crypto::aws_lc_rs::default_provider();
            let mut config =
                ServerConfig::builder_with_provider(provider.into())
                    .with_safe_default_protocol_versions()?
                    .with_no_client_auth()
                    .with_single_cert(
                        chain.clone(),
                        PrivateKeyDer::Pkcs8(key.clone_key()),
                    )?;
            config.alpn_protocols = vec![alpn.to_vec()];
            Ok(Arc::new(config))
        };
        Ok(Tls {
            https: config(b"http/1.1")?,
            h2: config(b"h2")?,
        })
    }
}

/// Serves `/identity` over HTTP/2: `content` bytes of `x` in DATA frames
/// of 16 KiB, over TLS (the first address, ALPN h2, as browsers reach
/// HTTP/2) and in clear (the second, h2c with prior knowledge, which
/// isolates HTTP/2's framing and flow control from TLS).
///
/// One tokio thread runs both: h2 is async only. A connection is a task.
pub fn serve_h2(
    tls: Arc<ServerConfig>,
    content: u64,
) -> Result<(SocketAddr, SocketAddr)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let listen = || -> Result<tokio::net::TcpListener> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        Ok(tokio::net::TcpListener::from_std(listener)?)
    };
    let (secure, clear) = {
        let _in_runtime = runtime.enter();
        (listen()?, listen()?)
    };
    let addrs = (secure.local_addr()?, clear.local_addr()?);
    let acceptor = TlsAcceptor::from(tls);
    let frame = Bytes::from(vec![b'x'; FRAME]);
    runtime.spawn({
        let frame = frame.clone();
        async move {
            while let Ok((tcp, _)) = clear.accept().await {
                let _ = tcp.set_nodelay(true);
                tokio::spawn(connection(tcp, frame.clone(), content));
            }
        }
    });
    thread::spawn(move || {
        runtime.block_on(async move {
            while let Ok((tcp, _)) = secure.accept().await {
                // Small frames (SETTINGS, HEADERS, the handshake's
                // records) must not wait for the client's ACK (Nagle).
                let _ = tcp.set_nodelay(true);
                let acceptor = acceptor.clone();
                let frame = frame.clone();
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        connection(tls, frame, content).await;
                    }
                });
            }
        });
    });
    Ok(addrs)
}

/// One HTTP/2 connection: answers each request on it in a task of its own,
/// while `accept` keeps the connection going (SETTINGS, PING, the frames
/// the tasks queue, the client's WINDOW_UPDATEs).
async fn connection(
    io: impl AsyncRead + AsyncWrite + Unpin,
    frame: Bytes,
    content: u64,
) {
    let handshake = h2::server::Builder::new()
        .initial_window_size(WINDOW)
        .initial_connection_window_size(WINDOW)
        // h2 queues at most this much of a stream's data: room for 256
        // frames, so that a WINDOW_UPDATE finds the next ones ready.
        .max_send_buffer_size(RESERVE)
        .handshake::<_, Bytes>(io)
        .await;
    let Ok(mut conn) = handshake else { return };
    while let Some(Ok((request, respond))) = conn.accept().await {
        let frame = frame.clone();
        tokio::spawn(async move {
            let _ = answer(request, respond, frame, content).await;
        });
    }
}

/// `/identity` as HTTP/2 sends it: HEADERS, then DATA frames of 16 KiB,
/// the last flagged END_STREAM. Each frame is sent once the client's
/// windows have room for it (RFC 9113 §5.2): the server asks for
/// capacity, waits for it, and spends it a frame at a time.
async fn answer(
    request: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<Bytes>,
    frame: Bytes,
    content: u64,
) -> std::result::Result<(), h2::Error> {
    if request.uri().path() != "/identity" {
        let mut not_found = http::Response::new(());
        *not_found.status_mut() = http::StatusCode::NOT_FOUND;
        respond.send_response(not_found, true)?;
        return Ok(());
    }
    let mut send = respond.send_response(http::Response::new(()), false)?;
    let mut left = content;
    while left > 0 {
        let want = usize::try_from(left).map_or(RESERVE, |l| l.min(RESERVE));
        send.reserve_capacity(want);
        // None: the client reset the stream.
        let Some(capacity) = poll_fn(|cx| send.poll_capacity(cx)).await else {
            return Ok(());
        };
        let mut capacity = capacity?;
        // Whole frames only, so that every DATA frame but a short last
        // one is 16 KiB: less capacity waits for the next WINDOW_UPDATE.
        loop {
            let n = usize::try_from(left).map_or(FRAME, |l| l.min(FRAME));
            if n == 0 || capacity < n {
                break;
            }
            send.send_data(frame.slice(..n), left == n as u64)?;
            capacity -= n;
            left -= n as u64;
        }
    }
    Ok(())
}
