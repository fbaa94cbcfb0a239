//! The transport layer: TCP, or TLS over TCP, as timed reads of the
//! plaintext the protocol layer decodes.
//!
//! TLS is rustls, driven by hand over a blocking socket rather than
//! through `rustls::StreamOwned`, for one reason: the TUI writes (the
//! WebSocket messages a user types) from another thread while this one
//! waits for the server. So the socket is read without a lock, and only
//! then are its bytes handed to the TLS connection, which both threads
//! share behind a mutex.
//!
//! A read returns the plaintext of the TLS records that the socket's
//! bytes completed, timed when those bytes arrived: a record, up to
//! 16 KiB of plaintext, is the unit. A server's flush of 100 bytes is one
//! small record and arrives as such; but two flushes that a server's TLS
//! layer packs into one record are one read here, as for a browser.

use std::io::{self, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs as _};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, ClientConnection, RootCertStore};
use serde::{Deserialize, Serialize};

/// How long connecting and the TLS handshake may take each, without
/// `--connect-timeout`: a server that accepts and then says nothing must
/// not hang the inspector.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How to reach the server, beyond its URL: curl's options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `-k`: accept any certificate (the handshake's details still show).
    pub insecure: bool,
    /// `--cacert`: trust these PEM roots instead of the platform's.
    pub cacert: Option<PathBuf>,
    /// Which HTTP to speak.
    pub http2: Http2,
    /// `--connect-timeout`: the most the connection may take, as curl
    /// counts it: the name's lookup, TCP's connect and TLS's handshake.
    /// Without it, each of TCP's connects and TLS's handshake may take
    /// [`HANDSHAKE_TIMEOUT`].
    pub connect_timeout: Option<Duration>,
    /// `--max-time` (`-m`): the most the whole exchange may take, the
    /// connection included; [`crate::capture::Live`] ends it then.
    pub max_time: Option<Duration>,
}

impl Options {
    /// When the connection must be made by, if a limit says so: the
    /// sooner of `--connect-timeout` and `--max-time`, from `began`.
    fn connect_deadline(&self, began: Instant) -> Option<(Instant, Limit)> {
        let connect = self.connect_timeout.map(|d| (d, Limit::Connect(d)));
        let max = self.max_time.map(|d| (d, Limit::MaxTime(d)));
        let (d, limit) = match (connect, max) {
            (Some(c), Some(m)) => std::cmp::min_by_key(c, m, |(d, _)| *d),
            (c, m) => c.or(m)?,
        };
        Some((began + d, limit))
    }
}

/// Which limit ran out: for the sentence that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// `--connect-timeout SECS`.
    Connect(Duration),
    /// `--max-time SECS`.
    MaxTime(Duration),
    /// Neither was given: [`HANDSHAKE_TIMEOUT`].
    Default(Duration),
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Limit::Connect(d) => {
                write!(f, "{} s (--connect-timeout)", secs(*d))
            }
            Limit::MaxTime(d) => write!(f, "{} s (--max-time)", secs(*d)),
            Limit::Default(d) => write!(f, "{} s", secs(*d)),
        }
    }
}

/// A duration in seconds as a user writes it: `1`, `0.5`.
pub fn secs(d: Duration) -> String {
    format!("{}", d.as_secs_f64())
}

/// Whether to speak HTTP/2, and how to agree on it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Http2 {
    /// HTTP/1.1, the lessons' protocol.
    #[default]
    No,
    /// `--http2`: offer `h2` and `http/1.1` by ALPN, over TLS; the server
    /// picks. Over plain TCP, HTTP/1.1 (curl's upgrade is not done).
    Offer,
    /// `--http2-prior-knowledge`: HTTP/2 from the first byte (h2c).
    PriorKnowledge,
}

/// How the connection was made: the fields a `head` record gains, and a
/// recording's `connection`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    /// TCP's connect, SYN to SYN-ACK: one round trip.
    pub connect_ms: f64,
    /// The TLS handshake, after the connect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsDetails>,
    /// Whether the connection speaks HTTP/2. Not a `head` field (the
    /// version says it); a recording keeps it beside (`recording.rs`).
    #[serde(skip)]
    pub http2: bool,
}

