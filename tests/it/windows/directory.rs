//! The Windows password checked against a real directory (slapd over StartTLS with a test
//! CA): service-account lookup, the user's bind, and every way it must fail.

use super::kdc::free_port;
use super::slapd::{make_ca, person, Slapd, BASE_DN, SERVICE_DN, SERVICE_PW};
use pureconnect_idp::config::LdapConfig;
use pureconnect_idp::windows::ldap::{LdapChecker, LdapError};
use secrecy::SecretString;
use std::path::Path;

fn people() -> String {
    [
        person("agent1", "Win-pw-1", Some("agent1.ad@example.com")),
        person("nomail", "Win-pw-2", None),
    ]
    .concat()
}

fn ldap_config(dir: &Path, urls: &[String], ca: &Path, extra: &str) -> LdapConfig {
    let pw = dir.join("svc.pw");
    if !pw.exists() {
        std::fs::write(&pw, format!("{SERVICE_PW}\n")).unwrap();
    }
    let urls: Vec<String> = urls.iter().map(|u| format!("{u:?}")).collect();
    toml::from_str(&format!(
        "urls = [{}]\nbase_dn = \"{BASE_DN}\"\nuser_filter = \"(uid={{user}})\"\ndomain = \"EXAMPLE\"\n\
         bind_dn = \"{SERVICE_DN}\"\nbind_password_file = {:?}\nca_file = {:?}\ntimeout = \"10s\"\n{extra}",
        urls.join(", "),
        pw.display().to_string(),
        ca.display().to_string()
    ))
    .unwrap()
}

fn pw(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

/// `ldap://` to a loopback port nothing listens on.
fn closed_url() -> String {
    format!("ldap://127.0.0.1:{}", free_port())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_windows_password_is_checked_by_the_users_bind_over_starttls() {
    let slapd = Slapd::start(&people());
    let c = LdapChecker::new(&ldap_config(slapd.path(), &[slapd.url()], &slapd.ca(), "")).unwrap();
    let found = c.check("agent1", &pw("Win-pw-1")).await.unwrap();
    assert_eq!(found.dn, format!("uid=agent1,ou=people,{BASE_DN}"));
    assert_eq!(found.mail.as_deref(), Some("agent1.ad@example.com"));
    assert_eq!(
        c.check("agent1", &pw("wrong")).await,
        Err(LdapError::BadCredentials)
    );
    assert_eq!(
        c.check("ghost", &pw("Win-pw-1")).await,
        Err(LdapError::BadCredentials)
    );
    // The name is escaped into the filter: `*` matches no one.
    assert_eq!(
        c.check("*", &pw("Win-pw-1")).await,
        Err(LdapError::BadCredentials)
    );
    assert_eq!(
        c.check("agent1)(uid=*", &pw("Win-pw-1")).await,
        Err(LdapError::BadCredentials)
    );
    // The service account alone reads the mail (the Kerberos path with email_from = ldap:mail).
    assert_eq!(c.lookup("nomail").await.unwrap().mail, None);
    assert_eq!(
        c.lookup("agent1").await.unwrap().mail.as_deref(),
        Some("agent1.ad@example.com")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_password_is_refused_before_any_bind() {
    let slapd = Slapd::start(&people());
    let c = LdapChecker::new(&ldap_config(slapd.path(), &[slapd.url()], &slapd.ca(), "")).unwrap();
    // slapd would take an unauthenticated bind with the DN and no password as a success.
    assert_eq!(
        c.check("agent1", &pw("")).await,
        Err(LdapError::BadCredentials)
    );
    // No server was even asked: with only a closed port configured the answer is the same,
    // where any connection attempt would have made it "unavailable".
    let dead =
        LdapChecker::new(&ldap_config(slapd.path(), &[closed_url()], &slapd.ca(), "")).unwrap();
    assert_eq!(
        dead.check("agent1", &pw("")).await,
        Err(LdapError::BadCredentials)
    );
    assert!(matches!(
        dead.check("agent1", &pw("Win-pw-1")).await,
        Err(LdapError::Unavailable(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_are_tried_in_order_and_a_silent_one_is_bounded_by_the_timeout() {
    let mut slapd = Slapd::start(&people());
    // A server that takes the connection and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("ldap://{}", silent.local_addr().unwrap());
    let urls = [closed_url(), silent_url.clone(), slapd.url()];
    let c = LdapChecker::new(&ldap_config(slapd.path(), &urls, &slapd.ca(), "")).unwrap();
    let started = std::time::Instant::now();
    assert!(c.check("agent1", &pw("Win-pw-1")).await.is_ok());
    // The silent one cost one timeout (10 s), not forever; generous bound for a loaded machine.
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    slapd.stop();
    match c.check("agent1", &pw("Win-pw-1")).await {
        Err(LdapError::Unavailable(m)) => {
            assert!(m.contains(&silent_url) && m.contains("timed out"), "{m}");
            assert!(!m.contains("Win-pw-1"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_certificate_from_another_ca_or_a_wrong_service_password_is_unavailable() {
    let slapd = Slapd::start(&people());
    let other = tempfile::tempdir().unwrap();
    make_ca(other.path(), "other-");
    let c = LdapChecker::new(&ldap_config(
        slapd.path(),
        &[slapd.url()],
        &other.path().join("other-ca.pem"),
        "",
    ))
    .unwrap();
    assert!(matches!(
        c.check("agent1", &pw("Win-pw-1")).await,
        Err(LdapError::Unavailable(_))
    ));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("svc.pw"), "not-the-service-pw\n").unwrap();
    let c = LdapChecker::new(&ldap_config(dir.path(), &[slapd.url()], &slapd.ca(), "")).unwrap();
    assert!(matches!(
        c.check("agent1", &pw("Win-pw-1")).await,
        Err(LdapError::Unavailable(_))
    ));
}

#[test]
fn plain_ldap_without_starttls_is_refused_at_start() {
    let fx = crate::common::Fixture::new();
    std::fs::write(fx.path().join("svc.pw"), "x\n").unwrap();
    let table = |extra: &str| {
        format!(
            "[windows]\nrealms = [\"EXAMPLE.COM\"]\n[windows.ldap]\nurls = [\"ldap://127.0.0.1:389\"]\n\
             base_dn = \"{BASE_DN}\"\ndomain = \"EXAMPLE\"\nbind_dn = \"{SERVICE_DN}\"\n\
             bind_password_file = \"svc.pw\"\nstarttls = false\n{extra}"
        )
    };
    let file = fx.path().join("idp.toml");
    let text = std::fs::read_to_string({
        fx.config("assertion", "");
        &file
    })
    .unwrap();
    std::fs::write(&file, format!("{text}\n{}", table(""))).unwrap();
    let e = pureconnect_idp::config::Config::load(&file)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("windows.ldap.urls[0]") && e.contains("in clear"),
        "{e}"
    );
    std::fs::write(
        &file,
        format!("{text}\n{}", table("danger_allow_plaintext = true")),
    )
    .unwrap();
    let cfg = pureconnect_idp::config::Config::load(&file).unwrap();
    let w = cfg.windows.unwrap().warnings();
    assert!(
        w.iter().any(|m| m.contains("danger_allow_plaintext")),
        "{w:?}"
    );
}
