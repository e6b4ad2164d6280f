//! PublicBase: the one owner of "what is my URL", and of who the client is.
//!
//! Owns the order of choice for the public base URL — `ININ-REMAP-BASE-URL` from a trusted
//! proxy (only one of the configured public bases; any other value is a 400, never a silent
//! fallback), then `server.public_base_url`, then scheme + a listed `Host` when no public base
//! is configured — and the client IP (`X-Forwarded-For` from trusted proxies only). Every
//! request's `Host` must be one of `server.allowed_hosts` (see `hosts`). Every URL the identity
//! provider emits is made by [`PublicBase::url`]; the Issuer is not made here at all (it is
//! fixed at start-up, see `Config::issuer`).

use super::pages::PageError;
use crate::values::{AllowedHosts, BaseUrl, Cidr};
use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use std::net::{IpAddr, SocketAddr};

pub const REMAP_HEADER: &str = "inin-remap-base-url";

/// Checks a base URL (from configuration or the remap header) and returns it without a
/// trailing slash. Every request brings one (the remap header's or its Host's), nearly always
/// the same: the last one is remembered per thread.
pub fn parse_base(s: &str) -> Result<String, String> {
    thread_local! {
        static LAST: crate::memo::Slot<String, Result<String, String>> = const { std::cell::RefCell::new(None) };
    }
    crate::memo::last(&LAST, s, |s| {
        BaseUrl::parse(s).map(|b| b.as_str().to_string())
    })
}

/// The public base URL of this request, e.g. `https://sso.example.com/PureConnect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBase(String);

impl PublicBase {
    pub fn new(checked: String) -> Self {
        PublicBase(checked)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An absolute URL for one of our paths (`path` starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    pub fn is_https(&self) -> bool {
        self.0.starts_with("https:")
    }
}

/// What the IdP knows about the request's origin: its public base and the client's address.
#[derive(Debug, Clone)]
pub struct Origin {
    pub base: PublicBase,
    pub client_ip: IpAddr,
    /// Where the base came from (the metadata says so, for `doctor`).
    pub source: BaseSource,
}

/// Which rule chose the public base of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseSource {
    /// `ININ-REMAP-BASE-URL` from a trusted proxy.
    Remap,
    /// `server.public_base_url` (no remap header believed).
    Configured,
    /// The `Host` header (no public base configured).
    Host,
}

impl BaseSource {
    pub fn as_str(self) -> &'static str {
        match self {
            BaseSource::Remap => "remap-header",
            BaseSource::Configured => "public_base_url",
            BaseSource::Host => "host",
        }
    }
}

/// Who may tell us our public base and the client's address, and the hosts we answer for:
/// fixed at start-up from `server.*`.
pub struct OriginPolicy {
    /// Peers whose `ININ-REMAP-BASE-URL` and `X-Forwarded-For` are believed.
    pub trusted_proxies: Vec<Cidr>,
    /// `server.public_base_url`.
    pub public_base_url: Option<BaseUrl>,
    /// `server.alternate_public_base_urls`: other values a trusted proxy may announce.
    pub alternate_public_bases: Vec<BaseUrl>,
    /// The `Host` values this server answers for (the ops endpoints answer any).
    pub allowed_hosts: AllowedHosts,
    /// Whether this server itself speaks TLS (for URLs made from the Host header).
    pub tls: bool,
}

