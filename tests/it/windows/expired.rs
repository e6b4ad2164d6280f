//! An expired ticket by the server's clock: `kinit -l 5s`, the token made while the ticket is
//! still valid, sent after it has expired and the acceptor's clock skew (2 s in the server's
//! own `krb5.conf`, through `KRB5_CONFIG` of the server process) has passed. The server
//! refuses it, logs why, and shows the form with the message in the browser's language.
//! (An honest client only uses a ticket it holds valid, so its authenticator is as old as the
//! token: by the time the ticket is past the skew, so is the authenticator. The acceptor's
//! ticket-time and authenticator-time checks both fire and both mean "expired" here.)

use super::capture::negotiate_header;
use super::kdc::Kdc;
use super::sign_in::linked_users_file;
use crate::common::*;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_expired_by_the_servers_clock_gets_the_form_with_the_localized_message() {
    let fx = Fixture::new();
    linked_users_file(&fx);
    let kdc = Kdc::start("EXAMPLE.COM");
    kdc.add_service("HTTP/localhost", &fx.path().join("http.keytab"));
    kdc.add_user("agent1", "agent1-krb-pw");
    let server_krb5 = fx.path().join("server-krb5.conf");
    std::fs::write(&server_krb5, "[libdefaults]\n clockskew = 2\n").unwrap();
    let server = spawn_server_env(
        &fx,
        "[windows]\nkeytab = \"http.keytab\"\nrealms = [\"EXAMPLE.COM\"]\n",
        &[],
        &[("KRB5_CONFIG", server_krb5.to_str().unwrap())],
    );
    let (token, _kdc) = tokio::task::spawn_blocking(move || {
        let cc = kdc.kinit("agent1", "agent1-krb-pw", &["-l", "5s"]);
        (negotiate_header(&kdc, &cc).expect("a token"), kdc)
    })
    .await
    .unwrap();
    // Past the ticket's 5 s and the server's 2 s of skew, with room for a loaded machine.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let r = client()
        .get(request_url(&server.base))
        .header("Authorization", token)
        .header("Accept-Language", "de")
        .send()
        .await
        .unwrap();
    let (status, challenge) = (
        r.status().as_u16(),
        r.headers().get("www-authenticate").cloned(),
    );
    let body = r.text().await.unwrap();
    assert_eq!((status, challenge), (200, None), "{body}");
    assert!(
        autopost(&body).is_none(),
        "signed in with an expired ticket: {body}"
    );
    assert!(body.contains("id=\"login-form\""), "{body}");
    assert!(
        body.contains("Die Anmeldung mit Ihrem Windows-Konto hat nicht funktioniert"),
        "{body}"
    );
    let logged = |what: &str| {
        let out = server
            .lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains(what));
        out || server
            .errors
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains(what))
    };
    // The server's output is read by a thread of its own: give it a moment on a busy machine.
    let until = std::time::Instant::now() + Duration::from_secs(10);
    while !logged("the Kerberos ticket has expired") && std::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        logged("the Kerberos ticket has expired"),
        "{:?}",
        server.lines.lock().unwrap()
    );
}
