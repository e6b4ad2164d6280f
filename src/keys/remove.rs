//! Removing a pair from the signing folder (`certs retire`).
//!
//! Owns the rule that the pair that signs is never removed, and that what is left must still
//! load (so a running server takes the change); the certificate goes first, so the pair
//! stops being published at once, then the key. Adding and promoting are `folder`'s.

use super::folder::{self, signing_dir};
use super::KeyError;
use std::path::Path;

/// Removes the pair `name`; refused for the active pair and when the rest would not load.
pub fn remove_pair(certs_dir: &Path, name: &str, password: Option<&[u8]>) -> Result<(), KeyError> {
    folder::check_name(name)?;
    let names = folder::pair_names(certs_dir)?;
    if !names.iter().any(|n| n == name) {
        return Err(KeyError::Folder(format!(
            "there is no pair `{name}` in {}",
            signing_dir(certs_dir).display()
        )));
    }
    let set = folder::read_set(certs_dir, password)?;
    if set.active.name == name || folder::active_file(certs_dir)?.as_deref() == Some(name) {
        return Err(KeyError::Folder(format!(
            "`{name}` is the active signing certificate: promote another pair before removing it"
        )));
    }
    let dir = signing_dir(certs_dir);
    for ext in ["crt", "key"] {
        let p = dir.join(format!("{name}.{ext}"));
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(KeyError::Folder(format!(
                    "cannot remove {}: {e}",
                    p.display()
                )))
            }
        }
    }
    Ok(())
}
