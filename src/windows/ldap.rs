//! The Windows password, checked against Active Directory by LDAP (`ldap3`).
//!
//! Owns the check: refuse an empty password before any bind (an unauthenticated simple bind
//! "succeeds"), bind as the service account, look the user up with `user_filter` (the name
//! escaped), then bind as the user's DN with the password. Each server in `urls` is tried in
//! order, each bounded by `timeout`; a server that is down, slow or refuses the service
//! account makes the next one be asked, and when none answers the check is
//! [`LdapError::Unavailable`]. Transport: `ldaps://`, or `ldap://` with StartTLS, the
//! certificate checked against `ca_file` (or the system roots); plain `ldap://` only with
//! `danger_allow_plaintext` (refused by `config` otherwise). Passwords are in no log or error.
//! [`LdapChecker::bind_each`] is the service-account bind alone, for `doctor`.
//! At most `max_concurrent` checks and lookups talk to the directory at once (a [`Bound`]);
//! the rest wait up to `max_wait`, then are [`LdapError::Busy`], so a burst of form posts
//! cannot open hundreds of connections at the domain controllers (`doctor` is not bounded).

use crate::backend::bound::Bound;
use crate::config::LdapConfig;
use crate::values::LdapUrl;
use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;

/// LDAP result code for a wrong password (RFC 4511 `invalidCredentials`).
const INVALID_CREDENTIALS: u32 = 49;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LdapError {
    /// Unknown user, wrong or empty password: which one is not said.
    #[error("bad Windows credentials")]
    BadCredentials,
    /// The name matched several directory entries.
    #[error("the account name matched {0} entries")]
    Ambiguous(usize),
    #[error("directory unavailable: {0}")]
    Unavailable(String),
    /// `max_concurrent` checks are in flight and none ended within `max_wait`.
    #[error("too many directory checks at once")]
    Busy,
}

/// A directory entry the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    pub dn: String,
    pub mail: Option<String>,
}

pub struct LdapChecker {
    urls: Vec<LdapUrl>,
    base_dn: String,
    user_filter: String,
    bind_dn: String,
    bind_password: SecretString,
    tls: Option<Arc<rustls::ClientConfig>>,
    starttls: bool,
    timeout: Duration,
    /// Checks in flight at once; the queue is bounded by `limits.max_concurrent` requests.
    bound: Bound,
}

/// What asking one server gave.
enum Step<T> {
    Answer(Result<T, LdapError>),
    /// Down, slow, or refusing the service account: ask the next one.
    Next(String),
}

fn tls_config(ca_file: &std::path::Path) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(ca_file).map_err(|e| {
        format!(
            "windows.ldap.ca_file: cannot read {}: {e}",
            ca_file.display()
        )
    })?;
    for c in certs {
        let c = c.map_err(|e| {
            format!(
                "windows.ldap.ca_file: {} is not PEM certificates: {e}",
                ca_file.display()
            )
        })?;
        roots
            .add(c)
            .map_err(|e| format!("windows.ldap.ca_file: {}: {e}", ca_file.display()))?;
    }
    if roots.is_empty() {
        return Err(format!(
            "windows.ldap.ca_file: {} holds no PEM certificate",
            ca_file.display()
        ));
    }
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(cfg))
}

impl LdapChecker {
    /// Builds the checker: reads the service account's password file and the CA file.
    pub fn new(cfg: &LdapConfig) -> Result<LdapChecker, String> {
        let pw = std::fs::read_to_string(&cfg.bind_password_file).map_err(|e| {
            format!(
                "windows.ldap.bind_password_file: cannot read {}: {e}",
                cfg.bind_password_file.display()
            )
        })?;
        let pw = pw.lines().next().unwrap_or("").to_string();
        if pw.is_empty() {
            return Err(format!(
                "windows.ldap.bind_password_file: {} is empty",
                cfg.bind_password_file.display()
            ));
        }
        let tls = cfg.ca_file.as_deref().map(tls_config).transpose()?;
        Ok(LdapChecker {
            urls: cfg.urls.clone(),
            base_dn: cfg.base_dn.clone(),
            user_filter: cfg.user_filter.clone(),
            bind_dn: cfg.bind_dn.clone(),
            bind_password: SecretString::from(pw),
            tls,
            starttls: cfg.starttls,
            timeout: cfg.timeout,
            bound: Bound::new(cfg.max_concurrent, usize::MAX, cfg.max_wait),
        })
    }

    /// The servers, for the start-up log.
    pub fn urls(&self) -> &[LdapUrl] {
        &self.urls
    }

    /// Checks `user`'s Windows password; the entry found on success.
    pub async fn check(
        &self,
        user: &str,
        password: &SecretString,
    ) -> Result<DirectoryUser, LdapError> {
        if password.expose_secret().is_empty() {
            return Err(LdapError::BadCredentials);
        }
        self.each_server(|url| self.on_server(url, user, Some(password)))
            .await
    }

    /// Looks `user` up with the service account only (the mail of a Kerberos sign-in).
    pub async fn lookup(&self, user: &str) -> Result<DirectoryUser, LdapError> {
        self.each_server(|url| self.on_server(url, user, None))
            .await
    }

