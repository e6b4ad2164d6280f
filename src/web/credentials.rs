//! The authenticate stage: the credential form comes back with the sealed pending login.
//!
//! Owns what the user's buttons do — Log On (check the credentials with the backend, answer
//! with a signed Response), Cancel (answer AuthnFailed), change language (show the form again)
//! — and mapping each backend outcome to its page. Audit events for every attempt go to the
//! `audit` target; the password is never logged.

use super::answer::{post_to_acs, Outcome};
use super::cookies;
use super::form_guard;
use super::known_browser;
use super::language::LANG_COOKIE;
use super::login::{Ask, Cx, Login};
use super::login_form::{self, FormView, MAX_USER_ID};
use super::origin::Origin;
use super::pages::PageError;
use super::params::CredentialForm;
use super::pending::Pending;
use super::sso_session::{self, SsoSession};
use super::state::AppState;
use crate::backend::AuthError;
use crate::saml::response::Status;
use crate::session::SealError;
use crate::windows::account::FormName;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use std::sync::Arc;

pub const MAX_PASSWORD: usize = 1024;

/// A link back to the SP (the origin of its default ACS), for "start again".
fn sp_home(state: &AppState, sp_id: Option<&str>) -> Option<String> {
    let sp = state.sps.get(sp_id?)?;
    if sp.relative_acs {
        return None;
    }
    let u = url::Url::parse(sp.acs_urls.first()?).ok()?;
    Some(u.origin().ascii_serialization())
}

/// The form as it came back: the login it continues and the token that carried it.
struct Returned<'f> {
    login: Login,
    sealed: &'f str,
    form: &'f CredentialForm,
}

pub async fn handle(
    state: &Arc<AppState>,
    origin: &Origin,
    headers: &HeaderMap,
    form: CredentialForm,
) -> Response {
    let action = form.action.as_deref().unwrap_or("login");
    let picked = if action == "language" {
        form.pick_lang.as_deref()
    } else {
        form.lang.as_deref()
    };
    let cx = Cx::new(state, origin, headers, picked);
    let back = match resume(&cx, &form).await {
        Ok(b) => b,
        Err(page) => return page.on(&cx.page).into_response(),
    };
    match action {
        "cancel" => {
            if !state.store.claim_form(&back.login.pending.form_id).await {
                return PageError::new(StatusCode::BAD_REQUEST, "error.form_used")
                    .on(&cx.page)
                    .into_response();
            }
            cx.audit(&back.login.sp, "", "cancelled");
            post_to_acs(&cx, &back.login, Outcome::Failure(Status::AuthnFailed)).await
        }
        "language" => {
            let mut r = form_again(&cx, &back, None, StatusCode::OK);
            cookies::set(
                &mut r,
                &origin.base,
                LANG_COOKIE,
                cx.page.lang.tag(),
                Some(31_536_000),
            );
            r
        }
        _ => authenticate(&cx, &back).await,
    }
}

/// The pending login of a returned form, if the form is ours, young enough, shown to this
/// browser, not already used, and for an SP still configured.
async fn resume<'f>(cx: &Cx<'_>, form: &'f CredentialForm) -> Result<Returned<'f>, PageError> {
    let (state, origin) = (cx.state, cx.origin);
    let sealed = form.state.as_deref().unwrap_or("");
    let max_age = i64::try_from(state.config.session.login_timeout.as_secs()).unwrap_or(600);
    let pending = Pending::unseal(&state.sealer, sealed, max_age).map_err(|e| {
        let why = match e {
            SealError::Expired => "the sign-in form was open too long",
            SealError::Forged => {
                "the sign-in form was made by a server with another session secret, or altered"
            }
            _ => "the sign-in form's state is malformed",
        };
        tracing::info!(client = %origin.client_ip, "refused a credential POST: {why}");
        PageError::new(StatusCode::BAD_REQUEST, "error.session_expired")
            .detail(why)
            .again(sp_home(state, form.sp.as_deref()))
    })?;
    if !form_guard::same_browser(cx.headers, &pending.browser) {
        tracing::info!(client = %origin.client_ip, "refused a credential POST without the cookie of the browser the form was shown to");
        return Err(PageError::new(StatusCode::BAD_REQUEST, "error.cookies")
            .detail("the idp_browser cookie is missing or does not match the form")
            .again(sp_home(state, Some(&pending.sp))));
    }
    if state.store.form_used(&pending.form_id).await {
        tracing::info!(client = %origin.client_ip, "refused a credential POST for a form that already ended");
        return Err(PageError::new(StatusCode::BAD_REQUEST, "error.form_used")
            .again(sp_home(state, Some(&pending.sp))));
    }
    // The form of a challenge pass, whose signed request was answered since by another pass.
    super::receive::check_unanswered(state, origin, &pending).await?;
    let Some(sp) = state.sps.get(&pending.sp) else {
        return Err(PageError::bad_request(
            "the service provider of this sign-in is no longer configured",
        ));
    };
    Ok(Returned {
        login: Login {
            sp,
            pending,
            ask: Ask::default(),
        },
        sealed,
        form,
    })
}