impl Connection {
    /// The connection in lines for people: the timings, then TLS's
    /// agreement and certificate.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = vec![match self.tls_ms {
            Some(tls) => format!(
                "connect {:.1} ms, TLS handshake {tls:.1} ms",
                self.connect_ms
            ),
            None => format!("connect {:.1} ms", self.connect_ms),
        }];
        if let Some(tls) = &self.tls {
            let alpn = tls.alpn.as_deref().unwrap_or("none");
            lines.push(format!("{} {}, ALPN {alpn}", tls.version, tls.cipher));
            lines.push(format!(
                "certificate {}, issued by {}, until {}",
                tls.subject, tls.issuer, tls.not_after
            ));
        }
        lines
    }

    /// The connect's time, the network's round trip, for the verdict.
    pub fn rtt(&self) -> Duration {
        Duration::from_secs_f64(self.connect_ms / 1e3)
    }
}

/// What the TLS handshake agreed on, and who the server said it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TlsDetails {
    /// `TLSv1.3` or `TLSv1.2`.
    pub version: String,
    /// Such as `TLS13_AES_256_GCM_SHA384`.
    pub cipher: String,
    /// The protocol ALPN chose: `h2`, `http/1.1`, or none.
    pub alpn: Option<String>,
    /// The leaf certificate's subject and issuer, as RFC 4514 names.
    pub subject: String,
    pub issuer: String,
    /// When the leaf certificate expires, RFC 3339.
    pub not_after: String,
}

/// A handshake that failed, in a sentence: the message of an `error`
/// record of kind `tls`.
#[derive(Debug)]
pub struct TlsFailure(pub String);

impl std::fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsFailure {}

impl TlsFailure {
    /// The failure an I/O error carries, if it is one.
    pub fn of(e: &io::Error) -> Option<&TlsFailure> {
        e.get_ref()?.downcast_ref()
    }
}

/// A connection that could not be made, or an exchange that a limit
/// ended, in a sentence that names the host and port: the `kind` and
/// `message` of an `error` record. (A refused handshake is a
/// [`TlsFailure`].)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `dns`, `connect` or `timeout`.
    pub kind: &'static str,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl Failure {
    /// The failure an I/O error carries, if it is one.
    pub fn of(e: &io::Error) -> Option<&Failure> {
        e.get_ref()?.downcast_ref()
    }

    /// A limit ran out: an I/O error of kind `TimedOut` that says so.
    pub fn timeout(message: String) -> io::Error {
        Failure {
            kind: "timeout",
            message,
        }
        .into_io(io::ErrorKind::TimedOut)
    }

    fn into_io(self, kind: io::ErrorKind) -> io::Error {
        io::Error::new(kind, self)
    }
}

/// A connected stream: plain TCP, or TLS over it.
#[derive(Debug)]
pub enum Stream {
    Tcp(TcpStream),
    Tls(Tls),
}

impl From<TcpStream> for Stream {
    fn from(tcp: TcpStream) -> Self {
        Stream::Tcp(tcp)
    }
}

/// TLS over a TCP socket, the TLS state shared with [`Writer`]s.
#[derive(Debug)]
pub struct Tls {
    tcp: TcpStream,
    conn: Arc<Mutex<ClientConnection>>,
    /// The socket's bytes, before decryption.
    raw: Box<[u8]>,
}

