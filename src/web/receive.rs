//! The web side of receiving a request an SP sent: hands the split parameters to
//! `saml::inbound`, looks the Issuer up in the SP registry, and turns a refusal into a logged
//! 400 page. The decoding, the signature rules and the protocol checks are all
//! `saml::inbound`'s; this module adds only what needs the server: the registry, the replay
//! table, the clock, and running an XML signature check off the async workers.

use super::origin::Origin;
use super::pages::PageError;
use super::state::AppState;
use crate::saml::inbound::{
    BindingKind, Expect, InboundError, Message, Params, Received, SpTrust, Validated,
};
use crate::sp::ServiceProvider;
use std::sync::Arc;

/// Receives the `SAMLRequest` in `params` (which came by `binding`) sent to our `endpoint`.
/// `required` says whether the SP must sign this kind of message.
pub async fn receive<M: Message + Send + 'static>(
    state: &AppState,
    origin: &Origin,
    params: &Params<'_>,
    binding: BindingKind,
    endpoint: &str,
    required: impl Fn(&ServiceProvider) -> bool,
) -> Result<(Arc<ServiceProvider>, Validated<M>), PageError> {
    let received = Received::<M>::decode(params, binding).map_err(|e| {
        tracing::info!(client = %origin.client_ip, "refused {}: {e}", M::KIND);
        PageError::bad_request(e.to_string())
    })?;
    let issuer = received.issuer().to_string();
    let refused = |e: InboundError| {
        tracing::warn!(client = %origin.client_ip, %issuer, "refused {}: {e}", M::KIND);
        PageError::bad_request(e.to_string())
    };
    let Some(sp) = state.sps.get(&issuer) else {
        return Err(refused(InboundError::Parse(
            crate::sp::SpError::UnknownSp(issuer.clone()).to_string(),
        )));
    };
    let must_sign = required(&sp);
    let skew = state.config.saml.clock_skew;
    let seen = state.seen_requests.clone();
    let endpoint = endpoint.to_string();
    let blocking = received.checks_xml_signature();
    let sp2 = sp.clone();
    let validate = move || {
        let trust = SpTrust {
            certs: &sp2.certs,
            allow_sha1: sp2.allow_sha1,
            require_signed: must_sign,
        };
        let expect = Expect {
            now: chrono::Utc::now(),
            skew,
            endpoint: &endpoint,
        };
        received.validate(&trust, &expect, &seen)
    };
    // An XML signature (xmlsec: parsing, canonicalizing, RSA) is checked off the async workers.
    let validated = if blocking {
        tokio::task::spawn_blocking(validate)
            .await
            .map_err(PageError::internal)?
    } else {
        validate()
    };
    Ok((sp, validated.map_err(refused)?))
}
