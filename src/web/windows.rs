//! Windows sign-in on the HTTP surface: the Negotiate challenge and its answer, the Windows
//! password on the form, and the pages only Windows sign-in has.
//!
//! Owns: answering a login that has no SSO session with `401` + `WWW-Authenticate: Negotiate`
//! (the form as the body, so a browser that does not negotiate shows it); taking the token of
//! the retry (a valid one signs in, audit `ok_windows`; an invalid, expired, replayed, NTLM or
//! foreign-realm one gets the form with a message, never another challenge); routing a
//! `DOMAIN\user` or `user@domain` typed on the form to the directory; the "sign in with a
//! different account" link, which shows the form without Negotiate; the not-linked page. The
//! Kerberos, LDAP and mapping work is `crate::windows`'s.
//!
//! The challenged request comes back with the token, and a browser sends the very same
//! AuthnRequest again; the challenge pass therefore does not record its signed request ID on
//! receipt ([`records_request_ids`]): the retry records it, and when the challenge pass is
//! answered itself (SSO session, NoPassive) or its form is posted, the answer records it
//! (`web::receive::record_answer`). Either way a signed request is answered once.

use super::answer::{post_to_acs, Outcome};
use super::login::{Cx, Login};
use super::login_form::{self, FormView};
use super::pages::PageError;
use super::pending::Pending;
use super::sso_session::{self, SsoSession};
use super::state::AppState;
use crate::backend::{AuthError, Principal};
use crate::windows::account::FormName;
use crate::windows::{ldap::LdapError, WindowsError};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;

fn negotiates(state: &AppState) -> bool {
    state.windows.as_ref().is_some_and(|w| w.negotiates())
}

fn authorization<'a>(cx: &'a Cx<'_>) -> Option<&'a str> {
    cx.headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() > 10 && v[..10].eq_ignore_ascii_case("negotiate "))
}

/// Whether a signed request's ID is recorded as used on receipt: always, except on a pass
/// that may be answered with the Negotiate challenge (Negotiate on, no token yet), whose
/// request the browser sends again with the token. That pass leaves the recording to its
/// answer, if it gives one (`Pending::unrecorded`).
pub fn records_request_ids(cx: &Cx<'_>) -> bool {
    !(negotiates(cx.state) && authorization(cx).is_none())
}

/// What Negotiate made of this request.
pub enum Negotiated {
    /// Negotiate is off: the plain form.
    Off,
    /// No token yet: the form, answered 401 with the challenge.
    Challenge,
    /// A token that did not give a user: the form with this message, without a challenge.
    Refused(&'static str),
    /// The answer (the signed Response, or the not-linked page).
    Answer(Response),
}

/// Takes the Negotiate token of this request, if Negotiate is on. `login.pending.browser`
/// is set (the SSO session is bound to it).
pub async fn negotiate(cx: &Cx<'_>, login: &Login) -> Negotiated {
    let Some(w) = cx.state.windows.as_ref().filter(|w| w.negotiates()) else {
        return Negotiated::Off;
    };
    let Some(value) = authorization(cx) else {
        return Negotiated::Challenge;
    };
    let sp = &login.sp;
    match w.by_kerberos(value).await {
        None => Negotiated::Challenge,
        Some(Ok((p, reply))) => {
            cx.audit(sp, &p.user_id, "ok_windows");
            let mut r = signed_in(cx, login, &p).await;
            if let Some(t) = reply {
                use base64::Engine;
                let v = format!(
                    "Negotiate {}",
                    base64::engine::general_purpose::STANDARD.encode(t)
                );
                if let Ok(v) = HeaderValue::from_str(&v) {
                    r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
                }
            }
            Negotiated::Answer(r)
        }
        Some(Err(e @ (WindowsError::NotLinked(_) | WindowsError::LinkedTwice(..)))) => {
            tracing::warn!(client = %cx.origin.client_ip, "Windows sign-in: {e}");
            cx.audit(sp, "", "not_linked");
            Negotiated::Answer(not_linked_page(cx))
        }
        Some(Err(WindowsError::Backend(AuthError::Unavailable(why)))) => {
            tracing::error!("Windows sign-in: the account could not be looked up: {why}");
            cx.audit(sp, "", "backend_unavailable");
            Negotiated::Answer(
                PageError::new(StatusCode::SERVICE_UNAVAILABLE, "error.backend_unavailable")
                    .on(&cx.page)
                    .into_response(),
            )
        }
        Some(Err(WindowsError::Backend(AuthError::Busy) | WindowsError::Ldap(LdapError::Busy))) => {
            tracing::warn!("Windows sign-in refused: too many sign-ins at once");
            cx.audit(sp, "", "busy");
            let mut r = PageError::new(StatusCode::SERVICE_UNAVAILABLE, "error.login_busy")
                .on(&cx.page)
                .into_response();
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(super::pages::BUSY_RETRY_AFTER),
            );
            Negotiated::Answer(r)
        }
        Some(Err(e)) => {
            // NTLM, an invalid, expired or replayed token, a foreign realm: the log says which.
            tracing::info!(client = %cx.origin.client_ip, "Negotiate refused: {e}");
            cx.audit(sp, "", "windows_refused");
            Negotiated::Refused("error.windows_failed")
        }
    }
}

