//! The SSO endpoint `/ICNotifierIDP/login?loginType=saml`: taking in an AuthnRequest.
//!
//! Owns the entry of a login: checking `loginType`, decoding the request from either binding,
//! validating it (protocol checks in `saml::authn_request`, the SP and ACS in `sp::Registry`),
//! sealing the pending login into the form, and showing the credential form in the user's
//! language. What happens when the form comes back is `credentials`' job.

use super::answer::{post_to_acs, Outcome};
use super::credentials;
use super::ops::css_url;
use super::pages::{html, login_csp, reference_text, LoginPage, Page, PageError, LOGIN_SCRIPT};
use super::receive::{receive, split};
use super::remap::Origin;
use super::{audit, cookies, form_guard, reference, sso_session, way_back, AppState};
use crate::i18n::{negotiate::negotiate, Lang};
use crate::saml::authn_request::AuthnRequest;
use crate::saml::inbound::{BindingKind, Params};
use crate::saml::response::Status;
use crate::sp::{DisplayName, ServiceProvider};
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

/// Form parameters of the credential form, first value of each name wins.
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
        home: way_back::home(state, origin, headers),
    }
}

/// Languages for the picker: (tag, name in itself).
pub fn languages() -> Vec<(&'static str, &'static str)> {
    Lang::all().map(|l| (l.tag(), l.name())).collect()
}

pub struct FormView<'a> {
    pub pending_sealed: &'a str,
    pub sp: &'a str,
    pub sp_name: &'a DisplayName,
    pub user_id: &'a str,
    pub error: Option<String>,
    /// The message is about the user ID and password (they get `aria-invalid`).
    pub error_fields: bool,
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
    let (sp_name, sp_name_lang) = v.sp_name.for_lang(lang, state.default_lang);
    let reference = v
        .error
        .as_ref()
        .map(|_| reference_text(lang, &reference::current()));
    let mut r = html(
        status,
        &LoginPage {
            intro: {
                let text = lang.t("login.intro");
                let (before, after) = text.split_once("{sp}").unwrap_or((text, ""));
                (before, sp_name, after)
            },
            sp_name_lang,
            error: v.error,
            error_fields: v.error_fields,
            reference,
            action: &action,
            state: v.pending_sealed,
            sp: v.sp,
            user_id: v.user_id,
            languages: languages(),
            script: LOGIN_SCRIPT,
            page,
        },
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(login_csp()) {
        r.headers_mut()
            .insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

pub async fn login_get(
    State(state): State<Arc<AppState>>,
    origin: Origin,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let raw = query.unwrap_or_default();
    let page = page_for(&state, Some(&origin), &headers, None);
    let q = match split(raw.as_bytes()) {
        Ok(q) => q,
        Err(e) => return e.on(&page).into_response(),
    };
    let r = if q.saml("SAMLRequest").is_none() && q.get("sp").is_some() {
        idp_initiated(&state, &origin, &headers, page.clone(), &q).await
    } else {
        start(
            &state,
            &origin,
            &headers,
            page.clone(),
            &q,
            q.get("loginType"),
            BindingKind::Redirect,
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
    let page = page_for(&state, Some(&origin), &headers, None);
    let form = match split(&body) {
        Ok(f) => f,
        Err(e) => return e.on(&page).into_response(),
    };
    // loginType travels in the query string of the form's action.
    let query = url::form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "loginType")
        .map(|(_, v)| v.into_owned());
    let login_type = form.get("loginType").or(query.as_deref());
    if form.saml("SAMLRequest").is_some() {
        return start(
            &state,
            &origin,
            &headers,
            page.clone(),
            &form,
            login_type,
            BindingKind::Post,
        )
        .await
        .unwrap_or_else(|e| e.on(&page).into_response());
    }
    if form.get("state").is_some() {
        return credentials::handle(&state, &origin, &headers, form.others()).await;
    }
    PageError::bad_request("the request carries neither a SAMLRequest nor a sign-in form")
        .on(&page)
        .into_response()
}

fn check_login_type(login_type: Option<&str>) -> Result<(), PageError> {
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
    q: &Params<'_>,
    login_type: Option<&str>,
    binding: BindingKind,
) -> Result<Response, PageError> {
    check_login_type(login_type)?;
    let endpoint = state.sso_url(&origin.base);
    let (_, received) = receive::<AuthnRequest>(state, origin, q, binding, &endpoint, |sp| {
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
    let pending = Pending {
        rid: Some(req.id.clone()),
        sp: sp.entity_id.clone(),
        acs,
        rs: received.relay_state,
        n: String::new(),
        b: String::new(),
    };
    let ask = Ask {
        force_authn: req.force_authn,
        is_passive: req.is_passive,
    };
    tracing::debug!(sp = %sp.entity_id, request = %req.id, client = %origin.client_ip, signed = received.signed, "AuthnRequest accepted");
    proceed(state, origin, headers, page, &sp, pending, ask).await
}

/// `…/login?loginType=saml&sp=<entity ID or alias>[&RelayState=…]`: an unsolicited Response
/// to the SP's default ACS, after the form or through the SSO session.
async fn idp_initiated(
    state: &Arc<AppState>,
    origin: &Origin,
    headers: &HeaderMap,
    page: Page,
    q: &Params<'_>,
) -> Result<Response, PageError> {
    check_login_type(q.get("loginType"))?;
    let name = q.get("sp").unwrap_or("");
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
        rs: q.relay_state().map(str::to_string),
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
            error_fields: false,
        },
    );
    if new_browser {
        form_guard::set_browser_cookie(&mut r, origin, &pending.b);
    }
    Ok(r)
}
