//! A `host:port` address of the configuration (`store.sentinels`): a name, an IPv4 address, or
//! an IPv6 address in brackets (`[::1]:26379`), and a port that is not 0.

use serde::Deserialize;

/// A host and a port; the host is kept without brackets, as a resolver takes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct HostPort {
    host: String,
    port: u16,
}

impl HostPort {
    /// Checks `s`; the message says what is wrong with it.
    pub fn parse(s: &str) -> Result<HostPort, String> {
        let bad = || format!("`{s}` is not host:port (an IPv6 address in brackets: [::1]:26379)");
        let (host, port) = s.rsplit_once(':').ok_or_else(bad)?;
        let host = match host.strip_prefix('[') {
            Some(v6) => {
                let v6 = v6.strip_suffix(']').ok_or_else(bad)?;
                v6.parse::<std::net::Ipv6Addr>().map_err(|_| bad())?;
                v6
            }
            None => host,
        };
        let name_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
            && (!host.contains(':') || host.parse::<std::net::Ipv6Addr>().is_ok());
        let bracketed = s.starts_with('[');
        if !name_ok || (host.contains(':') && !bracketed) {
            return Err(bad());
        }
        let port = port
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(bad)?;
        Ok(HostPort {
            host: host.to_string(),
            port,
        })
    }

    /// The host name or address (an IPv6 address without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl TryFrom<String> for HostPort {
    type Error = String;
    fn try_from(s: String) -> Result<HostPort, String> {
        HostPort::parse(&s)
    }
}

impl std::fmt::Display for HostPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_ports() {
        let h = HostPort::parse("10.0.0.5:26379").unwrap();
        assert_eq!((h.host(), h.port()), ("10.0.0.5", 26379));
        let h = HostPort::parse("sentinel-1.example.com:26379").unwrap();
        assert_eq!(h.host(), "sentinel-1.example.com");
        let h = HostPort::parse("[::1]:26379").unwrap();
        assert_eq!((h.host(), h.port()), ("::1", 26379));
        assert_eq!(h.to_string(), "[::1]:26379");
        for bad in [
            "nope",
            ":26379",
            "host:",
            "host:0",
            "host:65536",
            "host:port",
            "::1:26379",
            "[::1]26379",
            "[nothex]:26379",
            "a b:26379",
            "user@host:26379",
            "redis://host:26379",
        ] {
            assert!(HostPort::parse(bad).is_err(), "{bad}");
        }
    }
}
