//! A Genesys Cloud API double, written from the public Genesys Cloud Platform API reference
//! (Genesys Cloud cannot run here). It models what the identity provider uses:
//!
//! - `POST /oauth/token` (on the login host): the client-credentials grant — HTTP Basic
//!   `client_id:client_secret`, form body `grant_type=client_credentials`; `200` with
//!   `access_token`, `token_type` (`bearer`) and `expires_in`; a wrong client gets `401` with
//!   the OAuth error `invalid_client`.
//! - `GET /api/v2/identityproviders/cic` (needs `sso:provider:view`) and
//!   `PUT /api/v2/identityproviders/cic` (needs `sso:provider:add` or `sso:provider:edit`)
//!   with a `Bearer` token: the `CustomerInteractionCenter` object with its fields (`id`,
//!   `name`, `disabled`, `issuerURI`, `ssoTargetURI`, `sloURI`, `sloBinding`,
//!   `relyingPartyIdentifier`, `certificate`, `certificates`, `logoImageData`,
//!   `nameIdentifierFormat`, `ssoBinding`, `signAuthnRequests`, `providerName`,
//!   `displayOnLogin`, `selfUri`). `404` before the provider exists; a field outside the model,
//!   a binding or name-ID format outside its enumeration, more than five certificates, or a
//!   certificate that does not parse is `400`. Errors have the API's body: `status`, `code`
//!   (`bad.credentials`, `missing.any.permissions`, `not.found`, `bad.request`,
//!   `too.many.requests`), `message`, `contextId`.
//! - `429` with `Retry-After` (seconds) when rate limiting.
//!
//! Beyond the reference, for tests: scripted faults for the next requests to a route (a
//! status, optionally with `Retry-After`, optionally a message that echoes the token), a delay
//! before a `PUT` takes effect, every request seen (method, path, time), and the history of
//! the certificate lists it held (when each began).

pub use super::model::canonical;
use super::model::invalid;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine;
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const CLIENT_ID: &str = "3f1c6a2e-client";
pub const CLIENT_SECRET: &str = "s3cr3t-Client-Value-9f8e7d";
pub const TOKEN: &str = "tok-Bearer-Value-a1b2c3d4e5";
pub const CIC: &str = "/api/v2/identityproviders/cic";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Token,
    Get,
    Put,
}

/// A scripted answer instead of the normal one.
#[derive(Clone, Debug)]
pub struct Fault {
    pub status: u16,
    pub retry_after: Option<u64>,
    /// The error message repeats the bearer token (as a careless proxy might).
    pub echo_token: bool,
}