/// Connects to `authority` (`host:port`): TCP with `TCP_NODELAY`, then
/// TLS when `tls` is set, offering `alpn`. `host` is the name to verify
/// the certificate against, and to send by SNI. Within
/// `--connect-timeout` and `--max-time`, if given: a failure to resolve,
/// connect or shake hands is a [`Failure`] (or a [`TlsFailure`]).
pub fn connect(
    authority: &str,
    tls: bool,
    options: &Options,
) -> io::Result<(Stream, Connection)> {
    let deadline = options.connect_deadline(Instant::now());
    let (tcp, connect_time) = dial(authority, deadline)?;
    let mut connection = Connection {
        connect_ms: ms(connect_time),
        http2: options.http2 == Http2::PriorKnowledge,
        ..Connection::default()
    };
    // Requests go out in one write, so Nagle could only delay them.
    tcp.set_nodelay(true)?;
    if !tls {
        return Ok((Stream::Tcp(tcp), connection));
    }
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    let config = client_config(options)?;
    let (limit, wait) = time_left(deadline)?;
    let (tls, details, took) = Tls::handshake(tcp, host, config, wait)
        .map_err(|e| match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                Failure::timeout(format!(
                    "{authority} accepted the connection but sent no \
                         TLS handshake within {limit}"
                ))
            }
            _ => e,
        })?;
    connection.tls_ms = Some(ms(took));
    connection.http2 = details.alpn.as_deref() == Some("h2");
    connection.tls = Some(details);
    Ok((Stream::Tls(tls), connection))
}

/// How long the next step of connecting may wait, and the limit that
/// says so: what is left before `deadline`, or else
/// [`HANDSHAKE_TIMEOUT`]. An error once the deadline has passed.
fn time_left(
    deadline: Option<(Instant, Limit)>,
) -> io::Result<(Limit, Duration)> {
    let Some((at, limit)) = deadline else {
        return Ok((Limit::Default(HANDSHAKE_TIMEOUT), HANDSHAKE_TIMEOUT));
    };
    match at.checked_duration_since(Instant::now()) {
        Some(left) if !left.is_zero() => Ok((limit, left)),
        _ => Err(Failure::timeout(format!("no connection within {limit}"))),
    }
}

/// Connects to the first of `authority`'s addresses that answers, as
/// curl does (`localhost` may be `::1` first, and the server listen on
/// 127.0.0.1 only); and how long that connect took.
fn dial(
    authority: &str,
    deadline: Option<(Instant, Limit)>,
) -> io::Result<(TcpStream, Duration)> {
    let addrs = resolve(authority, deadline)?;
    // An address is named with its host when the host is a name.
    let named = |addr: &SocketAddr| match addr.to_string() == authority {
        true => authority.to_owned(),
        false => format!("{authority} ({addr})"),
    };
    let mut failed = Failure {
        kind: "dns",
        message: format!("cannot resolve {authority}: it has no address"),
    }
    .into_io(io::ErrorKind::NotFound);
    for addr in addrs {
        let (limit, wait) = time_left(deadline)?;
        let connecting = Instant::now();
        match TcpStream::connect_timeout(&addr, wait) {
            Ok(tcp) => return Ok((tcp, connecting.elapsed())),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                let why = format!(
                    "cannot connect to {}: no answer within {limit}",
                    named(&addr)
                );
                failed = Failure::timeout(why);
            }
            Err(e) => {
                let message =
                    format!("cannot connect to {}: {e}", named(&addr));
                let kind = "connect";
                failed = Failure { kind, message }.into_io(e.kind());
            }
        }
    }
    Err(failed)
}

