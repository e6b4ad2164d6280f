//! The credential POST: the form comes back with the sealed pending login.
//!
//! Owns what the user's buttons do — Log On (check the credentials with the backend, answer
//! with a signed Response), Cancel (answer AuthnFailed), change language (show the form again)
//! — and mapping each backend outcome to its page. Audit events for every attempt go to the
//! `audit` target; the password is never logged.

use super::pages::{html, AutoPostPage, Page, PageError, AUTOPOST_SCRIPT};
use super::remap::Origin;
use super::sso::{page_for, render_form, FormView, Pending, LANG_COOKIE, STATE_PURPOSE};
use super::AppState;
use crate::backend::{AuthError, Principal};
use crate::saml::response::{self, Addressing, Statement, Status};
use crate::session::SealError;
use crate::sp::ServiceProvider;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::Arc;

pub const MAX_USER_ID: usize = 256;
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
    let Some(sp) = state.sps.get(&pending.sp) else {
        return PageError::bad_request(
            "the service provider of this sign-in is no longer configured",
        )
        .on(&page)
        .into_response();
    };
    match action {
        "cancel" => {
            audit(origin, &page, &sp, "", "cancelled");
            respond(state, origin, &page, &sp, &pending, None).await
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
        _ => login(state, origin, &page, &sp, &pending, sealed, form).await,
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
    let path = url::Url::parse(origin.base.as_str())
        .map(|u| u.path().trim_end_matches('/').to_string())
        .unwrap_or_default();
    let path = if path.is_empty() {
        "/".to_string()
    } else {
        path
    };
    let secure = if origin.base.is_https() {
        "; Secure"
    } else {
        ""
    };
    let c = format!(
        "{LANG_COOKIE}={tag}; Path={path}; Max-Age=31536000; SameSite=Lax; HttpOnly{secure}"
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn audit(origin: &Origin, page: &Page, sp: &ServiceProvider, user: &str, result: &str) {
    tracing::info!(
        target: "audit",
        result,
        user = %user.chars().take(64).collect::<String>(),
        sp = %sp.entity_id,
        client_ip = %origin.client_ip,
        lang = page.lang.tag(),
        "login"
    );
}

async fn login(
    state: &Arc<AppState>,
    origin: &Origin,
    page: &Page,
    sp: &Arc<ServiceProvider>,
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
    let secret = SecretString::from(password.to_string());
    let outcome = state
        .backend
        .authenticate(user, &secret, page.lang.tag())
        .await;
    match outcome {
        Ok(p) => {
            audit(origin, page, sp, &p.user_id, "ok");
            respond(state, origin, page, sp, pending, Some(&p)).await
        }
        Err(AuthError::BadCredentials) => {
            audit(origin, page, sp, user, "bad_credentials");
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
            audit(origin, page, sp, user, "backend_unavailable");
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
        Err(AuthError::NoEmail) => {
            audit(origin, page, sp, user, "no_email");
            PageError::new(StatusCode::FORBIDDEN, "error.no_email")
                .again(sp_home(state, Some(&sp.entity_id)))
                .on(page)
                .into_response()
        }
        Err(AuthError::AccountProblem(why)) => {
            tracing::warn!(user = %user.chars().take(64).collect::<String>(), "account problem: {why}");
            audit(origin, page, sp, user, "account_problem");
            PageError::new(StatusCode::FORBIDDEN, "error.account_problem")
                .again(sp_home(state, Some(&sp.entity_id)))
                .on(page)
                .into_response()
        }
    }
}

/// Builds and signs the Response (success when `principal` is given, AuthnFailed otherwise)
/// off the async executor, and returns the auto-POST page that carries it to the ACS.
async fn respond(
    state: &Arc<AppState>,
    origin: &Origin,
    page: &Page,
    sp: &Arc<ServiceProvider>,
    pending: &Pending,
    principal: Option<&Principal>,
) -> Response {
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
    let issuer = state.entity_id(&origin.base);
    let keys = state.keys.current();
    let org = state.config.idp.organization_name.clone();
    let lifetime = state.config.idp.assertion_lifetime;
    let sp2 = sp.clone();
    let rid = pending.rid.clone();
    let acs2 = acs.clone();
    let principal = principal.cloned();
    let signed = tokio::task::spawn_blocking(move || {
        let a = Addressing {
            issuer: &issuer,
            acs: &acs2,
            in_response_to: rid.as_deref(),
        };
        match principal {
            Some(p) => {
                let mut attrs: Vec<(&str, &str)> = vec![("email", &p.email)];
                if let Some(o) = &org {
                    attrs.push(("OrganizationName", o));
                }
                if let Some(s) = &sp2.service_name {
                    attrs.push(("ServiceName", s));
                }
                if let Some(d) = &p.display_name {
                    attrs.push(("displayName", d));
                }
                let session_index = crate::saml::xml::new_id();
                let s = Statement {
                    email: &p.email,
                    audience: &sp2.audience,
                    session_index: &session_index,
                    authn_instant: chrono::Utc::now(),
                    lifetime,
                    attributes: &attrs,
                };
                response::success(&a, &s, sp2.sign, &keys.active)
            }
            None => response::failure(&a, Status::AuthnFailed, &keys.active),
        }
    })
    .await;
    let xml = match signed {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return PageError::internal(e).on(page).into_response(),
        Err(e) => return PageError::internal(e).on(page).into_response(),
    };
    let encoded = crate::saml::binding::encode_post(&xml);
    html(
        StatusCode::OK,
        &AutoPostPage {
            page: page.clone(),
            acs: &acs,
            saml_response: &encoded,
            relay_state: pending.rs.as_deref(),
            script: AUTOPOST_SCRIPT,
        },
    )
}
