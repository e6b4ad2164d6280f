//! Signed request IDs already received, so that a captured signed request cannot be used twice.
//!
//! Owns a bounded table of (Issuer, ID) → the time until which the entry must be kept (the
//! caller's choice: the web layer keeps it past the clock-skew check for as long as a form of
//! the request lives, see `web::receive`); after that the entry can go. Per
//! instance: the shared-state work puts the same table in the pair's shared store. Beyond
//! the bound, expired entries go first, then those closest to expiry.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

pub struct SeenIds {
    seen: Mutex<HashMap<(String, String), i64>>,
    cap: usize,
}

impl SeenIds {
    pub fn new(cap: usize) -> Self {
        SeenIds {
            seen: Mutex::new(HashMap::new()),
            cap: cap.max(2),
        }
    }

    /// Records `id` from `issuer` as used until `until`; `false` if it already was.
    pub fn first_use(
        &self,
        issuer: &str,
        id: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        let (now, until) = (now.timestamp(), until.timestamp());
        let mut m = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let key = (issuer.to_string(), id.to_string());
        if m.get(&key).is_some_and(|t| *t >= now) {
            return false;
        }
        if m.len() >= self.cap {
            m.retain(|_, t| *t >= now);
            if m.len() >= self.cap {
                let mut ends: Vec<i64> = m.values().copied().collect();
                let k = (self.cap / 10).max(1).min(ends.len() - 1);
                ends.select_nth_unstable(k);
                let cutoff = ends[k];
                m.retain(|_, t| *t > cutoff);
            }
        }
        m.insert(key, until);
        true
    }

    /// Whether `id` from `issuer` is recorded and not yet expired at `now` (records nothing).
    pub fn is_seen(&self, issuer: &str, id: &str, now: DateTime<Utc>) -> bool {
        let m = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        m.get(&(issuer.to_string(), id.to_string()))
            .is_some_and(|t| *t >= now.timestamp())
    }

    pub fn len(&self) -> usize {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_used_once_per_issuer_until_it_expires_and_the_table_stays_bounded() {
        let s = SeenIds::new(100);
        let now = Utc::now();
        let until = now + chrono::Duration::minutes(5);
        assert!(s.first_use("urn:a", "_1", until, now));
        assert!(!s.first_use("urn:a", "_1", until, now));
        assert!(s.first_use("urn:b", "_1", until, now), "another SP's ID");
        let later = until + chrono::Duration::seconds(1);
        assert!(s.first_use("urn:a", "_1", later, later), "expired entry");
        for i in 0..1000 {
            assert!(s.first_use("urn:a", &format!("_{i}x"), until, now));
        }
        assert!(s.len() <= 100);
    }

    #[test]
    fn is_seen_reads_what_first_use_recorded_without_recording() {
        let s = SeenIds::new(100);
        let now = Utc::now();
        let until = now + chrono::Duration::minutes(5);
        assert!(!s.is_seen("urn:a", "_1", now));
        assert!(
            s.first_use("urn:a", "_1", until, now),
            "the read recorded nothing"
        );
        assert!(s.is_seen("urn:a", "_1", now));
        assert!(!s.is_seen("urn:b", "_1", now), "another SP's ID");
        assert!(!s.is_seen("urn:a", "_1", until + chrono::Duration::seconds(1)));
    }
}
