//! The reference code a person reads off an error page and the helpdesk finds in the log.
//!
//! Owns one code per request, `7F3K-Q2` (six Crockford base-32 characters, 30 random bits:
//! no I, L, O or U to misread over the phone) with the minute it was made (UTC). It is made
//! the first time the request needs it — an error page, a form shown again with a message, the
//! audit line of a failed login — and every later use in that request gets the same one, so
//! the page and the log line agree. `guard` runs each request in a [`scope`]; the SSO answer
//! never asks for one, so the hot path makes none. Outside a scope each call makes a new one.

use std::cell::RefCell;
use std::future::Future;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A request's reference: its code and the time it was made (`HH:MM`, UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub code: String,
    pub time: String,
}

impl Reference {
    fn new() -> Reference {
        let bits: u32 = rand::random();
        let mut code = String::with_capacity(7);
        for i in 0..6 {
            if i == 4 {
                code.push('-');
            }
            let c = (bits >> (5 * i)) & 31;
            code.push(char::from(ALPHABET[c as usize]));
        }
        Reference {
            code,
            time: chrono::Utc::now().format("%H:%M").to_string(),
        }
    }
}

tokio::task_local! {
    static CURRENT: RefCell<Option<Reference>>;
}

/// Runs one request's handling with room for its reference.
pub async fn scope<F: Future>(f: F) -> F::Output {
    CURRENT.scope(RefCell::new(None), f).await
}

/// This request's reference (made now if it has none yet).
pub fn current() -> Reference {
    CURRENT
        .try_with(|c| c.borrow_mut().get_or_insert_with(Reference::new).clone())
        .unwrap_or_else(|_| Reference::new())
}

/// This request's reference if something already asked for one (for log lines that carry it
/// only when the page shows it).
pub fn existing() -> Option<String> {
    CURRENT
        .try_with(|c| c.borrow().as_ref().map(|r| r.code.clone()))
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_code_per_request_and_readable() {
        let (a, b) = scope(async { (current(), current()) }).await;
        assert_eq!(a, b);
        let c = scope(async { current() }).await;
        assert_ne!(
            a.code, c.code,
            "two requests, two codes (1 in 2^30 to collide)"
        );
        for r in [&a, &c] {
            assert_eq!(r.code.len(), 7);
            assert_eq!(r.code.as_bytes()[4], b'-');
            assert!(r.code.bytes().all(|b| b == b'-' || ALPHABET.contains(&b)));
            assert_eq!(r.time.len(), 5);
        }
        assert_eq!(scope(async { existing() }).await, None);
    }
}
