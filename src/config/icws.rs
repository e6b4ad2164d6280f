//! The `[backend]` table when `type = "icws"`: which CIC servers to ask and how.
//!
//! Owns the keys, their defaults and their validation (messages name the key). It does not
//! read the CA file or talk to a server: `backend::icws` does that at start-up.

use crate::values::duration;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// The property of a CIC user's configuration read for the business email by default.
pub const DEFAULT_EMAIL_PROPERTY: &str = "personalInformationProperties.emailAddress";
/// Where the email is looked for when the configured property is empty.
pub const FALLBACK_EMAIL_PROPERTY: &str = "mailboxProperties.emailAddress";

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum IcwsScheme {
    #[default]
    Https,
    Http,
}

impl IcwsScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            IcwsScheme::Https => "https",
            IcwsScheme::Http => "http",
        }
    }

    /// ICWS's default port for the scheme: 8019 for HTTPS, 8018 for HTTP.
    pub fn default_port(self) -> u16 {
        match self {
            IcwsScheme::Https => 8019,
            IcwsScheme::Http => 8018,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IcwsConfig {
    /// `host[:port]` of each CIC server, in the order to try them (e.g. both of a switchover pair).
    pub servers: Vec<String>,
    #[serde(default)]
    pub scheme: IcwsScheme,
    /// Shown in CIC as the connecting application.
    #[serde(default = "default_application_name")]
    pub application_name: String,
    /// PEM file of the CA(s) that issued the CIC servers' certificates, added to the roots.
    pub ca_file: Option<PathBuf>,
    /// Turns certificate verification off. Never for production; warned about loudly.
    #[serde(default)]
    pub danger_accept_invalid_certs: bool,
    #[serde(default = "default_connect_timeout", deserialize_with = "duration")]
    pub connect_timeout: Duration,
    /// The longest any one ICWS request may take, connecting included.
    #[serde(default = "default_request_timeout", deserialize_with = "duration")]
    pub request_timeout: Duration,
    /// Dotted path of the email in the user's configuration.
    #[serde(default = "default_email_property")]
    pub email_property: String,
    /// Logins in flight to CIC at once (each opens a CIC session); beyond, they wait.
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent: usize,
    /// The longest a login waits for one of `max_concurrent` before the "busy" page.
    #[serde(default = "default_max_wait", deserialize_with = "duration")]
    pub max_wait: Duration,
}

fn default_application_name() -> String {
    "PureConnect SAML identity provider".into()
}
fn default_connect_timeout() -> Duration {
    Duration::from_secs(5)
}
fn default_request_timeout() -> Duration {
    Duration::from_secs(15)
}
fn default_max_concurrent() -> usize {
    64
}
fn default_max_wait() -> Duration {
    Duration::from_secs(10)
}
fn default_email_property() -> String {
    DEFAULT_EMAIL_PROPERTY.into()
}

impl IcwsConfig {
    /// True when certificates are not verified.
    pub fn insecure(&self) -> bool {
        self.scheme == IcwsScheme::Https && self.danger_accept_invalid_certs
    }

    /// Problems an operator must hear about (at start-up and in readiness reports).
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.insecure() {
            w.push(
                "backend.danger_accept_invalid_certs = true: the CIC servers' certificates are NOT verified; \
                 anyone on the network path can read the passwords. Set backend.ca_file instead."
                    .to_string(),
            );
        }
        if self.scheme == IcwsScheme::Http {
            w.push(
                "backend.scheme = \"http\": passwords go to CIC unencrypted; use https outside a lab"
                    .to_string(),
            );
        }
        w
    }

    /// Checks the values; `Err((key, message))` names the key under `backend.`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |k: &str, m: String| Err((format!("backend.{k}"), m));
        if self.servers.is_empty() {
            return bad(
                "servers",
                "needs at least one CIC server, e.g. [\"cic1.example.com\", \"cic2.example.com\"]"
                    .into(),
            );
        }
        for (i, s) in self.servers.iter().enumerate() {
            if let Err(m) = crate::backend::icws::target::HostPort::parse(s) {
                return bad(&format!("servers[{i}]"), m);
            }
        }
        if self.application_name.trim().is_empty() {
            return bad("application_name", "must not be empty".into());
        }
        if self.connect_timeout.is_zero() {
            return bad("connect_timeout", "must be more than 0 seconds".into());
        }
        if self.request_timeout.is_zero() {
            return bad("request_timeout", "must be more than 0 seconds".into());
        }
        if self.max_concurrent == 0 {
            return bad("max_concurrent", "must be at least 1".into());
        }
        if self.max_wait.is_zero() {
            return bad("max_wait", "must be more than 0 seconds".into());
        }
        let p = self.email_property.trim();
        if p.is_empty() || p.split('.').any(str::is_empty) {
            return bad(
                "email_property",
                format!("`{p}` is not a dotted property path such as {DEFAULT_EMAIL_PROPERTY}"),
            );
        }
        if self.ca_file.is_some() && self.scheme == IcwsScheme::Http {
            return bad("ca_file", "is only used with scheme = \"https\"".into());
        }
        Ok(())
    }
}
