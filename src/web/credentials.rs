//! The credential POST: the form comes back with the sealed pending login.
//!
//! Owns what the user's buttons do — Log On (check the credentials with the backend, answer
//! with a signed Response), Cancel (answer AuthnFailed), change language (show the form again)
//! — and mapping each backend outcome to its page. Audit events for every attempt go to the
//! `audit` target; the password is never logged.

use super::answer::{post_to_acs, Outcome};
use super::pages::{Page, PageError};
use super::remap::Origin;
use super::sso::{page_for, render_form, FormView, Pending, LANG_COOKIE, STATE_PURPOSE};
use super::sso_session::{self, SsoSession};
use super::{audit, cookies, form_guard, known_browser, AppState};
use crate::backend::AuthError;
use crate::saml::response::Status;
use crate::session::SealError;
use crate::sp::ServiceProvider;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::Arc;

pub const MAX_USER_ID: usize = 256;
pub const MAX_PASSWORD: usize = 1024;
/// Seconds a browser told "busy" is asked to wait before trying again.
const BUSY_RETRY_AFTER: &str = "5";

/// A link back to the SP (the origin of its default ACS), for "start again".
fn sp_home(state: &AppState, sp_id: Option<&str>) -> Option<String> {
    let sp = state.sps.get(sp_id?)?;
    if sp.relative_acs {
        return None;
    }
    let u = url::Url::parse(sp.acs_urls.first()?).ok()?;
    Some(u.origin().ascii_serialization())
}

