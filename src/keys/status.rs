//! What operations need to know about the key set: per certificate its role, days left and
//! whether it is published, whether the active one is still valid, how reloads went (for a
//! `/readyz` and `/metrics`), and the days-left lines in the log. Reads the store; changes
//! nothing.

use super::{format_time, locked, now, CertInfo, KeySet, KeyStore};
use std::sync::atomic::Ordering;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Active,
    Backup,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Active => "active",
            Role::Backup => "backup",
        }
    }
}

/// One certificate as operations see it (for `/readyz`, `/metrics` and `certs list`).
#[derive(Debug, Clone)]
pub struct CertStatus {
    pub name: String,
    pub role: Role,
    pub info: CertInfo,
    pub days_left: i64,
    pub seconds_left: i64,
    /// Whether the metadata lists it (every valid certificate).
    pub published: bool,
}

/// The state of the key store.
#[derive(Debug, Clone)]
pub struct KeyStatus {
    pub active: String,
    /// False once the active certificate has expired: not ready.
    pub active_valid: bool,
    pub active_days_left: i64,
    pub auto_promoted_from: Option<String>,
    pub warn_days: u32,
    /// The active one first.
    pub certificates: Vec<CertStatus>,
    pub reloads: u64,
    pub reload_failures: u64,
    /// Why the last reload failed, when the last attempt failed.
    pub last_reload_error: Option<String>,
}

impl KeyStore {
    /// Per certificate: role, days left, published; and whether the active one is valid.
    pub fn status(&self) -> KeyStatus {
        let set = self.current();
        let now = now();
        let certificates = set
            .all()
            .map(|k| CertStatus {
                name: k.name.clone(),
                role: if Arc::ptr_eq(k, &set.active) {
                    Role::Active
                } else {
                    Role::Backup
                },
                info: k.info.clone(),
                days_left: k.info.days_left(now),
                seconds_left: k.info.seconds_left(now),
                published: set.published().any(|p| Arc::ptr_eq(p, k)),
            })
            .collect();
        KeyStatus {
            active: set.active.name.clone(),
            active_valid: !set.active.info.expired(now),
            active_days_left: set.active.info.days_left(now),
            auto_promoted_from: set.auto_promoted_from.clone(),
            warn_days: self.warn_days,
            certificates,
            reloads: self.reloads.load(Ordering::Relaxed),
            reload_failures: self.reload_failures.load(Ordering::Relaxed),
            last_reload_error: locked(&self.last_error).clone(),
        }
    }

    /// Logs the days left of every certificate: a warning from `cert_warn_days` on, or once
    /// one has expired; otherwise one info line.
    pub fn log_expiry(&self) {
        let status = self.status();
        let warn = i64::from(self.warn_days);
        for c in &status.certificates {
            let until = format_time(c.info.not_after);
            let role = c.role.as_str();
            if c.seconds_left <= 0 {
                tracing::warn!(certificate = %c.name, days_left = c.days_left,
                    "the {role} signing certificate `{}` expired on {until}{}",
                    c.name,
                    if c.role == Role::Active { "" } else { "; it is no longer published: remove it" });
            } else if c.days_left < warn {
                tracing::warn!(certificate = %c.name, days_left = c.days_left,
                    "the {role} signing certificate `{}` expires in {} days (on {until}){}",
                    c.name, c.days_left,
                    if c.role == Role::Active { ": generate a backup, upload it to Genesys Cloud and promote it" } else { "" });
            } else {
                tracing::info!(certificate = %c.name, days_left = c.days_left,
                    "{role} signing certificate `{}`: {} days left (until {until})", c.name, c.days_left);
            }
        }
    }
}

pub(super) fn log_auto_promotion(set: &KeySet) {
    if let Some(from) = &set.auto_promoted_from {
        tracing::warn!(
            "!!! the active signing certificate `{from}` has EXPIRED: signing with the backup `{}` instead \
             (valid until {}). Genesys Cloud must hold `{}`; make it permanent with \
             `pureconnect-idp certs promote {}`",
            set.active.name,
            format_time(set.active.info.not_after),
            set.active.name,
            set.active.name
        );
    }
}
