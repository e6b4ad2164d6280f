//! Where an ICWS request goes: `host[:port]` entries (configured servers and the
//! `alternateHostList` a backup server answers with) turned into base URLs.
//!
//! Owns the parsing rules: a bare host takes the default port it is given, `host:port` is used
//! as written, IPv6 addresses are written `[addr]` or `[addr]:port`. It builds URLs by path
//! segments, so a user ID or session ID is always percent-encoded, never spliced into the path.

use crate::config::IcwsScheme;
use std::fmt;

/// A `host[:port]` as written in the configuration or by a CIC server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    pub host: String,
    pub port: Option<u16>,
}

impl HostPort {
    pub fn parse(text: &str) -> Result<HostPort, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("is empty; give a host name or address, optionally with :port".into());
        }
        if t.contains("://") || t.contains('/') {
            return Err(format!(
                "`{t}` should be host[:port] only (the scheme comes from backend.scheme)"
            ));
        }
        let (host, port) = if let Some(rest) = t.strip_prefix('[') {
            let (h, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("`{t}` has `[` without `]`"))?;
            if h.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(format!("`{h}` is not an IPv6 address"));
            }
            let port = match after {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| format!("`{t}`: expected `:port` after `]`"))?,
                ),
            };
            (h.to_string(), port)
        } else if t.matches(':').count() > 1 {
            if t.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(format!("`{t}` is not a host[:port]"));
            }
            (t.to_string(), None)
        } else {
            match t.split_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (t.to_string(), None),
            }
        };
        let port = match port {
            None => None,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 => Some(n),
                _ => return Err(format!("`{t}`: `{p}` is not a port number")),
            },
        };
        let plain_ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
        if host.is_empty() || (!host.contains(':') && !host.chars().all(plain_ok)) {
            return Err(format!("`{t}` is not a host name or address"));
        }
        Ok(HostPort { host, port })
    }
}

/// One ICWS server: scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub scheme: IcwsScheme,
    pub host: String,
    pub port: u16,
}

impl Target {
    /// A `host[:port]` with the scheme, and `default_port` when no port is written.
    pub fn parse(text: &str, scheme: IcwsScheme, default_port: u16) -> Result<Target, String> {
        let hp = HostPort::parse(text)?;
        Ok(Target {
            scheme,
            host: hp.host,
            port: hp.port.unwrap_or(default_port),
        })
    }

    /// The URL of `segments` under this server, each segment percent-encoded.
    /// Empty, `.` and `..` segments are refused (they would address another resource).
    pub fn url(&self, segments: &[&str]) -> Result<url::Url, String> {
        if let Some(s) = segments.iter().find(|s| matches!(**s, "" | "." | "..")) {
            return Err(format!("`{s}` cannot be a path segment"));
        }
        let mut u = url::Url::parse(&self.to_string()).map_err(|e| format!("{self}: {e}"))?;
        u.path_segments_mut()
            .map_err(|_| format!("{self}: cannot be a base URL"))?
            .pop_if_empty()
            .extend(segments);
        Ok(u)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(
                f,
                "{}://[{}]:{}",
                self.scheme.as_str(),
                self.host,
                self.port
            )
        } else {
            write!(f, "{}://{}:{}", self.scheme.as_str(), self.host, self.port)
        }
    }
}

/// The servers named in an `alternateHostList`, in order. Bare host names take the scheme and
/// port of the server that answered; entries that cannot be parsed are returned apart, so the
/// caller can log them.
pub fn alternates(list: &[String], answered: &Target) -> (Vec<Target>, Vec<String>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for entry in list {
        match Target::parse(entry, answered.scheme, answered.port) {
            Ok(t) if !good.contains(&t) => good.push(t),
            Ok(_) => {}
            Err(m) => bad.push(m),
        }
    }
    (good, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Result<Target, String> {
        Target::parse(s, IcwsScheme::Https, 8019)
    }

    #[test]
    fn host_and_port_forms() {
        assert_eq!(
            t("cic1.example.com").unwrap().to_string(),
            "https://cic1.example.com:8019"
        );
        assert_eq!(t(" cic2:9000 ").unwrap().to_string(), "https://cic2:9000");
        assert_eq!(t("10.0.0.5").unwrap().port, 8019);
        assert_eq!(t("[::1]:8443").unwrap().to_string(), "https://[::1]:8443");
        assert_eq!(t("[fe80::2]").unwrap().port, 8019);
        assert_eq!(t("fe80::2").unwrap().to_string(), "https://[fe80::2]:8019");
        let http = Target::parse("cic", IcwsScheme::Http, IcwsScheme::Http.default_port());
        assert_eq!(http.unwrap().to_string(), "http://cic:8018");
        for bad in [
            "",
            "https://cic1",
            "cic1/icws",
            "cic1:0",
            "cic1:99999",
            "cic1:x",
            "[::1",
            "[nothost]:1",
            "cic 1",
            "a:b:c",
        ] {
            assert!(t(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn alternate_host_list_entries() {
        let answered = Target::parse("cic1:9019", IcwsScheme::Https, 8019).unwrap();
        let list: Vec<String> = ["cic2", "cic3:8020", "cic2", "bad host", "[::1]"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (good, bad) = alternates(&list, &answered);
        let urls: Vec<String> = good.iter().map(Target::to_string).collect();
        // A bare name takes the port of the server that answered; host:port is kept; no repeats.
        assert_eq!(
            urls,
            [
                "https://cic2:9019",
                "https://cic3:8020",
                "https://[::1]:9019"
            ]
        );
        assert_eq!(bad.len(), 1, "{bad:?}");
    }

    #[test]
    fn urls_encode_each_segment() {
        let s = t("cic1").unwrap();
        let u = s
            .url(&["icws", "abc", "configuration", "users", "jo smith/../x?y#z"])
            .unwrap();
        assert_eq!(
            u.as_str(),
            "https://cic1:8019/icws/abc/configuration/users/jo%20smith%2F..%2Fx%3Fy%23z"
        );
        assert!(s.url(&["icws", "..", "users"]).is_err());
        assert!(s.url(&["icws", ""]).is_err());
    }
}