pub async fn handle(
    state: &Arc<AppState>,
    origin: &Origin,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Response {
    let action = form.get("action").map_or("login", String::as_str);
    let picked = if action == "language" {
        form.get("pick_lang")
    } else {
        form.get("lang")
    };
    let page = page_for(state, Some(origin), headers, picked.map(String::as_str));
    let sealed = form.get("state").map_or("", String::as_str);
    let max_age = i64::try_from(state.config.session.login_timeout.as_secs()).unwrap_or(600);
    let pending: Pending = match state.sealer.unseal(STATE_PURPOSE, sealed, max_age) {
        Ok(p) => p,
        Err(e) => {
            let why = match e {
                SealError::Expired => "the sign-in form was open too long",
                SealError::Forged => {
                    "the sign-in form was made by a server with another session secret, or altered"
                }
                _ => "the sign-in form's state is malformed",
            };
            tracing::info!(client = %origin.client_ip, "refused a credential POST: {why}");
            return PageError::new(StatusCode::BAD_REQUEST, "error.session_expired")
                .detail(why)
                .again(sp_home(state, form.get("sp").map(String::as_str)))
                .on(&page)
                .into_response();
        }
    };
    if !form_guard::same_browser(headers, &pending.b) {
        tracing::info!(client = %origin.client_ip, "refused a credential POST without the cookie of the browser the form was shown to");
        return PageError::new(StatusCode::BAD_REQUEST, "error.cookies")
            .detail("the idp_browser cookie is missing or does not match the form")
            .again(sp_home(state, Some(&pending.sp)))
            .on(&page)
            .into_response();
    }
    if state.store.form_used(&pending.n).await {
        tracing::info!(client = %origin.client_ip, "refused a credential POST for a form that already ended");
        return PageError::new(StatusCode::BAD_REQUEST, "error.form_used")
            .again(sp_home(state, Some(&pending.sp)))
            .on(&page)
            .into_response();
    }
    let Some(sp) = state.sps.get(&pending.sp) else {
        return PageError::bad_request(
            "the service provider of this sign-in is no longer configured",
        )
        .on(&page)
        .into_response();
    };
    match action {
        "cancel" => {
            if !state.store.claim_form(&pending.n).await {
                return PageError::new(StatusCode::BAD_REQUEST, "error.form_used")
                    .on(&page)
                    .into_response();
            }
            audit::login(state, origin, &page, &sp, "", "cancelled");
            post_to_acs(
                state,
                origin,
                &page,
                &sp,
                &pending,
                Outcome::Failure(Status::AuthnFailed),
            )
            .await
        }
        "language" => {
            let mut r = form_again(
                state,
                origin,
                &page,
                &sp,
                sealed,
                form,
                None,
                StatusCode::OK,
            );
            set_lang_cookie(&mut r, origin, page.lang.tag());
            r
        }
        _ => login(state, origin, &page, &sp, headers, &pending, sealed, form).await,
    }
}

#[allow(clippy::too_many_arguments)]
fn form_again(
    state: &AppState,
    origin: &Origin,
    page: &Page,
    sp: &ServiceProvider,
    sealed: &str,
    form: &HashMap<String, String>,
    error_key: Option<&str>,
    status: StatusCode,
) -> Response {
    let user_id = form.get("user_id").map_or("", String::as_str);
    render_form(
        state,
        origin,
        page.clone(),
        status,
        FormView {
            pending_sealed: sealed,
            sp: &sp.entity_id,
            sp_name: &sp.display_name,
            user_id: if user_id.len() <= MAX_USER_ID {
                user_id
            } else {
                ""
            },
            error: error_key.map(|k| page.lang.t(k).to_string()),
        },
    )
}

fn set_lang_cookie(r: &mut Response, origin: &Origin, tag: &str) {
    cookies::set(r, origin, LANG_COOKIE, tag, Some(31_536_000));
}

#[allow(clippy::too_many_arguments)]
async fn login(
    state: &Arc<AppState>,
    origin: &Origin,
    page: &Page,
    sp: &Arc<ServiceProvider>,
    headers: &HeaderMap,
    pending: &Pending,
    sealed: &str,
    form: &HashMap<String, String>,
) -> Response {
    let user = form.get("user_id").map_or("", |s| s.trim());
    let password = form.get("password").map_or("", String::as_str);
    if user.len() > MAX_USER_ID || password.len() > MAX_PASSWORD {
        return PageError::bad_request("the user ID or password is longer than allowed")
            .on(page)
            .into_response();
    }
    if user.is_empty() || password.is_empty() {
        return form_again(
            state,
            origin,
            page,
            sp,
            sealed,
            form,
            Some("error.missing_fields"),
            StatusCode::OK,
        );
    }
    // The attempt is counted before the backend sees it, and settled after: parallel guesses
    // cannot get past the budget. Dropped unsettled (no verdict), it is released.
    let known = known_browser::id_for(state, headers, user);
    let ticket = match state
        .store
        .reserve(user, origin.client_ip, known.as_deref())
        .await
    {
        Ok(t) => t,
        Err(refusal) => {
            audit::login(state, origin, page, sp, user, "throttled");
            state.metrics.throttled();
            let minutes = refusal.retry_after.as_secs().div_ceil(60).max(1);
            let mut r = PageError::new(StatusCode::TOO_MANY_REQUESTS, "error.too_many_attempts")
                .arg("minutes", minutes.to_string())
                .on(page)
                .into_response();
            if let Ok(v) = refusal.retry_after.as_secs().max(1).to_string().parse() {
                r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
            return r;
        }
    };
    let secret = SecretString::from(password.to_string());
    let started = std::time::Instant::now();
    let outcome = state
        .backend
        .authenticate(user, &secret, page.lang.tag())
        .await;
    state.metrics.backend_latency.observe(started.elapsed());
    match outcome {
        Ok(p) => {
            ticket.succeeded().await;
            if !state.store.claim_form(&pending.n).await {
                return PageError::new(StatusCode::BAD_REQUEST, "error.form_used")
                    .on(page)
                    .into_response();
            }
            audit::login(state, origin, page, sp, &p.user_id, "ok");
            let session = SsoSession::new(&p, &pending.b);
            let mut r = post_to_acs(
                state,
                origin,
                page,
                sp,
                pending,
                Outcome::Success(session.clone()),
            )
            .await;
            if r.status().is_success() {
                sso_session::store(state, &mut r, origin, &session);
                known_browser::remember(state, &mut r, origin, headers, user);
            }
            r
        }
        Err(AuthError::BadCredentials) => {
            ticket.failed().await;
            audit::login(state, origin, page, sp, user, "bad_credentials");
            form_again(
                state,
                origin,
                page,
                sp,
                sealed,
                form,
                Some("error.bad_credentials"),
                StatusCode::OK,
            )
        }
        Err(AuthError::Unavailable(why)) => {
            tracing::error!(
                backend = state.backend.kind(),
                "credential backend unavailable: {why}"
            );
            audit::login(state, origin, page, sp, user, "backend_unavailable");
            form_again(
                state,
                origin,
                page,
                sp,
                sealed,
                form,
                Some("error.backend_unavailable"),
                StatusCode::SERVICE_UNAVAILABLE,
            )
        }
        Err(AuthError::Busy) => {
            tracing::warn!(
                backend = state.backend.kind(),
                "credential check refused: too many sign-ins at once"
            );
            audit::login(state, origin, page, sp, user, "busy");
            let mut r = form_again(
                state,
                origin,
                page,
                sp,
                sealed,
                form,
                Some("error.login_busy"),
                StatusCode::SERVICE_UNAVAILABLE,
            );
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(BUSY_RETRY_AFTER),
            );
            r
        }
        Err(AuthError::NoEmail) => {
            audit::login(state, origin, page, sp, user, "no_email");
            PageError::new(StatusCode::FORBIDDEN, "error.no_email")
                .again(sp_home(state, Some(&sp.entity_id)))
                .on(page)
                .into_response()
        }
        Err(AuthError::AccountProblem(why)) => {
            tracing::warn!(user = %user.chars().take(64).collect::<String>(), "account problem: {why}");
            audit::login(state, origin, page, sp, user, "account_problem");
            PageError::new(StatusCode::FORBIDDEN, "error.account_problem")
                .again(sp_home(state, Some(&sp.entity_id)))
                .on(page)
                .into_response()
        }
    }
}
