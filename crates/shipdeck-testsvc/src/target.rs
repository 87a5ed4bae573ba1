//! Where the load generator may send: loopback only, parsed from a URL without asking a
//! resolver.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Where the load goes: a loopback address, the `Host` header and the request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub addr: SocketAddr,
    /// The authority as written, e.g. `localhost:8080`: the `Host` header.
    pub host: String,
    pub path: String,
}

impl Target {
    /// `http://HOST[:PORT]/PATH`, as written.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.host, self.path)
    }
}

/// Parses `http://HOST[:PORT][/PATH]`, where HOST must be loopback: `127.0.0.0/8`, `[::1]` or
/// `localhost` (taken as 127.0.0.1 without asking a resolver).
pub fn parse_target(url: &str) -> Result<Target, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("target {url:?}: only http:// URLs are supported"))?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(format!("target {url:?}: expected http://HOST[:PORT]/PATH"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("target {url:?}: unclosed [ in the address"))?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => 80,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| format!("target {url:?}: bad port {p:?}"))?,
    };
    let refuse = || {
        format!(
            "refusing target {url:?}: the load generator only sends to loopback addresses (127.0.0.0/8, [::1], localhost)"
        )
    };
    let ip = if host.eq_ignore_ascii_case("localhost") {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host.parse::<IpAddr>().map_err(|_| refuse())?
    };
    if !ip.is_loopback() {
        return Err(refuse());
    }
    Ok(Target {
        addr: SocketAddr::new(ip, port),
        host: authority.to_string(),
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_targets_parse() {
        let t = parse_target("http://127.0.0.1:8080/api?x=1").unwrap();
        assert_eq!(t.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!((t.host.as_str(), t.path.as_str()), ("127.0.0.1:8080", "/api?x=1"));
        assert_eq!(parse_target("http://localhost:9").unwrap().path, "/");
        assert_eq!(
            parse_target("http://[::1]:81/").unwrap().addr,
            "[::1]:81".parse().unwrap()
        );
        assert_eq!(parse_target("http://127.1.2.3/").unwrap().addr.port(), 80);
        assert_eq!(
            parse_target("http://localhost:9?q").unwrap().url(),
            "http://localhost:9/?q"
        );
    }

    #[test]
    fn other_targets_are_refused_with_a_reason() {
        for url in [
            "http://10.0.0.1/",
            "http://example.com:80/",
            "http://[2001:db8::1]/",
            "http://0.0.0.0:80/",
        ] {
            let e = parse_target(url).unwrap_err();
            assert!(e.contains("only sends to loopback"), "{url}: {e}");
        }
        assert!(parse_target("https://127.0.0.1/").unwrap_err().contains("only http://"));
        assert!(parse_target("http://127.0.0.1:0/").unwrap_err().contains("bad port"));
        assert!(parse_target("http://user@127.0.0.1/").is_err());
    }
}
