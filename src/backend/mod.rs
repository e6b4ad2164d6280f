//! The credential-backend seam: who checks a user ID and password, and what a user is.
//!
//! Owns the [`CredentialBackend`] trait, the [`Principal`] it yields and the [`AuthError`]
//! kinds the web layer maps to pages (each its own message and status). Implementations:
//! [`file`] (a users file, for demos and tests) and [`icws`] (CIC's REST API, for production).
//! A backend never logs a password.

pub mod bound;
pub mod file;
pub mod icws;

use secrecy::SecretString;
use thiserror::Error;

/// An authenticated user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user ID as the backend spells it.
    pub user_id: String,
    /// The business email: the NameID Genesys Cloud matches users by.
    pub email: String,
    pub display_name: Option<String>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum AuthError {
    /// Wrong user ID or password; says nothing about which.
    #[error("bad credentials")]
    BadCredentials,
    /// The user exists and the password is right, but there is no business email.
    #[error("the user has no business email")]
    NoEmail,
    /// Locked, disabled, password expired, no licence…: the detail goes to the log only.
    #[error("account problem: {0}")]
    AccountProblem(String),
    /// The backend could not be asked.
    #[error("backend unavailable: {0}")]
    Unavailable(String),
    /// Too many checks at once (see [`bound`]): try again in a moment.
    #[error("too many sign-ins at once")]
    Busy,
    /// A Windows account linked to no user, or to several: the detail goes to the log only.
    #[error("not linked: {0}")]
    NotLinked(String),
}

#[async_trait::async_trait]
pub trait CredentialBackend: Send + Sync {
    /// Checks the credentials; `lang` is the language of the form (a BCP 47 tag), which a
    /// backend may pass on so that its own messages match.
    async fn authenticate(
        &self,
        user: &str,
        password: &SecretString,
        lang: &str,
    ) -> Result<Principal, AuthError>;

    /// A short name for logs.
    fn kind(&self) -> &'static str;

    /// The users linked to the Windows account `nt_user` (`DOMAIN\\user`, matched without
    /// regard to case): none, one, or (a configuration mistake) several. Windows sign-in maps an
    /// account through this; a backend that cannot link accounts says it is unavailable.
    async fn find_windows_account(&self, nt_user: &str) -> Result<Vec<Principal>, AuthError> {
        let _ = nt_user;
        Err(AuthError::Unavailable(format!(
            "the {} backend cannot link Windows accounts",
            self.kind()
        )))
    }

    /// Ends what the backend keeps open (at shutdown), e.g. the ICWS service session.
    async fn close(&self) {}

    /// Whether the backend can be asked now (for `/readyz`); `Err` says why not.
    async fn ready(&self) -> Result<(), String> {
        Ok(())
    }

    /// Configuration an operator must be warned about (logged at start-up; for readiness
    /// reports), e.g. certificate verification turned off.
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
}
