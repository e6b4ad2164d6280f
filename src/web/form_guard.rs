//! Login CSRF and replay: a sealed form is bound to the browser that opened it, and ends once.
//!
//! Owns the `idp_browser` cookie (a random value set with the first form a browser gets; the
//! sealed form state carries the same value, so a credential POST from another site, which
//! cannot read the cookie nor the state of the victim, is refused: double submit) and the
//! record of forms that have already ended in a Response, so a replayed POST after success
//! or cancel is refused. That record is in memory on this instance, bounded, and forgets a
//! form once its `session.login_timeout` has passed (after which the seal refuses it anyway).

use super::cookies;
use super::origin::PublicBase;
use axum::http::HeaderMap;
use axum::response::Response;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const BROWSER_COOKIE: &str = "idp_browser";
const ID_BYTES: usize = 16;

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut b);
    let mut s = String::with_capacity(2 * n);
    crate::saml::xml::hex_into(&mut s, &b);
    s
}

/// A new random form identifier.
pub fn new_form_id() -> String {
    random_hex(ID_BYTES)
}

/// This browser's binding value: the one it sent, or a new one (`true`: set the cookie).
pub fn browser_id(headers: &HeaderMap) -> (String, bool) {
    match cookies::get(headers, BROWSER_COOKIE) {
        Some(v) if v.len() == ID_BYTES * 2 && v.bytes().all(|c| c.is_ascii_hexdigit()) => {
            (v.to_string(), false)
        }
        _ => (random_hex(ID_BYTES), true),
    }
}

pub fn set_browser_cookie(r: &mut Response, base: &PublicBase, id: &str) {
    cookies::set(r, base, BROWSER_COOKIE, id, None);
}

/// Whether the request carries the cookie the form was bound to.
pub fn same_browser(headers: &HeaderMap, bound: &str) -> bool {
    match cookies::get(headers, BROWSER_COOKIE) {
        Some(v) => v.len() == bound.len() && openssl::memcmp::eq(v.as_bytes(), bound.as_bytes()),
        None => false,
    }
}

/// Forms that already ended, until they would have expired anyway.
pub struct UsedForms {
    seen: Mutex<HashMap<String, Instant>>,
    ttl: Duration,
    cap: usize,
}

impl UsedForms {
    pub fn new(ttl: Duration, cap: usize) -> Self {
        UsedForms {
            seen: Mutex::new(HashMap::new()),
            ttl,
            cap,
        }
    }

    pub fn is_used(&self, id: &str) -> bool {
        let m = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        m.get(id).is_some_and(|until| *until > Instant::now())
    }

    /// Marks the form used; `false` if it already was (a concurrent replay lost the race).
    pub fn claim(&self, id: &str) -> bool {
        let now = Instant::now();
        let mut m = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if m.get(id).is_some_and(|until| *until > now) {
            return false;
        }
        if m.len() >= self.cap {
            m.retain(|_, until| *until > now);
            if m.len() >= self.cap {
                // Full of live entries: forget the ones closest to expiry; the seal's own
                // age limit still bounds any replay to session.login_timeout.
                let mut ends: Vec<Instant> = m.values().copied().collect();
                let k = (self.cap / 10).max(1).min(ends.len() - 1);
                ends.select_nth_unstable(k);
                let cutoff = ends[k];
                m.retain(|_, until| *until > cutoff);
            }
        }
        m.insert(id.to_string(), now + self.ttl);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_is_claimed_once_and_the_record_stays_bounded() {
        let u = UsedForms::new(Duration::from_secs(60), 100);
        assert!(!u.is_used("a"));
        assert!(u.claim("a"));
        assert!(u.is_used("a"));
        assert!(!u.claim("a"));
        for i in 0..1000 {
            assert!(u.claim(&format!("f{i}")));
        }
        assert!(u.seen.lock().unwrap().len() <= 100);
    }

    #[test]
    fn browser_ids_are_checked_exactly() {
        let mut h = HeaderMap::new();
        let (id, new) = browser_id(&h);
        assert!(new && id.len() == 32);
        h.insert(
            "cookie",
            format!("a=b; {BROWSER_COOKIE}={id}").parse().unwrap(),
        );
        assert_eq!(browser_id(&h), (id.clone(), false));
        assert!(same_browser(&h, &id));
        assert!(!same_browser(&h, &new_form_id()));
        assert!(!same_browser(&HeaderMap::new(), &id));
    }
}
