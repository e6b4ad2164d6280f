//! An SP's signature policy applied to a message it sent us (AuthnRequest or LogoutRequest).
//!
//! Owns the decision table: a signature that is present is checked whenever the SP has a
//! certificate; a missing one is refused when the caller requires it; a POSTed message is
//! afterwards read only from what its signature covers. The cryptography is
//! `saml::signature`'s.

use crate::saml::signature::{self, SigError};
use crate::sp::ServiceProvider;

/// How the message arrived.
pub enum Received<'a> {
    /// HTTP-Redirect: the raw query string and the name of the message parameter.
    Redirect {
        query: &'a str,
        param: &'static str,
    },
    Post,
}

/// Checks the message's signature as the SP's settings say. Returns the XML to act on: for
/// a signed POST, the part the signature covers; otherwise `xml` itself.
pub fn check(
    sp: &ServiceProvider,
    how: Received,
    xml: &str,
    root_id: &str,
    required: bool,
) -> Result<Option<String>, SigError> {
    match how {
        Received::Redirect { query, param } => {
            if sp.certs.is_empty() {
                if required {
                    return Err(SigError::NoCertificate);
                }
                return Ok(None);
            }
            match signature::verify_redirect(query, param, &sp.certs, sp.allow_sha1)? {
                true => Ok(None),
                false if required => Err(SigError::Missing),
                false => Ok(None),
            }
        }
        Received::Post => {
            let signed = signature::has_xml_signature(xml);
            if !signed {
                return if required {
                    Err(SigError::Missing)
                } else {
                    Ok(None)
                };
            }
            if sp.certs.is_empty() && !required {
                return Ok(None);
            }
            signature::verify_xml(xml, root_id, &sp.certs, sp.allow_sha1).map(Some)
        }
    }
}
