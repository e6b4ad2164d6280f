//! Windows sign-in through the real server: `kinit` + `curl --negotiate` reaching a Response
//! pysaml2 verifies, the Negotiate challenge with the form for a browser without a ticket,
//! refused tokens, `IsPassive`, and the Windows password on the form against slapd
//! (throttled like a CIC password, the directory down, an unlinked account).

use super::capture::negotiate_header;
use super::kdc::Kdc;
use super::slapd::{person, Slapd, SERVICE_PW};
use crate::common::*;
use pureconnect_idp::selftest::attr_in_tag;

/// The fixture's users file, with Windows accounts: agent1 is EXAMPLE\agent1.
pub(super) fn linked_users_file(fx: &Fixture) {
    let h = pureconnect_idp::backend::file::hash_password("unused-cic-pw").unwrap();
    std::fs::write(
        fx.path().join("users.toml"),
        format!(
            "[[users]]\nid = \"agent1\"\npassword_hash = \"{h}\"\nemail = \"agent1@example.com\"\n\
             windows_account = \"EXAMPLE\\\\agent1\"\n\n\
             [[users]]\nid = \"ciconly\"\npassword_hash = \"{h}\"\nemail = \"ciconly@example.com\"\n"
        ),
    )
    .unwrap();
}

fn passive_url(base: &str) -> String {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let xml = format!("<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_p\" Version=\"2.0\" IssueInstant=\"{now}\" IsPassive=\"true\"><saml:Issuer>{SP_ID}</saml:Issuer></samlp:AuthnRequest>");
    format!(
        "{base}/ICNotifierIDP/login?loginType=saml&SAMLRequest={}",
        url::form_urlencoded::byte_serialize(
            pureconnect_idp::saml::binding::encode_redirect(&xml).as_bytes()
        )
        .collect::<String>()
    )
}

/// The KDC of EXAMPLE.COM with agent1, and an IdP accepting `HTTP/localhost` from its keytab.
pub(super) async fn kerberos_world(fx: &Fixture) -> (Kdc, TestIdp) {
    linked_users_file(fx);
    let kdc = Kdc::start("EXAMPLE.COM");
    let keytab = fx.path().join("http.keytab");
    kdc.add_service("HTTP/localhost", &keytab);
    kdc.add_user("agent1", "agent1-krb-pw");
    kdc.add_user("stranger", "stranger-krb-pw");
    let cfg = fx.config(
        "assertion",
        "[windows]\nkeytab = \"http.keytab\"\nrealms = [\"EXAMPLE.COM\"]\n",
    );
    let idp = TestIdp::start(cfg).await;
    (kdc, idp)
}

