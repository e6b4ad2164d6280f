//! The Hosts this server answers for: `server.allowed_hosts`, its default, and the check of a
//! request's `Host` (or HTTP/2 `:authority`) against it.
//!
//! Owns parsing a host entry (`name`, `name:port`, `1.2.3.4`, `[::1]:8043`), the default list
//! (the hosts of the public base URLs, or the loopback names when there is none) and matching:
//! an entry without a port allows any port, one with a port only that port; names are
//! compared without regard to case. Whether a listed Host is then used to make URLs is
//! `remap`'s business.

use crate::config::ServerConfig;

/// The loopback names: the default when no public base URL is configured, and the demo's.
pub const LOOPBACK: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// One allowed host: a lower-case name or IP literal (IPv6 in brackets) and maybe a port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    host: String,
    port: Option<u16>,
}

/// Splits `host[:port]` (IPv6 literals in brackets); `None` when it is not of that shape.
fn split(s: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if s.starts_with('[') {
        let end = s.find(']')?;
        let (h, rest) = s.split_at(end + 1);
        match rest {
            "" => (h, None),
            _ => (h, Some(rest.strip_prefix(':')?)),
        }
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let port = match port {
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse().ok()?),
        Some(_) => return None,
        None => None,
    };
    let ok = !host.is_empty()
        && host.len() <= 253
        && if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            v6.parse::<std::net::Ipv6Addr>().is_ok()
        } else {
            host.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        };
    ok.then_some((host, port))
}

/// The Hosts a request may name.
#[derive(Debug, Clone)]
pub struct AllowedHosts(Vec<Entry>);

impl AllowedHosts {
    /// Parses a list of entries; `Err((index, message))` names the first bad one.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<AllowedHosts, (usize, String)> {
        entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let e = e.as_ref();
                split(e)
                    .map(|(host, port)| Entry {
                        host: host.to_ascii_lowercase(),
                        port,
                    })
                    .ok_or_else(|| {
                        (
                            i,
                            format!(
                                "`{e}` is not a host name or IP address, with an optional :port"
                            ),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(AllowedHosts)
    }

    /// `server.allowed_hosts` when given; otherwise the hosts of the public base URLs (any
    /// port), or the loopback names when no public base URL is configured.
    pub fn from_config(server: &ServerConfig) -> Result<AllowedHosts, (usize, String)> {
        if let Some(list) = &server.allowed_hosts {
            return Self::parse(list);
        }
        let hosts: Vec<String> = server
            .public_base_url
            .iter()
            .chain(&server.alternate_public_base_urls)
            .filter_map(|u| url::Url::parse(u).ok())
            .filter_map(|u| u.host_str().map(str::to_string))
            .collect();
        if hosts.is_empty() {
            Self::parse(&LOOPBACK)
        } else {
            Self::parse(&hosts)
        }
    }

    /// Whether a request's `Host` value (`host[:port]`) is one of ours.
    pub fn allows(&self, value: &str) -> bool {
        let Some((host, port)) = split(value) else {
            return false;
        };
        self.0
            .iter()
            .any(|e| e.host.eq_ignore_ascii_case(host) && (e.port.is_none() || e.port == port))
    }

    /// The entries, for the start-up log.
    pub fn describe(&self) -> String {
        self.0
            .iter()
            .map(|e| match e.port {
                Some(p) => format!("{}:{p}", e.host),
                None => e.host.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_and_matching() {
        let a = AllowedHosts::parse(&["SSO.example.com", "idp.example.com:8443", "[::1]"]).unwrap();
        assert!(a.allows("sso.example.com"));
        assert!(a.allows("sso.EXAMPLE.com:443"));
        assert!(a.allows("idp.example.com:8443"));
        assert!(!a.allows("idp.example.com"));
        assert!(!a.allows("idp.example.com:8444"));
        assert!(a.allows("[::1]:8043"));
        for bad in [
            "evil.example",
            "sso.example.com.evil.example",
            "sso.example.com:x",
            "sso.example.com:",
            "sso.example.com;a",
            "",
            "[::1",
            "::1",
        ] {
            assert!(!a.allows(bad), "{bad}");
        }
        for bad in ["a b", "x;y", "[zz]", "h:99999", "https://x"] {
            assert!(AllowedHosts::parse(&[bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults() {
        let mut s = ServerConfig::default();
        let a = AllowedHosts::from_config(&s).unwrap();
        assert!(a.allows("127.0.0.1:8043") && a.allows("localhost") && a.allows("[::1]:1"));
        assert!(!a.allows("evil.example"));
        s.public_base_url = Some("https://sso.example.com/PureConnect".into());
        s.alternate_public_base_urls = vec!["https://sso2.example.com:8443/P".into()];
        let a = AllowedHosts::from_config(&s).unwrap();
        assert!(a.allows("sso.example.com") && a.allows("sso2.example.com:8443"));
        assert!(!a.allows("127.0.0.1"));
        s.allowed_hosts = Some(vec!["only.example".into()]);
        let a = AllowedHosts::from_config(&s).unwrap();
        assert!(a.allows("only.example") && !a.allows("sso.example.com"));
    }
}
