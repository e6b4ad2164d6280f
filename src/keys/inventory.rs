//! The signing folder as `certs list` shows it: every pair with its certificate's details,
//! its role and whether it is published — and, for a folder a server would refuse, why, pair
//! by pair. Reads only.

use super::folder::{active_file, incomplete_names, pair_names, read_pair, read_set, signing_dir};
use super::{CertInfo, KeyError, Role};
use openssl::x509::X509;
use std::path::{Path, PathBuf};

/// One pair as `certs list` shows it.
#[derive(Debug)]
pub struct Entry {
    pub name: String,
    pub role: Role,
    pub info: Result<CertInfo, String>,
    pub published: bool,
    /// Why this pair does not load (bad PEM, wrong password, mismatch…).
    pub problem: Option<String>,
}

/// The folder as a server would see it.
#[derive(Debug)]
pub struct Inventory {
    pub dir: PathBuf,
    pub entries: Vec<Entry>,
    /// A certificate without its key or a key without its certificate.
    pub incomplete: Vec<String>,
    /// Why a server would refuse the folder (and keep its old set on a reload).
    pub refused: Option<String>,
    pub auto_promoted_from: Option<String>,
}

/// Everything `certs list` shows; works on a folder a server would refuse, to say why.
pub fn inventory(certs_dir: &Path, password: Option<&[u8]>) -> Result<Inventory, KeyError> {
    let dir = signing_dir(certs_dir);
    let names = pair_names(certs_dir)?;
    let set = read_set(certs_dir, password);
    let named_active = active_file(certs_dir)
        .ok()
        .flatten()
        .or_else(|| (names.len() == 1).then(|| names[0].clone()));
    let entries = names
        .iter()
        .map(|name| {
            let info = std::fs::read(dir.join(format!("{name}.crt")))
                .map_err(|e| e.to_string())
                .and_then(|pem| X509::from_pem(&pem).map_err(|_| "not a PEM certificate".into()))
                .and_then(|c| CertInfo::of(&c).map_err(|e| e.to_string()));
            let (role, published, problem) = match &set {
                Ok(s) => (
                    if &s.active.name == name {
                        Role::Active
                    } else {
                        Role::Backup
                    },
                    s.published().any(|k| &k.name == name),
                    None,
                ),
                Err(_) => (
                    if named_active.as_deref() == Some(name.as_str()) {
                        Role::Active
                    } else {
                        Role::Backup
                    },
                    false,
                    read_pair(certs_dir, name, password)
                        .err()
                        .map(|e| e.to_string()),
                ),
            };
            Entry {
                name: name.clone(),
                role,
                info,
                published,
                problem,
            }
        })
        .collect();
    let (refused, auto_promoted_from) = match set {
        Ok(s) => (None, s.auto_promoted_from),
        Err(e) => (Some(e.to_string()), None),
    };
    Ok(Inventory {
        dir,
        entries,
        incomplete: incomplete_names(certs_dir)?,
        refused,
        auto_promoted_from,
    })
}
