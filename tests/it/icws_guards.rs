//! What the CIC backend must never do, checked from outside: write a password to the log,
//! mix up two users' CIC sessions, or leave a session open when a login is abandoned.

use crate::common::*;
use crate::icws::{icws_config, idp_for, login_as, login_at};
use crate::icws_double::{closed_port_server, IcwsDouble, Mode};
use pureconnect_idp::backend::icws::IcwsBackend;
use pureconnect_idp::backend::CredentialBackend;
use pureconnect_idp::config::BackendConfig;
use secrecy::SecretString;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything logged at any level on this (current-thread) runtime, IdP and double included.
#[tokio::test]
async fn icws_logs_name_servers_and_error_ids_but_never_the_password() {
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let fx = Fixture::new();
    let cic = IcwsDouble::start().await;
    let idp = idp_for(&fx, &[cic.server()], "").await;
    cic.add_user(crate::icws_double::User {
        id: "secretive".into(),
        password: "Pa55-w0rd-XYZZY".into(),
        error_id: Some("error.request.connection.licenseNotAvailable".into()),
        ..Default::default()
    });
    let (p, _) = login_as(&idp, "en-US", "agent1", "agent1-pw").await;
    assert!(autopost(&p.body).is_some());
    let (p, _) = login_as(&idp, "en-US", "agent1", "Wr0ng-S3cret!").await;
    assert_eq!(p.status, 200);
    let (p, _) = login_as(&idp, "en-US", "secretive", "Pa55-w0rd-XYZZY").await;
    assert_eq!(p.status, 403);
    idp.stop().await;
    let down = closed_port_server();
    cic.set_mode(Mode::Backup(vec![down.clone()]));
    let idp = idp_for(&fx, &[cic.server()], "").await;
    let (p, _) = login_as(&idp, "en-US", "agent1", "agent1-pw").await;
    assert_eq!(p.status, 503);
    idp.stop().await;

    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    for pw in ["agent1-pw", "Wr0ng-S3cret!", "Pa55-w0rd-XYZZY"] {
        assert!(
            !text.contains(pw),
            "the password {pw} is in the log:\n{text}"
        );
    }
    assert!(
        text.contains("error.request.connection.licenseNotAvailable"),
        "{text}"
    );
    assert!(
        text.contains("error.request.connection.authenticationFailure"),
        "{text}"
    );
    // The unavailable login names each server tried and why.
    let line = text
        .lines()
        .find(|l| l.contains("no CIC server answered"))
        .unwrap_or_else(|| panic!("no unavailable line:\n{text}"));
    assert!(line.contains(&format!("http://{}", cic.server())), "{line}");
    assert!(line.contains("503 with alternateHostList"), "{line}");
    assert!(line.contains(&format!("http://{down}")), "{line}");
    assert!(line.contains("could not connect"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn icws_abandoned_login_still_deletes_the_session() {
    let fx = Fixture::new();
    let cic = IcwsDouble::start().await;
    cic.set_latency(Duration::from_millis(300));
    let cfg = icws_config(&fx, &[cic.server()], "scheme = \"http\"\n");
    let BackendConfig::Icws(icws) = &cfg.backend else {
        panic!("not an icws backend")
    };
    let backend = IcwsBackend::new(icws).unwrap();
    let pw = SecretString::from("agent1-pw".to_string());
    // Given up while the user record is being read: the session is open at that moment.
    let r = tokio::time::timeout(
        Duration::from_millis(450),
        backend.authenticate("agent1", &pw, "en-US"),
    )
    .await;
    assert!(r.is_err(), "the login finished before it was abandoned");
    assert_eq!(cic.open_sessions(), 1);
    let t = Instant::now();
    while cic.open_sessions() > 0 && t.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        cic.open_sessions(),
        0,
        "the abandoned session was not deleted"
    );
    assert!(cic.seen().iter().any(|s| s.method == "DELETE"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
/// Logins at the same time each carry their own session cookie (no shared cookie store).
async fn icws_concurrent_logins_keep_their_own_sessions() {
    let fx = Fixture::new();
    let cic = IcwsDouble::start().await;
    cic.set_latency(Duration::from_millis(30));
    let idp = idp_for(&fx, &[cic.server()], "").await;
    let users = [
        "agent1", "mboxonly", "agent1", "mboxonly", "noemail", "agent1",
    ];
    let tasks: Vec<_> = users
        .iter()
        .map(|u| {
            let (base, u) = (idp.base.clone(), u.to_string());
            tokio::spawn(async move { login_at(&base, "en-US", &u, &format!("{u}-pw")).await })
        })
        .collect();
    for (u, task) in users.iter().zip(tasks) {
        let (p, _) = task.await.unwrap();
        let want = match *u {
            "agent1" => Some("agent1@example.com"),
            "mboxonly" => Some("mbox@example.com"),
            _ => None,
        };
        match want {
            Some(email) => {
                let (_, resp, _) = autopost(&p.body).expect("a Response");
                let xml = decode_b64(&resp);
                assert!(
                    xml.contains(&format!(">{email}</saml:NameID>")),
                    "{u}: {xml}"
                );
            }
            None => assert_eq!(p.status, 403, "{u}"),
        }
    }
    assert_eq!(cic.open_sessions(), 0);
    idp.stop().await;
}
