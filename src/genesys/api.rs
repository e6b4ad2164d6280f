//! The Genesys Cloud API client of the command line: an OAuth client-credentials grant, then
//! `GET` and `PUT /api/v2/identityproviders/cic` with the token.
//!
//! Owns the HTTP exchange and what its failures mean, in plain words: 401 a bad client (or a
//! token refused), 403 a missing permission (named), 429 rate limited (it waits what
//! `Retry-After` says, a few times, then gives up saying so). The client secret and the access
//! token live in [`SecretString`]s; they are sent and never printed, logged or put in an
//! error — and any text Genesys Cloud sends back is scrubbed of both before it is shown.
//! The server never uses this module: only the `genesys-config --push` and
//! `certs … --genesys` commands do.

use crate::config::{Config, GenesysApiConfig};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::Mutex;

/// The path of the PureConnect (CIC) provider resource.
pub const CIC_PATH: &str = "/api/v2/identityproviders/cic";
/// What reading the provider needs.
pub const VIEW_PERMISSION: &str = "sso:provider:view";
/// What writing it needs (any one of them).
pub const EDIT_PERMISSIONS: &str = "sso:provider:edit (or sso:provider:add)";
/// Times a rate-limited request is tried in all.
const ATTEMPTS: usize = 4;
/// A longer `Retry-After` than this is not waited for: the command stops and says when to
/// run it again.
const MAX_WAIT: Duration = Duration::from_secs(120);

#[derive(Debug, Error)]
pub enum ApiError {
    #[error("the configuration has no [genesys] table: add region, client_id and client_secret_file (see docs/genesys-cloud.md)")]
    NotConfigured,
    #[error("{0}")]
    Config(String),
    #[error("Genesys Cloud refused the OAuth client ({0}): check genesys.client_id and the secret in genesys.client_secret_file, and that the client uses the Client Credentials grant")]
    BadClient(String),
    #[error("Genesys Cloud refused the access token (HTTP 401) for {0}: the OAuth client may have been deleted or its secret changed; run the command again")]
    TokenRefused(String),
    #[error("the OAuth client lacks the permission {permission}, needed to {what}: give the client a role with it in Genesys Cloud (Admin > OAuth > the client > Roles). Genesys Cloud said: {said}")]
    MissingPermission {
        permission: &'static str,
        what: &'static str,
        said: String,
    },
    #[error("Genesys Cloud is rate limiting this client (HTTP 429) for {what}: {why}; nothing more was sent. Run the command again later")]
    RateLimited { what: String, why: String },
    #[error("Genesys Cloud answered HTTP {status} to {what}: {said}")]
    Http {
        status: u16,
        what: String,
        said: String,
    },
    #[error("cannot reach Genesys Cloud at {url}: {why}")]
    Network { url: String, why: String },
    #[error("Genesys Cloud sent an answer to {what} that is not what its API documents: {why}")]
    Unexpected { what: String, why: String },
}

pub struct Api {
    http: reqwest::Client,
    login: String,
    api: String,
    client_id: String,
    secret: SecretString,
    token: Mutex<Option<SecretString>>,
    /// Where the `Rate limited: waiting …` lines go (standard error for the commands).
    notice: Box<dyn Fn(&str) + Send + Sync>,
}

