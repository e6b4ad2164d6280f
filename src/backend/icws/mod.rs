//! The CIC backend: credentials are checked by a PureConnect server through ICWS, its REST
//! API, and the user's business email is read from the user's CIC configuration.
//!
//! Owns the choice of server: the configured servers in order (the last one that answered
//! first), the hosts a backup server names in its 503 `alternateHostList`, and the next
//! server when one is refused, times out or fails. When none answers the login is
//! [`AuthError::Unavailable`] with every server tried and why. One HTTP client ([`client`]) is
//! shared by all logins; one login against one server is [`session`]; where the email is in a
//! user record is [`user`]; `host[:port]` parsing is [`target`]. At most
//! `backend.max_concurrent` logins are in flight at once ([`Bound`]), so a flood cannot open
//! thousands of CIC sessions; the rest wait up to `backend.max_wait`, then are busy.

pub mod client;
pub mod service;
pub mod session;
pub mod target;
pub mod user;
pub mod wire;

use super::bound::Bound;
use super::{AuthError, CredentialBackend, Principal};
use crate::config::IcwsConfig;
use secrecy::SecretString;
pub(crate) use session::Outcome;
use session::Settings;
use std::collections::VecDeque;
use std::sync::Mutex;
use target::Target;

/// However long the alternate lists get, a login asks at most this many servers.
pub(crate) const MAX_SERVERS_PER_LOGIN: usize = 8;

pub struct IcwsBackend {
    client: reqwest::Client,
    settings: Settings,
    servers: Vec<Target>,
    /// The server that answered last: asked first next time (the active one of a pair).
    preferred: Mutex<Option<Target>>,
    warnings: Vec<String>,
    insecure: bool,
    /// Logins in flight at once; the queue is bounded by `limits.max_concurrent` requests.
    bound: Bound,
    /// The service-account session of Windows sign-in (`backend.service_user`).
    service: Option<service::ServiceSession>,
}

impl IcwsBackend {
    /// Builds the backend from its (validated) configuration; reads the CA file.
    pub fn new(cfg: &IcwsConfig) -> Result<IcwsBackend, String> {
        let port = cfg.scheme.default_port();
        let servers = cfg
            .servers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                Target::parse(s, cfg.scheme, port).map_err(|m| format!("backend.servers[{i}]: {m}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if servers.is_empty() {
            return Err("backend.servers: needs at least one CIC server".into());
        }
        Ok(IcwsBackend {
            client: client::build(cfg)?,
            settings: Settings {
                application_name: cfg.application_name.clone(),
                request_timeout: cfg.request_timeout,
                email_property: cfg.email_property.trim().to_string(),
                select: user::select_for(cfg.email_property.trim()),
            },
            servers,
            preferred: Mutex::new(None),
            warnings: cfg.warnings(),
            insecure: cfg.insecure(),
            bound: Bound::new(cfg.max_concurrent, usize::MAX, cfg.max_wait),
            service: match (&cfg.service_user, &cfg.service_password_file) {
                (Some(u), Some(f)) => Some(service::ServiceSession::new(u, f)?),
                _ => None,
            },
        })
    }

    /// The configured servers as URLs, for the start-up log.
    pub fn servers(&self) -> Vec<String> {
        self.servers.iter().map(Target::to_string).collect()
    }

    /// True when the CIC servers' certificates are not verified.
    pub fn insecure(&self) -> bool {
        self.insecure
    }

    /// The configured servers, the one that answered last moved to the front.
    fn order(&self) -> VecDeque<Target> {
        let mut q: VecDeque<Target> = self.servers.iter().cloned().collect();
        let preferred = self.preferred.lock().ok().and_then(|p| p.clone());
        if let Some(p) = preferred {
            q.retain(|t| *t != p);
            q.push_front(p);
        }
        q
    }

    fn remember(&self, t: &Target) {
        if let Ok(mut p) = self.preferred.lock() {
            *p = Some(t.clone());
        }
    }
}

#[async_trait::async_trait]
impl CredentialBackend for IcwsBackend {
    async fn authenticate(
        &self,
        user: &str,
        password: &SecretString,
        lang: &str,
    ) -> Result<Principal, AuthError> {
        let _in_flight = self.bound.enter().await?;
        let mut queue = self.order();
        let mut tried: Vec<(Target, String)> = Vec::new();
        while let Some(t) = queue.pop_front() {
            if tried.iter().any(|(x, _)| *x == t) {
                continue;
            }
            if tried.len() >= MAX_SERVERS_PER_LOGIN {
                break;
            }
            match session::login(&self.client, &self.settings, &t, user, password, lang).await {
                Outcome::Answer(r) => {
                    if !tried.is_empty() {
                        tracing::info!(server = %t, "ICWS answered after {} other server(s) did not", tried.len());
                    }
                    self.remember(&t);
                    return r;
                }
                Outcome::Redirect(list) => {
                    let (alts, bad) = target::alternates(&list, &t);
                    for m in bad {
                        tracing::warn!(server = %t, "ignoring an alternateHostList entry: {m}");
                    }
                    let names: Vec<String> = alts.iter().map(Target::to_string).collect();
                    tracing::info!(server = %t, alternates = ?names, "ICWS server is not the active one (503)");
                    for a in alts.into_iter().rev() {
                        queue.push_front(a);
                    }
                    tried.push((t, format!("503 with alternateHostList {names:?}")));
                }
                Outcome::Unreachable(why) => {
                    tracing::warn!(server = %t, "ICWS server unusable: {why}");
                    tried.push((t, why));
                }
            }
        }
        let list: Vec<String> = tried
            .iter()
            .map(|(t, why)| format!("{t} ({why})"))
            .collect();
        Err(AuthError::Unavailable(format!(
            "no CIC server answered; tried {}",
            list.join(", ")
        )))
    }

    fn kind(&self) -> &'static str {
        "icws"
    }

    async fn find_windows_account(&self, nt_user: &str) -> Result<Vec<Principal>, AuthError> {
        let Some(svc) = &self.service else {
            return Err(AuthError::Unavailable(
                "backend.service_user is not set: Windows accounts cannot be looked up in CIC"
                    .into(),
            ));
        };
        let _in_flight = self.bound.enter().await?;
        let found = svc
            .find(
                &self.client,
                &self.settings,
                || self.order(),
                |t| self.remember(t),
                nt_user,
            )
            .await?;
        if let Some(p) = found.iter().find(|p| p.email.is_empty()) {
            tracing::info!(user = %p.user_id, "the CIC user of a Windows account has no business email");
            if found.len() == 1 {
                return Err(AuthError::NoEmail);
            }
        }
        Ok(found)
    }

    async fn close(&self) {
        if let Some(svc) = &self.service {
            svc.close().await;
        }
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// Ready when one server answers `GET /icws/connection/version` (it needs no session, so
    /// no licence is used): 200 from the active one, or 503 from a backup, which also
    /// means the pair is reachable.
    async fn ready(&self) -> Result<(), String> {
        let mut why = Vec::new();
        for t in self.order() {
            let url = match t.url(&["icws", "connection", "version"]) {
                Ok(u) => u,
                Err(e) => {
                    why.push(e);
                    continue;
                }
            };
            match self
                .client
                .get(url)
                .timeout(self.settings.request_timeout)
                .send()
                .await
            {
                Ok(r) if r.status().is_success() || r.status().as_u16() == 503 => return Ok(()),
                Ok(r) => why.push(format!("{t}: HTTP {}", r.status().as_u16())),
                Err(e) => why.push(format!("{t}: {}", wire::describe(&e))),
            }
        }
        Err(why.join("; "))
    }
}
