//! SSO sessions, Single Logout, IdP-initiated login and signed AuthnRequests, with pysaml2 as
//! the SP. A second SP (`SP2`) has a certificate, requires signed requests, allows
//! IdP-initiated login and has an SLO URL; the fixture's first SP has none of these.

use crate::common::*;
use pureconnect_idp::i18n::Lang;
use serde_json::Value;
use std::path::Path;

const SP2_ID: &str = "urn:test:sp2";
const SP2_ACS: &str = "https://sp2.test/acs";
const SP2_SLO: &str = "https://sp2.test/slo";
const SECRET_B: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";

struct Sp2 {
    keys: SpKeys,
}

impl Sp2 {
    fn new(dir: &Path) -> Sp2 {
        Sp2 {
            keys: SpKeys::new(dir, "sp2"),
        }
    }

    fn config_entry(&self) -> String {
        format!(
            "[[service_providers]]\nentity_id = \"{SP2_ID}\"\nalias = \"sp2\"\nacs_urls = [\"{SP2_ACS}\", \"https://sp2.test/acs-b\"]\n\
             sign = \"both\"\nallow_idp_initiated = true\nrequire_signed_requests = true\n\
             certificate_file = \"{}\"\nslo_url = \"{SP2_SLO}\"\n",
            self.keys.cert.display()
        )
    }

    /// pysaml2 as SP2: an AuthnRequest (signed unless `unsigned`) with extra flags.
    fn authn(&self, md: &str, binding: &str, extra: &[&str]) -> Value {
        let mut args = vec!["--relay-state", "rs two", "--show-xml"];
        args.extend_from_slice(extra);
        self.keys
            .signed("authn", md, (SP2_ID, SP2_ACS), binding, &args)
    }

    fn verify(&self, dir: &Path, md: &str, resp: &str, rid: Option<&str>) -> (bool, Value) {
        let mut rest = vec!["--want-response-signed", "--want-assertions-signed"];
        match rid {
            Some(r) => rest.extend_from_slice(&["--request-id", r]),
            None => rest.push("--allow-unsolicited"),
        }
        sp_verify_as(dir, md, (SP2_ID, SP2_ACS), resp, &rest)
    }
}

async fn start(fx: &Fixture, sp2: &Sp2, secret: &str) -> TestIdp {
    let cfg = fx.config_full(
        "https://idp.test",
        secret,
        "",
        "assertion",
        &sp2.config_entry(),
    );
    TestIdp::start(cfg).await
}

/// A server with both SPs, its metadata in a file, and a browser.
struct World {
    fx: Fixture,
    sp2: Sp2,
    idp: TestIdp,
    md: String,
    c: reqwest::Client,
}

async fn world() -> World {
    let fx = Fixture::new();
    let sp2 = Sp2::new(fx.path());
    let idp = start(&fx, &sp2, SECRET_A).await;
    let md = idp.metadata_file(fx.path()).await.display().to_string();
    World {
        fx,
        sp2,
        idp,
        md,
        c: client(),
    }
}

/// The browser `c` signs in to `idp` through the form; the form page (which set
/// `idp_browser`) and the answer (which set `idp_sso`).
async fn sign_in(c: &reqwest::Client, idp: &TestIdp) -> (Page, Page) {
    let form = get(c, &request_url(&idp.base)).await;
    let done = submit(c, &form.body, "agent1", "agent1", "login").await;
    (form, done)
}

/// The first SP's request through pysaml2 (unsigned, deflated Redirect).
fn sp1_authn(md: &str, extra: &[&str]) -> Value {
    let (ok, v) = pysaml2_as("authn", md, (SP_ID, SP_ACS), extra);
    assert!(ok, "{v}");
    v
}

