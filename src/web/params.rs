//! The parameters of a request, split once and read into typed values.
//!
//! Owns [`split`] (the query or form body through `saml::inbound::Params`, which refuses a
//! repeated SAML parameter) and the typed views of what is left: [`LoginQuery`] for the SSO
//! endpoint's own parameters and [`CredentialForm`] for the credential form. A name that
//! appears twice keeps its first value, as browsers send a form's fields in order.

use super::pages::PageError;
use crate::saml::inbound::Params;
use secrecy::SecretString;
use serde::de::value::MapDeserializer;
use serde::{Deserialize, Deserializer};
use std::collections::HashMap;

/// The query or form body split once, or the 400 page that says why it cannot be.
pub fn split(raw: &[u8]) -> Result<Params<'_>, PageError> {
    let text = std::str::from_utf8(raw)
        .map_err(|_| PageError::bad_request("the request's parameters are not UTF-8 text"))?;
    Params::parse(text).map_err(|e| PageError::bad_request(e.to_string()))
}

/// Form parameters outside the SAML pipeline (the demo SP's ACS), first value of each name.
pub fn params(raw: &[u8]) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(raw) {
        m.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    m
}

/// The SSO endpoint's own parameters, beside the SAML ones.
#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    /// Must be `saml`.
    #[serde(rename = "loginType", default, deserialize_with = "present")]
    pub login_type: Option<String>,
    /// An IdP-initiated login names its SP (entity ID or alias).
    #[serde(default, deserialize_with = "present")]
    pub sp: Option<String>,
}

/// What the credential form posts back.
#[derive(Default, Deserialize)]
pub struct CredentialForm {
    /// The sealed pending login ([`super::pending::Pending`]).
    #[serde(default, deserialize_with = "present")]
    pub state: Option<String>,
    /// Which button: `login` (the default), `cancel` or `language`.
    #[serde(default, deserialize_with = "present")]
    pub action: Option<String>,
    #[serde(default)]
    pub user_id: String,
    #[serde(default, deserialize_with = "secret")]
    pub password: SecretString,
    /// The language the form was shown in.
    #[serde(default, deserialize_with = "present")]
    pub lang: Option<String>,
    /// The language picked in the form's language list.
    #[serde(default, deserialize_with = "present")]
    pub pick_lang: Option<String>,
    /// The SP's entity ID, in clear: the "start again" link when the state cannot be read.
    #[serde(default, deserialize_with = "present")]
    pub sp: Option<String>,
    #[serde(rename = "loginType", default, deserialize_with = "present")]
    pub login_type: Option<String>,
}

/// Reads the named fields of an already split request into `T`; other names are ignored.
pub fn typed<T: for<'de> Deserialize<'de>>(
    fields: &HashMap<String, String>,
) -> Result<T, PageError> {
    let pairs = fields.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    T::deserialize(MapDeserializer::<_, serde::de::value::Error>::new(pairs))
        .map_err(|e| PageError::bad_request(format!("the request's parameters: {e}")))
}

/// A parameter that is there, even empty, is `Some`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    String::deserialize(d).map(SecretString::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn fields(raw: &str) -> HashMap<String, String> {
        split(raw.as_bytes()).unwrap().others().clone()
    }

    #[test]
    fn a_credential_form_reads_into_its_fields() {
        let f: CredentialForm = typed(&fields(
            "state=abc&user_id=agent1&password=p%26w&action=&lang=de",
        ))
        .unwrap();
        assert_eq!(f.state.as_deref(), Some("abc"));
        assert_eq!(f.user_id, "agent1");
        assert_eq!(f.password.expose_secret(), "p&w");
        // Present but empty is not absent: an empty action is still "given".
        assert_eq!(f.action.as_deref(), Some(""));
        assert_eq!(f.lang.as_deref(), Some("de"));
        assert!(f.pick_lang.is_none() && f.sp.is_none());
    }

    #[test]
    fn the_first_of_a_repeated_field_wins_and_unknown_fields_are_ignored() {
        let q: LoginQuery = typed(&fields("loginType=saml&loginType=x&sp=demo&other=1")).unwrap();
        assert_eq!(q.login_type.as_deref(), Some("saml"));
        assert_eq!(q.sp.as_deref(), Some("demo"));
        let empty: LoginQuery = typed(&fields("")).unwrap();
        assert!(empty.login_type.is_none() && empty.sp.is_none());
    }
}
