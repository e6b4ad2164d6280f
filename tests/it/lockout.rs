//! Brute force against the real server: guesses sent in parallel cannot overrun the budget,
//! and an attacker cannot keep out an agent who signed in before from the same browser (the
//! known-browser token), neither from the agent's own IP nor spread over many IPs.

use crate::common::*;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

async fn start(fx: &Fixture, server: &str, throttle: &str) -> (TestIdp, Arc<SlowBackend>) {
    let backend = Arc::new(SlowBackend::new(Duration::from_millis(150)));
    let cfg = fx.config_full(
        "https://idp.test",
        SECRET_A,
        server,
        "assertion",
        &format!("[throttle]\n{throttle}"),
    );
    let idp = TestIdp::start_with(
        cfg,
        pureconnect_idp::Options {
            backend: Some(backend.clone()),
            ..Default::default()
        },
    )
    .await;
    (idp, backend)
}

/// A form, then agent1's credentials, from client `c` (optionally as client IP `xff`).
async fn attempt(c: &reqwest::Client, base: &str, xff: Option<&str>, pw: &str) -> Page {
    attempt_as(c, base, xff, "agent1", pw).await
}

async fn attempt_as(
    c: &reqwest::Client,
    base: &str,
    xff: Option<&str>,
    user: &str,
    pw: &str,
) -> Page {
    let mut g = c.get(request_url(base));
    if let Some(ip) = xff {
        g = g.header("x-forwarded-for", ip);
    }
    let form = page(g.send().await.unwrap()).await;
    let (url, mut fields) = login_form(&form.body);
    fields.extend([
        ("user_id".into(), user.into()),
        ("password".into(), pw.into()),
        ("action".into(), "login".into()),
    ]);
    let mut p = c.post(&url).form(&fields);
    if let Some(ip) = xff {
        p = p.header("x-forwarded-for", ip);
    }
    page(p.send().await.unwrap()).await
}

