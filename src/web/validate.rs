//! The first stages of a login: decode and validate what started it.
//!
//! Owns turning a request into a [`Login`]: `loginType`, then either the AuthnRequest (decoded
//! and checked by `saml::inbound` through `receive`, its SP and ACS approved by
//! `sp::Registry`) or an IdP-initiated start (`sp=` naming an SP that allows it). Every check
//! of an incoming login request is here or below; what comes after is `proceed`'s.

use super::login::{Ask, Cx, Login};
use super::pages::PageError;
use super::params::LoginQuery;
use super::pending::Pending;
use super::receive::receive_in;
use crate::saml::authn_request::AuthnRequest;
use crate::saml::inbound::{BindingKind, Params};

/// `loginType` must be `saml`, as PureConnect's STS requires.
pub fn check_login_type(login_type: Option<&str>) -> Result<(), PageError> {
    match login_type {
        Some("saml") => Ok(()),
        Some(other) => Err(PageError::bad_request(format!(
            "loginType `{}` is not supported; use loginType=saml",
            other.chars().take(40).collect::<String>()
        ))),
        None => Err(PageError::bad_request(
            "the request has no loginType; use loginType=saml",
        )),
    }
}

/// An SP-initiated login: the `SAMLRequest` in `params`, which came by `binding`.
pub async fn authn_request(
    cx: &Cx<'_>,
    params: &Params<'_>,
    login_type: Option<&str>,
    binding: BindingKind,
) -> Result<Login, PageError> {
    check_login_type(login_type)?;
    let (state, origin) = (cx.state, cx.origin);
    let endpoint = state.sso_url(&origin.base);
    let record = super::windows::records_request_ids(cx);
    let (_, received) =
        receive_in::<AuthnRequest>(state, record, origin, params, binding, &endpoint, |sp| {
            sp.require_signed_requests
        })
        .await?;
    let req = received.msg;
    let (sp, acs) = state
        .sps
        .resolve(
            &req.issuer,
            req.acs_url.as_deref(),
            req.acs_index,
            origin.base.as_str(),
        )
        .map_err(|e| {
            tracing::warn!(client = %origin.client_ip, issuer = %req.issuer, "refused an AuthnRequest: {e}");
            PageError::bad_request(e.to_string())
        })?;
    tracing::debug!(sp = %sp.entity_id, request = %req.id, client = %origin.client_ip, signed = received.signed, "AuthnRequest accepted");
    Ok(Login {
        pending: Pending {
            request_id: Some(req.id),
            sp: sp.entity_id.clone(),
            acs,
            relay_state: received.relay_state,
            form_id: String::new(),
            browser: String::new(),
            unrecorded: received
                .replay_until
                .filter(|_| !record)
                .map(|t| t.timestamp()),
        },
        sp,
        ask: Ask {
            force_authn: req.force_authn,
            is_passive: req.is_passive,
        },
    })
}

/// `…/login?loginType=saml&sp=<entity ID or alias>[&RelayState=…]`: an unsolicited Response
/// to the SP's default ACS, after the form or through the SSO session.
pub fn idp_initiated(
    cx: &Cx<'_>,
    params: &Params<'_>,
    query: &LoginQuery,
) -> Result<Login, PageError> {
    check_login_type(query.login_type.as_deref())?;
    let (state, origin) = (cx.state, cx.origin);
    let name = query.sp.as_deref().unwrap_or("");
    let sp = state
        .sps
        .find(name)
        .filter(|sp| sp.allow_idp_initiated)
        .ok_or_else(|| {
            tracing::warn!(client = %origin.client_ip, sp = %name.chars().take(200).collect::<String>(), "refused an IdP-initiated login");
            PageError::bad_request(format!(
                "`{}` is not a service provider that allows IdP-initiated sign-in",
                name.chars().take(200).collect::<String>()
            ))
        })?;
    let (sp, acs) = state
        .sps
        .resolve(&sp.entity_id, None, None, origin.base.as_str())
        .map_err(|e| PageError::bad_request(e.to_string()))?;
    tracing::info!(sp = %sp.entity_id, client = %origin.client_ip, "IdP-initiated login");
    Ok(Login {
        pending: Pending {
            request_id: None,
            sp: sp.entity_id.clone(),
            acs,
            relay_state: params.relay_state().map(str::to_string),
            form_id: String::new(),
            browser: String::new(),
            unrecorded: None,
        },
        sp,
        ask: Ask::default(),
    })
}