fn set_cookie(p: &Page, name: &str) -> Option<String> {
    p.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

fn is_form(p: &Page) -> bool {
    p.body.contains("id=\"login-form\"")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_skips_the_form_force_authn_shows_it_and_is_passive_needs_one() {
    let World {
        fx,
        sp2,
        idp,
        md,
        c,
    } = world().await;
    let md = md.as_str();

    // IsPassive and no session: a NoPassive Response, no form.
    let req = sp1_authn(md, &["--is-passive"]);
    let p = get(&c, req["url"].as_str().unwrap()).await;
    assert!(!is_form(&p), "{}", p.body);
    let (_, resp, _) = autopost(&p.body).expect("an auto-POST form");
    let (ok, v) = sp_verify(fx.path(), md, &resp, rid(&req), &[]);
    assert!(!ok);
    assert_eq!(
        v["sub_status"], "urn:oasis:names:tc:SAML:2.0:status:NoPassive",
        "{v}"
    );

    // The form, once.
    let req = sp1_authn(md, &[]);
    let form = get(&c, req["url"].as_str().unwrap()).await;
    assert!(is_form(&form));
    let done = submit(&c, &form.body, "agent1", "agent1", "login").await;
    let cookie = set_cookie(&done, "idp_sso").expect("a session cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain-http base: {cookie}");
    let (_, resp, _) = autopost(&done.body).unwrap();
    let (ok, first) = sp_verify(fx.path(), md, &resp, rid(&req), &[]);
    assert!(ok, "{first}");

    // A second request, to either SP: a Response straight away, same SessionIndex.
    let req = sp1_authn(md, &[]);
    let again = get(&c, req["url"].as_str().unwrap()).await;
    assert!(!is_form(&again), "{}", again.body);
    let (acs, resp, _) = autopost(&again.body).expect("an auto-POST form");
    assert_eq!(acs, SP_ACS);
    let (ok, second) = sp_verify(fx.path(), md, &resp, rid(&req), &[]);
    assert!(ok, "{second}");
    assert_eq!(second["name_id"], "agent1@example.com");
    assert_eq!(second["session_index"], first["session_index"]);
    assert_ne!(second["response_id"], first["response_id"]);
    let req = sp2.authn(md, "redirect", &[]);
    let to_sp2 = get(&c, req["url"].as_str().unwrap()).await;
    let (acs, resp, rs) = autopost(&to_sp2.body).expect("an auto-POST form for SP2");
    assert_eq!((acs.as_str(), rs.as_deref()), (SP2_ACS, Some("rs two")));
    let (ok, v) = sp2.verify(fx.path(), md, &resp, req["request_id"].as_str());
    assert!(ok, "{v}");

    // IsPassive with a session: success.
    let req = sp1_authn(md, &["--is-passive"]);
    let p = get(&c, req["url"].as_str().unwrap()).await;
    let (_, resp, _) = autopost(&p.body).expect("an auto-POST form");
    let (ok, v) = sp_verify(fx.path(), md, &resp, rid(&req), &[]);
    assert!(ok, "{v}");

    // ForceAuthn: the form again, although the session is valid.
    let req = sp1_authn(md, &["--force-authn"]);
    let p = get(&c, req["url"].as_str().unwrap()).await;
    assert!(is_form(&p), "{}", p.body);

    // Another browser has no session.
    let p = get(&client(), req["url"].as_str().unwrap()).await;
    assert!(is_form(&p));
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_made_by_one_instance_is_honoured_by_the_other_with_the_same_secret() {
    let fx = Fixture::new();
    let sp2 = Sp2::new(fx.path());
    let a = start(&fx, &sp2, SECRET_A).await;
    let b = start(&fx, &sp2, SECRET_A).await;
    let other = start(&fx, &sp2, SECRET_B).await;
    let c = client(); // cookies are per host, not per port: one browser for all three
    let form = get(&c, &request_url(&a.base)).await;
    let done = submit(&c, &form.body, "agent1", "agent1", "login").await;
    assert!(set_cookie(&done, "idp_sso").is_some());
    let on_b = get(&c, &request_url(&b.base)).await;
    assert!(!is_form(&on_b), "{}", on_b.body);
    let (_, resp, _) = autopost(&on_b.body).expect("B answers from A's session");
    assert!(decode_b64(&resp).contains("agent1@example.com"));
    let on_other = get(&c, &request_url(&other.base)).await;
    assert!(
        is_form(&on_other),
        "another secret must not accept the cookie"
    );
    for s in [a, b, other] {
        s.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_requests_are_checked_in_both_bindings() {
    let World {
        fx,
        sp2,
        idp,
        md,
        c,
    } = world().await;
    let md = md.as_str();

    let req = sp2.authn(md, "redirect", &[]);
    let url = req["url"].as_str().unwrap();
    assert!(url.contains("&Signature="));
    assert!(is_form(&get(&c, url).await));
    // A signed parameter changed after signing.
    let tampered = url.replace("RelayState=rs", "RelayState=RS");
    assert_ne!(tampered, url);
    let p = get(&c, &tampered).await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(p.body.contains("signature does not verify"), "{}", p.body);
    // No signature at all, from an SP that must sign.
    let unsigned = url.split("&SigAlg=").next().unwrap();
    let p = get(&c, unsigned).await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("not signed"), "{}", p.body);
    // Signed by another key.
    let other_dir = fx.path().join("stranger");
    std::fs::create_dir_all(&other_dir).unwrap();
    let stranger = Sp2::new(&other_dir);
    let req = stranger.authn(md, "redirect", &[]);
    let p = get(&c, req["url"].as_str().unwrap()).await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("signature does not verify"), "{}", p.body);

    let req = sp2.authn(md, "post", &[]);
    let p = post_fields(&c, &req).await;
    assert!(is_form(&p), "{}", p.body);
    // The XML edited after signing (another allowed ACS, so only the signature can refuse it).
    let xml = req["xml"].as_str().unwrap();
    assert!(xml.contains(SP2_ACS));
    let edited = xml.replace(SP2_ACS, "https://sp2.test/acs-b");
    let mut bad = req.clone();
    bad["fields"]["SAMLRequest"] = Value::String(base64_of(&edited));
    let p = post_fields(&c, &bad).await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(p.body.contains("signature does not verify"), "{}", p.body);
    // Signature wrapping: the signed request tucked inside a new, unsigned one.
    let inner = xml.trim_start_matches(|c| c != '<');
    let inner = if inner.starts_with("<?xml") {
        &inner[inner.find("?>").unwrap() + 2..]
    } else {
        inner
    };
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let wrapped = format!(
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_evil\" Version=\"2.0\" IssueInstant=\"{now}\" AssertionConsumerServiceURL=\"https://sp2.test/acs-b\"><saml:Issuer>{SP2_ID}</saml:Issuer><samlp:Extensions>{inner}</samlp:Extensions></samlp:AuthnRequest>"
    );
    bad["fields"]["SAMLRequest"] = Value::String(base64_of(&wrapped));
    let p = post_fields(&c, &bad).await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(
        p.body.contains("does not cover the whole message"),
        "{}",
        p.body
    );
    // The signature cut out.
    let open = xml.find(":Signature ").expect("an enveloped signature");
    let start = xml[..open].rfind('<').unwrap();
    let prefix = &xml[start + 1..open];
    let close = format!("</{prefix}:Signature>");
    let end = xml.find(&close).unwrap() + close.len();
    let stripped = format!("{}{}", &xml[..start], &xml[end..]);
    bad["fields"]["SAMLRequest"] = Value::String(base64_of(&stripped));
    let p = post_fields(&c, &bad).await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("not signed"), "{}", p.body);
    idp.stop().await;
}

fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[tokio::test(flavor = "multi_thread")]
async fn idp_initiated_login_only_for_sps_that_allow_it() {
    let World {
        fx,
        sp2,
        idp,
        md,
        c,
    } = world().await;
    let md = md.as_str();

    let form = get(&c, &format!("{}&sp=sp2&RelayState=inbox", idp.login_url())).await;
    assert!(is_form(&form), "{}", form.body);
    let done = submit(&c, &form.body, "agent1", "agent1", "login").await;
    let (acs, resp, rs) = autopost(&done.body).expect("an auto-POST form");
    assert_eq!((acs.as_str(), rs.as_deref()), (SP2_ACS, Some("inbox")));
    assert!(!decode_b64(&resp).contains("InResponseTo"));
    let (ok, v) = sp2.verify(fx.path(), md, &resp, None);
    assert!(ok, "{v}");
    assert_eq!(v["in_response_to"], Value::Null);
    // pysaml2 refuses the same Response when it expects an answer to a request of its own.
    let (ok, _) = sp2.verify(fx.path(), md, &resp, Some("_some-request"));
    assert!(!ok);

    // With the session, by entity ID: no form.
    let again = get(&c, &format!("{}&sp={}", idp.login_url(), urlenc(SP2_ID))).await;
    assert!(autopost(&again.body).is_some(), "{}", again.body);

    // The first SP does not allow it; an unknown one neither.
    for sp in [SP_ID, "nobody"] {
        let p = get(&c, &format!("{}&sp={}", idp.login_url(), urlenc(sp))).await;
        assert_eq!(p.status, 400, "{sp}");
        assert!(p.body.contains("IdP-initiated"), "{}", p.body);
    }
    idp.stop().await;
}

fn urlenc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// pysaml2 as SP2 checks a LogoutResponse sent by Redirect to `location`.
fn verify_logout(md: &str, lr: &Value, location: &str) -> (bool, Value) {
    pysaml2_as(
        "verify-logout",
        md,
        (SP2_ID, SP2_ACS),
        &["--request-id", rid(lr), "--slo", SP2_SLO, "--url", location],
    )
}

fn logout_request(sp2: &Sp2, md: &str, binding: &str, session_index: &str) -> Value {
    sp2.keys.signed(
        "logout",
        md,
        (SP2_ID, SP2_ACS),
        binding,
        &[
            "--name-id",
            "agent1@example.com",
            "--session-index",
            session_index,
            "--relay-state",
            "bye now",
            "--slo",
            SP2_SLO,
        ],
    )
}

/// Signs in through SP2 and returns the SessionIndex.
async fn sign_in_sp2(c: &reqwest::Client, fx: &Fixture, sp2: &Sp2, md: &str) -> String {
    let req = sp2.authn(md, "redirect", &[]);
    let form = get(c, req["url"].as_str().unwrap()).await;
    let done = submit(c, &form.body, "agent1", "agent1", "login").await;
    let (_, resp, _) = autopost(&done.body).expect("an auto-POST form");
    let (ok, v) = sp2.verify(fx.path(), md, &resp, req["request_id"].as_str());
    assert!(ok, "{v}");
    v["session_index"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn single_logout_round_trip_with_pysaml2() {
    let fx = Fixture::new();
    let sp2 = Sp2::new(fx.path());
    let idp = start(&fx, &sp2, SECRET_A).await;
    let mdp = idp.metadata_file(fx.path()).await;
    let md = mdp.to_str().unwrap();
    let metadata = std::fs::read_to_string(&mdp).unwrap();
    assert!(metadata.contains(&format!(
        "SingleLogoutService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"{}/ICNotifierIDP/logout\"",
        idp.base
    )));
    let c = client();
    let sidx = sign_in_sp2(&c, &fx, &sp2, md).await;

    // A tampered LogoutRequest is refused, and the session lives on.
    let lr = logout_request(&sp2, md, "redirect", &sidx);
    let url = lr["url"].as_str().unwrap();
    let p = get(&c, &url.replace("RelayState=bye", "RelayState=BYE")).await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(set_cookie(&p, "idp_sso").is_none());
    // Unsigned, from an SP with a certificate: refused too.
    let p = get(&c, url.split("&SigAlg=").next().unwrap()).await;
    assert_eq!(p.status, 400);
    let still = get(&c, &request_url(&idp.base)).await;
    assert!(!is_form(&still), "the session must survive refused logouts");

    // The real one: session ended, signed LogoutResponse by Redirect to SP2's SLO URL.
    let p = get(&c, url).await;
    assert_eq!(p.status, 302, "{}", p.body);
    let cleared = set_cookie(&p, "idp_sso").expect("the session cookie is cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let location = p.headers["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!("{SP2_SLO}?SAMLResponse=")),
        "{location}"
    );
    let (ok, v) = verify_logout(md, &lr, &location);
    assert!(ok, "{v}");
    assert_eq!(v["status"], "urn:oasis:names:tc:SAML:2.0:status:Success");
    assert_eq!(v["signature_checked"], true);
    assert_eq!(v["relay_state"], "bye now");
    // pysaml2 refuses the answer once a byte of it is changed.
    let (ok, _) = verify_logout(
        md,
        &lr,
        &location.replace("RelayState=bye", "RelayState=BYE"),
    );
    assert!(!ok);
    let after = get(&c, &request_url(&idp.base)).await;
    assert!(is_form(&after), "signed out: the form again");

    // The POST binding, signed in the XML.
    let sidx = sign_in_sp2(&c, &fx, &sp2, md).await;
    let lr = logout_request(&sp2, md, "post", &sidx);
    let p = post_fields(&c, &lr).await;
    assert_eq!(p.status, 302, "{}", p.body);
    let location = p.headers["location"].to_str().unwrap().to_string();
    let (ok, v) = verify_logout(md, &lr, &location);
    assert!(ok, "{v}");
    assert!(is_form(&get(&c, &request_url(&idp.base)).await));
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_logout_link_shows_the_signed_out_page_in_the_users_language() {
    let World { idp, c, .. } = world().await;
    sign_in(&c, &idp).await;
    for tag in ["de", "ja", "ar"] {
        let lang = Lang::from_tag(tag).unwrap();
        let r = c
            .get(idp.url("/ICNotifierIDP/logout"))
            .header("Accept-Language", tag)
            .send()
            .await
            .unwrap();
        let p = page(r).await;
        assert_eq!(p.status, 200);
        let cleared = set_cookie(&p, "idp_sso").expect("cleared");
        assert!(cleared.contains("Max-Age=0"));
        assert!(
            p.body.contains(&format!("lang=\"{}\"", lang.tag())),
            "{tag}"
        );
        for key in ["logout.page_title", "logout.heading", "logout.message"] {
            let text = lang.t(key);
            assert!(p.body.contains(text), "{tag} {key}: {}", p.body);
            assert_ne!(text, Lang::from_tag("en-US").unwrap().t(key), "{tag} {key}");
        }
        assert_eq!(p.body.contains("dir=\"rtl\""), tag == "ar");
    }
    assert!(is_form(&get(&c, &request_url(&idp.base)).await));
    idp.stop().await;
}

/// `name=value` of a `Set-Cookie` on `p`.
fn cookie_pair(p: &Page, name: &str) -> String {
    let c = set_cookie(p, name).unwrap_or_else(|| panic!("{name} is set"));
    c.split(';').next().unwrap().to_string()
}

/// A GET of `url` by a browser that has exactly the cookies `jar`.
async fn get_with(url: &str, jar: &str) -> Page {
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut r = c.get(url);
    if !jar.is_empty() {
        r = r.header("cookie", jar);
    }
    page(r.send().await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copied_session_is_refused_after_the_logout_link_and_after_single_logout() {
    let World {
        fx,
        sp2,
        idp,
        md,
        c,
    } = world().await;
    let md = md.as_str();
    let (form, done) = sign_in(&c, &idp).await;
    let browser = cookie_pair(&form, "idp_browser");
    let copy = format!("{browser}; {}", cookie_pair(&done, "idp_sso"));
    // The copy (both cookies) signs its holder in while the session lives...
    let p = get_with(&request_url(&idp.base), &copy).await;
    assert!(autopost(&p.body).is_some(), "{}", p.body);
    // ...and not after the user followed the sign-out link.
    assert_eq!(get(&c, &idp.url("/ICNotifierIDP/logout")).await.status, 200);
    let p = get_with(&request_url(&idp.base), &copy).await;
    assert!(
        is_form(&p),
        "a copied session outlived the sign-out: {}",
        p.body
    );

    // Single Logout from SP2 ends a session the same way.
    let req = sp2.authn(md, "redirect", &[]);
    let form = get(&c, req["url"].as_str().unwrap()).await;
    let done = submit(&c, &form.body, "agent1", "agent1", "login").await;
    let (_, resp, _) = autopost(&done.body).expect("an auto-POST form");
    let (ok, v) = sp2.verify(fx.path(), md, &resp, req["request_id"].as_str());
    assert!(ok, "{v}");
    let sidx = v["session_index"].as_str().unwrap().to_string();
    let copy = format!("{browser}; {}", cookie_pair(&done, "idp_sso"));
    assert!(!is_form(&get_with(&request_url(&idp.base), &copy).await));
    let lr = logout_request(&sp2, md, "redirect", &sidx);
    assert_eq!(get(&c, lr["url"].as_str().unwrap()).await.status, 302);
    let p = get_with(&request_url(&idp.base), &copy).await;
    assert!(
        is_form(&p),
        "a copied session outlived Single Logout: {}",
        p.body
    );
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_cookie_alone_does_not_sign_in_another_browser() {
    let World { idp, c, .. } = world().await;
    let (form, done) = sign_in(&c, &idp).await;
    let browser = cookie_pair(&form, "idp_browser");
    let sso = cookie_pair(&done, "idp_sso");
    let url = request_url(&idp.base);
    for jar in [
        sso.clone(),
        format!("idp_browser=0123456789abcdef0123456789abcdef; {sso}"),
        format!("{sso}; idp_browser=x"),
    ] {
        let p = get_with(&url, &jar).await;
        assert!(is_form(&p), "{jar}: {}", p.body);
        assert!(autopost(&p.body).is_none());
    }
    // With the browser it was given to, the session answers.
    let p = get_with(&url, &format!("{browser}; {sso}")).await;
    assert!(autopost(&p.body).is_some(), "{}", p.body);
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_cookie_alone_cannot_sign_its_owner_out() {
    let World { idp, c, .. } = world().await;
    let (_, done) = sign_in(&c, &idp).await;
    let sso = cookie_pair(&done, "idp_sso");
    // Someone holding only a copy of idp_sso follows the sign-out link with it...
    assert_eq!(
        get_with(&idp.url("/ICNotifierIDP/logout"), &sso)
            .await
            .status,
        200
    );
    // ...and the owner's browser is still signed in.
    let p = get(&c, &request_url(&idp.base)).await;
    assert!(autopost(&p.body).is_some(), "{}", p.body);
    idp.stop().await;
}
