//! Key forms: PKCS#1 and PKCS#8, encrypted keys and their password, and the keys refused.

use super::*;

#[test]
fn pkcs1_and_pkcs8_plain_keys_both_load() {
    let d = tmp();
    let p = pair(10);
    let pkcs1 = PKey::private_key_from_pem(&p.key_pem)
        .unwrap()
        .rsa()
        .unwrap()
        .private_key_to_pem()
        .unwrap();
    assert!(String::from_utf8_lossy(&pkcs1).contains("BEGIN RSA PRIVATE KEY"));
    assert!(String::from_utf8_lossy(&p.key_pem).contains("BEGIN PRIVATE KEY"));
    put(d.path(), "one", &p.cert_pem, &pkcs1);
    put_pair(d.path(), "two", &pair(20));
    set_active(d.path(), "one");
    let store = KeyStore::load(d.path(), None).unwrap();
    let set = store.current();
    assert_eq!(set.active.name, "one");
    assert_eq!(
        set.published().map(|k| k.name.as_str()).collect::<Vec<_>>(),
        ["one", "two"]
    );
    assert!(set
        .active
        .pkey
        .public_eq(&set.active.cert.public_key().unwrap()));
}

#[test]
fn encrypted_pkcs8_opens_with_the_right_password_only() {
    let d = tmp();
    let p = pair(10);
    let enc = encrypt_key(&p.key_pem, b"correct horse").unwrap();
    assert!(String::from_utf8_lossy(&enc).contains("BEGIN ENCRYPTED PRIVATE KEY"));
    put(d.path(), "idp", &p.cert_pem, &enc);
    let store = KeyStore::load(d.path(), pw("correct horse")).unwrap();
    assert_eq!(store.active().name, "idp");
    assert!(!format!("{store:?}").contains("correct horse"));

    let e = KeyStore::load(d.path(), pw("battery staple"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("the password is wrong"), "{e}");
    assert!(e.contains("idp.key"), "names the file: {e}");
    assert!(
        !e.contains("battery staple") && !e.contains("correct horse"),
        "{e}"
    );

    // No password: a clear message, and never a prompt on the terminal.
    let e = KeyStore::load(d.path(), None).unwrap_err().to_string();
    assert!(e.contains("encrypted and no password is configured"), "{e}");
    assert!(e.contains("IDP_KEY_PASSWORD"), "{e}");

    // A password given for a plain key does no harm.
    let d2 = tmp();
    put_pair(d2.path(), "plain", &p);
    assert!(KeyStore::load(d2.path(), pw("unused")).is_ok());
}

#[test]
fn weak_mismatched_and_garbage_keys_are_refused() {
    let d = tmp();
    let small = self_signed("small", 1024, 10, &[]).unwrap();
    put_pair(d.path(), "small", &small);
    let e = KeyStore::load(d.path(), None).unwrap_err().to_string();
    assert!(e.contains("1024 bits") && e.contains("2048"), "{e}");

    let d = tmp();
    let (a, b) = (pair(10), pair(10));
    put(d.path(), "mixed", &a.cert_pem, &b.key_pem);
    let e = KeyStore::load(d.path(), None).unwrap_err().to_string();
    assert!(e.contains("does not belong to the private key"), "{e}");

    let d = tmp();
    put(
        d.path(),
        "junk",
        &a.cert_pem,
        b"-----BEGIN PRIVATE KEY-----\nnope\n",
    );
    let e = KeyStore::load(d.path(), None).unwrap_err().to_string();
    assert!(e.contains("not PEM"), "{e}");
}
