//! `SharedState`: what the instances of a pair must agree on, behind one seam.
//!
//! Owns the four kinds of entry a login leaves behind that another instance must honour:
//! throttle counts (reserved before the credential check, settled after it), used forms,
//! signed request IDs already received, and revoked SSO sessions. Handlers hold an
//! `Arc<dyn SharedState>` and never know which implementation it is: [`memory`] keeps
//! everything on this instance (the default), [`redis`] shares it through Redis and falls
//! back to this instance's own state whenever Redis does not answer within `store.timeout`.
//! The revocation check of the SSO-session path is synchronous on purpose: it reads a local
//! record (which the Redis store keeps filled from pub/sub), never the network. No HTTP here.

mod health;
mod keys;
pub mod memory;
pub mod redis;

use crate::config::{Config, StoreKind};
use crate::throttle::Refusal;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::net::IpAddr;
use std::sync::Arc;

pub use health::Status;

/// How a reserved login attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A wrong user ID or password: counted.
    Failed,
    /// The right password: the user's counts start again.
    Succeeded,
    /// No verdict on the password (backend fault, cancelled request): the budget comes back.
    Released,
}

/// The settling half of a reserved attempt, as an implementation keeps it.
#[async_trait]
pub trait Settle: Send + Sync {
    async fn settle(self: Box<Self>, how: Outcome);
    /// Dropped unsettled: release without waiting (the implementation may finish it later).
    fn release(self: Box<Self>);
}

/// One reserved attempt. Dropping it unsettled releases it.
pub struct Ticket<'a> {
    /// Whether the attempt counts against a known browser's own budget.
    pub known_browser: bool,
    inner: Option<Box<dyn Settle + 'a>>,
}

impl<'a> Ticket<'a> {
    pub fn new(known_browser: bool, inner: Box<dyn Settle + 'a>) -> Self {
        Ticket {
            known_browser,
            inner: Some(inner),
        }
    }

    /// A wrong user ID or password.
    pub async fn failed(mut self) {
        if let Some(i) = self.inner.take() {
            i.settle(Outcome::Failed).await;
        }
    }

    /// The right password.
    pub async fn succeeded(mut self) {
        if let Some(i) = self.inner.take() {
            i.settle(Outcome::Succeeded).await;
        }
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if let Some(i) = self.inner.take() {
            i.release();
        }
    }
}

/// The state a pair of instances shares.
#[async_trait]
pub trait SharedState: Send + Sync {
    /// Reserves a credential check for `user` from `ip`; `browser` is the known-browser
    /// token's identifier for this user, when the request carries one.
    async fn reserve(
        &self,
        user: &str,
        ip: IpAddr,
        browser: Option<&str>,
    ) -> Result<Ticket<'_>, Refusal>;

    /// Whether the sign-in form `id` already ended (in a Response, or cancelled).
    async fn form_used(&self, id: &str) -> bool;

    /// Marks form `id` ended; `false` if it already was (a replay, or a race lost).
    async fn claim_form(&self, id: &str) -> bool;

    /// Records signed request `id` of `issuer` as received until `until`; `false` if it
    /// already was (a replay).
    async fn first_use(&self, issuer: &str, id: &str, until: DateTime<Utc>) -> bool;

    /// Whether signed request `id` of `issuer` is already recorded (by [`first_use`]), without
    /// recording it: for a pass that leaves the recording to the answer.
    ///
    /// [`first_use`]: SharedState::first_use
    async fn request_seen(&self, issuer: &str, id: &str) -> bool;

    /// Ends SSO session `session_index` until `until` (seconds since the epoch). Returns at
    /// once; a shared store tells the other instances in the background.
    fn revoke(&self, session_index: &str, until: i64);

    /// Whether SSO session `session_index` was ended, at `now`. Never waits on the network.
    fn is_revoked(&self, session_index: &str, now: i64) -> bool;

    /// The store's kind and health, for `/readyz` and `/metrics`.
    fn status(&self) -> Status;
}

/// The store `[store]` asks for. Call inside the Tokio runtime: a Redis store starts its
/// background tasks (health checks, reconnection, the revocation feed) here.
pub async fn build(
    cfg: &Config,
    secret: &[u8; 32],
) -> Result<Arc<dyn SharedState>, crate::config::ConfigError> {
    let local = memory::MemoryState::new(cfg);
    match cfg.store.kind {
        StoreKind::Memory => Ok(Arc::new(local)),
        StoreKind::Redis => Ok(redis::RedisState::start(cfg, secret, local).await?),
    }
}
