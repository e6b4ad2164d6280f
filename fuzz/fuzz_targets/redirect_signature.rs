//! Fuzzes receiving an HTTP-Redirect query signature (`saml::inbound::Params` and
//! `RedirectSig`) with arbitrary query strings, against no certificate and against one
//! certificate made at start with `keys::generate::self_signed`. Garbage never verifies, a
//! query without SigAlg and Signature is "unsigned" whatever the certificates, a query that
//! names a SAML parameter twice in any spelling is refused before any signature is looked at,
//! and (for inputs starting with `!`) what `sign_redirect` signs over the input verifies and
//! stops verifying when the message changes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openssl::pkey::{PKey, Private};
use openssl::x509::X509;
use pureconnect_idp::keys::generate::self_signed;
use pureconnect_idp::saml::inbound::{Params, RedirectSig};
use pureconnect_idp::saml::signature::{sign_redirect, SigError};
use std::sync::LazyLock;

/// 1024 bits: the size makes no difference to the code under test, and signing is 5x faster.
static PAIR: LazyLock<(PKey<Private>, X509)> = LazyLock::new(|| {
    let p = self_signed("fuzz.sp.test", 1024, 30, &[]).expect("test certificate");
    (
        PKey::private_key_from_pem(&p.key_pem).expect("key"),
        X509::from_pem(&p.cert_pem).expect("certificate"),
    )
});

/// The signature of `param` in `query`: None when unsigned or refused before verifying.
fn verified(query: &str, param: &'static str, certs: &[X509], sha1: bool) -> Option<bool> {
    let params = Params::parse(query).ok()?;
    let sig = RedirectSig::from_params(&params, param).ok()??;
    Some(sig.verify(certs, sha1).is_ok())
}

fn check_garbage(query: &str, param: &'static str, sha1: bool) {
    assert_ne!(verified(query, param, &[], sha1), Some(true), "no certificate");
    assert_ne!(
        verified(query, param, std::slice::from_ref(&PAIR.1), sha1),
        Some(true),
        "fuzzed query verified: {query:?}"
    );
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
        let sig = |q: &str| {
            RedirectSig::from_params(&Params::parse(q).expect("our own query"), "SAMLRequest")
                .expect("well-formed")
                .expect("signed")
        };
        // A RelayState with control characters is refused by Params; only the others go on.
        if relay.is_some_and(|r| r.chars().any(char::is_control) || r.len() > 2048) {
            assert!(Params::parse(&q).is_err());
            return;
        }
        assert_eq!(sig(&q).verify(certs, false), Ok(()));
        assert_eq!(sig(&q).verify(&[], false), Err(SigError::Invalid));
        // Unsigned parameters around the signed ones do not matter.
        assert_eq!(sig(&format!("loginType=saml&{q}&x=1")).verify(certs, false), Ok(()));
        // Any change to the signed message does.
        let changed = q.replacen("SAMLRequest=", "SAMLRequest=A", 1);
        assert_eq!(sig(&changed).verify(certs, false), Err(SigError::Invalid));
        // A second message under an encoded name is refused outright.
        assert!(Params::parse(&format!("{q}&SAML%52equest=x")).is_err());
    }
});
