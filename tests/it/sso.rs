//! SP-initiated login end to end, checked by pysaml2 and xmlsec1, and the requests it refuses.

use crate::common::*;
use base64::Engine;
use std::time::{Duration, Instant};

/// pysaml2 starts a login (deflated Redirect); we log in as agent1; returns the SAMLResponse
/// and pysaml2's request ID.
async fn login_via_pysaml2(md: &str, binding: &str) -> (String, String) {
    let (ok, req) = pysaml2_as(
        "authn",
        md,
        (SP_ID, SP_ACS),
        &["--binding", binding, "--relay-state", "rs-123"],
    );
    assert!(ok, "{req}");
    let c = client();
    let form = if binding == "redirect" {
        get(&c, req["url"].as_str().unwrap()).await
    } else {
        post_fields(&c, &req).await
    };
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form
        .body
        .contains("Enter your Interaction Center credentials"));
    let done = submit(&c, &form.body, "agent1", "agent1", "login").await;
    assert_eq!(done.status, 200, "{}", done.body);
    let (acs, resp, rs) = autopost(&done.body).expect("an auto-POST form");
    assert_eq!(acs, SP_ACS);
    assert_eq!(rs.as_deref(), Some("rs-123"));
    (resp, rid(&req).to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pysaml2_accepts_the_response_for_each_sign_mode() {
    for (mode, flags) in [
        ("assertion", vec!["--want-assertions-signed"]),
        ("response", vec!["--want-response-signed"]),
        (
            "both",
            vec!["--want-assertions-signed", "--want-response-signed"],
        ),
    ] {
        let fx = Fixture::new();
        let idp = TestIdp::start(fx.config(mode, "")).await;
        let md = idp.metadata_file(fx.path()).await;
        let md = md.to_str().unwrap();
        let (resp, rid) = login_via_pysaml2(md, "redirect").await;
        let (ok, v) = sp_verify(fx.path(), md, &resp, &rid, &flags);
        assert!(ok, "sign = {mode}: {v}");
        assert_eq!(v["name_id"], "agent1@example.com");
        assert_eq!(
            v["name_id_format"],
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
        );
        assert_eq!(v["issuer"], "https://idp.test");
        assert_eq!(v["in_response_to"], rid.as_str());
        assert_eq!(v["attributes"]["email"][0], "agent1@example.com");
        assert_eq!(v["attributes"]["OrganizationName"][0], "testorg");
        assert_eq!(v["attributes"]["ServiceName"][0], "directory");
        assert_eq!(v["attributes"]["displayName"][0], "Agent One");
        assert_eq!(
            v["authn_context_class_ref"],
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        );
        assert_eq!(v["assertion_signed"], mode != "response", "{v}");
        assert_eq!(v["response_signed"], mode != "assertion", "{v}");
        // The same Response presented for another request is refused.
        let (ok, v) = sp_verify(fx.path(), md, &resp, "_other", &[]);
        assert!(!ok, "{v}");
        idp.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xmlsec1_verifies_both_signatures_with_the_metadata_certificate() {
    let fx = Fixture::new();
    let idp = TestIdp::start(fx.config("both", "")).await;
    let md = idp.metadata_file(fx.path()).await;
    let cert = metadata_cert_pem(&std::fs::read_to_string(&md).unwrap());
    let (resp, _) = login_via_pysaml2(md.to_str().unwrap(), "redirect").await;
    let xml = decode_b64(&resp);
    let on_response = "/*[local-name()='Response']/*[local-name()='Signature']";
    let on_assertion = "//*[local-name()='Assertion']/*[local-name()='Signature']";
    for xpath in [on_response, on_assertion] {
        let (ok, out) = xmlsec1_verify(fx.path(), &xml, &cert, xpath);
        assert!(ok, "{xpath}: {out}");
        assert!(out.contains("OK"), "{out}");
    }
    // One changed character breaks both signatures.
    let forged = xml.replacen("agent1@example.com", "agent2@example.com", 1);
    assert_ne!(forged, xml);
    for xpath in [on_response, on_assertion] {
        let (ok, out) = xmlsec1_verify(fx.path(), &forged, &cert, xpath);
        assert!(!ok, "a forged document verified: {out}");
    }
    // A certificate that is not ours does not verify it either.
    let other = pureconnect_idp::keys::generate::self_signed("other", 2048, 1, &[]).unwrap();
    let (ok, _) = xmlsec1_verify(
        fx.path(),
        &xml,
        std::str::from_utf8(&other.cert_pem).unwrap(),
        on_assertion,
    );
    assert!(!ok);
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_base64_redirect_and_post_binding_are_accepted() {
    let fx = Fixture::new();
    let idp = TestIdp::start(fx.config("assertion", "")).await;
    let md = idp.metadata_file(fx.path()).await;
    let md = md.to_str().unwrap();
    // HTTP-POST binding, completed and checked by pysaml2.
    let (resp, rid) = login_via_pysaml2(md, "post").await;
    let (ok, v) = sp_verify(fx.path(), md, &resp, &rid, &[]);
    assert!(ok, "{v}");
    // Redirect binding without compression ("Endpoint Compression" off in Genesys Cloud).
    let xml = authn_xml(SP_ID, Some(SP_ACS), Some(&idp.login_url()));
    let plain = base64::engine::general_purpose::STANDARD.encode(&xml);
    let p = get(&client(), &with_request(&idp, &plain)).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("id=\"login-form\""));
    // And the same request deflated.
    let p = get(&client(), &with_request(&idp, &deflate_b64(xml.as_bytes()))).await;
    assert_eq!(p.status, 200, "{}", p.body);
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_unknown_user_and_missing_email() {
    let fx = Fixture::new();
    let idp = TestIdp::start(fx.config("assertion", "")).await;
    let c = client();
    let url = with_request(&idp, &deflate_b64(authn_xml(SP_ID, None, None).as_bytes()));
    let form = get(&c, &url).await;
    assert_eq!(form.status, 200);
    let wrong = submit(&c, &form.body, "agent1", "nope", "login").await;
    let unknown = submit(&c, &form.body, "ghost", "nope", "login").await;
    for p in [&wrong, &unknown] {
        assert_eq!(p.status, 200);
        assert!(p.body.contains("id=\"error\""), "{}", p.body);
        assert!(p.body.contains("The user ID or password is incorrect"));
        assert!(!p.body.contains("SAMLResponse"));
        assert!(
            p.body.contains("id=\"login-form\""),
            "the form is shown again"
        );
    }
    // Wrong password and unknown user read the same: the page does not tell which.
    let msg = |b: &str| pureconnect_idp::selftest::text_of(b, "error");
    assert_eq!(msg(&wrong.body), msg(&unknown.body));
    // Empty fields.
    let empty = submit(&c, &form.body, "agent1", "", "login").await;
    assert!(empty
        .body
        .contains("Enter both your user ID and your password"));
    // A user without a business email cannot be signed in to Genesys Cloud.
    let p = submit(&c, &form.body, "noemail", "agent1", "login").await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains("no business email address"));
    assert!(!p.body.contains("SAMLResponse"));
    // Success after failures still works with the same form.
    let ok = submit(&c, &form.body, "AGENT1", "agent1", "login").await;
    assert!(
        autopost(&ok.body).is_some(),
        "user IDs match case-insensitively"
    );
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_answers_authn_failed() {
    let fx = Fixture::new();
    let idp = TestIdp::start(fx.config("assertion", "")).await;
    let md = idp.metadata_file(fx.path()).await;
    let md = md.to_str().unwrap();
    let (ok, req) = pysaml2_as("authn", md, (SP_ID, SP_ACS), &[]);
    assert!(ok);
    let c = client();
    let form = get(&c, req["url"].as_str().unwrap()).await;
    let p = submit(&c, &form.body, "", "", "cancel").await;
    let (acs, resp, _) = autopost(&p.body).expect("cancel posts a Response to the ACS");
    assert_eq!(acs, SP_ACS);
    let (ok, v) = sp_verify(fx.path(), md, &resp, rid(&req), &[]);
    assert!(!ok);
    assert_eq!(
        v["status"], "urn:oasis:names:tc:SAML:2.0:status:Responder",
        "{v}"
    );
    assert_eq!(
        v["sub_status"], "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed",
        "{v}"
    );
    assert!(!decode_b64(&resp).contains("Assertion"));
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_get_a_400_page_and_no_response() {
    let fx = Fixture::new();
    let idp = TestIdp::start(fx.config("assertion", "")).await;
    let c = client();
    let now = chrono::Utc::now();
    let stale = authn_xml(SP_ID, None, None).replace(
        &now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        &(now - chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "unknown SP",
            with_request(
                &idp,
                &deflate_b64(authn_xml("urn:stranger", None, None).as_bytes()),
            ),
            "not a configured service provider",
        ),
        (
            "ACS not allowed",
            with_request(
                &idp,
                &deflate_b64(authn_xml(SP_ID, Some("https://evil.example/acs"), None).as_bytes()),
            ),
            "not among those configured",
        ),
        (
            "wrong Destination",
            with_request(
                &idp,
                &deflate_b64(
                    authn_xml(
                        SP_ID,
                        None,
                        Some("https://other.example/ICNotifierIDP/login"),
                    )
                    .as_bytes(),
                ),
            ),
            "not to this identity provider",
        ),
        (
            "an hour old",
            with_request(&idp, &deflate_b64(stale.as_bytes())),
            "outside the allowed clock skew",
        ),
        (
            "version 1.1",
            with_request(
                &idp,
                &deflate_b64(
                    authn_xml(SP_ID, None, None)
                        .replace("Version=\"2.0\"", "Version=\"1.1\"")
                        .as_bytes(),
                ),
            ),
            "only 2.0",
        ),
        (
            "malformed base64",
            format!("{}&SAMLRequest=%25%25%25not-base64", idp.login_url()),
            "not valid base64",
        ),
        (
            "base64 of garbage",
            with_request(&idp, "bm90IHhtbCwgbm90IGRlZmxhdGU="),
            "neither XML nor DEFLATE",
        ),
        (
            "XML that is no AuthnRequest",
            with_request(&idp, &deflate_b64(b"<hello/>")),
            "not a valid AuthnRequest",
        ),
        (
            "DOCTYPE",
            with_request(
                &idp,
                &deflate_b64(
                    format!(
                        "<!DOCTYPE a [<!ENTITY x \"y\">]>{}",
                        authn_xml(SP_ID, None, None)
                    )
                    .as_bytes(),
                ),
            ),
            "document type declaration",
        ),
        ("no SAMLRequest", idp.login_url(), "no SAMLRequest"),
        (
            "other loginType",
            idp.url("/ICNotifierIDP/login?loginType=windows&SAMLRequest=x"),
            "loginType",
        ),
        (
            "RelayState too long",
            format!(
                "{}&RelayState={}",
                with_request(&idp, &deflate_b64(authn_xml(SP_ID, None, None).as_bytes())),
                "r".repeat(3000)
            ),
            "RelayState",
        ),
    ];
    for (name, url, why) in cases {
        let p = get(&c, &url).await;
        assert_eq!(p.status, 400, "{name}: {}", p.body);
        assert!(
            p.body.contains("The logon request could not be accepted"),
            "{name}"
        );
        assert!(
            p.body.contains(why),
            "{name}: expected `{why}` in {}",
            p.body
        );
        assert!(!p.body.contains("SAMLResponse"), "{name}");
        assert!(!p.body.contains("login-form"), "{name}");
    }
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deflate_bomb_stops_at_the_cap() {
    let fx = Fixture::new();
    let idp = TestIdp::start(fx.config("assertion", "")).await;
    // The largest bomb that fits under the 64 KiB encoded cap: 32 MiB of zeros.
    let zeros = vec![0u8; 32 << 20];
    let bomb = deflate_b64(&zeros);
    assert!(bomb.len() < 64 * 1024);
    let t = Instant::now();
    let p = get(&client(), &with_request(&idp, &bomb)).await;
    let took = t.elapsed();
    assert_eq!(p.status, 400);
    assert!(p.body.contains("inflates to more than"), "{}", p.body);
    // Inflated no further than the cap (generous bound for a loaded machine).
    assert!(took < Duration::from_secs(10), "took {took:?}");
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_altered_sealed_state_is_refused() {
    let fx = Fixture::new();
    let idp = TestIdp::start(fx.config("assertion", "")).await;
    let c = client();
    let form = get(
        &c,
        &with_request(&idp, &deflate_b64(authn_xml(SP_ID, None, None).as_bytes())),
    )
    .await;
    let (action, fields) = login_form(&form.body);
    let state = &fields.iter().find(|(k, _)| k == "state").unwrap().1;
    let mut bytes = state.clone().into_bytes();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(bytes).unwrap();
    let p = post(
        &c,
        &action,
        &[
            ("state", &altered),
            ("sp", SP_ID),
            ("user_id", "agent1"),
            ("password", "agent1"),
            ("action", "login"),
        ],
    )
    .await;
    assert_eq!(p.status, 400);
    assert!(
        p.body.contains("took too long or moved to another server"),
        "{}",
        p.body
    );
    assert!(!p.body.contains("SAMLResponse"));
    // The "start again" link leads back to the SP the login came from.
    assert!(p.body.contains("href=\"https://sp.test\""), "{}", p.body);
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_publishes_the_certificate_and_both_bindings() {
    let fx = Fixture::new();
    let idp = TestIdp::start(fx.config("assertion", "")).await;
    let md = get(&client(), &idp.url("/ICNotifierIDP/metadata")).await;
    assert_eq!(md.status, 200);
    assert!(md.body.contains("entityID=\"https://idp.test\""));
    assert!(md
        .body
        .contains("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"));
    let loc = format!(
        "Location=\"{}/ICNotifierIDP/login?loginType=saml\"",
        idp.base
    );
    assert_eq!(md.body.matches(&loc).count(), 2, "{}", md.body);
    assert!(md.body.contains("HTTP-Redirect") && md.body.contains("HTTP-POST"));
    let cert = std::fs::read_to_string(fx.path().join("certs/signing/idp.crt")).unwrap();
    let pem = metadata_cert_pem(&md.body);
    assert_eq!(
        openssl::x509::X509::from_pem(pem.as_bytes())
            .unwrap()
            .to_der()
            .unwrap(),
        openssl::x509::X509::from_pem(cert.as_bytes())
            .unwrap()
            .to_der()
            .unwrap()
    );
    idp.stop().await;
}