    async fn each_server<'a, F, Fut>(&'a self, mut ask: F) -> Result<DirectoryUser, LdapError>
    where
        F: FnMut(&'a LdapUrl) -> Fut,
        Fut: std::future::Future<Output = Step<DirectoryUser>>,
    {
        // Held across every server tried: one check is one place, however many it asks.
        let _in_flight = self.bound.enter().await.map_err(|_| LdapError::Busy)?;
        let mut why = Vec::new();
        for url in &self.urls {
            match tokio::time::timeout(self.timeout, ask(url)).await {
                Ok(Step::Answer(r)) => return r,
                Ok(Step::Next(m)) => {
                    tracing::warn!(server = %url, "LDAP server unusable: {m}");
                    why.push(format!("{url} ({m})"));
                }
                Err(_) => {
                    tracing::warn!(server = %url, "LDAP server did not answer in time");
                    why.push(format!("{url} (timed out)"));
                }
            }
        }
        Err(LdapError::Unavailable(format!(
            "no directory server answered; tried {}",
            why.join(", ")
        )))
    }

    /// Binds as the service account on each server in turn, each bounded by `timeout`
    /// (`doctor`'s check): every server's result, the error in words.
    pub async fn bind_each(&self) -> Vec<(LdapUrl, Result<(), String>)> {
        let mut out = Vec::new();
        for url in &self.urls {
            let r = match tokio::time::timeout(self.timeout, self.on_server_bind(url)).await {
                Ok(r) => r,
                Err(_) => Err(format!("no answer within {} s", self.timeout.as_secs_f64())),
            };
            out.push((url.clone(), r));
        }
        out
    }

    /// Connects (StartTLS as configured) and binds as the service account, then unbinds.
    async fn on_server_bind(&self, url: &LdapUrl) -> Result<(), String> {
        let (conn, mut ldap) =
            match LdapConnAsync::from_url_with_settings(self.settings(url), url.url()).await {
                Ok(v) => v,
                Err(ldap3::LdapError::Timeout { .. }) => return Err("timed out".into()),
                Err(e) => return Err(format!("could not connect: {e}")),
            };
        let driver = tokio::spawn(async move {
            if let Err(e) = conn.drive().await {
                tracing::debug!("LDAP connection ended: {e}");
            }
        });
        let r = match ldap
            .simple_bind(&self.bind_dn, self.bind_password.expose_secret())
            .await
        {
            Ok(r) if r.rc == 0 => Ok(()),
            Ok(r) if r.rc == INVALID_CREDENTIALS => Err(
                "the service account's DN or password is wrong (result 49, invalidCredentials)"
                    .into(),
            ),
            Ok(r) => Err(format!(
                "the service account bind was refused (result {})",
                r.rc
            )),
            Err(e) => Err(format!("service account bind failed: {e}")),
        };
        let _ = ldap.unbind().await;
        driver.abort();
        r
    }

    fn settings(&self, url: &LdapUrl) -> LdapConnSettings {
        let mut s = LdapConnSettings::new()
            .set_conn_timeout(self.timeout)
            .set_starttls(self.starttls && !url.is_tls());
        if let Some(t) = &self.tls {
            s = s.set_config(t.clone());
        }
        s
    }

    async fn on_server(
        &self,
        url: &LdapUrl,
        user: &str,
        password: Option<&SecretString>,
    ) -> Step<DirectoryUser> {
        let (conn, mut ldap) =
            match LdapConnAsync::from_url_with_settings(self.settings(url), url.url()).await {
                Ok(v) => v,
                Err(ldap3::LdapError::Timeout { .. }) => return Step::Next("timed out".into()),
                Err(e) => return Step::Next(format!("could not connect: {e}")),
            };
        let driver = tokio::spawn(async move {
            if let Err(e) = conn.drive().await {
                tracing::debug!("LDAP connection ended: {e}");
            }
        });
        let step = async {
            match ldap
                .simple_bind(&self.bind_dn, self.bind_password.expose_secret())
                .await
            {
                Ok(r) if r.rc == 0 => {}
                Ok(r) => {
                    return Step::Next(format!(
                        "the service account bind was refused (result {})",
                        r.rc
                    ))
                }
                Err(e) => return Step::Next(format!("service account bind failed: {e}")),
            }
            let filter = self
                .user_filter
                .replace("{user}", &ldap3::ldap_escape(user));
            let found = match ldap
                .search(&self.base_dn, Scope::Subtree, &filter, vec!["mail"])
                .await
                .and_then(|r| r.success())
            {
                Ok((entries, _)) => entries,
                Err(e) => return Step::Next(format!("search failed: {e}")),
            };
            let entry = match found.len() {
                0 => return Step::Answer(Err(LdapError::BadCredentials)),
                1 => found.into_iter().next().map(SearchEntry::construct),
                n => return Step::Answer(Err(LdapError::Ambiguous(n))),
            };
            let Some(entry) = entry else {
                return Step::Answer(Err(LdapError::BadCredentials));
            };
            let found = DirectoryUser {
                mail: entry
                    .attrs
                    .get("mail")
                    .and_then(|m| m.first())
                    .map(|m| m.trim().to_string())
                    .filter(|m| !m.is_empty()),
                dn: entry.dn,
            };
            let Some(password) = password else {
                return Step::Answer(Ok(found));
            };
            match ldap
                .simple_bind(&found.dn, password.expose_secret())
                .await
            {
                Ok(r) if r.rc == 0 => Step::Answer(Ok(found)),
                Ok(r) if r.rc == INVALID_CREDENTIALS => {
                    Step::Answer(Err(LdapError::BadCredentials))
                }
                Ok(r) => {
                    tracing::info!(server = %url, rc = r.rc, "the directory refused the user's bind");
                    Step::Answer(Err(LdapError::BadCredentials))
                }
                Err(e) => Step::Next(format!("user bind failed: {e}")),
            }
        }
        .await;
        let _ = ldap.unbind().await;
        driver.abort();
        step
    }
}
