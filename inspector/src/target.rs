//! What to inspect: `http://host[:port]/path`, and the request to send.

use std::fmt;
use std::str::FromStr;

/// A plain-HTTP URL, split into what a request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The host as written, brackets included for IPv6: `[::1]`.
    pub host: String,
    pub port: u16,
    /// Path and query, at least `/`.
    pub path: String,
}

impl FromStr for Target {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        let rest = match url.split_once("://") {
            Some(("http", rest)) => rest,
            Some(("https", _)) => {
                return Err(format!(
                    "{url}: https is not supported; the inspector reads the \
                     plain HTTP/1.1 bytes on the wire (use http://)"
                ));
            }
            Some((scheme, _)) => {
                return Err(format!("{url}: unknown scheme {scheme}"));
            }
            None => url, // `localhost:7878/` is taken as http
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
            host: host.to_owned(),
            port,
            path,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}:{}{}", self.host, self.port, self.path)
    }
}

impl Target {
    /// The address to connect to, as `host:port` for the resolver.
    pub fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The request head: `method`, `Host` and a `User-Agent` by default, then
    /// `extra` fields (`Name: value`), which replace defaults of the same
    /// name.
    pub fn request(&self, method: &str, extra: &[String]) -> Vec<u8> {
        let host = match self.port {
            80 => self.host.clone(),
            port => format!("{}:{port}", self.host),
        };
        let user_agent =
            concat!("flusher-inspector/", env!("CARGO_PKG_VERSION"));
        let overridden = |name: &str| {
            extra.iter().any(|field| {
                field
                    .split_once(':')
                    .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            })
        };
        let mut head = format!("{method} {} HTTP/1.1\r\n", self.path);
        for (name, value) in
            [("Host", host.as_str()), ("User-Agent", user_agent)]
        {
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
        assert!(
            "https://a/"
                .parse::<Target>()
                .unwrap_err()
                .contains("https")
        );
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
}
