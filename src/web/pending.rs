//! A login between "form shown" and "credentials posted": what is sealed into the form.
//!
//! Owns the shape of that state and its purpose label. The field names in the token stay one
//! or two letters (`serde(rename)`): the token travels in every form, and a form shown by one
//! instance of a pair is finished by the other, so the names are part of the wire format.

use crate::session::{SealError, Sealer};
use serde::{Deserialize, Serialize};

/// Purpose label of the sealed pending-login state.
pub const STATE_PURPOSE: &str = "pureconnect-idp/login-state/v1";

/// A login waiting for the user's credentials.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// The AuthnRequest's ID (InResponseTo); none for an IdP-initiated login.
    #[serde(rename = "rid")]
    pub request_id: Option<String>,
    /// The SP's entity ID.
    pub sp: String,
    /// The approved ACS URL.
    pub acs: String,
    /// The RelayState to send back.
    #[serde(rename = "rs")]
    pub relay_state: Option<String>,
    /// This form's identifier: it may end in a Response once (set when the form is shown).
    #[serde(rename = "n")]
    pub form_id: String,
    /// The `idp_browser` cookie value of the browser the form was shown to.
    #[serde(rename = "b")]
    pub browser: String,
    /// Until when (seconds since the epoch) the signed request's ID is still to be recorded
    /// as answered: set when the pass that received the request did not record it (the
    /// Negotiate challenge), so the answer records it, the first answer winning. `None`:
    /// nothing left to record (unsigned, IdP-initiated, or recorded on receipt).
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub unrecorded: Option<i64>,
}

impl Pending {
    /// The sealed token for the form.
    pub fn seal(&self, sealer: &Sealer) -> Result<String, SealError> {
        sealer.seal(STATE_PURPOSE, self)
    }

    /// The state of a returned form, if it is ours, intact and younger than `max_age` seconds.
    pub fn unseal(sealer: &Sealer, token: &str, max_age: i64) -> Result<Pending, SealError> {
        sealer.unseal(STATE_PURPOSE, token, max_age)
    }
}