/// `authority`'s addresses. The system's resolver cannot be given a
/// time limit, so with one it runs on a thread of its own, which is left
/// to finish alone if the limit comes first (as curl's threaded
/// resolver does).
fn resolve(
    authority: &str,
    deadline: Option<(Instant, Limit)>,
) -> io::Result<Vec<SocketAddr>> {
    let lookup = |authority: &str| {
        authority
            .to_socket_addrs()
            .map(Vec::from_iter)
            .map_err(|e| {
                let host =
                    authority.rsplit_once(':').map_or(authority, |(h, _)| h);
                let message = format!(
                    "cannot resolve {host}, to connect to {authority}: {e}"
                );
                Failure {
                    kind: "dns",
                    message,
                }
                .into_io(e.kind())
            })
    };
    if deadline.is_none() {
        return lookup(authority);
    }
    let (limit, wait) = time_left(deadline)?;
    let (tx, rx) = mpsc::channel();
    let owned = authority.to_owned();
    thread::spawn(move || tx.send(lookup(&owned)));
    rx.recv_timeout(wait).unwrap_or_else(|_| {
        Err(Failure::timeout(format!(
            "cannot resolve {authority}: no answer from the resolver \
             within {limit}"
        )))
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

impl Tls {
    /// Shakes hands within `wait`: an error of kind `TimedOut` or
    /// `WouldBlock` if the server is silent that long.
    fn handshake(
        mut tcp: TcpStream,
        host: &str,
        config: ClientConfig,
        wait: Duration,
    ) -> io::Result<(Tls, TlsDetails, Duration)> {
        // An IPv6 address is written in brackets in a URL, not in a name.
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(bare.to_owned()).map_err(|_| {
            io::Error::other(format!("{host} is not a host name"))
        })?;
        let mut conn = ClientConnection::new(Arc::new(config), name)
            .map_err(|e| io::Error::other(e.to_string()))?;
        tcp.set_read_timeout(Some(wait))?;
        // The first bytes the server sent, to tell a plain-HTTP server
        // (which answers a ClientHello with a 400) from a broken one.
        let mut first = FirstBytes {
            tcp: &mut tcp,
            seen: Vec::new(),
        };
        // Timed from the ClientHello: making the key shares (tens of
        // milliseconds, the first time in a process) and loading the
        // platform's roots are the client's work, not the network's.
        let handshaking = Instant::now();
        while conn.is_handshaking() {
            if let Err(e) = conn.complete_io(&mut first) {
                // Silence is a timeout, for the caller to say which.
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) {
                    return Err(e);
                }
                let why = failure(&e, bare, &first.seen);
                return Err(io::Error::new(io::ErrorKind::InvalidData, why));
            }
        }
        let took = handshaking.elapsed();
        tcp.set_read_timeout(None)?;
        let details = details(&conn);
        let tls = Tls {
            tcp,
            conn: Arc::new(Mutex::new(conn)),
            raw: vec![0; crate::capture::READ_BUFFER].into_boxed_slice(),
        };
        Ok((tls, details, took))
    }

    /// Reads plaintext into `buf`: what is decrypted already, or else the
    /// records that the socket's next bytes complete. 0 at the end: the
    /// socket's, or the server's close_notify, after which some servers
    /// wait for the client to close.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(got) = read_plaintext(&mut lock(&self.conn), buf)? {
            return Ok(got);
        }
        loop {
            // Read without the lock: a writer must not wait for the server.
            // No more than `buf` holds: plaintext is never longer than
            // its records, so all that these bytes decrypt to fits.
            let most = buf.len().min(self.raw.len());
            let n = self.tcp.read(&mut self.raw[..most])?;
            if n == 0 {
                return Ok(0);
            }
            let mut conn = lock(&self.conn);
            let mut rest = &self.raw[..n];
            let mut got = 0;
            let mut closed = false;
            while !rest.is_empty() && !closed {
                conn.read_tls(&mut rest)?;
                conn.process_new_packets().map_err(io::Error::other)?;
                match read_plaintext(&mut conn, &mut buf[got..])? {
                    Some(0) => closed = true,
                    Some(n) => got += n,
                    None => {}
                }
            }
            // An alert or a key update may want an answer.
            while conn.wants_write() {
                conn.write_tls(&mut &self.tcp)?;
            }
            if got > 0 || closed {
                return Ok(got);
            }
        }
    }
}

/// What the TLS connection has decrypted, into `buf`: none if nothing
/// is, `Some(0)` once the server's close_notify came.
fn read_plaintext(
    conn: &mut ClientConnection,
    buf: &mut [u8],
) -> io::Result<Option<usize>> {
    match conn.reader().read(buf) {
        Ok(n) => Ok(Some(n)),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
        Err(e) => Err(e),
    }
}

fn lock(
    conn: &Mutex<ClientConnection>,
) -> std::sync::MutexGuard<'_, ClientConnection> {
    conn.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The socket, keeping the first bytes the server sends.
struct FirstBytes<'a> {
    tcp: &'a mut TcpStream,
    seen: Vec<u8>,
}

