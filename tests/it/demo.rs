//! Demo mode as a new user meets it: the real binary, `serve --demo`, over HTTPS; `selftest`
//! against it; and a person's browser flow in headless Chromium.

use crate::common::*;
use pureconnect_idp::selftest::SelfTest;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The demo server, killed when dropped.
struct Demo {
    child: Child,
    url: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_demo(state_dir: &Path) -> Demo {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pureconnect-idp"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--state-dir"])
        .arg(state_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut url = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.trim().strip_prefix("open") {
            url = rest
                .split_whitespace()
                .next()
                .map(|u| u.trim_end_matches("/demo").to_string());
            break;
        }
    }
    // Keep draining its output, or its next line would find the pipe closed.
    std::thread::spawn(move || lines.for_each(drop));
    Demo {
        child,
        url: url.expect("the demo printed its URL"),
    }
}

fn selftest(url: &str, user: &str, password: &str) -> SelfTest {
    SelfTest {
        url: url.into(),
        user: user.into(),
        password: password.into(),
        expect_email: Some("agent1@example.com".into()),
        insecure: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_mode_over_https_passes_selftest_and_the_browser_flow() {
    let state = tempfile::tempdir().unwrap();
    let demo = start_demo(state.path());
    assert!(demo.url.starts_with("https://127.0.0.1:"), "{}", demo.url);
    // Nothing secret is made outside the state folder, and the signing key is owner-only.
    let key = state.path().join("certs/signing/demo.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o077,
            0
        );
    }

    let lines = selftest(&demo.url, "agent1", "agent1").run().await.unwrap();
    assert!(
        lines.iter().any(|l| l.contains("signature verified")),
        "{lines:?}"
    );
    let e = selftest(&demo.url, "agent1", "wrong")
        .run()
        .await
        .unwrap_err();
    assert!(e.contains("did not accept the credentials"), "{e}");
    assert!(e.contains("incorrect"), "{e}");
    let e = selftest(&demo.url, "agent2", "agent2")
        .run()
        .await
        .unwrap_err();
    assert!(e.contains("expected `agent1@example.com`"), "{e}");

    // A person in a browser: open /demo, fill in the form, land on the demo ACS.
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-artifacts/demo");
    std::fs::create_dir_all(&shots).unwrap();
    let (ok, v) = browser(&[
        "demo-login",
        "--url",
        &demo.url,
        "--expect-email",
        "agent1@example.com",
        "--screenshot-dir",
        shots.to_str().unwrap(),
    ]);
    assert!(ok, "{v}");
    assert_eq!(v["name_id"], "agent1@example.com");
    assert!(
        v["final_url"].as_str().unwrap().ends_with("/demo/acs"),
        "{v}"
    );

    // A restart reuses what the first run made (same signing certificate).
    let cert = std::fs::read(state.path().join("certs/signing/demo.crt")).unwrap();
    drop(demo);
    let t = Instant::now();
    let demo = start_demo(state.path());
    assert!(t.elapsed() < Duration::from_secs(30));
    assert_eq!(
        std::fs::read(state.path().join("certs/signing/demo.crt")).unwrap(),
        cert
    );
    selftest(&demo.url, "agent1", "agent1").run().await.unwrap();
}

fn genesys_config(cfg: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pureconnect-idp"))
        .arg("genesys-config")
        .arg("--config")
        .arg(cfg)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn genesys_config_prints_what_to_enter_and_refuses_unsupported_regions() {
    let fx = Fixture::new();
    fx.config_full(
        "auto",
        SECRET_A,
        "public_base_url = \"https://sso.example.com/PureConnect\"",
        "assertion",
        "[[service_providers]]\ngenesys_region = \"eu-central-1\"\n",
    );
    let cfg = fx.path().join("idp.toml");
    let cert = std::fs::read_to_string(fx.path().join("certs/signing/idp.crt")).unwrap();
    let (code, out, _) = genesys_config(&cfg, &["--region", "eu-central-1"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Provider's Issuer URI:     https://sso.example.com\n"),
        "{out}"
    );
    assert!(out.contains("Target URL:                https://sso.example.com/PureConnect/ICNotifierIDP/login?loginType=saml\n"));
    assert!(out.contains("Relying Party Identifier:  https://login.mypurecloud.de/saml\n"));
    assert!(out.contains("Endpoint Compression:      on"));
    assert!(out.contains(cert.trim()), "the certificate PEM is printed");

    let (code, out, _) = genesys_config(&cfg, &["--region", "us-east-1", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for field in [
        "name",
        "disabled",
        "issuerURI",
        "ssoTargetURI",
        "sloURI",
        "sloBinding",
        "relyingPartyIdentifier",
        "certificate",
        "certificates",
        "nameIdentifierFormat",
        "ssoBinding",
        "signAuthnRequests",
        "providerName",
        "displayOnLogin",
    ] {
        assert!(v.get(field).is_some(), "{field} missing from {v}");
    }
    // Only the fields of the API reference's CustomerInteractionCenter model: a field
    // Genesys Cloud does not keep would never read back as written.
    assert!(v.get("forceAuthn").is_none());
    assert_eq!(
        v["relyingPartyIdentifier"],
        "https://login.mypurecloud.com/saml"
    );
    assert_eq!(v["issuerURI"], "https://sso.example.com");
    assert_eq!(v["certificates"].as_array().unwrap().len(), 1);
    // As the API holds certificates: base64 of the DER, without PEM armour or line breaks.
    let b64: String = cert.lines().filter(|l| !l.starts_with("-----")).collect();
    assert_eq!(v["certificate"].as_str().unwrap(), b64);
    assert_eq!(
        v["ssoBinding"],
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
    );

    // Not supported for PureConnect: a warning and a non-zero exit, unless forced.
    let (code, out, err) = genesys_config(&cfg, &["--region", "sa-east-1"]);
    assert_ne!(code, 0);
    assert!(out.is_empty());
    assert!(err.contains("does not support PureConnect"), "{err}");
    let (code, out, err) = genesys_config(&cfg, &["--region", "sa-east-1", "--force"]);
    assert_eq!(code, 0);
    assert!(err.contains("WARNING") && out.contains("login.sae1.pure.cloud"));
    // An unknown region is an error that lists the known ones.
    let (code, _, err) = genesys_config(&cfg, &["--region", "mars-1"]);
    assert_ne!(code, 0);
    assert!(err.contains("us-east-1"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_issuer_is_its_listen_address_whatever_host_the_browser_names() {
    let state = tempfile::tempdir().unwrap();
    let demo = start_demo(state.path());
    let issuer = demo.url.clone();
    let port = issuer.rsplit(':').next().unwrap().to_string();
    let c = crate::hosts::plain_client();
    // A stranger's Host: the 400 page, no Response.
    let p = crate::hosts::get_as(&c, &format!("{}/demo", demo.url), "evil.example", "").await;
    assert_eq!(p.status, 400, "{}", p.body);
    // A loopback name the demo answers for: it still signs as its listen address.
    let host = format!("localhost:{port}");
    let md = crate::hosts::get_as(
        &c,
        &format!("{}/ICNotifierIDP/metadata", demo.url),
        &host,
        "",
    )
    .await;
    assert!(
        md.body.contains(&format!("entityID=\"{issuer}\"")),
        "{}",
        md.body
    );
    let start = crate::hosts::get_as(&c, &format!("{}/demo", demo.url), &host, "").await;
    assert_eq!(start.status, 303, "{}", start.body);
    let location = start.headers["location"].to_str().unwrap();
    let path = location.split_once("/ICNotifierIDP/").unwrap().1;
    let (_, done) = crate::hosts::login_as(
        &c,
        &format!("{}/ICNotifierIDP/{path}", demo.url),
        &format!("{}/ICNotifierIDP/login?loginType=saml", demo.url),
        &host,
        ("agent1", "agent1"),
    )
    .await;
    let (_, resp, _) = autopost(&done.body).expect("a Response");
    let xml = decode_b64(&resp);
    let found = crate::hosts::issuers(&xml);
    assert!(!found.is_empty(), "{xml}");
    assert!(found.iter().all(|i| *i == issuer), "{found:?}");
}
