//! Revoked SSO sessions: a session that signed out stays out, whoever holds a copy of its cookie.
//!
//! Owns the record of sessions ended by a logout (the sign-out link or Single Logout), by their
//! SessionIndex, each kept until the session would have expired anyway. [`Revocations`] is the
//! seam a store shared by a pair of servers can implement; [`MemoryRevocations`] keeps the
//! record on this instance only, bounded: when full of live entries it forgets those closest to
//! their end (the session's own lifetime still ends a copy then).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

pub trait Revocations: Send + Sync {
    /// Ends session `session_index` until `until` (seconds since the epoch).
    fn revoke(&self, session_index: &str, until: i64);
    /// Whether session `session_index` was ended, at `now` (seconds since the epoch).
    fn is_revoked(&self, session_index: &str, now: i64) -> bool;
}

pub struct MemoryRevocations {
    ended: Mutex<HashMap<String, i64>>,
    /// Whether anything was ever revoked: until then a lookup takes no lock.
    any: AtomicBool,
    cap: usize,
}

impl MemoryRevocations {
    pub fn new(cap: usize) -> Self {
        MemoryRevocations {
            ended: Mutex::new(HashMap::new()),
            any: AtomicBool::new(false),
            cap: cap.max(1),
        }
    }
}

impl MemoryRevocations {
    /// The revocations still live at `now`: what a shared store is given back after a reset.
    pub fn entries(&self, now: i64) -> Vec<(String, i64)> {
        let m = self.ended.lock().unwrap_or_else(|p| p.into_inner());
        m.iter()
            .filter(|(_, u)| **u >= now)
            .map(|(k, u)| (k.clone(), *u))
            .collect()
    }
}

impl Revocations for MemoryRevocations {
    fn revoke(&self, session_index: &str, until: i64) {
        let now = chrono::Utc::now().timestamp();
        let mut m = self.ended.lock().unwrap_or_else(|p| p.into_inner());
        if m.len() >= self.cap {
            m.retain(|_, u| *u > now);
            if m.len() >= self.cap {
                let mut ends: Vec<i64> = m.values().copied().collect();
                let k = (self.cap / 10).clamp(1, ends.len()) - 1;
                ends.select_nth_unstable(k);
                let cutoff = ends[k];
                m.retain(|_, u| *u > cutoff);
            }
        }
        m.insert(session_index.to_string(), until);
        self.any.store(true, Ordering::Release);
    }

    fn is_revoked(&self, session_index: &str, now: i64) -> bool {
        if !self.any.load(Ordering::Acquire) {
            return false;
        }
        let m = self.ended.lock().unwrap_or_else(|p| p.into_inner());
        m.get(session_index).is_some_and(|u| *u >= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revoked_until_the_end_and_bounded() {
        let r = MemoryRevocations::new(100);
        let now = chrono::Utc::now().timestamp();
        assert!(!r.is_revoked("a", now));
        r.revoke("a", now + 60);
        assert!(r.is_revoked("a", now));
        assert!(
            !r.is_revoked("a", now + 61),
            "forgotten once the session would have ended"
        );
        assert!(!r.is_revoked("b", now));
        for i in 0..1000 {
            r.revoke(&format!("s{i}"), now + 1000 + i);
        }
        assert!(r.ended.lock().unwrap().len() <= 100);
        assert!(r.is_revoked("s999", now), "the latest are kept");
    }
}
