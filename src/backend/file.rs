//! The users-file backend: a TOML list of users with argon2id password hashes.
//!
//! Owns reading and checking the file at start-up, matching a user ID case-insensitively as
//! CIC does, and verifying the password off the async executor. An unknown user costs the
//! same hash as a known one, so timing does not tell whether a user exists. Hashing is
//! bounded ([`Bound`]: about twice the cores at once, the rest queued, then busy) and runs in
//! memory kept for it: each argon2id check needs about 19 MiB, and a fresh allocation each
//! time let the allocator's arenas grow with every parallel check and keep the memory.

use super::bound::Bound;
use super::{AuthError, CredentialBackend, Principal};
use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, Block, Params};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
    /// The Windows account (`DOMAIN\\user`) that signs in as this user.
    #[serde(default)]
    pub windows_account: Option<String>,
}

impl UserEntry {
    /// The user as signed in: a user without a business email cannot be (`NoEmail`).
    fn principal(&self) -> Result<Principal, AuthError> {
        let email = self
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .ok_or(AuthError::NoEmail)?;
        Ok(Principal {
            user_id: self.id.clone(),
            email: email.to_string(),
            display_name: self.display_name.clone(),
        })
    }
}

pub struct FileBackend {
    users: HashMap<String, Arc<UserEntry>>,
    /// Verified against when the user does not exist, to even out timing.
    decoy_hash: String,
    /// Hashes at once, and the queue before them.
    bound: Bound,
    /// Argon2 memory of finished checks, for the next ones (at most one per permit).
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
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
            if let Some(w) = &u.windows_account {
                crate::windows::account::NtUser::parse(w)
                    .map_err(|m| format!("users[{i}] ({}): windows_account: {m}", u.id))?;
            }
            if users.insert(fold(&u.id), Arc::new(u.clone())).is_some() {
                return Err(format!("users[{i}]: user ID `{}` appears twice", u.id));
            }
        }
        Ok(FileBackend {
            users,
            decoy_hash: hash_password("decoy password that matches nothing")?,
            bound: Bound::new(Bound::twice_the_cores(), 128, Duration::from_secs(10)),
            memory: Arc::new(Mutex::new(Vec::new())),
        })
    }

    /// Sets the hashing bound: `concurrency` hashes at once (0: twice the cores), `queue`
    /// more waiting, each up to `wait`; beyond, [`AuthError::Busy`].
    pub fn bounded(mut self, concurrency: usize, queue: usize, wait: Duration) -> FileBackend {
        let n = if concurrency == 0 {
            Bound::twice_the_cores()
        } else {
            concurrency
        };
        self.bound = Bound::new(n, queue, wait);
        self
    }

    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

/// Whether `password` matches the PHC string `hash`, hashing in `memory` (grown as the
/// parameters need, kept for the next check). The comparison is constant-time ([`Output`]).
fn verify(hash: &str, password: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(h) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (h.salt, h.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        argon2::Algorithm::try_from(h.algorithm),
        Params::try_from(&h),
    ) else {
        return false;
    };
    let version = match h.version.map(argon2::Version::try_from) {
        None => argon2::Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    let mut out = [0u8; Output::MAX_LENGTH];
    let Some(out) = out.get_mut(..expected.len()) else {
        return false;
    };
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, out, &mut memory[..])
        .is_ok()
        && Output::new(out).is_ok_and(|o| o == expected)
}

impl FileBackend {
    /// Checks `password` against `hash` in a blocking thread, under the bound.
    async fn check(&self, hash: String, password: SecretString) -> Result<bool, AuthError> {
        let permit = self.bound.enter().await?;
        let pool = self.memory.clone();
        tokio::task::spawn_blocking(move || {
            // The permit is held until the hash is done, even if the request has gone.
            let _permit = permit;
            let mut memory = pool
                .lock()
                .map(|mut p| p.pop())
                .unwrap_or(None)
                .unwrap_or_default();
            let ok = verify(&hash, password.expose_secret(), &mut memory);
            if let Ok(mut p) = pool.lock() {
                p.push(memory);
            }
            ok
        })
        .await
        .map_err(|e| AuthError::Unavailable(format!("password check failed: {e}")))
    }
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
        let ok = self.check(hash, pw).await?;
        let u = match (entry, ok) {
            (Some(u), true) => u,
            _ => return Err(AuthError::BadCredentials),
        };
        u.principal()
    }

    fn kind(&self) -> &'static str {
        "file"
    }

    async fn find_windows_account(&self, nt_user: &str) -> Result<Vec<Principal>, AuthError> {
        let mut found = Vec::new();
        for u in self.users.values() {
            if !u
                .windows_account
                .as_deref()
                .is_some_and(|w| w.trim().eq_ignore_ascii_case(nt_user.trim()))
            {
                continue;
            }
            found.push(u.principal()?);
        }
        found.sort_by(|a, b| a.user_id.cmp(&b.user_id));
        Ok(found)
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
                windows_account: Some("EXAMPLE\\agent1".into()),
            },
            UserEntry {
                id: "noemail".into(),
                password_hash: h,
                email: None,
                display_name: None,
                windows_account: None,
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn beyond_the_bound_and_its_queue_a_check_is_busy() {
        let b = Arc::new(backend().bounded(1, 0, Duration::from_secs(5)));
        let pw = SecretString::from("s3cret".to_string());
        let checks: Vec<_> = (0..4)
            .map(|i| {
                let (b, pw) = (b.clone(), pw.clone());
                tokio::spawn(async move { b.authenticate(&format!("u{i}"), &pw, "en").await })
            })
            .collect();
        let mut busy = 0;
        for c in checks {
            match c.await.unwrap() {
                Err(AuthError::Busy) => busy += 1,
                r => assert_eq!(r, Err(AuthError::BadCredentials)),
            }
        }
        assert!(
            busy >= 1,
            "one hash at once and no queue: some check was busy"
        );
        // Memory is kept for the next check: one buffer for the one permit.
        assert_eq!(b.memory.lock().unwrap().len(), 1);
        let p = b.authenticate("agent1", &pw, "en").await.unwrap();
        assert_eq!(p.user_id, "Agent1");
    }

    #[tokio::test]
    async fn windows_accounts_link_case_insensitively() {
        let b = backend();
        let found = b.find_windows_account("example\\AGENT1").await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].user_id, "Agent1");
        assert!(b
            .find_windows_account("EXAMPLE\\ghost")
            .await
            .unwrap()
            .is_empty());
    }

    #[test]
    fn verifies_as_argon2_does() {
        use argon2::password_hash::PasswordVerifier;
        let h = hash_password("s3cret").unwrap();
        let mut mem = Vec::new();
        for pw in ["s3cret", "s3cre", "S3cret", ""] {
            let theirs = Argon2::default()
                .verify_password(pw.as_bytes(), &PasswordHash::new(&h).unwrap())
                .is_ok();
            assert_eq!(verify(&h, pw, &mut mem), theirs, "{pw}");
        }
        assert!(!verify("not a hash", "x", &mut mem));
    }

    #[test]
    fn refuses_bad_files() {
        let e = FileBackend::from_entries(vec![UserEntry {
            id: "x".into(),
            password_hash: "plaintext".into(),
            email: None,
            display_name: None,
            windows_account: None,
        }])
        .err()
        .unwrap();
        assert!(e.contains("users hash"), "{e}");
    }
}
