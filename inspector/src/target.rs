//! What to inspect: `http://host[:port]/path`, or `ws://` for a WebSocket,
//! `https://` and `wss://` for either over TLS,
//! and the request to send: a browser's, by default, so that servers and
//! proxies answer the inspector as they answer a browser.

use std::fmt;
use std::str::FromStr;

use crate::ws;

/// What the browser Chromium asks for when it navigates to a page.
pub const ACCEPT_PAGE: &str = "text/html,application/xhtml+xml,\
    application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8";

/// The content codings a browser accepts. A server or proxy that
/// compresses does so only when asked: without this the inspector would
/// watch a stream that no browser gets.
pub const ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

/// The request to make, as the command line says it, curl's way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// Extra fields, `Name: value`: each replaces a default of its name.
    pub headers: Vec<String>,
    /// A body, sent with `Content-Length`.
    pub body: Option<Vec<u8>>,
    /// The body is form data (curl's `-d`): `Content-Type:
    /// application/x-www-form-urlencoded` unless a field says otherwise.
    pub form: bool,
}

impl Default for Request {
    fn default() -> Self {
        Request {
            method: "GET".into(),
            headers: Vec::new(),
            body: None,
            form: false,
        }
    }
}

impl Request {
    /// `method` with `headers`, no body.
    pub fn new(method: &str, headers: &[String]) -> Self {
        Request {
            method: method.to_owned(),
            headers: headers.to_vec(),
            ..Request::default()
        }
    }

    /// Refuses a method or a field that would change the head's shape
    /// once written into it: what a command line must never be able to
    /// do. The method is a token (RFC 9110 §9.1):
    ///
    /// > method = token
    /// > tchar  = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" /
    /// > "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    ///
    /// so it holds no space, which would end it, and no CR or LF, which
    /// would end the request line and start a request of the sender's
    /// own: request smuggling. A field holds no CR, LF or NUL (RFC 9110
    /// §5.5), for the same reason.
    pub fn check(&self) -> Result<(), String> {
        let tchar = |c: char| {
            c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
        };
        if self.method.is_empty() {
            return Err("-X: the method is empty".into());
        }
        // CR or LF first: of all that a method cannot hold, the worst.
        let line_end = self
            .method
            .char_indices()
            .find(|&(_, c)| c == '\r' || c == '\n');
        if let Some((at, c)) = line_end
            .or_else(|| self.method.char_indices().find(|&(_, c)| !tchar(c)))
        {
            return Err(format!(
                "-X {:?}: a method is one word of letters, digits and \
                 !#$%&'*+-.^_`|~, and this one has {c:?} at byte {at}{}",
                self.method,
                smuggles(c)
            ));
        }
        for field in &self.headers {
            if let Some((at, c)) = field
                .char_indices()
                .find(|&(_, c)| matches!(c, '\r' | '\n' | '\0'))
            {
                return Err(format!(
                    "-H {field:?}: a field cannot hold {c:?} (byte {at}){}",
                    smuggles(c)
                ));
            }
        }
        Ok(())
    }
}

/// Why a CR or LF in a request's head matters, for a refusal's sentence.
fn smuggles(c: char) -> &'static str {
    match c {
        '\r' | '\n' => {
            ": CR and LF end a line of the head, so what follows would go \
             as lines of the sender's choosing, even a second request \
             (request smuggling); nothing was sent"
        }
        _ => "; nothing was sent",
    }
}

/// Refuses a URL with a space, a CR, an LF or another control character:
/// written into the request line (`GET /a b HTTP/1.1`), a space ends the
/// request-target early, and CR or LF end the line, so what follows
/// would go as lines, or a request, of the URL's choosing. Write them
/// percent-encoded (`%20`, `%0D`, `%0A`) to send them to the server.
pub fn check_url(url: &str) -> Result<(), String> {
    let Some((at, c)) = url
        .char_indices()
        .find(|&(_, c)| c == ' ' || c.is_ascii_control())
    else {
        return Ok(());
    };
    let encoded = format!("%{:02X}", u32::from(c));
    Err(format!(
        "{url:?}: a URL cannot hold {c:?} (byte {at}); write it as \
         {encoded}{}",
        smuggles(c)
    ))
}

/// An HTTP or WebSocket URL, split into what a request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `ws://` or `wss://`: the request asks to switch to WebSocket.
    pub websocket: bool,
    /// `https://` or `wss://`: over TLS.
    pub tls: bool,
    /// The host as written, brackets included for IPv6: `[::1]`.
    pub host: String,
    pub port: u16,
    /// Path and query, at least `/`.
    pub path: String,
}

