//! What to inspect: `http://host[:port]/path`, or `ws://` for a WebSocket,
//! and the request to send.

use std::fmt;
use std::str::FromStr;

use crate::ws;

/// A plain-HTTP or WebSocket URL, split into what a request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `ws://`: the request asks to switch to WebSocket.
    pub websocket: bool,
    /// The host as written, brackets included for IPv6: `[::1]`.
    pub host: String,
    pub port: u16,
    /// Path and query, at least `/`.
    pub path: String,
}

impl FromStr for Target {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        let (websocket, rest) = match url.split_once("://") {
            Some(("http", rest)) => (false, rest),
            Some(("ws", rest)) => (true, rest),
            Some(("https" | "wss", _)) => {
                return Err(format!(
                    "{url}: TLS is not supported; the inspector reads the \
                     plain HTTP/1.1 bytes on the wire (use http:// or ws://)"
                ));
            }
            Some((scheme, _)) => {
                return Err(format!("{url}: unknown scheme {scheme}"));
            }
            None => (false, url), // `localhost:7878/` is taken as http
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
            _ => (authority, 80),
        };
        if host.is_empty() {
            return Err(format!("{url}: there is no host"));
        }
        Ok(Target {
            websocket,
            host: host.to_owned(),
            port,
            path,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.websocket { "ws" } else { "http" };
        write!(f, "{scheme}://{}:{}{}", self.host, self.port, self.path)
    }
}

impl Target {
    /// The address to connect to, as `host:port` for the resolver.
    pub fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The request head: `method`, `Host` and a `User-Agent` by default,
    /// and for `ws://` the WebSocket handshake's fields with a fresh key;
    /// then `extra` fields (`Name: value`), which replace defaults of the
    /// same name.
    pub fn request(&self, method: &str, extra: &[String]) -> Vec<u8> {
        let key = self.websocket.then(ws::new_key);
        self.request_with_key(method, key.as_deref(), extra)
    }

    /// [`Target::request`], with the WebSocket key given.
    fn request_with_key(
        &self,
        method: &str,
        key: Option<&str>,
        extra: &[String],
    ) -> Vec<u8> {
        let host = match self.port {
            80 => self.host.clone(),
            port => format!("{}:{port}", self.host),
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
        defaults.extend(key.into_iter().flat_map(ws::handshake_fields));
        for (name, value) in defaults {
            if !overridden(name) {
                head += &format!("{name}: {value}\r\n");
            }
        }
        for field in extra {
            head += &format!("{field}\r\n");
        }
        head += "\r\n";
        head.into_bytes()
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
    fn refuses_https_and_nonsense() {
        assert!("https://a/".parse::<Target>().unwrap_err().contains("TLS"));
        assert!("wss://a/".parse::<Target>().unwrap_err().contains("TLS"));
        assert!("http://a:x/".parse::<Target>().is_err());
        assert!("http:///x".parse::<Target>().is_err());
        assert!("ftp://a/".parse::<Target>().is_err());
    }

    #[test]
    fn builds_the_request_head() {
        let t = target("http://127.0.0.1:7878/x");
        let ua = concat!("flusher-inspector/", env!("CARGO_PKG_VERSION"));
        assert_eq!(
            String::from_utf8(t.request("GET", &[])).unwrap(),
            format!(
                "GET /x HTTP/1.1\r\nHost: 127.0.0.1:7878\r\nUser-Agent: {ua}\r\n\r\n"
            )
        );
        let custom =
            t.request("HEAD", &["user-agent: me".into(), "X-A: 1".into()]);
        assert_eq!(
            String::from_utf8(custom).unwrap(),
            "HEAD /x HTTP/1.1\r\nHost: 127.0.0.1:7878\r\nuser-agent: me\r\nX-A: 1\r\n\r\n"
        );
    }

    #[test]
    fn a_ws_url_asks_for_a_websocket() {
        let t = target("ws://127.0.0.1:7878/ws");
        assert!(t.websocket);
        assert_eq!(t.to_string(), "ws://127.0.0.1:7878/ws");
        let ua = concat!("flusher-inspector/", env!("CARGO_PKG_VERSION"));
        assert_eq!(
            String::from_utf8(t.request_with_key("GET", Some("k=="), &[]))
                .unwrap(),
            format!(
                "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:7878\r\nUser-Agent: {ua}\r\n\
                 Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: k==\r\n\
                 Sec-WebSocket-Version: 13\r\n\r\n"
            )
        );
        // A version of the user's replaces the default.
        let twelve = t.request("GET", &["Sec-WebSocket-Version: 12".into()]);
        let twelve = String::from_utf8(twelve).unwrap();
        assert_eq!(twelve.matches("Sec-WebSocket-Version").count(), 1);
        assert!(twelve.contains("Version: 12\r\n"));
    }
}
