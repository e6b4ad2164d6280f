//! With Windows sign-in (Negotiate) on, a signed request answered on one instance is refused
//! on the other by the token-less pass too: no form (with the challenge) for it, and a form
//! shown for it before the answer gives no second Response.

use super::*;
use crate::windows::kdc::Kdc;

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_request_answered_on_a_draws_no_form_and_no_response_on_b_with_negotiate_on() {
    let redis = Redis::start();
    let fx = Fixture::new();
    let kdc = Kdc::start("EXAMPLE.COM");
    kdc.add_service("HTTP/localhost", &fx.path().join("http.keytab"));
    let (a, b, query) = signed_pair(
        &fx,
        &redis,
        "[windows]\nkeytab = \"http.keytab\"\nrealms = [\"EXAMPLE.COM\"]\n",
    )
    .await;
    let url = |idp: &TestIdp| format!("{}/ICNotifierIDP/login?{query}", idp.base);
    // A browser gets B's form (with the challenge) for the request, and keeps it.
    let x = client();
    let early = get(&x, &url(&b)).await;
    assert_eq!(early.status, 401, "{}", early.body);
    // Another browser answers it on A by the form of A.
    let c = client();
    let form = get(&c, &url(&a)).await;
    assert_eq!(form.status, 401, "{}", form.body);
    let done = submit_to(&c, &a.base, &form.body, "agent1", "agent1").await;
    assert!(autopost(&done.body).is_some(), "{}", done.body);
    // On B, a fresh browser sending it without a token: refused, no challenge, no form.
    let replay = get(&client(), &url(&b)).await;
    assert_eq!(replay.status, 400, "B showed a form: {}", replay.body);
    assert!(replay.headers.get("www-authenticate").is_none());
    // B's earlier form, posted with the right password: no second Response.
    let late = submit_to(&x, &b.base, &early.body, "agent1", "agent1").await;
    assert_eq!(late.status, 400, "{}", late.body);
    assert!(
        autopost(&late.body).is_none(),
        "B answered again: {}",
        late.body
    );
    a.stop().await;
    b.stop().await;
}
