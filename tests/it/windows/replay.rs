//! A signed AuthnRequest is answered at most once with Negotiate on, on every path: the SSO
//! session and NoPassive answers of a token-less pass, the form shown with the challenge and
//! posted later, and the retry with the token. A request already answered is refused (400)
//! without a challenge, a form or a second Response.

use super::capture::negotiate_header;
use super::kdc::Kdc;
use super::sign_in::linked_users_file;
use crate::common::*;
use serde_json::Value;

const SP2_ID: &str = "urn:test:sp2";
const SP2_ACS: &str = "https://sp2.test/acs";
/// agent1's password in the users file (the CIC account, typed on the form).
const CIC_PW: &str = "unused-cic-pw";

/// A KDC with agent1, an IdP with Negotiate on and an SP that must sign its requests.
struct World {
    fx: Fixture,
    kdc: Kdc,
    idp: TestIdp,
    sp2: SpKeys,
    md: String,
}

impl World {
    async fn start() -> World {
        World::start_with("").await
    }

    /// [`World::start`] with `extra` tables in the configuration.
    async fn start_with(extra: &str) -> World {
        let fx = Fixture::new();
        linked_users_file(&fx);
        let kdc = Kdc::start("EXAMPLE.COM");
        kdc.add_service("HTTP/localhost", &fx.path().join("http.keytab"));
        kdc.add_user("agent1", "agent1-krb-pw");
        let sp2 = SpKeys::new(fx.path(), "sp2");
        let cfg = fx.config(
            "assertion",
            &format!(
                "[[service_providers]]\nentity_id = \"{SP2_ID}\"\nacs_urls = [\"{SP2_ACS}\"]\n\
                 require_signed_requests = true\ncertificate_file = \"{}\"\n\
                 [windows]\nkeytab = \"http.keytab\"\nrealms = [\"EXAMPLE.COM\"]\n{extra}",
                sp2.cert.display()
            ),
        );
        let idp = TestIdp::start(cfg).await;
        let md = idp.metadata_file(fx.path()).await.display().to_string();
        World {
            fx,
            kdc,
            idp,
            sp2,
            md,
        }
    }

    /// A signed HTTP-Redirect AuthnRequest of SP2, with pysaml2's `extra` flags.
    fn request(&self, extra: &[&str]) -> Value {
        self.sp2
            .signed("authn", &self.md, (SP2_ID, SP2_ACS), "redirect", extra)
    }

    /// A Negotiate header with a fresh Kerberos token of agent1.
    async fn token(self) -> (String, World) {
        tokio::task::spawn_blocking(move || {
            let cc = self.kdc.kinit("agent1", "agent1-krb-pw", &[]);
            (negotiate_header(&self.kdc, &cc).unwrap(), self)
        })
        .await
        .unwrap()
    }

    /// Asserts that `p` carries a signed Response for `req` that SP2 (pysaml2) accepts.
    fn assert_answers(&self, p: &Page, req: &Value) {
        assert_eq!(p.status, 200, "{}", p.body);
        let (_, resp, _) = autopost(&p.body).expect("a Response");
        let (ok, v) = sp_verify_as(
            self.fx.path(),
            &self.md,
            (SP2_ID, SP2_ACS),
            &resp,
            &["--request-id", rid(req)],
        );
        assert!(ok, "{v}");
    }
}

/// Asserts that `p` is the replay refusal: 400, no Response, no form, no challenge.
fn assert_replay(p: &Page) {
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(autopost(&p.body).is_none(), "a Response: {}", p.body);
    assert!(!p.body.contains("id=\"login-form\""), "a form: {}", p.body);
    assert!(p.headers.get("www-authenticate").is_none(), "a challenge");
}