impl Api {
    /// The client of the configuration's `[genesys]` table; reads the secret file.
    pub fn from_config(cfg: &Config) -> Result<Api, ApiError> {
        let g = cfg.genesys.as_ref().ok_or(ApiError::NotConfigured)?;
        let secret = read_secret(g)?;
        let (Some(login), Some(api)) = (g.login_base(), g.api_base()) else {
            return Err(ApiError::Config(
                "genesys.region (or genesys.login_base_url and genesys.api_base_url) is required"
                    .into(),
            ));
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("pureconnect-idp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Config(format!("cannot make an HTTP client: {e}")))?;
        Ok(Api {
            http,
            login,
            api,
            client_id: g.client_id.clone(),
            secret,
            token: Mutex::new(None),
            notice: Box::new(|m| eprintln!("{m}")),
        })
    }

    /// Sends the rate-limit notices somewhere else than standard error.
    pub fn with_notice(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> Api {
        self.notice = Box::new(f);
        self
    }

    /// The PureConnect provider, or `None` when the organization has none yet (404).
    pub async fn get_cic(&self) -> Result<Option<Value>, ApiError> {
        let what = format!("GET {CIC_PATH}");
        let r = self
            .authorized(&what, |c, url, t| c.get(url).bearer_auth(t))
            .await?;
        let status = r.status().as_u16();
        if status == 404 {
            return Ok(None);
        }
        let body = self.body(r, &what).await?;
        match status {
            200..=299 => Ok(Some(body)),
            _ => Err(self.failure(status, &what, &body, VIEW_PERMISSION, "read the provider")),
        }
    }

    /// Writes the provider (the whole object).
    pub async fn put_cic(&self, provider: &Value) -> Result<Value, ApiError> {
        let what = format!("PUT {CIC_PATH}");
        let body = provider.to_string();
        let r = self
            .authorized(&what, |c, url, t| {
                c.put(url)
                    .bearer_auth(t)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await?;
        let status = r.status().as_u16();
        let body = self.body(r, &what).await?;
        match status {
            200..=299 => Ok(body),
            _ => Err(self.failure(status, &what, &body, EDIT_PERMISSIONS, "write the provider")),
        }
    }

    /// One API request with the token, rate limits waited out.
    async fn authorized(
        &self,
        what: &str,
        make: impl Fn(&reqwest::Client, &str, &str) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ApiError> {
        let token = self.token().await?;
        let url = format!("{}{CIC_PATH}", self.api);
        let r = self
            .send(what, &url, || make(&self.http, &url, token.expose_secret()))
            .await?;
        if r.status().as_u16() == 401 {
            *self.token.lock().await = None;
            return Err(ApiError::TokenRefused(what.to_string()));
        }
        Ok(r)
    }

    /// The access token, asked for once per run.
    async fn token(&self) -> Result<SecretString, ApiError> {
        let mut held = self.token.lock().await;
        if let Some(t) = held.as_ref() {
            return Ok(t.clone());
        }
        let what = "the OAuth token request (client credentials)".to_string();
        let url = format!("{}/oauth/token", self.login);
        let r = self
            .send(&what, &url, || {
                self.http
                    .post(&url)
                    .basic_auth(&self.client_id, Some(self.secret.expose_secret()))
                    .form(&[("grant_type", "client_credentials")])
            })
            .await?;
        let status = r.status().as_u16();
        let body = self.body(r, &what).await?;
        if status == 401 || (status == 400 && body["error"] == "invalid_client") {
            return Err(ApiError::BadClient(format!(
                "HTTP {status}: {}",
                self.said(&body)
            )));
        }
        if !(200..=299).contains(&status) {
            return Err(ApiError::Http {
                status,
                what,
                said: self.said(&body),
            });
        }
        let token = body["access_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::Unexpected {
                what: what.clone(),
                why: "no access_token".into(),
            })?;
        let token = SecretString::from(token.to_string());
        *held = Some(token.clone());
        Ok(token)
    }

    /// Sends a request, waiting out `429 Too Many Requests` as `Retry-After` says.
    async fn send(
        &self,
        what: &str,
        url: &str,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ApiError> {
        for attempt in 1..=ATTEMPTS {
            let r = make().send().await.map_err(|e| ApiError::Network {
                url: url.to_string(),
                why: plain_reqwest_error(&e),
            })?;
            tracing::debug!(target: "genesys", what, status = r.status().as_u16(), "Genesys Cloud answered");
            if r.status().as_u16() != 429 {
                return Ok(r);
            }
            let wait = retry_after(r.headers());
            if wait > MAX_WAIT {
                return Err(ApiError::RateLimited {
                    what: what.to_string(),
                    why: format!("it asks to wait {} s (Retry-After)", wait.as_secs()),
                });
            }
            if attempt == ATTEMPTS {
                break;
            }
            (self.notice)(&format!(
                "Genesys Cloud is rate limiting this client (HTTP 429): waiting {} s as its Retry-After says, then trying {what} again",
                wait.as_secs()
            ));
            tokio::time::sleep(wait).await;
        }
        Err(ApiError::RateLimited {
            what: what.to_string(),
            why: format!("still limited after {ATTEMPTS} tries"),
        })
    }

    async fn body(&self, r: reqwest::Response, what: &str) -> Result<Value, ApiError> {
        let bytes = r.bytes().await.map_err(|e| ApiError::Network {
            url: what.to_string(),
            why: plain_reqwest_error(&e),
        })?;
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        Ok(serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            Value::String(String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned())
        }))
    }

    fn failure(
        &self,
        status: u16,
        what: &str,
        body: &Value,
        permission: &'static str,
        purpose: &'static str,
    ) -> ApiError {
        let said = self.said(body);
        match status {
            403 => ApiError::MissingPermission {
                permission,
                what: purpose,
                said,
            },
            _ => ApiError::Http {
                status,
                what: what.to_string(),
                said,
            },
        }
    }

    /// What Genesys Cloud said (its `message`, or OAuth's `error_description`), one line,
    /// short, with the secret and the token taken out should it echo either.
    fn said(&self, body: &Value) -> String {
        let text = ["message", "error_description", "description", "error"]
            .iter()
            .find_map(|k| body[*k].as_str())
            .map(str::to_string)
            .or_else(|| body.as_str().map(str::to_string))
            .unwrap_or_else(|| "(no message)".into());
        let mut text: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(300)
            .collect();
        let token = self.token.try_lock().ok().and_then(|t| t.clone());
        for s in [Some(&self.secret), token.as_ref()].into_iter().flatten() {
            let s = s.expose_secret();
            if !s.is_empty() {
                text = text.replace(s, "[redacted]");
            }
        }
        text
    }
}

fn read_secret(g: &GenesysApiConfig) -> Result<SecretString, ApiError> {
    let path = &g.client_secret_file;
    let text = std::fs::read_to_string(path).map_err(|e| {
        ApiError::Config(format!(
            "genesys.client_secret_file: cannot read {}: {}",
            path.display(),
            e.kind()
        ))
    })?;
    let line = text.lines().next().unwrap_or("").trim();
    if line.is_empty() {
        return Err(ApiError::Config(format!(
            "genesys.client_secret_file: {} is empty: it must hold the OAuth client's secret",
            path.display()
        )));
    }
    Ok(SecretString::from(line.to_string()))
}

/// `Retry-After` in seconds (the form Genesys Cloud sends); 5 s when missing or unreadable.
fn retry_after(h: &reqwest::header::HeaderMap) -> Duration {
    let secs = h
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(5);
    Duration::from_secs(secs)
}

/// A transport error without the URL's query or anything reqwest attaches beyond the cause.
fn plain_reqwest_error(e: &reqwest::Error) -> String {
    let mut why = if e.is_timeout() {
        "no answer in time".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        "the connection failed".to_string()
    };
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        why = format!("{why}: {s}");
        src = s.source();
    }
    why
}
