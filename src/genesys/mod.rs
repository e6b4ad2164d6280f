//! `genesys-config`: what an administrator enters in Genesys Cloud for this identity provider.
//!
//! Owns turning our configuration and a region into the values of Genesys Cloud's Generic SSO
//! Provider form (and the body of `PUT /api/v2/identityproviders/cic`), and refusing regions
//! where PureConnect is not supported unless forced. Talking to the Genesys Cloud API is
//! [`api`]'s job, comparing and merging the provider object [`provider`]'s, writing it
//! (`genesys-config --push`) [`push`]'s, and the certificate rotation and retirement that go
//! through it (`certs rotate|retire … --genesys`) [`rotate`]'s.

pub mod api;
pub mod provider;
pub mod push;
pub mod rotate;

use crate::config::Config;
use crate::keys::KeyStore;
use crate::sp::Region;
use crate::web::origin::PublicBase;
use provider::Cert;
use serde_json::{json, Map, Value};

/// The SAML HTTP-Redirect binding, as the API names it.
pub const REDIRECT_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

pub struct GenesysConfig {
    pub provider_name: String,
    pub issuer_uri: String,
    pub target_url: String,
    pub slo_url: String,
    pub relying_party: String,
    pub certificates: Vec<(String, String)>,
    pub warning: Option<String>,
}

/// Builds the values; `Err` says what is missing or wrong in a sentence for the administrator.
pub fn build(cfg: &Config, region_id: &str, name: &str) -> Result<GenesysConfig, String> {
    let region = Region::lookup(region_id)?;
    let base = cfg.server.public_base_url.as_ref().ok_or_else(|| {
        format!(
            "{}: set server.public_base_url to the public address of the proxy (e.g. https://sso.example.com/PureConnect)",
            cfg.source
        )
    })?;
    let base = PublicBase::new(base.as_str().to_string());
    // The same Issuer the server fixes at start-up.
    let issuer_uri = cfg.issuer().map_err(|e| e.to_string())?;
    // The relying party identifier is the audience of the SP configured for this region, if
    // any; otherwise the region's default.
    let relying_party = cfg
        .service_providers
        .iter()
        .find(|s| {
            s.genesys_region
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(region.id))
        })
        .and_then(|s| s.audience.clone().or_else(|| s.entity_id.clone()))
        .unwrap_or_else(|| region.relying_party());
    let password = crate::keys::password::from_config(cfg).map_err(|e| e.to_string())?;
    let keys = KeyStore::load(&cfg.idp.certs_dir, password).map_err(|e| e.to_string())?;
    let certificates = keys
        .current()
        .published()
        .map(|k| (k.name.clone(), k.cert_pem.clone()))
        .collect();
    Ok(GenesysConfig {
        provider_name: name.to_string(),
        issuer_uri,
        target_url: base.url("/ICNotifierIDP/login?loginType=saml"),
        slo_url: base.url(crate::web::state::LOGOUT_PATH),
        relying_party,
        certificates,
        warning: region.warning(),
    })
}

impl GenesysConfig {
    pub fn text(&self) -> String {
        let mut s = String::new();
        s.push_str("Genesys Cloud > Admin > Single Sign-on > Generic SSO Provider\n\n");
        s.push_str(&format!(
            "Provider Name:             {}\n",
            self.provider_name
        ));
        s.push_str(&format!("Provider's Issuer URI:     {}\n", self.issuer_uri));
        s.push_str(&format!("Target URL:                {}\n", self.target_url));
        s.push_str(&format!(
            "Relying Party Identifier:  {}\n",
            self.relying_party
        ));
        s.push_str(&format!("Single Logout URI:         {}\n", self.slo_url));
        s.push_str("Single Logout Binding:     HTTP Redirect\n");
        s.push_str("Endpoint Compression:      on\n\n");
        s.push_str(
            "The Provider's Certificate (upload each; the first is the one that signs now):\n",
        );
        for (name, pem) in &self.certificates {
            s.push_str(&format!("\n# {name}\n{pem}"));
        }
        s
    }

    /// Our certificates as the API holds them (base64 DER), the active one first.
    pub fn certs(&self) -> Vec<Cert> {
        self.certificates
            .iter()
            .filter_map(|(n, pem)| {
                Some(Cert {
                    name: Some(n.clone()),
                    b64: provider::canonical(pem)?,
                })
            })
            .collect()
    }

    /// The fields we manage, certificates aside (see [`GenesysConfig::json`]).
    pub fn fields(&self) -> Map<String, Value> {
        let mut m = match self.json() {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        m.remove("certificate");
        m.remove("certificates");
        m
    }

    /// The body of `PUT /api/v2/identityproviders/cic` (field names and binding values from
    /// the API reference's `CustomerInteractionCenter` model; certificates as base64 DER).
    pub fn json(&self) -> serde_json::Value {
        let certs: Vec<String> = self.certs().into_iter().map(|c| c.b64).collect();
        json!({
            "name": self.provider_name,
            "providerName": self.provider_name,
            "disabled": false,
            "issuerURI": self.issuer_uri,
            "ssoTargetURI": self.target_url,
            "ssoBinding": REDIRECT_BINDING,
            "sloURI": self.slo_url,
            "sloBinding": REDIRECT_BINDING,
            "relyingPartyIdentifier": self.relying_party,
            "certificate": certs.first().cloned().unwrap_or_default(),
            "certificates": certs,
            "nameIdentifierFormat": crate::saml::ns::EMAIL_FORMAT,
            "signAuthnRequests": false,
            "displayOnLogin": true,
        })
    }
}
