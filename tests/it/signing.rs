//! The direct signer against the reference: the same Response (same IDs and instants) signed
//! by `Signer::Direct` (canonical form written by hand, SHA-256 and RSA with openssl) and by
//! `Signer::Xmlsec` (samael/xmlsec parsing the document) must be the same bytes — RSA PKCS#1
//! v1.5 is deterministic — for every sign mode, solicited or not, failures too, and values
//! that need escaping; and xmlsec1 must verify what the direct signer made.

use crate::common::*;
use pureconnect_idp::config::SignMode;
use pureconnect_idp::keys::SigningKey;
use pureconnect_idp::saml::response::{
    failure_with, success_with, Addressing, Fresh, Signer, Statement, Status,
};

fn key() -> SigningKey {
    let pair = pureconnect_idp::keys::generate::self_signed("diff idp", 2048, 30, &[]).unwrap();
    SigningKey::from_pem("diff", &pair.cert_pem, &pair.key_pem, None, "diff").unwrap()
}

fn fresh() -> Fresh {
    Fresh {
        response_id: "_r0123456789abcdef".into(),
        assertion_id: "_a0123456789abcdef".into(),
        now: chrono::DateTime::from_timestamp(1_760_000_000, 0).unwrap(),
    }
}

/// Values every escaping rule of both forms applies to: markup, quotes, CR/LF/tab, a control
/// character XML cannot carry, non-ASCII in two, three and four UTF-8 bytes.
const NASTY: &str = "a & b < c > d \" e ' f\r\ng\th\u{1}é€😀";

fn modes() -> [(&'static str, SignMode); 3] {
    [
        ("assertion", SignMode::Assertion),
        ("response", SignMode::Response),
        ("both", SignMode::Both),
    ]
}

#[test]
fn direct_signer_is_byte_identical_to_xmlsec() {
    let key = key();
    let f = fresh();
    let authn = chrono::DateTime::from_timestamp(1_759_990_000, 0).unwrap();
    let plain: Vec<(&str, &str)> = vec![
        ("email", "agent1@example.com"),
        ("ServiceName", "directory"),
    ];
    let nasty: Vec<(&str, &str)> = vec![
        ("email", "a@example.com"),
        ("displayName", NASTY),
        ("x", ""),
    ];
    // (issuer, email, attributes): plain, and every value needing escaping.
    let cases = [
        ("https://idp.test", "agent1@example.com", &plain),
        (NASTY, NASTY, &nasty),
    ];
    let mut compared = 0;
    for (name, mode) in modes() {
        for in_response_to in [Some("_req&<\"1"), None] {
            for (issuer, email, attrs) in cases {
                let a = Addressing {
                    issuer,
                    acs: "https://sp.test/acs?a=1&b=\"2\"",
                    in_response_to,
                };
                let s = Statement {
                    email,
                    audience: "urn:test:sp",
                    session_index: "_s1",
                    authn_instant: authn,
                    lifetime: std::time::Duration::from_secs(300),
                    attributes: attrs,
                };
                let direct = success_with(&a, &s, mode, &key, &f, Signer::Direct).unwrap();
                let xmlsec = success_with(&a, &s, mode, &key, &f, Signer::Xmlsec).unwrap();
                assert_eq!(direct, xmlsec, "sign = {name}, issuer {issuer:?}");
                compared += 1;
            }
        }
    }
    for status in [Status::AuthnFailed, Status::NoPassive] {
        let a = Addressing {
            issuer: NASTY,
            acs: "https://sp.test/acs",
            in_response_to: Some("_q"),
        };
        let direct = failure_with(&a, status, &key, &f, Signer::Direct).unwrap();
        let xmlsec = failure_with(&a, status, &key, &f, Signer::Xmlsec).unwrap();
        assert_eq!(direct, xmlsec, "{status:?}");
        compared += 1;
    }
    assert_eq!(compared, 14);
}

#[test]
fn xmlsec1_verifies_what_the_direct_signer_made() {
    let key = key();
    let dir = tempfile::tempdir().unwrap();
    let attrs: Vec<(&str, &str)> = vec![("email", "a@example.com"), ("displayName", NASTY)];
    let a = Addressing {
        issuer: "https://idp.test",
        acs: "https://sp.test/acs",
        in_response_to: Some("_q1"),
    };
    let s = Statement {
        email: "a@example.com",
        audience: "urn:test:sp",
        session_index: "_s1",
        authn_instant: chrono::Utc::now(),
        lifetime: std::time::Duration::from_secs(300),
        attributes: &attrs,
    };
    let on_response = "/*[local-name()='Response']/*[local-name()='Signature']";
    let on_assertion = "//*[local-name()='Assertion']/*[local-name()='Signature']";
    for (name, mode) in modes() {
        let xml = success_with(&a, &s, mode, &key, &Fresh::new(), Signer::Direct).unwrap();
        let mut xpaths = vec![];
        if mode != SignMode::Response {
            xpaths.push(on_assertion);
        }
        if mode != SignMode::Assertion {
            xpaths.push(on_response);
        }
        for xp in xpaths {
            let (ok, out) = xmlsec1_verify(dir.path(), &xml, &key.cert_pem, xp);
            assert!(ok, "sign = {name}, {xp}: {out}\n{xml}");
            // One changed character and it no longer verifies.
            let forged = xml.replacen("a@example.com", "b@example.com", 1);
            let (ok, _) = xmlsec1_verify(dir.path(), &forged, &key.cert_pem, xp);
            assert!(!ok, "sign = {name}: a forged document verified");
        }
    }
    let failed =
        failure_with(&a, Status::AuthnFailed, &key, &Fresh::new(), Signer::Direct).unwrap();
    let (ok, out) = xmlsec1_verify(dir.path(), &failed, &key.cert_pem, on_response);
    assert!(ok, "{out}");
}
