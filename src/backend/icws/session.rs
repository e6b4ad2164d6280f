//! One login against one ICWS server, as the public ICWS documentation describes it:
//! `POST /icws/connection` → `GET /icws/{sessionId}/configuration/users/{userID}?select=…`
//! → `DELETE /icws/{sessionId}/connection`.
//!
//! Owns the order of the calls, what each answer means for the login (201, 400 with an
//! `errorId`, 503 with an `alternateHostList`; the names and bodies are in [`super::wire`]),
//! carrying the session cookie and CSRF token by hand, and the rule that a session once
//! opened is always deleted — also when a later step fails or the login is abandoned mid-way
//! ([`OpenSession`] deletes on drop). The password is sent only in
//! the body of `POST /icws/connection` and appears in no log or error text. Choosing the
//! next server is the caller's job.

use super::target::Target;
use super::user;
use super::wire::{
    classify_error_id, describe, header_text, read_error, read_json, session_cookie, with_lang,
    ConnectedBody, CONNECT_TYPE, CSRF_HEADER, SESSION_HEADER,
};
use crate::backend::{AuthError, Principal};
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE};
use reqwest::{Client, RequestBuilder, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::time::Duration;

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
        self.get_json(&["configuration", "users", user_id], &[("select", select)])
            .await
            .map_err(|(_, m)| m)
    }

    /// `GET /icws/{sessionId}/<segments>?<query>` as JSON; on failure the status (if one
    /// came) and why.
    pub(super) async fn get_json(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> Result<Value, (Option<StatusCode>, String)> {
        let mut path = vec!["icws", self.keys.id.as_str()];
        path.extend_from_slice(segments);
        let mut url = self.keys.target.url(&path).map_err(|e| (None, e))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
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
            .map_err(|e| (None, describe(&e)))?;
        let status = resp.status();
        if status == StatusCode::OK {
            return read_json(resp).await.map_err(|e| (Some(status), e));
        }
        let err = read_error(resp).await;
        Err((
            Some(status),
            match err.error_id {
                Some(id) => format!("answered {status} (errorId {id})"),
                None => format!("answered {status}"),
            },
        ))
    }

    /// The server this session is on.
    pub(super) fn target(&self) -> &Target {
        &self.keys.target
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
pub(super) async fn connect(
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
