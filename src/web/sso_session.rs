//! The SSO session: a sealed cookie that lets a signed-in user through without the form.
//!
//! Owns what the cookie holds (who signed in, when, the SAML SessionIndex), how long it is
//! good for (`session.lifetime` from sign-in, `session.idle_timeout` since its last use: the
//! seal's time is the last use), and setting and clearing it. A use seals the cookie again
//! only when its seal is [`reseal_after`] old or more (a minute, or a tenth of the idle
//! timeout when that is shorter), so a burst of logins does not pay for a new seal and a new
//! `Set-Cookie` each; the idle timeout still slides, in steps of that size: a session ends
//! between 90% of `idle_timeout` (at least `idle_timeout` less a minute) and `idle_timeout`
//! after its last use. The cookie is bound to the browser it was given to: it carries the
//! `idp_browser` value of the sign-in (see `form_guard`), and a request without that same
//! cookie is not let through, so `idp_sso` copied alone to another browser is worth nothing.
//! A logout ([`end`]) clears the cookie and revokes the session (`revoked`), so a copy of both
//! cookies no longer signs in either. Either instance of a pair accepts a cookie the other
//! made when they share `session.secret`; revocations are per instance for now.

use super::origin::PublicBase;
use super::state::AppState;
use super::{cookies, form_guard};
use crate::backend::Principal;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};

pub const SSO_COOKIE: &str = "idp_sso";
const SSO_PURPOSE: &str = "pureconnect-idp/sso-session/v1";
/// How far (seconds) the instance that made a session may be ahead of this one.
const MAX_CLOCK_AHEAD: i64 = 120;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SsoSession {
    pub user_id: String,
    pub email: String,
    pub display_name: Option<String>,
    /// When the user typed the password (seconds since the epoch).
    pub authn_instant: i64,
    /// The AuthnStatement's SessionIndex, the same in every assertion of this session.
    pub session_index: String,
    /// The `idp_browser` value of the browser it was given to.
    pub browser: String,
}

impl SsoSession {
    /// A session for `p`, in the browser whose `idp_browser` value is `browser`.
    pub fn new(p: &Principal, browser: &str) -> Self {
        SsoSession {
            user_id: p.user_id.clone(),
            email: p.email.clone(),
            display_name: p.display_name.clone(),
            authn_instant: chrono::Utc::now().timestamp(),
            session_index: crate::saml::xml::new_id(),
            browser: browser.to_string(),
        }
    }

    pub fn principal(&self) -> Principal {
        Principal {
            user_id: self.user_id.clone(),
            email: self.email.clone(),
            display_name: self.display_name.clone(),
        }
    }

    pub fn authn_time(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(self.authn_instant, 0).unwrap_or_default()
    }
}

/// Whether SSO sessions are on (`session.lifetime` of 0 turns them off).
pub fn enabled(state: &AppState) -> bool {
    !state.config.session.lifetime.is_zero()
}

/// A valid session read from the request, with the time its cookie was sealed.
#[derive(Debug, Clone)]
pub struct Current {
    pub session: SsoSession,
    /// When the cookie was last sealed (seconds since the epoch): the last recorded use.
    pub sealed_at: i64,
}

/// The valid session this request carries, if any.
pub fn read(state: &AppState, headers: &HeaderMap) -> Option<SsoSession> {
    read_current(state, headers).map(|c| c.session)
}

/// [`read`], with the time the cookie was sealed: a live session, in the browser it was given
/// to, not revoked.
pub fn read_current(state: &AppState, headers: &HeaderMap) -> Option<Current> {
    let c = read_unbound(state, headers)?;
    let live = form_guard::same_browser(headers, &c.session.browser)
        && !state
            .revoked
            .is_revoked(&c.session.session_index, chrono::Utc::now().timestamp());
    live.then_some(c)
}

/// The session the cookie holds, whichever browser sent it and revoked or not.
fn read_unbound(state: &AppState, headers: &HeaderMap) -> Option<Current> {
    if !enabled(state) {
        return None;
    }
    let token = cookies::get(headers, SSO_COOKIE)?;
    let idle = i64::try_from(state.config.session.idle_timeout.as_secs()).unwrap_or(i64::MAX);
    let (s, sealed_at): (SsoSession, i64) = state
        .sealer
        .unseal_with_time(SSO_PURPOSE, token, idle)
        .ok()?;
    let lifetime = i64::try_from(state.config.session.lifetime.as_secs()).unwrap_or(i64::MAX);
    let age = chrono::Utc::now().timestamp() - s.authn_instant;
    // A little negative age is the other instance's clock being ahead.
    (-MAX_CLOCK_AHEAD..=lifetime)
        .contains(&age)
        .then_some(Current {
            session: s,
            sealed_at,
        })
}

/// How old (seconds) a seal may get before a use seals the cookie again: a minute, or a
/// tenth of the idle timeout when that is shorter.
pub fn reseal_after(idle_timeout: std::time::Duration) -> i64 {
    i64::try_from(idle_timeout.as_secs() / 10)
        .unwrap_or(i64::MAX)
        .min(60)
}

/// After a use of the session: seals the cookie again if its seal is old enough to matter
/// for the idle timeout; otherwise the browser keeps the cookie it has.
pub fn touch(state: &AppState, r: &mut Response, base: &PublicBase, c: &Current) {
    let now = chrono::Utc::now().timestamp();
    if now - c.sealed_at >= reseal_after(state.config.session.idle_timeout) {
        store(state, r, base, &c.session);
    }
}

/// Seals the session (again) into the cookie: at sign-in, and on a use when [`touch`] says.
pub fn store(state: &AppState, r: &mut Response, base: &PublicBase, s: &SsoSession) {
    if !enabled(state) {
        return;
    }
    match state.sealer.seal(SSO_PURPOSE, s) {
        Ok(token) => cookies::set(r, base, SSO_COOKIE, &token, None),
        Err(e) => tracing::error!("could not seal the SSO session: {e}"),
    }
}

pub fn clear(r: &mut Response, base: &PublicBase) {
    cookies::clear(r, base, SSO_COOKIE);
}

/// A logout: revokes the session the request carries (until it would have expired anyway),
/// and clears its cookie.
pub fn end(state: &AppState, headers: &HeaderMap, r: &mut Response, base: &PublicBase) {
    // Only the browser the session was given to ends it: a copied `idp_sso` alone is no more
    // able to sign its owner out than to sign its holder in.
    let own = read_unbound(state, headers)
        .filter(|c| form_guard::same_browser(headers, &c.session.browser));
    if let Some(c) = own {
        let lifetime = i64::try_from(state.config.session.lifetime.as_secs()).unwrap_or(i64::MAX);
        let until = c.session.authn_instant.saturating_add(lifetime);
        state.revoked.revoke(
            &c.session.session_index,
            until.saturating_add(MAX_CLOCK_AHEAD),
        );
    }
    clear(r, base);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_seal_is_renewed_in_steps_well_inside_the_idle_timeout() {
        assert_eq!(reseal_after(Duration::from_secs(2 * 3600)), 60);
        assert_eq!(reseal_after(Duration::from_secs(300)), 30);
        assert_eq!(reseal_after(Duration::from_secs(5)), 0);
    }
}
