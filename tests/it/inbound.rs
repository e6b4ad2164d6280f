//! Attacks on how SP messages are received (the Trust issue, part 1), against the real server:
//! a genuinely signed query carrying a second, unsigned message under percent-encoded names;
//! a signed request without Destination; a signed request used twice; LogoutRequests in a
//! foreign namespace; RelayState with control characters. pysaml2 signs as the SP.

use crate::common::*;
use pureconnect_idp::saml::signature::sign_redirect;
use serde_json::Value;

const SP2_ID: &str = "urn:test:sp2";
const SP2_ACS: &str = "https://sp2.test/acs";

/// A server whose second SP has a certificate and must sign.
struct Signing {
    fx: Fixture,
    idp: TestIdp,
    md: String,
    keys: SpKeys,
}

async fn signing() -> Signing {
    let fx = Fixture::new();
    let keys = SpKeys::new(fx.path(), "sp2");
    let sp2 = format!(
        "[[service_providers]]\nentity_id = \"{SP2_ID}\"\nacs_urls = [\"{SP2_ACS}\"]\n\
         require_signed_requests = true\ncertificate_file = \"{}\"\nslo_url = \"https://sp2.test/slo\"\n",
        keys.cert.display()
    );
    let idp = TestIdp::start(fx.config("assertion", &sp2)).await;
    let md = idp.metadata_file(fx.path()).await.display().to_string();
    Signing { fx, idp, md, keys }
}

impl Signing {
    /// pysaml2 as SP2, signing by HTTP-Redirect: `command` with `args`.
    fn signed(&self, command: &str, args: &[&str]) -> Value {
        self.keys
            .signed(command, &self.md, (SP2_ID, SP2_ACS), "redirect", args)
    }

    /// A signed Redirect AuthnRequest.
    fn signed_authn(&self) -> Value {
        self.signed("authn", &["--relay-state", "genuine"])
    }

    /// A signed Redirect LogoutRequest.
    fn signed_logout(&self) -> Value {
        self.signed(
            "logout",
            &[
                "--name-id",
                "agent1@example.com",
                "--session-index",
                "_s",
                "--slo",
                "https://sp2.test/slo",
            ],
        )
    }

