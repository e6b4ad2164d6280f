//! Unit tests of the throttle: the curve, the budgets and their scopes, parallel reservations,
//! and the bounded tables.

use super::*;
use std::net::Ipv4Addr;

fn cfg() -> ThrottleConfig {
    ThrottleConfig {
        user_failures: 3,
        user_global_failures: 20,
        browser_failures: 2,
        known_browser_lifetime: Duration::from_secs(86_400),
        ip_failures: 10,
        window: Duration::from_secs(600),
        base_delay: Duration::from_secs(30),
        max_user_delay: Duration::from_secs(120),
        max_ip_delay: Duration::from_secs(3600),
        max_entries: 1000,
    }
}

const IP: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));

fn ip(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n))
}

fn at(t0: Instant, s: u64) -> Instant {
    t0 + Duration::from_secs(s)
}

/// One wrong guess at `now`; panics if it was refused.
fn fail(t: &Throttle, user: &str, ip: IpAddr, b: Option<&str>, now: Instant) {
    t.reserve_at(user, ip, b, now)
        .unwrap()
        .settle(Settle::Failed, now);
}

#[test]
fn the_curve_grows_is_capped_and_resets_on_success() {
    let t = Throttle::new(&cfg());
    let t0 = Instant::now();
    for i in 0..2 {
        fail(&t, "Agent1", IP, None, at(t0, i));
    }
    assert!(t.reserve_at("agent1", IP, None, at(t0, 2)).is_ok());
    fail(&t, "AGENT1 ", IP, None, at(t0, 2)); // third: 30 s
    let r = t.reserve_at("agent1", IP, None, at(t0, 3)).err().unwrap();
    assert_eq!(r.retry_after, Duration::from_secs(29));
    assert!(!r.by_ip);
    // Another user from the same IP is not refused yet.
    assert!(t.reserve_at("agent2", IP, None, at(t0, 3)).is_ok());
    // Fourth failure: 60 s; fifth: 120 s; sixth: still 120 s (the cap).
    let mut now = at(t0, 40);
    for want in [60, 120, 120] {
        fail(&t, "agent1", IP, None, now);
        let r = t.reserve_at("agent1", IP, None, now).err().unwrap();
        assert_eq!(r.retry_after, Duration::from_secs(want));
        now += Duration::from_secs(want + 1);
    }
    t.reserve_at("agent1", IP, None, now)
        .unwrap()
        .settle(Settle::Cleared, now);
    fail(&t, "agent1", IP, None, now);
    assert!(t.reserve_at("agent1", IP, None, now).is_ok(), "restarted");
}

#[test]
fn reservations_in_flight_count_against_the_budget_and_come_back_when_released() {
    let t = Throttle::new(&cfg());
    let t0 = Instant::now();
    let held: Vec<_> = (0..10)
        .filter_map(|_| t.reserve_at("agent1", IP, None, t0).ok())
        .collect();
    assert_eq!(held.len(), 3, "only the budget is handed out at once");
    drop(held); // no verdict (backend unavailable): nothing counted
    let held: Vec<_> = (0..3)
        .map(|_| t.reserve_at("agent1", IP, None, t0).unwrap())
        .collect();
    for h in held {
        h.settle(Settle::Failed, t0);
    }
    assert!(t.reserve_at("agent1", IP, None, t0).is_err());
    // After the lock, one probe at a time.
    let later = at(t0, 31);
    let probe = t.reserve_at("agent1", IP, None, later).unwrap();
    assert!(t.reserve_at("agent1", IP, None, later).is_err());
    drop(probe);
    assert!(t.reserve_at("agent1", IP, None, later).is_ok());
}

