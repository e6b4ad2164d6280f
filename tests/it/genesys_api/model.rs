//! The `CustomerInteractionCenter` model of the Genesys Cloud API reference, for the double:
//! its fields, the values of its enumerations, and the checks a `PUT` body must pass.

use base64::Engine;
use serde_json::{Map, Value};

const FIELDS: &[&str] = &[
    "id",
    "name",
    "disabled",
    "issuerURI",
    "ssoTargetURI",
    "sloURI",
    "sloBinding",
    "relyingPartyIdentifier",
    "certificate",
    "certificates",
    "logoImageData",
    "nameIdentifierFormat",
    "ssoBinding",
    "signAuthnRequests",
    "providerName",
    "displayOnLogin",
    "selfUri",
];
const BINDINGS: &[&str] = &[
    "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
    "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
];
const NAME_ID_FORMATS: &[&str] = &[
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:entity",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
];

/// Base64 DER of a certificate given as PEM or base64 (the double's own, not the crate's:
/// it must not trust the code it tests).
pub fn canonical(text: &str) -> Option<String> {
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()?;
    openssl::x509::X509::from_der(&der).ok()?;
    Some(base64::engine::general_purpose::STANDARD.encode(der))
}

pub fn invalid(p: &Map<String, Value>) -> Option<String> {
    if let Some(k) = p.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Some(format!("unknown field {k}"));
    }
    for k in ["ssoBinding", "sloBinding"] {
        if let Some(v) = p.get(k).and_then(Value::as_str) {
            if !BINDINGS.contains(&v) {
                return Some(format!("{k} {v} is not a binding"));
            }
        }
    }
    if let Some(v) = p.get("nameIdentifierFormat").and_then(Value::as_str) {
        if !NAME_ID_FORMATS.contains(&v) {
            return Some(format!("nameIdentifierFormat {v}"));
        }
    }
    let certs = p.get("certificates").and_then(Value::as_array);
    if certs.is_some_and(|c| c.len() > 5) {
        return Some("at most 5 certificates".into());
    }
    let all = certs.into_iter().flatten().chain(p.get("certificate"));
    for c in all {
        if !c.is_null() && c.as_str().and_then(canonical).is_none() {
            return Some("a certificate does not parse".into());
        }
    }
    None
}