/// Signs agent1 in from `c`, then signs out (the SSO session ends, the browser is known).
async fn sign_in_and_out(c: &reqwest::Client, idp: &TestIdp, xff: Option<&str>) {
    let p = attempt(c, &idp.base, xff, "agent1").await;
    assert!(autopost(&p.body).is_some(), "{}", p.body);
    let out = get(c, &idp.url("/ICNotifierIDP/logout")).await;
    assert_eq!(out.status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn forty_parallel_guesses_get_no_more_than_the_budget_through() {
    let fx = Fixture::new();
    let (idp, backend) = start(&fx, "", "user_failures = 5\nip_failures = 1000\n").await;
    let c = client();
    let form = get(&c, &request_url(&idp.base)).await;
    // 39 wrong guesses from one form at once, and the right password 40th.
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (c, body) = (c.clone(), form.body.clone());
        tasks.push(tokio::spawn(async move {
            if i == 39 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let pw = if i == 39 { "agent1" } else { "wrong" };
            submit(&c, &body, "agent1", pw, "login").await
        }));
    }
    let mut pages = Vec::new();
    for t in tasks {
        pages.push(t.await.unwrap());
    }
    let reached = backend.wrong.load(Ordering::SeqCst);
    println!("wrong guesses that reached the backend: {reached} of 39");
    assert!(reached <= 5, "{reached} wrong guesses reached the backend");
    let refused = pages.iter().filter(|p| p.status == 429).count();
    assert!(refused >= 34, "{refused} refused");
    assert!(
        autopost(&pages[39].body).is_none(),
        "the right password got a Response through the lock"
    );
    // Still locked afterwards, for the right password too, without a known browser.
    let p = submit(&c, &form.body, "agent1", "agent1", "login").await;
    assert_eq!(p.status, 429, "{}", p.body);
    assert!(autopost(&p.body).is_none());
    assert!(backend.wrong.load(Ordering::SeqCst) <= 5);
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_attacker_on_the_agents_ip_cannot_keep_out_the_agents_known_browser() {
    let fx = Fixture::new();
    let (idp, backend) = start(
        &fx,
        "",
        "user_failures = 3\nip_failures = 1000\nbase_delay = \"10m\"\n",
    )
    .await;
    let victim = client();
    sign_in_and_out(&victim, &idp, None).await;
    // The attacker, on the same (loopback) IP, locks agent1 out of browsers it does not know.
    let attacker = client();
    for _ in 0..3 {
        assert_eq!(attempt(&attacker, &idp.base, None, "x").await.status, 200);
    }
    for _ in 0..5 {
        assert_eq!(attempt(&attacker, &idp.base, None, "x").await.status, 429);
    }
    let p = attempt(&attacker, &idp.base, None, "agent1").await;
    assert_eq!(p.status, 429, "the lock holds for unknown browsers");
    assert_eq!(backend.wrong.load(Ordering::SeqCst), 3);
    // The agent's browser is let through with the right password.
    let p = attempt(&victim, &idp.base, None, "agent1").await;
    assert!(autopost(&p.body).is_some(), "{} {}", p.status, p.body);
    get(&victim, &idp.url("/ICNotifierIDP/logout")).await;
    // It has a budget of its own (browser_failures, 5): then it is an unknown browser again,
    // which the attacker's lock refuses.
    for _ in 0..5 {
        assert_eq!(attempt(&victim, &idp.base, None, "typo").await.status, 200);
    }
    let p = attempt(&victim, &idp.base, None, "agent1").await;
    assert_eq!(p.status, 429, "{}", p.body);
    assert_eq!(backend.wrong.load(Ordering::SeqCst), 8);
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_distributed_campaign_is_slowed_per_user_and_still_spares_the_known_browser() {
    let fx = Fixture::new();
    let (idp, backend) = start(
        &fx,
        "trusted_proxies = [\"127.0.0.1/32\"]",
        "user_failures = 3\nip_failures = 1000\nuser_global_failures = 8\nbase_delay = \"10m\"\n",
    )
    .await;
    let victim = client();
    sign_in_and_out(&victim, &idp, Some("192.0.2.1")).await;
    // Four attacker IPs, two guesses each: under each pair's budget, but 8 for agent1 in all.
    for n in 0..4 {
        let ip = format!("198.51.100.{}", n + 1);
        for _ in 0..2 {
            let p = attempt(&client(), &idp.base, Some(&ip), "x").await;
            assert_eq!(p.status, 200, "{ip}");
        }
    }
    // Now agent1 is locked for every unknown browser, from any IP, IPv6 ones included.
    for ip in ["198.51.100.9", "203.0.113.7", "2001:db8::1"] {
        let p = attempt(&client(), &idp.base, Some(ip), "agent1").await;
        assert_eq!(p.status, 429, "{ip}: {}", p.body);
    }
    assert_eq!(backend.wrong.load(Ordering::SeqCst), 8);
    // The agent's known browser signs in, from its own IP or another.
    let p = attempt(&victim, &idp.base, Some("203.0.113.8"), "agent1").await;
    assert!(autopost(&p.body).is_some(), "{} {}", p.status, p.body);
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ipv6_clients_are_counted_per_64() {
    let fx = Fixture::new();
    let (idp, backend) = start(
        &fx,
        "trusted_proxies = [\"127.0.0.1/32\"]",
        "user_failures = 3\nip_failures = 3\nbase_delay = \"10m\"\n",
    )
    .await;
    // Three guesses at three user IDs from three addresses of one /64: the third locks it.
    let ips = ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"];
    for (n, ip) in ips.iter().enumerate() {
        let p = attempt_as(&client(), &idp.base, Some(ip), &format!("user{n}"), "x").await;
        assert_eq!(p.status, 200, "{ip}");
    }
    let p = attempt(&client(), &idp.base, Some("2001:db8:1:2::99"), "agent1").await;
    assert_eq!(p.status, 429, "another address of the /64: {}", p.body);
    // Another /64 is another client.
    let p = attempt(&client(), &idp.base, Some("2001:db8:1:3::1"), "agent1").await;
    assert!(autopost(&p.body).is_some(), "{} {}", p.status, p.body);
    assert_eq!(backend.wrong.load(Ordering::SeqCst), 3);
    idp.stop().await;
}
