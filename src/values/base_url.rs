//! A public base URL of the configuration (`https://sso.example.com/PureConnect`), checked.
//!
//! The same check applies to a base a trusted proxy announces (`web::origin`): absolute http
//! or https, a host, no user, query or fragment, and nothing that would end or split the
//! value where it is written (a `Set-Cookie` Path, a list header, a quoted attribute).

use serde::Deserialize;

const MAX_BASE_LEN: usize = 2048;

/// A checked base URL, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct BaseUrl(String);

impl BaseUrl {
    /// Checks `s`; the message says what is wrong with it.
    pub fn parse(s: &str) -> Result<BaseUrl, String> {
        check_base(s).map(BaseUrl)
    }

    pub fn as_str(&self) -> &str {
        &self.0
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

impl TryFrom<String> for BaseUrl {
    type Error = String;
    fn try_from(s: String) -> Result<BaseUrl, String> {
        BaseUrl::parse(&s)
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let b = BaseUrl::parse("https://sso.example.com:8443/PureConnect/").unwrap();
        assert_eq!(b.as_str(), "https://sso.example.com:8443/PureConnect");
        assert_eq!(b.host_origin(), "https://sso.example.com:8443");
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
            assert!(BaseUrl::parse(bad).is_err(), "{bad}");
        }
        assert!(BaseUrl::parse(&format!("https://a.example/{}", "x".repeat(3000))).is_err());
    }
}
