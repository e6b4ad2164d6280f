//! The CIC backend (`backend.type = "icws"`) through the real identity provider and real form
//! posts, against the ICWS test double: logins, each failure's page, switchover, unreachable
//! and hanging servers, TLS with a private CA, the language passed on, and that no CIC
//! session is left open.

use crate::common::*;
use crate::icws_double::{closed_port_server, pki, IcwsDouble, Mode};
use pureconnect_idp::config::Config;
use std::time::{Duration, Instant};

pub const FILE_BACKEND: &str = "[backend]\ntype = \"file\"\nusers_file = \"users.toml\"\n";

/// The fixture's configuration with the users file replaced by an ICWS backend with
/// `servers` and the extra `backend` lines.
pub fn icws_config(fx: &Fixture, servers: &[String], backend: &str) -> Config {
    fx.config("assertion", "");
    let file = fx.path().join("idp.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains(FILE_BACKEND),
        "the fixture's backend table changed"
    );
    let list: Vec<String> = servers.iter().map(|s| format!("\"{s}\"")).collect();
    let icws = format!(
        "[backend]\ntype = \"icws\"\nservers = [{}]\napplication_name = \"idp tests\"\n{backend}\n",
        list.join(", ")
    );
    std::fs::write(&file, text.replace(FILE_BACKEND, &icws)).unwrap();
    Config::load(&file).unwrap()
}

/// An IdP asking `servers` over plain HTTP (the double's default).
pub async fn idp_for(fx: &Fixture, servers: &[String], backend: &str) -> TestIdp {
    let extra = format!("scheme = \"http\"\n{backend}");
    TestIdp::start(icws_config(fx, servers, &extra)).await
}

/// A fresh browser fetches the form (in `lang`) and logs in; returns the page and how long
/// the credential POST took.
pub async fn login_as(idp: &TestIdp, lang: &str, user: &str, password: &str) -> (Page, Duration) {
    login_at(&idp.base, lang, user, password).await
}

/// [`login_as`] for the IdP at `base`.
pub async fn login_at(base: &str, lang: &str, user: &str, password: &str) -> (Page, Duration) {
    let c = client();
    let r = c
        .get(request_url(base))
        .header("accept-language", lang)
        .send()
        .await
        .unwrap();
    let form = page(r).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let t = Instant::now();
    let p = submit(&c, &form.body, user, password, "login").await;
    (p, t.elapsed())
}

const UNAVAILABLE: &str = "PureConnect could not be reached";

