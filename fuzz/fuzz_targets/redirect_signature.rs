//! Fuzzes the HTTP-Redirect signature check (`saml::signature::verify_redirect`) with
//! arbitrary query strings, against no certificate and against one certificate made at start
//! with `keys::generate::self_signed`. Garbage never verifies, a query without SigAlg and
//! Signature is "unsigned" whatever the certificates, and (for inputs starting with `!`) what
//! `sign_redirect` signs over the input verifies and stops verifying when the message changes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openssl::pkey::{PKey, Private};
use openssl::x509::X509;
use pureconnect_idp::keys::generate::self_signed;
use pureconnect_idp::saml::signature::{sign_redirect, verify_redirect, SigError};
use std::sync::LazyLock;

/// 1024 bits: the size makes no difference to the code under test, and signing is 5x faster.
static PAIR: LazyLock<(PKey<Private>, X509)> = LazyLock::new(|| {
    let p = self_signed("fuzz.sp.test", 1024, 30, &[]).expect("test certificate");
    (
        PKey::private_key_from_pem(&p.key_pem).expect("key"),
        X509::from_pem(&p.cert_pem).expect("certificate"),
    )
});

/// `allow_sha1` only matters once the algorithm is read, so each parameter name is tried with
/// the certificate under one setting, and without a certificate under both.
fn check_garbage(query: &str, param: &str, sha1: bool) {
    let none = verify_redirect(query, param, &[], sha1);
    let one = verify_redirect(query, param, std::slice::from_ref(&PAIR.1), sha1);
    assert_ne!(none, Ok(true), "verified with no certificate");
    assert_ne!(one, Ok(true), "fuzzed query verified: {query:?}");
    match &none {
        // Unsigned or malformed is decided before any certificate is looked at.
        Ok(false) | Err(SigError::Malformed(_)) => assert_eq!(one, none),
        Err(SigError::NoCertificate) => assert!(
            matches!(
                one,
                Err(SigError::Algorithm(_) | SigError::Invalid | SigError::Malformed(_))
            ),
            "{one:?}"
        ),
        other => panic!("without certificates: {other:?}"),
    }
    assert_eq!(verify_redirect(query, param, &[], !sha1), none);
}

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    check_garbage(&query, "SAMLRequest", true);
    check_garbage(&query, "SAMLResponse", false);

    if let Some(rest) = data.strip_prefix(b"!") {
        let text = String::from_utf8_lossy(rest);
        let (msg, relay) = match text.split_once('\n') {
            Some((m, r)) => (m, Some(r)),
            None => (&*text, None),
        };
        let (key, cert) = &*PAIR;
        let certs = std::slice::from_ref(cert);
        let q = sign_redirect("SAMLRequest", msg, relay, key).expect("signing");
        assert_eq!(verify_redirect(&q, "SAMLRequest", certs, false), Ok(true));
        assert_eq!(
            verify_redirect(&q, "SAMLRequest", &[], false),
            Err(SigError::NoCertificate)
        );
        // Unsigned parameters around the signed ones do not matter.
        let framed = format!("loginType=saml&{q}&x=1");
        assert_eq!(
            verify_redirect(&framed, "SAMLRequest", certs, false),
            Ok(true)
        );
        // Any change to the signed message does.
        let changed = q.replacen("SAMLRequest=", "SAMLRequest=A", 1);
        assert_eq!(
            verify_redirect(&changed, "SAMLRequest", certs, false),
            Err(SigError::Invalid)
        );
        // The same signature is no good for a message sent as the other parameter.
        assert!(verify_redirect(&q, "SAMLResponse", certs, false) != Ok(true));
    }
});
