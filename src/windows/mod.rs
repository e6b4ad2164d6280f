//! Windows sign-in: Kerberos (`Authorization: Negotiate`, no prompt on a domain PC) and the
//! Windows password on the form (checked against AD by LDAP), both mapped to the CIC user.
//!
//! Owns [`Windows`], the one object the web layer asks: "who is this Negotiate token?" and
//! "is this `DOMAIN\user` and password right?"; both answer the same [`Principal`] the
//! credential backends do, so everything after authentication is shared. The parts:
//! [`negotiate`] (the header, NTLM refused), [`kerberos`] (the GSSAPI acceptor), [`ldap`]
//! (the directory check), [`account`] (account names), [`mapper`] (account → CIC user),
//! [`accepts`] (how many Kerberos accepts run at once).
//! It never logs a token or a password.

pub mod accepts;
pub mod account;
pub mod kerberos;
pub mod ldap;
pub mod mapper;
pub mod negotiate;

use crate::backend::bound::Bound;
use crate::backend::{AuthError, CredentialBackend, Principal};
use crate::config::WindowsConfig;
use account::{FormName, NtUser};
use secrecy::SecretString;
use std::sync::Arc;

/// Why a Windows sign-in did not give a user.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum WindowsError {
    #[error(
        "NTLM is not accepted (it can be relayed; only Kerberos is): the client sent an NTLM token"
    )]
    Ntlm,
    #[error("{0}")]
    Token(kerberos::TokenError),
    #[error("the client principal is of realm `{0}`, which windows.realms does not list")]
    WrongRealm(String),
    #[error("the principal `{0}` is not a user principal")]
    NotAUser(String),
    #[error("the Windows account {0} is linked to no CIC user")]
    NotLinked(String),
    #[error("the Windows account {0} is linked to {1} CIC users")]
    LinkedTwice(String, usize),
    #[error("{0}")]
    Ldap(ldap::LdapError),
    #[error("{0}")]
    Backend(AuthError),
}

/// Kerberos and LDAP sign-in as configured by `[windows]`.
pub struct Windows {
    acceptor: Option<Arc<kerberos::Acceptor>>,
    accepts: accepts::Accepts,
    ldap: Option<Arc<ldap::LdapChecker>>,
    cfg: WindowsConfig,
    mapper: mapper::Mapper,
}

impl Windows {
    /// Loads the keytab and the directory settings; the message names the key at fault.
    pub fn new(
        cfg: &WindowsConfig,
        backend: Arc<dyn CredentialBackend>,
    ) -> Result<Windows, String> {
        let acceptor = cfg
            .keytab
            .as_deref()
            .map(|k| kerberos::Acceptor::new(k, cfg.service_principal.as_deref()))
            .transpose()?
            .map(Arc::new);
        let ldap = cfg
            .ldap
            .as_ref()
            .map(ldap::LdapChecker::new)
            .transpose()?
            .map(Arc::new);
        Ok(Windows {
            mapper: mapper::Mapper {
                backend,
                email_from: cfg.email_from,
                ldap: ldap.clone(),
            },
            acceptor,
            accepts: accepts::Accepts::new(Bound::twice_the_cores()),
            ldap,
            cfg: cfg.clone(),
        })
    }

    /// True when Negotiate is offered (a keytab is configured).
    pub fn negotiates(&self) -> bool {
        self.acceptor.is_some()
    }

    /// What to log at start-up, and warnings an operator must hear at every start.
    pub fn describe(&self) -> (String, Vec<String>) {
        let mut parts = Vec::new();
        if let Some(a) = &self.acceptor {
            parts.push(format!(
                "Kerberos as {} from {} for realms {:?}",
                a.principal().unwrap_or("any principal in the keytab"),
                a.keytab().display(),
                self.cfg.realms
            ));
        }
        if let Some(l) = &self.ldap {
            parts.push(format!("Windows password by LDAP on {:?}", l.urls()));
        }
        (parts.join("; "), self.cfg.warnings())
    }

    /// The user of an `Authorization: Negotiate` value; the reply token for mutual
    /// authentication with it. `None` when the header is not Negotiate or Negotiate is off.
    pub async fn by_kerberos(
        &self,
        authorization: &str,
    ) -> Option<Result<(Principal, Option<Vec<u8>>), WindowsError>> {
        let acceptor = self.acceptor.clone()?;
        let token = negotiate::from_header(authorization)?;
        Some(self.kerberos(acceptor, token).await)
    }

    async fn kerberos(
        &self,
        acceptor: Arc<kerberos::Acceptor>,
        token: negotiate::Token,
    ) -> Result<(Principal, Option<Vec<u8>>), WindowsError> {
        let raw = match token {
            negotiate::Token::Gss(raw) => raw,
            negotiate::Token::Ntlm => return Err(WindowsError::Ntlm),
            negotiate::Token::Malformed(why) => {
                return Err(WindowsError::Token(kerberos::TokenError::Invalid(
                    why.into(),
                )))
            }
        };
        let accepted = self
            .accepts
            .run(move || acceptor.accept(&raw))
            .await
            .map_err(WindowsError::Backend)?
            .map_err(WindowsError::Token)?;
        let (user, realm) = account::split_principal(&accepted.principal)
            .ok_or_else(|| WindowsError::NotAUser(accepted.principal.clone()))?;
        if !self.cfg.realms.iter().any(|r| r == realm) {
            return Err(WindowsError::WrongRealm(realm.to_string()));
        }
        let nt = NtUser {
            domain: self.cfg.netbios_of(realm),
            user: user.to_string(),
        };
        let p = self.mapper.principal(&nt, None).await?;
        Ok((p, accepted.reply))
    }

    /// What the user ID field of the form names: a CIC user unless the Windows password is
    /// configured and the name is `DOMAIN\user` or `user@suffix`.
    pub fn form_name(&self, text: &str) -> FormName {
        let Some(l) = &self.cfg.ldap else {
            return FormName::Cic;
        };
        let suffixes: Vec<String> = if l.upn_suffixes.is_empty() {
            self.cfg.realms.iter().map(|r| r.to_lowercase()).collect()
        } else {
            l.upn_suffixes.clone()
        };
        account::classify(text, &l.domain, &suffixes)
    }

    /// Checks the Windows password of `nt` and maps the account to its CIC user.
    pub async fn by_password(
        &self,
        nt: &NtUser,
        password: &SecretString,
    ) -> Result<Principal, WindowsError> {
        let Some(l) = &self.ldap else {
            return Err(WindowsError::Ldap(ldap::LdapError::BadCredentials));
        };
        let found = l
            .check(&nt.user, password)
            .await
            .map_err(WindowsError::Ldap)?;
        self.mapper.principal(nt, found.mail).await
    }
}
