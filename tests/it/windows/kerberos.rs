//! The Kerberos acceptor with real tickets: `kinit` against the test KDC, the token
//! `curl --negotiate` sends, accepted (or refused) by the acceptor and mapped to a CIC user.

use super::capture::negotiate_header;
use super::kdc::Kdc;
use super::{linked_users, windows_config};
use pureconnect_idp::windows::kerberos::{Acceptor, TokenError};
use pureconnect_idp::windows::{Windows, WindowsError};

fn token_of(header: &str) -> Vec<u8> {
    use base64::Engine;
    let b64 = header
        .strip_prefix("Negotiate ")
        .expect("a Negotiate header");
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

#[test]
fn a_ticket_from_kinit_gives_the_client_principal_and_a_replay_is_refused() {
    let kdc = Kdc::start("EXAMPLE.COM");
    let keytab = kdc.path().join("http.keytab");
    kdc.add_service("HTTP/localhost", &keytab);
    kdc.add_user("agent1", "agent1-krb-pw");
    let cc = kdc.kinit("agent1", "agent1-krb-pw", &[]);
    let header = negotiate_header(&kdc, &cc).expect("curl sent a Negotiate token");
    let token = token_of(&header);
    // Any principal of the keytab, and the named one, both accept it.
    let any = Acceptor::new(&keytab, None).unwrap();
    let named = Acceptor::new(&keytab, Some("HTTP/localhost@EXAMPLE.COM")).unwrap();
    let accepted = any.accept(&token).unwrap();
    assert_eq!(accepted.principal, "agent1@EXAMPLE.COM");
    // The same token again: MIT's replay cache refuses it (through either credential).
    assert_eq!(any.accept(&token), Err(TokenError::Replayed));
    assert_eq!(named.accept(&token), Err(TokenError::Replayed));
    // A fresh token from the same ticket is fine.
    let again = token_of(&negotiate_header(&kdc, &cc).unwrap());
    assert_eq!(
        named.accept(&again).unwrap().principal,
        "agent1@EXAMPLE.COM"
    );
    // Garbage is invalid, not a panic.
    assert!(matches!(
        any.accept(b"\x60\x03\x06\x01\x00"),
        Err(TokenError::Invalid(_))
    ));
}

#[test]
fn start_up_refuses_a_principal_the_keytab_does_not_hold() {
    let kdc = Kdc::start("EXAMPLE.COM");
    let keytab = kdc.path().join("http.keytab");
    kdc.add_service("HTTP/localhost", &keytab);
    let e = Acceptor::new(&keytab, Some("HTTP/other.example.com@EXAMPLE.COM"))
        .err()
        .unwrap();
    assert!(e.starts_with("windows.service_principal:"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negotiate_maps_a_domain_user_and_refuses_ntlm_other_realms_and_unlinked_accounts() {
    let kdc = Kdc::start("EXAMPLE.COM");
    let other = Kdc::start("OTHER.TEST");
    // One keytab holding the service principal of both realms: both tokens are valid
    // Kerberos, only the realm tells them apart.
    let keytab = kdc.path().join("http.keytab");
    kdc.add_service("HTTP/localhost", &keytab);
    other.add_service("HTTP/localhost", &keytab);
    for (k, user) in [
        (&kdc, "agent1"),
        (&kdc, "twin"),
        (&kdc, "nobody"),
        (&other, "agent1"),
    ] {
        k.add_user(user, "krb-pw");
    }
    let cfg = windows_config(&format!(
        "keytab = {:?}\nrealms = [\"EXAMPLE.COM\"]\n",
        keytab.display().to_string()
    ));
    let w = Windows::new(&cfg, linked_users()).unwrap();
    assert!(w.negotiates());
    let header = |k: &Kdc, user: &str| {
        let cc = k.kinit(user, "krb-pw", &[]);
        negotiate_header(k, &cc).unwrap()
    };
    let (p, _reply) = w
        .by_kerberos(&header(&kdc, "agent1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.user_id, "agent1");
    assert_eq!(p.email, "agent1@example.com");
    assert_eq!(
        w.by_kerberos(&header(&other, "agent1"))
            .await
            .unwrap()
            .err(),
        Some(WindowsError::WrongRealm("OTHER.TEST".into()))
    );
    assert_eq!(
        w.by_kerberos(&header(&kdc, "nobody")).await.unwrap().err(),
        Some(WindowsError::NotLinked("EXAMPLE\\nobody".into()))
    );
    assert_eq!(
        w.by_kerberos(&header(&kdc, "twin")).await.unwrap().err(),
        Some(WindowsError::LinkedTwice("EXAMPLE\\twin".into(), 2))
    );
    // NTLM's first message, as a browser sends it when Kerberos is not possible.
    let ntlm = "Negotiate TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw==";
    assert_eq!(
        w.by_kerberos(ntlm).await.unwrap().err(),
        Some(WindowsError::Ntlm)
    );
    // Not Negotiate at all: not Windows's business.
    assert!(w.by_kerberos("Basic YWdlbnQxOng=").await.is_none());
}
