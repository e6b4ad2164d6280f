//! The base URL of a Genesys Cloud API host (`genesys.login_base_url`, `genesys.api_base_url`),
//! checked.
//!
//! Absolute `https`, a host, no user, query or fragment; plain `http` only to a loopback
//! address (a test double), since the OAuth client secret and the tokens travel to it.

use serde::Deserialize;

/// A checked API base URL, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ApiBaseUrl(String);

impl ApiBaseUrl {
    /// Checks `s`; the message says what is wrong with it.
    pub fn parse(s: &str) -> Result<ApiBaseUrl, String> {
        let url = url::Url::parse(s).map_err(|e| format!("`{s}` is not a URL: {e}"))?;
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(format!("`{s}` must not have a user, query or fragment"));
        }
        let loopback = match url.host() {
            Some(url::Host::Ipv4(a)) => a.is_loopback(),
            Some(url::Host::Ipv6(a)) => a.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => return Err(format!("`{s}` has no host")),
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => {
                return Err(format!(
                    "`{s}` must be https:// (the client secret and the tokens travel to it)"
                ))
            }
        }
        Ok(ApiBaseUrl(s.trim_end_matches('/').to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ApiBaseUrl {
    type Error = String;
    fn try_from(s: String) -> Result<ApiBaseUrl, String> {
        ApiBaseUrl::parse(&s)
    }
}
