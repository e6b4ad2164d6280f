//! The shared state of the HTTP surface: what every request may read, built once at start-up.
//!
//! Owns [`AppState`] and the paths of our endpoints (every URL we emit for them is made from
//! a [`PublicBase`] here). It depends only on the leaf modules whose types it holds.

use super::origin::{OriginPolicy, PublicBase};
use crate::backend::CredentialBackend;
use crate::config::Config;
use crate::i18n::Lang;
use crate::keys::KeyStore;
use crate::session::Sealer;
use crate::sp::Registry;
use std::sync::Arc;

pub const LOGIN_PATH: &str = "/ICNotifierIDP/login";
pub const LOGOUT_PATH: &str = "/ICNotifierIDP/logout";
pub const METADATA_PATH: &str = "/ICNotifierIDP/metadata";
pub const CSS_PATH: &str = "/ICNotifierIDP/static/idp.css";
pub const DEMO_PATH: &str = "/demo";

/// Everything a request may need, built once.
pub struct AppState {
    pub config: Config,
    pub keys: Arc<KeyStore>,
    pub sps: Registry,
    pub backend: Arc<dyn CredentialBackend>,
    pub sealer: Sealer,
    /// Who may tell us our public base and the client's address, and which hosts we answer.
    pub origin: OriginPolicy,
    /// The Issuer, fixed at start-up (`Config::issuer`).
    pub issuer: String,
    pub default_lang: Lang,
    pub demo_sp: bool,
    pub throttle: crate::throttle::Throttle,
    pub metrics: crate::metrics::Metrics,
    pub used_forms: super::form_guard::UsedForms,
    /// Signed request IDs already received (replays are refused).
    pub seen_requests: Arc<crate::saml::inbound::SeenIds>,
    /// Sessions ended by a logout.
    pub revoked: Box<dyn super::revoked::Revocations>,
    /// Requests being handled (at most `limits.max_concurrent`).
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// Requests of each client IP being received or handled (`limits.max_in_flight_per_client`).
    pub in_flight_per_client: Arc<super::admission::Counts>,
    /// The last readiness check: when, and what it found.
    pub readiness: std::sync::Mutex<Option<(std::time::Instant, Readiness)>>,
}

impl AppState {
    /// Our Issuer: the configured entity ID, or with `auto` the host origin of
    /// `server.public_base_url`, resolved once at start-up. No request changes it.
    pub fn entity_id(&self) -> &str {
        &self.issuer
    }

    /// The SSO endpoint as SPs are told to use it.
    pub fn sso_url(&self, base: &PublicBase) -> String {
        base.url(&format!("{LOGIN_PATH}?loginType=saml"))
    }

    /// The Single Logout endpoint.
    pub fn slo_url(&self, base: &PublicBase) -> String {
        base.url(LOGOUT_PATH)
    }
}

/// What the last readiness check found: reasons not to be ready, and standing warnings.
#[derive(Clone, Default)]
pub struct Readiness {
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
}
