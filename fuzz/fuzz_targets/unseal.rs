//! Fuzzes `session::Sealer::unseal` on arbitrary tokens (as a browser could send in the
//! sealed form field or the SSO cookie) and on tokens whose plaintext is arbitrary but properly
//! encrypted (as an instance sharing the secret could make). A token nobody sealed never opens,
//! a sealed one opens only for its purpose, and one changed byte makes it fail.
#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use openssl::symm::{encrypt_aead, Cipher};
use pureconnect_idp::session::{SealError, Sealer, MAX_TOKEN_LEN};
use serde_json::Value;

const KEY: [u8; 32] = [0x5a; 32];
const PURPOSE: &str = "login-state";
const MAX_AGE: i64 = 600;

/// A token in the Sealer's format (nonce, ciphertext, tag) around any plaintext.
fn encrypt(plain: &[u8], nonce: &[u8; 12]) -> String {
    let mut tag = [0u8; 16];
    let ct = encrypt_aead(
        Cipher::aes_256_gcm(),
        &KEY,
        Some(nonce),
        PURPOSE.as_bytes(),
        plain,
        &mut tag,
    )
    .expect("encrypting");
    URL_SAFE_NO_PAD.encode([&nonce[..], &ct, &tag].concat())
}

fuzz_target!(|data: &[u8]| {
    let sealer = Sealer::new(KEY);

    // Whatever a browser sends, it does not open without the secret.
    let token = String::from_utf8_lossy(data);
    let r = sealer.unseal::<Value>(PURPOSE, &token, MAX_AGE);
    assert!(r.is_err(), "a forged token opened: {token:?}");
    if token.len() > MAX_TOKEN_LEN {
        assert_eq!(r, Err(SealError::Malformed));
    }

    // Arbitrary plaintext under the real key: the envelope reader must cope with anything.
    let nonce: [u8; 12] = std::array::from_fn(|i| data.get(i).copied().unwrap_or(0));
    let forged_by_peer = encrypt(data, &nonce);
    if let Err(e) = sealer.unseal::<Value>(PURPOSE, &forged_by_peer, MAX_AGE) {
        assert!(
            matches!(e, SealError::Malformed | SealError::Expired),
            "{e:?}"
        );
    }

    // Round trip of a value made from the input.
    let value = Value::String(String::from_utf8_lossy(data).into_owned());
    let sealed = sealer.seal(PURPOSE, &value).expect("sealing");
    let opened = sealer.unseal::<Value>(PURPOSE, &sealed, MAX_AGE);
    if sealed.len() > MAX_TOKEN_LEN {
        // JSON escaping can make a value too big to travel; it is refused, not misread.
        assert_eq!(opened, Err(SealError::Malformed));
        return;
    }
    assert_eq!(opened, Ok(value));
    assert_eq!(
        sealer.unseal::<Value>("sso-cookie", &sealed, MAX_AGE),
        Err(SealError::Forged)
    );
    let mut raw = URL_SAFE_NO_PAD.decode(&sealed).expect("our own base64");
    if !raw.is_empty() {
        let i = usize::from(data.first().copied().unwrap_or(0)) % raw.len();
        raw[i] ^= data.get(1).copied().unwrap_or(0).max(1);
        let tampered = URL_SAFE_NO_PAD.encode(&raw);
        assert!(sealer.unseal::<Value>(PURPOSE, &tampered, MAX_AGE).is_err());
    }
});
