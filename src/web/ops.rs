//! Operational endpoints and small static things: health, the stylesheet, the 404 page.

use super::pages::PageError;
use super::remap::Origin;
use super::{AppState, CSS_PATH};
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
    let page = super::sso::page_for(&state, origin.ok().as_ref(), &headers, None);
    PageError::new(StatusCode::NOT_FOUND, "error.not_found").on(&page)
}

/// The stylesheet's public URL.
pub fn css_url(origin: &Origin) -> String {
    origin.base.url(CSS_PATH)
}
