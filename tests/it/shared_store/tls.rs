//! `rediss://` with `store.ca_file`: the pair shares its state over TLS checked against the
//! configured CA, and a Redis whose certificate that CA did not sign is not used.

use super::*;
use crate::icws_double::pki::private_ca;

fn tls_store(dir: &Path, redis: &Redis, ca: &Path) -> String {
    let pw = dir.join("redis.password");
    std::fs::write(&pw, format!("{}\n", redis.password)).unwrap();
    format!(
        "[store]\ntype = \"redis\"\nurl = \"rediss://127.0.0.1:{}/0\"\nca_file = \"{}\"\npassword_file = \"{}\"\ntimeout = \"{SLACK}\"\n",
        redis.port,
        ca.display(),
        pw.display()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn over_tls_with_the_configured_ca_the_pair_shares_and_with_another_ca_it_does_not() {
    let fx = Fixture::new();
    let pki = private_ca();
    let (cert, key, ca) = (
        fx.path().join("redis.crt"),
        fx.path().join("redis.key"),
        fx.path().join("redis-ca.pem"),
    );
    std::fs::write(&cert, &pki.cert_pem).unwrap();
    std::fs::write(&key, &pki.key_pem).unwrap();
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let redis = Redis::start_tls(&cert, &key);
    let store = tls_store(fx.path(), &redis, &ca);
    let (a, b) = pair(&fx, &store, "").await;
    let replay = replayed_to_b(&a, &b).await;
    assert_eq!(
        replay.status, 400,
        "B accepted A's used form over TLS: {}",
        replay.body
    );
    a.stop().await;
    b.stop().await;

    // Another CA: the TLS check fails, the instance runs (and says it runs) on its own state.
    let other = fx.path().join("other-ca.pem");
    std::fs::write(&other, private_ca().ca_pem).unwrap();
    let lone = instance(&fx, &tls_store(fx.path(), &redis, &other), "").await;
    let p = login(&client(), &lone, "agent1", "agent1").await;
    assert!(autopost(&p.body).is_some(), "{}", p.body);
    let shown = within(Duration::from_secs(5), || async {
        readyz(&lone)
            .await
            .body
            .contains("warning: the shared store (redis) is unavailable")
    })
    .await;
    assert!(shown.is_some(), "{}", readyz(&lone).await.body);
    lone.stop().await;
}
