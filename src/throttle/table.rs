//! One bounded table of attempt counts (per IP, per user and IP, per user, per known browser).
//!
//! Owns an entry's arithmetic: failures confirmed within `window`, attempts reserved and still
//! at the backend, and the refusal period (`base`, doubling with each failure beyond the
//! limit, up to `max_delay`). An attempt is admitted only when the confirmed failures plus
//! those in flight stay under the limit, so parallel guesses cannot overrun it; once the limit
//! is reached and the lock has lapsed, one attempt at a time may probe. The table is bounded:
//! a new key first pushes out what has expired, then the idle entries (unlocked, nothing in
//! flight) idle longest; a locked entry or one with attempts in flight is never pushed out, and
//! when only such entries remain the new key is refused.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

pub struct Rule {
    pub limit: u32,
    pub window: Duration,
    pub base: Duration,
    pub max_delay: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    pending: u32,
    /// The last failure (or the entry's creation).
    last: Instant,
    locked_until: Option<Instant>,
}

impl Entry {
    fn locked(&self, now: Instant) -> Option<Duration> {
        self.locked_until
            .filter(|u| *u > now)
            .map(|u| u.duration_since(now))
    }

    /// Failures still counted: forgotten `window` after the last one, unless locked.
    fn failures(&self, now: Instant, window: Duration) -> u32 {
        if self.locked(now).is_none() && now.duration_since(self.last) > window {
            0
        } else {
            self.failures
        }
    }

    fn idle(&self, now: Instant) -> bool {
        self.pending == 0 && self.locked(now).is_none()
    }
}

/// Why a key does not admit an attempt now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// Refused for this long.
    Locked(Duration),
    /// The budget is taken by attempts still at the backend, or the table is full of locked keys.
    Busy,
}

pub struct Table<K> {
    map: HashMap<K, Entry>,
    cap: usize,
    pub rule: Rule,
}

impl<K: Hash + Eq + Clone> Table<K> {
    pub fn new(cap: usize, rule: Rule) -> Self {
        Table {
            map: HashMap::new(),
            cap,
            rule,
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether `k` admits one more attempt now (nothing is changed).
    pub fn admits(&self, k: &K, now: Instant) -> Result<(), Closed> {
        let Some(e) = self.map.get(k) else {
            return if self.map.len() < self.cap || self.has_room(now) {
                Ok(())
            } else {
                Err(Closed::Busy)
            };
        };
        if let Some(d) = e.locked(now) {
            return Err(Closed::Locked(d));
        }
        let f = e.failures(now, self.rule.window);
        let open = if f < self.rule.limit {
            f + e.pending < self.rule.limit
        } else {
            e.pending == 0
        };
        if open {
            Ok(())
        } else {
            Err(Closed::Busy)
        }
    }

    /// Takes one attempt of `k`'s budget; call only after [`Table::admits`] said yes.
    pub fn reserve(&mut self, k: K, now: Instant) {
        if !self.map.contains_key(&k) && self.map.len() >= self.cap {
            self.make_room(now);
        }
        let window = self.rule.window;
        let e = self.map.entry(k).or_insert(Entry {
            failures: 0,
            pending: 0,
            last: now,
            locked_until: None,
        });
        e.failures = e.failures(now, window);
        e.pending += 1;
    }

    /// The reserved attempt was a wrong guess.
    pub fn fail(&mut self, k: &K, now: Instant) {
        let r = &self.rule;
        let Some(e) = self.map.get_mut(k) else {
            return;
        };
        e.pending = e.pending.saturating_sub(1);
        e.failures = e.failures(now, r.window).saturating_add(1);
        e.last = now;
        if e.failures >= r.limit {
            let doublings = (e.failures - r.limit).min(20);
            e.locked_until = Some(now + r.base.saturating_mul(1u32 << doublings).min(r.max_delay));
        }
    }

    /// The reserved attempt ended without a verdict on the password: the budget comes back.
    pub fn release(&mut self, k: &K, now: Instant) {
        if let Some(e) = self.map.get_mut(k) {
            e.pending = e.pending.saturating_sub(1);
            if e.idle(now) && e.failures(now, self.rule.window) == 0 {
                self.map.remove(k);
            }
        }
    }

    /// The reserved attempt succeeded: the key's count starts again.
    pub fn clear(&mut self, k: &K) {
        if let Some(e) = self.map.get_mut(k) {
            e.pending = e.pending.saturating_sub(1);
            e.failures = 0;
            e.locked_until = None;
            if e.pending == 0 {
                self.map.remove(k);
            }
        }
    }

    fn has_room(&self, now: Instant) -> bool {
        self.map.values().any(|e| e.idle(now))
    }

    /// Drops what has expired; if that is not enough, the tenth of idle entries idle longest.
    fn make_room(&mut self, now: Instant) {
        let window = self.rule.window;
        self.map
            .retain(|_, e| !e.idle(now) || e.failures(now, window) > 0);
        if self.map.len() < self.cap {
            return;
        }
        let mut ages: Vec<Instant> = self
            .map
            .values()
            .filter(|e| e.idle(now))
            .map(|e| e.last)
            .collect();
        if ages.is_empty() {
            return;
        }
        let k = (self.cap / 10).clamp(1, ages.len()) - 1;
        ages.select_nth_unstable(k);
        let cutoff = ages[k];
        self.map.retain(|_, e| !e.idle(now) || e.last > cutoff);
    }
}
