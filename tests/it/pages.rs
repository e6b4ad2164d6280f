//! The pages agents see: every error page has a way forward and a reference code that is in
//! that request's log line; errors are tied to the fields; the user ID survives a failure and
//! a language change; the SP's name per language; and, in headless Chromium, axe-core and
//! the contrast and target measurements on every page in four languages at two sizes.

use crate::common::*;
use pureconnect_idp::backend::{AuthError, CredentialBackend, Principal};
use pureconnect_idp::i18n::Lang;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;

/// The SP entry's extra keys (IdP-initiated login as `test`, a per-language name), a second
/// SP, and a throttle that refuses a user after two failures but never the loopback IP.
const EXTRA: &str = "alias = \"test\"\nallow_idp_initiated = true\n\
    display_name = { en-US = \"the test application\", de = \"der Testanwendung\" }\n\
    [throttle]\nuser_failures = 2\nip_failures = 100000\n\
    [[service_providers]]\nentity_id = \"urn:test:other\"\nacs_urls = [\"https://other.test/acs\"]\n";

const FORM_PATH: &str = "/ICNotifierIDP/login?loginType=saml&sp=test";

fn t(tag: &str, key: &str) -> String {
    Lang::from_tag(tag)
        .unwrap()
        .t(key)
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

/// The reference code on a page (`XXXX-XX` in `#reference`).
fn reference(body: &str) -> Option<String> {
    let start = body.find("id=\"reference\">")? + "id=\"reference\">".len();
    let text = &body[start..start + body[start..].find('<')?];
    text.split_whitespace()
        .find(|w| w.len() == 7 && w.as_bytes()[4] == b'-')
        .map(str::to_string)
}

fn again_href(body: &str) -> Option<String> {
    pureconnect_idp::selftest::attr_in_tag(body, "id=\"again\"", "href")
}

fn title(body: &str) -> &str {
    let s = body.find("<title>").map_or(0, |i| i + 7);
    &body[s..s + body[s..].find("</title>").unwrap_or(0)]
}

/// Waits (bounded) until a line the server printed contains `code`.
async fn logged(server: &Proc, code: &str) -> Option<String> {
    for _ in 0..50 {
        if let Some(l) = server
            .lines
            .lock()
            .unwrap()
            .iter()
            .find(|l| l.contains(code))
        {
            return Some(l.clone());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// Every error page: status, the link forward, a reference code that is in a log line.
async fn way_forward(server: &Proc, what: &str, p: &Page, status: u16, link: &str) -> String {
    assert_eq!(p.status, status, "{what}: {}", p.body);
    assert_eq!(
        again_href(&p.body).as_deref(),
        Some(link),
        "{what}: {}",
        p.body
    );
    let code = reference(&p.body).unwrap_or_else(|| panic!("{what}: no reference: {}", p.body));
    let line = logged(server, &code)
        .await
        .unwrap_or_else(|| panic!("{what}: {code} is in no log line"));
    assert!(line.contains("reference="), "{what}: {line}");
    code
}

#[tokio::test(flavor = "multi_thread")]
async fn every_error_page_has_a_way_forward_and_its_reference_is_in_the_log() {
    let fx = Fixture::new();
    let server = spawn_server_with(&fx, EXTRA, &[]);
    let base = server.base.clone();
    let home = "https://sp.test";
    let c = client();
    let mut codes = Vec::new();

    // A request that cannot be accepted, and a page that does not exist: the first SP's home,
    // a sentence on what to do; the 404 has its own heading.
    let p = get(&c, &format!("{base}/ICNotifierIDP/login?loginType=bogus")).await;
    codes.push(way_forward(&server, "invalid request", &p, 400, home).await);
    assert!(p.body.contains(&t("en-US", "page.next_restart")));
    assert!(title(&p.body).starts_with("Error: "), "{}", title(&p.body));
    let p = get(&c, &format!("{base}/nowhere")).await;
    codes.push(way_forward(&server, "not found", &p, 404, home).await);
    assert!(p.body.contains(&t("en-US", "page.not_found_heading")));
    assert!(!p.body.contains(&t("en-US", "page.error_heading")));
    // Coming from another configured SP, the way back is that SP's home; never a URL the
    // request names.
    for (referer, want) in [
        ("https://other.test/some/page", "https://other.test"),
        ("https://evil.test/", home),
    ] {
        let p = page(
            c.get(format!("{base}/nowhere"))
                .header("referer", referer)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(again_href(&p.body).as_deref(), Some(want), "{referer}");
    }

    // Wrong password: the form again, the message tied to both fields, the user ID kept, the
    // title prefixed, a reference that is in the audit line of the attempt.
    let form = get(&c, &format!("{base}{FORM_PATH}")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let p = submit(&c, &form.body, "agent1", "wrong", "login").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains(&t("en-US", "error.bad_credentials")));
    for field in ["id=\"user_id\"", "id=\"password\""] {
        let tag_at = p.body.find(field).unwrap();
        let tag = &p.body[tag_at..tag_at + p.body[tag_at..].find('>').unwrap()];
        assert!(tag.contains("aria-invalid=\"true\""), "{tag}");
        assert!(tag.contains("aria-describedby=\"error-text\""), "{tag}");
    }
    assert!(p.body.contains("id=\"error-text\""));
    assert_eq!(
        pureconnect_idp::selftest::input_value(&p.body, "user_id").as_deref(),
        Some("agent1")
    );
    assert_eq!(title(&p.body), "Error: Log On – PureConnect");
    let code = reference(&p.body).expect("a reference under the message");
    let line = logged(&server, &code)
        .await
        .expect("the attempt's log line");
    assert!(line.contains("bad_credentials") || line.contains("error.bad_credentials"));
    codes.push(code);

    // Throttled: the form again (Log On works once the time has passed), "1 minute".
    let _ = submit(&c, &form.body, "agent1", "wrong", "login").await;
    let p = submit(&c, &form.body, "agent1", "agent1", "login").await;
    assert_eq!(p.status, 429, "{}", p.body);
    assert!(p.body.contains("id=\"login-form\""));
    assert!(
        p.body.contains("Try again in 1 minute."),
        "the singular for one minute: {}",
        p.body
    );
    let code = reference(&p.body).expect("a reference on the throttled page");
    assert!(logged(&server, &code).await.is_some());
    codes.push(code);

    // No email; a form that expired: the SP's home, as "start again".
    let c2 = client();
    let form = get(&c2, &format!("{base}{FORM_PATH}")).await;
    let p = submit(&c2, &form.body, "noemail", "agent1", "login").await;
    codes.push(way_forward(&server, "no email", &p, 403, home).await);
    let (action, _) = login_form(&form.body);
    let p = post(
        &c2,
        &action,
        &[
            ("state", "AAAA"),
            ("sp", SP_ID),
            ("user_id", "agent1"),
            ("password", "agent1"),
        ],
    )
    .await;
    codes.push(way_forward(&server, "session expired", &p, 400, home).await);

    // Signed out: a way back too.
    let p = get(&c2, &format!("{base}/ICNotifierIDP/logout")).await;
    assert_eq!(p.status, 200);
    assert_eq!(again_href(&p.body).as_deref(), Some(home), "{}", p.body);

    // Each request its own code.
    let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
    assert_eq!(distinct.len(), codes.len(), "{codes:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_user_id_survives_a_language_change_and_the_sp_name_follows_the_language() {
    let fx = Fixture::new();
    let idp = TestIdp::start(fx.config("assertion", EXTRA)).await;
    let c = client();
    let form = get(&c, &idp.url(FORM_PATH)).await;
    assert!(
        form.body.contains("<bdi>the test application</bdi>"),
        "{}",
        form.body
    );
    let (url, mut fields) = login_form(&form.body);
    fields.extend([
        ("user_id".to_string(), "agent7".to_string()),
        ("password".to_string(), String::new()),
        ("action".to_string(), "language".to_string()),
        ("pick_lang".to_string(), "de".to_string()),
    ]);
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let p = post(&c, &url, &refs).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("<html lang=\"de\""));
    assert_eq!(
        pureconnect_idp::selftest::input_value(&p.body, "user_id").as_deref(),
        Some("agent7")
    );
    assert!(
        p.body.contains("<bdi>der Testanwendung</bdi>"),
        "{}",
        p.body
    );
    // Japanese has no name of its own: the English one, marked as English.
    let p = page(
        c.get(idp.url(FORM_PATH))
            .header("cookie", "idp_lang=ja")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        p.body
            .contains("<bdi lang=\"en-US\">the test application</bdi>"),
        "{}",
        p.body
    );
    idp.stop().await;
}

/// Each outcome by the user ID's first word: `agent1`/`agent1` signs in, `locked-…`,
/// `down-…`, `busy-…` and `noemail-…` get those answers, everything else is a wrong password.
struct Outcomes;

#[async_trait::async_trait]
impl CredentialBackend for Outcomes {
    async fn authenticate(
        &self,
        user: &str,
        password: &SecretString,
        _lang: &str,
    ) -> Result<Principal, AuthError> {
        match (
            user.split('-').next().unwrap_or(""),
            password.expose_secret(),
        ) {
            ("agent1", "agent1") => Ok(Principal {
                user_id: "agent1".into(),
                email: "agent1@example.com".into(),
                display_name: None,
            }),
            ("locked", _) => Err(AuthError::AccountProblem("locked".into())),
            ("down", _) => Err(AuthError::Unavailable("no server answered".into())),
            ("busy", _) => Err(AuthError::Busy),
            ("noemail", _) => Err(AuthError::NoEmail),
            _ => Err(AuthError::BadCredentials),
        }
    }
    fn kind(&self) -> &'static str {
        "outcomes"
    }
}

fn page_plan(name: &str, path: &str, expect: &str) -> serde_json::Value {
    serde_json::json!({"name": name, "path": path, "expect": expect})
}

fn submitted(name: &str, user: &str, password: &str, expect: &str) -> serde_json::Value {
    serde_json::json!({"name": name, "path": FORM_PATH, "expect": expect,
        "submit": {"fields": {"user_id": user, "password": password}, "button": "logon"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_and_the_measurements_pass_on_every_page_in_four_languages_at_two_sizes() {
    let fx = Fixture::new();
    let idp = TestIdp::start_with(
        fx.config("assertion", EXTRA),
        pureconnect_idp::Options {
            backend: Some(Arc::new(Outcomes)),
            ..Default::default()
        },
    )
    .await;
    // `throttled` is refused from now on (two failures).
    let c = client();
    let form = get(&c, &idp.url(FORM_PATH)).await;
    for _ in 0..2 {
        assert_eq!(
            submit(&c, &form.body, "throttled", "x", "login")
                .await
                .status,
            200
        );
    }
    assert_eq!(
        submit(&c, &form.body, "throttled", "x", "login")
            .await
            .status,
        429
    );

    let expired = serde_json::json!({"name": "session_expired", "path": FORM_PATH,
        "expect": "#message", "submit": {"fields": {"user_id": "agent1", "password": "agent1"},
        "hidden": {"state": "AAAA"}, "button": "logon"}});
    let mut autopost = submitted(
        "autopost_without_javascript",
        "agent1",
        "agent1",
        "#continue",
    );
    autopost["noscript"] = true.into();
    autopost["focused"] = "continue".into();
    let pages = vec![
        page_plan("form", FORM_PATH, "#login-form"),
        submitted("bad_credentials", "wrong-{lang}", "x", "#error"),
        submitted("throttled", "throttled", "x", "#error"),
        submitted("account_problem", "locked-{lang}", "x", "#message"),
        submitted("backend_unavailable", "down-{lang}", "x", "#error"),
        submitted("busy", "busy-{lang}", "x", "#error"),
        submitted("no_email", "noemail-{lang}", "x", "#message"),
        expired,
        page_plan(
            "invalid_request",
            "/ICNotifierIDP/login?loginType=bogus",
            "#message",
        ),
        page_plan("not_found", "/nowhere", "#message"),
        page_plan("signed_out", "/ICNotifierIDP/logout", "#heading"),
        autopost,
    ];
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test-artifacts/pages");
    let plan = serde_json::json!({
        "base": idp.base,
        "languages": ["en-US", "de", "ar", "ja"],
        "viewports": [[1280, 800], [390, 844]],
        "mobile_below": 500,
        "pages": pages,
        "screenshots": {"dir": shots, "path": FORM_PATH, "width": 320, "height": 640,
            "languages": Lang::all().map(|l| l.tag()).collect::<Vec<_>>(),
            "min_select_width": 150},
    });
    let file = fx.path().join("plan.json");
    std::fs::write(&file, plan.to_string()).unwrap();
    let (ok, v) = browser(&["audit", "--plan", file.to_str().unwrap()]);
    let problems = v["problems"].as_array().map(|a| {
        a.iter()
            .filter_map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    });
    assert!(ok, "{}\n{}", v["error"], problems.unwrap_or_default());
    let checked = v["checked"].as_array().unwrap();
    // Every page, language and size was checked, and each found something to measure.
    assert_eq!(checked.len(), 12 * 4 * 2);
    for c in checked {
        assert!(c["texts"].as_u64().unwrap() > 0, "{c}");
        assert!(c["focus_stops"].as_u64().unwrap() > 0, "{c}");
    }
    assert_eq!(v["screenshots"].as_array().unwrap().len(), 22);
    eprintln!(
        "axe {} on {} page views and 22 screenshots: {} s",
        v["axe_version"],
        checked.len(),
        v["seconds"]
    );
    idp.stop().await;
}
