//! Inputs that come twice, found by the adversarial review: a cookie of ours set a second time
//! by someone else (cookie tossing), and a remap header given twice by the proxy. Neither
//! copy is chosen: both are refused.

use crate::common::*;

/// The value of `name` in the Set-Cookie headers of `p`.
fn set_cookie_value(p: &Page, name: &str) -> String {
    p.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie set"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tossed_idp_browser_cookie_does_not_let_a_foreign_form_through() {
    let fx = Fixture::new();
    let idp = TestIdp::start(fx.config("assertion", "")).await;
    // The attacker gets a form bound to their own browser, and the victim has one of their own.
    let attacker = get(&client(), &request_url(&idp.base)).await;
    let a = set_cookie_value(&attacker, "idp_browser");
    let victim = get(&client(), &request_url(&idp.base)).await;
    let v = set_cookie_value(&victim, "idp_browser");
    assert_ne!(a, v);
    // The victim's browser posts the attacker's form, sending the attacker's tossed cookie
    // (first: the longer Path) beside its own.
    let (url, mut fields) = login_form(&attacker.body);
    for (k, val) in [
        ("user_id", "agent1"),
        ("password", "agent1"),
        ("action", "login"),
    ] {
        fields.push((k.into(), val.into()));
    }
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for cookie in [
        format!("idp_browser={a}; idp_browser={v}"),
        format!("idp_browser={v}; idp_browser={a}"),
    ] {
        let r = plain
            .post(&url)
            .header("cookie", &cookie)
            .form(&fields)
            .send()
            .await
            .unwrap();
        let p = page(r).await;
        assert_eq!(p.status, 400, "{cookie}: {}", p.body);
        assert!(autopost(&p.body).is_none(), "{cookie}: signed in");
    }
    // With the one cookie it was bound to, the form works.
    let r = plain
        .post(&url)
        .header("cookie", format!("idp_browser={a}"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert!(autopost(&page(r).await.body).is_some());
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_remap_header_given_twice_is_refused() {
    let fx = Fixture::new();
    let cfg = fx.config_full(
        "auto",
        SECRET_A,
        "public_base_url = \"https://sso.example.com/PureConnect\"\nalternate_public_base_urls = [\"https://sso2.example.com/PureConnect\"]\nallowed_hosts = [\"127.0.0.1\"]",
        "assertion",
        "",
    );
    let idp = TestIdp::start(cfg).await;
    let r = client()
        .get(request_url(&idp.base))
        .header(
            "ININ-REMAP-BASE-URL",
            "https://sso2.example.com/PureConnect",
        )
        .header("ININ-REMAP-BASE-URL", "https://sso.example.com/PureConnect")
        .send()
        .await
        .unwrap();
    let p = page(r).await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(p.body.contains("more than once"), "{}", p.body);
    idp.stop().await;
}
