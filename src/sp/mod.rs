//! The service-provider registry: the one owner of "who may receive an assertion, and where".
//!
//! Owns building the list of SPs from configuration (plain entries, Genesys Cloud region
//! presets, SP metadata files, the built-in demo SP) and answering, for an AuthnRequest's
//! Issuer and requested ACS, which SP it is and which ACS URL the Response may go to. A
//! Response is never sent to a URL this module did not approve.

pub mod display_name;
pub mod import;
pub mod regions;

use crate::config::{Config, ConfigError, SignMode, SpConfig};
use std::sync::Arc;
use thiserror::Error;

pub use display_name::DisplayName;
pub use regions::Region;

/// The entity ID of the built-in demo SP.
pub const DEMO_SP_ENTITY_ID: &str = "urn:pureconnect-idp:demo-sp";
/// The demo SP's ACS, relative to the public base.
pub const DEMO_ACS_PATH: &str = "/demo/acs";

#[derive(Debug, Clone)]
pub struct ServiceProvider {
    pub entity_id: String,
    /// Allowed ACS URLs, the default first. For the demo SP these are paths under the public base.
    pub acs_urls: Vec<String>,
    pub audience: String,
    pub sign: SignMode,
    pub service_name: Option<String>,
    pub display_name: DisplayName,
    pub relative_acs: bool,
    /// A short name for IdP-initiated links.
    pub alias: Option<String>,
    pub allow_idp_initiated: bool,
    pub require_signed_requests: bool,
    /// The SP's signing certificates (from the configuration or its metadata).
    pub certs: Vec<openssl::x509::X509>,
    pub allow_sha1: bool,
    /// Where LogoutResponses go (HTTP-Redirect).
    pub slo_url: Option<String>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SpError {
    #[error("the request's Issuer `{0}` is not a configured service provider")]
    UnknownSp(String),
    #[error("the ACS URL `{0}` is not among those configured for this service provider")]
    AcsNotAllowed(String),
    #[error("the ACS index {0} does not exist for this service provider")]
    AcsIndex(usize),
}

#[derive(Debug, Default)]
pub struct Registry {
    sps: Vec<Arc<ServiceProvider>>,
}

impl Registry {
    pub fn from_config(cfg: &Config, demo_sp: bool) -> Result<Registry, ConfigError> {
        let mut sps = Vec::new();
        for (i, c) in cfg.service_providers.iter().enumerate() {
            let sp = entry(cfg, i, c)?;
            if sps
                .iter()
                .any(|s: &Arc<ServiceProvider>| s.entity_id == sp.entity_id)
            {
                return Err(cfg.invalid(
                    &format!("service_providers[{i}].entity_id"),
                    format!("`{}` is configured twice", sp.entity_id),
                ));
            }
            sps.push(Arc::new(sp));
        }
        if demo_sp {
            sps.push(Arc::new(ServiceProvider {
                entity_id: DEMO_SP_ENTITY_ID.into(),
                acs_urls: vec![DEMO_ACS_PATH.into()],
                audience: DEMO_SP_ENTITY_ID.into(),
                sign: SignMode::Both,
                service_name: None,
                display_name: demo_display_name(),
                relative_acs: true,
                alias: Some("demo".into()),
                allow_idp_initiated: true,
                require_signed_requests: false,
                certs: Vec::new(),
                allow_sha1: false,
                slo_url: None,
            }));
        }
        Ok(Registry { sps })
    }

    pub fn get(&self, entity_id: &str) -> Option<Arc<ServiceProvider>> {
        self.sps.iter().find(|s| s.entity_id == entity_id).cloned()
    }

    /// The SP an IdP-initiated link names, by entity ID or alias.
    pub fn find(&self, id_or_alias: &str) -> Option<Arc<ServiceProvider>> {
        self.get(id_or_alias).or_else(|| {
            self.sps
                .iter()
                .find(|s| s.alias.as_deref() == Some(id_or_alias))
                .cloned()
        })
    }

