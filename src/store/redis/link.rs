//! The connection to Redis: how it is opened, how long a call may wait, and when not to try.
//!
//! Owns the `redis` crate's connection manager (which reconnects by itself), the TLS set-up
//! (`rediss://` with `store.ca_file`), the password (`store.password_file`, never logged),
//! Sentinel (the master is asked of `store.sentinels`, again whenever the store stays down),
//! and [`Link::run`]: every call is bounded by `store.timeout`, and while [`Health`] says the
//! store is down no call is made at all, so a Redis that hangs costs one request at most one
//! timeout. [`Link::probe`] (the background check, once a second) brings it back up.

use crate::config::StoreConfig;
use crate::store::health::Health;
use crate::values::RedisUrl;
use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use ::redis::{Client, ConnectionAddr, IntoConnectionInfo, RedisError, RedisResult, TlsMode};
use arc_swap::ArcSwapOption;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How long the background may spend asking the Sentinels for the master.
const SENTINEL_WAIT: Duration = Duration::from_secs(2);
/// Failed probes in a row after which the Sentinels are asked again.
const ASK_SENTINELS_AFTER: u32 = 3;

enum Source {
    Direct(Client),
    Sentinel(tokio::sync::Mutex<SentinelClient>),
}

pub struct Link {
    source: Source,
    conn: ArcSwapOption<ConnectionManager>,
    pub timeout: Duration,
    pub health: Health,
    failed_probes: AtomicU32,
}

/// What an error says, without anything of the configuration.
pub fn describe(e: &RedisError) -> String {
    let mut s = e.to_string();
    s.truncate(200);
    s
}

fn tls_certs(cfg: &StoreConfig) -> Result<Option<::redis::TlsCertificates>, String> {
    match &cfg.ca_file {
        Some(p) => {
            let pem = std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            Ok(Some(::redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(pem),
            }))
        }
        None => Ok(None),
    }
}

impl Link {
    /// Prepares the connection; nothing is sent yet. Errors name the key at fault.
    pub fn open(cfg: &StoreConfig) -> Result<Link, (&'static str, String)> {
        let password = match &cfg.password_file {
            Some(p) => Some(
                std::fs::read_to_string(p)
                    .map_err(|e| {
                        (
                            "store.password_file",
                            format!("cannot read {}: {e}", p.display()),
                        )
                    })?
                    .trim_end_matches(['\r', '\n'])
                    .to_string(),
            ),
            None => None,
        };
        let certs = tls_certs(cfg).map_err(|m| ("store.ca_file", m))?;
        let source = match (&cfg.url, cfg.sentinels.is_empty()) {
            (Some(url), true) => {
                let mut info = url
                    .url()
                    .clone()
                    .into_connection_info()
                    .map_err(|e| ("store.url", describe(&e)))?;
                if let Some(pw) = &password {
                    let r = info.redis_settings().clone().set_password(pw);
                    info = info.set_redis_settings(r);
                }
                let client = match certs {
                    Some(c) => Client::build_with_tls(info, c),
                    None => Client::open(info),
                }
                .map_err(|e| ("store.url", describe(&e)))?;
                Source::Direct(client)
            }
            (None, true) => return Err(("store.url", "is required with type = \"redis\"".into())),
            (url, false) => Source::Sentinel(tokio::sync::Mutex::new(
                sentinel_client(cfg, url.as_ref(), password, certs)
                    .map_err(|e| ("store.sentinels", e))?,
            )),
        };
        let link = Link {
            source,
            conn: ArcSwapOption::empty(),
            timeout: cfg.timeout,
            health: Health::new(),
            failed_probes: AtomicU32::new(0),
        };
        if let Source::Direct(c) = &link.source {
            let m = link
                .manager(c.clone())
                .map_err(|e| ("store.url", describe(&e)))?;
            link.conn.store(Some(Arc::new(m)));
        }
        Ok(link)
    }

