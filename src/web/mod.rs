//! The HTTP surface: routes, shared state, and the pieces every handler uses. No XML here.
//!
//! Owns the routers (which path goes to which handler, on the public listener and on the
//! operational one) and [`AppState`], built once at start-up and shared read-only by every
//! request.

pub mod admission;
pub mod answer;
pub mod audit;
pub mod cookies;
pub mod credentials;
pub mod demo_sp;
pub mod form_guard;
pub mod guard;
pub mod hosts;
pub mod known_browser;
pub mod memo;
pub mod metadata;
pub mod ops;
pub mod pages;
pub mod receive;
pub mod remap;
pub mod revoked;
pub mod slo;
pub mod sso;
pub mod sso_session;

use crate::backend::CredentialBackend;
use crate::config::Config;
use crate::i18n::Lang;
use crate::keys::KeyStore;
use crate::session::Sealer;
use crate::sp::Registry;
use axum::routing::{get, post};
use axum::Router;
use remap::{Cidr, PublicBase};
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
    pub trusted_proxies: Vec<Cidr>,
    pub public_base_url: Option<String>,
    /// `server.alternate_public_base_urls`, checked: other values a trusted proxy may announce.
    pub alternate_public_bases: Vec<String>,
    /// The `Host` values this server answers for (the ops endpoints answer any).
    pub allowed_hosts: hosts::AllowedHosts,
    /// The Issuer, fixed at start-up (`Config::issuer`).
    pub issuer: String,
    /// Whether this server itself speaks TLS (for URLs made from the Host header).
    pub tls: bool,
    pub default_lang: Lang,
    pub demo_sp: bool,
    /// Throttle counts, used forms, signed request IDs received, revoked sessions: this
    /// instance's own, or shared with the others (`[store]`).
    pub store: Arc<dyn crate::store::SharedState>,
    pub metrics: crate::metrics::Metrics,
    /// Requests being handled (at most `limits.max_concurrent`).
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// Requests of each client IP being received or handled (`limits.max_in_flight_per_client`).
    pub in_flight_per_client: Arc<admission::Counts>,
    /// The last readiness check: when, and what it found.
    pub readiness: std::sync::Mutex<Option<(std::time::Instant, ops::Readiness)>>,
}

impl AppState {
    /// Our Issuer: the configured entity ID, or with `auto` the host origin of
    /// `server.public_base_url`, resolved once at start-up. No request changes it.
    pub fn entity_id(&self) -> &str {
        &self.issuer
    }

    /// The public bases a trusted proxy may announce: the primary one, then the alternates.
    pub fn public_bases(&self) -> impl Iterator<Item = &String> {
        self.public_base_url
            .iter()
            .chain(&self.alternate_public_bases)
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

/// The whole HTTP service: the routes inside `guard`'s layers.
pub fn router(state: Arc<AppState>) -> Router {
    let mut r = Router::new()
        .route(LOGIN_PATH, get(sso::login_get).post(sso::login_post))
        .route(LOGOUT_PATH, get(slo::logout_get).post(slo::logout_post))
        .route(METADATA_PATH, get(metadata::metadata))
        .route(CSS_PATH, get(ops::stylesheet));
    // With a listener of their own, the operational endpoints are not on this one at all.
    if state.config.server.ops_listen.is_none() {
        r = ops_routes(r);
    }
    if state.demo_sp {
        r = r
            .route(DEMO_PATH, get(demo_sp::start))
            .route(crate::sp::DEMO_ACS_PATH, post(demo_sp::acs));
    }
    let r = r.fallback(ops::not_found);
    guard::apply(r.with_state(state.clone()), state)
}

fn ops_routes(r: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    r.route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
}

/// The service of `server.ops_listen`: the operational endpoints only, as plain text.
pub fn ops_router(state: Arc<AppState>) -> Router {
    ops_routes(Router::new())
        .fallback(|| async { (axum::http::StatusCode::NOT_FOUND, "not found\n") })
        .with_state(state)
}
