//! `GET /ICNotifierIDP/metadata`: our SAML metadata (the Issuer fixed at start-up, the
//! locations under the public base of this request, and which rule chose it), cacheable for
//! an hour.

use super::origin::Origin;
use super::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use std::sync::Arc;

/// The answer header that names where the metadata's public base came from.
pub const BASE_SOURCE_HEADER: &str = "pureconnect-idp-base-source";

pub async fn metadata(State(state): State<Arc<AppState>>, origin: Origin) -> impl IntoResponse {
    let keys = state.keys.current();
    let xml = crate::saml::metadata::idp_metadata(
        state.entity_id(),
        &state.sso_url(&origin.base),
        &state.slo_url(&origin.base),
        &keys,
    );
    (
        [
            (
                header::CONTENT_TYPE,
                "application/samlmetadata+xml; charset=utf-8",
            ),
            // A public document that changes only with the configuration or a key rotation
            // (which publishes the next certificate well ahead): caches may keep it an hour.
            (header::CACHE_CONTROL, "public, max-age=3600"),
            // Its locations follow the public base the proxy names.
            (header::VARY, "Host, ININ-REMAP-BASE-URL"),
            // Which rule chose that base: `doctor` proves the proxy's remap header arrives
            // (and is believed) with it. Nothing secret: a client can already tell by sending
            // one.
            (
                header::HeaderName::from_static(BASE_SOURCE_HEADER),
                origin.source.as_str(),
            ),
        ],
        xml,
    )
}
