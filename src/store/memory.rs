//! The in-memory store: every kind of shared entry kept on this instance only.
//!
//! Owns nothing new: it puts the per-instance tables behind the [`SharedState`] seam (the
//! throttle of `throttle`, `web::form_guard::UsedForms`, `saml::inbound::SeenIds`,
//! `web::revoked::MemoryRevocations`), each bounded as its module says. It is the default
//! store, and the Redis store's fallback: that one keeps these tables up to date as well, so
//! an outage of Redis finds them warm.

use super::{Outcome, Settle, SharedState, Status, Ticket};
use crate::config::Config;
use crate::saml::inbound::SeenIds;
use crate::throttle::{self, Refusal, Throttle};
use crate::web::form_guard::UsedForms;
use crate::web::revoked::{MemoryRevocations, Revocations};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::net::IpAddr;

/// Entries each table holds at most.
const CAP: usize = 200_000;

pub struct MemoryState {
    pub(super) throttle: Throttle,
    pub(super) forms: UsedForms,
    pub(super) seen: SeenIds,
    pub(super) revoked: MemoryRevocations,
}

impl MemoryState {
    pub fn new(cfg: &Config) -> Self {
        MemoryState {
            throttle: Throttle::new(&cfg.throttle),
            forms: UsedForms::new(cfg.session.login_timeout, CAP),
            seen: SeenIds::new(CAP),
            revoked: MemoryRevocations::new(CAP),
        }
    }

    /// The throttle's own reservation, as a settle handle.
    pub(super) fn reserve_local(
        &self,
        user: &str,
        ip: IpAddr,
        browser: Option<&str>,
    ) -> Result<throttle::Ticket<'_>, Refusal> {
        self.throttle.reserve(user, ip, browser)
    }

    pub(super) fn first_use_local(&self, issuer: &str, id: &str, until: DateTime<Utc>) -> bool {
        self.seen.first_use(issuer, id, until, Utc::now())
    }
}

/// Settles a reservation of this instance's throttle.
pub(super) fn settle_local(t: throttle::Ticket<'_>, how: Outcome) {
    match how {
        Outcome::Failed => t.failed(),
        Outcome::Succeeded => t.succeeded(),
        Outcome::Released => drop(t),
    }
}

struct LocalTicket<'a>(throttle::Ticket<'a>);

#[async_trait]
impl Settle for LocalTicket<'_> {
    async fn settle(self: Box<Self>, how: Outcome) {
        settle_local(self.0, how);
    }

    fn release(self: Box<Self>) {
        drop(self.0);
    }
}

#[async_trait]
impl SharedState for MemoryState {
    async fn reserve(
        &self,
        user: &str,
        ip: IpAddr,
        browser: Option<&str>,
    ) -> Result<Ticket<'_>, Refusal> {
        let t = self.reserve_local(user, ip, browser)?;
        Ok(Ticket::new(t.known_browser, Box::new(LocalTicket(t))))
    }

    async fn form_used(&self, id: &str) -> bool {
        self.forms.is_used(id)
    }

    async fn claim_form(&self, id: &str) -> bool {
        self.forms.claim(id)
    }

    async fn first_use(&self, issuer: &str, id: &str, until: DateTime<Utc>) -> bool {
        self.first_use_local(issuer, id, until)
    }

    async fn request_seen(&self, issuer: &str, id: &str) -> bool {
        self.seen.is_seen(issuer, id, Utc::now())
    }

    fn revoke(&self, session_index: &str, until: i64) {
        self.revoked.revoke(session_index, until);
    }

    fn is_revoked(&self, session_index: &str, now: i64) -> bool {
        self.revoked.is_revoked(session_index, now)
    }

    fn status(&self) -> Status {
        Status::memory()
    }
}
