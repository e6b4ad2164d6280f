//! From the Windows account to the CIC user: the ICWS service session's
//! `configuration/users?where=ntDomainUser eq '…'` lookup against the ICWS double (kept,
//! renewed, following a switchover, closed), and the whole Windows password sign-in with the
//! real directory, including `email_from = "ldap:mail"`.

use super::slapd::{person, Slapd, BASE_DN, SERVICE_DN, SERVICE_PW};
use super::{linked_users, windows_config};
use crate::icws_double::{IcwsDouble, Mode};
use pureconnect_idp::backend::icws::IcwsBackend;
use pureconnect_idp::backend::{AuthError, CredentialBackend};
use pureconnect_idp::config::IcwsConfig;
use pureconnect_idp::windows::account::NtUser;
use pureconnect_idp::windows::{Windows, WindowsError};
use secrecy::SecretString;

fn icws(servers: &[String], dir: &std::path::Path) -> IcwsBackend {
    let pwf = dir.join("svc.pw");
    std::fs::write(&pwf, "svc-pw\n").unwrap();
    let servers: Vec<String> = servers.iter().map(|s| format!("{s:?}")).collect();
    let cfg: IcwsConfig = toml::from_str(&format!(
        "servers = [{}]\nscheme = \"http\"\nservice_user = \"svc\"\nservice_password_file = {:?}\n",
        servers.join(", "),
        pwf.display().to_string()
    ))
    .unwrap();
    cfg.validate().unwrap();
    IcwsBackend::new(&cfg).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_session_finds_cic_users_by_nt_domain_user_and_is_kept() {
    let cic = IcwsDouble::start().await;
    let dir = tempfile::tempdir().unwrap();
    let b = icws(&[cic.server()], dir.path());
    let found = b.find_windows_account("example\\Agent1").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].user_id, "agent1");
    assert_eq!(found[0].email, "agent1@example.com");
    assert_eq!(found[0].display_name.as_deref(), Some("Agent One"));
    assert_eq!(
        b.find_windows_account("EXAMPLE\\twin").await.unwrap().len(),
        2
    );
    assert!(b
        .find_windows_account("EXAMPLE\\ghost")
        .await
        .unwrap()
        .is_empty());
    // A quote in the name cannot end the string early.
    assert!(b
        .find_windows_account("EXAMPLE\\x' or ntDomainUser ne '")
        .await
        .unwrap()
        .is_empty());
    // One session for all of them, opened by the service account.
    let logins = cic.connection_requests();
    assert_eq!(logins.len(), 1);
    assert!(
        logins[0].body.contains("\"userID\":\"svc\""),
        "{}",
        logins[0].body
    );
    let lookups: Vec<_> = cic
        .seen()
        .into_iter()
        .filter(|s| s.uri.contains("/configuration/users?"))
        .collect();
    assert!(
        lookups[0]
            .uri
            .contains("where=ntDomainUser+eq+%27example%5CAgent1%27"),
        "{}",
        lookups[0].uri
    );
    assert!(lookups[0].uri.contains("select="), "{}", lookups[0].uri);
    // CIC ends the session: the next lookup opens a new one and answers.
    cic.end_sessions();
    assert_eq!(
        b.find_windows_account("EXAMPLE\\agent1")
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(cic.connection_requests().len(), 2);
    assert_eq!(cic.open_sessions(), 1);
    // Shutdown deletes it.
    b.close().await;
    assert_eq!(cic.open_sessions(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_session_follows_a_switchover() {
    let backup = IcwsDouble::start().await;
    let active = IcwsDouble::start().await;
    backup.set_mode(Mode::Backup(vec![active.server()]));
    let dir = tempfile::tempdir().unwrap();
    let b = icws(&[backup.server()], dir.path());
    assert_eq!(
        b.find_windows_account("EXAMPLE\\agent1")
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(active.connection_requests().len(), 1);
    // The pair switches over: the new active one is asked, a new session opened there.
    active.set_mode(Mode::Backup(vec![backup.server()]));
    backup.set_mode(Mode::Active);
    backup.end_sessions();
    active.end_sessions();
    assert_eq!(
        b.find_windows_account("EXAMPLE\\agent1")
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(backup.open_sessions(), 1);
    // All of CIC down: unavailable, with no password in the reason.
    backup.set_mode(Mode::Fail500);
    active.set_mode(Mode::Fail500);
    backup.end_sessions();
    match b.find_windows_account("EXAMPLE\\agent1").await {
        Err(AuthError::Unavailable(m)) => assert!(!m.contains("svc-pw"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_windows_password_signs_in_the_linked_cic_user_with_the_chosen_email() {
    let people = [
        person("agent1", "Win-pw-1", Some("agent1.ad@example.com")),
        person("twin", "Win-pw-2", Some("twin@example.com")),
        person("loner", "Win-pw-3", Some("loner@example.com")),
    ]
    .concat();
    let slapd = Slapd::start(&people);
    std::fs::write(slapd.path().join("svc.pw"), SERVICE_PW).unwrap();
    let table = |email_from: &str| {
        windows_config(&format!(
            "realms = [\"EXAMPLE.COM\"]\nemail_from = \"{email_from}\"\n[ldap]\nurls = [\"{}\"]\n\
             base_dn = \"{BASE_DN}\"\nuser_filter = \"(uid={{user}})\"\ndomain = \"EXAMPLE\"\n\
             bind_dn = \"{SERVICE_DN}\"\nbind_password_file = {:?}\nca_file = {:?}\n",
            slapd.url(),
            slapd.path().join("svc.pw").display().to_string(),
            slapd.ca().display().to_string()
        ))
    };
    let nt = |u: &str| NtUser::parse(&format!("EXAMPLE\\{u}")).unwrap();
    let pw = |s: &str| SecretString::from(s.to_string());
    let w = Windows::new(&table("cic"), linked_users()).unwrap();
    assert!(!w.negotiates());
    let p = w.by_password(&nt("agent1"), &pw("Win-pw-1")).await.unwrap();
    assert_eq!(
        (p.user_id.as_str(), p.email.as_str()),
        ("agent1", "agent1@example.com")
    );
    assert_eq!(
        w.by_password(&nt("agent1"), &pw("nope")).await,
        Err(WindowsError::Ldap(
            pureconnect_idp::windows::ldap::LdapError::BadCredentials
        ))
    );
    assert_eq!(
        w.by_password(&nt("twin"), &pw("Win-pw-2")).await,
        Err(WindowsError::LinkedTwice("EXAMPLE\\twin".into(), 2))
    );
    assert_eq!(
        w.by_password(&nt("loner"), &pw("Win-pw-3")).await,
        Err(WindowsError::NotLinked("EXAMPLE\\loner".into()))
    );
    // The AD mail instead of the CIC email.
    let w = Windows::new(&table("ldap:mail"), linked_users()).unwrap();
    let p = w.by_password(&nt("agent1"), &pw("Win-pw-1")).await.unwrap();
    assert_eq!(
        (p.user_id.as_str(), p.email.as_str()),
        ("agent1", "agent1.ad@example.com")
    );
}
