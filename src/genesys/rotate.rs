//! `certs rotate NEW --genesys` and `certs retire OLD --genesys`: certificate changes that
//! keep Genesys Cloud able to check every login.
//!
//! Owns the order of the steps. A rotation: (1) make `NEW` as a backup, (2) write the
//! certificates we publish (old and new) to Genesys Cloud, (3) read them back and promote
//! `NEW` only once Genesys Cloud holds it, (4) say what is left. A retirement removes the
//! certificate from Genesys Cloud first, then from the folder, and never the active one.
//! Every step looks before it acts and skips what is done, so a command interrupted at any
//! point is finished by running it again. The folder's rules are `keys::folder`'s.

use super::api::{Api, ApiError};
use super::provider::{self, Cert};
use super::push::{PushError, Say};
use crate::keys::{folder, KeyError, KeySet};
use serde_json::{Map, Value};
use std::path::Path;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum RotateError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Push(#[from] PushError),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error("{0}")]
    Refused(String),
}

/// Our folder's certificates: those we publish (active first) and every pair (for names).
fn folder_certs(set: &KeySet) -> (Vec<Cert>, Vec<Cert>) {
    let cert = |k: &std::sync::Arc<crate::keys::SigningKey>| Cert {
        name: Some(k.name.clone()),
        b64: k.cert_b64.clone(),
    };
    (
        set.published().map(cert).collect(),
        set.all().map(cert).collect(),
    )
}

async fn provider_or_refuse(api: &Api) -> Result<Value, RotateError> {
    api.get_cic().await?.ok_or_else(|| {
        RotateError::Refused(
            "Genesys Cloud has no PureConnect provider yet: create it first with \
             `pureconnect-idp genesys-config --push --config …`"
                .into(),
        )
    })
}

/// Makes Genesys Cloud hold exactly `certs`, keeping its other fields; reads back to check.
async fn put_certs(
    api: &Api,
    current: &Value,
    certs: &[Cert],
    known: &[Cert],
    say: Say<'_>,
) -> Result<Value, RotateError> {
    let none = Map::new();
    for l in provider::diff(Some(current), &none, certs, known) {
        say(&format!("    {l}"));
    }
    api.put_cic(&provider::merged(Some(current), &none, certs))
        .await?;
    Ok(super::push::verify(api, &none, certs, known).await?)
}

/// What a rotation ended with.
#[derive(Debug)]
pub struct Rotated {
    /// The pair that signed before (now a backup, still published and held).
    pub previous: Option<String>,
}

