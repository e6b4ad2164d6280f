//! Headless Chromium as the domain user's browser: Negotiate allowed for `localhost` by
//! `--auth-server-allowlist`, its tickets from `kinit` through `KRB5CCNAME`/`KRB5_CONFIG` in
//! its environment. With a ticket it gets the signed Response (pysaml2 verifies it) and never
//! shows the form; without one it shows the form. (Chromium on Linux loads GSSAPI only after
//! a first Negotiate challenge, so `browser.py negotiate` loads the page twice.)

use super::kdc::Kdc;
use super::sign_in::kerberos_world;
use crate::common::*;
use serde_json::Value;
use std::path::Path;

/// `browser.py negotiate` on `url` with the tickets of `ccache` (or an empty cache).
fn chromium_negotiate(kdc: &Kdc, ccache: &str, url: &str) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/browser.py");
    let out = kdc
        .cmd(python().to_str().unwrap())
        .env("KRB5CCNAME", ccache)
        .arg(script)
        .args(["negotiate", "--allowlist", "localhost", "--url", url])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
        panic!(
            "browser.py printed no JSON: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(out.status.success(), "{v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_chromium_with_a_ticket_gets_a_verified_response_and_no_form() {
    let fx = Fixture::new();
    let (kdc, idp) = kerberos_world(&fx).await;
    let md = idp.metadata_file(fx.path()).await;
    // The service principal is HTTP/localhost: the name Chromium is given and asks for.
    let url = request_url(&idp.base.replace("127.0.0.1", "localhost"));
    let (with, without) = tokio::task::spawn_blocking(move || {
        let cc = kdc.kinit("agent1", "agent1-krb-pw", &[]);
        let with = chromium_negotiate(&kdc, &cc, &url);
        let empty = format!("FILE:{}/nobody.cc", kdc.path().display());
        (with, chromium_negotiate(&kdc, &empty, &url))
    })
    .await
    .unwrap();
    assert_eq!(with["login_form"], false, "the form was shown: {with}");
    let resp = with["saml_response"]
        .as_str()
        .unwrap_or_else(|| panic!("no SAMLResponse: {with}"));
    assert_eq!(with["relay_state"], "keep-me", "{with}");
    let (ok, v) = sp_verify(fx.path(), md.to_str().unwrap(), resp, "_r", &[]);
    assert!(ok, "{v}");
    assert_eq!(v["name_id"], "agent1@example.com", "{v}");
    // Without a ticket Chromium gets no token: the challenge's body, the form, is shown.
    assert_eq!(without["login_form"], true, "{without}");
    assert!(without["saml_response"].is_null(), "{without}");
    idp.stop().await;
}
