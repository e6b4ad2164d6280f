//! Receiving a message an SP sent us (AuthnRequest or LogoutRequest): decode, parse, find the
//! SP, apply its signature policy.
//!
//! Owns the decision table: a signature that is present is checked whenever the SP has a
//! certificate; a missing one is refused when the caller requires it; a POSTed message is
//! afterwards read only from what its signature covers. Every refusal is logged with the
//! Issuer and becomes a 400 page. The cryptography is `saml::signature`'s.

use super::pages::PageError;
use super::remap::Origin;
use super::AppState;
use crate::saml::signature::{self, SigError};
use crate::saml::{authn_request, binding, logout};
use crate::sp::ServiceProvider;
use std::sync::Arc;

/// A message type an SP sends us.
pub trait SpMessage: Sized {
    const KIND: &'static str;
    fn parse(xml: &str) -> Result<Self, String>;
    fn issuer(&self) -> &str;
    fn id(&self) -> &str;
}

impl SpMessage for authn_request::AuthnRequest {
    const KIND: &'static str = "an AuthnRequest";
    fn parse(xml: &str) -> Result<Self, String> {
        authn_request::parse(xml).map_err(|e| e.to_string())
    }
    fn issuer(&self) -> &str {
        &self.issuer
    }
    fn id(&self) -> &str {
        &self.id
    }
}

impl SpMessage for logout::LogoutRequest {
    const KIND: &'static str = "a LogoutRequest";
    fn parse(xml: &str) -> Result<Self, String> {
        logout::parse_request(xml).map_err(|e| e.to_string())
    }
    fn issuer(&self) -> &str {
        &self.issuer
    }
    fn id(&self) -> &str {
        &self.id
    }
}

/// Decodes `encoded` (HTTP-Redirect when the raw query is given, else HTTP-POST), parses it,
/// finds its SP and checks its signature; `required` says whether that SP must sign. An XML
/// signature (xmlsec: parsing, canonicalizing, RSA) is checked off the async workers.
pub async fn receive<M: SpMessage>(
    state: &AppState,
    origin: &Origin,
    encoded: &str,
    redirect_query: Option<&str>,
    required: impl Fn(&ServiceProvider) -> bool,
) -> Result<(Arc<ServiceProvider>, M), PageError> {
    let xml = match redirect_query {
        Some(_) => binding::decode_redirect(encoded).map(|(x, _)| x),
        None => binding::decode_post(encoded),
    }
    .map_err(|e| PageError::bad_request(e.to_string()))?;
    let msg = M::parse(&xml).map_err(PageError::bad_request)?;
    let issuer = msg.issuer().to_string();
    let refused = |e: String| {
        tracing::warn!(client = %origin.client_ip, %issuer, "refused {}: {e}", M::KIND);
        PageError::bad_request(e)
    };
    let sp = state
        .sps
        .get(&issuer)
        .ok_or_else(|| refused(crate::sp::SpError::UnknownSp(issuer.clone()).to_string()))?;
    let how = match redirect_query {
        Some(query) => Received::Redirect {
            query,
            param: "SAMLRequest",
        },
        None => Received::Post,
    };
    let must_sign = required(&sp);
    let signed = match how {
        Received::Post if signature::has_xml_signature(&xml) => {
            let (sp, xml, id) = (sp.clone(), xml.clone(), msg.id().to_string());
            tokio::task::spawn_blocking(move || check(&sp, Received::Post, &xml, &id, must_sign))
                .await
                .map_err(PageError::internal)?
        }
        how => check(&sp, how, &xml, msg.id(), must_sign),
    }
    .map_err(|e| refused(e.to_string()))?;
    let Some(signed_xml) = signed else {
        return Ok((sp, msg));
    };
    // Act only on what the signature covers.
    let msg = M::parse(&signed_xml).map_err(&refused)?;
    if msg.issuer() != issuer {
        return Err(refused(
            "the signed Issuer differs from the unsigned one".into(),
        ));
    }
    Ok((sp, msg))
}

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
