//! The session secret: base64 (standard or URL-safe) of exactly 32 bytes, never printed.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::Deserialize;

/// The key that seals the login state and the SSO cookie; both instances of a pair share it.
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct SessionSecret([u8; 32]);

impl SessionSecret {
    /// Decodes the text of `session.secret` or of `session.secret_file`.
    pub fn decode(text: &str) -> Result<SessionSecret, String> {
        let t = text.trim();
        let bytes = STANDARD
            .decode(t)
            .or_else(|_| URL_SAFE_NO_PAD.decode(t.trim_end_matches('=')))
            .map_err(|_| "is not base64 (make one with `openssl rand -base64 32`)".to_string())?;
        <[u8; 32]>::try_from(bytes.as_slice())
            .map(SessionSecret)
            .map_err(|_| format!("must decode to 32 bytes, not {}", bytes.len()))
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl TryFrom<String> for SessionSecret {
    type Error = String;
    fn try_from(s: String) -> Result<SessionSecret, String> {
        SessionSecret::decode(&s)
    }
}

impl std::fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionSecret(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets() {
        let s = SessionSecret::decode("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").unwrap();
        assert_eq!(s.bytes(), &[0u8; 32]);
        assert!(!format!("{s:?}").contains("AAAA"));
        assert!(SessionSecret::decode("c2hvcnQ=")
            .err()
            .unwrap()
            .contains("32 bytes"));
        assert!(SessionSecret::decode("***").is_err());
    }
}
