//! The Windows sign-in checks through `doctor`: the keytab against the real MIT KDC fixture
//! (a keytab holding the principal, one that does not, a file that is no keytab, a missing
//! file) and the LDAP service-account bind against the real slapd fixture over StartTLS (the
//! right password and CA; a wrong password, another CA, a server that is down, one that never
//! answers, bounded by `doctor.timeout`).

use super::*;
use crate::windows::kdc::{free_port, Kdc};
use crate::windows::slapd::{make_ca, Slapd, BASE_DN, SERVICE_DN, SERVICE_PW};
use std::path::Path;
use std::time::{Duration, Instant};

fn keytab_config(fx: &Fixture, keytab: &Path, principal: Option<&str>) -> PathBuf {
    let principal = principal
        .map(|p| format!("service_principal = \"{p}\"\n"))
        .unwrap_or_default();
    let tail = format!(
        "[windows]\nkeytab = \"{}\"\nrealms = [\"EXAMPLE.COM\"]\n{principal}",
        keytab.display()
    );
    write_config(fx, "", "", "", &tail)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keytab_passes_when_it_holds_the_principal_and_fails_otherwise() {
    let fx = Fixture::new();
    let kdc = Kdc::start("EXAMPLE.COM");
    let keytab = kdc.path().join("http.keytab");
    kdc.add_service("HTTP/localhost", &keytab);

    let r = run(&keytab_config(
        &fx,
        &keytab,
        Some("HTTP/localhost@EXAMPLE.COM"),
    ))
    .await;
    let l = only(&r, "windows.keytab", Status::Pass);
    assert!(l.summary.contains("HTTP/localhost@EXAMPLE.COM"), "{l:?}");
    let r = run(&keytab_config(&fx, &keytab, None)).await;
    only(&r, "windows.keytab", Status::Pass);

    // A principal the keytab does not hold.
    let r = run(&keytab_config(
        &fx,
        &keytab,
        Some("HTTP/other.example.com@EXAMPLE.COM"),
    ))
    .await;
    let l = only(&r, "windows.keytab", Status::Fail);
    assert!(l.summary.starts_with("windows.service_principal:"), "{l:?}");

    // A file that is not a keytab, and one that is not there.
    let junk = fx.path().join("junk.keytab");
    std::fs::write(&junk, "not a keytab").unwrap();
    let l = only(
        &run(&keytab_config(&fx, &junk, None)).await,
        "windows.keytab",
        Status::Fail,
    );
    assert!(l.summary.contains("is not a keytab"), "{l:?}");
    let gone = fx.path().join("gone.keytab");
    let l = only(
        &run(&keytab_config(&fx, &gone, None)).await,
        "windows.keytab",
        Status::Fail,
    );
    assert!(l.summary.contains("cannot read"), "{l:?}");
    assert!(l.tried.as_ref().unwrap().contains("gone.keytab"), "{l:?}");
}

/// A configuration with `[windows.ldap]` on `urls`, the service password `pw`, CA `ca`.
fn ldap_config(fx: &Fixture, urls: &[String], pw: &str, ca: &Path, timeout: &str) -> PathBuf {
    let pw_file = fx.path().join("ldap.pw");
    std::fs::write(&pw_file, format!("{pw}\n")).unwrap();
    let urls: Vec<String> = urls.iter().map(|u| format!("{u:?}")).collect();
    let tail = format!(
        "[doctor]\ntimeout = \"{timeout}\"\n\
         [windows]\nrealms = [\"EXAMPLE.COM\"]\n[windows.ldap]\nurls = [{}]\nbase_dn = \"{BASE_DN}\"\n\
         domain = \"EXAMPLE\"\nbind_dn = \"{SERVICE_DN}\"\nbind_password_file = \"{}\"\n\
         ca_file = \"{}\"\ntimeout = \"30s\"\n",
        urls.join(", "),
        pw_file.display(),
        ca.display()
    );
    write_config(fx, "", "", "", &tail)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ldap_passes_when_the_service_account_binds_over_starttls_and_fails_otherwise() {
    let fx = Fixture::new();
    let mut slapd = Slapd::start("");
    let url = slapd.url();

    let r = run(&ldap_config(
        &fx,
        std::slice::from_ref(&url),
        SERVICE_PW,
        &slapd.ca(),
        "5s",
    ))
    .await;
    let l = only(&r, "windows.ldap", Status::Pass);
    assert!(l.tried.as_ref().unwrap().contains("StartTLS"), "{l:?}");

    // The wrong service password.
    let r = run(&ldap_config(
        &fx,
        std::slice::from_ref(&url),
        "not-the-pw",
        &slapd.ca(),
        "5s",
    ))
    .await;
    let l = only(&r, "windows.ldap", Status::Fail);
    assert!(l.summary.contains("invalidCredentials"), "{l:?}");
    assert!(!l.summary.contains("not-the-pw"), "{l:?}");

    // A certificate from another CA.
    let other = tempfile::tempdir().unwrap();
    make_ca(other.path(), "other-");
    let other_ca = other.path().join("other-ca.pem");
    let r = run(&ldap_config(
        &fx,
        std::slice::from_ref(&url),
        SERVICE_PW,
        &other_ca,
        "5s",
    ))
    .await;
    let l = only(&r, "windows.ldap", Status::Fail);
    assert!(l.summary.contains("could not connect"), "{l:?}");

    // A server that never answers: bounded by doctor.timeout (1 s), not the 30 s of
    // windows.ldap.timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("ldap://{}", silent.local_addr().unwrap());
    let t = Instant::now();
    let r = run(&ldap_config(
        &fx,
        &[silent_url],
        SERVICE_PW,
        &slapd.ca(),
        "1s",
    ))
    .await;
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    let l = only(&r, "windows.ldap", Status::Fail);
    assert!(
        l.summary.contains("within 1 s") || l.summary.contains("timed out"),
        "{l:?}"
    );
    assert!(l.tried.as_ref().unwrap().contains("timeout 1 s"), "{l:?}");

    // A server that is down, and one that is closed: one line each.
    slapd.stop();
    let closed = format!("ldap://127.0.0.1:{}", free_port());
    let r = run(&ldap_config(
        &fx,
        &[url, closed],
        SERVICE_PW,
        &slapd.ca(),
        "5s",
    ))
    .await;
    let l = lines(&r, "windows.ldap");
    assert_eq!(l.len(), 2, "{}", doctor::report::text(&r));
    assert!(l.iter().all(|l| l.status == Status::Fail));
    assert!(l[0].summary.contains("could not connect"), "{:?}", l[0]);
}
