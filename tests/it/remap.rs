//! The remap header without nginx: the test client plays the proxy (trusted or not) and sends
//! `ININ-REMAP-BASE-URL` values itself: believed only from trusted peers, and only when the
//! value is one of the configured public bases.

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_remap_header_is_believed_only_from_trusted_proxies_and_only_when_valid() {
    let fx = Fixture::new();
    // Loopback is not trusted here: the test client plays a stranger.
    let untrusting = TestIdp::start(fx.config_full(
        "auto",
        SECRET_A,
        "trusted_proxies = [\"10.9.9.9/32\"]\npublic_base_url = \"https://idp.test\"\nallowed_hosts = [\"127.0.0.1\"]",
        "assertion",
        "",
    ))
    .await;
    let c = client();
    for path in ["/ICNotifierIDP/metadata", "/nowhere"] {
        let r = c
            .get(untrusting.url(path))
            .header("ININ-REMAP-BASE-URL", "https://evil.example")
            .header("X-Forwarded-For", "6.6.6.6")
            .send()
            .await
            .unwrap();
        let body = r.text().await.unwrap();
        assert!(!body.contains("evil.example"), "{path}: {body}");
    }
    let r = c
        .get(request_url(&untrusting.base))
        .header("ININ-REMAP-BASE-URL", "https://evil.example")
        .send()
        .await
        .unwrap();
    let body = r.text().await.unwrap();
    assert!(
        body.contains("login-form") && !body.contains("evil.example"),
        "{body}"
    );
    untrusting.stop().await;

    // From a trusted proxy the header is used when it is one of the configured public bases,
    // and any other value is refused, not ignored.
    let trusting = TestIdp::start(fx.config_full(
        "auto",
        SECRET_A,
        "public_base_url = \"https://sso.example.com/PureConnect\"\nallowed_hosts = [\"127.0.0.1\"]",
        "assertion",
        "",
    ))
    .await;
    let r = c
        .get(trusting.url("/ICNotifierIDP/metadata"))
        .header("ININ-REMAP-BASE-URL", "https://sso.example.com/PureConnect")
        .send()
        .await
        .unwrap();
    let body = r.text().await.unwrap();
    assert!(
        body.contains(
            "Location=\"https://sso.example.com/PureConnect/ICNotifierIDP/login?loginType=saml\""
        ),
        "{body}"
    );
    assert!(body.contains("entityID=\"https://sso.example.com\""));
    for bad in [
        "javascript:alert(1)",
        "https://user:pw@sso.example.com/PureConnect",
        "https://sso.example.com/x?y=1",
        "/PureConnect",
        "https://evil.example/PureConnect",
        "https://sso.example.com/Other",
    ] {
        let r = c
            .get(trusting.url("/ICNotifierIDP/metadata"))
            .header("ININ-REMAP-BASE-URL", bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        let body = r.text().await.unwrap();
        assert!(body.contains("ININ-REMAP-BASE-URL"), "{bad}: {body}");
    }
    // CR/LF cannot even be sent as a header value by a conforming client; send it raw.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(trusting.base.trim_start_matches("http://"))
        .await
        .unwrap();
    s.write_all(b"GET /ICNotifierIDP/metadata HTTP/1.1\r\nHost: 127.0.0.1\r\nININ-REMAP-BASE-URL: https://a.example/\rX: y\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out).await;
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    trusting.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remap_value_that_is_not_a_configured_public_base_is_refused() {
    let fx = Fixture::new();
    // Loopback is trusted (the default): the test client plays the proxy.
    let idp = TestIdp::start(fx.config_full(
        "auto",
        SECRET_A,
        "public_base_url = \"https://p.example/a\"\nalternate_public_base_urls = [\"https://q.example/b\"]\nallowed_hosts = [\"127.0.0.1\"]",
        "assertion",
        "",
    ))
    .await;
    let c = client();
    let form_with = |remap: &'static str| {
        let c = c.clone();
        let url = request_url(&idp.base);
        async move {
            let r = c
                .get(url)
                .header("ININ-REMAP-BASE-URL", remap)
                .send()
                .await
                .unwrap();
            page(r).await
        }
    };
    for bad in [
        "https://p.example/a;Domain=evil.example",
        "https://p.example/a;Domain=evil.example;Path=/",
        "https://p.example/a,https://evil.example",
        "https://evil.example/a",
    ] {
        let p = form_with(bad).await;
        assert_eq!(p.status, 400, "{bad}: {}", p.body);
        assert!(p.body.contains("ININ-REMAP-BASE-URL"), "{bad}: {}", p.body);
        assert!(!p.body.contains("evil.example"), "{bad}: {}", p.body);
        let cookies: Vec<_> = p.headers.get_all("set-cookie").iter().collect();
        assert!(cookies.is_empty(), "{bad}: {cookies:?}");
    }
    // The configured ones are used: URLs and cookie Path from them, the Issuer from the
    // primary one whichever the proxy announced.
    for (remap, path) in [
        ("https://p.example/a", "/a"),
        ("https://q.example/b/", "/b"),
    ] {
        let p = form_with(remap).await;
        assert_eq!(p.status, 200, "{remap}: {}", p.body);
        let (action, _) = login_form(&p.body);
        assert_eq!(
            action,
            format!(
                "{}/ICNotifierIDP/login?loginType=saml",
                remap.trim_end_matches('/')
            )
        );
        let cookie = p
            .headers
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(cookie.contains(&format!("; Path={path};")), "{cookie}");
        assert!(!cookie.contains("Domain"), "{cookie}");
        let md = c
            .get(idp.url("/ICNotifierIDP/metadata"))
            .header("ININ-REMAP-BASE-URL", remap)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(md.contains("entityID=\"https://p.example\""), "{md}");
    }
    idp.stop().await;
}