impl io::Read for FirstBytes<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.tcp.read(buf)?;
        let room = 16usize.saturating_sub(self.seen.len()).min(n);
        self.seen.extend_from_slice(&buf[..room]);
        Ok(n)
    }
}

impl io::Write for FirstBytes<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tcp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

/// The TLS configuration `options` ask for: whose certificates to trust,
/// and which protocols to offer.
fn client_config(options: &Options) -> io::Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?;
    let mut config = if options.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(
                provider,
            )))
            .with_no_client_auth()
    } else {
        builder
            .with_root_certificates(roots(options)?)
            .with_no_client_auth()
    };
    config.alpn_protocols = match options.http2 {
        Http2::No => vec![b"http/1.1".to_vec()],
        Http2::Offer | Http2::PriorKnowledge => {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        }
    };
    Ok(config)
}

/// `--cacert`'s roots; or the platform's, or where it has none, Mozilla's
/// (webpki-roots), as curl falls back to its bundle.
fn roots(options: &Options) -> io::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    if let Some(path) = &options.cacert {
        let what = |e: rustls::pki_types::pem::Error| {
            io::Error::other(format!("{}: {e}", path.display()))
        };
        for cert in CertificateDer::pem_file_iter(path).map_err(what)? {
            roots.add(cert.map_err(what)?).map_err(|e| {
                io::Error::other(format!("{}: {e}", path.display()))
            })?;
        }
        if roots.is_empty() {
            return Err(io::Error::other(format!(
                "{}: no certificate in it",
                path.display()
            )));
        }
        return Ok(roots);
    }
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if roots.is_empty() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    Ok(roots)
}

