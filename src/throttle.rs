//! Brute-force throttling of credential checks, per user ID and per client IP.
//!
//! Owns the counting of failed logins and the refusal periods that follow: after
//! `user_failures` (or `ip_failures`) failures within `window`, the user ID (or IP) is refused
//! for `base_delay`, doubling with every further failure up to `max_user_delay` (short, so an
//! attacker cannot keep a real agent out for long) or `max_ip_delay`. A success clears the
//! user's count. Counts live in memory, per instance, in two tables bounded to `max_entries`
//! each: user IDs are kept as 64-bit keyed hashes, so a spray of random IDs costs a few dozen
//! bytes per entry, and beyond the bound the entries idle longest go first. No HTTP here.

use crate::config::ThrottleConfig;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

struct Table<K> {
    map: HashMap<K, Entry>,
    cap: usize,
}

impl<K: Hash + Eq + Clone> Table<K> {
    fn new(cap: usize) -> Self {
        Table {
            map: HashMap::new(),
            cap,
        }
    }

    fn locked(&self, k: &K, now: Instant) -> Option<Duration> {
        let until = self.map.get(k)?.locked_until?;
        (until > now).then(|| until - now)
    }

    fn fail(&mut self, k: K, now: Instant, limit: u32, rule: &Rule) {
        if !self.map.contains_key(&k) && self.map.len() >= self.cap {
            self.make_room(now, rule.window);
        }
        let e = self.map.entry(k).or_insert(Entry {
            failures: 0,
            last: now,
            locked_until: None,
        });
        if now.duration_since(e.last) > rule.window {
            e.failures = 0;
        }
        e.failures = e.failures.saturating_add(1);
        e.last = now;
        if e.failures >= limit {
            let doublings = (e.failures - limit).min(20);
            let delay = rule
                .base
                .saturating_mul(1u32 << doublings)
                .min(rule.max_delay);
            e.locked_until = Some(now + delay);
        }
    }

    /// Drops what has expired; if that is not enough, the tenth of entries idle longest.
    fn make_room(&mut self, now: Instant, window: Duration) {
        self.map.retain(|_, e| {
            now.duration_since(e.last) <= window || e.locked_until.is_some_and(|u| u > now)
        });
        if self.map.len() >= self.cap {
            let mut ages: Vec<Instant> = self.map.values().map(|e| e.last).collect();
            let k = (self.cap / 10).max(1).min(ages.len() - 1);
            ages.select_nth_unstable(k);
            let cutoff = ages[k];
            self.map.retain(|_, e| e.last > cutoff);
        }
    }
}

struct Rule {
    window: Duration,
    base: Duration,
    max_delay: Duration,
}

/// Why a login attempt is refused, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub retry_after: Duration,
    pub by_ip: bool,
}

pub struct Throttle {
    users: Mutex<Table<u64>>,
    ips: Mutex<Table<IpAddr>>,
    user_limit: u32,
    ip_limit: u32,
    user_rule: Rule,
    ip_rule: Rule,
    hasher: std::collections::hash_map::RandomState,
}

