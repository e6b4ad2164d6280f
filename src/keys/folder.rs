//! The signing folder on disk: `certs_dir/signing/<name>.crt` + `<name>.key`, and `active`.
//!
//! Owns the folder's rules — pair names, at most [`MAX_PAIRS`] pairs, which one is active, and
//! what happens when the active one has expired (the newest valid backup takes over, in memory
//! only) — and the changes the `certs` command makes (adding a pair, promoting one), each
//! written by temporary file and rename so that a server reading the folder at the same time
//! sees the old state or the new one, never half of it. It holds nothing in memory: the
//! [`KeyStore`](super::KeyStore) does.

use super::generate::write_atomic;
use super::{format_time, now, KeyError, KeySet, SigningKey};
use openssl::x509::X509;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One active pair and up to four backups: as many certificates as Genesys Cloud holds.
pub const MAX_PAIRS: usize = 5;

/// The file naming the pair that signs.
pub const ACTIVE_FILE: &str = "active";

pub fn signing_dir(certs_dir: &Path) -> PathBuf {
    certs_dir.join("signing")
}

fn read(path: &Path) -> Result<Vec<u8>, KeyError> {
    std::fs::read(path).map_err(|source| KeyError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// The file names in `signing/` that end in `.{ext}`, without it; dot files (temporary files
/// of a write in progress) are not pairs.
fn stems(certs_dir: &Path, ext: &str) -> Result<Vec<String>, KeyError> {
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
            (p.extension()? == ext).then(|| p.file_stem()?.to_str().map(String::from))?
        })
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    Ok(names)
}

/// The names of the pairs in `signing/` (a name counts when both files exist), sorted.
pub fn pair_names(certs_dir: &Path) -> Result<Vec<String>, KeyError> {
    let dir = signing_dir(certs_dir);
    Ok(stems(certs_dir, "crt")?
        .into_iter()
        .filter(|n| dir.join(format!("{n}.key")).exists())
        .collect())
}

/// Names of half pairs: a certificate without its key or a key without its certificate.
pub fn incomplete_names(certs_dir: &Path) -> Result<Vec<String>, KeyError> {
    let crt = stems(certs_dir, "crt")?;
    let key = stems(certs_dir, "key")?;
    let mut odd: Vec<String> = crt
        .iter()
        .filter(|n| !key.contains(n))
        .chain(key.iter().filter(|n| !crt.contains(n)))
        .cloned()
        .collect();
    odd.sort();
    Ok(odd)
}

/// A name for a new pair: letters, digits, `.`, `_`, `-`; not starting with a dot.
pub fn check_name(name: &str) -> Result<(), KeyError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name != ACTIVE_FILE
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(KeyError::Folder(format!(
            "`{name}` is not a usable name: use 1 to 64 letters, digits, `.`, `_` or `-`, not starting with `.` (e.g. idp2026)"
        )))
    }
}

