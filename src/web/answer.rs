//! Answering an SP: building and signing the Response, and the auto-POST page that carries it.
//!
//! Owns the last step of every login, whichever way it went (credentials, SSO session,
//! cancel, IsPassive without a session): the ACS is approved again, the Response is built and
//! signed with the key set current at that moment, and the browser gets the page that posts
//! it. Deciding the outcome is the caller's job.
//!
//! The signature is made right here, on the runtime's worker (one per core): it is one RSA
//! operation, a fraction of a millisecond of CPU and never a wait, so handing it to another
//! thread and back would only add two thread switches per answer while the core is just as
//! busy either way (docs/performance.md).
//! Work that can take long stays off the workers: password hashing and the xmlsec checks of
//! SP signatures go to `spawn_blocking`.

use super::login::{Cx, Login};
use super::pages::{html, AutoPostPage, PageError, AUTOPOST_SCRIPT};
use super::sso_session::SsoSession;
use crate::saml::response::{self, Addressing, Statement, Status};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// How a login ended.
pub enum Outcome {
    /// The user is signed in (by the form or by the SSO session).
    Success(SsoSession),
    /// Cancelled, or IsPassive without a session.
    Failure(Status),
}

/// Builds and signs the Response and returns the auto-POST page that carries it to the ACS.
pub async fn post_to_acs(cx: &Cx<'_>, login: &Login, outcome: Outcome) -> Response {
    let (state, origin, page) = (cx.state, cx.origin, &cx.page);
    let (sp, pending) = (&login.sp, &login.pending);
    // The ACS was approved when the request came in; check again in case the configuration
    // changed since.
    let acs = match state.sps.resolve(
        &sp.entity_id,
        Some(&pending.acs),
        None,
        origin.base.as_str(),
    ) {
        Ok((_, acs)) => acs,
        Err(e) => {
            return PageError::bad_request(e.to_string())
                .on(page)
                .into_response()
        }
    };
    // At most one Response per signed request: one whose ID was not recorded on receipt (the
    // Negotiate challenge pass) is recorded now, and refused if it was answered meanwhile.
    if let Err(e) = super::receive::record_answer(state, origin, pending).await {
        return e.on(page).into_response();
    }
    let issuer = state.entity_id();
    let keys = state.keys.current();
    let org = state.config.idp.organization_name.clone();
    let lifetime = state.config.idp.assertion_lifetime;
    let signed = {
        let a = Addressing {
            issuer,
            acs: &acs,
            in_response_to: pending.request_id.as_deref(),
        };
        match outcome {
            Outcome::Success(s) => {
                let mut attrs: Vec<(&str, &str)> = vec![("email", &s.email)];
                if let Some(o) = &org {
                    attrs.push(("OrganizationName", o));
                }
                if let Some(n) = &sp.service_name {
                    attrs.push(("ServiceName", n));
                }
                if let Some(d) = &s.display_name {
                    attrs.push(("displayName", d));
                }
                let st = Statement {
                    email: &s.email,
                    audience: &sp.audience,
                    session_index: &s.session_index,
                    authn_instant: s.authn_time(),
                    lifetime,
                    attributes: &attrs,
                };
                response::success(&a, &st, sp.sign, &keys.active)
            }
            Outcome::Failure(status) => response::failure(&a, status, &keys.active),
        }
    };
    let xml = match signed {
        Ok(x) => x,
        Err(e) => return PageError::internal(e).on(page).into_response(),
    };
    let encoded = crate::saml::binding::encode_post(&xml);
    let mut r = html(
        StatusCode::OK,
        &AutoPostPage {
            page: page.clone(),
            acs: &acs,
            saml_response: &encoded,
            relay_state: pending.relay_state.as_deref().map(crate::saml::xml::escape),
            script: AUTOPOST_SCRIPT,
        },
    );
    if let Ok(v) = HeaderValue::from_str(&super::guard::autopost_csp(&acs)) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}