/// The whole rotation to `new`. `generate` makes the pair (as `certs generate` would) when
/// the folder does not hold it yet.
pub async fn rotate(
    api: &Api,
    certs_dir: &Path,
    password: Option<&[u8]>,
    new: &str,
    generate: Box<dyn FnOnce() -> Result<(), String> + '_>,
    say: Say<'_>,
) -> Result<Rotated, RotateError> {
    folder::check_name(new)?;
    // 1. NEW as a backup.
    if folder::pair_names(certs_dir)?.iter().any(|n| n == new) {
        say(&format!("1/4 `{new}` is in the folder already: kept"));
    } else {
        generate().map_err(RotateError::Refused)?;
        say(&format!(
            "1/4 made `{new}` as a backup (published in our metadata, not signing)"
        ));
    }
    let set = folder::read_set(certs_dir, password)?;
    let (published, known) = folder_certs(&set);
    let new_cert = known
        .iter()
        .find(|c| c.name.as_deref() == Some(new))
        .cloned()
        .ok_or_else(|| RotateError::Refused(format!("`{new}` did not load from the folder")))?;
    if !published.contains(&new_cert) {
        return Err(RotateError::Refused(format!(
            "`{new}` has expired: it cannot be published or promoted; pick another name"
        )));
    }
    // 2. Genesys Cloud holds old and new (exactly what we publish).
    let current = provider_or_refuse(api).await?;
    let back = if provider::holds_exactly(&current, &published) {
        say(
            "2/4 Genesys Cloud holds exactly the certificates we publish already: nothing to write",
        );
        current
    } else {
        say(&format!(
            "2/4 writing the {} certificate(s) we publish to Genesys Cloud:",
            published.len()
        ));
        put_certs(api, &current, &published, &known, say).await?
    };
    // 3. Read back; promote only once Genesys Cloud holds NEW.
    let back = if provider::holds(&back, &new_cert.b64) {
        back
    } else {
        provider_or_refuse(api).await?
    };
    if !provider::holds(&back, &new_cert.b64) {
        return Err(RotateError::Refused(format!(
            "Genesys Cloud does not hold `{new}` yet: it is NOT promoted (the old certificate \
             keeps signing). Run the command again"
        )));
    }
    say(&format!("3/4 Genesys Cloud holds {}", new_cert.describe()));
    let p = folder::promote(certs_dir, new, password)?;
    if p.changed {
        say(&format!(
            "    `{new}` is now the active signing certificate; a running server switches within a second (or send it SIGHUP)"
        ));
    } else {
        say(&format!(
            "    `{new}` is the active signing certificate already"
        ));
    }
    let previous = p.previous.filter(|n| n != new);
    // 4. What is left.
    say("4/4 left to do:");
    say("    - a second server of the pair with its own certs_dir: copy the pair and the `active` file to it");
    match &previous {
        Some(old) => say(&format!(
            "    - once no login signed by `{old}` is in flight (wait idp.assertion_lifetime), retire it: \
             pureconnect-idp certs retire {old} --genesys --config …"
        )),
        None => say("    - retire the certificates no longer needed with `certs retire NAME --genesys`"),
    }
    Ok(Rotated { previous })
}

/// Removes `old` from Genesys Cloud (when `api` is given), then from the folder.
pub async fn retire(
    api: Option<&Api>,
    certs_dir: &Path,
    password: Option<&[u8]>,
    old: &str,
    say: Say<'_>,
) -> Result<(), RotateError> {
    folder::check_name(old)?;
    let names = folder::pair_names(certs_dir)?;
    if !names.iter().any(|n| n == old) {
        say(&format!(
            "`{old}` is not in the folder (it holds: {}): nothing left to retire",
            names.join(", ")
        ));
        return Ok(());
    }
    let set = folder::read_set(certs_dir, password)?;
    let named_active = folder::active_file(certs_dir)?;
    if set.active.name == old || named_active.as_deref() == Some(old) {
        return Err(RotateError::Refused(format!(
            "`{old}` is the active signing certificate: it cannot be retired. Rotate to another \
             first (pureconnect-idp certs rotate NEW --genesys)"
        )));
    }
    let (published, known) = folder_certs(&set);
    let gone = known
        .iter()
        .find(|c| c.name.as_deref() == Some(old))
        .cloned()
        .ok_or_else(|| RotateError::Refused(format!("`{old}` did not load from the folder")))?;
    if let Some(api) = api {
        let keep: Vec<Cert> = published.into_iter().filter(|c| c != &gone).collect();
        match api.get_cic().await? {
            None => say("Genesys Cloud has no PureConnect provider: nothing to remove there"),
            Some(current) if !provider::holds(&current, &gone.b64) => say(&format!(
                "Genesys Cloud does not hold `{old}`: nothing to remove there"
            )),
            Some(current) => {
                say(&format!("removing `{old}` from Genesys Cloud:"));
                let back = put_certs(api, &current, &keep, &known, say).await?;
                if provider::holds(&back, &gone.b64) {
                    return Err(RotateError::Refused(format!(
                        "Genesys Cloud still holds `{old}`: it stays in the folder. Run the command again"
                    )));
                }
                say(&format!("Genesys Cloud no longer holds `{old}`"));
            }
        }
    }
    crate::keys::remove::remove_pair(certs_dir, old, password)?;
    say(&format!(
        "removed `{old}` from {}; a running server stops publishing it within a second",
        folder::signing_dir(certs_dir).display()
    ));
    Ok(())
}