/// The form again, with the user ID kept and an optional message.
fn form_again(
    cx: &Cx<'_>,
    back: &Returned<'_>,
    error_key: Option<&str>,
    status: StatusCode,
) -> Response {
    login_form::render(
        cx,
        status,
        FormView {
            sealed: back.sealed,
            sp: &back.login.sp,
            user_id: &back.form.user_id,
            error: error_key,
            count: None,
        },
    )
}

/// What the throttle counts an attempt for `user` against: the Windows account it names when
/// the form reads Windows names (one key for all its spellings), else the user ID as typed
/// (the store folds case). A name refused as a Windows account never reaches the directory.
fn throttle_key(state: &AppState, user: &str) -> String {
    match state.windows.as_ref().map(|w| w.form_name(user)) {
        Some(FormName::Windows(nt)) => nt.throttle_key(),
        _ => user.to_string(),
    }
}

async fn authenticate(cx: &Cx<'_>, back: &Returned<'_>) -> Response {
    let (state, origin, page) = (cx.state, cx.origin, &cx.page);
    let (login, sp) = (&back.login, &back.login.sp);
    let user = back.form.user_id.trim();
    let password = &back.form.password;
    if user.len() > MAX_USER_ID || password.expose_secret().len() > MAX_PASSWORD {
        return PageError::bad_request("the user ID or password is longer than allowed")
            .on(page)
            .into_response();
    }
    if user.is_empty() || password.expose_secret().is_empty() {
        return form_again(cx, back, Some("error.missing_fields"), StatusCode::OK);
    }
    // The attempt is counted before the backend sees it, and settled after: parallel guesses
    // cannot get past the budget. Dropped unsettled (no verdict), it is released.
    let key = throttle_key(state, user);
    let known = known_browser::id_for(state, cx.headers, &key);
    let ticket = match state
        .store
        .reserve(&key, origin.client_ip, known.as_deref())
        .await
    {
        Ok(t) => t,
        Err(refusal) => {
            cx.audit(sp, user, "throttled");
            state.metrics.throttled();
            // The form again, with the time left: once it has passed, Log On works as before.
            let minutes = refusal.retry_after.as_secs().div_ceil(60).max(1);
            let mut r = login_form::render(
                cx,
                StatusCode::TOO_MANY_REQUESTS,
                FormView {
                    sealed: back.sealed,
                    sp: &back.login.sp,
                    user_id: &back.form.user_id,
                    error: Some("error.too_many_attempts"),
                    count: Some(minutes),
                },
            );
            if let Ok(v) = refusal.retry_after.as_secs().max(1).to_string().parse() {
                r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
            return r;
        }
    };
    let started = std::time::Instant::now();
    let outcome = super::windows::authenticate(state, user, password, page.lang.tag()).await;
    state.metrics.backend_latency.observe(started.elapsed());
    match outcome {
        Ok(p) => {
            ticket.succeeded().await;
            if !state.store.claim_form(&login.pending.form_id).await {
                return PageError::new(StatusCode::BAD_REQUEST, "error.form_used")
                    .on(page)
                    .into_response();
            }
            cx.audit(sp, &p.user_id, "ok");
            let session = SsoSession::new(&p, &login.pending.browser);
            let mut r = post_to_acs(cx, login, Outcome::Success(session.clone())).await;
            if r.status().is_success() {
                sso_session::store(state, &mut r, &origin.base, &session);
                known_browser::remember(state, &mut r, &origin.base, cx.headers, &key);
            }
            r
        }
        Err(AuthError::BadCredentials) => {
            ticket.failed().await;
            cx.audit(sp, user, "bad_credentials");
            form_again(cx, back, Some("error.bad_credentials"), StatusCode::OK)
        }
        Err(AuthError::Unavailable(why)) => {
            tracing::error!(
                backend = state.backend.kind(),
                "credential backend unavailable: {why}"
            );
            cx.audit(sp, user, "backend_unavailable");
            form_again(
                cx,
                back,
                Some("error.backend_unavailable"),
                StatusCode::SERVICE_UNAVAILABLE,
            )
        }
        Err(AuthError::Busy) => {
            tracing::warn!(
                backend = state.backend.kind(),
                "credential check refused: too many sign-ins at once"
            );
            cx.audit(sp, user, "busy");
            let mut r = form_again(
                cx,
                back,
                Some("error.login_busy"),
                StatusCode::SERVICE_UNAVAILABLE,
            );
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(super::pages::BUSY_RETRY_AFTER),
            );
            r
        }
        Err(AuthError::NoEmail) => {
            cx.audit(sp, user, "no_email");
            PageError::new(StatusCode::FORBIDDEN, "error.no_email")
                .again(sp_home(state, Some(&sp.entity_id)))
                .on(page)
                .into_response()
        }
        Err(AuthError::NotLinked(why)) => {
            // The right Windows password of an unlinked account: released, neither a failure
            // nor a success (docs/windows.md says what the page tells a guesser).
            tracing::warn!("Windows sign-in: {why}");
            cx.audit(sp, user, "not_linked");
            super::windows::not_linked_page(cx)
        }
        Err(AuthError::AccountProblem(why)) => {
            tracing::warn!(user = %user.chars().take(64).collect::<String>(), "account problem: {why}");
            cx.audit(sp, user, "account_problem");
            PageError::new(StatusCode::FORBIDDEN, "error.account_problem")
                .again(sp_home(state, Some(&sp.entity_id)))
                .on(page)
                .into_response()
        }
    }
}
