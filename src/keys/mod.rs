//! KeyStore: the one owner of signing keys and certificates.
//!
//! Owns the key set in force (the active pair that signs, the backups that are published) and
//! handing it out through an atomic pointer, so that a request that started signing with one
//! key finishes with it while a reload swaps in a new set; and reloading (a failed reload keeps
//! the old set). Handlers never read key files; they ask the store. Reading and changing the
//! folder is [`folder`]'s job (and [`inventory`]'s, for `certs list`), the key password
//! [`password`]'s, reloading on a change or `SIGHUP` [`watch`]'s, what operations see
//! ([`KeyStore::status`], days left in the log) `status`'s, and making new pairs
//! [`generate`]'s, removing one [`remove`]'s; what a certificate says (subject, serial,
//! fingerprint, validity) is `cert_info`'s.

mod cert_info;
pub mod folder;
pub mod generate;
pub mod inventory;
pub mod password;
pub mod remove;
pub mod status;
pub mod watch;

use arc_swap::ArcSwap;
use base64::Engine;
use openssl::pkey::{PKey, Private};
use openssl::x509::X509;
use secrecy::{ExposeSecret, SecretSlice};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use thiserror::Error;

pub use cert_info::{format_time, now, CertInfo};
pub use folder::{pair_names, signing_dir, MAX_PAIRS};
use status::log_auto_promotion;
pub use status::{CertStatus, KeyStatus, Role};

#[derive(Debug, Error)]
pub enum KeyError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Bad { path: String, message: String },
    #[error(
        "no signing certificate in {0}: create one with `pureconnect-idp certs generate NAME`"
    )]
    Empty(String),
    #[error("{0}")]
    Active(String),
    /// The folder as a whole is not acceptable (too many pairs, a bad name, cannot write).
    #[error("{0}")]
    Folder(String),
}

/// One certificate with its private key, ready to sign.
pub struct SigningKey {
    pub name: String,
    pub cert: X509,
    /// The certificate as DER, base64 without line breaks (for KeyInfo and metadata).
    pub cert_b64: String,
    pub cert_pem: String,
    pub info: CertInfo,
    /// The private key as PKCS#8 DER, the form xmlsec loads.
    key_der: Vec<u8>,
    pub pkey: PKey<Private>,
    /// Unique to this loaded key (signers cache per-key state under it).
    id: u64,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("name", &self.name)
            .finish()
    }
}