impl FromStr for Target {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        check_url(url)?;
        let (websocket, tls, rest) = match url.split_once("://") {
            Some(("http", rest)) => (false, false, rest),
            Some(("ws", rest)) => (true, false, rest),
            Some(("https", rest)) => (false, true, rest),
            Some(("wss", rest)) => (true, true, rest),
            Some((scheme, _)) => {
                return Err(format!("{url}: unknown scheme {scheme}"));
            }
            None => (false, false, url), // `localhost:7878/` is taken as http
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let path = match path.strip_prefix('?') {
            Some(query) => format!("/?{query}"),
            None => path.to_owned(),
        };
        // The port follows the last colon, unless that colon is inside an
        // IPv6 address's brackets.
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => {
                let port = port
                    .parse()
                    .map_err(|_| format!("{url}: the port is not a number"))?;
                (host, port)
            }
            _ => (authority, if tls { 443 } else { 80 }),
        };
        if host.is_empty() {
            return Err(format!("{url}: there is no host"));
        }
        Ok(Target {
            websocket,
            tls,
            host: host.to_owned(),
            port,
            path,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match (self.websocket, self.tls) {
            (false, false) => "http",
            (false, true) => "https",
            (true, false) => "ws",
            (true, true) => "wss",
        };
        write!(f, "{scheme}://{}:{}{}", self.host, self.port, self.path)
    }
}

impl Target {
    /// The address to connect to, as `host:port` for the resolver.
    pub fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The request's bytes: `Host` and a `User-Agent`; for `http://` what
    /// a browser accepts (`Accept`, and `Accept-Encoding`: gzip, deflate,
    /// br, zstd); for `ws://` the WebSocket handshake's fields, with a
    /// fresh key; `Content-Length` (and a form's `Content-Type`) for a
    /// body. Then the request's own fields, which replace defaults of the
    /// same name. Then the body.
    pub fn request(&self, request: &Request) -> Vec<u8> {
        let key = self.websocket.then(ws::new_key);
        self.request_with_key(request, key.as_deref())
    }

