//! `genesys-config`: what an administrator enters in Genesys Cloud for this identity provider.
//!
//! Owns turning our configuration and a region into the values of Genesys Cloud's Generic SSO
//! Provider form (and the body of `PUT /api/v2/identityproviders/cic`), and refusing regions
//! where PureConnect is not supported unless forced.

use crate::config::Config;
use crate::keys::KeyStore;
use crate::sp::Region;
use crate::web::origin::PublicBase;
use serde_json::json;

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
    let region = Region::find(region_id).ok_or_else(|| {
        format!(
            "`{region_id}` is not a Genesys Cloud region (one of: {})",
            crate::sp::regions::REGIONS
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
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

    /// The body of `PUT /api/v2/identityproviders/cic`.
    pub fn json(&self) -> serde_json::Value {
        let certs: Vec<&str> = self.certificates.iter().map(|(_, p)| p.as_str()).collect();
        json!({
            "name": self.provider_name,
            "providerName": self.provider_name,
            "disabled": false,
            "issuerURI": self.issuer_uri,
            "ssoTargetURI": self.target_url,
            "ssoBinding": "HTTP Redirect",
            "sloURI": self.slo_url,
            "sloBinding": "HTTP Redirect",
            "relyingPartyIdentifier": self.relying_party,
            "certificate": certs.first().copied().unwrap_or_default(),
            "certificates": certs,
            "nameIdentifierFormat": crate::saml::response::EMAIL_FORMAT,
            "signAuthnRequests": false,
            "displayOnLogin": true,
            "forceAuthn": false,
        })
    }
}
