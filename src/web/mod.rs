//! The HTTP surface: the routers, and the list of its modules. No XML here.
//!
//! Owns which path goes to which handler, on the public listener and on the operational one.
//! The state every request reads is `state`; a login's stages are listed in `login`.

pub mod admission;
pub mod answer;
pub mod audit;
pub mod cookies;
pub mod credentials;
pub mod demo_sp;
pub mod extract;
pub mod form_guard;
pub mod guard;
pub mod known_browser;
pub mod language;
pub mod login;
pub mod login_form;
pub mod metadata;
pub mod ops;
pub mod origin;
pub mod pages;
pub mod params;
pub mod pending;
pub mod proceed;
pub mod receive;
pub mod reference;
pub mod revoked;
pub mod slo;
pub mod sso;
pub mod sso_session;
pub mod state;
pub mod validate;
pub mod way_back;

use axum::routing::{get, post};
use axum::Router;
use state::{AppState, CSS_PATH, DEMO_PATH, LOGIN_PATH, LOGOUT_PATH, METADATA_PATH};
use std::sync::Arc;

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
