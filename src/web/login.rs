//! One login as a value, and the HTTP request it is being handled for.
//!
//! A login moves through named stages, each in its own module:
//!
//! ```text
//! decode → validate          validate.rs     (the AuthnRequest, or an IdP-initiated start)
//!        → session or form   proceed.rs      (SSO session, NoPassive, or the credential form)
//!        → authenticate      credentials.rs  (the form comes back; the backend decides)
//!        → assertion → sign → answer         answer.rs (the signed Response, auto-POSTed)
//! ```
//!
//! [`Login`] is what the stages hand each other; [`Cx`] is the request around it (state,
//! origin, headers, the page's language). Neither knows HTTP routes; `sso.rs` does.

use super::origin::Origin;
use super::pages::Page;
use super::pending::Pending;
use super::state::AppState;
use crate::sp::ServiceProvider;
use axum::http::HeaderMap;
use std::sync::Arc;

/// The request a login stage runs for.
pub struct Cx<'a> {
    pub state: &'a Arc<AppState>,
    pub origin: &'a Origin,
    pub headers: &'a HeaderMap,
    /// The language and stylesheet of any page this request answers with.
    pub page: Page,
}

impl<'a> Cx<'a> {
    /// The request's context, its page in the language `picked` on the form, or else the one
    /// the request asks for.
    pub fn new(
        state: &'a Arc<AppState>,
        origin: &'a Origin,
        headers: &'a HeaderMap,
        picked: Option<&str>,
    ) -> Cx<'a> {
        Cx {
            page: super::language::page_for(state, Some(origin), headers, picked),
            state,
            origin,
            headers,
        }
    }

    /// Records a login event (audit line and counters) for this request.
    pub fn audit(&self, sp: &ServiceProvider, user: &str, result: &'static str) {
        super::audit::login(self.state, self.origin, &self.page, sp, user, result);
    }
}

/// What the request asks of the user's session.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ask {
    pub force_authn: bool,
    pub is_passive: bool,
}

/// A login that has passed validation: the SP, where the answer goes, and what was asked.
pub struct Login {
    pub sp: Arc<ServiceProvider>,
    pub pending: Pending,
    pub ask: Ask,
}
