//! Whether the shared store answers: the state behind `/readyz`'s degradation line, the
//! `idp_store_up` gauge, and the one warning a minute while it is down.
//!
//! Owns the up/down flag every store call consults first (while down, calls do not wait on
//! Redis at all: the instance's own state answers, and the background probe alone retries),
//! the reason of the last failure (an error kind, never a URL or a password), and the rate of
//! the warning.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often the warning repeats while the store is down.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// The store as `/readyz` and `/metrics` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// `memory` or `redis`.
    pub kind: &'static str,
    pub up: bool,
    /// Why the instance runs on its own state, when it does.
    pub degradation: Option<String>,
}

impl Status {
    pub fn memory() -> Self {
        Status {
            kind: "memory",
            up: true,
            degradation: None,
        }
    }
}

struct Down {
    since: Instant,
    reason: String,
    warned: Option<Instant>,
}

pub struct Health {
    up: AtomicBool,
    down: Mutex<Option<Down>>,
}

impl Health {
    pub fn new() -> Self {
        Health {
            up: AtomicBool::new(true),
            down: Mutex::new(None),
        }
    }

    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// A call or a probe failed: the store is down until a probe succeeds.
    pub fn failed(&self, reason: &str) {
        self.up.store(false, Ordering::Release);
        let mut d = self.down.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let d = d.get_or_insert_with(|| Down {
            since: now,
            reason: String::new(),
            warned: None,
        });
        d.reason = reason.chars().take(200).collect();
        if d.warned.is_none_or(|w| now.duration_since(w) >= WARN_EVERY) {
            d.warned = Some(now);
            tracing::warn!(
                down_for_s = now.duration_since(d.since).as_secs(),
                "shared store (redis) unavailable, this instance uses its own state: {}",
                d.reason
            );
        }
    }

    /// A probe succeeded.
    pub fn recovered(&self) {
        let was = self.down.lock().unwrap_or_else(|p| p.into_inner()).take();
        self.up.store(true, Ordering::Release);
        if let Some(d) = was {
            tracing::warn!(
                down_for_s = d.since.elapsed().as_secs(),
                "shared store (redis) answers again: state is shared again"
            );
        }
    }

    pub fn status(&self) -> Status {
        let d = self.down.lock().unwrap_or_else(|p| p.into_inner());
        Status {
            kind: "redis",
            up: self.is_up(),
            degradation: d.as_ref().map(|d| {
                format!(
                    "the shared store (redis) is unavailable for {}s ({}): throttle counts, used forms, request IDs and revocations are this instance's own",
                    d.since.elapsed().as_secs(),
                    d.reason
                )
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn down_until_recovered_with_a_reason() {
        let h = Health::new();
        assert!(h.is_up() && h.status().degradation.is_none());
        h.failed("timed out");
        h.failed("connection refused");
        let s = h.status();
        assert!(!s.up);
        assert!(s.degradation.unwrap().contains("connection refused"));
        h.recovered();
        assert_eq!(h.status().degradation, None);
        assert!(h.is_up());
    }
}
