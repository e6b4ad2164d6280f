//! The password that opens encrypted signing keys: where it comes from, and keeping it secret.
//!
//! Owns choosing the source — `idp.key_password`, else `idp.key_password_file`, else the
//! `IDP_KEY_PASSWORD` environment variable — and holding the value in a [`SecretSlice`] so it
//! never reaches a log or a `Debug` print. It never says what the password is, only where it
//! was looked for.

use crate::config::{Config, ConfigError};
use secrecy::{ExposeSecret, SecretSlice};

/// The environment variable read when the configuration names no password.
pub const PASSWORD_ENV: &str = "IDP_KEY_PASSWORD";

/// Where a password may be given, for messages.
pub const SOURCES: &str =
    "idp.key_password, idp.key_password_file or the IDP_KEY_PASSWORD environment variable";

/// The key password from the configuration or the environment; `None` when none is given.
pub fn from_config(cfg: &Config) -> Result<Option<SecretSlice<u8>>, ConfigError> {
    if let Some(p) = &cfg.idp.key_password {
        return non_empty(p.expose_secret().as_bytes())
            .map(Some)
            .ok_or_else(|| cfg.invalid("idp.key_password", "is empty"));
    }
    if let Some(path) = &cfg.idp.key_password_file {
        let bytes = std::fs::read(path).map_err(|e| {
            cfg.invalid(
                "idp.key_password_file",
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        let secret = SecretSlice::from(bytes);
        return non_empty(strip_line_end(secret.expose_secret()))
            .map(Some)
            .ok_or_else(|| {
                cfg.invalid(
                    "idp.key_password_file",
                    format!("{} is empty", path.display()),
                )
            });
    }
    match std::env::var_os(PASSWORD_ENV) {
        Some(v) if !v.is_empty() => Ok(Some(SecretSlice::from(
            v.into_encoded_bytes().into_boxed_slice(),
        ))),
        _ => Ok(None),
    }
}

fn non_empty(b: &[u8]) -> Option<SecretSlice<u8>> {
    (!b.is_empty()).then(|| SecretSlice::from(b.to_vec()))
}

/// A password file may end with one line break (as editors and `echo` write it).
fn strip_line_end(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    b.strip_suffix(b"\r").unwrap_or(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const SECRET: &str = "[session]\nsecret = \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\n";

    fn cfg(idp: &str, base: &Path) -> Config {
        Config::from_toml(&format!("{SECRET}[idp]\n{idp}"), "t.toml", base).unwrap()
    }

    #[test]
    fn from_the_file_with_its_line_break_removed_and_never_in_debug() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("pw"), "s3cret pass\r\n").unwrap();
        let c = cfg("key_password_file = \"pw\"\n", d.path());
        let p = from_config(&c).unwrap().unwrap();
        assert_eq!(p.expose_secret(), b"s3cret pass");
        assert!(!format!("{p:?}").contains("s3cret"));
        let inline = cfg("key_password = \"inline-pw\"\n", d.path());
        assert!(!format!("{inline:?}").contains("inline-pw"));
        assert_eq!(
            from_config(&inline).unwrap().unwrap().expose_secret(),
            b"inline-pw"
        );
    }

    #[test]
    fn missing_or_empty_file_names_the_key() {
        let d = tempfile::tempdir().unwrap();
        let c = cfg("key_password_file = \"nope\"\n", d.path());
        let e = from_config(&c).unwrap_err().to_string();
        assert!(e.contains("idp.key_password_file"), "{e}");
        std::fs::write(d.path().join("empty"), "\n").unwrap();
        let c = cfg("key_password_file = \"empty\"\n", d.path());
        let e = from_config(&c).unwrap_err().to_string();
        assert!(e.contains("is empty"), "{e}");
    }
}
