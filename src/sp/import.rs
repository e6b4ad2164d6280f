//! Reading what an SP tells about itself: its metadata file and PEM certificates.
//!
//! Owns turning an SP's SAML metadata into its entity ID, HTTP-POST ACS URLs (default
//! first), HTTP-Redirect SLO URL and signing certificates, and PEM text into certificates.
//! It does not decide what the SP may do; the registry does.

use openssl::x509::X509;
use std::str::FromStr;

/// What an SP's metadata says about it.
pub struct SpMetadata {
    pub entity_id: String,
    pub acs_urls: Vec<String>,
    pub slo_url: Option<String>,
    pub certs: Vec<X509>,
}

pub fn read_metadata(path: &std::path::Path) -> Result<SpMetadata, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    parse_metadata(&text)
}

pub fn parse_metadata(text: &str) -> Result<SpMetadata, String> {
    if text.contains("<!DOCTYPE") {
        return Err("metadata with a DOCTYPE is refused".into());
    }
    let ed = samael::metadata::EntityDescriptor::from_str(text)
        .map_err(|e| format!("not SAML metadata: {e}"))?;
    let entity_id = ed.entity_id.clone().ok_or("the metadata has no entityID")?;
    let sps: Vec<_> = ed.sp_sso_descriptors.iter().flatten().collect();
    let mut acs: Vec<(bool, usize, String)> = sps
        .iter()
        .flat_map(|d| d.assertion_consumer_services.iter())
        .filter(|a| a.binding == crate::saml::ns::POST_BINDING)
        .map(|a| (a.is_default != Some(true), a.index, a.location.clone()))
        .collect();
    acs.sort();
    let slo_url = sps
        .iter()
        .flat_map(|d| d.single_logout_services.iter().flatten())
        .find(|e| e.binding == crate::saml::ns::REDIRECT_BINDING)
        .map(|e| e.response_location.clone().unwrap_or(e.location.clone()));
    let mut certs = Vec::new();
    for kd in sps.iter().flat_map(|d| d.key_descriptors.iter().flatten()) {
        if kd.key_use.as_deref().is_some_and(|u| u != "signing") {
            continue;
        }
        for b64 in kd.key_info.x509_data.iter().flat_map(|x| &x.certificates) {
            let clean: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
            let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, clean)
                .map_err(|_| "a signing certificate is not base64".to_string())?;
            certs.push(
                X509::from_der(&der)
                    .map_err(|_| "a signing certificate is not an X.509 certificate")?,
            );
        }
    }
    Ok(SpMetadata {
        entity_id,
        acs_urls: acs.into_iter().map(|(_, _, l)| l).collect(),
        slo_url,
        certs,
    })
}

/// Every certificate in a PEM text (at least one).
pub fn certs_from_pem(pem: &[u8]) -> Result<Vec<X509>, String> {
    let certs = X509::stack_from_pem(pem).map_err(|_| "is not a PEM certificate".to_string())?;
    if certs.is_empty() {
        return Err("holds no PEM certificate".into());
    }
    Ok(certs)
}
