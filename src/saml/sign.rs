//! Enveloped XML signatures on what we send: the template and the xmlsec call.
//!
//! Owns the `<ds:Signature>` template (RSA-SHA256, exclusive C14N, SHA-256 digest, the
//! signing certificate in KeyInfo) and signing a document that holds exactly one such
//! template with samael's xmlsec binding. Which elements get signed, and in which order, is
//! `response`'s business.

use crate::keys::SigningKey;
use samael::crypto::{Crypto, CryptoProvider};
use thiserror::Error;

#[derive(Debug, Error)]
#[error("signing failed: {0}")]
pub struct SignError(pub String);

/// Appends a signature template for the element whose `ID` is `ref_id`.
pub fn template_into(out: &mut String, ref_id: &str, key: &SigningKey) {
    out.push_str("<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>");
    out.push_str(
        "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>",
    );
    out.push_str(
        "<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>",
    );
    out.push_str("<ds:Reference URI=\"#");
    crate::saml::xml::escape_into(out, ref_id);
    out.push_str("\"><ds:Transforms>");
    out.push_str(
        "<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>",
    );
    out.push_str("<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>");
    out.push_str("</ds:Transforms>");
    out.push_str("<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>");
    out.push_str("<ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo>");
    out.push_str(
        "<ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>",
    );
    out.push_str(&key.cert_b64);
    out.push_str("</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>");
}

/// Fills in the first signature template of `xml` (a whole document) and returns the signed
/// document without its XML declaration, so it can be embedded or sent as is.
pub fn sign_enveloped(xml: &str, key: &SigningKey) -> Result<String, SignError> {
    let signed = Crypto::sign_xml(xml, key.key_der()).map_err(|e| SignError(e.to_string()))?;
    Ok(strip_declaration(&signed).to_string())
}

fn strip_declaration(xml: &str) -> &str {
    let t = xml.trim();
    if t.starts_with("<?xml") {
        if let Some(end) = t.find("?>") {
            return t[end + 2..].trim_start();
        }
    }
    t
}
