//! When Redis fails: logins go on with each instance's own state, `/readyz` and `/metrics`
//! say so, sharing resumes by itself, and a Redis that hangs costs a login at most one
//! `store.timeout`.

use super::*;

const THROTTLE: &str = "user_failures = 5\nip_failures = 1000";

fn degraded(p: &Page) -> bool {
    p.status == 200
        && p.body
            .contains("warning: the shared store (redis) is unavailable")
}

async fn store_up(idp: &TestIdp) -> Option<bool> {
    let m = get(&client(), &idp.url("/metrics")).await.body;
    let line = m.lines().find(|l| l.starts_with("idp_store_up{"))?;
    Some(line.ends_with(" 1"))
}

/// A login on `a` whose form is then replayed to `b`: whether `b` refused it.
async fn replay_refused(a: &TestIdp, b: &TestIdp) -> bool {
    let replay = replayed_to_b(a, b).await;
    replay.status == 400 && autopost(&replay.body).is_none()
}

#[tokio::test(flavor = "multi_thread")]
async fn with_redis_stopped_logins_go_on_readyz_says_so_and_sharing_resumes() {
    let mut redis = Redis::start();
    let fx = Fixture::new();
    let store = redis.store_table(fx.path(), SLACK);
    let (a, b) = pair(&fx, &store, THROTTLE).await;
    assert!(replay_refused(&a, &b).await, "shared before the outage");
    assert!(!degraded(&readyz(&a).await));
    assert_eq!(store_up(&a).await, Some(true));
    // A session made on A, and a copy of its cookies that B honours.
    let c = client();
    let form = get(&c, &request_url(&a.base)).await;
    let done = submit_to(&c, &a.base, &form.body, "agent1", "agent1").await;
    let copy = format!(
        "{}; {}",
        cookie(&form, "idp_browser"),
        cookie(&done, "idp_sso")
    );
    let honoured = |idp: &TestIdp| {
        let (url, copy) = (request_url(&idp.base), copy.clone());
        async move { autopost(&get_with(&url, &copy).await.body).is_some() }
    };
    assert!(honoured(&b).await);

    redis.stop();
    // Signed out on A during the outage: A refuses the copy at once, B cannot know yet.
    assert_eq!(get(&c, &a.url("/ICNotifierIDP/logout")).await.status, 200);
    assert!(!honoured(&a).await, "A honours a session it revoked");
    // Logins go on, on each instance's own state.
    for idp in [&a, &b] {
        let p = login(&client(), idp, "agent1", "agent1").await;
        assert!(
            autopost(&p.body).is_some(),
            "a login failed without Redis: {}",
            p.body
        );
    }
    // A replay to the same instance is still refused (its own record).
    let c = client();
    let form = get(&c, &request_url(&a.base)).await;
    let done = submit_to(&c, &a.base, &form.body, "agent1", "agent1").await;
    assert!(autopost(&done.body).is_some(), "{}", done.body);
    let again = submit_to(&c, &a.base, &form.body, "agent1", "agent1").await;
    assert_eq!(again.status, 400, "{}", again.body);
    // Ready, with the degradation listed, and the gauge at 0.
    let shown = within(Duration::from_secs(5), || async {
        degraded(&readyz(&a).await)
    })
    .await;
    assert!(shown.is_some(), "{}", readyz(&a).await.body);
    assert_eq!(store_up(&a).await, Some(false));

    redis.restart();
    let back = within(Duration::from_secs(10), || async {
        !degraded(&readyz(&a).await) && !degraded(&readyz(&b).await)
    })
    .await;
    assert!(back.is_some(), "{}", readyz(&a).await.body);
    assert_eq!(store_up(&b).await, Some(true));
    assert!(
        replay_refused(&a, &b).await,
        "shared again after Redis came back"
    );
    // The logout of the outage reaches B once Redis is back (empty: it restarted).
    let refused = within(Duration::from_secs(5), || async { !honoured(&b).await }).await;
    println!("B refused the session revoked during the outage {refused:?} after sharing resumed");
    assert!(
        refused.is_some(),
        "B still honours a session A revoked during the outage"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_counted_during_an_outage_still_refuse_once_redis_is_back() {
    let mut redis = Redis::start();
    let fx = Fixture::new();
    let store = redis.store_table(fx.path(), SLACK);
    let a = instance(&fx, &store, THROTTLE).await;
    until_shared(&[&a]).await;
    redis.stop();
    let down = within(Duration::from_secs(5), || async {
        degraded(&readyz(&a).await)
    })
    .await;
    assert!(down.is_some(), "{}", readyz(&a).await.body);
    // The user's budget (5) spent while Redis is down, each guess from a fresh browser: only
    // this instance counts them, and it refuses the right password now.
    for i in 0..5 {
        let p = login(&client(), &a, "agent1", "wrong").await;
        assert_ne!(p.status, 429, "guess {i} throttled early: {}", p.body);
        assert!(autopost(&p.body).is_none());
    }
    let p = login(&client(), &a, "agent1", "agent1").await;
    assert_eq!(p.status, 429, "{}", p.body);
    // Redis comes back knowing nothing of them (it restarted; a pause would be the same).
    redis.restart();
    until_shared(&[&a]).await;
    let p = login(&client(), &a, "agent1", "agent1").await;
    assert_eq!(
        p.status, 429,
        "the failures of the outage were forgotten when Redis came back: {}",
        p.body
    );
    assert!(autopost(&p.body).is_none());
    a.stop().await;
}

/// A socket that takes connections and never reads nor answers: a Redis that hangs.
fn silent_socket() -> (u16, std::thread::JoinHandle<()>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    l.set_nonblocking(true).unwrap();
    let t = std::thread::spawn(move || {
        let mut held = Vec::new();
        let end = Instant::now() + Duration::from_secs(120);
        while Instant::now() < end && held.len() < 1000 {
            match l.accept() {
                Ok((s, _)) => held.push(s),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    (port, t)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redis_that_accepts_and_never_answers_costs_a_login_at_most_one_timeout() {
    let fx = Fixture::new();
    let timeout = Duration::from_millis(400);
    // The usual time of a login, on an instance of its own.
    let plain = instance(&fx, "", THROTTLE).await;
    let mut usual = Duration::ZERO;
    for _ in 0..3 {
        let t = Instant::now();
        let p = login(&client(), &plain, "agent1", "agent1").await;
        assert!(autopost(&p.body).is_some());
        usual = usual.max(t.elapsed());
    }
    plain.stop().await;
    let (port, _hold) = silent_socket();
    let store = store_table(fx.path(), port, "secret", "400ms");
    let started = Instant::now();
    let idp = instance(&fx, &store, THROTTLE).await;
    let start_up = started.elapsed();
    // Three logins in a row. A login asks the store four times (form used? reserve, settle,
    // claim): without a bound each would wait for ever, and with only a per-call bound each
    // login would pay up to four timeouts.
    let t = Instant::now();
    for _ in 0..3 {
        let p = login(&client(), &idp, "agent1", "agent1").await;
        assert!(autopost(&p.body).is_some(), "{}", p.body);
    }
    let took = t.elapsed();
    println!(
        "usual login {usual:?}; three logins with a silent Redis {took:?}; start-up {start_up:?}"
    );
    // Generous for a loaded machine: three usual logins, one timeout, and a second of slack.
    let bound = usual * 3 + timeout + Duration::from_secs(1);
    assert!(took < bound, "{took:?} for three logins (bound {bound:?})");
    assert!(
        start_up < timeout + Duration::from_secs(5),
        "start-up {start_up:?}"
    );
    assert!(degraded(&readyz(&idp).await), "{}", readyz(&idp).await.body);
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redis_that_is_down_gets_one_warning_not_one_per_request_and_no_password_in_the_log() {
    let fx = Fixture::new();
    // Nothing listens on this port.
    let password = "not-for-the-log-7f3a";
    let store = store_table(fx.path(), free_port(), password, "200ms");
    let server = spawn_server_with(&fx, &store, &[]);
    for _ in 0..5 {
        let p = login_at(&client(), &server.base, "agent1", "agent1").await;
        assert!(autopost(&p.body).is_some(), "{}", p.body);
        let p = login_at(&client(), &server.base, "agent1", "wrong").await;
        assert_eq!(p.status, 200);
    }
    // Several probes fail meanwhile (one a second).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let lines = server.lines.lock().unwrap().clone();
    let warnings = lines
        .iter()
        .filter(|l| l.contains("shared store (redis) unavailable"))
        .count();
    assert_eq!(warnings, 1, "{lines:#?}");
    assert!(!lines.iter().any(|l| l.contains(password)), "{lines:#?}");
    let errors = server.errors.lock().unwrap().clone();
    assert!(!errors.iter().any(|l| l.contains(password)), "{errors:#?}");
}
