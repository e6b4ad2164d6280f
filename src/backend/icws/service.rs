//! The service-account ICWS session: one CIC session, opened with `backend.service_user`,
//! through which Windows sign-in finds the CIC user of a Windows account:
//! `GET /icws/{sessionId}/configuration/users?where=ntDomainUser eq '<DOMAIN\user>'&select=…`.
//!
//! Owns keeping that session: opened on first use (not per login), reused by every lookup,
//! opened again when CIC has ended it (401) or its server stops answering, on the servers
//! in the backend's order and following a backup's `alternateHostList` as logins do, and
//! deleted on shutdown ([`ServiceSession::close`]). The password is read once at start-up and
//! appears in no log or error text.

use super::session::{connect, OpenSession, Settings};
use super::target::{self, Target};
use super::{user, Outcome, MAX_SERVERS_PER_LOGIN};
use crate::backend::{AuthError, Principal};
use reqwest::{Client, StatusCode};
use secrecy::SecretString;
use serde_json::Value;
use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;

/// The language the service session's calls are made in (its answers are not shown).
const LANG: &str = "en-US";

pub struct ServiceSession {
    user: String,
    password: SecretString,
    current: tokio::sync::Mutex<Option<Arc<OpenSession>>>,
}

/// `'` doubled, as the ICWS `where` syntax quotes a string.
fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

impl ServiceSession {
    /// Reads the password file (first line).
    pub fn new(user: &str, password_file: &Path) -> Result<ServiceSession, String> {
        let text = std::fs::read_to_string(password_file).map_err(|e| {
            format!(
                "backend.service_password_file: cannot read {}: {e}",
                password_file.display()
            )
        })?;
        let pw = text.lines().next().unwrap_or("").to_string();
        if pw.is_empty() {
            return Err(format!(
                "backend.service_password_file: {} is empty",
                password_file.display()
            ));
        }
        Ok(ServiceSession {
            user: user.trim().to_string(),
            password: SecretString::from(pw),
            current: tokio::sync::Mutex::new(None),
        })
    }

    /// Opens a session on the first server of `order` that takes the service account.
    async fn open(
        &self,
        client: &Client,
        s: &Settings,
        order: VecDeque<Target>,
    ) -> Result<(OpenSession, Target), AuthError> {
        let mut queue = order;
        let mut tried: Vec<(Target, String)> = Vec::new();
        while let Some(t) = queue.pop_front() {
            if tried.iter().any(|(x, _)| *x == t) || tried.len() >= MAX_SERVERS_PER_LOGIN {
                continue;
            }
            match connect(client, s, &t, &self.user, &self.password, LANG).await {
                Ok((session, _)) => {
                    tracing::info!(server = %t, user = %self.user, "ICWS service session opened");
                    return Ok((session, t));
                }
                Err(Outcome::Redirect(list)) => {
                    let (alts, _) = target::alternates(&list, &t);
                    for a in alts.into_iter().rev() {
                        queue.push_front(a);
                    }
                    tried.push((t, "503 with alternateHostList".into()));
                }
                Err(Outcome::Unreachable(why)) => tried.push((t, why)),
                Err(Outcome::Answer(r)) => {
                    let why = r
                        .err()
                        .map_or_else(|| "refused".to_string(), |e| e.to_string());
                    tracing::warn!(server = %t, user = %self.user, "CIC refused the service account: {why}");
                    return Err(AuthError::Unavailable(format!(
                        "CIC refused the service account {}: {why}",
                        self.user
                    )));
                }
            }
        }
        let list: Vec<String> = tried.iter().map(|(t, w)| format!("{t} ({w})")).collect();
        Err(AuthError::Unavailable(format!(
            "no CIC server answered for the service session; tried {}",
            list.join(", ")
        )))
    }

    /// The CIC users whose NT Domain User is `nt_user`. A session CIC has ended, or whose
    /// server is gone, is replaced once per lookup. `remember` is told the server that answered.
    pub async fn find(
        &self,
        client: &Client,
        s: &Settings,
        order: impl Fn() -> VecDeque<Target>,
        remember: impl Fn(&Target),
        nt_user: &str,
    ) -> Result<Vec<Principal>, AuthError> {
        let filter = format!("ntDomainUser eq {}", quoted(nt_user));
        let mut last = String::new();
        for _ in 0..2 {
            let session = {
                let mut cur = self.current.lock().await;
                match cur.as_ref() {
                    Some(c) => c.clone(),
                    None => {
                        let (opened, t) = self.open(client, s, order()).await?;
                        remember(&t);
                        let opened = Arc::new(opened);
                        *cur = Some(opened.clone());
                        opened
                    }
                }
            };
            match session
                .get_json(
                    &["configuration", "users"],
                    &[("where", &filter), ("select", &s.select)],
                )
                .await
            {
                Ok(v) => return Ok(principals(&v, &s.email_property)),
                Err((status, why)) => {
                    let mut cur = self.current.lock().await;
                    if cur.as_ref().is_some_and(|c| Arc::ptr_eq(c, &session)) {
                        *cur = None;
                    }
                    tracing::info!(
                        server = %session.target(),
                        "the ICWS service session is replaced: {why}"
                    );
                    last = why;
                    if status.is_some_and(|c| c != StatusCode::UNAUTHORIZED && c.is_client_error())
                    {
                        break;
                    }
                }
            }
        }
        Err(AuthError::Unavailable(format!(
            "looking up the NT domain user failed: {last}"
        )))
    }

    /// Deletes the session (at shutdown).
    pub async fn close(&self) {
        let taken = self.current.lock().await.take();
        if let Some(s) = taken.and_then(|a| Arc::try_unwrap(a).ok()) {
            s.close().await;
            tracing::info!("ICWS service session closed");
        }
    }
}

/// The users of a `configuration/users` list answer (`items`), each with an email.
fn principals(v: &Value, email_property: &str) -> Vec<Principal> {
    let items = v.get("items").and_then(Value::as_array);
    items
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let id = user::lookup(r, "configurationId.id")?.as_str()?.to_string();
            Some(Principal {
                email: user::email(r, email_property).unwrap_or_default(),
                display_name: user::display_name(r),
                user_id: id,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn where_values_are_quoted() {
        assert_eq!(quoted("EXAMPLE\\o'brien"), "'EXAMPLE\\o''brien'");
    }

    #[test]
    fn list_answers() {
        let v = json!({"items": [
            {"configurationId": {"id": "agent1", "displayName": "Agent One"},
             "personalInformationProperties": {"emailAddress": "agent1@example.com"}},
            {"configurationId": {"id": "noemail"}},
            {"nothing": 1}
        ]});
        let p = principals(&v, crate::config::DEFAULT_EMAIL_PROPERTY);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].email, "agent1@example.com");
        assert_eq!(p[1].email, "");
        assert!(principals(&json!({}), "x").is_empty());
    }
}