    fn manager(&self, client: Client) -> RedisResult<ConnectionManager> {
        let cfg = ConnectionManagerConfig::new()
            .set_response_timeout(Some(self.timeout))
            .set_connection_timeout(Some(self.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        ConnectionManager::new_lazy_with_config(client, cfg)
    }

    /// A client of the current master, for a connection of its own (the pub/sub feed).
    pub async fn client(&self) -> Option<Client> {
        match &self.source {
            Source::Direct(c) => Some(c.clone()),
            Source::Sentinel(s) => {
                let mut s = tokio::time::timeout(SENTINEL_WAIT, s.lock()).await.ok()?;
                match tokio::time::timeout(SENTINEL_WAIT, s.async_get_client()).await {
                    Ok(Ok(c)) => Some(c),
                    Ok(Err(e)) => {
                        self.health.failed(&format!("Sentinel: {}", describe(&e)));
                        None
                    }
                    Err(_) => {
                        self.health.failed("Sentinel: no answer");
                        None
                    }
                }
            }
        }
    }

    /// Runs `f` on the connection within `store.timeout`; `None` when the store is down or
    /// does not answer in time (the caller then uses this instance's own state).
    pub async fn run<T, F, Fut>(&self, f: F) -> Option<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        if !self.health.is_up() {
            return None;
        }
        let con = self.conn.load_full()?;
        match tokio::time::timeout(self.timeout, f((*con).clone())).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                self.health.failed(&describe(&e));
                None
            }
            Err(_) => {
                self.health.failed("no answer within store.timeout");
                None
            }
        }
    }

    /// The background check: a PING within the timeout. With Sentinel, the master is asked
    /// for at the start and again after a few failures in a row.
    pub async fn probe(&self) -> bool {
        let ask = self.conn.load().is_none()
            || self.failed_probes.load(Ordering::Relaxed) >= ASK_SENTINELS_AFTER;
        if ask && matches!(self.source, Source::Sentinel(_)) {
            if let Some(c) = self.client().await {
                match self.manager(c) {
                    Ok(m) => self.conn.store(Some(Arc::new(m))),
                    Err(e) => self.health.failed(&describe(&e)),
                }
            }
            self.failed_probes.store(0, Ordering::Relaxed);
        }
        let Some(con) = self.conn.load_full() else {
            self.failed_probes.fetch_add(1, Ordering::Relaxed);
            self.health.failed("Sentinel: no master known");
            return false;
        };
        let mut con = (*con).clone();
        let cmd = ::redis::cmd("PING");
        let ping = cmd.query_async::<String>(&mut con);
        let ok = match tokio::time::timeout(self.timeout, ping).await {
            Ok(Ok(_)) => true,
            Ok(Err(e)) => {
                self.health.failed(&describe(&e));
                false
            }
            Err(_) => {
                self.health.failed("no answer within store.timeout");
                false
            }
        };
        if ok {
            self.failed_probes.store(0, Ordering::Relaxed);
            self.health.recovered();
        } else {
            self.failed_probes.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }
}

/// `host:port` of each Sentinel; the master's credentials, database and TLS from the URL.
fn sentinel_client(
    cfg: &StoreConfig,
    url: Option<&RedisUrl>,
    password: Option<String>,
    certs: Option<::redis::TlsCertificates>,
) -> Result<SentinelClient, String> {
    let addrs = cfg
        .sentinels
        .iter()
        .map(|s| ConnectionAddr::Tcp(s.host().to_string(), s.port()))
        .collect::<Vec<_>>();
    let master = cfg.sentinel_master.as_deref().unwrap_or("mymaster");
    let mut b = SentinelClientBuilder::new(addrs, master, SentinelServerType::Master)
        .map_err(|e| describe(&e))?;
    if let Some(u) = url {
        if u.is_tls() {
            b = b.set_client_to_redis_tls_mode(TlsMode::Secure);
        }
        if let Some(user) = u.username() {
            b = b.set_client_to_redis_username(&user);
        }
        if let Some(pw) = u.password() {
            b = b.set_client_to_redis_password(&pw);
        }
        if let Some(db) = u.db() {
            b = b.set_client_to_redis_db(db);
        }
    }
    if let Some(pw) = password {
        b = b.set_client_to_redis_password(pw);
    }
    if let Some(c) = certs {
        b = b.set_client_to_redis_certificates(c);
    }
    b.build().map_err(|e| describe(&e))
}
