//! The ICWS wire format the login flow reads and writes: the documented names, the JSON
//! bodies of the answers, errorIds, the session cookie and CSRF headers, and reqwest errors
//! put into words for the log (never with a URL or a body).

use crate::backend::AuthError;
use reqwest::header::{HeaderMap, ACCEPT_LANGUAGE, SET_COOKIE};
use reqwest::{RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Deserialize;

pub const CONNECT_TYPE: &str = "urn:inin.com:connection:icAuthConnectionRequestSettings";
pub const AUTH_FAILURE: &str = "error.request.connection.authenticationFailure";
pub const CSRF_HEADER: &str = "ININ-ICWS-CSRF-Token";
pub const SESSION_HEADER: &str = "ININ-ICWS-Session-ID";
/// No ICWS answer we read is anywhere near this; a bigger one is refused.
const MAX_BODY: usize = 1 << 20;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub error_id: Option<String>,
    #[serde(default)]
    pub alternate_host_list: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectedBody {
    pub session_id: Option<String>,
    pub csrf_token: Option<String>,
    #[serde(rename = "userID")]
    pub user_id: Option<String>,
    pub user_display_name: Option<String>,
}

/// The `AuthError` for a 400 answer to `POST /icws/connection`.
pub fn classify_error_id(error_id: Option<&str>) -> AuthError {
    match error_id {
        Some(AUTH_FAILURE) => AuthError::BadCredentials,
        Some(id) => AuthError::AccountProblem(format!("CIC refused the login: errorId {id}")),
        None => AuthError::AccountProblem("CIC answered 400 without an errorId".into()),
    }
}

/// A reqwest error in words, without the URL (it may hold a user ID) and never a body.
pub fn describe(e: &reqwest::Error) -> String {
    let mut root: &dyn std::error::Error = e;
    while let Some(s) = root.source() {
        root = s;
    }
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    if e.is_timeout() {
        what.to_string()
    } else {
        format!("{what}: {root}")
    }
}

pub async fn read_body(mut resp: Response) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| describe(&e))? {
        if buf.len() + chunk.len() > MAX_BODY {
            return Err(format!("answer larger than {MAX_BODY} bytes"));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

pub async fn read_json<T: DeserializeOwned>(resp: Response) -> Result<T, String> {
    let body = read_body(resp).await?;
    serde_json::from_slice(&body).map_err(|e| format!("answer is not the expected JSON: {e}"))
}

/// An error body; one that is not JSON reads as empty.
pub async fn read_error(resp: Response) -> ErrorBody {
    read_json(resp).await.unwrap_or_default()
}

/// The `name=value` pairs of the Set-Cookie headers, as one Cookie header.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    let pairs: Vec<&str> = headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .map(str::trim)
        .filter(|p| p.contains('='))
        .collect();
    (!pairs.is_empty()).then(|| pairs.join("; "))
}

pub fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

pub fn with_lang(rb: RequestBuilder, lang: &str) -> RequestBuilder {
    match reqwest::header::HeaderValue::from_str(lang) {
        Ok(v) => rb.header(ACCEPT_LANGUAGE, v),
        Err(_) => rb,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn error_ids() {
        assert_eq!(
            classify_error_id(Some(AUTH_FAILURE)),
            AuthError::BadCredentials
        );
        for other in [
            "error.request.connection.passwordExpired",
            "error.request.connection.accountLocked",
            "error.license.notAvailable",
        ] {
            match classify_error_id(Some(other)) {
                AuthError::AccountProblem(m) => assert!(m.contains(other), "{m}"),
                e => panic!("{other}: {e:?}"),
            }
        }
        assert!(matches!(
            classify_error_id(None),
            AuthError::AccountProblem(_)
        ));
    }

    #[test]
    fn error_bodies() {
        let b: ErrorBody = serde_json::from_str(
            r#"{"errorId":"error.server.unavailable","message":"x","alternateHostList":["cic2","cic3:8019"]}"#,
        )
        .unwrap();
        assert_eq!(b.error_id.as_deref(), Some("error.server.unavailable"));
        assert_eq!(b.alternate_host_list, ["cic2", "cic3:8019"]);
        let b: ErrorBody = serde_json::from_str(r#"{"errorId":"e"}"#).unwrap();
        assert!(b.alternate_host_list.is_empty());
    }

    #[test]
    fn cookies_are_name_value_pairs_only() {
        let mut h = HeaderMap::new();
        assert_eq!(session_cookie(&h), None);
        h.append(
            SET_COOKIE,
            HeaderValue::from_static("icws_abc=v1; Path=/icws; HttpOnly; Secure"),
        );
        h.append(SET_COOKIE, HeaderValue::from_static("other=v2"));
        h.append(SET_COOKIE, HeaderValue::from_static("garbage; Path=/"));
        assert_eq!(session_cookie(&h).as_deref(), Some("icws_abc=v1; other=v2"));
    }

    #[test]
    fn the_connection_body_is_read_from_the_documented_names() {
        let b: ConnectedBody = serde_json::from_str(
            r#"{"sessionId":"s1","csrfToken":"c1","userID":"Ann","userDisplayName":"Ann A","icServer":"cic1"}"#,
        )
        .unwrap();
        assert_eq!(b.session_id.as_deref(), Some("s1"));
        assert_eq!(b.csrf_token.as_deref(), Some("c1"));
        assert_eq!(b.user_id.as_deref(), Some("Ann"));
        assert_eq!(b.user_display_name.as_deref(), Some("Ann A"));
    }
}
