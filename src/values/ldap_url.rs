//! A directory server of `windows.ldap.urls`: `ldaps://host[:port]` (TLS) or
//! `ldap://host[:port]` (StartTLS, or in a lab plain), parsed once at load.
//!
//! Owns the scheme, host and port; whether plain `ldap://` is allowed depends on other keys
//! (`starttls`, `danger_allow_plaintext`) and is `config::windows`'s rule. The LDAP client
//! takes [`LdapUrl::url`] as it is.

use serde::Deserialize;

/// An `ldap://` or `ldaps://` URL with a host.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct LdapUrl(url::Url);

impl LdapUrl {
    /// Checks `s`; the message says what is wrong with it.
    pub fn parse(s: &str) -> Result<LdapUrl, String> {
        let u = url::Url::parse(s).map_err(|e| format!("`{s}` is not a URL ({e})"))?;
        if !matches!(u.scheme(), "ldap" | "ldaps") {
            return Err(format!("`{}` is not ldap or ldaps", u.scheme()));
        }
        if u.host_str().is_none_or(str::is_empty) {
            return Err(format!("`{s}` names no host"));
        }
        if !u.username().is_empty() || u.password().is_some() {
            return Err("must not carry a user or password (the service account is bind_dn, its password in bind_password_file)".into());
        }
        Ok(LdapUrl(u))
    }

    /// True for `ldaps://`: TLS from the first byte.
    pub fn is_tls(&self) -> bool {
        self.0.scheme() == "ldaps"
    }

    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }

    /// The port given, else the scheme's (389 for ldap, 636 for ldaps).
    pub fn port(&self) -> u16 {
        self.0
            .port()
            .unwrap_or(if self.is_tls() { 636 } else { 389 })
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The parsed URL, for the LDAP client.
    pub fn url(&self) -> &url::Url {
        &self.0
    }
}

impl TryFrom<String> for LdapUrl {
    type Error = String;
    fn try_from(s: String) -> Result<LdapUrl, String> {
        LdapUrl::parse(&s)
    }
}

impl std::fmt::Display for LdapUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// As the text (`"ldaps://dc1.example.com"`), the way the start-up log lists the servers.
impl std::fmt::Debug for LdapUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldap_urls() {
        let u = LdapUrl::parse("ldaps://dc1.example.com").unwrap();
        assert!(u.is_tls());
        assert_eq!((u.host(), u.port()), ("dc1.example.com", 636));
        let u = LdapUrl::parse("ldap://127.0.0.1:3890").unwrap();
        assert!(!u.is_tls());
        assert_eq!((u.host(), u.port()), ("127.0.0.1", 3890));
        assert_eq!(u.to_string(), "ldap://127.0.0.1:3890");
        assert_eq!(format!("{u:?}"), "\"ldap://127.0.0.1:3890\"");
        assert_eq!(LdapUrl::parse("ldap://dc2").unwrap().port(), 389);
        for bad in [
            "https://dc1.example.com",
            "ldapi:///var/run/slapd.sock",
            "ldap://",
            "dc1.example.com",
            "ldaps://svc:pw@dc1.example.com",
            "",
        ] {
            assert!(LdapUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
