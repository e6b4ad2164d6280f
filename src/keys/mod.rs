//! KeyStore: the one owner of signing keys and certificates.
//!
//! Owns reading `idp.certs_dir/signing/` (one `<name>.crt` + `<name>.key` pair per name, the
//! `active` file naming the pair that signs), checking each pair (the certificate's public key
//! is the key's, RSA of 2048 bits or more, not expired), and handing out the current set
//! through an atomic pointer so that a request that started with one key finishes with it.
//! Handlers never read key files; they ask the store. Generating new pairs lives in
//! [`generate`].

pub mod generate;

use arc_swap::ArcSwap;
use base64::Engine;
use openssl::pkey::{PKey, Private};
use openssl::x509::X509;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

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
}

/// One certificate with its private key, ready to sign.
pub struct SigningKey {
    pub name: String,
    pub cert: X509,
    /// The certificate as DER, base64 without line breaks (for KeyInfo and metadata).
    pub cert_b64: String,
    pub cert_pem: String,
    /// The private key as PKCS#8 DER, the form xmlsec loads.
    key_der: Vec<u8>,
    pub pkey: PKey<Private>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("name", &self.name)
            .finish()
    }
}

impl SigningKey {
    pub fn key_der(&self) -> &[u8] {
        &self.key_der
    }

    /// Builds a signing key from PEM texts, checking that they belong together.
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
        let pkey = match password {
            Some(p) => PKey::private_key_from_pem_passphrase(key_pem, p),
            None => PKey::private_key_from_pem(key_pem),
        }
        .map_err(|_| {
            bad(if password.is_some() {
                "the private key cannot be read (not PEM, or the password is wrong)".into()
            } else {
                "the private key cannot be read (not PEM, or encrypted and no password is configured)"
                    .into()
            })
        })?;
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
            cert,
            key_der,
            pkey,
        })
    }

    /// Seconds until the certificate expires (negative once it has).
    pub fn seconds_left(&self) -> i64 {
        let now = openssl::asn1::Asn1Time::days_from_now(0);
        match now.and_then(|n| n.diff(self.cert.not_after())) {
            Ok(d) => i64::from(d.days) * 86400 + i64::from(d.secs),
            Err(_) => 0,
        }
    }
}

/// The keys in force: the active pair first, then the others (published, not used to sign).
#[derive(Debug)]
pub struct KeySet {
    pub active: Arc<SigningKey>,
    pub others: Vec<Arc<SigningKey>>,
}

impl KeySet {
    /// Every certificate to publish, active first.
    pub fn published(&self) -> impl Iterator<Item = &Arc<SigningKey>> {
        std::iter::once(&self.active).chain(self.others.iter())
    }
}

pub struct KeyStore {
    dir: PathBuf,
    password: Option<Vec<u8>>,
    current: ArcSwap<KeySet>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore").field("dir", &self.dir).finish()
    }
}

pub fn signing_dir(certs_dir: &Path) -> PathBuf {
    certs_dir.join("signing")
}

impl KeyStore {
    pub fn load(certs_dir: &Path, password: Option<Vec<u8>>) -> Result<KeyStore, KeyError> {
        let set = read_set(certs_dir, password.as_deref())?;
        Ok(KeyStore {
            dir: certs_dir.to_path_buf(),
            password,
            current: ArcSwap::from_pointee(set),
        })
    }

    /// The set in force now; hold on to it for the length of one signing operation.
    pub fn current(&self) -> Arc<KeySet> {
        self.current.load_full()
    }

    pub fn active(&self) -> Arc<SigningKey> {
        self.current.load().active.clone()
    }

    /// Reads the folder again; on any error the old set stays in force.
    pub fn reload(&self) -> Result<(), KeyError> {
        let set = read_set(&self.dir, self.password.as_deref())?;
        self.current.store(Arc::new(set));
        Ok(())
    }
}

fn read(path: &Path) -> Result<Vec<u8>, KeyError> {
    std::fs::read(path).map_err(|source| KeyError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// The names of the pairs in `signing/` (a name counts when both files exist), sorted.
pub fn pair_names(certs_dir: &Path) -> Result<Vec<String>, KeyError> {
    let dir = signing_dir(certs_dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(source) => {
            return Err(KeyError::Read {
                path: dir.display().to_string(),
                source,
            })
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let p = e.path();
            (p.extension()? == "crt").then(|| p.file_stem()?.to_str().map(String::from))?
        })
        .filter(|n| dir.join(format!("{n}.key")).exists())
        .collect();
    names.sort();
    Ok(names)
}

fn read_set(certs_dir: &Path, password: Option<&[u8]>) -> Result<KeySet, KeyError> {
    let dir = signing_dir(certs_dir);
    let names = pair_names(certs_dir)?;
    if names.is_empty() {
        return Err(KeyError::Empty(dir.display().to_string()));
    }
    let active_file = dir.join("active");
    let active_name = if active_file.exists() {
        String::from_utf8_lossy(&read(&active_file)?)
            .trim()
            .to_string()
    } else if names.len() == 1 {
        names[0].clone()
    } else {
        return Err(KeyError::Active(format!(
            "{} holds several certificates ({}) and no `active` file naming the one that signs",
            dir.display(),
            names.join(", ")
        )));
    };
    if !names.contains(&active_name) {
        return Err(KeyError::Active(format!(
            "{} names `{active_name}` as active, but {}/{active_name}.crt and .key are not both there",
            active_file.display(),
            dir.display()
        )));
    }
    let mut active = None;
    let mut others = Vec::new();
    for name in names {
        let crt = dir.join(format!("{name}.crt"));
        let key = dir.join(format!("{name}.key"));
        let k = SigningKey::from_pem(
            &name,
            &read(&crt)?,
            &read(&key)?,
            password,
            &key.display().to_string(),
        )?;
        if name == active_name {
            active = Some(Arc::new(k));
        } else {
            others.push(Arc::new(k));
        }
    }
    let active = active.ok_or_else(|| KeyError::Active("no active certificate".into()))?;
    if active.seconds_left() <= 0 {
        return Err(KeyError::Active(format!(
            "the active signing certificate `{}` has expired",
            active.name
        )));
    }
    Ok(KeySet { active, others })
}
