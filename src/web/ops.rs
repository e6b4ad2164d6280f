//! Operational endpoints and small static things: health, the stylesheet, the 404 page.

use super::origin::Origin;
use super::pages::PageError;
use super::state::{AppState, Readiness};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use std::sync::Arc;

const CSS: &str = include_str!("../../static/idp.css");

pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok\n")
}

pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
}

pub async fn not_found(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    origin: Result<Origin, PageError>,
    headers: axum::http::HeaderMap,
) -> PageError {
    let page = super::language::page_for(&state, origin.ok().as_ref(), &headers, None);
    PageError::new(StatusCode::NOT_FOUND, "error.not_found").on(&page)
}

/// How long a readiness finding is reused: probes every second must not hit the backend.
const READY_CACHE: std::time::Duration = std::time::Duration::from_secs(5);

/// What readiness is now: the finding of the last 5 s, or a new one (`/readyz` and the
/// `idp_ready` gauge of `/metrics` share it).
async fn readiness(state: &AppState) -> Readiness {
    let cached = state
        .readiness
        .lock()
        .ok()
        .and_then(|g| g.clone())
        .filter(|(at, _)| at.elapsed() < READY_CACHE);
    let r = match cached {
        Some((_, r)) => r,
        None => {
            let mut r = Readiness::default();
            let keys = state.keys.status();
            if !keys.active_valid {
                r.problems.push(format!(
                    "the active signing certificate `{}` has expired",
                    keys.active
                ));
            }
            if let Some(e) = &keys.last_reload_error {
                r.warnings.push(format!(
                    "the last reload of the signing keys failed (the previous set is in use): {e}"
                ));
            }
            if let Err(e) = state.backend.ready().await {
                r.problems.push(format!(
                    "the {} backend is not reachable: {e}",
                    state.backend.kind()
                ));
            }
            r.warnings.extend(state.backend.warnings());
            if let Ok(mut g) = state.readiness.lock() {
                *g = Some((std::time::Instant::now(), r.clone()));
            }
            r
        }
    };
    // The shared store's health is read live (it costs nothing): a degradation, not a reason
    // to leave the pool, since logins go on with this instance's own state.
    let mut r = r;
    r.warnings.extend(state.store.status().degradation);
    r
}

/// `/readyz`: 200 when the active certificate is valid and the backend answers; 503 with the
/// reasons otherwise; warnings (a failed key reload, TLS checks turned off, a shared store
/// that is down) are listed without failing it. Checked at most every few seconds, whatever
/// the probe rate.
pub async fn readyz(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
) -> impl IntoResponse {
    let r = readiness(&state).await;
    let ready = r.problems.is_empty();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut body = if ready { "ready\n" } else { "not ready\n" }.to_string();
    for p in r.problems {
        body.push_str(&p);
        body.push('\n');
    }
    for w in r.warnings {
        body.push_str("warning: ");
        body.push_str(&w);
        body.push('\n');
    }
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
}

/// `/metrics` in the Prometheus text format. Not served through the proxy: a request that
/// carries the proxy's headers gets a 404, so the counters stay on the internal network.
pub async fn metrics(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    if headers.contains_key(super::origin::REMAP_HEADER) || headers.contains_key("x-forwarded-for")
    {
        return StatusCode::NOT_FOUND.into_response();
    }
    let certs: Vec<crate::metrics::CertGauge> = state
        .keys
        .status()
        .certificates
        .into_iter()
        .map(|c| crate::metrics::CertGauge {
            active: c.role == crate::keys::status::Role::Active,
            name: c.name,
            days_left: c.seconds_left as f64 / 86400.0,
        })
        .collect();
    let mut text = state.metrics.render(&certs, &state.store.status());
    let ready = readiness(&state).await.problems.is_empty();
    text.push_str(&format!(
        "# HELP idp_ready 1 when /readyz answers 200 (active certificate valid, backend answers), else 0.\n# TYPE idp_ready gauge\nidp_ready {}\n",
        u8::from(ready)
    ));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
