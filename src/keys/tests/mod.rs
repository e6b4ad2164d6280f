//! Tests of the key store and the signing folder, with the helpers they share: `formats`
//! (key forms, passwords, weak and mismatched keys) and `rotation` (the pair limit, expiry,
//! promotion, reloads and the watcher).

mod formats;
mod rotation;

use super::folder::{self, ACTIVE_FILE};
use super::generate::{encrypt_key, self_signed, self_signed_at, NewPair};
use super::*;
use std::time::Duration;

const DAY: i64 = 86400;

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Writes a pair into `certs_dir/signing` as `name` (no `active` file).
fn put(certs: &Path, name: &str, cert: &[u8], key: &[u8]) {
    let d = signing_dir(certs);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(format!("{name}.crt")), cert).unwrap();
    std::fs::write(d.join(format!("{name}.key")), key).unwrap();
}

fn put_pair(certs: &Path, name: &str, p: &NewPair) {
    put(certs, name, &p.cert_pem, &p.key_pem)
}

fn set_active(certs: &Path, name: &str) {
    std::fs::write(signing_dir(certs).join(ACTIVE_FILE), format!("{name}\n")).unwrap();
}

fn pair(days: u32) -> NewPair {
    self_signed("unit test", 2048, days, &[]).unwrap()
}

/// A pair valid from `from` to `to` days from now (negative = in the past).
fn pair_between(from: i64, to: i64) -> NewPair {
    let now = now();
    self_signed_at("unit test", 2048, now + from * DAY, now + to * DAY, &[]).unwrap()
}

fn pw(s: &str) -> Option<SecretSlice<u8>> {
    Some(SecretSlice::from(s.as_bytes().to_vec()))
}
