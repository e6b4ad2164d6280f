//! The stage after validation: answer from the SSO session, answer NoPassive, or show the
//! credential form.
//!
//! Owns that choice: a current SSO session answers unless the SP asked for `ForceAuthn`; with
//! `IsPassive` and no session the answer is NoPassive; otherwise the pending login is sealed
//! into a new form bound to this browser.

use super::answer::{post_to_acs, Outcome};
use super::form_guard;
use super::login::{Cx, Login};
use super::login_form::{self, FormView};
use super::pages::PageError;
use super::sso_session;
use crate::saml::response::Status;
use axum::http::StatusCode;
use axum::response::Response;

pub async fn proceed(cx: &Cx<'_>, mut login: Login) -> Result<Response, PageError> {
    let session = if login.ask.force_authn {
        None
    } else {
        sso_session::read_current(cx.state, cx.headers)
    };
    if let Some(current) = session {
        let s = &current.session;
        cx.audit(&login.sp, &s.user_id, "ok_session");
        let mut r = post_to_acs(cx, &login, Outcome::Success(s.clone())).await;
        if r.status().is_success() {
            sso_session::touch(cx.state, &mut r, &cx.origin.base, &current);
        }
        return Ok(r);
    }
    if login.ask.is_passive {
        cx.audit(&login.sp, "", "no_passive");
        return Ok(post_to_acs(cx, &login, Outcome::Failure(Status::NoPassive)).await);
    }
    let (browser, new_browser) = form_guard::browser_id(cx.headers);
    login.pending.browser = browser;
    login.pending.form_id = form_guard::new_form_id();
    let sealed = login
        .pending
        .seal(&cx.state.sealer)
        .map_err(PageError::internal)?;
    let mut r = login_form::render(
        cx,
        StatusCode::OK,
        FormView {
            sealed: &sealed,
            sp: &login.sp,
            user_id: "",
            error: None,
            count: None,
        },
    );
    if new_browser {
        form_guard::set_browser_cookie(&mut r, &cx.origin.base, &login.pending.browser);
    }
    Ok(r)
}
