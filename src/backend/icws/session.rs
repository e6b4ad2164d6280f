//! One login against one ICWS server, as the public ICWS documentation describes it:
//! `POST /icws/connection` → `GET /icws/{sessionId}/configuration/users/{userID}?select=…`
//! → `DELETE /icws/{sessionId}/connection`.
//!
//! Owns the wire format (request body, the CSRF header, the session cookie carried by hand),
//! reading the answers (201, 400 with an `errorId`, 503 with an `alternateHostList`) and the
//! rule that a session once opened is always deleted — also when a later step fails or the
//! login is abandoned mid-way ([`OpenSession`] deletes on drop). The password is sent only in
//! the body of `POST /icws/connection` and appears in no log or error text. Choosing the
//! next server is the caller's job.

use super::target::Target;
use super::user;
use crate::backend::{AuthError, Principal};
use reqwest::header::{HeaderMap, ACCEPT, ACCEPT_LANGUAGE, CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

pub const CONNECT_TYPE: &str = "urn:inin.com:connection:icAuthConnectionRequestSettings";
pub const AUTH_FAILURE: &str = "error.request.connection.authenticationFailure";
pub const CSRF_HEADER: &str = "ININ-ICWS-CSRF-Token";
const SESSION_HEADER: &str = "ININ-ICWS-Session-ID";
/// No ICWS answer we read is anywhere near this; a bigger one is refused.
const MAX_BODY: usize = 1 << 20;

/// What one login needs to know besides the credentials.
pub struct Settings {
    pub application_name: String,
    pub request_timeout: Duration,
    pub email_property: String,
    pub select: String,
}

/// What asking one server gave.
#[derive(Debug)]
pub enum Outcome {
    /// The server decided: a user, or why not. No other server is asked.
    Answer(Result<Principal, AuthError>),
    /// 503 with an `alternateHostList`: ask those.
    Redirect(Vec<String>),
    /// Refused, timed out, reset, 5xx, or not ICWS: ask the next server.
    Unreachable(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    error_id: Option<String>,
    #[serde(default)]
    alternate_host_list: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConnectedBody {
    session_id: Option<String>,
    csrf_token: Option<String>,
    #[serde(rename = "userID")]
    user_id: Option<String>,
    user_display_name: Option<String>,
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
fn describe(e: &reqwest::Error) -> String {
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

async fn read_body(mut resp: Response) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| describe(&e))? {
        if buf.len() + chunk.len() > MAX_BODY {
            return Err(format!("answer larger than {MAX_BODY} bytes"));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

async fn read_json<T: DeserializeOwned>(resp: Response) -> Result<T, String> {
    let body = read_body(resp).await?;
    serde_json::from_slice(&body).map_err(|e| format!("answer is not the expected JSON: {e}"))
}

/// An error body; one that is not JSON reads as empty.
async fn read_error(resp: Response) -> ErrorBody {
    read_json(resp).await.unwrap_or_default()
}

/// The `name=value` pairs of the Set-Cookie headers, as one Cookie header.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
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

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn with_lang(rb: RequestBuilder, lang: &str) -> RequestBuilder {
    match reqwest::header::HeaderValue::from_str(lang) {
        Ok(v) => rb.header(ACCEPT_LANGUAGE, v),
        Err(_) => rb,
    }
}

/// What identifies an open CIC session; enough to use it and to delete it.
#[derive(Clone)]
struct SessionKeys {
    target: Target,
    id: String,
    csrf: String,
    cookie: Option<String>,
    /// The form's language, sent on every call of the session.
    lang: String,
}

impl SessionKeys {
    fn authed(&self, rb: RequestBuilder) -> RequestBuilder {
        let rb = with_lang(rb, &self.lang).header(CSRF_HEADER, self.csrf.as_str());
        match &self.cookie {
            Some(c) => rb.header(COOKIE, c.as_str()),
            None => rb,
        }
    }
}

/// A CIC session this login opened. Closing it is explicit ([`OpenSession::close`]); if it is
/// dropped open (the login future was abandoned), the delete is sent from a new task.
pub struct OpenSession {
    client: Client,
    keys: SessionKeys,
    timeout: Duration,
    open: bool,
}

async fn delete(client: Client, keys: SessionKeys, timeout: Duration) {
    let url = match keys.target.url(&["icws", &keys.id, "connection"]) {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!(server = %keys.target, "cannot delete the ICWS session: {e}");
            return;
        }
    };
    let sent = keys
        .authed(client.delete(url))
        .timeout(timeout)
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => {
            tracing::debug!(server = %keys.target, "ICWS session deleted")
        }
        Ok(r) => tracing::warn!(
            server = %keys.target,
            status = r.status().as_u16(),
            "deleting the ICWS session was refused; CIC ends it when it times out"
        ),
        Err(e) => tracing::warn!(
            server = %keys.target,
            "deleting the ICWS session failed ({}); CIC ends it when it times out",
            describe(&e)
        ),
    }
}

impl OpenSession {
    pub async fn close(mut self) {
        self.open = false;
        delete(self.client.clone(), self.keys.clone(), self.timeout).await;
    }

    /// The user's configuration record with the `select`ed properties.
    async fn user_record(&self, user_id: &str, select: &str) -> Result<Value, String> {
        let mut url =
            self.keys
                .target
                .url(&["icws", &self.keys.id, "configuration", "users", user_id])?;
        url.query_pairs_mut().append_pair("select", select);
        let rb = self
            .client
            .get(url)
            .header(ACCEPT, "application/json")
            .timeout(self.timeout);
        let resp = self
            .keys
            .authed(rb)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let status = resp.status();
        if status == StatusCode::OK {
            return read_json(resp).await;
        }
        let err = read_error(resp).await;
        Err(match err.error_id {
            Some(id) => format!("answered {status} (errorId {id})"),
            None => format!("answered {status}"),
        })
    }
}

impl Drop for OpenSession {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(h) => {
                h.spawn(delete(self.client.clone(), self.keys.clone(), self.timeout));
            }
            Err(_) => tracing::warn!(
                server = %self.keys.target,
                "an ICWS session was left open; CIC ends it when it times out"
            ),
        }
    }
}

/// `POST /icws/connection`: a session, or the outcome that ends this server's turn.
async fn connect(
    client: &Client,
    s: &Settings,
    target: &Target,
    user: &str,
    password: &SecretString,
    lang: &str,
) -> Result<(OpenSession, ConnectedBody), Outcome> {
    let url = target
        .url(&["icws", "connection"])
        .map_err(Outcome::Unreachable)?;
    let body = serde_json::json!({
        "__type": CONNECT_TYPE,
        "applicationName": s.application_name,
        "userID": user,
        "password": password.expose_secret(),
    });
    let rb = client
        .post(url)
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_string())
        .timeout(s.request_timeout);
    let resp = with_lang(rb, lang)
        .send()
        .await
        .map_err(|e| Outcome::Unreachable(describe(&e)))?;
    drop(body);
    let status = resp.status();
    match status {
        StatusCode::CREATED => {
            let headers = resp.headers().clone();
            // The session is deleted whatever happens next, so take what identifies it first.
            let parsed: Result<ConnectedBody, String> = read_json(resp).await;
            let body = parsed.as_ref().ok();
            let id = body
                .and_then(|b| b.session_id.clone())
                .or_else(|| header_text(&headers, SESSION_HEADER));
            let csrf = body
                .and_then(|b| b.csrf_token.clone())
                .or_else(|| header_text(&headers, CSRF_HEADER));
            let (Some(id), Some(csrf)) = (id, csrf) else {
                return Err(Outcome::Unreachable(
                    "answered 201 without a sessionId and csrfToken".into(),
                ));
            };
            let session = OpenSession {
                client: client.clone(),
                keys: SessionKeys {
                    target: target.clone(),
                    id,
                    csrf,
                    cookie: session_cookie(&headers),
                    lang: lang.to_string(),
                },
                timeout: s.request_timeout,
                open: true,
            };
            match parsed {
                Ok(b) => Ok((session, b)),
                Err(e) => {
                    session.close().await;
                    Err(Outcome::Answer(Err(AuthError::Unavailable(format!(
                        "{target}: the connection answer was unreadable: {e}"
                    )))))
                }
            }
        }
        StatusCode::BAD_REQUEST => {
            let err = read_error(resp).await;
            let outcome = classify_error_id(err.error_id.as_deref());
            tracing::info!(
                server = %target,
                error_id = err.error_id.as_deref().unwrap_or("(none)"),
                "CIC refused the login"
            );
            Err(Outcome::Answer(Err(outcome)))
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            let err = read_error(resp).await;
            if err.alternate_host_list.is_empty() {
                Err(Outcome::Unreachable(
                    "answered 503 Service Unavailable".into(),
                ))
            } else {
                Err(Outcome::Redirect(err.alternate_host_list))
            }
        }
        other => {
            let err = read_error(resp).await;
            Err(Outcome::Unreachable(match err.error_id {
                Some(id) => format!("answered {other} (errorId {id})"),
                None => format!("answered {other}"),
            }))
        }
    }
}

/// Logs `user` in on `target`, reads the email and display name, and deletes the session.
pub async fn login(
    client: &Client,
    s: &Settings,
    target: &Target,
    user: &str,
    password: &SecretString,
    lang: &str,
) -> Outcome {
    let (session, connected) = match connect(client, s, target, user, password, lang).await {
        Ok(v) => v,
        Err(outcome) => return outcome,
    };
    let user_id = connected
        .user_id
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| user.to_string());
    let record = session.user_record(&user_id, &s.select).await;
    session.close().await;
    let record = match record {
        Ok(r) => r,
        Err(e) => {
            return Outcome::Answer(Err(AuthError::Unavailable(format!(
                "{target}: the credentials were accepted but reading user `{user_id}`'s configuration failed: {e}"
            ))))
        }
    };
    let Some(email) = user::email(&record, &s.email_property) else {
        tracing::info!(server = %target, user = %user_id, "the CIC user has no business email");
        return Outcome::Answer(Err(AuthError::NoEmail));
    };
    Outcome::Answer(Ok(Principal {
        display_name: user::display_name(&record).or(connected.user_display_name),
        user_id,
        email,
    }))
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
