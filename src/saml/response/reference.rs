//! The xmlsec reference signer, built only with the feature `xmlsec-reference` (which the
//! tests and benches turn on, the server never): the same Response written with empty
//! signature templates, which samael and xmlsec fill in on the serialized document, assertion
//! first, then the Response around it. The direct signer is held to it byte for byte
//! (tests/it/signing.rs).

use super::{assertion, response, Addressing, Sig, Stamps, Statement, Status};
use crate::keys::SigningKey;
use crate::saml::canon::{Form, Writer};
use crate::saml::sign::SignError;
use samael::crypto::{Crypto, CryptoProvider};

fn template(signed: bool) -> Sig<'static> {
    if signed {
        Sig::Template
    } else {
        Sig::Absent
    }
}

/// [`super::success_with`] by xmlsec: `(assertion, response)` says which are signed.
pub(super) fn success(
    a: &Addressing,
    s: &Statement,
    (sign_assertion, sign_response): (bool, bool),
    key: &SigningKey,
    t: &Stamps,
) -> Result<String, SignError> {
    let mut w = Writer::new(Form::Document, 8192);
    assertion(&mut w, a, s, t, key, template(sign_assertion));
    let mut signed = w.into_string();
    if sign_assertion {
        signed = sign_enveloped(&signed, key)?;
    }
    let mut w = Writer::new(Form::Document, signed.len() + 4096);
    let ok = Status::Success;
    response(&mut w, a, ok, t, key, template(sign_response), |w| {
        w.raw(&signed)
    });
    let doc = w.into_string();
    if sign_response {
        sign_enveloped(&doc, key)
    } else {
        Ok(doc)
    }
}

/// [`super::failure_with`] by xmlsec.
pub(super) fn failure(
    a: &Addressing,
    status: Status,
    key: &SigningKey,
    t: &Stamps,
) -> Result<String, SignError> {
    let mut w = Writer::new(Form::Document, 4096);
    response(&mut w, a, status, t, key, Sig::Template, |_| {});
    sign_enveloped(&w.into_string(), key)
}

/// Fills in the first signature template of `xml` (a whole document) and returns the signed
/// document without its XML declaration, so it can be embedded or sent as is.
fn sign_enveloped(xml: &str, key: &SigningKey) -> Result<String, SignError> {
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
