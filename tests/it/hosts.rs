//! The Host header and the Issuer: a Host not in `server.allowed_hosts` gets the 400 page (in
//! the user's language) on every route but the ops endpoints, a listed one cannot move the
//! Issuer, and `auto` without a public base URL is refused at start.

use crate::common::*;

/// A client that sends exactly the Host and Cookie it is given (no cookie store: the cookies
/// of a public base are not those of the loopback address the test connects to).
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap()
}

/// GET `url` with `Host: host` (and `Accept-Language: de`, to see the page's language).
pub async fn get_as(c: &reqwest::Client, url: &str, host: &str, cookie: &str) -> Page {
    let r = c
        .get(url)
        .header("Host", host)
        .header("Accept-Language", "de")
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap();
    page(r).await
}

/// The `name=value` of the cookie `name` a page set.
pub fn set_cookie(p: &Page, name: &str) -> Option<(String, String)> {
    p.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            let pair = v.split(';').next().unwrap_or_default().to_string();
            (pair, v.to_string())
        })
}

/// Opens the credential form at `form_url` and posts agent1's credentials to `post_url`, both
/// with `Host: host`; returns the form page and the answer to the POST.
pub async fn login_as(
    c: &reqwest::Client,
    form_url: &str,
    post_url: &str,
    host: &str,
    user: (&str, &str),
) -> (Page, Page) {
    let form = get_as(c, form_url, host, "").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let (cookie, _) = set_cookie(&form, "idp_browser").expect("the form sets idp_browser");
    let (_, mut fields) = login_form(&form.body);
    fields.push(("user_id".into(), user.0.into()));
    fields.push(("password".into(), user.1.into()));
    fields.push(("action".into(), "login".into()));
    let r = c
        .post(post_url)
        .header("Host", host)
        .header("Cookie", cookie)
        .form(&fields)
        .send()
        .await
        .unwrap();
    (form, page(r).await)
}

/// Every `<saml:Issuer>` of a Response's XML.
pub fn issuers(xml: &str) -> Vec<String> {
    // Each piece after a `<` is one tag and the text up to the next tag.
    xml.split('<')
        .filter_map(|tag| tag.split_once('>'))
        .filter(|(name, _)| {
            let name = name.split_whitespace().next().unwrap_or_default();
            !name.starts_with('/') && (name == "Issuer" || name.ends_with(":Issuer"))
        })
        .map(|(_, text)| text.to_string())
        .collect()
}

const GERMAN_400: &str = "Die Anmeldeanforderung konnte nicht angenommen werden.";