impl Throttle {
    pub fn new(c: &ThrottleConfig) -> Self {
        Throttle {
            users: Mutex::new(Table::new(c.max_entries)),
            ips: Mutex::new(Table::new(c.max_entries)),
            user_limit: c.user_failures,
            ip_limit: c.ip_failures,
            user_rule: Rule {
                window: c.window,
                base: c.base_delay,
                max_delay: c.max_user_delay,
            },
            ip_rule: Rule {
                window: c.window,
                base: c.base_delay,
                max_delay: c.max_ip_delay,
            },
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }

    /// The key of a user ID: case-folded, as every backend matches IDs without case.
    fn user_key(&self, user: &str) -> u64 {
        self.hasher.hash_one(user.trim().to_lowercase())
    }

    /// Whether an attempt may go to the backend now.
    pub fn check(&self, user: &str, ip: IpAddr) -> Result<(), Refusal> {
        self.check_at(user, ip, Instant::now())
    }

    pub fn check_at(&self, user: &str, ip: IpAddr, now: Instant) -> Result<(), Refusal> {
        let key = self.user_key(user);
        let by_user = lock(&self.users).locked(&key, now);
        let by_ip = lock(&self.ips).locked(&ip, now);
        match (by_user, by_ip) {
            (None, None) => Ok(()),
            (u, i) => Err(Refusal {
                retry_after: u.unwrap_or_default().max(i.unwrap_or_default()),
                by_ip: i.is_some(),
            }),
        }
    }

    /// Counts a failed login (wrong user ID or password).
    pub fn failed(&self, user: &str, ip: IpAddr) {
        self.failed_at(user, ip, Instant::now())
    }

    pub fn failed_at(&self, user: &str, ip: IpAddr, now: Instant) {
        let key = self.user_key(user);
        lock(&self.users).fail(key, now, self.user_limit, &self.user_rule);
        lock(&self.ips).fail(ip, now, self.ip_limit, &self.ip_rule);
    }

    /// A successful login clears the user's count (not the IP's).
    pub fn succeeded(&self, user: &str) {
        let key = self.user_key(user);
        lock(&self.users).map.remove(&key);
    }

    /// Entries held: (user IDs, IPs).
    pub fn len(&self) -> (usize, usize) {
        (lock(&self.users).map.len(), lock(&self.ips).map.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves counts that are still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> ThrottleConfig {
        ThrottleConfig {
            user_failures: 3,
            ip_failures: 10,
            window: Duration::from_secs(600),
            base_delay: Duration::from_secs(30),
            max_user_delay: Duration::from_secs(120),
            max_ip_delay: Duration::from_secs(3600),
            max_entries: 1000,
        }
    }

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));

    #[test]
    fn the_curve_grows_is_capped_and_resets_on_success() {
        let t = Throttle::new(&cfg());
        let t0 = Instant::now();
        for i in 0..2 {
            t.failed_at("Agent1", IP, t0 + Duration::from_secs(i));
        }
        assert!(t
            .check_at("agent1", IP, t0 + Duration::from_secs(2))
            .is_ok());
        t.failed_at("AGENT1 ", IP, t0 + Duration::from_secs(2)); // third: 30 s
        let r = t
            .check_at("agent1", IP, t0 + Duration::from_secs(3))
            .unwrap_err();
        assert_eq!(r.retry_after, Duration::from_secs(29));
        assert!(!r.by_ip);
        // Another user from the same IP is not refused yet.
        assert!(t
            .check_at("agent2", IP, t0 + Duration::from_secs(3))
            .is_ok());
        // Fourth failure: 60 s; fifth: 120 s; sixth: still 120 s (the cap).
        let mut now = t0 + Duration::from_secs(40);
        for want in [60, 120, 120] {
            t.failed_at("agent1", IP, now);
            let r = t.check_at("agent1", IP, now).unwrap_err();
            assert_eq!(r.retry_after, Duration::from_secs(want));
            now += Duration::from_secs(want + 1);
        }
        assert!(t.check_at("agent1", IP, now).is_ok());
        t.succeeded("Agent1");
        t.failed_at("agent1", IP, now);
        assert!(t.check_at("agent1", IP, now).is_ok(), "count restarted");
    }

    #[test]
    fn an_ip_is_refused_across_user_ids_and_failures_expire() {
        let t = Throttle::new(&cfg());
        let t0 = Instant::now();
        for i in 0..10 {
            t.failed_at(&format!("user{i}"), IP, t0);
        }
        let r = t.check_at("someone-else", IP, t0).unwrap_err();
        assert!(r.by_ip);
        let other = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));
        assert!(t.check_at("someone-else", other, t0).is_ok());
        // After the window, two failures do not refuse again.
        let later = t0 + Duration::from_secs(3600 + 700);
        t.failed_at("user1", other, later);
        t.failed_at("user1", other, later);
        assert!(t.check_at("user1", other, later).is_ok());
    }

    #[test]
    fn a_spray_of_user_ids_stays_within_the_bound() {
        let t = Throttle::new(&cfg());
        let t0 = Instant::now();
        for i in 0..100_000u32 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(i));
            t.failed_at(
                &format!("spray-{i}"),
                ip,
                t0 + Duration::from_millis(i.into()),
            );
        }
        let (users, ips) = t.len();
        assert!(users <= 1000 && ips <= 1000, "{users} {ips}");
        assert!(
            users >= 900,
            "evicts a tenth at a time, not everything: {users}"
        );
    }
}