fn assert_unavailable(p: &Page) {
    assert_eq!(p.status, 503, "{}", p.body);
    assert!(p.body.contains(UNAVAILABLE), "{}", p.body);
    assert!(autopost(&p.body).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn icws_good_login_reaches_the_assertion_and_closes_the_session() {
    let fx = Fixture::new();
    let cic = IcwsDouble::start().await;
    let idp = idp_for(&fx, &[cic.server()], "").await;
    let md = idp.metadata_file(fx.path()).await;
    let md = md.to_str().unwrap();
    for (user, email, name) in [
        ("agent1", "agent1@example.com", "Agent One"),
        // No personal email: the mailbox address is the fallback.
        ("MBOXONLY", "mbox@example.com", "Mailbox Only"),
    ] {
        let (p, _) = login_as(&idp, "en-US", user, &format!("{}-pw", user.to_lowercase())).await;
        assert_eq!(p.status, 200, "{}", p.body);
        let (acs, resp, _) = autopost(&p.body).expect("an auto-POST form");
        assert_eq!(acs, SP_ACS);
        let (ok, v) = sp_verify(fx.path(), md, &resp, "_r", &[]);
        assert!(ok, "{v}");
        assert_eq!(v["name_id"], email, "{v}");
        assert_eq!(v["attributes"]["email"][0], email, "{v}");
        assert_eq!(v["attributes"]["displayName"][0], name, "{v}");
        assert_eq!(
            cic.open_sessions(),
            0,
            "{user}: the CIC session was not deleted"
        );
    }
    // The documented sequence, the session's ID in the paths, `select` naming what is read.
    let seen = cic.seen();
    let calls: Vec<String> = seen
        .iter()
        .map(|s| format!("{} {}", s.method, s.uri))
        .collect();
    assert_eq!(calls.len(), 6, "{calls:?}");
    assert_eq!(calls[0], "POST /icws/connection");
    let sid = calls[1]
        .strip_prefix("GET /icws/")
        .and_then(|r| r.split('/').next())
        .unwrap();
    assert_eq!(
        calls[1],
        format!("GET /icws/{sid}/configuration/users/agent1?select=configurationId%2CpersonalInformationProperties%2CmailboxProperties")
    );
    assert_eq!(calls[2], format!("DELETE /icws/{sid}/connection"));
    assert!(
        calls[4].contains("/configuration/users/mboxonly?"),
        "CIC's spelling of the ID: {calls:?}"
    );
    assert!(seen[0].body.contains("\"applicationName\":\"idp tests\""));
    assert!(seen[0]
        .body
        .contains("urn:inin.com:connection:icAuthConnectionRequestSettings"));
    // The password went to POST /icws/connection and nowhere else.
    for s in &seen {
        let carries = s.body.contains("agent1-pw") || s.uri.contains("agent1-pw");
        assert_eq!(
            carries,
            s.uri == "/icws/connection" && s.body.contains("\"agent1\""),
            "{s:?}"
        );
    }
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn icws_wrong_password_and_account_problems() {
    let fx = Fixture::new();
    let cic = IcwsDouble::start().await;
    let idp = idp_for(&fx, &[cic.server()], "").await;
    for (user, pw) in [("agent1", "wrong"), ("ghost", "x")] {
        let (p, _) = login_as(&idp, "en-US", user, pw).await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert!(
            p.body.contains("The user ID or password is incorrect"),
            "{}",
            p.body
        );
        assert!(
            p.body.contains("id=\"login-form\""),
            "the form is shown again"
        );
    }
    for user in ["expired", "locked"] {
        let (p, _) = login_as(&idp, "en-US", user, &format!("{user}-pw")).await;
        assert_eq!(p.status, 403, "{user}: {}", p.body);
        assert!(
            p.body.contains("Contact your PureConnect administrator"),
            "{}",
            p.body
        );
        assert!(
            !p.body.contains("errorId") && !p.body.contains("error.request"),
            "{}",
            p.body
        );
        assert!(autopost(&p.body).is_none());
    }
    assert_eq!(cic.connection_requests().len(), 4);
    assert_eq!(cic.open_sessions(), 0);
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn icws_no_email_and_a_failed_lookup_still_close_the_session() {
    let fx = Fixture::new();
    let cic = IcwsDouble::start().await;
    let idp = idp_for(&fx, &[cic.server()], "").await;
    let (p, _) = login_as(&idp, "en-US", "noemail", "noemail-pw").await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains("no business email address"), "{}", p.body);
    assert_eq!(cic.open_sessions(), 0);
    // The session was opened, reading the user failed (500): the session is deleted anyway.
    let (p, _) = login_as(&idp, "en-US", "brokenlookup", "brokenlookup-pw").await;
    assert_unavailable(&p);
    let deletes = cic.seen().iter().filter(|s| s.method == "DELETE").count();
    assert_eq!(deletes, 2);
    assert_eq!(cic.open_sessions(), 0);
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn icws_backup_server_sends_the_login_to_the_alternate() {
    let fx = Fixture::new();
    let backup = IcwsDouble::start().await;
    let active = IcwsDouble::start().await;
    backup.set_mode(Mode::Backup(vec![active.server()]));
    // Only the backup is configured: the alternate comes from its 503.
    let idp = idp_for(&fx, &[backup.server()], "").await;
    let (p, _) = login_as(&idp, "en-US", "agent1", "agent1-pw").await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(autopost(&p.body).is_some());
    assert_eq!(backup.connection_requests().len(), 1);
    assert_eq!(active.connection_requests().len(), 1);
    // The server that answered is asked first next time.
    let (p, _) = login_as(&idp, "en-US", "agent1", "agent1-pw").await;
    assert!(autopost(&p.body).is_some());
    assert_eq!(backup.connection_requests().len(), 1);
    assert_eq!(active.connection_requests().len(), 2);
    assert_eq!(backup.open_sessions() + active.open_sessions(), 0);
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn icws_first_server_down_refusing_failing_or_resetting_then_the_second() {
    let fx = Fixture::new();
    let second = IcwsDouble::start().await;
    let broken = IcwsDouble::start().await;
    for (what, first) in [
        ("refused", closed_port_server()),
        ("500", broken.server()),
        ("reset", broken.server()),
    ] {
        broken.set_mode(if what == "reset" {
            Mode::Reset
        } else {
            Mode::Fail500
        });
        let idp = idp_for(&fx, &[first, second.server()], "").await;
        let (p, _) = login_as(&idp, "en-US", "agent1", "agent1-pw").await;
        assert_eq!(p.status, 200, "{what}: {}", p.body);
        assert!(autopost(&p.body).is_some(), "{what}");
        idp.stop().await;
    }
    assert_eq!(second.connection_requests().len(), 3);
    // The 500 reached the double; the reset connection never did.
    assert_eq!(broken.connection_requests().len(), 1);
    assert_eq!(second.open_sessions() + broken.open_sessions(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn icws_all_servers_down_is_a_503_page_quickly() {
    let fx = Fixture::new();
    let backup = IcwsDouble::start().await;
    backup.set_mode(Mode::Backup(vec![closed_port_server()]));
    // A minute to connect: a closed port must be passed over on its refusal, not on a timeout.
    let idp = idp_for(
        &fx,
        &[closed_port_server(), backup.server(), closed_port_server()],
        "connect_timeout = 60\nrequest_timeout = 60\n",
    )
    .await;
    for lang in ["en-US", "de"] {
        let (p, took) = login_as(&idp, lang, "agent1", "agent1-pw").await;
        assert_eq!(p.status, 503, "{}", p.body);
        if lang == "en-US" {
            assert!(p.body.contains(UNAVAILABLE), "{}", p.body);
        } else {
            assert!(!p.body.contains(UNAVAILABLE), "the page is in German");
        }
        assert!(took < Duration::from_secs(30), "took {took:?}");
    }
    assert_eq!(backup.connection_requests().len(), 2);
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn icws_readyz_follows_the_servers_and_lists_warnings() {
    let fx = Fixture::new();
    let up = IcwsDouble::start().await;
    let idp = idp_for(&fx, &[closed_port_server(), up.server()], "").await;
    let p = get(&client(), &idp.url("/readyz")).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(up
        .seen()
        .iter()
        .any(|s| s.uri == "/icws/connection/version"));
    assert_eq!(up.open_sessions(), 0, "no session, no licence");
    idp.stop().await;
    let idp = idp_for(&fx, &[closed_port_server()], "").await;
    let p = get(&client(), &idp.url("/readyz")).await;
    assert_eq!(p.status, 503, "{}", p.body);
    assert!(p.body.contains("not reachable"), "{}", p.body);
    assert!(
        p.body.contains("warning: backend.scheme = \"http\""),
        "{}",
        p.body
    );
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn icws_hanging_server_gives_up_after_request_timeout() {
    let fx = Fixture::new();
    let hung = IcwsDouble::start().await;
    hung.set_mode(Mode::Hang);
    // Given up well before the 15 s default (bounds generous for a loaded machine).
    let idp = idp_for(&fx, &[hung.server()], "request_timeout = 1\n").await;
    let (p, took) = login_as(&idp, "en-US", "agent1", "agent1-pw").await;
    assert_unavailable(&p);
    assert!(
        took >= Duration::from_millis(900),
        "gave up too early: {took:?}"
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
    idp.stop().await;
    // With a second server the login succeeds there after the first timed out.
    let good = IcwsDouble::start().await;
    let idp = idp_for(
        &fx,
        &[hung.server(), good.server()],
        "request_timeout = 1\n",
    )
    .await;
    let (p, took) = login_as(&idp, "en-US", "agent1", "agent1-pw").await;
    assert!(autopost(&p.body).is_some(), "{}", p.body);
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_eq!(good.open_sessions(), 0);
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn icws_tls_with_a_private_ca_works_and_fails_without_it() {
    let fx = Fixture::new();
    let pki = pki::private_ca();
    std::fs::write(fx.path().join("cic-ca.pem"), &pki.ca_pem).unwrap();
    let cic = IcwsDouble::start_tls(&pki.cert_pem, &pki.key_pem).await;
    let servers = [cic.server()];
    // ca_file is relative: taken from the configuration's folder.
    let idp = TestIdp::start(icws_config(&fx, &servers, "ca_file = \"cic-ca.pem\"\n")).await;
    let (p, _) = login_as(&idp, "en-US", "agent1", "agent1-pw").await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(autopost(&p.body).is_some());
    assert_eq!(cic.connection_requests().len(), 1);
    idp.stop().await;
    // Without the CA the certificate is not trusted: nothing reaches the server.
    let idp = TestIdp::start(icws_config(&fx, &servers, "")).await;
    let (p, _) = login_as(&idp, "en-US", "agent1", "agent1-pw").await;
    assert_unavailable(&p);
    assert_eq!(cic.connection_requests().len(), 1, "the password was sent");
    idp.stop().await;
    // Turning verification off works, and the backend says so.
    let cfg = icws_config(&fx, &servers, "danger_accept_invalid_certs = true\n");
    let pureconnect_idp::config::BackendConfig::Icws(icws) = &cfg.backend else {
        panic!("not an icws backend")
    };
    let b = pureconnect_idp::backend::icws::IcwsBackend::new(icws).unwrap();
    assert!(b.insecure());
    let w = pureconnect_idp::backend::CredentialBackend::warnings(&b);
    assert!(
        w.iter().any(|m| m.contains("danger_accept_invalid_certs")),
        "{w:?}"
    );
    let idp = TestIdp::start(cfg).await;
    let (p, _) = login_as(&idp, "en-US", "agent1", "agent1-pw").await;
    assert!(autopost(&p.body).is_some(), "{}", p.body);
    assert_eq!(cic.open_sessions(), 0);
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn icws_accept_language_is_the_form_language() {
    let fx = Fixture::new();
    let cic = IcwsDouble::start().await;
    let idp = idp_for(&fx, &[cic.server()], "").await;
    for (accept, bad_password) in [("de-AT,de;q=0.9", false), ("ja", true), ("en-US", false)] {
        let c = client();
        let r = c
            .get(request_url(&idp.base))
            .header("accept-language", accept)
            .send()
            .await
            .unwrap();
        let form = page(r).await;
        let (_, fields) = login_form(&form.body);
        let form_lang = fields.iter().find(|(k, _)| k == "lang").unwrap().1.clone();
        let pw = if bad_password { "wrong" } else { "agent1-pw" };
        let before = cic.seen().len();
        submit(&c, &form.body, "agent1", pw, "login").await;
        let seen = cic.seen();
        assert!(seen.len() > before);
        for s in &seen[before..] {
            assert_eq!(
                s.accept_language.as_deref(),
                Some(form_lang.as_str()),
                "{s:?}"
            );
        }
        assert_ne!(form_lang, "");
    }
    let langs: Vec<String> = cic
        .connection_requests()
        .into_iter()
        .filter_map(|s| s.accept_language)
        .collect();
    assert_eq!(langs, ["de", "ja", "en-US"]);
    idp.stop().await;
}
