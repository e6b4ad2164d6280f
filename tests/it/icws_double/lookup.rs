//! The configuration list the double serves for the service account:
//! `GET /icws/{sessionId}/configuration/users?where=ntDomainUser eq '<value>'&select=…`,
//! answered `{"items": [...]}`. Only that one `where` form is understood (a string in single
//! quotes, `''` for a quote); anything else is `400`, as an unsupported query would be.

use super::resources::{authorize, icws_error, selected, unauthorized};
use super::DoubleState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

/// The value of `ntDomainUser eq '<value>'`.
fn nt_value(clause: &str) -> Option<String> {
    let rest = clause.trim().strip_prefix("ntDomainUser eq '")?;
    let inner = rest.strip_suffix('\'')?;
    if inner.replace("''", "").contains('\'') {
        return None;
    }
    Some(inner.replace("''", "'"))
}

pub async fn by_nt_domain_user(
    State(st): State<Arc<DoubleState>>,
    Path(sid): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if authorize(&st, &sid, &headers).is_none() {
        return unauthorized();
    }
    let Some(want) = q.get("where").and_then(|w| nt_value(w)) else {
        return icws_error(StatusCode::BAD_REQUEST, "error.request.invalidQuery");
    };
    let users = st.users.lock().unwrap();
    let mut items: Vec<_> = users
        .values()
        .filter(|u| {
            u.nt_domain_user
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(&want))
        })
        .map(|u| (u.id.clone(), selected(u, q.get("select"))))
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let items: Vec<_> = items.into_iter().map(|(_, v)| v).collect();
    (StatusCode::OK, Json(json!({ "items": items }))).into_response()
}