/// `-k`: every certificate passes; signatures are still checked, so the
/// handshake is a real one.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error>
    {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error>
    {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A failed handshake in one sentence a user can act on.
fn failure(e: &io::Error, host: &str, seen: &[u8]) -> TlsFailure {
    use rustls::Error as E;
    let tls = e.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>());
    let says = match tls {
        _ if seen.starts_with(b"HTTP/") => format!(
            "the server answered in plain HTTP, not TLS: it speaks \
             http://, not https:// (it said {:?})",
            String::from_utf8_lossy(seen)
        ),
        Some(E::InvalidCertificate(cert)) => certificate(cert, host),
        Some(E::AlertReceived(alert)) => match alert {
            rustls::AlertDescription::ProtocolVersion => format!(
                "no TLS protocol version in common: the inspector speaks \
                 TLS 1.2 and 1.3, and the server refused them ({alert:?})"
            ),
            rustls::AlertDescription::HandshakeFailure => format!(
                "the server refused the handshake: no cipher suite or \
                 protocol version in common ({alert:?})"
            ),
            _ => format!("the server ended the handshake: {alert:?} alert"),
        },
        Some(E::PeerIncompatible(why)) => format!(
            "no TLS protocol version or cipher in common with the server \
             ({why:?}); the inspector speaks TLS 1.2 and 1.3"
        ),
        Some(E::InvalidMessage(_)) => format!(
            "the server's answer is not TLS (it began {:?}): is this the \
             server's TLS port?",
            String::from_utf8_lossy(seen)
        ),
        Some(other) => format!("the TLS handshake failed: {other}"),
        // (A silent server is a timeout, which the caller says.)
        None if e.kind() == io::ErrorKind::UnexpectedEof || seen.is_empty() => {
            format!(
                "the server closed the connection during the TLS handshake ({e})"
            )
        }
        None => format!("the TLS handshake failed: {e}"),
    };
    // Named, for a run that asks many hosts (compare, a script's loop).
    TlsFailure(format!("TLS with {host}: {says}"))
}

/// A certificate rustls refused, said for a user.
fn certificate(cert: &CertificateError, host: &str) -> String {
    let remedy = "(--cacert FILE trusts its issuer; -k accepts any)";
    match cert {
        CertificateError::NotValidForNameContext { presented, .. } => {
            // rustls writes each name as `DnsName("a.test")`: the name is
            // what is between the quotes.
            let names: Vec<&str> = presented
                .iter()
                .map(|n| n.split('"').nth(1).unwrap_or(n))
                .collect();
            format!(
                "the certificate is not valid for {host}: it names {} {remedy}",
                names.join(", ")
            )
        }
        CertificateError::NotValidForName => {
            format!("the certificate is not valid for {host} {remedy}")
        }
        CertificateError::ExpiredContext { time, not_after } => format!(
            "the certificate expired at {}, {} days ago {remedy}",
            rfc3339(not_after.as_secs()),
            time.as_secs().saturating_sub(not_after.as_secs()) / 86_400
        ),
        CertificateError::Expired => {
            format!("the certificate has expired {remedy}")
        }
        CertificateError::NotValidYetContext { not_before, .. } => format!(
            "the certificate is not valid until {} {remedy}",
            rfc3339(not_before.as_secs())
        ),
        CertificateError::UnknownIssuer => format!(
            "the certificate's issuer is unknown: no trusted root signed \
             it, as for a self-signed or a private CA's certificate {remedy}"
        ),
        CertificateError::Other(other)
            if other.0.downcast_ref::<webpki::Error>()
                == Some(&webpki::Error::CaUsedAsEndEntity) =>
        {
            format!(
                "the server's certificate is a CA's (basicConstraints \
                 CA:TRUE, as `openssl req -x509` makes by default), which \
                 rustls refuses as a server's own: sign a leaf with that CA \
                 and serve the leaf {remedy}"
            )
        }
        CertificateError::Other(other) => {
            format!("the certificate was refused: {other} {remedy}")
        }
        other => format!("the certificate was refused: {other:?} {remedy}"),
    }
}

/// Seconds since 1970 as RFC 3339, UTC.
fn rfc3339(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{secs} s after 1970"))
}

/// What a finished handshake agreed on, and the leaf certificate's names.
fn details(conn: &ClientConnection) -> TlsDetails {
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_owned(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_owned(),
        other => format!("{other:?}"),
    };
    let cipher = conn
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()))
        .unwrap_or_default();
    let alpn = conn
        .alpn_protocol()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let leaf = conn.peer_certificates().and_then(|c| c.first());
    let parsed =
        leaf.and_then(|der| x509_parser::parse_x509_certificate(der).ok());
    let (subject, issuer, not_after) = match parsed {
        Some((_, cert)) => (
            cert.subject().to_string(),
            cert.issuer().to_string(),
            u64::try_from(cert.validity().not_after.timestamp())
                .map_or_else(|_| "before 1970".into(), rfc3339),
        ),
        None => Default::default(),
    };
    TlsDetails {
        version,
        cipher,
        alpn,
        subject,
        issuer,
        not_after,
    }
}

impl Stream {
    /// The next bytes from the server: decrypted, for TLS. 0 at the end.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(tcp) => tcp.read(buf),
            Stream::Tls(tls) => tls.read(buf),
        }
    }

    /// Writes all of `bytes` to the server, encrypted for TLS.
    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Stream::Tcp(tcp) => tcp.write_all(bytes),
            Stream::Tls(tls) => send(&tls.conn, &tls.tcp, bytes),
        }
    }

    /// A handle that writes to the server and shuts the connection down,
    /// usable from another thread while this one reads.
    pub fn writer(&self) -> io::Result<Writer> {
        Ok(match self {
            Stream::Tcp(tcp) => Writer {
                tcp: tcp.try_clone()?,
                tls: None,
            },
            Stream::Tls(tls) => Writer {
                tcp: tls.tcp.try_clone()?,
                tls: Some(Arc::clone(&tls.conn)),
            },
        })
    }

    /// The socket under it, for its options.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Tcp(tcp) => tcp,
            Stream::Tls(tls) => &tls.tcp,
        }
    }
}

/// Writes to a [`Stream`] from anywhere: see [`Stream::writer`].
#[derive(Debug)]
pub struct Writer {
    tcp: TcpStream,
    tls: Option<Arc<Mutex<ClientConnection>>>,
}

