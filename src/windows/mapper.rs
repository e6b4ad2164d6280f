//! From a Windows account to the CIC user: the [`Principal`] every sign-in ends with.
//!
//! Owns the linking rule: the credential backend names the users whose Windows account is
//! `DOMAIN\user` ([`CredentialBackend::find_windows_account`]: CIC's NT Domain User through
//! the ICWS service session, or `windows_account` in the users file); exactly one must be
//! found. With `email_from = "ldap:mail"` the NameID is the AD account's `mail` instead of the
//! CIC email (looked up with the service account when the sign-in did not read it already).

use super::account::NtUser;
use super::ldap::LdapChecker;
use super::WindowsError;
use crate::backend::{AuthError, CredentialBackend, Principal};
use crate::config::EmailFrom;
use std::sync::Arc;

pub struct Mapper {
    pub backend: Arc<dyn CredentialBackend>,
    pub email_from: EmailFrom,
    pub ldap: Option<Arc<LdapChecker>>,
}

impl Mapper {
    /// The CIC user of `nt`; `mail` is the AD mail when the sign-in already read it.
    pub async fn principal(
        &self,
        nt: &NtUser,
        mail: Option<String>,
    ) -> Result<Principal, WindowsError> {
        let name = nt.to_string();
        let mut found = self
            .backend
            .find_windows_account(&name)
            .await
            .map_err(WindowsError::Backend)?;
        let mut p = match found.len() {
            0 => return Err(WindowsError::NotLinked(name)),
            1 => found.remove(0),
            n => return Err(WindowsError::LinkedTwice(name, n)),
        };
        if self.email_from == EmailFrom::LdapMail {
            let mail = match (mail, &self.ldap) {
                (Some(m), _) => Some(m),
                (None, Some(l)) => l.lookup(&nt.user).await.map_err(WindowsError::Ldap)?.mail,
                (None, None) => None,
            };
            p.email = mail.ok_or(WindowsError::Backend(AuthError::NoEmail))?;
        }
        Ok(p)
    }
}
