//! The `[windows]` and `[windows.ldap]` tables: Windows sign-in by Kerberos (SPNEGO) and by
//! the Windows password checked against Active Directory over LDAP.
//!
//! Owns the keys, their defaults and the checks that need no I/O (messages name the key).
//! Reading the keytab and the CA file, and talking to a KDC or a directory, is `windows`'s job
//! at start-up.

use crate::values::{duration, LdapUrl};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// The default lookup filter: an AD account name.
pub const DEFAULT_USER_FILTER: &str = "(sAMAccountName={user})";

/// Where the business email (the NameID) of a Windows sign-in comes from.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
pub enum EmailFrom {
    /// The CIC user's email, as for a CIC password (what Genesys Cloud usually matches).
    #[default]
    #[serde(rename = "cic")]
    Cic,
    /// The `mail` attribute of the AD account.
    #[serde(rename = "ldap:mail")]
    LdapMail,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowsConfig {
    /// The keytab holding the service principal's keys (`HTTP/sso.example.com@REALM`).
    pub keytab: Option<PathBuf>,
    /// The realms whose users are accepted (upper case, as Kerberos writes them).
    #[serde(default)]
    pub realms: Vec<String>,
    /// The principal to accept as; default any principal in the keytab.
    pub service_principal: Option<String>,
    /// The NetBIOS domain of each realm (`EXAMPLE.COM` = `EXAMPLE`); a realm left out maps to
    /// its first label.
    #[serde(default)]
    pub netbios_domains: BTreeMap<String, String>,
    #[serde(default)]
    pub email_from: EmailFrom,
    pub ldap: Option<LdapConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapConfig {
    /// `ldaps://` or `ldap://` (with StartTLS) servers, tried in order.
    pub urls: Vec<LdapUrl>,
    pub base_dn: String,
    #[serde(default = "default_user_filter")]
    pub user_filter: String,
    /// The NetBIOS name `DOMAIN\user` must carry.
    pub domain: String,
    /// The DNS suffixes `user@suffix` may carry; default the realms, in lower case.
    #[serde(default)]
    pub upn_suffixes: Vec<String>,
    /// The service account that looks users up.
    pub bind_dn: String,
    pub bind_password_file: PathBuf,
    /// PEM of the CA(s) that issued the directory servers' certificates.
    pub ca_file: Option<PathBuf>,
    /// Use StartTLS on `ldap://` URLs (default true).
    #[serde(default = "yes")]
    pub starttls: bool,
    /// Lets `ldap://` go without StartTLS: the Windows password crosses the network in clear.
    #[serde(default)]
    pub danger_allow_plaintext: bool,
    /// The longest one server may take (connect, bind, search), before the next is tried.
    #[serde(default = "default_ldap_timeout", deserialize_with = "duration")]
    pub timeout: Duration,
    /// Directory checks (the user's, and the mail lookups) in flight at once; beyond, they wait.
    #[serde(default = "default_ldap_max_concurrent")]
    pub max_concurrent: usize,
    /// The longest a check waits for one of `max_concurrent` before the "busy" page.
    #[serde(default = "default_ldap_max_wait", deserialize_with = "duration")]
    pub max_wait: Duration,
}

fn default_user_filter() -> String {
    DEFAULT_USER_FILTER.into()
}
fn yes() -> bool {
    true
}
fn default_ldap_timeout() -> Duration {
    Duration::from_secs(5)
}
fn default_ldap_max_concurrent() -> usize {
    16
}
fn default_ldap_max_wait() -> Duration {
    Duration::from_secs(5)
}

impl WindowsConfig {
    /// The NetBIOS domain of `realm`: the configured one, else its first label.
    pub fn netbios_of(&self, realm: &str) -> String {
        self.netbios_domains
            .iter()
            .find(|(r, _)| r.eq_ignore_ascii_case(realm))
            .map(|(_, d)| d.to_ascii_uppercase())
            .unwrap_or_else(|| {
                realm
                    .split('.')
                    .next()
                    .unwrap_or(realm)
                    .to_ascii_uppercase()
            })
    }

    /// What an operator must hear at every start.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if let Some(l) = &self.ldap {
            if l.plaintext() {
                w.push(
                    "windows.ldap.danger_allow_plaintext = true: Windows passwords go to the directory \
                     UNENCRYPTED; use ldaps:// or StartTLS outside a lab"
                        .to_string(),
                );
            }
        }
        w
    }

    /// Checks the values; `Err((key, message))` names the key under `windows.`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |k: &str, m: String| Err((format!("windows.{k}"), m));
        if self.keytab.is_none() && self.ldap.is_none() {
            return bad(
                "keytab",
                "set keytab (Kerberos sign-in), [windows.ldap] (the Windows password), or both"
                    .into(),
            );
        }
        if self.realms.is_empty() {
            return bad(
                "realms",
                "needs at least one Kerberos realm, e.g. [\"EXAMPLE.COM\"]".into(),
            );
        }
        for (i, r) in self.realms.iter().enumerate() {
            if r.trim().is_empty() || r.contains(['@', '/', ' ']) || r.to_uppercase() != *r {
                return bad(
                    &format!("realms[{i}]"),
                    format!("`{r}` is not a realm name (upper case, e.g. EXAMPLE.COM)"),
                );
            }
        }
        if let Some(p) = &self.service_principal {
            if p.trim().is_empty() {
                return bad("service_principal", "must not be empty".into());
            }
        }
        if self.email_from == EmailFrom::LdapMail && self.ldap.is_none() {
            return bad(
                "email_from",
                "\"ldap:mail\" needs [windows.ldap] to read the mail attribute".into(),
            );
        }
        if let Some(l) = &self.ldap {
            l.validate()
                .map_err(|(k, m)| (format!("windows.ldap.{k}"), m))?;
        }
        Ok(())
    }
}