/// Whether a PEM private key is encrypted (PKCS#8 `ENCRYPTED PRIVATE KEY`, or the legacy
/// `Proc-Type: 4,ENCRYPTED` header of PKCS#1).
pub fn is_encrypted_pem(key_pem: &[u8]) -> bool {
    let has = |needle: &[u8]| key_pem.windows(needle.len()).any(|w| w == needle);
    has(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") || has(b"Proc-Type: 4,ENCRYPTED")
}

impl SigningKey {
    pub fn key_der(&self) -> &[u8] {
        &self.key_der
    }

    /// A number no other key loaded by this process has.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Builds a signing key from PEM texts, checking that they belong together. The password
    /// opens an encrypted key; it is never part of an error message.
    pub fn from_pem(
        name: &str,
        cert_pem: &[u8],
        key_pem: &[u8],
        password: Option<&[u8]>,
        path: &str,
    ) -> Result<SigningKey, KeyError> {
        let bad = |m: String| KeyError::Bad {
            path: path.to_string(),
            message: m,
        };
        let cert =
            X509::from_pem(cert_pem).map_err(|_| bad("the certificate is not PEM".into()))?;
        let encrypted = is_encrypted_pem(key_pem);
        let pkey = match password {
            Some(p) => PKey::private_key_from_pem_passphrase(key_pem, p).map_err(|_| {
                bad(if encrypted {
                    "the private key cannot be decrypted: the password is wrong".into()
                } else {
                    "the private key is not PEM (PKCS#1 or PKCS#8)".into()
                })
            })?,
            None if encrypted => {
                return Err(bad(format!(
                    "the private key is encrypted and no password is configured (give it in {})",
                    password::SOURCES
                )))
            }
            // Without a password, a callback that gives none: OpenSSL must never prompt.
            None => PKey::private_key_from_pem_callback(key_pem, |_| Ok(0))
                .map_err(|_| bad("the private key is not PEM (PKCS#1 or PKCS#8)".into()))?,
        };
        let rsa = pkey.rsa().map_err(|_| {
            bad("the private key is not RSA (Genesys Cloud expects RSA-SHA256)".into())
        })?;
        if rsa.size() * 8 < 2048 {
            return Err(bad(format!(
                "the RSA key has {} bits; at least 2048 are required",
                rsa.size() * 8
            )));
        }
        let cert_pub = cert
            .public_key()
            .map_err(|_| bad("the certificate has no usable public key".into()))?;
        if !cert_pub.public_eq(&pkey) {
            return Err(bad(
                "the certificate does not belong to the private key".into()
            ));
        }
        let info = CertInfo::of(&cert).map_err(|e| bad(e.to_string()))?;
        let der = cert.to_der().map_err(|e| bad(e.to_string()))?;
        let key_der = pkey
            .private_key_to_pkcs8()
            .map_err(|e| bad(e.to_string()))?;
        let cert_pem = String::from_utf8(cert.to_pem().map_err(|e| bad(e.to_string()))?)
            .map_err(|e| bad(e.to_string()))?;
        Ok(SigningKey {
            name: name.to_string(),
            cert_b64: base64::engine::general_purpose::STANDARD.encode(der),
            cert_pem,
            info,
            cert,
            key_der,
            pkey,
            id: {
                static NEXT: AtomicU64 = AtomicU64::new(1);
                NEXT.fetch_add(1, Ordering::Relaxed)
            },
        })
    }

    /// Seconds until the certificate expires (negative once it has).
    pub fn seconds_left(&self) -> i64 {
        self.info.seconds_left(now())
    }
}

/// The keys in force: the active pair first, then the valid backups (published, not used to
/// sign), then expired backups (neither).
#[derive(Debug)]
pub struct KeySet {
    pub active: Arc<SigningKey>,
    pub others: Vec<Arc<SigningKey>>,
    pub expired: Vec<Arc<SigningKey>>,
    /// When the `active` file names an expired certificate and a valid backup took over: the
    /// name in the file.
    pub auto_promoted_from: Option<String>,
}

impl KeySet {
    /// Every certificate to publish, active first: the active one and the backups that have
    /// not expired (checked now, so a backup that expires while the set is in force drops out).
    pub fn published(&self) -> impl Iterator<Item = &Arc<SigningKey>> {
        let now = now();
        std::iter::once(&self.active)
            .chain(self.others.iter().filter(move |k| !k.info.expired(now)))
    }

    /// Every pair in the folder: the active one, the backups, then the expired backups.
    pub fn all(&self) -> impl Iterator<Item = &Arc<SigningKey>> {
        std::iter::once(&self.active)
            .chain(self.others.iter())
            .chain(self.expired.iter())
    }
}

pub struct KeyStore {
    dir: PathBuf,
    password: Option<SecretSlice<u8>>,
    warn_days: u32,
    current: ArcSwap<KeySet>,
    /// One reload at a time, so an older read never replaces a newer one.
    reloading: Mutex<()>,
    /// The folder as it was when last read (whether or not the read succeeded).
    seen: Mutex<watch::Fingerprint>,
    reloads: AtomicU64,
    reload_failures: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore").field("dir", &self.dir).finish()
    }
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl KeyStore {
    /// Reads `certs_dir/signing`; `password` opens encrypted keys.
    pub fn load(certs_dir: &Path, password: Option<SecretSlice<u8>>) -> Result<KeyStore, KeyError> {
        let seen = watch::scan(&signing_dir(certs_dir));
        let set = folder::read_set(certs_dir, password.as_ref().map(|p| p.expose_secret()))?;
        log_auto_promotion(&set);
        Ok(KeyStore {
            dir: certs_dir.to_path_buf(),
            password,
            warn_days: 30,
            current: ArcSwap::from_pointee(set),
            reloading: Mutex::new(()),
            seen: Mutex::new(seen),
            reloads: AtomicU64::new(0),
            reload_failures: AtomicU64::new(0),
            last_error: Mutex::new(None),
        })
    }

    /// Warn in the log this many days before a certificate expires (default 30).
    pub fn with_warn_days(mut self, days: u32) -> KeyStore {
        self.warn_days = days;
        self
    }

    pub fn certs_dir(&self) -> &Path {
        &self.dir
    }

    /// The set in force now; hold on to it for the length of one signing operation.
    pub fn current(&self) -> Arc<KeySet> {
        self.current.load_full()
    }

    pub fn active(&self) -> Arc<SigningKey> {
        self.current.load().active.clone()
    }

    /// The folder as it was when last read.
    pub fn seen(&self) -> watch::Fingerprint {
        locked(&self.seen).clone()
    }

    /// Reads the folder again; on any error the old set stays in force.
    pub fn reload(&self) -> Result<(), KeyError> {
        self.reload_because("requested")
    }

    /// [`reload`](Self::reload), saying in the log why and what changed (or why not).
    pub fn reload_because(&self, why: &str) -> Result<(), KeyError> {
        let _one = locked(&self.reloading);
        *locked(&self.seen) = watch::scan(&signing_dir(&self.dir));
        let old = self.current();
        let pw = self.password.as_ref().map(|p| p.expose_secret());
        match folder::read_set(&self.dir, pw).and_then(|set| keep_a_valid_active(&old, set)) {
            Ok(set) => {
                log_auto_promotion(&set);
                let names = |s: &KeySet| s.published().map(|k| k.name.clone()).collect::<Vec<_>>();
                if old.active.info.sha256 != set.active.info.sha256 {
                    tracing::warn!(
                        reason = why,
                        "signing keys reloaded: now signing with `{}` (was `{}`); published: {}",
                        set.active.name,
                        old.active.name,
                        names(&set).join(", ")
                    );
                } else {
                    tracing::info!(
                        reason = why,
                        "signing keys reloaded: signing with `{}`; published: {}",
                        set.active.name,
                        names(&set).join(", ")
                    );
                }
                self.current.store(Arc::new(set));
                self.reloads.fetch_add(1, Ordering::Relaxed);
                *locked(&self.last_error) = None;
                self.log_expiry();
                Ok(())
            }
            Err(e) => {
                tracing::error!(
                    reason = why,
                    "signing keys NOT reloaded, still signing with `{}`: {e}",
                    old.active.name
                );
                self.reload_failures.fetch_add(1, Ordering::Relaxed);
                *locked(&self.last_error) = Some(e.to_string());
                Err(e)
            }
        }
    }
}

/// A reload may hand over to a backup only when the active certificate in force has expired:
/// an `active` file edited to name an expired certificate must not move the server to some
/// backup Genesys Cloud may not hold yet.
fn keep_a_valid_active(old: &KeySet, set: KeySet) -> Result<KeySet, KeyError> {
    match &set.auto_promoted_from {
        Some(from)
            if !old.active.info.expired(now())
                && set.active.info.sha256 != old.active.info.sha256 =>
        {
            Err(KeyError::Active(format!(
                "the `active` file names `{from}`, which has expired; `{}` stays active (make \
                 another pair active with `pureconnect-idp certs promote NAME`)",
                old.active.name
            )))
        }
        _ => Ok(set),
    }
}

#[cfg(test)]
mod tests;