/// `curl --negotiate` with the tickets of `ccache`: (status, body).
fn curl_negotiate(kdc: &Kdc, ccache: &str, url: &str) -> (u16, String) {
    let out = kdc
        .cmd("curl")
        .env("KRB5CCNAME", ccache)
        .args([
            "-s",
            "--max-time",
            "60",
            "--negotiate",
            "-u",
            ":",
            "-w",
            "\n%{http_code}",
        ])
        .arg(url)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.trim().parse().unwrap(), body.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_user_with_a_ticket_gets_a_verified_response_without_the_form() {
    let fx = Fixture::new();
    let (kdc, idp) = kerberos_world(&fx).await;
    let md = idp.metadata_file(fx.path()).await;
    let cc = kdc.kinit("agent1", "agent1-krb-pw", &[]);
    // The service principal is HTTP/localhost: the browser's name for the IdP.
    let url = request_url(&idp.base.replace("127.0.0.1", "localhost"));
    let (status, body) = tokio::task::spawn_blocking({
        let url = url.clone();
        move || curl_negotiate(&kdc, &cc, &url)
    })
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(
        !body.contains("id=\"login-form\""),
        "the form was shown: {body}"
    );
    let (acs, resp, relay) = autopost(&body).expect("an auto-POST form");
    assert_eq!(acs, SP_ACS);
    assert_eq!(relay.as_deref(), Some("keep-me"));
    let (ok, v) = sp_verify(fx.path(), md.to_str().unwrap(), &resp, "_r", &[]);
    assert!(ok, "{v}");
    assert_eq!(v["name_id"], "agent1@example.com", "{v}");
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_ticket_the_form_is_the_challenge_and_a_bad_token_gets_the_form() {
    let fx = Fixture::new();
    let (kdc, idp) = kerberos_world(&fx).await;
    let c = client();
    let r = c.get(request_url(&idp.base)).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Negotiate");
    let body = r.text().await.unwrap();
    let (action, _) = login_form(&body);
    assert!(
        action.ends_with("/ICNotifierIDP/login?loginType=saml"),
        "{action}"
    );
    // The link to the same form without Negotiate.
    let link = attr_in_tag(&body, "id=\"other_account\"", "href")
        .expect("a different-account link")
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let r = c.get(&link).send().await.unwrap();
    let (status, challenge) = (r.status(), r.headers().get("www-authenticate").cloned());
    let form = r.text().await.unwrap();
    assert_eq!((status.as_u16(), challenge), (200, None), "{link}: {form}");
    assert!(form.contains("id=\"login-form\""), "{form}");
    // IsPassive without a session: NoPassive, never a challenge.
    let p = get(&c, &passive_url(&idp.base)).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let (_, resp, _) = autopost(&p.body).expect("a NoPassive Response");
    assert!(decode_b64(&resp).contains("NoPassive"));
    // An NTLM token: the form with a message, and no second challenge.
    let ntlm = "Negotiate TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw==";
    // Each from a fresh browser: a signed-in one would answer from its SSO session.
    let refused = |header: String| {
        let c = client();
        let url = request_url(&idp.base);
        async move {
            let r = c
                .get(url)
                .header("Authorization", header)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let challenge = r.headers().get("www-authenticate").cloned();
            (status, challenge, r.text().await.unwrap())
        }
    };
    let (status, challenge, body) = refused(ntlm.to_string()).await;
    assert_eq!((status, challenge), (200, None), "{body}");
    assert!(
        body.contains("Logging on with your Windows account did not work"),
        "{body}"
    );
    assert!(body.contains("id=\"login-form\""));
    // A valid token once signs in; the same token again is a replay: the form.
    let header = tokio::task::spawn_blocking(move || {
        let cc = kdc.kinit("agent1", "agent1-krb-pw", &[]);
        let h = negotiate_header(&kdc, &cc).unwrap();
        let stranger = kdc.kinit("stranger", "stranger-krb-pw", &[]);
        (h, negotiate_header(&kdc, &stranger).unwrap(), kdc)
    })
    .await
    .unwrap();
    let (first, stranger, _kdc) = header;
    let (status, _, body) = refused(first.clone()).await;
    assert_eq!(status, 200);
    assert!(autopost(&body).is_some(), "{body}");
    let (status, challenge, body) = refused(first).await;
    assert_eq!((status, challenge), (200, None));
    assert!(
        body.contains("Logging on with your Windows account did not work"),
        "{body}"
    );
    // A principal linked to no CIC user: the not-linked page.
    let (status, _, body) = refused(stranger).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("not linked to a PureConnect user"), "{body}");
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_windows_password_on_the_form_is_checked_by_the_directory_and_throttled() {
    let fx = Fixture::new();
    linked_users_file(&fx);
    let mut slapd = Slapd::start(
        &[
            person("agent1", "Win-pw-1", Some("agent1.ad@example.com")),
            person("loner", "Win-pw-3", None),
        ]
        .concat(),
    );
    std::fs::write(fx.path().join("svc.pw"), SERVICE_PW).unwrap();
    let cfg = fx.config(
        "assertion",
        &format!(
            "[throttle]\nuser_failures = 3\n[windows]\nrealms = [\"EXAMPLE.COM\"]\n[windows.ldap]\n{}timeout = \"10s\"\n",
            slapd.ldap_keys("svc.pw")
        ),
    );
    let idp = TestIdp::start(cfg).await;
    let md = idp.metadata_file(fx.path()).await;
    // Each attempt from a fresh browser (a signed-in one would answer from its SSO session);
    // the throttle counts per user, so that does not help a guesser.
    let attempt = |user: &'static str, pw: &'static str| {
        let url = request_url(&idp.base);
        async move {
            let c = client();
            let f = get(&c, &url).await;
            // No keytab: no challenge, the plain form.
            assert_eq!(f.status, 200, "{}", f.body);
            submit(&c, &f.body, user, pw, "login").await
        }
    };
    for user in ["EXAMPLE\\agent1", "agent1@example.com"] {
        let done = attempt(user, "Win-pw-1").await;
        let (_, resp, _) = autopost(&done.body).unwrap_or_else(|| panic!("{user}: {}", done.body));
        let (ok, v) = sp_verify(fx.path(), md.to_str().unwrap(), &resp, "_r", &[]);
        assert!(ok, "{v}");
        assert_eq!(v["name_id"], "agent1@example.com", "{v}");
    }
    // Another domain, or an unlinked account.
    let p = attempt("OTHER\\agent1", "Win-pw-1").await;
    assert!(
        p.body.contains("The user ID or password is incorrect"),
        "{}",
        p.body
    );
    let p = attempt("EXAMPLE\\loner", "Win-pw-3").await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(
        p.body.contains("not linked to a PureConnect user"),
        "{}",
        p.body
    );
    // Wrong Windows passwords count against the user like CIC ones: then throttled.
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let p = attempt("EXAMPLE\\agent1", "wrong").await;
        statuses.push(p.status);
    }
    assert_eq!(statuses, [200, 200, 200, 429], "{statuses:?}");
    // The directory down: the localized 503.
    slapd.stop();
    let p = attempt("EXAMPLE\\loner", "Win-pw-3").await;
    assert_eq!(p.status, 503, "{}", p.body);
    assert!(p.body.contains("could not be reached"), "{}", p.body);
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_request_challenged_then_retried_with_the_token_is_answered_once() {
    const SP2_ID: &str = "urn:test:sp2";
    const SP2_ACS: &str = "https://sp2.test/acs";
    let fx = Fixture::new();
    linked_users_file(&fx);
    let kdc = Kdc::start("EXAMPLE.COM");
    let keytab = fx.path().join("http.keytab");
    kdc.add_service("HTTP/localhost", &keytab);
    kdc.add_user("agent1", "agent1-krb-pw");
    let sp2 = SpKeys::new(fx.path(), "sp2");
    let cfg = fx.config(
        "assertion",
        &format!(
            "[[service_providers]]\nentity_id = \"{SP2_ID}\"\nacs_urls = [\"{SP2_ACS}\"]\n\
             require_signed_requests = true\ncertificate_file = \"{}\"\n\
             [windows]\nkeytab = \"http.keytab\"\nrealms = [\"EXAMPLE.COM\"]\n",
            sp2.cert.display()
        ),
    );
    let idp = TestIdp::start(cfg).await;
    let md = idp.metadata_file(fx.path()).await.display().to_string();
    let req = sp2.signed("authn", &md, (SP2_ID, SP2_ACS), "redirect", &[]);
    let url = req["url"].as_str().unwrap().to_string();
    let send = |auth: Option<String>| {
        let url = url.clone();
        async move {
            let mut rb = client().get(url);
            if let Some(a) = auth {
                rb = rb.header("Authorization", a);
            }
            let r = rb.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    // The browser's first try: the challenge, with the form.
    let (status, body) = send(None).await;
    assert_eq!(status, 401, "{body}");
    // Its retry: the very same signed request, now with the token. Answered, not a replay.
    let tokens = tokio::task::spawn_blocking(move || {
        let cc = kdc.kinit("agent1", "agent1-krb-pw", &[]);
        let a = negotiate_header(&kdc, &cc).unwrap();
        (a, negotiate_header(&kdc, &cc).unwrap(), kdc)
    })
    .await
    .unwrap();
    let (first, second, _kdc) = tokens;
    let (status, body) = send(Some(first)).await;
    assert_eq!(status, 200, "{body}");
    let (_, resp, _) = autopost(&body).expect("a Response");
    let (ok, v) = sp_verify_as(
        fx.path(),
        &md,
        (SP2_ID, SP2_ACS),
        &resp,
        &["--request-id", rid(&req)],
    );
    assert!(ok, "{v}");
    // That retry recorded the request: sent again, even with a fresh token, it is refused.
    let (status, body) = send(Some(second)).await;
    assert_eq!(status, 400, "{body}");
    idp.stop().await;
}