impl Writer {
    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &self.tls {
            Some(conn) => send(conn, &self.tcp, bytes),
            None => self.tcp.write_all(bytes),
        }
    }

    /// Another handle on the same connection.
    pub fn try_clone(&self) -> io::Result<Writer> {
        Ok(Writer {
            tcp: self.tcp.try_clone()?,
            tls: self.tls.clone(),
        })
    }

    /// The socket under it, for its options.
    pub fn tcp(&self) -> &TcpStream {
        &self.tcp
    }

    /// Ends the connection both ways, which ends a read blocked on it.
    pub fn shutdown(&self) -> io::Result<()> {
        self.tcp.shutdown(std::net::Shutdown::Both)
    }
}

/// Encrypts `bytes` and writes the records to `tcp`.
fn send(
    conn: &Mutex<ClientConnection>,
    mut tcp: &TcpStream,
    bytes: &[u8],
) -> io::Result<()> {
    if bytes.is_empty() {
        return Ok(());
    }
    let mut conn = lock(conn);
    conn.writer().write_all(bytes)?;
    while conn.wants_write() {
        conn.write_tls(&mut tcp)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead as _, BufReader};
    use std::net::TcpListener;
    use std::thread;

    use rustls::pki_types::PrivateKeyDer;
    use rustls::{ServerConfig, ServerConnection, StreamOwned};

    use super::*;

    /// A TLS server on 127.0.0.1 that answers each line with the same
    /// line, upper case; a self-signed certificate for localhost.
    fn shouting_server() -> String {
        let cert =
            rcgen::generate_simple_self_signed(["localhost".into()]).unwrap();
        let key =
            PrivateKeyDer::try_from(cert.signing_key.serialize_der()).unwrap();
        let config = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert.cert.der().clone()], key)
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            // A client that deadlocked must fail the test, not hang it.
            tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let conn = ServerConnection::new(Arc::new(config)).unwrap();
            let mut tls = BufReader::new(StreamOwned::new(conn, tcp));
            let mut line = String::new();
            while tls.read_line(&mut line).is_ok_and(|n| n > 0) {
                let loud = line.to_uppercase();
                tls.get_mut().write_all(loud.as_bytes()).unwrap();
                line.clear();
            }
        });
        addr.to_string()
    }

    #[test]
    fn a_writer_sends_while_a_read_waits() {
        let options = Options {
            insecure: true,
            ..Options::default()
        };
        let (mut stream, connection) =
            connect(&shouting_server(), true, &options).unwrap();
        let tls = connection.tls.unwrap();
        assert_eq!(tls.version, "TLSv1.3");
        assert_eq!(
            (tls.subject.as_str(), tls.alpn),
            ("CN=rcgen self signed cert", None)
        );
        let mut writer = stream.writer().unwrap();
        // The read below waits for the server, which waits for this line:
        // sent from another thread, through the shared TLS state, as the
        // TUI sends what a user types.
        let typing = thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            writer.write_all(b"hello\n").unwrap();
            writer
        });
        let mut buf = vec![0; crate::capture::READ_BUFFER];
        let n = stream.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"HELLO\n");
        typing.join().unwrap().shutdown().unwrap();
        assert_eq!(stream.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn refusals_are_sentences() {
        let host = "a.test";
        let e = io::Error::other(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForNameContext {
                expected: ServerName::try_from("a.test").unwrap(),
                presented: vec!["DnsName(\"b.test\")".into()],
            },
        ));
        let said = failure(&e, host, b"").0;
        assert!(
            said.starts_with(
                "TLS with a.test: the certificate is not valid for a.test: \
                 it names b.test"
            ),
            "{said}"
        );
        let e = io::Error::other(rustls::Error::InvalidMessage(
            rustls::InvalidMessage::InvalidContentType,
        ));
        let said = failure(&e, host, b"HTTP/1.1 400 Bad").0;
        assert!(said.contains("plain HTTP"), "{said}");
        assert_eq!(rfc3339(4_102_444_800), "2100-01-01T00:00:00Z");
    }
}
