//! Our IdP metadata document (EntityDescriptor with an IDPSSODescriptor).
//!
//! Owns its shape: every published signing certificate (active first) as a KeyDescriptor,
//! the emailAddress NameIDFormat, and the SSO and SLO endpoints for both bindings at the URLs the
//! caller gives (which comes from the public base). No HTTP here.

use super::xml::escape_into;
use crate::keys::KeySet;

pub const REDIRECT_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
pub const POST_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

pub fn idp_metadata(entity_id: &str, sso_url: &str, slo_url: &str, keys: &KeySet) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"");
    escape_into(&mut out, entity_id);
    out.push_str("\">\n  <md:IDPSSODescriptor WantAuthnRequestsSigned=\"false\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\n");
    for k in keys.published() {
        out.push_str("    <md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:KeyName>");
        escape_into(&mut out, &k.name);
        out.push_str("</ds:KeyName><ds:X509Data><ds:X509Certificate>");
        out.push_str(&k.cert_b64);
        out.push_str("</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n");
    }
    out.push_str("    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>\n");
    for binding in [REDIRECT_BINDING, POST_BINDING] {
        out.push_str("    <md:SingleSignOnService Binding=\"");
        out.push_str(binding);
        out.push_str("\" Location=\"");
        escape_into(&mut out, sso_url);
        out.push_str("\"/>\n");
    }
    for binding in [REDIRECT_BINDING, POST_BINDING] {
        out.push_str("    <md:SingleLogoutService Binding=\"");
        out.push_str(binding);
        out.push_str("\" Location=\"");
        escape_into(&mut out, slo_url);
        out.push_str("\"/>\n");
    }
    out.push_str("  </md:IDPSSODescriptor>\n</md:EntityDescriptor>\n");
    out
}
