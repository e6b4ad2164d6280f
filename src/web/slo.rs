//! Single Logout at `/ICNotifierIDP/logout`.
//!
//! Owns ending the SSO session: a `LogoutRequest` from a configured SP (HTTP-Redirect or
//! HTTP-POST; its signature checked whenever the SP has a certificate, and required then)
//! clears the session cookie and is answered with a `LogoutResponse` by HTTP-Redirect to the
//! SP's SLO URL, signed over the query with the active key. Without a SAML message (a user
//! following a "sign out" link) the session ends and a "you are signed out" page is shown.
//! Other SPs the user signed in to are not told (documented in docs/security.md).

use super::language::page_for;
use super::origin::Origin;
use super::pages::{html, LoggedOutPage, Page, PageError};
use super::params::split;
use super::receive::receive;
use super::sso_session;
use super::state::AppState;
use crate::saml::inbound::{BindingKind, Params};
use crate::saml::{binding, logout, signature};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

pub async fn logout_get(
    State(state): State<Arc<AppState>>,
    origin: Origin,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let raw = query.unwrap_or_default();
    run(
        &state,
        origin,
        &headers,
        raw.as_bytes(),
        BindingKind::Redirect,
    )
    .await
}

pub async fn logout_post(
    State(state): State<Arc<AppState>>,
    origin: Origin,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(&state, origin, &headers, &body, BindingKind::Post).await
}

async fn run(
    state: &Arc<AppState>,
    origin: Origin,
    headers: &HeaderMap,
    raw: &[u8],
    binding: BindingKind,
) -> Response {
    let page = page_for(state, Some(&origin), headers, None);
    let mut r = match split(raw) {
        Err(e) => e.on(&page).into_response(),
        Ok(q) if q.saml("SAMLRequest").is_some() => {
            answer(state, &origin, headers, &page, &q, binding)
                .await
                .unwrap_or_else(|e| e.on(&page).into_response())
        }
        Ok(_) => {
            if let Some(s) = sso_session::read(state, headers) {
                tracing::info!(target: "audit", result = "logout", user = %s.user_id, client_ip = %origin.client_ip, "logout");
            }
            html(StatusCode::OK, &LoggedOutPage { page: page.clone() })
        }
    };
    // A refused LogoutRequest leaves the session alone: it may be forged.
    if r.status().is_success() || r.status().is_redirection() {
        sso_session::end(state, headers, &mut r, &origin.base);
    }
    r
}

async fn answer(
    state: &AppState,
    origin: &Origin,
    headers: &HeaderMap,
    page: &Page,
    q: &Params<'_>,
    binding: BindingKind,
) -> Result<Response, PageError> {
    // When the SP has a certificate, its LogoutRequests must be signed with it.
    let endpoint = state.slo_url(&origin.base);
    let (sp, received) =
        receive::<logout::LogoutRequest>(state, origin, q, binding, &endpoint, |sp| {
            sp.require_signed_requests || !sp.certs.is_empty()
        })
        .await?;
    let (req, relay_state) = (received.msg, received.relay_state);
    let session = sso_session::read(state, headers);
    let user = session.as_ref().map(|s| s.user_id.as_str()).unwrap_or("");
    if session
        .as_ref()
        .is_some_and(|s| !s.email.eq_ignore_ascii_case(&req.name_id))
    {
        tracing::info!(sp = %sp.entity_id, "LogoutRequest names another user than this browser's session; ending the session anyway");
    }
    tracing::info!(target: "audit", result = "logout", user, sp = %sp.entity_id, client_ip = %origin.client_ip, lang = page.lang.tag(), "logout");
    let Some(slo_url) = sp.slo_url.as_deref() else {
        tracing::warn!(sp = %sp.entity_id, "no slo_url configured for this service provider; showing the signed-out page instead of answering");
        return Ok(html(StatusCode::OK, &LoggedOutPage { page: page.clone() }));
    };
    let xml = logout::response_xml(state.entity_id(), slo_url, &req.id);
    let key = state.keys.active();
    let query = signature::sign_redirect(
        "SAMLResponse",
        &binding::encode_redirect(&xml),
        relay_state.as_deref(),
        &key.pkey,
    )
    .map_err(PageError::internal)?;
    let glue = if slo_url.contains('?') { '&' } else { '?' };
    let location = format!("{slo_url}{glue}{query}");
    let mut r = StatusCode::FOUND.into_response();
    let h = r.headers_mut();
    h.insert(
        header::LOCATION,
        HeaderValue::from_str(&location).map_err(PageError::internal)?,
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}
