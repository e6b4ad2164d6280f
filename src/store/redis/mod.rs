//! The Redis store: the state of a pair (or more) of instances shared through Redis.
//!
//! Owns [`RedisState`]: each kind of entry is written to Redis *and* to this instance's own
//! tables (`store::memory`), and read from Redis when it answers within `store.timeout`, from
//! the own tables otherwise, so an outage finds them warm and logins go on. Throttle counts
//! are one Lua script per reservation and one per settlement (`counts`); used forms and
//! signed request IDs are `SET NX PX`; revocations go through the log and channel of `feed`
//! and are read from the local record only. A background task probes Redis once a second
//! (`link`), which reconnects, brings the store back up, catches up with the revocation log
//! and sends what waited in the outbox.

mod counts;
mod feed;
mod link;

use super::memory::{settle_local, MemoryState};
use super::{keys::Names, Outcome, Settle, SharedState, Status, Ticket};
use crate::config::{Config, ConfigError};
use crate::throttle::{self, Refusal};
use crate::web::revoked::Revocations;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use counts::{Counted, Rules};
use std::net::IpAddr;
use std::sync::{Arc, Weak};
use std::time::Duration;

pub struct RedisState {
    me: Weak<RedisState>,
    local: MemoryState,
    link: link::Link,
    names: Names,
    rules: Rules,
    form_ttl: Duration,
    feed: feed::Feed,
}

impl RedisState {
    /// Opens the link, checks it once (at most `store.timeout`: a Redis that is down at
    /// start-up does not stop the server), and starts the background tasks.
    pub async fn start(
        cfg: &Config,
        secret: &[u8; 32],
        local: MemoryState,
    ) -> Result<Arc<RedisState>, ConfigError> {
        let link = link::Link::open(&cfg.store).map_err(|(k, m)| cfg.invalid(k, m))?;
        let names = Names::new(&cfg.store.key_prefix, secret)
            .map_err(|e| cfg.invalid("store.key_prefix", e.to_string()))?;
        let hold = cfg.limits.request_timeout + Duration::from_secs(5);
        let state = Arc::new_cyclic(|me| RedisState {
            me: me.clone(),
            local,
            link,
            names,
            rules: Rules::new(&cfg.throttle, hold),
            form_ttl: cfg.session.login_timeout,
            feed: feed::Feed::default(),
        });
        if state.link.probe().await {
            feed::catch_up(&state).await;
        }
        tracing::info!(
            up = state.link.health.is_up(),
            "shared state is kept in Redis"
        );
        tokio::spawn(supervise(Arc::downgrade(&state)));
        tokio::spawn(feed::listen(Arc::downgrade(&state)));
        tokio::spawn(send_outbox(Arc::downgrade(&state)));
        Ok(state)
    }

    fn counted(&self, kind: &str, parts: &[&[u8]], rule: counts::Rule) -> Counted {
        Counted {
            hash: self.names.key(kind, parts),
            rule,
        }
    }
}

/// Once a second: probe, and while up catch up with the revocation log and send the outbox.
async fn supervise(weak: Weak<RedisState>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(s) = weak.upgrade() else { return };
        if s.link.probe().await {
            feed::catch_up(&s).await;
            feed::flush(&s).await;
        }
    }
}

/// Sends a revocation as soon as it is made.
async fn send_outbox(weak: Weak<RedisState>) {
    loop {
        let Some(s) = weak.upgrade() else { return };
        let wake = s.feed.wake.clone();
        drop(s);
        wake.notified().await;
        let Some(s) = weak.upgrade() else { return };
        feed::flush(&s).await;
    }
}

/// A reservation: this instance's own, and Redis's when it answered.
struct RedisTicket<'a> {
    local: Option<throttle::Ticket<'a>>,
    shared: Option<Shared>,
}

struct Shared {
    state: Weak<RedisState>,
    token: String,
    keys: Vec<Counted>,
}

impl Shared {
    async fn settle(self, how: Outcome) {
        let Some(s) = self.state.upgrade() else {
            return;
        };
        let how = match how {
            Outcome::Failed => 'F',
            Outcome::Succeeded => 'C',
            Outcome::Released => 'R',
        };
        let (rules, token, keys) = (s.rules, self.token, self.keys);
        s.link
            .run(|mut c| async move {
                counts::settle(&rules, &token, how, &keys)
                    .invoke_async::<i64>(&mut c)
                    .await
            })
            .await;
    }
}

#[async_trait]
impl Settle for RedisTicket<'_> {
    async fn settle(mut self: Box<Self>, how: Outcome) {
        if let Some(t) = self.local.take() {
            settle_local(t, how);
        }
        if let Some(s) = self.shared.take() {
            s.settle(how).await;
        }
    }

    fn release(mut self: Box<Self>) {
        drop(self.local.take());
        if let (Some(s), Ok(rt)) = (self.shared.take(), tokio::runtime::Handle::try_current()) {
            rt.spawn(s.settle(Outcome::Released));
        }
    }
}

