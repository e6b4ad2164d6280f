//! The users-file backend: a TOML list of users with argon2id password hashes.
//!
//! Owns reading and checking the file at start-up, matching a user ID case-insensitively as
//! CIC does, and verifying the password off the async executor. An unknown user costs the
//! same hash as a known one, so timing does not tell whether a user exists.

use super::{AuthError, CredentialBackend, Principal};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    #[serde(default)]
    users: Vec<UserEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    pub id: String,
    pub password_hash: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
}

pub struct FileBackend {
    users: HashMap<String, Arc<UserEntry>>,
    /// Verified against when the user does not exist, to even out timing.
    decoy_hash: String,
}

/// Hashes a password as an argon2id PHC string (the form the users file holds).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn fold(id: &str) -> String {
    id.trim().to_lowercase()
}

impl FileBackend {
    pub fn load(path: &Path) -> Result<FileBackend, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read users file {}: {e}", path.display()))?;
        let file: UsersFile = toml::from_str(&text)
            .map_err(|e| format!("users file {}: {}", path.display(), e.to_string().trim()))?;
        FileBackend::from_entries(file.users)
            .map_err(|m| format!("users file {}: {m}", path.display()))
    }

    pub fn from_entries(entries: Vec<UserEntry>) -> Result<FileBackend, String> {
        let mut users = HashMap::new();
        for (i, u) in entries.into_iter().enumerate() {
            if u.id.trim().is_empty() {
                return Err(format!("users[{i}].id is empty"));
            }
            let parsed = PasswordHash::new(&u.password_hash).map_err(|_| {
                format!(
                    "users[{i}] ({}): password_hash is not a PHC string; make one with `pureconnect-idp users hash`",
                    u.id
                )
            })?;
            if parsed.algorithm.as_str() != "argon2id" {
                return Err(format!(
                    "users[{i}] ({}): password_hash must be argon2id, not {}",
                    u.id, parsed.algorithm
                ));
            }
            if users.insert(fold(&u.id), Arc::new(u.clone())).is_some() {
                return Err(format!("users[{i}]: user ID `{}` appears twice", u.id));
            }
        }
        Ok(FileBackend {
            users,
            decoy_hash: hash_password("decoy password that matches nothing")?,
        })
    }

    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

fn verify(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

#[async_trait::async_trait]
impl CredentialBackend for FileBackend {
    async fn authenticate(
        &self,
        user: &str,
        password: &SecretString,
        _lang: &str,
    ) -> Result<Principal, AuthError> {
        let entry = self.users.get(&fold(user)).cloned();
        let hash = entry
            .as_ref()
            .map_or_else(|| self.decoy_hash.clone(), |u| u.password_hash.clone());
        let pw = SecretString::from(password.expose_secret().to_owned());
        let ok = tokio::task::spawn_blocking(move || verify(&hash, pw.expose_secret()))
            .await
            .map_err(|e| AuthError::Unavailable(format!("password check failed: {e}")))?;
        let u = match (entry, ok) {
            (Some(u), true) => u,
            _ => return Err(AuthError::BadCredentials),
        };
        let email = u
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .ok_or(AuthError::NoEmail)?;
        Ok(Principal {
            user_id: u.id.clone(),
            email: email.to_string(),
            display_name: u.display_name.clone(),
        })
    }

    fn kind(&self) -> &'static str {
        "file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend() -> FileBackend {
        let h = hash_password("s3cret").unwrap();
        FileBackend::from_entries(vec![
            UserEntry {
                id: "Agent1".into(),
                password_hash: h.clone(),
                email: Some("agent1@example.com".into()),
                display_name: Some("Agent One".into()),
            },
            UserEntry {
                id: "noemail".into(),
                password_hash: h,
                email: None,
                display_name: None,
            },
        ])
        .unwrap()
    }

    #[tokio::test]
    async fn checks_passwords_case_insensitive_ids_and_email() {
        let b = backend();
        let pw = SecretString::from("s3cret".to_string());
        let p = b.authenticate("AGENT1", &pw, "en-US").await.unwrap();
        assert_eq!(p.email, "agent1@example.com");
        assert_eq!(p.user_id, "Agent1");
        let wrong = SecretString::from("nope".to_string());
        assert_eq!(
            b.authenticate("agent1", &wrong, "en-US").await,
            Err(AuthError::BadCredentials)
        );
        assert_eq!(
            b.authenticate("ghost", &pw, "en-US").await,
            Err(AuthError::BadCredentials)
        );
        assert_eq!(
            b.authenticate("noemail", &pw, "en-US").await,
            Err(AuthError::NoEmail)
        );
    }

    #[test]
    fn refuses_bad_files() {
        let e = FileBackend::from_entries(vec![UserEntry {
            id: "x".into(),
            password_hash: "plaintext".into(),
            email: None,
            display_name: None,
        }])
        .err()
        .unwrap();
        assert!(e.contains("users hash"), "{e}");
    }
}
