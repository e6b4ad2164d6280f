//! Hardening and operations through the real server: the throttling curve, login CSRF and
//! replay, security headers, request limits, graceful shutdown, /readyz and /metrics (parsed
//! by the Prometheus client library).

use crate::common::*;
use pureconnect_idp::i18n::Lang;
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

async fn start_slow(fx: &Fixture, delay: Duration, extra: &str) -> TestIdp {
    let cfg = fx.config("assertion", extra);
    TestIdp::start_with(
        cfg,
        pureconnect_idp::Options {
            backend: Some(Arc::new(SlowBackend::new(delay))),
            ..Default::default()
        },
    )
    .await
}

fn t(tag: &str, key: &str, minutes: &str) -> String {
    let l = Lang::from_tag(tag).unwrap();
    match minutes.parse() {
        // A count: the plural message.
        Ok(n) => l.tn(key, "minutes", n, &[]),
        Err(_) => l.t(key).to_string(),
    }
    .replace('\'', "&#x27;")
    .replace('"', "&quot;")
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_lead_to_429_in_the_users_language_and_recover_after_the_delay() {
    let fx = Fixture::new();
    let idp = TestIdp::start(fx.config(
        "assertion",
        "[throttle]\nuser_failures = 3\nip_failures = 100\nbase_delay = \"2s\"\nmax_user_delay = \"4s\"\nwindow = \"1m\"\n",
    ))
    .await;
    let c = client();
    let form = get(&c, &request_url(&idp.base)).await;
    for _ in 0..3 {
        let p = submit(&c, &form.body, "Agent1", "wrong", "login").await;
        assert_eq!(p.status, 200);
        assert!(p.body.contains(&t("en-US", "error.bad_credentials", "")));
    }
    // Locked: even the right password is refused, case-folded user ID included, in each
    // language the form is in.
    for tag in ["en-US", "de", "ja", "ar"] {
        let mut f = form.body.clone();
        f = f.replace(
            "name=\"lang\" value=\"en-US\"",
            &format!("name=\"lang\" value=\"{tag}\""),
        );
        let p = submit(&c, &f, "AGENT1", "agent1", "login").await;
        assert_eq!(p.status, 429, "{tag}: {}", p.body);
        assert!(
            p.body.contains(&t(tag, "error.too_many_attempts", "1")),
            "{tag}: {}",
            p.body
        );
        let retry: u64 = p.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=2).contains(&retry), "{retry}");
    }
    // A fourth failure doubles the delay to 4 s (the cap).
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let p = submit(&c, &form.body, "agent1", "wrong", "login").await;
    assert_eq!(p.status, 200);
    let p = submit(&c, &form.body, "agent1", "agent1", "login").await;
    assert_eq!(p.status, 429);
    let retry: u64 = p.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((3..=4).contains(&retry), "{retry}");
    // After it, the right password works and clears the count.
    tokio::time::sleep(Duration::from_millis(4100)).await;
    let p = submit(&c, &form.body, "agent1", "agent1", "login").await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(autopost(&p.body).is_some());
    // A fresh browser (no SSO session): one failure after the success is no lockout.
    let c2 = client();
    let form = get(&c2, &request_url(&idp.base)).await;
    let p = submit(&c2, &form.body, "agent1", "wrong", "login").await;
    assert_eq!(
        p.status, 200,
        "one failure after a success is not a lockout"
    );
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credential_post_needs_the_browser_cookie_and_succeeds_once() {
    let fx = Fixture::new();
    let idp = TestIdp::start(fx.config("assertion", "")).await;
    let c = client();
    let form = get(&c, &request_url(&idp.base)).await;
    let cookie = form.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("idp_browser=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    // Posted from elsewhere (another browser, no cookie): refused.
    let p = submit(&client(), &form.body, "agent1", "agent1", "login").await;
    assert_eq!(p.status, 400);
    assert!(
        p.body.contains(&t("en-US", "error.cookies", "")),
        "{}",
        p.body
    );
    // A forged cookie: refused.
    let (action, mut fields) = login_form(&form.body);
    fields.extend([
        ("user_id".into(), "agent1".into()),
        ("password".into(), "agent1".into()),
        ("action".into(), "login".into()),
    ]);
    let r = reqwest::Client::new()
        .post(&action)
        .header("cookie", "idp_browser=00000000000000000000000000000000")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // The real browser: once.
    let ok = submit(&c, &form.body, "agent1", "agent1", "login").await;
    assert!(autopost(&ok.body).is_some());
    let replay = submit(&c, &form.body, "agent1", "agent1", "login").await;
    assert_eq!(replay.status, 400);
    assert!(
        replay.body.contains(&t("en-US", "error.form_used", "")),
        "{}",
        replay.body
    );
    assert!(autopost(&replay.body).is_none());
    // Cancel also ends a form.
    let c3 = client();
    let form = get(&c3, &request_url(&idp.base)).await;
    assert!(autopost(&submit(&c3, &form.body, "", "", "cancel").await.body).is_some());
    assert_eq!(
        submit(&c3, &form.body, "agent1", "agent1", "login")
            .await
            .status,
        400
    );
    idp.stop().await;
}

fn header<'a>(p: &'a Page, name: &str) -> &'a str {
    p.headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_else(|| panic!("no {name} header"))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_carries_the_security_headers() {
    let fx = Fixture::new();
    let server = fx.tls_server_lines();
    let idp =
        TestIdp::start(fx.config_full("https://idp.test", SECRET_A, &server, "assertion", ""))
            .await;
    assert!(idp.base.starts_with("https://"));
    let c = client();
    let form = get(&c, &request_url(&idp.base)).await;
    let done = submit(&c, &form.body, "agent1", "agent1", "login").await;
    let bad = get(
        &c,
        &idp.url("/ICNotifierIDP/login?loginType=saml&SAMLRequest=%%%"),
    )
    .await;
    let missing = get(&c, &idp.url("/nowhere")).await;
    let metadata = get(&c, &idp.url("/ICNotifierIDP/metadata")).await;
    for (what, p) in [
        ("form", &form),
        ("autopost", &done),
        ("400", &bad),
        ("404", &missing),
        ("metadata", &metadata),
    ] {
        assert_eq!(header(p, "x-frame-options"), "DENY", "{what}");
        assert_eq!(header(p, "referrer-policy"), "no-referrer", "{what}");
        assert_eq!(header(p, "x-content-type-options"), "nosniff", "{what}");
        assert!(
            header(p, "strict-transport-security").contains("max-age="),
            "{what}"
        );
        let csp = header(p, "content-security-policy");
        for part in [
            "default-src 'none'",
            "frame-ancestors 'none'",
            "style-src 'self'",
        ] {
            assert!(csp.contains(part), "{what}: {csp}");
        }
        // The metadata is a public, stable document; the pages are not to be kept.
        let cache = if what == "metadata" {
            "public, max-age=3600"
        } else {
            "no-store"
        };
        assert_eq!(header(p, "cache-control"), cache, "{what}");
    }
    assert!(header(&form, "content-security-policy").contains("form-action 'self';"));
    // The form runs one script (the busy state on Log On), allowed by its hash alone.
    let form_csp = header(&form, "content-security-policy");
    let form_script = form
        .body
        .split("<script>")
        .nth(1)
        .unwrap()
        .split("</script>");
    let form_hash = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        openssl::sha::sha256(form_script.clone().next().unwrap().as_bytes()),
    );
    assert!(
        form_csp.ends_with(&format!("; script-src 'sha256-{form_hash}'")),
        "{form_csp}"
    );
    assert_eq!(form_csp.matches("script-src").count(), 1, "{form_csp}");
    let csp = header(&done, "content-security-policy");
    assert!(csp.contains("form-action 'self' https://sp.test"), "{csp}");
    // The policy's hash is the hash of the script the page runs.
    let script = done
        .body
        .split("<script>")
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    let hash = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        openssl::sha::sha256(script.as_bytes()),
    );
    assert!(
        csp.contains(&format!("script-src 'sha256-{hash}'")),
        "{csp}"
    );
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_answer_with_pages_and_shutdown_lets_logins_finish() {
    let fx = Fixture::new();
    let idp = start_slow(
        &fx,
        Duration::from_millis(1500),
        "[limits]\nmax_body = 20000\nmax_concurrent = 2\nrequest_timeout = \"1s\"\n",
    )
    .await;
    let c = client();
    let form = get(&c, &request_url(&idp.base)).await;
    // Too large a body.
    let big = "x".repeat(30_000);
    // Its own connection: the server closes it after refusing the body.
    let p = post(&client(), &idp.login_url(), &[("SAMLRequest", &big)]).await;
    assert_eq!(p.status, 413);
    assert!(p.body.contains("larger than 20000 bytes"), "{}", p.body);
    assert!(p.body.contains("<html"), "a page, not plain text");
    // A login slower than the request timeout.
    let p = submit(&c, &form.body, "agent1", "agent1", "login").await;
    assert_eq!(p.status, 408);
    assert!(p.body.contains(&t("en-US", "error.busy", "")), "{}", p.body);
    idp.stop().await;

    // Beyond the concurrency limit: 503 at once, i.e. while both places are still held (a
    // queued request would be served the form once a login let go of its place).
    let idp = start_slow(
        &fx,
        Duration::from_secs(3),
        "[limits]\nmax_concurrent = 2\n",
    )
    .await;
    let mut forms = Vec::new();
    for _ in 0..3 {
        let c = client();
        let f = get(&c, &request_url(&idp.base)).await;
        forms.push((c, f.body));
    }
    let mut tasks = Vec::new();
    for (c, body) in forms.into_iter().take(2) {
        tasks.push(tokio::spawn(async move {
            submit(&c, &body, "agent1", "agent1", "login").await.status
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let p = get(&client(), &request_url(&idp.base)).await;
    assert_eq!(p.status, 503);
    assert!(
        tasks.iter().all(|t| !t.is_finished()),
        "refused while both logins held their places, not queued behind them"
    );
    assert!(p.body.contains(&t("en-US", "error.busy", "")));
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }

    // A shutdown while a login is in flight: the login finishes.
    let c = client();
    let f = get(&c, &request_url(&idp.base)).await;
    let inflight =
        tokio::spawn(async move { submit(&c, &f.body, "agent1", "agent1", "login").await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    idp.stop().await;
    let p = inflight.await.unwrap();
    assert_eq!(p.status, 200);
    assert!(autopost(&p.body).is_some());
}

fn prom_parse(text: &str) -> Value {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ops/prom_parse.py");
    let mut child = Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true, "{v}\n{text}");
    v
}

fn sample(v: &Value, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    v["samples"].as_array().unwrap().iter().find_map(|s| {
        let l = &s[1];
        (s[0] == name && labels.iter().all(|(k, val)| l[*k] == *val))
            .then(|| s[2].as_f64().unwrap())
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn readyz_and_metrics_move_with_logins() {
    let fx = Fixture::new();
    let idp = TestIdp::start(fx.config("assertion", "")).await;
    let c = client();
    assert_eq!(get(&c, &idp.url("/healthz")).await.status, 200);
    let ready = get(&c, &idp.url("/readyz")).await;
    assert_eq!(ready.status, 200, "{}", ready.body);

    let before = prom_parse(&get(&c, &idp.url("/metrics")).await.body);
    assert_eq!(
        before["families"]["idp_http_request_duration_seconds"],
        "histogram"
    );
    let days = sample(
        &before,
        "idp_certificate_days_left",
        &[("name", "idp"), ("role", "active")],
    )
    .expect("days left of the active certificate");
    assert!((29.0..=30.0).contains(&days), "{days}");
    let form = get(&c, &request_url(&idp.base)).await;
    submit(&c, &form.body, "agent1", "wrong", "login").await;
    submit(&c, &form.body, "agent1", "agent1", "login").await;
    let after = prom_parse(&get(&c, &idp.url("/metrics")).await.body);
    let logins = |v: &Value, result| {
        sample(
            v,
            "idp_logins_total",
            &[("result", result), ("sp", SP_ID), ("lang", "en-US")],
        )
        .unwrap_or(0.0)
    };
    assert_eq!(logins(&after, "ok") - logins(&before, "ok"), 1.0);
    assert_eq!(
        logins(&after, "bad_credentials") - logins(&before, "bad_credentials"),
        1.0
    );
    let count = |v: &Value, n| sample(v, n, &[]).unwrap_or(0.0);
    assert_eq!(
        count(&after, "idp_backend_duration_seconds_count")
            - count(&before, "idp_backend_duration_seconds_count"),
        2.0
    );
    assert!(
        count(&after, "idp_http_request_duration_seconds_count")
            >= count(&before, "idp_http_request_duration_seconds_count") + 4.0
    );
    // Through the proxy (its headers present): not served.
    let r = c
        .get(idp.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn json_logs_carry_audit_events_and_never_a_password() {
    let fx = Fixture::new();
    let server = spawn_server(&fx, &["--log-format", "json"]);
    let secret = "Sup3r-S3cret-Pa55";
    let c = client();
    let form = get(&c, &request_url(&server.base)).await;
    submit(&c, &form.body, "agent1", secret, "login").await;
    let done = submit(&c, &form.body, "agent1", "agent1", "login").await;
    assert!(autopost(&done.body).is_some());
    std::thread::sleep(Duration::from_millis(300));
    let lines = server.lines.lock().unwrap().clone();
    let events: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    assert!(
        lines.iter().all(|l| !l.contains(secret)),
        "the password leaked"
    );
    let audit: Vec<&Value> = events.iter().filter(|e| e["target"] == "audit").collect();
    let results: Vec<&str> = audit
        .iter()
        .map(|e| e["result"].as_str().unwrap())
        .collect();
    assert_eq!(results, ["bad_credentials", "ok"], "{audit:?}");
    for e in audit {
        assert_eq!(e["user"], "agent1");
        assert_eq!(e["sp"], SP_ID);
        assert_eq!(e["client_ip"], "127.0.0.1");
        assert_eq!(e["lang"], "en-US");
        assert!(e["timestamp"].is_string() && e["level"] == "INFO", "{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_panics_gets_the_error_page_and_the_server_carries_on() {
    // The product has no route that panics; this one is mounted behind the same guard.
    let fx = Fixture::new();
    let app = pureconnect_idp::build(fx.config("assertion", ""), Default::default())
        .await
        .unwrap();
    let routes = axum::Router::new()
        .route(
            "/boom",
            axum::routing::get(|| async {
                panic!("a bug");
                #[allow(unreachable_code)]
                "never"
            }),
        )
        .route("/fine", axum::routing::get(|| async { "fine" }));
    let router =
        pureconnect_idp::web::guard::apply(routes.with_state(app.state.clone()), app.state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    let c = client();
    for _ in 0..3 {
        let r = c
            .get(format!("{base}/boom"))
            .header("Accept-Language", "de")
            .send()
            .await
            .unwrap();
        let p = page(r).await;
        assert_eq!(p.status, 500);
        assert!(header(&p, "content-type").starts_with("text/html"));
        assert!(p.body.contains("lang=\"de\""), "{}", p.body);
        let message = Lang::from_tag("de").unwrap().t("error.internal");
        assert!(
            p.body.contains(&message.replace('\'', "&#x27;")),
            "{}",
            p.body
        );
        assert!(!p.body.contains("a bug"));
        assert_eq!(header(&p, "x-frame-options"), "DENY");
    }
    let ok = get(&c, &format!("{base}/fine")).await;
    assert_eq!((ok.status, ok.body.as_str()), (200, "fine"));
    server.abort();
}
