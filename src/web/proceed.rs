//! The stage after validation: answer from the SSO session, answer NoPassive, or show the
//! credential form.
//!
//! Owns that choice: a current SSO session answers unless the SP asked for `ForceAuthn`; with
//! `IsPassive` and no session the answer is NoPassive (never a Negotiate challenge); with
//! Windows sign-in a Negotiate token may answer (`windows`); otherwise the pending login is
//! sealed into a new form bound to this browser (answered 401 with the challenge when
//! Negotiate is on and no token came).

use super::answer::{post_to_acs, Outcome};
use super::form_guard;
use super::login::{Cx, Login};
use super::login_form::{self, FormView};
use super::pages::PageError;
use super::receive::check_unanswered;
use super::sso_session;
use super::windows::{self, Negotiated};
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
    // No form (nor challenge) for a signed request answered already: its answer would be a
    // second one.
    check_unanswered(cx.state, cx.origin, &login.pending).await?;
    let (browser, new_browser) = form_guard::browser_id(cx.headers);
    login.pending.browser = browser;
    login.pending.form_id = form_guard::new_form_id();
    let (error, challenged) = match windows::negotiate(cx, &login).await {
        Negotiated::Answer(mut r) => {
            if new_browser {
                form_guard::set_browser_cookie(&mut r, &cx.origin.base, &login.pending.browser);
            }
            return Ok(r);
        }
        Negotiated::Refused(key) => (Some(key), false),
        Negotiated::Challenge => (None, true),
        Negotiated::Off => (None, false),
    };
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
            error,
            count: None,
        },
    );
    if challenged {
        windows::challenge(&mut r);
    }
    if new_browser {
        form_guard::set_browser_cookie(&mut r, &cx.origin.base, &login.pending.browser);
    }
    Ok(r)
}
