//! The pages in the user's language: negotiation over HTTP, the picker and its cookie, error
//! pages in German, Japanese and Arabic, and the language handed to the credential backend.

use crate::common::*;
use pureconnect_idp::backend::{AuthError, CredentialBackend, Principal};
use pureconnect_idp::i18n::Lang;
use secrecy::{ExposeSecret, SecretString};
use std::sync::{Arc, Mutex};

fn t(tag: &str, key: &str) -> String {
    // Pages are HTML: compare with the escaped text.
    let s = Lang::from_tag(tag).unwrap().t(key);
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn html_lang(body: &str) -> (String, String) {
    let lang = pureconnect_idp::selftest::attr_in_tag(body, "<html", "lang").unwrap();
    let dir = pureconnect_idp::selftest::attr_in_tag(body, "<html", "dir").unwrap();
    (lang, dir)
}

async fn get_lang(c: &reqwest::Client, url: &str, accept: &str) -> Page {
    page(
        c.get(url)
            .header("accept-language", accept)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Records the language each authentication was asked in.
struct Recorder {
    langs: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl CredentialBackend for Recorder {
    async fn authenticate(
        &self,
        user: &str,
        password: &SecretString,
        lang: &str,
    ) -> Result<Principal, AuthError> {
        self.langs.lock().unwrap().push(lang.to_string());
        match (user, password.expose_secret()) {
            ("agent1", "agent1") => Ok(Principal {
                user_id: "agent1".into(),
                email: "agent1@example.com".into(),
                display_name: None,
            }),
            ("locked", _) => Err(AuthError::AccountProblem(
                "error.request.connection.accountLocked".into(),
            )),
            ("down", _) => Err(AuthError::Unavailable("no server answered".into())),
            ("noemail", _) => Err(AuthError::NoEmail),
            _ => Err(AuthError::BadCredentials),
        }
    }
    fn kind(&self) -> &'static str {
        "recorder"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_language_follows_accept_language_and_the_picker() {
    let fx = Fixture::new();
    let idp =
        TestIdp::start(fx.config("assertion", "[i18n]\ndefault_language = \"en-US\"\n")).await;
    let c = client();
    for (accept, want, dir) in [
        ("de-AT,de;q=0.9", "de", "ltr"),
        ("ja", "ja", "ltr"),
        ("ar-EG", "ar", "rtl"),
        ("he", "he", "rtl"),
        ("fi, zh-HK;q=0.5", "zh-TW", "ltr"),
        ("fi", "en-US", "ltr"),
        (";;garbage", "en-US", "ltr"),
    ] {
        let p = get_lang(&c, &request_url(&idp.base), accept).await;
        assert_eq!(p.status, 200, "{accept}");
        assert_eq!(
            html_lang(&p.body),
            (want.to_string(), dir.to_string()),
            "{accept}"
        );
        assert!(p.body.contains(&t(want, "login.heading")), "{accept}");
        assert!(p.body.contains(&t(want, "login.submit")), "{accept}");
    }
    // The picker lists every language in its own name.
    let p = get_lang(&c, &request_url(&idp.base), "en").await;
    for name in [
        "Deutsch",
        "日本語",
        "العربية",
        "עברית",
        "Français (Canada)",
        "Português (Brasil)",
        "繁體中文",
    ] {
        assert!(p.body.contains(name), "{name} missing from the picker");
    }
    // Picking Japanese re-shows the form in Japanese and remembers it in a cookie…
    let (action, mut fields) = login_form(&p.body);
    fields.push(("action".into(), "language".into()));
    fields.push(("pick_lang".into(), "ja".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let r = c
        .post(&action)
        .header("accept-language", "de")
        .form(&refs)
        .send()
        .await
        .unwrap();
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.starts_with("idp_lang=ja;") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let body = r.text().await.unwrap();
    assert_eq!(html_lang(&body).0, "ja");
    assert!(body.contains(&t("ja", "login.heading")));
    // …which wins over Accept-Language on the next login.
    let p = get_lang(&c, &request_url(&idp.base), "de").await;
    assert_eq!(html_lang(&p.body).0, "ja");
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_page_in_german_japanese_and_arabic() {
    let fx = Fixture::new();
    let rec = Arc::new(Recorder {
        langs: Mutex::new(vec![]),
    });
    let idp = TestIdp::start_with(
        fx.config("assertion", ""),
        pureconnect_idp::Options {
            backend: Some(rec.clone()),
            ..Default::default()
        },
    )
    .await;
    for (tag, dir) in [("de", "ltr"), ("ja", "ltr"), ("ar", "rtl")] {
        let c = client();
        let check = |p: &Page, status: u16, key: &str, what: &str| {
            assert_eq!(p.status, status, "{tag} {what}: {}", p.body);
            assert_eq!(
                html_lang(&p.body),
                (tag.to_string(), dir.to_string()),
                "{tag} {what}"
            );
            assert!(
                p.body.contains(&t(tag, key)),
                "{tag} {what}: {key} not on the page: {}",
                p.body
            );
            // No English sentence leaks into the page.
            if tag != "en-US" {
                assert!(
                    !p.body.contains(&t("en-US", key)),
                    "{tag} {what}: English text on the page"
                );
            }
        };
        // A request the IdP cannot accept.
        let p = get_lang(&c, &idp.url("/ICNotifierIDP/login?loginType=saml"), tag).await;
        check(&p, 400, "error.request_invalid", "bad request");
        assert!(p.body.contains(&t(tag, "page.error_heading")));
        // Unknown page.
        let p = get_lang(&c, &idp.url("/nowhere"), tag).await;
        check(&p, 404, "error.not_found", "not found");
        // The form, then each outcome of the backend.
        let form = get_lang(&c, &request_url(&idp.base), tag).await;
        for (user, status, key) in [
            ("agent1-wrong", 200, "error.bad_credentials"),
            ("locked", 403, "error.account_problem"),
            ("down", 503, "error.backend_unavailable"),
            ("noemail", 403, "error.no_email"),
        ] {
            let p = submit(&c, &form.body, user, "pw", "login").await;
            check(&p, status, key, user);
        }
        let p = submit(&c, &form.body, "agent1", "", "login").await;
        check(&p, 200, "error.missing_fields", "missing fields");
        // A sign-in form that another server (other secret) made, or that expired.
        let (action, _) = login_form(&form.body);
        let p = post(
            &c,
            &action,
            &[
                ("state", "AAAA"),
                ("lang", tag),
                ("user_id", "agent1"),
                ("password", "agent1"),
            ],
        )
        .await;
        check(&p, 400, "error.session_expired", "session expired");
        // The auto-POST page.
        let p = submit(&c, &form.body, "agent1", "agent1", "login").await;
        check(&p, 200, "autopost.noscript", "auto-post");
    }
    // The backend was asked in the language of the form.
    let langs = rec.langs.lock().unwrap().clone();
    assert!(!langs.is_empty());
    let mut expected = Vec::new();
    for tag in ["de", "ja", "ar"] {
        expected.extend(std::iter::repeat_n(tag.to_string(), 5));
    }
    assert_eq!(langs, expected);
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_renders_the_form_in_all_22_languages_without_overflow() {
    let fx = Fixture::new();
    let idp = TestIdp::start(fx.config("assertion", "")).await;
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test-artifacts/i18n");
    std::fs::create_dir_all(&shots).unwrap();
    let mut problems = Vec::new();
    for l in Lang::all() {
        let tag = l.tag();
        let shot = shots.join(format!("{tag}.png"));
        let (ok, v) = browser(&[
            "inspect-form",
            "--url",
            &request_url(&idp.base),
            "--accept-language",
            tag,
            "--screenshot",
            shot.to_str().unwrap(),
        ]);
        assert!(ok, "{tag}: {v}");
        let want_dir = if matches!(tag, "ar" | "he") {
            "rtl"
        } else {
            "ltr"
        };
        let checks = [
            (v["lang"] == tag, "html lang"),
            (v["dir"] == want_dir, "html dir"),
            (v["title"] == l.t("login.page_title"), "title"),
            (v["heading"] == l.t("login.heading"), "heading"),
            (
                v["buttons"]["logon"] == l.t("login.submit"),
                "Log On button",
            ),
            (
                v["buttons"]["cancel"] == l.t("login.cancel"),
                "Cancel button",
            ),
            (
                v["overflow"].as_array().is_some_and(|o| o.is_empty()),
                "text overflowing the form box",
            ),
            (v["input_user_dir"] == "ltr", "user ID field left-to-right"),
        ];
        for (good, what) in checks {
            if !good {
                problems.push(format!("{tag}: {what}: {v}"));
            }
        }
        assert!(!l.t("login.submit").trim().is_empty() && !l.t("login.cancel").trim().is_empty());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    idp.stop().await;
}