/// The signed Response for `p`, and the SSO session.
async fn signed_in(cx: &Cx<'_>, login: &Login, p: &Principal) -> Response {
    let session = SsoSession::new(p, &login.pending.browser);
    let mut r = post_to_acs(cx, login, Outcome::Success(session.clone())).await;
    if r.status().is_success() {
        sso_session::store(cx.state, &mut r, &cx.origin.base, &session);
    }
    r
}

/// Makes `r` (the form) the Negotiate challenge.
pub fn challenge(r: &mut Response) {
    *r.status_mut() = StatusCode::UNAUTHORIZED;
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Negotiate"),
    );
}

/// The credential check of the form: the directory for a Windows account name, the
/// credential backend for anything else.
pub async fn authenticate(
    state: &AppState,
    user: &str,
    password: &SecretString,
    lang: &str,
) -> Result<Principal, AuthError> {
    let Some(w) = &state.windows else {
        return state.backend.authenticate(user, password, lang).await;
    };
    match w.form_name(user) {
        FormName::Cic => state.backend.authenticate(user, password, lang).await,
        FormName::OtherDomain => Err(AuthError::BadCredentials),
        FormName::Windows(nt) => w.by_password(&nt, password).await.map_err(|e| match e {
            WindowsError::Ldap(LdapError::Unavailable(m)) => AuthError::Unavailable(m),
            // Not a verdict on the password: the throttle's reservation is released.
            WindowsError::Ldap(LdapError::Busy) => AuthError::Busy,
            WindowsError::Ldap(LdapError::Ambiguous(n)) => {
                AuthError::AccountProblem(format!("{nt} matched {n} directory entries"))
            }
            WindowsError::NotLinked(_) | WindowsError::LinkedTwice(..) => {
                AuthError::NotLinked(e.to_string())
            }
            WindowsError::Backend(a) => a,
            _ => AuthError::BadCredentials,
        }),
    }
}

/// "Your Windows account is not linked to a PureConnect user".
pub fn not_linked_page(cx: &Cx<'_>) -> Response {
    PageError::new(StatusCode::FORBIDDEN, "error.windows_not_linked")
        .on(&cx.page)
        .into_response()
}

/// The form of a sealed pending login, without Negotiate (the "different account" link).
pub async fn form_only(cx: &Cx<'_>, sealed: &str) -> Result<Response, PageError> {
    let max_age = i64::try_from(cx.state.config.session.login_timeout.as_secs()).unwrap_or(600);
    let pending = Pending::unseal(&cx.state.sealer, sealed, max_age).map_err(|_| {
        PageError::new(StatusCode::BAD_REQUEST, "error.session_expired")
            .detail("the sign-in form's state is expired or not ours")
    })?;
    let sp =
        cx.state.sps.get(&pending.sp).ok_or_else(|| {
            PageError::bad_request("the service provider is no longer configured")
        })?;
    super::receive::check_unanswered(cx.state, cx.origin, &pending).await?;
    Ok(login_form::render(
        cx,
        StatusCode::OK,
        FormView {
            sealed,
            sp: &sp,
            user_id: "",
            error: None,
            count: None,
        },
    ))
}
