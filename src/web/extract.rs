//! Taking the [`Origin`] out of a request, once: the outer middleware and the handler both
//! ask, and both get the same answer (or the same localized 400 page).

use super::language::page_for;
use super::origin::Origin;
use super::pages::PageError;
use super::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::sync::Arc;

/// The origin worked out once per request.
#[derive(Clone)]
struct Resolved(Result<Origin, PageError>);

impl FromRequestParts<Arc<AppState>> for Origin {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        if let Some(Resolved(r)) = parts.extensions.get::<Resolved>() {
            return r.clone();
        }
        // A refusal is a page in the language the request asks for, like every other.
        let r = state
            .origin
            .resolve(parts)
            .map_err(|e| e.on(&page_for(state, None, &parts.headers, None)));
        parts.extensions.insert(Resolved(r.clone()));
        r
    }
}