/// The name in the `active` file, if there is one.
pub fn active_file(certs_dir: &Path) -> Result<Option<String>, KeyError> {
    let path = signing_dir(certs_dir).join(ACTIVE_FILE);
    match std::fs::read(&path) {
        Ok(b) => Ok(Some(String::from_utf8_lossy(&b).trim().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(KeyError::Read {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// Reads and checks every pair; fails on any bad pair, on more than [`MAX_PAIRS`], and on an
/// expired active certificate without a valid backup to take over.
pub fn read_set(certs_dir: &Path, password: Option<&[u8]>) -> Result<KeySet, KeyError> {
    read_set_as(certs_dir, password, None)
}

/// [`read_set`] as if the `active` file named `active` (when given).
fn read_set_as(
    certs_dir: &Path,
    password: Option<&[u8]>,
    active: Option<&str>,
) -> Result<KeySet, KeyError> {
    let dir = signing_dir(certs_dir);
    let names = pair_names(certs_dir)?;
    if names.is_empty() {
        return Err(KeyError::Empty(dir.display().to_string()));
    }
    if names.len() > MAX_PAIRS {
        return Err(KeyError::Folder(format!(
            "{} holds {} signing pairs ({}): at most {MAX_PAIRS} are allowed (one active and four \
             backups, as many certificates as Genesys Cloud holds); remove the ones no longer needed",
            dir.display(),
            names.len(),
            names.join(", ")
        )));
    }
    let active_name = match active {
        Some(a) => a.to_string(),
        None => match active_file(certs_dir)? {
            Some(a) if a.is_empty() => {
                return Err(KeyError::Active(format!(
                    "{} is empty: it must name the pair that signs (one of {})",
                    dir.join(ACTIVE_FILE).display(),
                    names.join(", ")
                )))
            }
            Some(a) => a,
            None if names.len() == 1 => names[0].clone(),
            None => {
                return Err(KeyError::Active(format!(
                "{} holds several certificates ({}) and no `active` file naming the one that signs",
                dir.display(),
                names.join(", ")
            )))
            }
        },
    };
    if !names.contains(&active_name) {
        return Err(KeyError::Active(format!(
            "{} names `{active_name}` as active, but {}/{active_name}.crt and .key are not both there",
            dir.join(ACTIVE_FILE).display(),
            dir.display()
        )));
    }
    let mut active = None;
    let mut others = Vec::new();
    for name in names {
        let k = Arc::new(read_pair(certs_dir, &name, password)?);
        if name == active_name {
            active = Some(k);
        } else {
            others.push(k);
        }
    }
    let mut active = active.ok_or_else(|| KeyError::Active("no active certificate".into()))?;
    let now = now();
    let (mut others, mut expired): (Vec<_>, Vec<_>) =
        others.into_iter().partition(|k| !k.info.expired(now));
    let mut auto_promoted_from = None;
    if active.info.expired(now) {
        // The newest valid backup takes over: the latest issued, then the longest valid.
        let best = others
            .iter()
            .enumerate()
            .max_by_key(|(_, k)| (k.info.not_before, k.info.not_after))
            .map(|(i, _)| i);
        match best {
            Some(i) => {
                let old = std::mem::replace(&mut active, others.remove(i));
                auto_promoted_from = Some(old.name.clone());
                expired.insert(0, old);
            }
            None => {
                return Err(KeyError::Active(format!(
                    "the active signing certificate `{}` expired on {}, and no valid backup is there \
                     to take over: make one with `pureconnect-idp certs generate NAME`, upload it to \
                     Genesys Cloud (`pureconnect-idp certs export NAME`), then `pureconnect-idp certs \
                     promote NAME`",
                    active.name,
                    format_time(active.info.not_after)
                )))
            }
        }
    }
    Ok(KeySet {
        active,
        others,
        expired,
        auto_promoted_from,
    })
}

pub(super) fn read_pair(
    certs_dir: &Path,
    name: &str,
    password: Option<&[u8]>,
) -> Result<SigningKey, KeyError> {
    let dir = signing_dir(certs_dir);
    let crt = dir.join(format!("{name}.crt"));
    let key = dir.join(format!("{name}.key"));
    SigningKey::from_pem(
        name,
        &read(&crt)?,
        &read(&key)?,
        password,
        &key.display().to_string(),
    )
}

/// The outcome of [`promote`].
#[derive(Debug, PartialEq, Eq)]
pub struct Promoted {
    /// The pair that was active before (now a backup).
    pub previous: Option<String>,
    /// False when `name` was already active.
    pub changed: bool,
}

/// Makes `name` the active pair by rewriting the `active` file atomically; the pair that was
/// active stays in the folder as a backup. Refused unless the whole folder would load with
/// `name` active (so a running server can take it), and for an expired certificate.
pub fn promote(
    certs_dir: &Path,
    name: &str,
    password: Option<&[u8]>,
) -> Result<Promoted, KeyError> {
    let names = pair_names(certs_dir)?;
    if !names.iter().any(|n| n == name) {
        return Err(KeyError::Folder(format!(
            "there is no pair `{name}` in {} (there are: {})",
            signing_dir(certs_dir).display(),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )));
    }
    let pair = read_pair(certs_dir, name, password)
        .map_err(|e| KeyError::Folder(format!("cannot promote `{name}`: {e}")))?;
    if pair.info.expired(now()) {
        return Err(KeyError::Folder(format!(
            "cannot promote `{name}`: it expired on {}",
            format_time(pair.info.not_after)
        )));
    }
    // The whole folder must load with `name` active, or a running server would refuse it.
    read_set_as(certs_dir, password, Some(name))
        .map_err(|e| KeyError::Folder(format!("cannot promote `{name}`: {e}")))?;
    let file = active_file(certs_dir)?;
    let previous = file
        .clone()
        .or_else(|| (names.len() == 1).then(|| names[0].clone()));
    if file.as_deref() == Some(name) {
        return Ok(Promoted {
            previous,
            changed: false,
        });
    }
    write_active(certs_dir, name)?;
    Ok(Promoted {
        previous,
        changed: true,
    })
}

fn write_active(certs_dir: &Path, name: &str) -> Result<(), KeyError> {
    let path = signing_dir(certs_dir).join(ACTIVE_FILE);
    write_atomic(&path, format!("{name}\n").as_bytes(), false)
        .map_err(|e| KeyError::Folder(format!("cannot write {}: {e}", path.display())))
}

/// The outcome of [`add_pair`].
#[derive(Debug, PartialEq, Eq)]
pub struct Added {
    /// Whether the new pair is the active one (it is the first in the folder).
    pub active: bool,
}

/// Adds a pair (PEM texts) under `name`: the key, then the certificate, each by rename, so the
/// pair appears whole. The first pair becomes active; when the folder held a single pair and
/// no `active` file, that file is written first so the existing pair stays active.
pub fn add_pair(
    certs_dir: &Path,
    name: &str,
    cert_pem: &[u8],
    key_pem: &[u8],
) -> Result<Added, KeyError> {
    check_name(name)?;
    let dir = signing_dir(certs_dir);
    let fail = |what: &Path, e: std::io::Error| {
        KeyError::Folder(format!("cannot write {}: {e}", what.display()))
    };
    std::fs::create_dir_all(&dir).map_err(|e| fail(&dir, e))?;
    let names = pair_names(certs_dir)?;
    let crt = dir.join(format!("{name}.crt"));
    let key = dir.join(format!("{name}.key"));
    if crt.exists() || key.exists() {
        return Err(KeyError::Folder(format!(
            "`{name}` exists already in {}: pick another name",
            dir.display()
        )));
    }
    if names.len() >= MAX_PAIRS {
        return Err(KeyError::Folder(format!(
            "{} already holds {} pairs ({}), the most Genesys Cloud can hold: remove one no longer \
             needed first",
            dir.display(),
            names.len(),
            names.join(", ")
        )));
    }
    let has_active_file = active_file(certs_dir)?.is_some();
    let active = names.is_empty();
    if !has_active_file && names.len() == 1 {
        write_active(certs_dir, &names[0])?;
    }
    write_atomic(&key, key_pem, true).map_err(|e| fail(&key, e))?;
    write_atomic(&crt, cert_pem, false).map_err(|e| fail(&crt, e))?;
    if active && !has_active_file {
        write_active(certs_dir, name)?;
    }
    Ok(Added { active })
}

/// The PEM certificate of the pair `name` (what to upload to Genesys Cloud).
pub fn export(certs_dir: &Path, name: &str) -> Result<String, KeyError> {
    check_name(name)?;
    let path = signing_dir(certs_dir).join(format!("{name}.crt"));
    let cert = X509::from_pem(&read(&path)?).map_err(|_| KeyError::Bad {
        path: path.display().to_string(),
        message: "the certificate is not PEM".into(),
    })?;
    let pem = cert.to_pem().map_err(|e| KeyError::Bad {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    Ok(String::from_utf8_lossy(&pem).into_owned())
}