    pub fn all(&self) -> &[Arc<ServiceProvider>] {
        &self.sps
    }

    /// Finds the SP that sent a request and the ACS its Response may go to. `base` is the
    /// public base URL (for the demo SP, whose ACS lives under it).
    pub fn resolve(
        &self,
        issuer: &str,
        acs_url: Option<&str>,
        acs_index: Option<usize>,
        base: &str,
    ) -> Result<(Arc<ServiceProvider>, String), SpError> {
        let sp = self
            .get(issuer)
            .ok_or_else(|| SpError::UnknownSp(issuer.chars().take(200).collect()))?;
        let allowed: Vec<String> = sp
            .acs_urls
            .iter()
            .map(|u| {
                if sp.relative_acs {
                    format!("{base}{u}")
                } else {
                    u.clone()
                }
            })
            .collect();
        let acs = match (acs_url, acs_index) {
            (Some(u), _) => allowed
                .iter()
                .find(|a| a.as_str() == u)
                .cloned()
                .ok_or_else(|| SpError::AcsNotAllowed(u.chars().take(300).collect()))?,
            (None, Some(i)) => allowed.get(i).cloned().ok_or(SpError::AcsIndex(i))?,
            (None, None) => allowed[0].clone(),
        };
        Ok((sp, acs))
    }
}

fn entry(cfg: &Config, i: usize, c: &SpConfig) -> Result<ServiceProvider, ConfigError> {
    let key = |k: &str| format!("service_providers[{i}].{k}");
    let mut entity_id = c.entity_id.clone();
    let mut acs_urls = c.acs_urls.clone();
    let mut slo_url = c.slo_url.clone();
    let mut certs = Vec::new();
    if let Some(r) = &c.genesys_region {
        let region = Region::find(r).ok_or_else(|| {
            cfg.invalid(
                &key("genesys_region"),
                format!(
                    "`{r}` is not a Genesys Cloud region (one of: {})",
                    regions::REGIONS
                        .iter()
                        .map(|r| r.id)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        if let Some(w) = region.warning() {
            tracing::warn!("{}: {}: {w}", cfg.source, key("genesys_region"));
        }
        entity_id.get_or_insert_with(|| region.relying_party());
        if acs_urls.is_empty() {
            acs_urls.push(region.acs());
        }
        slo_url.get_or_insert_with(|| region.slo());
    }
    if let Some(path) = &c.metadata_file {
        let md = import::read_metadata(path)
            .map_err(|m| cfg.invalid(&key("metadata_file"), format!("{}: {m}", path.display())))?;
        entity_id.get_or_insert(md.entity_id);
        for a in md.acs_urls {
            if !acs_urls.contains(&a) {
                acs_urls.push(a);
            }
        }
        if slo_url.is_none() {
            slo_url = md.slo_url;
        }
        certs.extend(md.certs);
    }
    if let Some(pem) = &c.certificate {
        certs.extend(
            import::certs_from_pem(pem.as_bytes())
                .map_err(|m| cfg.invalid(&key("certificate"), m))?,
        );
    }
    if let Some(path) = &c.certificate_file {
        let pem = std::fs::read(path).map_err(|e| {
            cfg.invalid(&key("certificate_file"), format!("{}: {e}", path.display()))
        })?;
        certs.extend(import::certs_from_pem(&pem).map_err(|m| {
            cfg.invalid(&key("certificate_file"), format!("{}: {m}", path.display()))
        })?);
    }
    if c.require_signed_requests && certs.is_empty() {
        return Err(cfg.invalid(
            &key("require_signed_requests"),
            "needs the SP's certificate: set certificate, certificate_file or a metadata_file with a signing key",
        ));
    }
    let entity_id = entity_id.ok_or_else(|| cfg.invalid(&key("entity_id"), "is required"))?;
    if acs_urls.is_empty() {
        return Err(cfg.invalid(
            &key("acs_urls"),
            "needs at least one ACS URL (or genesys_region, or a metadata_file that lists one)",
        ));
    }
    Ok(ServiceProvider {
        audience: c.audience.clone().unwrap_or_else(|| entity_id.clone()),
        display_name: match &c.display_name {
            Some(n) => n
                .checked()
                .map_err(|m| cfg.invalid(&key("display_name"), m))?,
            None => DisplayName::One(entity_id.clone()),
        },
        entity_id,
        acs_urls,
        sign: c.sign,
        service_name: c.service_name.clone(),
        relative_acs: false,
        alias: c.alias.clone(),
        allow_idp_initiated: c.allow_idp_initiated,
        require_signed_requests: c.require_signed_requests,
        certs,
        allow_sha1: c.allow_sha1_signatures,
        slo_url,
    })
}

/// The demo SP's name in the languages the demo is shown in most; the others show the
/// English one, marked as English.
fn demo_display_name() -> DisplayName {
    DisplayName::PerLanguage(
        [
            ("en-US", "the demo application"),
            ("de", "der Demo-Anwendung"),
            ("ja", "デモ アプリケーション"),
            ("ar", "التطبيق التجريبي"),
            ("fr", "l’application de démonstration"),
            ("es", "la aplicación de demostración"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn cfg(sps: &str) -> Config {
        Config::from_toml(
            &format!("[session]\nsecret = \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\n{sps}"),
            "t.toml",
            Path::new("."),
        )
        .unwrap()
    }

    #[test]
    fn resolves_acs_by_url_index_and_default() {
        let c = cfg("[[service_providers]]\nentity_id = \"urn:sp\"\nacs_urls = [\"https://sp/a\", \"https://sp/b\"]\n");
        let r = Registry::from_config(&c, false).unwrap();
        assert_eq!(
            r.resolve("urn:sp", None, None, "").unwrap().1,
            "https://sp/a"
        );
        assert_eq!(
            r.resolve("urn:sp", Some("https://sp/b"), None, "")
                .unwrap()
                .1,
            "https://sp/b"
        );
        assert_eq!(
            r.resolve("urn:sp", None, Some(1), "").unwrap().1,
            "https://sp/b"
        );
        assert_eq!(
            r.resolve("urn:sp", Some("https://evil/acs"), None, "")
                .unwrap_err(),
            SpError::AcsNotAllowed("https://evil/acs".into())
        );
        assert_eq!(
            r.resolve("urn:sp", None, Some(7), "").unwrap_err(),
            SpError::AcsIndex(7)
        );
        assert!(matches!(
            r.resolve("urn:other", None, None, ""),
            Err(SpError::UnknownSp(_))
        ));
    }

    #[test]
    fn genesys_preset() {
        let c = cfg("[[service_providers]]\ngenesys_region = \"eu-central-1\"\n");
        let r = Registry::from_config(&c, false).unwrap();
        let sp = r.get("https://login.mypurecloud.de/saml").unwrap();
        assert_eq!(sp.acs_urls, vec!["https://login.mypurecloud.de/saml"]);
        assert_eq!(sp.audience, "https://login.mypurecloud.de/saml");
        let bad = cfg("[[service_providers]]\ngenesys_region = \"mars-1\"\n");
        let e = Registry::from_config(&bad, false).unwrap_err();
        assert!(
            e.to_string()
                .contains("service_providers[0].genesys_region"),
            "{e}"
        );
    }

    #[test]
    fn demo_sp_acs_follows_the_public_base() {
        let r = Registry::from_config(&cfg(""), true).unwrap();
        let (_, acs) = r
            .resolve(
                DEMO_SP_ENTITY_ID,
                Some("https://h/PureConnect/demo/acs"),
                None,
                "https://h/PureConnect",
            )
            .unwrap();
        assert_eq!(acs, "https://h/PureConnect/demo/acs");
    }
}
