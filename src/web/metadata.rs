//! `GET /ICNotifierIDP/metadata`: our SAML metadata at the public URL of this request.

use super::remap::Origin;
use super::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use std::sync::Arc;

pub async fn metadata(State(state): State<Arc<AppState>>, origin: Origin) -> impl IntoResponse {
    let keys = state.keys.current();
    let xml = crate::saml::metadata::idp_metadata(
        &state.entity_id(&origin.base),
        &state.sso_url(&origin.base),
        &state.slo_url(&origin.base),
        &keys,
    );
    (
        [(
            header::CONTENT_TYPE,
            "application/samlmetadata+xml; charset=utf-8",
        )],
        xml,
    )
}