    /// The SSO URL with `xml` signed by SP2's key over the Redirect query (no RelayState).
    fn signed_url(&self, xml: &str) -> String {
        let key =
            openssl::pkey::PKey::private_key_from_pem(&std::fs::read(&self.keys.key).unwrap())
                .unwrap();
        let encoded = pureconnect_idp::saml::binding::encode_redirect(xml);
        let q = sign_redirect("SAMLRequest", &encoded, None, &key).unwrap();
        format!("{}&{q}", self.idp.login_url())
    }
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn is_form(p: &Page) -> bool {
    p.body.contains("id=\"login-form\"")
}

/// An unsigned AuthnRequest from SP2 that the attacker writes: its own ID and ForceAuthn.
fn forged_authn(idp: &TestIdp) -> String {
    let xml = authn_xml(SP2_ID, Some(SP2_ACS), Some(&idp.login_url())).replace(
        "ID=\"_req1\"",
        "ID=\"_attacker_chosen\" ForceAuthn=\"true\"",
    );
    deflate_b64(xml.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_message_under_percent_encoded_names_does_not_ride_on_a_signed_query() {
    let s = signing().await;
    let c = client();
    let forged = enc(&forged_authn(&s.idp));
    let genuine = s.signed_authn();
    let url = genuine["url"].as_str().unwrap();
    let (path, query) = url.split_once('?').unwrap();
    for evil in [
        format!("{path}?SAML%52equest={forged}&Relay%53tate=attacker&{query}"),
        format!("{path}?{query}&SAML%52equest={forged}"),
        format!("{path}?{query}&%52elayState=attacker"),
    ] {
        let p = get(&c, &evil).await;
        assert_eq!(p.status, 400, "{evil}: {}", p.body);
        assert!(!is_form(&p), "{evil}");
        assert!(p.body.contains("appears more than once"), "{}", p.body);
    }
    // The unsigned message alone is refused as unsigned.
    let p = get(&c, &format!("{}&SAMLRequest={forged}", s.idp.login_url())).await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("not signed"), "{}", p.body);
    // And the genuine query still works, once.
    assert!(is_form(&get(&c, url).await));

    // The same trick on a LogoutRequest, for an SP with a certificate: an unsigned one under
    // encoded names next to a signed one is refused, and the session is left alone.
    let lr = s.signed_logout();
    let url = lr["url"].as_str().unwrap();
    let (path, query) = url.split_once('?').unwrap();
    let unsigned = pureconnect_idp::saml::binding::encode_redirect(&format!(
        "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_evil\" Version=\"2.0\" IssueInstant=\"{}\"><saml:Issuer>{SP2_ID}</saml:Issuer><saml:NameID>agent1@example.com</saml:NameID></samlp:LogoutRequest>",
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    ));
    let evil = format!("{path}?SAML%52equest={}&{query}", enc(&unsigned));
    let p = get(&c, &evil).await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(
        p.headers.get("set-cookie").is_none(),
        "a refused LogoutRequest clears nothing"
    );
    s.idp.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_request_must_name_its_destination_and_is_accepted_once() {
    let s = signing().await;
    let c = client();
    // Signed, but with no Destination: a request meant for another IdP could be replayed here.
    let p = get(&c, &s.signed_url(&authn_xml(SP2_ID, Some(SP2_ACS), None))).await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(p.body.contains("names no Destination"), "{}", p.body);
    // The same request with its Destination passes.
    let xml = authn_xml(SP2_ID, Some(SP2_ACS), Some(&s.idp.login_url()));
    assert!(is_form(&get(&c, &s.signed_url(&xml)).await));

    // A captured signed request sent again within the clock skew is a replay.
    let genuine = s.signed_authn();
    let url = genuine["url"].as_str().unwrap();
    assert!(is_form(&get(&c, url).await));
    let p = get(&c, url).await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(p.body.contains("replay"), "{}", p.body);
    drop(s.fx);
    s.idp.stop().await;
}

/// A LogoutRequest from the first SP (no certificate), with `root` and `issuer` as given.
fn logout_xml(root_ns: &str, issuer: &str) -> String {
    format!(
        "<samlp:LogoutRequest xmlns:samlp=\"{root_ns}\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_l1\" Version=\"2.0\" IssueInstant=\"{}\">{issuer}<saml:NameID>agent1@example.com</saml:NameID></samlp:LogoutRequest>",
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_requests_in_a_foreign_namespace_are_refused() {
    let fx = Fixture::new();
    let idp = TestIdp::start(fx.config("assertion", "")).await;
    let c = client();
    let protocol = "urn:oasis:names:tc:SAML:2.0:protocol";
    let send = |xml: String| {
        let url = idp.url(&format!(
            "/ICNotifierIDP/logout?SAMLRequest={}",
            enc(&pureconnect_idp::saml::binding::encode_redirect(&xml))
        ));
        let c = c.clone();
        async move { get(&c, &url).await }
    };
    let good = send(logout_xml(
        protocol,
        &format!("<saml:Issuer>{SP_ID}</saml:Issuer>"),
    ))
    .await;
    assert_eq!(good.status, 200, "{}", good.body);
    for (name, xml) in [
        (
            "root in a foreign namespace",
            logout_xml("urn:evil", &format!("<saml:Issuer>{SP_ID}</saml:Issuer>")),
        ),
        (
            "Issuer in a foreign namespace",
            logout_xml(
                protocol,
                &format!("<x:Issuer xmlns:x=\"urn:evil\">{SP_ID}</x:Issuer>"),
            ),
        ),
    ] {
        let p = send(xml).await;
        assert_eq!(p.status, 400, "{name}: {}", p.body);
        assert!(p.headers.get("set-cookie").is_none(), "{name}");
    }
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn relay_state_with_control_characters_is_refused_not_changed() {
    let fx = Fixture::new();
    let idp = TestIdp::start(fx.config("assertion", "")).await;
    let c = client();
    let req = with_request(&idp, &deflate_b64(authn_xml(SP_ID, None, None).as_bytes()));
    for rs in ["a%0Db", "a%0Ab", "%1B%5B31m", "a%00b", "tab%09"] {
        let p = get(&c, &format!("{req}&RelayState={rs}")).await;
        assert_eq!(p.status, 400, "{rs}: {}", p.body);
        assert!(
            p.body.contains("RelayState holds control characters"),
            "{rs}"
        );
    }
    // The IdP-initiated entry and the POST binding take the same check.
    let p = post(
        &c,
        &idp.login_url(),
        &[
            (
                "SAMLRequest",
                &deflate_b64(authn_xml(SP_ID, None, None).as_bytes()),
            ),
            ("RelayState", "a\r\nb"),
        ],
    )
    .await;
    assert_eq!(p.status, 400, "{}", p.body);
    // RelayState of any other text comes back byte for byte.
    let p = get(&c, &format!("{req}&RelayState=%E6%97%A5+%26x%3D1")).await;
    assert!(is_form(&p), "{}", p.body);
    let done = submit(&c, &p.body, "agent1", "agent1", "login").await;
    let (_, _, rs) = autopost(&done.body).expect("an auto-POST form");
    assert_eq!(rs.as_deref(), Some("日 &x=1"));
    idp.stop().await;
}
