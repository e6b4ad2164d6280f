//! Brute-force throttling of credential checks: reserve an attempt, then confirm or release it.
//!
//! Owns who may send a password to the backend now. An attempt is *reserved* before the
//! backend is asked ([`Throttle::reserve`]) and settled after it ([`Ticket::failed`] for a wrong
//! guess, [`Ticket::succeeded`], or dropped: released, when the backend gave no verdict), so no
//! number of parallel requests gets more guesses through than the budget. The budgets:
//! - a *known browser* (one holding the sealed token `web::known_browser` sets after a
//!   sign-in, for the user it presents) has `browser_failures` of its own and is subject to
//!   nothing else, so no one without that browser can keep its user out; past its budget it is
//!   treated as unknown;
//! - any other attempt counts per client IP (`ip_failures`, across user IDs), per user ID and
//!   client IP (`user_failures`), and per user ID from everywhere (`user_global_failures`, a
//!   last resort against a distributed campaign, much higher).
//!
//! Past a budget the key is refused for `base_delay`, doubling with every further failure up to
//! `max_user_delay` (`max_ip_delay` for an IP). A success starts the user's counts again (not
//! the IP's, nor the global one). IPv6 clients are counted per /64. Counts live in memory, per
//! instance, in tables bounded to `max_entries` each (user IDs and tokens as 64-bit keyed
//! hashes); see `table` for what a full table gives up. No HTTP here.

mod table;
#[cfg(test)]
mod tests;

use crate::config::ThrottleConfig;
use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use table::{Closed, Rule, Table};

/// Why a login attempt is refused, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub retry_after: Duration,
    pub by_ip: bool,
}

/// The counting key of a user ID: case-folded and trimmed, as every backend matches IDs.
pub fn fold(user: &str) -> String {
    user.trim().to_lowercase()
}

/// The counting key of a client address: IPv4 as is (IPv4-mapped IPv6 too), IPv6 per /64.
pub fn ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[derive(Debug, Clone, Copy)]
enum Key {
    Ip(IpAddr),
    Pair(u64),
    User(u64),
    Browser(u64),
}

struct Tables {
    ips: Table<IpAddr>,
    pairs: Table<u64>,
    users: Table<u64>,
    browsers: Table<u64>,
}

impl Tables {
    fn admits(&self, k: Key, now: Instant) -> Result<(), Closed> {
        match k {
            Key::Ip(ip) => self.ips.admits(&ip, now),
            Key::Pair(h) => self.pairs.admits(&h, now),
            Key::User(h) => self.users.admits(&h, now),
            Key::Browser(h) => self.browsers.admits(&h, now),
        }
    }

    fn reserve(&mut self, k: Key, now: Instant) {
        match k {
            Key::Ip(ip) => self.ips.reserve(ip, now),
            Key::Pair(h) => self.pairs.reserve(h, now),
            Key::User(h) => self.users.reserve(h, now),
            Key::Browser(h) => self.browsers.reserve(h, now),
        }
    }

