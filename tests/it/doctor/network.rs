//! The network checks against local doubles: the clock against a CIC server and a Genesys
//! Cloud login host whose `Date` is 12 s off (and one on time), and each CIC server's
//! reachability and TLS chain against the ICWS double — the right CA, another CA, a closed
//! port, a server that never answers (bounded by `doctor.timeout`), the backup of a pair, and
//! certificate checks turned off.

use super::date_server::DateServer;
use super::*;
use crate::icws_double::pki::{private_ca, Pki};
use crate::icws_double::{closed_port_server, IcwsDouble, Mode};
use std::time::{Duration, Instant};

fn write_ca(fx: &Fixture, name: &str, pki: &Pki) -> PathBuf {
    let p = fx.path().join(name);
    std::fs::write(&p, &pki.ca_pem).unwrap();
    p
}

fn icws_backend(servers: &[String], ca: &std::path::Path) -> String {
    format!(
        "type = \"icws\"\nservers = {servers:?}\nca_file = \"{}\"",
        ca.display()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_12_s_off_fails_against_cic_and_genesys_and_one_on_time_passes() {
    let fx = Fixture::new();
    let pki = private_ca();
    let ca = write_ca(&fx, "ca.pem", &pki);
    for offset in [12, -12] {
        let off = DateServer::start(&pki, offset).await;
        let tail = format!(
            "[doctor]\nca_file = \"{}\"\ngenesys_login_base_url = \"{}\"\n",
            ca.display(),
            off.base()
        );
        let server = format!("127.0.0.1:{}", off.port);
        let file = write_config(&fx, "", "", &icws_backend(&[server], &ca), &tail);
        let r = run(&file).await;
        for check in ["clock.cic", "clock.genesys"] {
            let l = only(&r, check, Status::Fail);
            assert!(
                l.summary
                    .contains(if offset > 0 { "ahead of" } else { "behind" }),
                "{}",
                l.summary
            );
            // 12 s give or take the second a Date header is rounded to.
            assert!(
                l.summary.contains(" 11.") || l.summary.contains(" 12."),
                "{}",
                l.summary
            );
            assert!(l.tried.as_ref().unwrap().contains(&off.base()), "{l:?}");
        }
        // The same server is reachable and its chain validates.
        only(&r, "cic.reachable", Status::Pass);
    }
    let on_time = DateServer::start(&pki, 0).await;
    let tail = format!(
        "[doctor]\nca_file = \"{}\"\ngenesys_login_base_url = \"{}\"\n",
        ca.display(),
        on_time.base()
    );
    let server = format!("127.0.0.1:{}", on_time.port);
    let file = write_config(&fx, "", "", &icws_backend(&[server], &ca), &tail);
    let r = run(&file).await;
    only(&r, "clock.cic", Status::Pass);
    only(&r, "clock.genesys", Status::Pass);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_cic_server_is_checked_for_reachability_and_its_chain_against_ca_file() {
    let fx = Fixture::new();
    let pki = private_ca();
    let ca = write_ca(&fx, "ca.pem", &pki);
    let other_ca = write_ca(&fx, "other-ca.pem", &private_ca());
    let active = IcwsDouble::start_tls(&pki.cert_pem, &pki.key_pem).await;
    let backup = IcwsDouble::start_tls(&pki.cert_pem, &pki.key_pem).await;
    backup.set_mode(Mode::Backup(vec![active.server()]));
    let servers = [active.server(), backup.server()];

    let file = write_config(&fx, "", "", &icws_backend(&servers, &ca), "");
    let r = run(&file).await;
    let l = lines(&r, "cic.reachable");
    assert_eq!(l.len(), 2, "{}", doctor::report::text(&r));
    assert!(l.iter().all(|l| l.status == Status::Pass), "{l:?}");
    assert!(
        l[0].summary
            .contains("TLS chain valid with backend.ca_file"),
        "{l:?}"
    );
    assert!(
        l[1].summary.contains("backup of a switchover pair"),
        "{l:?}"
    );
    // The double's Date is this machine's clock.
    assert!(lines(&r, "clock.cic")
        .iter()
        .all(|l| l.status == Status::Pass));
    assert_eq!(active.open_sessions(), 0);

    // Another CA: the chain does not validate; the fix names backend.ca_file.
    let file = write_config(&fx, "", "", &icws_backend(&servers[..1], &other_ca), "");
    let r = run(&file).await;
    let l = only(&r, "cic.reachable", Status::Fail);
    assert!(
        l.summary.contains("TLS chain does not validate"),
        "{}",
        l.summary
    );
    assert!(l.fix.as_ref().unwrap().contains("backend.ca_file"));

    // Nothing listens.
    let closed = closed_port_server();
    let file = write_config(
        &fx,
        "",
        "",
        &icws_backend(std::slice::from_ref(&closed), &ca),
        "",
    );
    let r = run(&file).await;
    let l = only(&r, "cic.reachable", Status::Fail);
    assert!(l.summary.contains("cannot be reached"), "{}", l.summary);
    assert!(l.tried.as_ref().unwrap().contains(&closed), "{l:?}");

    // A server that accepts and never answers: bounded by doctor.timeout.
    active.set_mode(Mode::Hang);
    let file = write_config(
        &fx,
        "",
        "",
        &icws_backend(&servers[..1], &ca),
        "[doctor]\ntimeout = 1\n",
    );
    let t = Instant::now();
    let r = run(&file).await;
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    let l = only(&r, "cic.reachable", Status::Fail);
    assert!(l.summary.contains("no answer within 1 s"), "{}", l.summary);
    assert!(l.tried.as_ref().unwrap().contains("timeout 1 s"), "{l:?}");
    active.set_mode(Mode::Active);

    // Certificate checks off: a failure of its own, whatever the server answers.
    let backend = format!(
        "type = \"icws\"\nservers = [\"{}\"]\ndanger_accept_invalid_certs = true",
        active.server()
    );
    let file = write_config(&fx, "", "", &backend, "");
    let r = run(&file).await;
    let l = only(&r, "cic.tls", Status::Fail);
    assert!(l.summary.contains("NOT verified"), "{}", l.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_passes_when_it_signs_in_and_reads_users_and_fails_otherwise() {
    use pureconnect_idp::backend::icws::target::Target;
    use pureconnect_idp::config::{BackendConfig, IcwsScheme};
    use secrecy::SecretString;
    let fx = Fixture::new();
    let pki = private_ca();
    let ca = write_ca(&fx, "ca.pem", &pki);
    let cic = IcwsDouble::start_tls(&pki.cert_pem, &pki.key_pem).await;
    let file = write_config(&fx, "", "", &icws_backend(&[cic.server()], &ca), "");
    let cfg = pureconnect_idp::config::Config::load(&file).unwrap();
    let fetch = doctor::fetch::Fetch::new(&cfg).ok().unwrap();
    let BackendConfig::Icws(icws) = cfg.backend.clone() else {
        unreachable!()
    };
    let cx = doctor::Context { cfg, fetch };
    let t = Target::parse(&cic.server(), IcwsScheme::Https, 8019).unwrap();
    let check = |user: &'static str, pw: &'static str| {
        let (cx, icws, t) = (&cx, &icws, &t);
        async move { doctor::cic::service_account(cx, icws, t, user, &SecretString::from(pw)).await }
    };
    let l = check("agent1", "agent1-pw").await;
    assert_eq!(l.status, Status::Pass, "{l:?}");
    // An account without an email still reads users.
    assert_eq!(check("noemail", "noemail-pw").await.status, Status::Pass);
    let l = check("agent1", "wrong").await;
    assert!(
        l.status == Status::Fail && l.summary.contains("wrong user ID or password"),
        "{l:?}"
    );
    let l = check("locked", "locked-pw").await;
    assert!(
        l.status == Status::Fail && l.summary.contains("userLocked"),
        "{l:?}"
    );
    let l = check("brokenlookup", "brokenlookup-pw").await;
    assert!(
        l.status == Status::Fail && l.summary.contains("cannot read users"),
        "{l:?}"
    );
    assert!(l.fix.as_ref().unwrap().contains("view users"));
    // Every session opened was closed.
    assert_eq!(cic.open_sessions(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_checks_the_configured_service_account_on_each_server_it_reaches() {
    let fx = Fixture::new();
    let pki = private_ca();
    let ca = write_ca(&fx, "ca.pem", &pki);
    let cic = IcwsDouble::start_tls(&pki.cert_pem, &pki.key_pem).await;
    let pw_file = fx.path().join("svc.pw");
    let config = |user: &str, pw: &str| {
        std::fs::write(&pw_file, format!("{pw}\n")).unwrap();
        let backend = format!(
            "{}\nservice_user = \"{user}\"\nservice_password_file = \"{}\"",
            icws_backend(&[cic.server()], &ca),
            pw_file.display()
        );
        write_config(&fx, "", "", &backend, "")
    };
    let r = run(&config("agent1", "agent1-pw")).await;
    only(&r, "cic.reachable", Status::Pass);
    only(&r, "cic.service_account", Status::Pass);
    let r = run(&config("agent1", "wrong")).await;
    let l = only(&r, "cic.service_account", Status::Fail);
    assert!(l.summary.contains("wrong user ID or password"), "{l:?}");
    let r = run(&config("brokenlookup", "brokenlookup-pw")).await;
    only(&r, "cic.service_account", Status::Fail);
    // Without the keys, no service-account line.
    let file = write_config(&fx, "", "", &icws_backend(&[cic.server()], &ca), "");
    assert!(lines(&run(&file).await, "cic.service_account").is_empty());
    assert_eq!(cic.open_sessions(), 0);
}