/// An instance whose public base is `https://idp.test/PureConnect`, Issuer `auto`.
async fn behind_public_base(fx: &Fixture) -> TestIdp {
    TestIdp::start(fx.config_full(
        "auto",
        SECRET_A,
        "public_base_url = \"https://idp.test/PureConnect\"",
        "assertion",
        "",
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_not_listed_gets_400_and_cannot_change_the_issuer() {
    let fx = Fixture::new();
    let idp = behind_public_base(&fx).await;
    let c = plain_client();
    for url in [
        request_url(&idp.base),
        idp.url("/ICNotifierIDP/metadata"),
        idp.url("/ICNotifierIDP/static/idp.css"),
        idp.url("/demo"),
        idp.url("/nowhere"),
    ] {
        let p = get_as(&c, &url, "evil.example", "").await;
        assert_eq!(p.status, 400, "{url}: {}", p.body);
        assert!(p.body.contains(GERMAN_400), "{url}: {}", p.body);
        assert!(!p.body.contains("evil.example"), "{url}: {}", p.body);
        assert!(p.headers.get("set-cookie").is_none(), "{url}");
    }
    // The credential POST too: no Response is made for a stranger's Host.
    let (_, done) = login_as(
        &c,
        &request_url(&idp.base),
        &idp.login_url(),
        "idp.test",
        ("agent1", "agent1"),
    )
    .await;
    assert!(autopost(&done.body).is_some(), "{}", done.body);
    let form = get_as(&c, &request_url(&idp.base), "idp.test", "").await;
    let (cookie, _) = set_cookie(&form, "idp_browser").unwrap();
    let (_, fields) = login_form(&form.body);
    let mut fields: Vec<(String, String)> = fields;
    fields.extend([
        ("user_id".into(), "agent1".into()),
        ("password".into(), "agent1".into()),
        ("action".into(), "login".into()),
    ]);
    let r = c
        .post(idp.login_url())
        .header("Host", "evil.example")
        .header("Cookie", &cookie)
        .form(&fields)
        .send()
        .await
        .unwrap();
    let p = page(r).await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(autopost(&p.body).is_none());

    // A listed Host: every URL and the Issuer come from the configuration.
    let (form, done) = login_as(
        &c,
        &request_url(&idp.base),
        &idp.login_url(),
        "IDP.test:8443",
        ("agent1", "agent1"),
    )
    .await;
    let (action, _) = login_form(&form.body);
    assert_eq!(
        action,
        "https://idp.test/PureConnect/ICNotifierIDP/login?loginType=saml"
    );
    let (_, full) = set_cookie(&form, "idp_browser").unwrap();
    assert!(full.contains("; Path=/PureConnect;"), "{full}");
    let (acs, resp, _) = autopost(&done.body).expect("a Response");
    assert_eq!(acs, SP_ACS);
    let xml = decode_b64(&resp);
    let found = issuers(&xml);
    assert!(!found.is_empty(), "{xml}");
    assert!(found.iter().all(|i| i == "https://idp.test"), "{found:?}");
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ops_endpoints_answer_whatever_the_host() {
    let fx = Fixture::new();
    let idp = behind_public_base(&fx).await;
    let c = plain_client();
    for host in ["evil.example", "10.1.2.3:8043", "127.0.0.1"] {
        for (path, body) in [
            ("/healthz", "ok"),
            ("/readyz", "ready"),
            ("/metrics", "idp_"),
        ] {
            let p = get_as(&c, &idp.url(path), host, "").await;
            assert_eq!(p.status, 200, "{host} {path}: {}", p.body);
            assert!(p.body.contains(body), "{host} {path}: {}", p.body);
        }
        // The rest of the server does not answer for a Host it does not know.
        let p = get_as(&c, &idp.url("/ICNotifierIDP/metadata"), host, "").await;
        assert_eq!(p.status, 400, "{host}");
    }
    idp.stop().await;
}

#[tokio::test]
async fn auto_without_a_public_base_url_is_refused_at_start_naming_the_key() {
    let fx = Fixture::new();
    let text = format!(
        "[idp]\nentity_id = \"auto\"\n[session]\nsecret = \"{SECRET_A}\"\n[backend]\ntype = \"file\"\nusers_file = \"users.toml\"\n"
    );
    let file = fx.path().join("auto.toml");
    std::fs::write(&file, &text).unwrap();
    let cfg = pureconnect_idp::config::Config::load(&file).unwrap();
    let e = match pureconnect_idp::build(cfg, Default::default()).await {
        Ok(_) => panic!("auto without server.public_base_url was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("server.public_base_url"), "{e}");
    assert!(e.contains("auto"), "{e}");
    // The real binary refuses to start with it, saying the same.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pureconnect-idp"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("server.public_base_url"), "{err}");
}

#[test]
fn public_bases_with_cookie_or_list_separators_are_refused_in_the_configuration() {
    let fx = Fixture::new();
    for (line, key) in [
        (
            "public_base_url = \"https://p.example/a;Domain=evil.example\"",
            "server.public_base_url",
        ),
        (
            "public_base_url = \"https://p.example/a\"\nalternate_public_base_urls = [\"https://q.example/a b\"]",
            "server.alternate_public_base_urls[0]",
        ),
        (
            "public_base_url = \"https://p.example/a,b\"",
            "server.public_base_url",
        ),
        ("allowed_hosts = [\"x;y\"]", "server.allowed_hosts[0]"),
    ] {
        let text = format!(
            "[server]\n{line}\n[session]\nsecret = \"{SECRET_A}\"\n[backend]\ntype = \"file\"\nusers_file = \"users.toml\"\n"
        );
        let file = fx.path().join("bad.toml");
        std::fs::write(&file, &text).unwrap();
        let e = pureconnect_idp::config::Config::load(&file)
            .expect_err(line)
            .to_string();
        assert!(e.contains(key), "{line}: {e}");
    }
}