impl LdapConfig {
    /// True when a password may cross the network in clear.
    pub fn plaintext(&self) -> bool {
        self.danger_allow_plaintext && self.urls.iter().any(|u| !u.is_tls() && !self.starttls)
    }

    fn validate(&self) -> Result<(), (String, String)> {
        let bad = |k: &str, m: String| Err((k.to_string(), m));
        if self.urls.is_empty() {
            return bad(
                "urls",
                "needs at least one server, e.g. [\"ldaps://dc1.example.com\"]".into(),
            );
        }
        // Scheme and host were checked at load (`LdapUrl`); plain LDAP depends on two keys.
        for (i, u) in self.urls.iter().enumerate() {
            if !u.is_tls() && !self.starttls && !self.danger_allow_plaintext {
                return bad(
                    &format!("urls[{i}]"),
                    format!(
                        "`{u}` without StartTLS would send Windows passwords in clear; use ldaps://, \
                         keep starttls = true, or (lab only) set danger_allow_plaintext = true"
                    ),
                );
            }
        }
        if self.base_dn.trim().is_empty() {
            return bad(
                "base_dn",
                "must not be empty, e.g. \"DC=example,DC=com\"".into(),
            );
        }
        if !self.user_filter.contains("{user}") {
            return bad(
                "user_filter",
                format!("must contain {{user}}, e.g. {DEFAULT_USER_FILTER}"),
            );
        }
        let f = self.user_filter.trim();
        if !(f.starts_with('(') && f.ends_with(')')) {
            return bad("user_filter", format!("`{f}` is not an LDAP filter in ( )"));
        }
        if self.domain.trim().is_empty() || self.domain.contains(['\\', '@', ' ']) {
            return bad(
                "domain",
                format!("`{}` is not a NetBIOS domain name", self.domain),
            );
        }
        if self.bind_dn.trim().is_empty() {
            return bad("bind_dn", "must not be empty".into());
        }
        if self.timeout.is_zero() {
            return bad("timeout", "must be more than 0 seconds".into());
        }
        if self.max_concurrent == 0 {
            return bad("max_concurrent", "must be at least 1".into());
        }
        if self.max_wait.is_zero() {
            return bad("max_wait", "must be more than 0 seconds".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> WindowsConfig {
        toml::from_str(text).unwrap()
    }

    const LDAP: &str = "[ldap]\nurls = [\"ldaps://dc1\"]\nbase_dn = \"dc=x\"\ndomain = \"EX\"\n\
                        bind_dn = \"cn=svc\"\nbind_password_file = \"pw\"\n";

    #[test]
    fn plain_ldap_is_refused_unless_allowed_and_then_warned_about() {
        let plain = |extra: &str| {
            parse(&format!(
                "realms = [\"EX.COM\"]\n[ldap]\nurls = [\"ldap://dc1\"]\nbase_dn = \"dc=x\"\ndomain = \"EX\"\n\
                 bind_dn = \"cn=svc\"\nbind_password_file = \"pw\"\n{extra}"
            ))
        };
        let c = plain("starttls = false");
        let (k, m) = c.validate().unwrap_err();
        assert_eq!(k, "windows.ldap.urls[0]", "{m}");
        assert!(c.warnings().is_empty());
        let c = plain("starttls = false\ndanger_allow_plaintext = true");
        assert!(c.validate().is_ok());
        assert_eq!(c.warnings().len(), 1);
        let c = plain("");
        assert!(c.validate().is_ok(), "StartTLS is the default");
        assert!(c.warnings().is_empty());
    }

    #[test]
    fn keys_are_checked_with_their_names() {
        let cases = [
            ("realms = [\"EX.COM\"]", "windows.keytab"),
            ("keytab = \"k\"", "windows.realms"),
            ("keytab = \"k\"\nrealms = [\"ex.com\"]", "windows.realms[0]"),
            (
                "keytab = \"k\"\nrealms = [\"EX.COM\"]\nemail_from = \"ldap:mail\"",
                "windows.email_from",
            ),
        ];
        for (text, key) in cases {
            assert_eq!(parse(text).validate().unwrap_err().0, key, "{text}");
        }
        let c = parse(&format!(
            "realms = [\"EX.COM\"]\nemail_from = \"ldap:mail\"\n{LDAP}"
        ));
        assert!(c.validate().is_ok());
        let c = parse(&format!(
            "realms = [\"EX.COM\"]\n{}",
            LDAP.replace(
                "base_dn = \"dc=x\"",
                "base_dn = \"dc=x\"\nuser_filter = \"(uid=x)\""
            )
        ));
        assert_eq!(c.validate().unwrap_err().0, "windows.ldap.user_filter");
        for (key, value) in [("max_concurrent", "0"), ("max_wait", "\"0s\"")] {
            let c = parse(&format!("realms = [\"EX.COM\"]\n{LDAP}{key} = {value}\n"));
            let (k, m) = c.validate().unwrap_err();
            assert_eq!(k, format!("windows.ldap.{key}"), "{m}");
        }
        let c = parse(&format!("realms = [\"EX.COM\"]\n{LDAP}"));
        let l = c.ldap.unwrap();
        assert_eq!((l.max_concurrent, l.max_wait.as_secs()), (16, 5));
    }

    #[test]
    fn netbios_domain_of_a_realm() {
        let c = parse(
            "keytab = \"k\"\nrealms = [\"EX.COM\", \"CORP.EXAMPLE.NET\"]\n[netbios_domains]\n\"CORP.EXAMPLE.NET\" = \"corp2\"",
        );
        assert_eq!(c.netbios_of("EX.COM"), "EX");
        assert_eq!(c.netbios_of("corp.example.net"), "CORP2");
    }
}
