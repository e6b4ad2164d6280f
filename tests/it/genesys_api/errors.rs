//! Genesys Cloud's HTTP errors in plain words (401 bad client, 403 the missing permission
//! named, 429 waited out as `Retry-After` says), and no secret or token in any output.

use super::double::{self, Fault, Route};
use super::Setup;
use base64::Engine;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_client_secret_is_a_401_said_as_a_bad_client() {
    let s = Setup::with_secret("not-the-secret").await;
    let r = s.push().await;
    r.failed();
    assert!(
        r.err
            .contains("Genesys Cloud refused the OAuth client (HTTP 401"),
        "{}",
        r.all()
    );
    assert!(r.err.contains("genesys.client_id"), "{}", r.all());
    assert!(r.err.contains("genesys.client_secret_file"), "{}", r.all());
    assert_eq!(s.double.count(Route::Get), 0, "no API call without a token");
    assert!(!r.all().contains("not-the-secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_permission_is_a_403_naming_the_permission() {
    let s = Setup::new().await;
    s.double.set_permissions(&[]);
    let r = s.push().await;
    r.failed();
    assert!(
        r.err
            .contains("lacks the permission sso:provider:view, needed to read the provider"),
        "{}",
        r.all()
    );
    // Reading allowed, writing not: the write's permissions are named.
    s.double.set_permissions(&["sso:provider:view"]);
    let r = s.push().await;
    r.failed();
    assert!(
        r.err.contains("lacks the permission sso:provider:edit (or sso:provider:add), needed to write the provider"),
        "{}",
        r.all()
    );
    assert!(s.double.provider().is_none());
    s.double
        .set_permissions(&["sso:provider:view", "sso:provider:add"]);
    s.push().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_waited_out_as_retry_after_says_and_a_long_one_stops_the_command() {
    let s = Setup::new().await;
    s.double.fail_next(
        Route::Get,
        Fault {
            retry_after: Some(2),
            ..Fault::status(429)
        },
    );
    let r = s.push().await;
    r.ok();
    assert!(
        r.err
            .contains("rate limiting this client (HTTP 429): waiting 2 s"),
        "{}",
        r.all()
    );
    let gets: Vec<_> = s
        .double
        .seen()
        .into_iter()
        .filter(|x| x.route == Route::Get)
        .collect();
    assert!(gets.len() >= 2);
    // At least what Retry-After said passed before the retry (a lower bound: no flake).
    assert!(gets[1].at - gets[0].at >= Duration::from_secs(2));
    assert!(s.double.provider().is_some());

    // Told to wait far too long: stop at once, saying so, nothing more sent.
    s.double.fail_next(
        Route::Put,
        Fault {
            retry_after: Some(3600),
            ..Fault::status(429)
        },
    );
    let puts = s.double.count(Route::Put);
    let r = s.run(&["certs", "rotate", "next", "--genesys"], "").await;
    r.failed();
    assert!(
        r.err.contains("rate limiting this client (HTTP 429)"),
        "{}",
        r.all()
    );
    assert!(r.err.contains("3600 s"), "{}", r.all());
    assert_eq!(s.double.count(Route::Put), puts + 1);
    assert_eq!(s.active(), "idp");

    // Limited on every try: gives up after a few, saying so.
    for _ in 0..4 {
        s.double.fail_next(
            Route::Token,
            Fault {
                retry_after: Some(0),
                ..Fault::status(429)
            },
        );
    }
    let r = s.push().await;
    r.failed();
    assert!(r.err.contains("still limited after 4 tries"), "{}", r.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neither_the_client_secret_nor_the_token_appears_in_any_output_or_log() {
    let s = Setup::new().await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        double::CLIENT_ID,
        double::CLIENT_SECRET
    ));
    let mut outputs = Vec::new();
    // Every command, at RUST_LOG=trace, on its happy path…
    outputs.push(s.push().await);
    outputs.push(s.run(&["certs", "rotate", "next", "--genesys"], "").await);
    outputs.push(s.run(&["certs", "retire", "idp", "--genesys"], "").await);
    for o in &outputs {
        o.ok();
    }
    // …and on error paths, one where Genesys Cloud's message repeats the token and the
    // secret, one refused token, one server error.
    s.double.fail_next(
        Route::Get,
        Fault {
            echo_token: true,
            ..Fault::status(403)
        },
    );
    let echoed = s.push().await;
    echoed.failed();
    assert!(echoed.err.contains("[redacted]"), "{}", echoed.all());
    outputs.push(echoed);
    s.double.fail_next(Route::Get, Fault::status(401));
    let refused = s.push().await;
    refused.failed();
    assert!(
        refused.err.contains("refused the access token"),
        "{}",
        refused.all()
    );
    outputs.push(refused);
    s.double.fail_next(
        Route::Put,
        Fault {
            echo_token: true,
            ..Fault::status(500)
        },
    );
    outputs.push(s.run(&["certs", "rotate", "again", "--genesys"], "").await);
    let trace_lines: usize = outputs.iter().map(|o| o.err.lines().count()).sum();
    assert!(
        trace_lines > 20,
        "the trace logs were written ({trace_lines} lines)"
    );
    for o in &outputs {
        let all = o.all();
        for secret in [double::CLIENT_SECRET, double::TOKEN, basic.as_str()] {
            assert!(!all.contains(secret), "`{secret}` leaked:\n{all}");
        }
    }
}
