//! The ICWS resources the double serves, as the public documentation describes them:
//! `POST /icws/connection`, `GET /icws/{sessionId}/configuration/users/{userId}`,
//! `DELETE /icws/{sessionId}/connection`, with strict session checks.

use super::{DoubleState, Session, AUTH_FAILURE, CONNECT_TYPE};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

pub fn icws_error(status: StatusCode, error_id: &str) -> Response {
    (
        status,
        Json(json!({"errorId": error_id, "message": format!("{error_id} (test double)")})),
    )
        .into_response()
}

fn token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

pub async fn connect(
    State(st): State<Arc<DoubleState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let json_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json_type {
        return icws_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "error.request.unsupportedMediaType",
        );
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return icws_error(
            StatusCode::BAD_REQUEST,
            "error.request.invalidRepresentation",
        );
    };
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(CONNECT_TYPE), Some(app), Some(user), Some(password)) = (
        text("__type").as_deref(),
        text("applicationName"),
        text("userID"),
        text("password"),
    ) else {
        return icws_error(
            StatusCode::BAD_REQUEST,
            "error.request.invalidRepresentation",
        );
    };
    if app.trim().is_empty() {
        return icws_error(
            StatusCode::BAD_REQUEST,
            "error.request.invalidRepresentation",
        );
    }
    let Some(u) = st.users.lock().unwrap().get(&user.to_lowercase()).cloned() else {
        return icws_error(StatusCode::BAD_REQUEST, AUTH_FAILURE);
    };
    if u.password != password {
        return icws_error(StatusCode::BAD_REQUEST, AUTH_FAILURE);
    }
    if let Some(id) = &u.error_id {
        return icws_error(StatusCode::BAD_REQUEST, id);
    }
    let (sid, csrf, cookie) = (token(), token(), token());
    st.sessions.lock().unwrap().insert(
        sid.clone(),
        Session {
            user: u.id.clone(),
            csrf: csrf.clone(),
            cookie: cookie.clone(),
        },
    );
    let secure = if st.tls { "; Secure" } else { "" };
    let mut resp = (
        StatusCode::CREATED,
        Json(json!({
            "sessionId": sid,
            "csrfToken": csrf,
            "userID": u.id,
            "userDisplayName": u.display_name,
            "icServer": "cic-double",
            "alternateHostList": [],
        })),
    )
        .into_response();
    let h = resp.headers_mut();
    for (name, value) in [
        ("ININ-ICWS-CSRF-Token", csrf),
        ("ININ-ICWS-Session-ID", sid.clone()),
        ("Location", format!("/icws/{sid}/connection")),
        (
            "Set-Cookie",
            format!("icws_{sid}={cookie}; Path=/icws; HttpOnly{secure}"),
        ),
    ] {
        h.append(name, HeaderValue::from_str(&value).unwrap());
    }
    resp
}

/// The session's user, if the call carries the session's CSRF header and cookie.
pub(super) fn authorize(st: &DoubleState, sid: &str, headers: &HeaderMap) -> Option<String> {
    let sessions = st.sessions.lock().unwrap();
    let s = sessions.get(sid)?;
    let csrf_ok = headers
        .get("ININ-ICWS-CSRF-Token")
        .and_then(|v| v.to_str().ok())
        == Some(s.csrf.as_str());
    let want = format!("icws_{sid}={}", s.cookie);
    let cookie_ok = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim() == want);
    (csrf_ok && cookie_ok).then(|| s.user.clone())
}

pub(super) fn unauthorized() -> Response {
    icws_error(
        StatusCode::UNAUTHORIZED,
        "error.request.connection.notAuthorized",
    )
}

pub async fn user_record(
    State(st): State<Arc<DoubleState>>,
    Path((sid, uid)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if authorize(&st, &sid, &headers).is_none() {
        return unauthorized();
    }
    let Some(u) = st.users.lock().unwrap().get(&uid.to_lowercase()).cloned() else {
        return icws_error(StatusCode::NOT_FOUND, "error.configuration.objectNotFound");
    };
    if u.fail_lookup {
        return icws_error(StatusCode::INTERNAL_SERVER_ERROR, "error.server.internal");
    }
    (StatusCode::OK, Json(selected(&u, q.get("select")))).into_response()
}

/// The user's record with the `select`ed properties only (`configurationId` without one).
pub(super) fn selected(u: &super::User, select: Option<&String>) -> Value {
    let full = json!({
        "configurationId": {"id": u.id, "displayName": u.display_name, "uri": format!("/configuration/users/{}", u.id)},
        "personalInformationProperties": {"emailAddress": u.personal_email, "givenName": "Given", "surname": "Surname"},
        "mailboxProperties": {"emailAddress": u.mailbox_email},
        "ntDomainUser": u.nt_domain_user,
        "extension": "1001",
        "defaultWorkstation": {"id": "ws1"},
    });
    let selected: Vec<String> = match select {
        Some(s) => s.split(',').map(|p| p.trim().to_string()).collect(),
        None => vec!["configurationId".into()],
    };
    let mut out = serde_json::Map::new();
    for p in selected {
        if let Some(v) = full.get(&p) {
            out.insert(p, v.clone());
        }
    }
    Value::Object(out)
}

pub async fn disconnect(
    State(st): State<Arc<DoubleState>>,
    Path(sid): Path<String>,
    headers: HeaderMap,
) -> Response {
    if authorize(&st, &sid, &headers).is_none() {
        return unauthorized();
    }
    st.sessions.lock().unwrap().remove(&sid);
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /icws/connection/version`: the server's version, asked without a session (the
/// identity provider's readiness check uses it).
pub async fn version() -> Response {
    Json(json!({
        "majorVersion": 25,
        "minorVersion": 1,
        "su": 0,
        "productId": "PureConnect",
        "codebaseId": "double",
        "build": "0",
        "productReleaseDisplayString": "test double",
    }))
    .into_response()
}
