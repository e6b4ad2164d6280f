//! The pair behaves as one: what one instance counted, closed or revoked, the other honours.

use super::*;

const THROTTLE: &str = "user_failures = 5\nip_failures = 1000\nbase_delay = \"10m\"";

#[tokio::test(flavor = "multi_thread")]
async fn five_failures_split_between_a_and_b_lock_the_user_on_both() {
    let redis = Redis::start();
    let fx = Fixture::new();
    let store = redis.store_table(fx.path(), SLACK);
    let (a, b) = pair(&fx, &store, THROTTLE).await;
    let c = client();
    for (i, idp) in [&a, &b, &a, &b, &a].into_iter().enumerate() {
        let p = login(&c, idp, "agent1", "wrong").await;
        assert_eq!(p.status, 200, "failure {} was counted, not refused", i + 1);
        assert!(autopost(&p.body).is_none());
    }
    // Three failures on A and two on B: together the budget of 5, so both refuse even the
    // right password now.
    for (name, idp) in [("B", &b), ("A", &a)] {
        let p = login(&c, idp, "agent1", "agent1").await;
        assert_eq!(p.status, 429, "{name} let the user try again: {}", p.body);
        assert!(autopost(&p.body).is_none());
        assert!(p.headers.get("retry-after").is_some());
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_form_completed_on_a_and_replayed_to_b_is_refused() {
    let redis = Redis::start();
    let fx = Fixture::new();
    let store = redis.store_table(fx.path(), SLACK);
    let (a, b) = pair(&fx, &store, THROTTLE).await;
    let replay = replayed_to_b(&a, &b).await;
    assert_eq!(replay.status, 400, "{}", replay.body);
    assert!(autopost(&replay.body).is_none(), "B answered a used form");
    let used = pureconnect_idp::i18n::Lang::from_tag("en-US")
        .unwrap()
        .t("error.form_used")
        .replace('\'', "&#x27;");
    assert!(replay.body.contains(&used), "{}", replay.body);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_logout_on_a_revokes_the_session_on_b_within_a_second() {
    let redis = Redis::start();
    let fx = Fixture::new();
    let store = redis.store_table(fx.path(), SLACK);
    let (a, b) = pair(&fx, &store, THROTTLE).await;
    // One browser for both (cookies are per host, not per port), and a copy of its cookies.
    let c = client();
    let form = get(&c, &request_url(&a.base)).await;
    let done = submit_to(&c, &a.base, &form.body, "agent1", "agent1").await;
    assert!(autopost(&done.body).is_some(), "{}", done.body);
    let copy = format!(
        "{}; {}",
        cookie(&form, "idp_browser"),
        cookie(&done, "idp_sso")
    );
    let on_b = get_with(&request_url(&b.base), &copy).await;
    assert!(
        autopost(&on_b.body).is_some(),
        "B honours A's session: {}",
        on_b.body
    );
    let out = get(&c, &a.url("/ICNotifierIDP/logout")).await;
    assert_eq!(out.status, 200);
    let took = within(Duration::from_secs(1), || {
        let (url, copy) = (request_url(&b.base), copy.clone());
        async move { autopost(&get_with(&url, &copy).await.body).is_none() }
    })
    .await;
    println!("B refused the revoked session after {took:?}");
    assert!(took.is_some(), "B still answers from a session A revoked");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_request_received_by_a_and_replayed_to_b_is_refused() {
    let redis = Redis::start();
    let fx = Fixture::new();
    let (a, b, query) = signed_pair(&fx, &redis, "").await;
    let url = |idp: &TestIdp| format!("{}/ICNotifierIDP/login?{query}", idp.base);
    let first = get(&client(), &url(&a)).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.contains("id=\"login-form\""), "{}", first.body);
    let replay = get(&client(), &url(&b)).await;
    assert_eq!(
        replay.status, 400,
        "B took A's signed request again: {}",
        replay.body
    );
    assert!(replay.body.contains("already received"), "{}", replay.body);
    a.stop().await;
    b.stop().await;
}
