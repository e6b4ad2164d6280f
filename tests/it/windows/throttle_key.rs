//! The Windows-password throttle counts per account, not per spelling: once `EXAMPLE\agent1`
//! is locked from an address, no other name of that account (`agent1@` any UPN suffix, another
//! case, spaces slipped in that the directory ignores) gets a budget of its own from there, and
//! no such spelling reaches the directory to tell a right password from a wrong one.

use super::sign_in::linked_users_file;
use super::slapd::{person, Slapd, SERVICE_PW};
use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_windows_account_stays_locked_under_every_spelling_of_its_name() {
    let fx = Fixture::new();
    linked_users_file(&fx);
    let slapd = Slapd::start(
        &[
            person("agent1", "Win-pw-1", Some("agent1.ad@example.com")),
            person("loner", "Win-pw-3", None),
            person("idot", "Win-pw-4", None),
        ]
        .concat(),
    );
    std::fs::write(fx.path().join("svc.pw"), SERVICE_PW).unwrap();
    let cfg = fx.config(
        "assertion",
        &format!(
            "[throttle]\nuser_failures = 3\n[windows]\nrealms = [\"EXAMPLE.COM\"]\n[windows.ldap]\n{}\
             upn_suffixes = [\"example.com\", \"corp.example.com\"]\ntimeout = \"10s\"\n",
            slapd.ldap_keys("svc.pw")
        ),
    );
    let idp = TestIdp::start(cfg).await;
    // Each attempt from a fresh browser, all from the same address.
    let attempt = |user: &'static str, pw: &'static str| {
        let url = request_url(&idp.base);
        async move {
            let c = client();
            let f = get(&c, &url).await;
            assert_eq!(f.status, 200, "{}", f.body);
            submit(&c, &f.body, user, pw, "login").await
        }
    };

    // Three wrong passwords lock EXAMPLE\agent1 for this address ...
    for _ in 0..3 {
        let p = attempt("EXAMPLE\\agent1", "wrong").await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert!(p.body.contains("The user ID or password is incorrect"));
    }
    // ... and the right password under another name of the same account is refused unseen.
    for same in [
        "agent1@example.com",
        "agent1@corp.example.com",
        "example\\AGENT1",
        "Agent1@EXAMPLE.COM",
        "EXAMPLE\\agent1 ",
    ] {
        let p = attempt(same, "Win-pw-1").await;
        assert_eq!(p.status, 429, "{same}: {}", p.body);
        assert!(autopost(&p.body).is_none(), "{same}: signed in");
    }
    // Spaces the directory drops give no fresh budget: no Response, with the right password.
    for spelling in [
        "EXAMPLE\\ agent1",
        "EXAMPLE\\  agent1",
        "agent1 @example.com",
        "EXAMPLE\\agent1\u{a0}@x",
    ] {
        let p = attempt(spelling, "Win-pw-1").await;
        assert!(autopost(&p.body).is_none(), "{spelling:?}: signed in");
        assert_ne!(p.status, 403, "{spelling:?}: {}", p.body);
    }

    // An unlinked account: its not-linked page (the password oracle) is not reachable under
    // another spelling once the account is locked.
    for _ in 0..3 {
        let p = attempt("EXAMPLE\\loner", "wrong").await;
        assert_eq!(p.status, 200, "{}", p.body);
    }
    for spelling in [
        "EXAMPLE\\ loner",
        "EXAMPLE\\  loner",
        "EXAMPLE\\loner ",
        "loner @example.com",
        "LONER@corp.example.com",
        "EXAMPLE\\\u{a0}loner",
    ] {
        let p = attempt(spelling, "Win-pw-3").await;
        assert!(
            !p.body.contains("not linked to a PureConnect user"),
            "{spelling:?}: the not-linked page told the password was right"
        );
        assert!(
            p.status == 429 || p.body.contains("The user ID or password is incorrect"),
            "{spelling:?}: {} {}",
            p.status,
            p.body
        );
    }
    // Letters whose cases do not pair one to one: the directory matches `İdot` as `idot`, so
    // such a name must not be a key of its own either.
    for _ in 0..3 {
        let p = attempt("EXAMPLE\\idot", "wrong").await;
        assert_eq!(p.status, 200, "{}", p.body);
    }
    for spelling in ["EXAMPLE\\\u{130}dot", "\u{130}dot@example.com"] {
        let p = attempt(spelling, "Win-pw-4").await;
        assert!(
            !p.body.contains("not linked to a PureConnect user"),
            "{spelling:?}: the not-linked page told the password was right"
        );
        assert!(autopost(&p.body).is_none(), "{spelling:?}: signed in");
    }
    idp.stop().await;
}