#[test]
fn a_known_browser_has_its_own_budget_and_then_is_unknown() {
    let t = Throttle::new(&cfg());
    let t0 = Instant::now();
    // The attacker locks agent1 from the victim's IP and, from many IPs, everywhere.
    for i in 0..3 {
        fail(&t, "agent1", IP, None, at(t0, i));
    }
    for i in 0..17 {
        fail(&t, "agent1", ip(100 + i), None, at(t0, 5)); // 20 in all: the global lock
    }
    assert!(t.reserve_at("agent1", ip(999), None, at(t0, 6)).is_err());
    // The victim's browser is not subject to either lock.
    let k = t.reserve_at("agent1", IP, Some("tok"), at(t0, 6)).unwrap();
    assert!(k.known_browser);
    k.settle(Settle::Cleared, at(t0, 6));
    // Its own budget: two wrong guesses, then it is an unknown browser (refused here).
    fail(&t, "agent1", IP, Some("tok"), at(t0, 7));
    fail(&t, "agent1", IP, Some("tok"), at(t0, 7));
    assert!(t.reserve_at("agent1", IP, Some("tok"), at(t0, 8)).is_err());
    // A token is bound to its user: the same one for another user is another budget.
    assert!(
        t.reserve_at("agent2", IP, Some("tok"), at(t0, 8))
            .unwrap()
            .known_browser
    );
}

#[test]
fn an_ip_is_refused_across_user_ids_and_failures_expire() {
    let t = Throttle::new(&cfg());
    let t0 = Instant::now();
    for i in 0..10 {
        fail(&t, &format!("user{i}"), IP, None, t0);
    }
    let r = t.reserve_at("someone-else", IP, None, t0).err().unwrap();
    assert!(r.by_ip);
    let other = ip(2);
    assert!(t.reserve_at("someone-else", other, None, t0).is_ok());
    // After the window, two failures do not refuse again.
    let later = at(t0, 3600 + 700);
    fail(&t, "user1", other, None, later);
    fail(&t, "user1", other, None, later);
    assert!(t.reserve_at("user1", other, None, later).is_ok());
}

#[test]
fn ipv6_is_counted_per_64_and_mapped_ipv4_as_ipv4() {
    let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
    let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
    let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
    assert_eq!(ip_key(a), ip_key(b));
    assert_ne!(ip_key(a), ip_key(c));
    let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
    assert_eq!(ip_key(mapped), IP);
    let t = Throttle::new(&cfg());
    let t0 = Instant::now();
    for h in 1..=3u16 {
        let v6 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, h, h, h, h));
        fail(&t, "agent1", v6, None, t0);
    }
    assert!(t.reserve_at("agent1", a, None, t0).is_err());
    assert!(t.reserve_at("agent1", c, None, t0).is_ok());
}

#[test]
fn a_spray_of_user_ids_stays_within_the_bound() {
    let t = Throttle::new(&cfg());
    let t0 = Instant::now();
    for i in 0..100_000u32 {
        let now = t0 + Duration::from_millis(i.into());
        fail(
            &t,
            &format!("spray-{i}"),
            IpAddr::V4(Ipv4Addr::from(i)),
            None,
            now,
        );
    }
    let (ips, pairs, users, _) = t.len();
    assert!(
        ips <= 1000 && pairs <= 1000 && users <= 1000,
        "{ips} {pairs} {users}"
    );
    assert!(
        pairs >= 900,
        "evicts a tenth at a time, not everything: {pairs}"
    );
}

#[test]
fn new_entries_never_push_out_a_locked_one() {
    let mut c = cfg();
    c.max_entries = 100;
    let t = Throttle::new(&c);
    let t0 = Instant::now();
    // The victim's pair is locked first, so it is the oldest entry.
    for _ in 0..3 {
        fail(&t, "agent1", IP, None, t0);
    }
    // A flood of new, idle entries (one failure each) from other IPs and user IDs.
    for i in 0..5000u32 {
        let _ = t
            .reserve_at(&format!("spray-{i}"), ip(1000 + i), None, at(t0, 1))
            .map(|k| k.settle(Settle::Failed, at(t0, 1)));
    }
    let r = t.reserve_at("agent1", IP, None, at(t0, 2)).err().unwrap();
    assert!(!r.by_ip, "still locked after the flood: {r:?}");
    // A table full of locked entries refuses a new key rather than forget a lock.
    let t = Throttle::new(&c);
    for i in 0..100u32 {
        for j in 0..10 {
            fail(&t, &format!("u{i}-{j}"), ip(i), None, t0);
        }
    }
    assert_eq!(t.len().0, 100);
    assert!(t.reserve_at("u", ip(5000), None, at(t0, 1)).is_err());
    assert!(
        t.reserve_at("u", ip(5000), None, at(t0, 4000)).is_ok(),
        "locks end"
    );
}
