//! The parameters of a received SAML message: a query string or a form body split once.
//!
//! Owns turning `a=b&c=d` into the SAML parameters (`SAMLRequest`, `SAMLResponse`,
//! `RelayState`, `SigAlg`, `Signature`) and the others (`loginType`, `sp`, …). Names are
//! compared after percent-decoding, so `SAML%52equest` is `SAMLRequest`; a SAML parameter
//! that appears twice, in any spelling, is refused, so the part a signature covers and the
//! part the reader takes are always the same one. Each SAML value keeps its raw, still
//! encoded form beside the decoded one, because the HTTP-Redirect signature covers the raw
//! octets (bindings §3.4.4.1). RelayState is checked here: at most [`MAX_RELAY_STATE`] bytes
//! and no control characters, since it goes back to the SP byte for byte.

use super::InboundError;
use std::borrow::Cow;
use std::collections::HashMap;

/// RelayState is opaque to us; SAML says 80 bytes, real SPs send more. Beyond this it is refused.
pub const MAX_RELAY_STATE: usize = 2048;

/// The SAML parameters, by their decoded names.
pub const SAML_NAMES: [&str; 5] = [
    "SAMLRequest",
    "SAMLResponse",
    "RelayState",
    "SigAlg",
    "Signature",
];

/// One SAML parameter: its value as received and decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    /// The value as it stood in the query, still percent-encoded.
    pub raw: &'a str,
    pub value: String,
}

/// A query or form body, split once.
#[derive(Debug, Default, Clone)]
pub struct Params<'a> {
    saml: [Option<Part<'a>>; 5],
    /// Other parameters: the first value of each name.
    other: HashMap<String, String>,
}

/// `name=value` percent-decoded as forms are (`+` is a space), by the url crate.
fn decode_pair(part: &str) -> (Cow<'_, str>, Cow<'_, str>) {
    url::form_urlencoded::parse(part.as_bytes())
        .next()
        .unwrap_or((Cow::Borrowed(""), Cow::Borrowed("")))
}

/// Whether a raw (still percent-encoded) value decodes to UTF-8 text. Only an escape of a byte
/// from 0x80 up can break it, so a value without one (base64, nearly every RelayState) is
/// not decoded again.
fn exact_text(raw: &str) -> bool {
    let high = raw
        .as_bytes()
        .windows(2)
        .any(|w| w[0] == b'%' && matches!(w[1], b'8'..=b'9' | b'A'..=b'F' | b'a'..=b'f'));
    !high
        || percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .is_ok()
}

impl<'a> Params<'a> {
    /// Splits `raw` (a query string without `?`, or an `application/x-www-form-urlencoded`
    /// body) once.
    pub fn parse(raw: &'a str) -> Result<Params<'a>, InboundError> {
        let mut p = Params::default();
        for part in raw.split('&').filter(|s| !s.is_empty()) {
            let raw = part.split_once('=').map_or("", |(_, v)| v);
            let (name, value) = decode_pair(part);
            if let Some(i) = SAML_NAMES.iter().position(|n| *n == name) {
                if p.saml[i].is_some() {
                    return Err(InboundError::Repeated(SAML_NAMES[i]));
                }
                // The lossy decoding above put U+FFFD for bytes that are not UTF-8: a value
                // the SP would not get back as it sent it (RelayState), or not ours to read.
                if !exact_text(raw) {
                    return Err(InboundError::NotText(SAML_NAMES[i]));
                }
                p.saml[i] = Some(Part {
                    raw,
                    value: value.into_owned(),
                });
            } else {
                p.other
                    .entry(name.into_owned())
                    .or_insert_with(|| value.into_owned());
            }
        }
        if let Some(rs) = p.relay_state() {
            check_relay_state(rs)?;
        }
        Ok(p)
    }

    /// The SAML parameter `name` (one of [`SAML_NAMES`]).
    pub fn saml(&self, name: &str) -> Option<&Part<'a>> {
        let i = SAML_NAMES.iter().position(|n| *n == name)?;
        self.saml[i].as_ref()
    }

    /// A parameter that is not a SAML one (`loginType`, `sp`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.other.get(name).map(String::as_str)
    }

    /// Every parameter that is not a SAML one, by name (the first value of each).
    pub fn others(&self) -> &HashMap<String, String> {
        &self.other
    }

    pub fn relay_state(&self) -> Option<&str> {
        self.saml("RelayState").map(|p| p.value.as_str())
    }
}

/// RelayState goes back to the SP exactly as it came: one we could not return unchanged (too
/// long for us, or holding control characters a page or a log would alter) is refused.
pub fn check_relay_state(rs: &str) -> Result<(), InboundError> {
    if rs.len() > MAX_RELAY_STATE {
        return Err(InboundError::RelayStateTooLong);
    }
    if rs.chars().any(char::is_control) {
        return Err(InboundError::RelayStateControl);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saml_value_that_is_not_utf8_once_decoded_is_refused() {
        // Returned lossily, %FF%FE came back to the SP as two U+FFFD (EF BF BD EF BF BD).
        for q in [
            "RelayState=%FF%FE",
            "SAMLRequest=abc%C3",
            "RelayState=a%ED%A0%80b",
        ] {
            assert!(
                matches!(Params::parse(q), Err(InboundError::NotText(_))),
                "{q}"
            );
        }
        let p = Params::parse("RelayState=caf%C3%A9+%E2%9C%93&sp=%FF").unwrap();
        assert_eq!(p.relay_state(), Some("café ✓"));
    }

    #[test]
    fn names_are_compared_decoded_and_a_saml_name_may_come_once() {
        let p = Params::parse("loginType=saml&SAML%52equest=a%2Bb&Relay%53tate=x+y").unwrap();
        assert_eq!(p.saml("SAMLRequest").unwrap().value, "a+b");
        assert_eq!(p.saml("SAMLRequest").unwrap().raw, "a%2Bb");
        assert_eq!(p.relay_state(), Some("x y"));
        assert_eq!(p.get("loginType"), Some("saml"));
        for twice in [
            "SAMLRequest=a&SAML%52equest=b",
            "SAMLRequest=a&SAMLRequest=a",
            "RelayState=a&Relay%53tate=b",
            "SigAlg=a&Sig%41lg=a",
            "Signature=a&%53ignature=b",
            "SAMLResponse=a&SAMLResponse=b",
        ] {
            assert!(
                matches!(Params::parse(twice), Err(InboundError::Repeated(_))),
                "{twice}"
            );
        }
        // Other names: the first value wins, as before.
        assert_eq!(Params::parse("sp=a&sp=b").unwrap().get("sp"), Some("a"));
    }

    #[test]
    fn relay_state_is_returned_unchanged_or_refused() {
        for bad in ["a%0Db", "a%0Ab", "%1B[31m", "a%00", "%7F"] {
            assert_eq!(
                Params::parse(&format!("RelayState={bad}")).err(),
                Some(InboundError::RelayStateControl),
                "{bad}"
            );
        }
        let long = "x".repeat(MAX_RELAY_STATE + 1);
        assert_eq!(
            Params::parse(&format!("RelayState={long}")).err(),
            Some(InboundError::RelayStateTooLong)
        );
        let ok = Params::parse("RelayState=%E6%97%A5+%26%3D").unwrap();
        assert_eq!(ok.relay_state(), Some("日 &="));
    }

    #[test]
    fn malformed_escapes_stay_as_they_are() {
        let p = Params::parse("a=%zz&b=%4").unwrap();
        assert_eq!((p.get("a"), p.get("b")), (Some("%zz"), Some("%4")));
    }
}
