//! The SSO endpoint `/ICNotifierIDP/login?loginType=saml`: taking in an AuthnRequest.
//!
//! Owns the entry of a login: checking `loginType`, decoding the request from either binding,
//! validating it (protocol checks in `saml::authn_request`, the SP and ACS in `sp::Registry`),
//! sealing the pending login into the form, and showing the credential form in the user's
//! language. What happens when the form comes back is `credentials`' job.

use super::credentials;
use super::ops::css_url;
use super::pages::{html, LoginPage, Page, PageError};
use super::remap::Origin;
use super::AppState;
use crate::i18n::{negotiate::negotiate, Lang};
use crate::saml::{authn_request, binding};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// Purpose label of the sealed pending-login state.
pub const STATE_PURPOSE: &str = "pureconnect-idp/login-state/v1";
/// The cookie that remembers a language picked on the form.
pub const LANG_COOKIE: &str = "idp_lang";
/// RelayState is opaque to us; SAML says 80 bytes, real SPs send more. Beyond this it is refused.
pub const MAX_RELAY_STATE: usize = 2048;

/// A login between "form shown" and "credentials posted", sealed into the form.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// The AuthnRequest's ID (InResponseTo).
    pub rid: Option<String>,
    /// The SP's entity ID.
    pub sp: String,
    /// The approved ACS URL.
    pub acs: String,
    pub rs: Option<String>,
}

/// Form or query parameters, first value of each name wins.
pub fn params(raw: &[u8]) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(raw) {
        m.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    m
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The language and stylesheet of a page for this request; `picked` is a language chosen on
/// the form, which wins over the cookie and the browser's preferences.
pub fn page_for(
    state: &AppState,
    origin: Option<&Origin>,
    headers: &HeaderMap,
    picked: Option<&str>,
) -> Page {
    let accept = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let picked = picked.or_else(|| cookie(headers, LANG_COOKIE));
    Page {
        lang: negotiate(picked, accept, state.default_lang),
        css: origin.map(css_url),
    }
}

/// Languages for the picker: (tag, name in itself).
pub fn languages() -> Vec<(&'static str, &'static str)> {
    Lang::all().map(|l| (l.tag(), l.name())).collect()
}

pub struct FormView<'a> {
    pub pending_sealed: &'a str,
    pub sp: &'a str,
    pub sp_name: &'a str,
    pub user_id: &'a str,
    pub error: Option<String>,
}

pub fn render_form(
    state: &AppState,
    origin: &Origin,
    page: Page,
    status: StatusCode,
    v: FormView,
) -> Response {
    let action = state.sso_url(&origin.base);
    let lang = page.lang;
    html(
        status,
        &LoginPage {
            intro: {
                let text = lang.t("login.intro");
                let (before, after) = text.split_once("{sp}").unwrap_or((text, ""));
                (before, v.sp_name, after)
            },
            error: v.error,
            action: &action,
            state: v.pending_sealed,
            sp: v.sp,
            user_id: v.user_id,
            languages: languages(),
            page,
        },
    )
}

enum Binding {
    Redirect,
    Post,
}

pub async fn login_get(
    State(state): State<Arc<AppState>>,
    origin: Result<Origin, PageError>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let q = params(query.as_deref().unwrap_or("").as_bytes());
    let origin = match origin {
        Ok(o) => o,
        Err(e) => {
            return e
                .on(&page_for(&state, None, &headers, None))
                .into_response()
        }
    };
    let page = page_for(&state, Some(&origin), &headers, None);
    match start(&state, &origin, page.clone(), &q, Binding::Redirect) {
        Ok(r) => r,
        Err(e) => e.on(&page).into_response(),
    }
}

pub async fn login_post(
    State(state): State<Arc<AppState>>,
    origin: Result<Origin, PageError>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let origin = match origin {
        Ok(o) => o,
        Err(e) => {
            return e
                .on(&page_for(&state, None, &headers, None))
                .into_response()
        }
    };
    let mut form = params(&body);
    // loginType travels in the query string of the form's action.
    for (k, v) in params(query.as_deref().unwrap_or("").as_bytes()) {
        if k == "loginType" {
            form.entry(k).or_insert(v);
        }
    }
    if form.contains_key("SAMLRequest") {
        let page = page_for(&state, Some(&origin), &headers, None);
        return match start(&state, &origin, page.clone(), &form, Binding::Post) {
            Ok(r) => r,
            Err(e) => e.on(&page).into_response(),
        };
    }
    if form.contains_key("state") {
        return credentials::handle(&state, &origin, &headers, &form).await;
    }
    let page = page_for(&state, Some(&origin), &headers, None);
    PageError::bad_request("the request carries neither a SAMLRequest nor a sign-in form")
        .on(&page)
        .into_response()
}

fn check_login_type(q: &HashMap<String, String>) -> Result<(), PageError> {
    match q.get("loginType").map(String::as_str) {
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

fn start(
    state: &AppState,
    origin: &Origin,
    page: Page,
    q: &HashMap<String, String>,
    binding_kind: Binding,
) -> Result<Response, PageError> {
    check_login_type(q)?;
    let encoded = q
        .get("SAMLRequest")
        .ok_or_else(|| PageError::bad_request("the request has no SAMLRequest"))?;
    let relay_state = q.get("RelayState").cloned();
    if relay_state
        .as_ref()
        .is_some_and(|r| r.len() > MAX_RELAY_STATE)
    {
        return Err(PageError::bad_request(format!(
            "RelayState is longer than {MAX_RELAY_STATE} bytes"
        )));
    }
    let xml = match binding_kind {
        Binding::Redirect => binding::decode_redirect(encoded).map(|(x, _)| x),
        Binding::Post => binding::decode_post(encoded),
    }
    .map_err(|e| PageError::bad_request(e.to_string()))?;
    let req = authn_request::parse(&xml).map_err(|e| PageError::bad_request(e.to_string()))?;
    req.check(
        chrono::Utc::now(),
        state.config.saml.clock_skew,
        &state.sso_url(&origin.base),
    )
    .map_err(|e| PageError::bad_request(e.to_string()))?;
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
    let pending = Pending {
        rid: Some(req.id.clone()),
        sp: sp.entity_id.clone(),
        acs,
        rs: relay_state,
    };
    let sealed = state
        .sealer
        .seal(STATE_PURPOSE, &pending)
        .map_err(PageError::internal)?;
    tracing::info!(sp = %sp.entity_id, request = %req.id, client = %origin.client_ip, "showing the credential form");
    Ok(render_form(
        state,
        origin,
        page,
        StatusCode::OK,
        FormView {
            pending_sealed: &sealed,
            sp: &sp.entity_id,
            sp_name: &sp.display_name,
            user_id: "",
            error: None,
        },
    ))
}
