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
use super::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

pub const REMAP_HEADER: &str = "inin-remap-base-url";
const MAX_BASE_LEN: usize = 2048;

/// A CIDR block (`10.0.0.0/8`, `::1/128`, or a bare address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    bits: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let (addr, bits) = match s.trim().split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (s.trim(), None),
        };
        let net: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{s}` is not an IP address or CIDR block"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            Some(b) => b
                .parse::<u8>()
                .ok()
                .filter(|b| *b <= max)
                .ok_or_else(|| format!("`{s}` has a prefix length outside 0..={max}"))?,
            None => max,
        };
        Ok(Cidr { net, bits })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.bits)).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.bits))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// Checks a base URL (from configuration or the remap header) and returns it without a
/// trailing slash. Every request brings one (the remap header's or its Host's), nearly always
/// the same: the last one is remembered per thread.
pub fn parse_base(s: &str) -> Result<String, String> {
    thread_local! {
        static LAST: super::memo::Slot<Result<String, String>> = const { std::cell::RefCell::new(None) };
    }
    super::memo::last(&LAST, s, check_base)
}

fn check_base(s: &str) -> Result<String, String> {
    if s.len() > MAX_BASE_LEN {
        return Err(format!("is longer than {MAX_BASE_LEN} bytes"));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err("contains control characters".into());
    }
    // Each of these would end or split the value where it is written: a `Set-Cookie` Path
    // (`;`), a list header (`,`), a quoted attribute (`"`).
    if let Some(c) = s
        .chars()
        .find(|c| matches!(c, ';' | ',' | '"') || c.is_whitespace())
    {
        return Err(format!("must not contain {c:?}"));
    }
    let u = url::Url::parse(s).map_err(|_| format!("`{s}` is not an absolute URL"))?;
    if u.scheme() != "https" && u.scheme() != "http" {
        return Err(format!("`{s}` must be an http or https URL"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("must not contain a user name or password".into());
    }
    if u.query().is_some() || u.fragment().is_some() || s.contains('?') || s.contains('#') {
        return Err("must not have a query or fragment".into());
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err("has no host".into());
    }
    Ok(u.as_str().trim_end_matches('/').to_string())
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

    /// `https://<host[:port]>`: the Issuer when `idp.entity_id = "auto"`.
    pub fn host_origin(&self) -> String {
        match url::Url::parse(&self.0) {
            Ok(u) => match (u.host_str(), u.port()) {
                (Some(h), Some(p)) => format!("https://{h}:{p}"),
                (Some(h), None) => format!("https://{h}"),
                _ => self.0.clone(),
            },
            Err(_) => self.0.clone(),
        }
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

fn trusted(state: &AppState, ip: IpAddr) -> bool {
    state.trusted_proxies.iter().any(|c| c.contains(ip))
}

/// The client's address: walking `X-Forwarded-For` from the right, the first hop that is not a
/// trusted proxy. Only consulted when the TCP peer is trusted.
fn client_ip(state: &AppState, peer: IpAddr, parts: &Parts) -> IpAddr {
    if !trusted(state, peer) {
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
        if !trusted(state, h) {
            break;
        }
    }
    ip
}

/// The origin worked out once per request: the outer middleware and the handler both ask.
#[derive(Clone)]
struct Resolved(Result<Origin, PageError>);

impl FromRequestParts<Arc<AppState>> for Origin {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        if let Some(Resolved(r)) = parts.extensions.get::<Resolved>() {
            return r.clone();
        }
        // A refusal is a page in the language the request asks for, like every other.
        let r = resolve(parts, state)
            .map_err(|e| e.on(&super::sso::page_for(state, None, &parts.headers, None)));
        parts.extensions.insert(Resolved(r.clone()));
        r
    }
}

fn resolve(parts: &Parts, state: &AppState) -> Result<Origin, PageError> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
    let client_ip = client_ip(state, peer, parts);
    // HTTP/1.1 names the host in the Host header; HTTP/2 (what browsers speak over TLS)
    // in the :authority pseudo-header, which arrives as the URI's authority.
    let host = parts
        .headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .map(str::trim)
        .filter(|h| valid_host(h))
        .ok_or_else(|| PageError::bad_request("the request has no usable Host header"))?;
    if !state.allowed_hosts.allows(host) {
        tracing::debug!(%peer, host = ?host, "refused a request for a Host not in server.allowed_hosts");
        return Err(PageError::bad_request(
            "the Host header names a host this server does not answer for (server.allowed_hosts)",
        ));
    }
    if let Some(v) = parts.headers.get(REMAP_HEADER) {
        if trusted(state, peer) {
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
                    state
                        .public_bases()
                        .find(|c| **c == b)
                        .cloned()
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
    if let Some(b) = &state.public_base_url {
        return Ok(Origin {
            base: PublicBase(b.clone()),
            client_ip,
            source: BaseSource::Configured,
        });
    }
    let scheme = if state.tls { "https" } else { "http" };
    let base = parse_base(&format!("{scheme}://{host}"))
        .map_err(|m| PageError::bad_request(format!("the Host header {m}")))?;
    Ok(Origin {
        base: PublicBase(base),
        client_ip,
        source: BaseSource::Host,
    })
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

    #[test]
    fn cidrs() {
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(c.contains("10.1.2.3".parse().unwrap()));
        assert!(!c.contains("10.2.0.1".parse().unwrap()));
        assert!(Cidr::parse("::1/128")
            .unwrap()
            .contains("::1".parse().unwrap()));
        assert!(Cidr::parse("127.0.0.0/8")
            .unwrap()
            .contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("nope").is_err());
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            parse_base("https://sso.example.com/PureConnect/").unwrap(),
            "https://sso.example.com/PureConnect"
        );
        for bad in [
            "javascript:alert(1)",
            "https://user:pw@sso.example.com/",
            "https://sso.example.com/\r\nX: y",
            "https://sso.example.com/?a=b",
            "https://sso.example.com/#x",
            "/relative",
            "ftp://sso.example.com",
            "https://p.example/a;Domain=evil.example",
            "https://p.example/a,b",
            "https://p.example/a\"b",
            "https://p.example/a b",
            "https://p.example/a\tb",
            "https://p.example/a\u{a0}b",
        ] {
            assert!(parse_base(bad).is_err(), "{bad}");
        }
        assert!(parse_base(&format!("https://a.example/{}", "x".repeat(3000))).is_err());
    }

    #[test]
    fn origins() {
        let b = PublicBase("https://sso.example.com:8443/PureConnect".into());
        assert_eq!(b.host_origin(), "https://sso.example.com:8443");
        assert_eq!(
            b.url("/ICNotifierIDP/login"),
            "https://sso.example.com:8443/PureConnect/ICNotifierIDP/login"
        );
    }
}