impl Fault {
    pub fn status(status: u16) -> Fault {
        Fault {
            status,
            retry_after: None,
            echo_token: false,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Seen {
    pub route: Route,
    pub at: Instant,
}

pub struct DoubleState {
    provider: Mutex<Option<Map<String, Value>>>,
    permissions: Mutex<HashSet<String>>,
    /// (route, requests to let through first, fault).
    faults: Mutex<Vec<(Route, usize, Fault)>>,
    put_delay: Mutex<Duration>,
    seen: Mutex<Vec<Seen>>,
    /// (since when, the certificates held, canonical base64 DER).
    history: Mutex<Vec<(Instant, Vec<String>)>>,
}

pub struct GenesysDouble {
    pub base: String,
    pub state: Arc<DoubleState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for GenesysDouble {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl GenesysDouble {
    /// Serves login and API on one loopback port, with every permission the IdP needs.
    pub async fn start() -> GenesysDouble {
        let state = Arc::new(DoubleState {
            provider: Mutex::new(None),
            permissions: Mutex::new(
                ["sso:provider:view", "sso:provider:edit"]
                    .into_iter()
                    .map(String::from)
                    .collect(),
            ),
            faults: Mutex::new(Vec::new()),
            put_delay: Mutex::new(Duration::ZERO),
            seen: Mutex::new(Vec::new()),
            history: Mutex::new(vec![(Instant::now(), Vec::new())]),
        });
        let app = Router::new()
            .route("/oauth/token", post(token))
            .route(CIC, get(get_cic).put(put_cic))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        GenesysDouble { base, state, task }
    }

    /// The `[genesys]` table pointing at this double.
    pub fn config_table(&self, secret_file: &str) -> String {
        format!(
            "[genesys]\nregion = \"eu-central-1\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret_file = \"{secret_file}\"\n\
             login_base_url = \"{0}\"\napi_base_url = \"{0}\"\n",
            self.base
        )
    }

    pub fn set_permissions(&self, p: &[&str]) {
        *self.state.permissions.lock().unwrap() = p.iter().map(|s| s.to_string()).collect();
    }

    /// The next request to `route` gets `fault` (queued in order).
    pub fn fail_next(&self, route: Route, fault: Fault) {
        self.fail_after(route, 0, fault);
    }

    /// The request to `route` after the next `skip` ones gets `fault`.
    pub fn fail_after(&self, route: Route, skip: usize, fault: Fault) {
        self.state.faults.lock().unwrap().push((route, skip, fault));
    }

    pub fn set_put_delay(&self, d: Duration) {
        *self.state.put_delay.lock().unwrap() = d;
    }

    /// Creates the provider as an administrator would have in the console.
    pub fn set_provider(&self, p: Value) {
        let p = p.as_object().unwrap().clone();
        record(&self.state, &p);
        *self.state.provider.lock().unwrap() = Some(p);
    }

    pub fn provider(&self) -> Option<Value> {
        self.state
            .provider
            .lock()
            .unwrap()
            .clone()
            .map(Value::Object)
    }

    /// The certificates held now (canonical base64 DER).
    pub fn held(&self) -> Vec<String> {
        held_of(&self.state)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    pub fn count(&self, route: Route) -> usize {
        self.seen().iter().filter(|s| s.route == route).count()
    }
}

/// The certificates a double's state holds now.
pub fn held_of(state: &DoubleState) -> Vec<String> {
    state.history.lock().unwrap().last().unwrap().1.clone()
}

fn record(state: &DoubleState, p: &Map<String, Value>) {
    let certs: Vec<String> = p
        .get("certificates")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().and_then(canonical))
                .collect()
        })
        .unwrap_or_default();
    state.history.lock().unwrap().push((Instant::now(), certs));
}

fn error(status: u16, code: &str, message: &str) -> Response {
    let s = StatusCode::from_u16(status).unwrap();
    let body = json!({"status": status, "code": code, "message": message,
                      "contextId": "00000000-0000-4000-8000-000000000000"});
    (s, axum::Json(body)).into_response()
}

/// Notes the request and plays a scripted fault for `route`, if one is queued.
fn scripted(state: &DoubleState, route: Route) -> Option<Response> {
    state.seen.lock().unwrap().push(Seen {
        route,
        at: Instant::now(),
    });
    let mut faults = state.faults.lock().unwrap();
    let i = faults.iter().position(|(r, _, _)| *r == route)?;
    if faults[i].1 > 0 {
        faults[i].1 -= 1;
        return None;
    }
    let (_, _, f) = faults.remove(i);
    let msg = if f.echo_token {
        format!("request with token {TOKEN} and client {CLIENT_SECRET} failed")
    } else {
        "scripted failure".to_string()
    };
    let code = match f.status {
        429 => "too.many.requests",
        403 => "missing.any.permissions",
        401 => "bad.credentials",
        _ => "internal.server.error",
    };
    let mut r = error(f.status, code, &msg);
    if let Some(s) = f.retry_after {
        r.headers_mut()
            .insert("retry-after", s.to_string().parse().unwrap());
    }
    Some(r)
}

async fn token(
    State(state): State<Arc<DoubleState>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(r) = scripted(&state, Route::Token) {
        return r;
    }
    let want = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    if auth != Some(want.as_str()) {
        let b = json!({"error": "invalid_client", "description": "client not found",
                       "error_description": "client not found"});
        return (StatusCode::UNAUTHORIZED, axum::Json(b)).into_response();
    }
    if form != [("grant_type".to_string(), "client_credentials".to_string())] {
        let b = json!({"error": "unsupported_grant_type", "error_description": "grant_type"});
        return (StatusCode::BAD_REQUEST, axum::Json(b)).into_response();
    }
    axum::Json(json!({"access_token": TOKEN, "token_type": "bearer", "expires_in": 86399}))
        .into_response()
}

/// The bearer token and the permission check every API call makes.
fn check(state: &DoubleState, headers: &HeaderMap, any_of: &[&str]) -> Option<Response> {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if auth != Some(format!("Bearer {TOKEN}").as_str()) {
        return Some(error(401, "bad.credentials", "Invalid login credentials."));
    }
    let have = state.permissions.lock().unwrap();
    if !any_of.iter().any(|p| have.contains(*p)) {
        return Some(error(
            403,
            "missing.any.permissions",
            &format!(
                "Unable to perform the requested action. You must have at least one of the following permissions assigned: [{}]",
                any_of.join(", ")
            ),
        ));
    }
    None
}

async fn get_cic(State(state): State<Arc<DoubleState>>, headers: HeaderMap) -> Response {
    if let Some(r) = scripted(&state, Route::Get) {
        return r;
    }
    if let Some(r) = check(&state, &headers, &["sso:provider:view"]) {
        return r;
    }
    match state.provider.lock().unwrap().clone() {
        Some(p) => axum::Json(Value::Object(p)).into_response(),
        None => error(404, "not.found", "The requested resource was not found."),
    }
}

async fn put_cic(
    State(state): State<Arc<DoubleState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = scripted(&state, Route::Put) {
        return r;
    }
    if let Some(r) = check(&state, &headers, &["sso:provider:add", "sso:provider:edit"]) {
        return r;
    }
    let mut p = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(p)) => p,
        _ => return error(400, "bad.request", "The request body is not a provider"),
    };
    if let Some(why) = invalid(&p) {
        return error(400, "bad.request", &why);
    }
    let delay = *state.put_delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    p.insert("id".into(), json!("7a1e5c9e-0000-4000-8000-00000000c1c0"));
    p.insert("selfUri".into(), json!(CIC));
    record(&state, &p);
    *state.provider.lock().unwrap() = Some(p.clone());
    axum::Json(Value::Object(p)).into_response()
}