    /// [`Target::request`], with the WebSocket key given.
    fn request_with_key(
        &self,
        request: &Request,
        key: Option<&str>,
    ) -> Vec<u8> {
        let (method, extra) = (&request.method, &request.headers);
        let host = match (self.port, self.tls) {
            (80, false) | (443, true) => self.host.clone(),
            (port, _) => format!("{}:{port}", self.host),
        };
        let user_agent =
            concat!("flusher-inspector/", env!("CARGO_PKG_VERSION")).into();
        let overridden = |name: &str| {
            extra.iter().any(|field| {
                field
                    .split_once(':')
                    .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            })
        };
        let mut head = format!("{method} {} HTTP/1.1\r\n", self.path);
        let mut defaults = vec![("Host", host), ("User-Agent", user_agent)];
        if !self.websocket {
            // A page for a navigation; anything for a request with a
            // body, as a script's fetch() asks.
            let accept = match request.body {
                None => ACCEPT_PAGE,
                Some(_) => "*/*",
            };
            defaults.push(("Accept", accept.into()));
            defaults.push(("Accept-Encoding", ACCEPT_ENCODING.into()));
        }
        defaults.extend(key.into_iter().flat_map(ws::handshake_fields));
        if let Some(body) = &request.body {
            defaults.push(("Content-Length", body.len().to_string()));
            if request.form {
                let form = "application/x-www-form-urlencoded";
                defaults.push(("Content-Type", form.into()));
            }
        }
        for (name, value) in defaults {
            if !overridden(name) {
                head += &format!("{name}: {value}\r\n");
            }
        }
        for field in extra {
            head += &format!("{field}\r\n");
        }
        head += "\r\n";
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(request.body.as_deref().unwrap_or_default());
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Target {
        url.parse().unwrap()
    }

    #[test]
    fn parses_host_port_and_path() {
        assert_eq!(
            target("http://127.0.0.1:7878/a?b=c"),
            Target {
                websocket: false,
                tls: false,
                host: "127.0.0.1".into(),
                port: 7878,
                path: "/a?b=c".into()
            }
        );
        assert_eq!(target("http://example.test").port, 80);
        assert_eq!(target("http://example.test").path, "/");
        assert_eq!(target("localhost:8080/x").port, 8080);
        assert_eq!(target("http://h?q").path, "/?q");
    }

    #[test]
    fn parses_ipv6_hosts() {
        let t = target("http://[::1]:9000/");
        assert_eq!((t.host.as_str(), t.port), ("[::1]", 9000));
        assert_eq!(target("http://[::1]/").port, 80);
    }

    #[test]
    fn parses_tls_schemes() {
        let t = target("https://example.test/x");
        assert!(t.tls && !t.websocket);
        assert_eq!(
            (t.port, t.to_string().as_str()),
            (443, "https://example.test:443/x")
        );
        let t = target("wss://h:8443/ws");
        assert!(t.tls && t.websocket);
        assert_eq!(t.port, 8443);
        // The port is left out of Host when it is the scheme's own.
        assert!(
            request(&target("https://h/"), "GET", &[]).contains("Host: h\r\n")
        );
        assert!(
            request(&target("https://h:80/"), "GET", &[])
                .contains("Host: h:80\r\n")
        );
    }

    #[test]
    fn refuses_nonsense() {
        assert!("http://a:x/".parse::<Target>().is_err());
        assert!("http:///x".parse::<Target>().is_err());
        assert!("ftp://a/".parse::<Target>().is_err());
    }

    #[test]
    fn refuses_what_would_reshape_the_head() {
        for url in [
            "http://h/a b",
            "http://h/a\r\nX: 1",
            "http://h/\nGET /admin HTTP/1.1",
            "http://h/\t",
        ] {
            let e = url.parse::<Target>().unwrap_err();
            assert!(e.contains("a URL cannot hold"), "{e}");
        }
        let e = check_url("http://h/a b").unwrap_err();
        assert!(e.contains("' ' (byte 10); write it as %20"), "{e}");
        assert!(check_url("http://h/a%20b?q=%0D").is_ok());
        let method = |m: &str| Request::new(m, &[]).check();
        assert!(method("GET").is_ok() && method("M-SEARCH").is_ok());
        for bad in ["", "GET /x HTTP/1.1\r\n", "GE T", "GET\n"] {
            assert!(method(bad).is_err(), "{bad:?}");
        }
        let e = method("GET /x HTTP/1.1\r\n").unwrap_err();
        assert!(e.contains("request smuggling"), "{e}");
        let field = |f: &str| Request::new("GET", &[f.to_owned()]).check();
        assert!(field("X-A: a b").is_ok());
        assert!(field("X-A: 1\r\nX-B: 2").is_err());
    }

    fn request(t: &Target, method: &str, headers: &[&str]) -> String {
        let headers: Vec<String> = headers.iter().map(|&h| h.into()).collect();
        String::from_utf8(t.request(&Request::new(method, &headers))).unwrap()
    }

    #[test]
    fn builds_a_browsers_request_head() {
        let t = target("http://127.0.0.1:7878/x");
        let ua = concat!("flusher-inspector/", env!("CARGO_PKG_VERSION"));
        assert_eq!(
            request(&t, "GET", &[]),
            format!(
                "GET /x HTTP/1.1\r\nHost: 127.0.0.1:7878\r\nUser-Agent: {ua}\r\n\
                 Accept: {ACCEPT_PAGE}\r\n\
                 Accept-Encoding: gzip, deflate, br, zstd\r\n\r\n"
            )
        );
        // Fields of the user's replace the defaults of their names:
        // `--identity` is `Accept-Encoding: identity`.
        let custom = request(
            &t,
            "HEAD",
            &["user-agent: me", "accept-encoding: identity", "X-A: 1"],
        );
        assert_eq!(
            custom,
            format!(
                "HEAD /x HTTP/1.1\r\nHost: 127.0.0.1:7878\r\n\
                 Accept: {ACCEPT_PAGE}\r\nuser-agent: me\r\n\
                 accept-encoding: identity\r\nX-A: 1\r\n\r\n"
            )
        );
    }

    #[test]
    fn a_body_goes_with_its_length() {
        let t = target("http://h/llm");
        let mut ask = Request {
            method: "POST".into(),
            body: Some(b"q=1&r=2".to_vec()),
            form: true,
            ..Request::default()
        };
        let sent = String::from_utf8(t.request(&ask)).unwrap();
        assert!(
            sent.starts_with("POST /llm HTTP/1.1\r\nHost: h\r\n"),
            "{sent}"
        );
        assert!(sent.contains("\r\nAccept: */*\r\n"), "{sent}");
        assert!(
            sent.ends_with(
                "Content-Length: 7\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\r\nq=1&r=2"
            ),
            "{sent}"
        );
        // --data-binary with a type of its own.
        ask.form = false;
        ask.headers = vec!["Content-Type: application/json".into()];
        ask.body = Some(b"{}".to_vec());
        let sent = String::from_utf8(t.request(&ask)).unwrap();
        assert!(
            sent.ends_with(
                "Content-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"
            ),
            "{sent}"
        );
    }

    #[test]
    fn a_ws_url_asks_for_a_websocket() {
        let t = target("ws://127.0.0.1:7878/ws");
        assert!(t.websocket);
        assert_eq!(t.to_string(), "ws://127.0.0.1:7878/ws");
        let ua = concat!("flusher-inspector/", env!("CARGO_PKG_VERSION"));
        assert_eq!(
            String::from_utf8(
                t.request_with_key(&Request::default(), Some("k=="))
            )
            .unwrap(),
            format!(
                "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:7878\r\nUser-Agent: {ua}\r\n\
                 Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: k==\r\n\
                 Sec-WebSocket-Version: 13\r\n\r\n"
            )
        );
        // A version of the user's replaces the default.
        let twelve = request(&t, "GET", &["Sec-WebSocket-Version: 12"]);
        assert_eq!(twelve.matches("Sec-WebSocket-Version").count(), 1);
        assert!(twelve.contains("Version: 12\r\n"));
    }
}
