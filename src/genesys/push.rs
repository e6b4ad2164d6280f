//! `genesys-config --push`: write our provider configuration to Genesys Cloud.
//!
//! Owns the order of the exchange: read the provider, show how it differs from ours, ask,
//! write the whole object (fields we do not manage kept as Genesys Cloud has them), read it
//! back and check that it now says what we wrote — the certificates exactly those we
//! publish, at most five. Nothing is written when nothing differs, so running it again is
//! harmless.

use super::api::{Api, ApiError};
use super::provider::{self, Cert};
use crate::keys::MAX_PAIRS;
use serde_json::{Map, Value};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum PushError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("not written: not confirmed (answer `y`, or give --yes)")]
    NotConfirmed,
    #[error("{0} certificates to publish: Genesys Cloud holds at most {MAX_PAIRS}")]
    TooMany(usize),
    #[error("Genesys Cloud accepted the write but reads back differently: {0}")]
    NotApplied(String),
    #[error("{0}")]
    Refused(String),
}

/// What the commands print through: one line at a time.
pub type Say<'a> = &'a mut dyn FnMut(&str);

/// What a push found and did.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    AlreadyEqual,
    Written,
}

/// Pushes `fields` and exactly `certs` (the active one first). `confirm` sees the diff and
/// says whether to go on; `known` names the certificates of our folder in the output.
pub async fn push(
    api: &Api,
    fields: &Map<String, Value>,
    certs: &[Cert],
    known: &[Cert],
    confirm: &mut dyn FnMut(&[String]) -> bool,
    say: Say<'_>,
) -> Result<Pushed, PushError> {
    if certs.len() > MAX_PAIRS {
        return Err(PushError::TooMany(certs.len()));
    }
    if certs.is_empty() {
        return Err(PushError::Refused(
            "no certificate to publish: the signing folder has no valid pair".into(),
        ));
    }
    let current = api.get_cic().await?;
    let lines = provider::diff(current.as_ref(), fields, certs, known);
    if current.is_some() && lines.is_empty() {
        say("Genesys Cloud already holds this configuration: nothing to write");
        return Ok(Pushed::AlreadyEqual);
    }
    match &current {
        None => say("Genesys Cloud has no PureConnect provider yet; it will be created with:"),
        Some(_) => say("Genesys Cloud's PureConnect provider differs from ours:"),
    }
    for l in &lines {
        say(l);
    }
    if !confirm(&lines) {
        return Err(PushError::NotConfirmed);
    }
    let body = provider::merged(current.as_ref(), fields, certs);
    api.put_cic(&body).await?;
    verify(api, fields, certs, known).await?;
    say(&format!(
        "written and read back: Genesys Cloud holds our configuration and exactly our {} certificate(s)",
        certs.len()
    ));
    Ok(Pushed::Written)
}

/// Reads the provider back and checks it says what we wrote.
pub async fn verify(
    api: &Api,
    fields: &Map<String, Value>,
    certs: &[Cert],
    known: &[Cert],
) -> Result<Value, PushError> {
    let back = api
        .get_cic()
        .await?
        .ok_or_else(|| PushError::NotApplied("the provider is not there".into()))?;
    let lines = provider::diff(Some(&back), fields, certs, known);
    if !lines.is_empty() {
        return Err(PushError::NotApplied(lines.join("; ")));
    }
    Ok(back)
}
