//! The `[[service_providers]]` entries of the configuration: their keys and checks.
//!
//! Owns the shape of one SP entry (where its Responses may go, how they are signed, what it
//! may ask for: IdP-initiated login, signed requests, logout) and the checks that need
//! nothing but the entry itself. Reading the SP's metadata or certificate files is the
//! `sp` module's job.

use super::{Config, ConfigError};
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum SignMode {
    #[default]
    Assertion,
    Response,
    Both,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SpConfig {
    pub entity_id: Option<String>,
    #[serde(default)]
    pub acs_urls: Vec<String>,
    pub audience: Option<String>,
    #[serde(default)]
    pub sign: SignMode,
    pub metadata_file: Option<PathBuf>,
    pub genesys_region: Option<String>,
    /// Value of the `ServiceName` attribute (Genesys Cloud: where to land after login).
    pub service_name: Option<String>,
    /// A short name shown on the form ("continue to …"), one or per language; defaults to
    /// the entity ID.
    pub display_name: Option<crate::sp::DisplayName>,
    /// A short name for IdP-initiated links (`…/login?loginType=saml&sp=<alias>`).
    pub alias: Option<String>,
    /// Whether `…/login?loginType=saml&sp=…` may send this SP an unsolicited Response.
    #[serde(default)]
    pub allow_idp_initiated: bool,
    /// Refuse AuthnRequests from this SP that are not signed with its certificate.
    #[serde(default)]
    pub require_signed_requests: bool,
    /// The SP's signing certificate, PEM, inline.
    pub certificate: Option<String>,
    /// The SP's signing certificate, PEM, in a file.
    pub certificate_file: Option<PathBuf>,
    /// Accept RSA-SHA1 signatures from this SP (off: SHA-1 is broken for signatures).
    #[serde(default)]
    pub allow_sha1_signatures: bool,
    /// Where LogoutResponses go (HTTP-Redirect binding).
    pub slo_url: Option<String>,
}

fn is_http_url(u: &str) -> bool {
    matches!(url::Url::parse(u), Ok(ref p) if p.scheme() == "https" || p.scheme() == "http")
}

impl SpConfig {
    pub(super) fn validate(&self, cfg: &Config, i: usize) -> Result<(), ConfigError> {
        let key = |k: &str| format!("service_providers[{i}].{k}");
        if self.entity_id.is_none() && self.metadata_file.is_none() && self.genesys_region.is_none()
        {
            return Err(cfg.invalid(
                &key("entity_id"),
                "is required (or give metadata_file or genesys_region)",
            ));
        }
        for (j, acs) in self.acs_urls.iter().enumerate() {
            if !is_http_url(acs) {
                return Err(cfg.invalid(
                    &key(&format!("acs_urls[{j}]")),
                    format!("`{acs}` is not an absolute http(s) URL"),
                ));
            }
        }
        if let Some(u) = &self.slo_url {
            if !is_http_url(u) {
                return Err(cfg.invalid(
                    &key("slo_url"),
                    format!("`{u}` is not an absolute http(s) URL"),
                ));
            }
        }
        if self.certificate.is_some() && self.certificate_file.is_some() {
            return Err(cfg.invalid(
                &key("certificate"),
                "set either certificate or certificate_file, not both",
            ));
        }
        if let Some(a) = &self.alias {
            if a.is_empty()
                || !a
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                return Err(cfg.invalid(
                    &key("alias"),
                    "must be letters, digits, '-', '_' or '.' (it goes in a URL)",
                ));
            }
        }
        Ok(())
    }
}