impl OriginPolicy {
    /// The public bases a trusted proxy may announce: the primary one, then the alternates.
    pub fn public_bases(&self) -> impl Iterator<Item = &BaseUrl> {
        self.public_base_url
            .iter()
            .chain(&self.alternate_public_bases)
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|c| c.contains(ip))
    }

    /// The client's address: walking `X-Forwarded-For` from the right, the first hop that is
    /// not a trusted proxy. Only consulted when the TCP peer is trusted.
    fn client_ip(&self, peer: IpAddr, parts: &Parts) -> IpAddr {
        if !self.trusted(peer) {
            return peer;
        }
        let mut ip = peer;
        let hops: Vec<IpAddr> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|h| h.trim().parse().ok())
            .collect();
        for h in hops.into_iter().rev() {
            ip = h;
            if !self.trusted(h) {
                break;
            }
        }
        ip
    }

    /// The origin of a request, or the 400 that says why it has none.
    pub fn resolve(&self, parts: &Parts) -> Result<Origin, PageError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        let client_ip = self.client_ip(peer, parts);
        // HTTP/1.1 names the host in the Host header; HTTP/2 (what browsers speak over TLS)
        // in the :authority pseudo-header, which arrives as the URI's authority.
        // Two Host headers are a request that means two things (RFC 9112 §3.2: answer 400).
        if parts
            .headers
            .get_all(axum::http::header::HOST)
            .iter()
            .count()
            > 1
        {
            return Err(PageError::bad_request(
                "the request has more than one Host header",
            ));
        }
        let host = parts
            .headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| parts.uri.authority().map(|a| a.as_str()))
            .map(str::trim)
            .filter(|h| valid_host(h))
            .ok_or_else(|| PageError::bad_request("the request has no usable Host header"))?;
        if !self.allowed_hosts.allows(host) {
            tracing::debug!(%peer, host = ?host, "refused a request for a Host not in server.allowed_hosts");
            return Err(PageError::bad_request(
                "the Host header names a host this server does not answer for (server.allowed_hosts)",
            ));
        }
        if let Some(v) = parts.headers.get(REMAP_HEADER) {
            if self.trusted(peer) {
                if parts.headers.get_all(REMAP_HEADER).iter().count() > 1 {
                    return Err(PageError::bad_request(
                        "the ININ-REMAP-BASE-URL header appears more than once",
                    ));
                }
                let text = v.to_str().map_err(|_| {
                    PageError::bad_request("the ININ-REMAP-BASE-URL header is not ASCII text")
                })?;
                let base = parse_base(text.trim())
                    .and_then(|b| {
                        self
                            .public_bases()
                            .find(|c| c.as_str() == b)
                            .map(|c| c.as_str().to_string())
                            .ok_or_else(|| {
                                "is not one of server.public_base_url, server.alternate_public_base_urls"
                                    .to_string()
                            })
                    })
                    .map_err(|m| {
                        tracing::warn!(%peer, "refused an ININ-REMAP-BASE-URL: {m}");
                        PageError::bad_request(format!("the ININ-REMAP-BASE-URL header {m}"))
                    })?;
                return Ok(Origin {
                    base: PublicBase(base),
                    client_ip,
                    source: BaseSource::Remap,
                });
            }
            tracing::debug!(%peer, "ignored ININ-REMAP-BASE-URL from an untrusted peer");
        }
        if let Some(b) = &self.public_base_url {
            return Ok(Origin {
                base: PublicBase(b.as_str().to_string()),
                client_ip,
                source: BaseSource::Configured,
            });
        }
        let scheme = if self.tls { "https" } else { "http" };
        let base = parse_base(&format!("{scheme}://{host}"))
            .map_err(|m| PageError::bad_request(format!("the Host header {m}")))?;
        Ok(Origin {
            base: PublicBase(base),
            client_ip,
            source: BaseSource::Host,
        })
    }
}

fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> OriginPolicy {
        OriginPolicy {
            trusted_proxies: Vec::new(),
            public_base_url: None,
            alternate_public_bases: Vec::new(),
            allowed_hosts: AllowedHosts::parse(&["sso.example.com"]).unwrap(),
            tls: true,
        }
    }

    fn parts(hosts: &[&str]) -> Parts {
        let mut b = axum::http::Request::builder().uri("/x");
        for h in hosts {
            b = b.header(axum::http::header::HOST, *h);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn one_listed_host_is_the_base_and_two_host_headers_are_refused() {
        let o = policy().resolve(&parts(&["sso.example.com"])).unwrap();
        assert_eq!(o.base.as_str(), "https://sso.example.com");
        assert!(policy()
            .resolve(&parts(&["sso.example.com", "evil.example"]))
            .is_err());
        assert!(policy()
            .resolve(&parts(&["sso.example.com", "sso.example.com"]))
            .is_err());
    }

    #[test]
    fn origins() {
        let b = PublicBase("https://sso.example.com:8443/PureConnect".into());
        assert_eq!(
            b.url("/ICNotifierIDP/login"),
            "https://sso.example.com:8443/PureConnect/ICNotifierIDP/login"
        );
    }
}