    fn settle(&mut self, k: Key, how: Settle, now: Instant) {
        fn on<K: std::hash::Hash + Eq + Clone>(t: &mut Table<K>, k: &K, how: Settle, now: Instant) {
            match how {
                Settle::Failed => t.fail(k, now),
                Settle::Cleared => t.clear(k),
                Settle::Released => t.release(k, now),
            }
        }
        match k {
            Key::Ip(ip) => on(&mut self.ips, &ip, how.keep_on_success(), now),
            Key::Pair(h) => on(&mut self.pairs, &h, how, now),
            Key::User(h) => on(&mut self.users, &h, how.keep_on_success(), now),
            Key::Browser(h) => on(&mut self.browsers, &h, how, now),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settle {
    Failed,
    Cleared,
    Released,
}

impl Settle {
    /// A success does not wipe the counts an attacker shares with the user (IP, global).
    fn keep_on_success(self) -> Settle {
        if self == Settle::Cleared {
            Settle::Released
        } else {
            self
        }
    }
}

pub struct Throttle {
    tables: Mutex<Tables>,
    hasher: std::collections::hash_map::RandomState,
}

/// One reserved attempt. Dropping it unsettled releases it (the backend gave no verdict, or
/// the request was cancelled).
pub struct Ticket<'a> {
    throttle: &'a Throttle,
    keys: Vec<Key>,
    settled: bool,
    /// Whether the attempt counts against a known browser's own budget.
    pub known_browser: bool,
}

impl Ticket<'_> {
    /// A wrong user ID or password.
    pub fn failed(self) {
        self.settle(Settle::Failed, Instant::now());
    }

    /// The right password: the user's counts start again.
    pub fn succeeded(self) {
        self.settle(Settle::Cleared, Instant::now());
    }

    fn settle(mut self, how: Settle, now: Instant) {
        self.settled = true;
        let mut t = lock(&self.throttle.tables);
        for k in &self.keys {
            t.settle(*k, how, now);
        }
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if !self.settled {
            let now = Instant::now();
            let mut t = lock(&self.throttle.tables);
            for k in &self.keys {
                t.settle(*k, Settle::Released, now);
            }
        }
    }
}

impl Throttle {
    pub fn new(c: &ThrottleConfig) -> Self {
        let rule = |limit, max_delay| Rule {
            limit,
            window: c.window,
            base: c.base_delay,
            max_delay,
        };
        let cap = c.max_entries;
        Throttle {
            tables: Mutex::new(Tables {
                ips: Table::new(cap, rule(c.ip_failures, c.max_ip_delay)),
                pairs: Table::new(cap, rule(c.user_failures, c.max_user_delay)),
                users: Table::new(cap, rule(c.user_global_failures, c.max_user_delay)),
                browsers: Table::new(cap, rule(c.browser_failures, c.max_user_delay)),
            }),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }

    /// Reserves an attempt for `user` from `ip`; `browser` is the known-browser token's
    /// identifier for this user, when the request carries one.
    pub fn reserve(
        &self,
        user: &str,
        ip: IpAddr,
        browser: Option<&str>,
    ) -> Result<Ticket<'_>, Refusal> {
        self.reserve_at(user, ip, browser, Instant::now())
    }

    fn reserve_at(
        &self,
        user: &str,
        ip: IpAddr,
        browser: Option<&str>,
        now: Instant,
    ) -> Result<Ticket<'_>, Refusal> {
        let user = fold(user);
        let mut t = lock(&self.tables);
        if let Some(b) = browser {
            let k = Key::Browser(self.hasher.hash_one(("browser", b, &user)));
            if t.admits(k, now).is_ok() {
                t.reserve(k, now);
                return Ok(self.ticket(vec![k], true));
            }
        }
        let ip = ip_key(ip);
        let keys = vec![
            Key::Ip(ip),
            Key::Pair(self.hasher.hash_one(("pair", &user, ip))),
            Key::User(self.hasher.hash_one(("user", &user))),
        ];
        let mut refusal: Option<Refusal> = None;
        for k in &keys {
            if let Err(c) = t.admits(*k, now) {
                let wait = match c {
                    Closed::Locked(d) => d,
                    Closed::Busy => t.pairs.rule.base,
                };
                let r = refusal.get_or_insert(Refusal {
                    retry_after: Duration::ZERO,
                    by_ip: false,
                });
                r.retry_after = r.retry_after.max(wait);
                r.by_ip |= matches!(k, Key::Ip(_));
            }
        }
        if let Some(r) = refusal {
            return Err(r);
        }
        for k in &keys {
            t.reserve(*k, now);
        }
        Ok(self.ticket(keys, false))
    }

    fn ticket(&self, keys: Vec<Key>, known_browser: bool) -> Ticket<'_> {
        Ticket {
            throttle: self,
            keys,
            settled: false,
            known_browser,
        }
    }

    /// Entries held: (IPs, user and IP pairs, user IDs, known browsers).
    pub fn len(&self) -> (usize, usize, usize, usize) {
        let t = lock(&self.tables);
        (t.ips.len(), t.pairs.len(), t.users.len(), t.browsers.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0, 0, 0)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves counts that are still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}
