//! The SSO endpoint `/ICNotifierIDP/login?loginType=saml`: taking in an AuthnRequest.
//!
//! Owns the entry of a login: checking `loginType`, decoding the request from either binding,
//! validating it (protocol checks in `saml::authn_request`, the SP and ACS in `sp::Registry`),
//! sealing the pending login into the form, and showing the credential form in the user's
//! language. What happens when the form comes back is `credentials`' job.

use super::answer::{post_to_acs, Outcome};
use super::credentials;
use super::ops::css_url;
use super::pages::{html, LoginPage, Page, PageError};
use super::remap::Origin;
use super::verify;
use super::{audit, cookies, form_guard, sso_session, AppState};
use crate::i18n::{negotiate::negotiate, Lang};
use crate::saml::authn_request;
use crate::saml::response::Status;
use crate::sp::ServiceProvider;
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
    /// This form's identifier: it may end in a Response once (set when the form is shown).
    pub n: String,
    /// The `idp_browser` cookie value of the browser the form was shown to.
    pub b: String,
}

/// Form or query parameters, first value of each name wins.
pub fn params(raw: &[u8]) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(raw) {
        m.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    m
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
    let picked = picked.or_else(|| cookies::get(headers, LANG_COOKIE));
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

enum Binding<'a> {
    /// HTTP-Redirect, with the raw query string (its signature covers the raw parts).
    Redirect(&'a str),
    Post,
}

pub async fn login_get(
    State(state): State<Arc<AppState>>,
    origin: Origin,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let raw = query.unwrap_or_default();
    let q = params(raw.as_bytes());
    let page = page_for(&state, Some(&origin), &headers, None);
    let r = if !q.contains_key("SAMLRequest") && q.contains_key("sp") {
        idp_initiated(&state, &origin, &headers, page.clone(), &q).await
    } else {
        start(
            &state,
            &origin,
            &headers,
            page.clone(),
            &q,
            Binding::Redirect(&raw),
        )
        .await
    };
    r.unwrap_or_else(|e| e.on(&page).into_response())
}

pub async fn login_post(
    State(state): State<Arc<AppState>>,
    origin: Origin,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let mut form = params(&body);
    // loginType travels in the query string of the form's action.
    for (k, v) in params(query.as_deref().unwrap_or("").as_bytes()) {
        if k == "loginType" {
            form.entry(k).or_insert(v);
        }
    }
    if form.contains_key("SAMLRequest") {
        let page = page_for(&state, Some(&origin), &headers, None);
        return start(
            &state,
            &origin,
            &headers,
            page.clone(),
            &form,
            Binding::Post,
        )
        .await
        .unwrap_or_else(|e| e.on(&page).into_response());
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

fn relay_state(q: &HashMap<String, String>) -> Result<Option<String>, PageError> {
    let rs = q.get("RelayState").cloned();
    if rs.as_ref().is_some_and(|r| r.len() > MAX_RELAY_STATE) {
        return Err(PageError::bad_request(format!(
            "RelayState is longer than {MAX_RELAY_STATE} bytes"
        )));
    }
    Ok(rs)
}

/// What the request asks of the user's session.
#[derive(Clone, Copy, Default)]
struct Ask {
    force_authn: bool,
    is_passive: bool,
}

async fn start(
    state: &Arc<AppState>,
    origin: &Origin,
    headers: &HeaderMap,
    page: Page,
    q: &HashMap<String, String>,
    binding_kind: Binding<'_>,
) -> Result<Response, PageError> {
    check_login_type(q)?;
    let encoded = q
        .get("SAMLRequest")
        .ok_or_else(|| PageError::bad_request("the request has no SAMLRequest"))?;
    let relay_state = relay_state(q)?;
    let query = match binding_kind {
        Binding::Redirect(q) => Some(q),
        Binding::Post => None,
    };
    let (_, req): (_, authn_request::AuthnRequest) =
        verify::receive(state, origin, encoded, query, |sp| {
            sp.require_signed_requests
        })
        .await?;
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
        n: String::new(),
        b: String::new(),
    };
    let ask = Ask {
        force_authn: req.force_authn,
        is_passive: req.is_passive,
    };
    tracing::debug!(sp = %sp.entity_id, request = %req.id, client = %origin.client_ip, "AuthnRequest accepted");
    proceed(state, origin, headers, page, &sp, pending, ask).await
}

/// `…/login?loginType=saml&sp=<entity ID or alias>[&RelayState=…]`: an unsolicited Response
/// to the SP's default ACS, after the form or through the SSO session.
async fn idp_initiated(
    state: &Arc<AppState>,
    origin: &Origin,
    headers: &HeaderMap,
    page: Page,
    q: &HashMap<String, String>,
) -> Result<Response, PageError> {
    check_login_type(q)?;
    let name = q.get("sp").map_or("", String::as_str);
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
    let pending = Pending {
        rid: None,
        sp: sp.entity_id.clone(),
        acs,
        rs: relay_state(q)?,
        n: String::new(),
        b: String::new(),
    };
    tracing::info!(sp = %sp.entity_id, client = %origin.client_ip, "IdP-initiated login");
    proceed(state, origin, headers, page, &sp, pending, Ask::default()).await
}

/// The SSO session answers when it can; otherwise the form, or NoPassive when the SP asked
/// for no interaction.
async fn proceed(
    state: &Arc<AppState>,
    origin: &Origin,
    headers: &HeaderMap,
    page: Page,
    sp: &Arc<ServiceProvider>,
    mut pending: Pending,
    ask: Ask,
) -> Result<Response, PageError> {
    let session = if ask.force_authn {
        None
    } else {
        sso_session::read_current(state, headers)
    };
    if let Some(current) = session {
        let s = &current.session;
        audit::login(state, origin, &page, sp, &s.user_id, "ok_session");
        let mut r = post_to_acs(
            state,
            origin,
            &page,
            sp,
            &pending,
            Outcome::Success(s.clone()),
        )
        .await;
        if r.status().is_success() {
            sso_session::touch(state, &mut r, origin, &current);
        }
        return Ok(r);
    }
    if ask.is_passive {
        audit::login(state, origin, &page, sp, "", "no_passive");
        return Ok(post_to_acs(
            state,
            origin,
            &page,
            sp,
            &pending,
            Outcome::Failure(Status::NoPassive),
        )
        .await);
    }
    let (browser, new_browser) = form_guard::browser_id(headers);
    pending.b = browser;
    pending.n = form_guard::new_form_id();
    let sealed = state
        .sealer
        .seal(STATE_PURPOSE, &pending)
        .map_err(PageError::internal)?;
    let mut r = render_form(
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
    );
    if new_browser {
        form_guard::set_browser_cookie(&mut r, origin, &pending.b);
    }
    Ok(r)
}
