//! The Hosts this server answers for: `server.allowed_hosts`, its default, and the check of a
//! request's `Host` (or HTTP/2 `:authority`) against it.
//!
//! Owns parsing a host entry (`name`, `name:port`, `1.2.3.4`, `[::1]:8043`), the default list
//! (the hosts of the public base URLs, or the loopback names when there is none) and matching:
//! an entry without a port allows any port, one with a port only that port; names are
//! compared without regard to case. Whether a listed Host is then used to make URLs is
//! `web::origin`'s business.

use super::BaseUrl;
use serde::Deserialize;

/// The loopback names: the default when no public base URL is configured, and the demo's.
pub const LOOPBACK: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// One allowed host: a lower-case name or IP literal (IPv6 in brackets) and maybe a port.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Entry {
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

impl Entry {
    fn parse(e: &str) -> Result<Entry, String> {
        split(e)
            .map(|(host, port)| Entry {
                host: host.to_ascii_lowercase(),
                port,
            })
            .ok_or_else(|| {
                format!("`{e}` is not a host name or IP address, with an optional :port")
            })
    }
}

impl TryFrom<String> for Entry {
    type Error = String;
    fn try_from(e: String) -> Result<Entry, String> {
        Entry::parse(&e)
    }
}

/// The Hosts a request may name.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct AllowedHosts(Vec<Entry>);

impl AllowedHosts {
    /// Parses a list of entries; `Err((index, message))` names the first bad one.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<AllowedHosts, (usize, String)> {
        entries
            .iter()
            .enumerate()
            .map(|(i, e)| Entry::parse(e.as_ref()).map_err(|m| (i, m)))
            .collect::<Result<Vec<_>, _>>()
            .map(AllowedHosts)
    }

    /// The default of `server.allowed_hosts`: the hosts of the public base URLs (any port),
    /// or the loopback names when no public base URL is configured.
    pub fn for_bases<'a>(bases: impl Iterator<Item = &'a BaseUrl>) -> AllowedHosts {
        let hosts: Vec<String> = bases
            .filter_map(|u| url::Url::parse(u.as_str()).ok())
            .filter_map(|u| u.host_str().map(str::to_string))
            .collect();
        let list: Vec<&str> = if hosts.is_empty() {
            LOOPBACK.to_vec()
        } else {
            hosts.iter().map(String::as_str).collect()
        };
        // A checked base URL's host (or a loopback name) is always a valid entry.
        AllowedHosts::parse(&list).unwrap_or(AllowedHosts(Vec::new()))
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
        let a = AllowedHosts::for_bases(std::iter::empty());
        assert!(a.allows("127.0.0.1:8043") && a.allows("localhost") && a.allows("[::1]:1"));
        assert!(!a.allows("evil.example"));
        let bases = [
            BaseUrl::parse("https://sso.example.com/PureConnect").unwrap(),
            BaseUrl::parse("https://sso2.example.com:8443/P").unwrap(),
        ];
        let a = AllowedHosts::for_bases(bases.iter());
        assert!(a.allows("sso.example.com") && a.allows("sso2.example.com:8443"));
        assert!(!a.allows("127.0.0.1"));
    }
}