async fn get_with(c: &reqwest::Client, url: &str, auth: &str) -> Page {
    page(
        c.get(url)
            .header("Authorization", auth)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_with_an_sso_session_cannot_replay_a_signed_request_it_was_answered() {
    let w = World::start().await;
    let b = client();
    // Signed in once by the form shown with the challenge: one Response.
    let req = w.request(&[]);
    let url = req["url"].as_str().unwrap();
    let challenge = get(&b, url).await;
    assert_eq!(challenge.status, 401, "{}", challenge.body);
    let p = submit(&b, &challenge.body, "agent1", CIC_PW, "login").await;
    w.assert_answers(&p, &req);
    // The same request again from the signed-in browser, without Authorization: refused.
    for _ in 0..3 {
        assert_replay(&get(&b, url).await);
    }
    // A new signed request is answered from the SSO session, once.
    let req = w.request(&[]);
    let url = req["url"].as_str().unwrap();
    w.assert_answers(&get(&b, url).await, &req);
    for _ in 0..3 {
        assert_replay(&get(&b, url).await);
    }
    w.idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_request_answered_by_a_token_gets_no_form_and_its_earlier_form_no_response() {
    let w = World::start().await;
    let req = w.request(&[]);
    let url = req["url"].as_str().unwrap().to_string();
    // Browser A: the challenge, with the form, which it keeps.
    let a = client();
    let form = get(&a, &url).await;
    assert_eq!(form.status, 401, "{}", form.body);
    // Browser C answers the challenge with a token: the request is answered.
    let (token, w) = w.token().await;
    let p = get_with(&client(), &url, &token).await;
    w.assert_answers(&p, &req);
    // A fresh browser sending the answered request without a token: refused at once.
    assert_replay(&get(&client(), &url).await);
    // A's form of that request, posted with the right password: refused, no Response.
    assert_replay(&submit(&a, &form.body, "agent1", CIC_PW, "login").await);
    // The same with the form first: a form posted, then the token retry of that request.
    let req = w.request(&[]);
    let url = req["url"].as_str().unwrap().to_string();
    let a = client();
    let form = get(&a, &url).await;
    assert_eq!(form.status, 401, "{}", form.body);
    w.assert_answers(
        &submit(&a, &form.body, "agent1", CIC_PW, "login").await,
        &req,
    );
    let (token, w) = w.token().await;
    assert_replay(&get_with(&client(), &url, &token).await);
    w.idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ordinary_flows_of_a_signed_request_answer_it_once() {
    let w = World::start().await;
    // Challenge, then the retry with the token: one Response.
    let req = w.request(&[]);
    let url = req["url"].as_str().unwrap().to_string();
    let c = client();
    assert_eq!(get(&c, &url).await.status, 401);
    let (token, w) = w.token().await;
    w.assert_answers(&get_with(&c, &url, &token).await, &req);
    // Challenge, the browser does not negotiate, the form is posted: one Response.
    let req = w.request(&[]);
    let url = req["url"].as_str().unwrap().to_string();
    let b = client();
    let form = get(&b, &url).await;
    assert_eq!(form.status, 401, "{}", form.body);
    w.assert_answers(
        &submit(&b, &form.body, "agent1", CIC_PW, "login").await,
        &req,
    );
    let again = submit(&b, &form.body, "agent1", CIC_PW, "login").await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(autopost(&again.body).is_none(), "{}", again.body);
    // IsPassive without a session: NoPassive once; its replay is refused.
    let req = w.request(&["--is-passive"]);
    let url = req["url"].as_str().unwrap().to_string();
    let p = get(&client(), &url).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let (_, resp, _) = autopost(&p.body).expect("a NoPassive Response");
    let (ok, v) = sp_verify_as(
        w.fx.path(),
        &w.md,
        (SP2_ID, SP2_ACS),
        &resp,
        &["--request-id", rid(&req)],
    );
    assert!(!ok);
    assert_eq!(
        v["sub_status"], "urn:oasis:names:tc:SAML:2.0:status:NoPassive",
        "{v}"
    );
    assert_replay(&get(&client(), &url).await);
    w.idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_of_a_signed_request_cannot_answer_it_again_after_the_request_is_stale() {
    // A short clock skew, so the request is past its freshness while its forms still live.
    let w = World::start_with("[saml]\nclock_skew = \"4s\"\n").await;
    let req = w.request(&[]);
    let url = req["url"].as_str().unwrap().to_string();
    // Two token-less passes of one browser: two forms of the same request.
    let b = client();
    let first = get(&b, &url).await;
    assert_eq!(first.status, 401, "{}", first.body);
    let second = get(&b, &url).await;
    assert_eq!(second.status, 401, "{}", second.body);
    w.assert_answers(
        &submit(&b, &first.body, "agent1", CIC_PW, "login").await,
        &req,
    );
    // Past IssueInstant + clock skew (the request itself is stale now), within the forms'
    // session.login_timeout: the second form must not answer the request again.
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let again = submit(&b, &second.body, "agent1", CIC_PW, "login").await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(
        autopost(&again.body).is_none(),
        "a second Response: {}",
        again.body
    );
    w.idp.stop().await;
}
