//! The SSO endpoint `/ICNotifierIDP/login?loginType=saml`: where every login enters.
//!
//! Owns telling the kinds of request apart — an AuthnRequest by HTTP-Redirect (GET) or
//! HTTP-POST, an IdP-initiated start (`sp=`), a credential form coming back — and handing each
//! to its stage (see `login` for the stages). Nothing is checked here that a stage checks.

use super::credentials;
use super::login::Cx;
use super::origin::Origin;
use super::pages::PageError;
use super::params::{split, typed, CredentialForm, LoginQuery};
use super::proceed::proceed;
use super::state::AppState;
use super::validate;
use crate::saml::inbound::BindingKind;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

pub async fn login_get(
    State(state): State<Arc<AppState>>,
    origin: Origin,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let raw = query.unwrap_or_default();
    let cx = Cx::new(&state, &origin, &headers, None);
    let r = async {
        let params = split(raw.as_bytes())?;
        let query: LoginQuery = typed(params.others())?;
        if let Some(sealed) = query.state.as_deref() {
            return super::windows::form_only(&cx, sealed).await;
        }
        let login = if params.saml("SAMLRequest").is_none() && query.sp.is_some() {
            validate::idp_initiated(&cx, &params, &query)?
        } else {
            validate::authn_request(
                &cx,
                &params,
                query.login_type.as_deref(),
                BindingKind::Redirect,
            )
            .await?
        };
        proceed(&cx, login).await
    };
    r.await.unwrap_or_else(|e| e.on(&cx.page).into_response())
}

pub async fn login_post(
    State(state): State<Arc<AppState>>,
    origin: Origin,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let cx = Cx::new(&state, &origin, &headers, None);
    let r = async {
        let params = split(&body)?;
        let form: CredentialForm = typed(params.others())?;
        if params.saml("SAMLRequest").is_some() {
            // loginType travels in the query string of the form's action.
            let query = url::form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
                .find(|(k, _)| k == "loginType")
                .map(|(_, v)| v.into_owned());
            let login_type = form.login_type.as_deref().or(query.as_deref());
            let login =
                validate::authn_request(&cx, &params, login_type, BindingKind::Post).await?;
            return proceed(&cx, login).await;
        }
        if form.state.is_some() {
            return Ok(credentials::handle(&state, &origin, &headers, form).await);
        }
        Err(PageError::bad_request(
            "the request carries neither a SAMLRequest nor a sign-in form",
        ))
    };
    r.await.unwrap_or_else(|e| e.on(&cx.page).into_response())
}
