//! The known-browser token (a device cookie): proof that a user signed in from this browser.
//!
//! Owns the `idp_known` cookie: sealed with its own purpose, set after a successful sign-in,
//! long-lived (`throttle.known_browser_lifetime`, 0 turns it off), and listing up to
//! [`MAX_USERS`] users (agents share workstations) each with a random identifier and when they
//! last signed in here. The throttle gives a browser that presents an entry for the user ID
//! being tried a budget of its own instead of that user's lock (see `crate::throttle`), so an
//! attacker without this browser cannot keep its user out. The cookie says nothing on its own:
//! it never signs anyone in.

use super::cookies;
use super::origin::PublicBase;
use super::state::AppState;
use crate::throttle::fold;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};

pub const KNOWN_COOKIE: &str = "idp_known";
const KNOWN_PURPOSE: &str = "pureconnect-idp/known-browser/v1";
/// Users one browser is known for; the one signed in longest ago goes first beyond it.
pub const MAX_USERS: usize = 8;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Known {
    /// The user ID, case-folded.
    u: String,
    /// A random identifier of this user on this browser: the key of its budget.
    i: String,
    /// The last sign-in here (seconds since the epoch).
    t: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Token {
    e: Vec<Known>,
}

fn lifetime(state: &AppState) -> i64 {
    i64::try_from(state.config.throttle.known_browser_lifetime.as_secs()).unwrap_or(i64::MAX)
}

fn read(state: &AppState, headers: &HeaderMap) -> Token {
    let max_age = lifetime(state);
    if max_age == 0 {
        return Token::default();
    }
    let Some(v) = cookies::get(headers, KNOWN_COOKIE) else {
        return Token::default();
    };
    let mut t: Token = state
        .sealer
        .unseal(KNOWN_PURPOSE, v, max_age)
        .unwrap_or_default();
    let now = chrono::Utc::now().timestamp();
    t.e.retain(|k| now.saturating_sub(k.t) <= max_age);
    t
}

/// The identifier this browser holds for `user`, if it is known for that user.
pub fn id_for(state: &AppState, headers: &HeaderMap, user: &str) -> Option<String> {
    let user = fold(user);
    read(state, headers)
        .e
        .into_iter()
        .find(|k| k.u == user)
        .map(|k| k.i)
}

/// After a successful sign-in of `user`: this browser is known for it (again, from now).
pub fn remember(
    state: &AppState,
    r: &mut Response,
    base: &PublicBase,
    headers: &HeaderMap,
    user: &str,
) {
    let max_age = lifetime(state);
    if max_age == 0 {
        return;
    }
    let user = fold(user);
    let mut t = read(state, headers);
    let id = match t.e.iter().position(|k| k.u == user) {
        Some(p) => t.e.remove(p).i,
        None => super::form_guard::new_form_id(),
    };
    t.e.insert(
        0,
        Known {
            u: user,
            i: id,
            t: chrono::Utc::now().timestamp(),
        },
    );
    t.e.truncate(MAX_USERS);
    match state.sealer.seal(KNOWN_PURPOSE, &t) {
        Ok(v) => cookies::set(r, base, KNOWN_COOKIE, &v, u64::try_from(max_age).ok()),
        Err(e) => tracing::error!("could not seal the known-browser token: {e}"),
    }
}