#[async_trait]
impl SharedState for RedisState {
    async fn reserve(
        &self,
        user: &str,
        ip: IpAddr,
        browser: Option<&str>,
    ) -> Result<Ticket<'_>, Refusal> {
        // This instance counts too, so that it can take over when Redis does not answer.
        let local = self.local.reserve_local(user, ip, browser);
        let folded = throttle::fold(user);
        let ip_text = throttle::ip_key(ip).to_string();
        let r = &self.rules;
        let b = browser.map(|b| self.counted("t:b", &[b.as_bytes(), folded.as_bytes()], r.browser));
        let three = [
            self.counted("t:i", &[ip_text.as_bytes()], r.ip),
            self.counted("t:p", &[folded.as_bytes(), ip_text.as_bytes()], r.pair),
            self.counted("t:u", &[folded.as_bytes()], r.user),
        ];
        let token = crate::web::form_guard::new_form_id();
        let rules = self.rules;
        let (tok, b2, three2) = (token.clone(), b.clone(), three.clone());
        let answer = self
            .link
            .run(|mut c| async move {
                counts::reserve(&rules, &tok, b2.as_ref(), &three2)
                    .invoke_async::<(i64, i64, i64)>(&mut c)
                    .await
            })
            .await;
        let (path, wait_ms, by_ip) = match answer {
            Some(a) => a,
            None => {
                let t = local?;
                let known = t.known_browser;
                let inner = RedisTicket {
                    local: Some(t),
                    shared: None,
                };
                return Ok(Ticket::new(known, Box::new(inner)));
            }
        };
        let keys = match (path, b) {
            (1, Some(b)) => vec![b],
            (2, _) => three.to_vec(),
            _ => {
                return Err(Refusal {
                    retry_after: Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0)),
                    by_ip: by_ip == 1,
                })
            }
        };
        // This instance's own counts hold failures Redis never saw (those of an outage); in
        // normal running they are a part of Redis's and refuse nothing it admits. The agent's
        // known browser (path 1) is spared by both, as it always was.
        if path == 2 {
            if let Err(refusal) = local {
                let taken = Shared {
                    state: self.me.clone(),
                    token,
                    keys,
                };
                taken.settle(Outcome::Released).await;
                return Err(refusal);
            }
        }
        let inner = RedisTicket {
            local: local.ok(),
            shared: Some(Shared {
                state: self.me.clone(),
                token,
                keys,
            }),
        };
        Ok(Ticket::new(path == 1, Box::new(inner)))
    }

    async fn form_used(&self, id: &str) -> bool {
        if self.local.forms.is_used(id) {
            return true;
        }
        exists(&self.link, self.names.key("form", &[id.as_bytes()])).await
    }

    async fn claim_form(&self, id: &str) -> bool {
        let key = self.names.key("form", &[id.as_bytes()]);
        let ttl = u64::try_from(self.form_ttl.as_millis()).unwrap_or(u64::MAX);
        let shared = set_nx(&self.link, key, ttl).await;
        let local = self.local.forms.claim(id);
        shared != Some(false) && local
    }

    async fn first_use(&self, issuer: &str, id: &str, until: DateTime<Utc>) -> bool {
        let key = self.names.key("req", &[issuer.as_bytes(), id.as_bytes()]);
        let ttl = (until - Utc::now()).num_milliseconds().max(1000);
        let shared = set_nx(&self.link, key, ttl.unsigned_abs()).await;
        let local = self.local.first_use_local(issuer, id, until);
        shared != Some(false) && local
    }

    async fn request_seen(&self, issuer: &str, id: &str) -> bool {
        if self.local.seen.is_seen(issuer, id, Utc::now()) {
            return true;
        }
        let key = self.names.key("req", &[issuer.as_bytes(), id.as_bytes()]);
        exists(&self.link, key).await
    }

    fn revoke(&self, session_index: &str, until: i64) {
        self.local.revoked.revoke(session_index, until);
        self.feed.push(session_index, until);
    }

    fn is_revoked(&self, session_index: &str, now: i64) -> bool {
        self.local.revoked.is_revoked(session_index, now)
    }

    fn status(&self) -> Status {
        self.link.health.status()
    }
}

/// `EXISTS key`; `false` when Redis does not answer (the caller has asked its own record).
async fn exists(link: &link::Link, key: String) -> bool {
    link.run(|mut c| async move {
        ::redis::cmd("EXISTS")
            .arg(&key)
            .query_async::<bool>(&mut c)
            .await
    })
    .await
    .unwrap_or(false)
}

/// `SET key 1 NX PX ttl`: `Some(true)` set, `Some(false)` already there, `None` no answer.
async fn set_nx(link: &link::Link, key: String, ttl_ms: u64) -> Option<bool> {
    link.run(|mut c| async move {
        ::redis::cmd("SET")
            .arg(&key)
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms.max(1))
            .query_async::<Option<String>>(&mut c)
            .await
    })
    .await
    .map(|v| v.is_some())
}
