//! The web side of receiving a request an SP sent: hands the split parameters to
//! `saml::inbound`, looks the Issuer up in the SP registry, and turns a refusal into a logged
//! 400 page. The decoding, the signature rules and the protocol checks are all
//! `saml::inbound`'s; this module adds only what needs the server: the registry, the replay
//! check (the store's), the clock, and running an XML signature check off the async workers.
//!
//! A signed request is answered at most once. The ordinary pass records its ID on receipt
//! (first use wins). The pass answered with the Negotiate challenge does not (the browser
//! sends the very same request again with the token); its [`Pending`] says so, and then
//! [`record_answer`] records the ID when that login is answered after all (SSO session,
//! NoPassive, the form posted), refusing if another pass answered first, and
//! [`check_unanswered`] refuses to show a form for a request already answered.
//!
//! How long an ID is kept: a signed request is fresh until its IssueInstant plus the clock
//! skew ([`Validated::replay_until`]), but a form shown for it (and the "different account"
//! link, which seals a new form) lives on for `session.login_timeout`. So every ID is kept
//! until [`kept_until`], and a login whose request ID is still to be recorded is refused as
//! expired past that moment: no form can outlive the record that stops its second answer.

use super::origin::Origin;
use super::pages::PageError;
use super::pending::Pending;
use super::state::AppState;
use crate::saml::inbound::{
    BindingKind, Expect, InboundError, Message, Params, Received, SpTrust, Validated,
};
use crate::sp::ServiceProvider;
use chrono::{DateTime, Utc};
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
    receive_in(state, true, origin, params, binding, endpoint, required).await
}

/// [`receive`], recording a signed request's ID as used only when `record` says so: not on
/// the pass that may be answered with the Negotiate challenge, whose request the browser
/// sends again with the token (see `web::windows`). Such a pass leaves the ID to its answer
/// (`Pending::unrecorded`, [`record_answer`], [`check_unanswered`]).
pub async fn receive_in<M: Message + Send + 'static>(
    state: &AppState,
    record: bool,
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
        received.validate(&trust, &expect)
    };
    // An XML signature (xmlsec: parsing, canonicalizing, RSA) is checked off the async workers.
    let validated = if blocking {
        tokio::task::spawn_blocking(validate)
            .await
            .map_err(PageError::internal)?
    } else {
        validate()
    };
    let validated = validated.map_err(refused)?;
    if let Some(until) = validated.replay_until.filter(|_| record) {
        let (issuer, id) = (validated.msg.issuer(), validated.msg.id());
        if !state
            .store
            .first_use(issuer, id, kept_until(state, until))
            .await
        {
            return Err(refused(InboundError::Replay(crate::saml::inbound::short(
                id,
            ))));
        }
    }
    Ok((sp, validated))
}

/// How long the ID of a signed request fresh until `fresh_until` is kept: as long as any form
/// shown for it can still be posted.
pub fn kept_until(state: &AppState, fresh_until: DateTime<Utc>) -> DateTime<Utc> {
    let forms = chrono::Duration::from_std(state.config.session.login_timeout)
        .unwrap_or(chrono::Duration::minutes(10));
    fresh_until + forms
}

/// The signed request of `pending` whose ID is still to be recorded: (issuer, ID, kept until).
/// Past that moment the login is refused as expired (see [`refuse_stale`]).
fn unrecorded<'p>(
    state: &AppState,
    pending: &'p Pending,
) -> Option<(&'p str, &'p str, DateTime<Utc>)> {
    let fresh = DateTime::from_timestamp(pending.unrecorded?, 0)?;
    Some((
        &pending.sp,
        pending.request_id.as_deref()?,
        kept_until(state, fresh),
    ))
}

/// A login whose request ID is still to be recorded, past the time that ID would be kept:
/// recording it then would stop nothing, so the login is over.
fn refuse_stale(origin: &Origin, until: DateTime<Utc>) -> Result<(), PageError> {
    if Utc::now() <= until {
        return Ok(());
    }
    tracing::info!(client = %origin.client_ip, "refused a login whose signed request is too old to be answered");
    Err(
        PageError::new(axum::http::StatusCode::BAD_REQUEST, "error.session_expired")
            .detail("the signed request of this sign-in is too old to be answered"),
    )
}

fn replayed(origin: &Origin, issuer: &str, id: &str) -> PageError {
    let e = InboundError::Replay(crate::saml::inbound::short(id));
    tracing::warn!(client = %origin.client_ip, %issuer, "refused AuthnRequest: {e}");
    PageError::bad_request(e.to_string())
}

/// Refuses the login of `pending` when its signed request, not recorded on receipt, was
/// answered already by another pass. Records nothing; no store call when there is nothing
/// left to record.
pub async fn check_unanswered(
    state: &AppState,
    origin: &Origin,
    pending: &Pending,
) -> Result<(), PageError> {
    refuse_if_answered(state, origin, pending, false).await
}

/// Records the signed request of `pending` as answered, when it was not on receipt; refused
/// (the replay page) when another pass recorded it first. Called by every answer, right
/// before the Response is made; no store call when there is nothing left to record.
pub async fn record_answer(
    state: &AppState,
    origin: &Origin,
    pending: &Pending,
) -> Result<(), PageError> {
    refuse_if_answered(state, origin, pending, true).await
}

/// The two above: a stale login is over; one whose request another pass answered is a
/// replay; `record` says whether this pass claims the answer (first use wins) or only looks.
async fn refuse_if_answered(
    state: &AppState,
    origin: &Origin,
    pending: &Pending,
    record: bool,
) -> Result<(), PageError> {
    let Some((issuer, id, until)) = unrecorded(state, pending) else {
        return Ok(());
    };
    refuse_stale(origin, until)?;
    let answered = if record {
        !state.store.first_use(issuer, id, until).await
    } else {
        state.store.request_seen(issuer, id).await
    };
    if answered {
        return Err(replayed(origin, issuer, id));
    }
    Ok(())
}
