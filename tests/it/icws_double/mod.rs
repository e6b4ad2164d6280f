//! An ICWS test double, written from the public ICWS (Interaction Center Web Services)
//! documentation; a CIC server cannot run here. It models what the identity provider uses:
//!
//! - `POST /icws/connection` with an `urn:inin.com:connection:icAuthConnectionRequestSettings`
//!   body (`applicationName`, `userID`, `password`): `201 Created` with `sessionId`,
//!   `csrfToken`, `userID`, `userDisplayName` in the body, the `ININ-ICWS-CSRF-Token` and
//!   `ININ-ICWS-Session-ID` headers and a session cookie; `400` with an `errorId`
//!   (`error.request.connection.authenticationFailure` for a wrong user ID or password, or the
//!   user's configured errorId, e.g. an expired password) and a `message`.
//! - Session calls (`GET /icws/{sessionId}/configuration/users/{userId}?select=…`,
//!   `DELETE /icws/{sessionId}/connection`) are strict: without the session's CSRF header
//!   *and* its cookie they get `401`. `select` is honoured: only the listed properties come
//!   back (none but `configurationId` without it). DELETE ends the session (`204`).
//! - The backup role of a switchover pair: `503` with an `alternateHostList`.
//!
//! Beyond the documentation, for tests: a fixed latency on every answer, and modes that hang,
//! answer `500`, or reset new connections (read the request, drop the socket with RST);
//! optional TLS; a count of open sessions; every request seen (method, URI, Accept-Language,
//! body) and the time spent answering (for the bench). The errorIds other than
//! authenticationFailure used by the tests are examples; the IdP treats them all alike.

pub mod pki;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use axum_server::accept::Accept;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

pub const CONNECT_TYPE: &str = "urn:inin.com:connection:icAuthConnectionRequestSettings";
pub const AUTH_FAILURE: &str = "error.request.connection.authenticationFailure";

#[derive(Clone, Default)]
pub struct User {
    pub id: String,
    pub password: String,
    pub display_name: Option<String>,
    pub personal_email: Option<String>,
    pub mailbox_email: Option<String>,
    /// The connection is refused with this errorId even with the right password.
    pub error_id: Option<String>,
    /// Reading the user's configuration answers 500 (after a session was opened).
    pub fail_lookup: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    Active,
    /// The backup of a switchover pair: 503 naming these hosts.
    Backup(Vec<String>),
    Hang,
    Fail500,
    /// New connections are reset once the request has arrived.
    Reset,
}

struct Session {
    user: String,
    csrf: String,
    cookie: String,
}

/// One request as the double received it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub uri: String,
    pub accept_language: Option<String>,
    pub body: String,
}

pub struct DoubleState {
    users: Mutex<HashMap<String, User>>,
    sessions: Mutex<HashMap<String, Session>>,
    mode: Mutex<Mode>,
    latency: Mutex<Duration>,
    seen: Mutex<Vec<Seen>>,
    busy_nanos: AtomicU64,
    tls: bool,
}

impl DoubleState {
    fn mode(&self) -> Mode {
        self.mode.lock().unwrap().clone()
    }
}

/// A running double on 127.0.0.1; stopped when dropped.
pub struct IcwsDouble {
    pub port: u16,
    pub state: Arc<DoubleState>,
    handle: axum_server::Handle,
}

/// The users every double knows.
pub fn standard_users() -> Vec<User> {
    let u = |id: &str| User {
        id: id.into(),
        password: format!("{id}-pw"),
        ..Default::default()
    };
    vec![
        User {
            display_name: Some("Agent One".into()),
            personal_email: Some("agent1@example.com".into()),
            mailbox_email: Some("agent1.mailbox@example.com".into()),
            ..u("agent1")
        },
        User {
            display_name: Some("Mailbox Only".into()),
            mailbox_email: Some("mbox@example.com".into()),
            ..u("mboxonly")
        },
        User {
            display_name: Some("No Email".into()),
            ..u("noemail")
        },
        User {
            error_id: Some("error.request.connection.passwordExpired".into()),
            ..u("expired")
        },
        User {
            error_id: Some("error.request.connection.userLocked".into()),
            ..u("locked")
        },
        User {
            personal_email: Some("broken@example.com".into()),
            fail_lookup: true,
            ..u("brokenlookup")
        },
    ]
}

impl IcwsDouble {
    pub async fn start() -> IcwsDouble {
        Self::launch(None).await
    }

    /// Serves HTTPS with the given PEM certificate (chain) and key.
    pub async fn start_tls(cert_pem: &[u8], key_pem: &[u8]) -> IcwsDouble {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let cfg =
            axum_server::tls_rustls::RustlsConfig::from_pem(cert_pem.to_vec(), key_pem.to_vec())
                .await
                .unwrap();
        Self::launch(Some(cfg)).await
    }

    async fn launch(tls: Option<axum_server::tls_rustls::RustlsConfig>) -> IcwsDouble {
        let users = standard_users()
            .into_iter()
            .map(|u| (u.id.to_lowercase(), u))
            .collect();
        let state = Arc::new(DoubleState {
            users: Mutex::new(users),
            sessions: Mutex::new(HashMap::new()),
            mode: Mutex::new(Mode::Active),
            latency: Mutex::new(Duration::ZERO),
            seen: Mutex::new(Vec::new()),
            busy_nanos: AtomicU64::new(0),
            tls: tls.is_some(),
        });
        let app = Router::new()
            .route("/icws/connection", post(connect))
            .route("/icws/{sid}/configuration/users/{uid}", get(user_record))
            .route("/icws/{sid}/connection", delete(disconnect))
            .fallback(|| async { icws_error(StatusCode::NOT_FOUND, "error.request.notFound") })
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                behaviour,
            ))
            .with_state(state.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = axum_server::Handle::new();
        let reset = ResetAcceptor(state.clone());
        let service = app.into_make_service();
        let h = handle.clone();
        match tls {
            Some(cfg) => {
                let server = axum_server::from_tcp_rustls(listener, cfg)
                    .map(|a| a.acceptor(reset))
                    .handle(h);
                tokio::spawn(async move { server.serve(service).await });
            }
            None => {
                let server = axum_server::from_tcp(listener).acceptor(reset).handle(h);
                tokio::spawn(async move { server.serve(service).await });
            }
        }
        IcwsDouble {
            port,
            state,
            handle,
        }
    }

    /// `127.0.0.1:<port>`, as written in `backend.servers`.
    pub fn server(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn set_mode(&self, m: Mode) {
        *self.state.mode.lock().unwrap() = m;
    }

    pub fn set_latency(&self, d: Duration) {
        *self.state.latency.lock().unwrap() = d;
    }

    pub fn add_user(&self, u: User) {
        self.state
            .users
            .lock()
            .unwrap()
            .insert(u.id.to_lowercase(), u);
    }

    pub fn open_sessions(&self) -> usize {
        self.state.sessions.lock().unwrap().len()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// The requests to `POST /icws/connection` so far.
    pub fn connection_requests(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.method == "POST" && s.uri == "/icws/connection")
            .collect()
    }

    /// Time spent answering since the last call (latency included), and resets it.
    pub fn take_busy(&self) -> Duration {
        Duration::from_nanos(self.state.busy_nanos.swap(0, Ordering::SeqCst))
    }
}

impl Drop for IcwsDouble {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}

/// A port nothing listens on (bound, then released).
pub fn closed_port_server() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("127.0.0.1:{port}")
}

fn icws_error(status: StatusCode, error_id: &str) -> Response {
    (
        status,
        Json(json!({"errorId": error_id, "message": format!("{error_id} (test double)")})),
    )
        .into_response()
}

/// Records the request, then applies the mode and the latency; times the answer.
async fn behaviour(State(st): State<Arc<DoubleState>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    st.seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        uri: parts.uri.to_string(),
        accept_language: parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    });
    let latency = *st.latency.lock().unwrap();
    tokio::time::sleep(latency).await;
    let resp = match st.mode() {
        Mode::Hang => std::future::pending().await,
        Mode::Fail500 => icws_error(StatusCode::INTERNAL_SERVER_ERROR, "error.server.internal"),
        Mode::Backup(hosts) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "errorId": "error.server.unavailable",
                "message": "This server is the backup of a switchover pair.",
                "alternateHostList": hosts,
            })),
        )
            .into_response(),
        Mode::Active | Mode::Reset => {
            next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                .await
        }
    };
    let spent = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    st.busy_nanos.fetch_add(spent, Ordering::SeqCst);
    resp
}

fn token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

async fn connect(State(st): State<Arc<DoubleState>>, headers: HeaderMap, body: Bytes) -> Response {
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
fn authorize(st: &DoubleState, sid: &str, headers: &HeaderMap) -> Result<String, Response> {
    let sessions = st.sessions.lock().unwrap();
    let unauthorized = || {
        icws_error(
            StatusCode::UNAUTHORIZED,
            "error.request.connection.notAuthorized",
        )
    };
    let s = sessions.get(sid).ok_or_else(unauthorized)?;
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
    if csrf_ok && cookie_ok {
        Ok(s.user.clone())
    } else {
        Err(unauthorized())
    }
}

async fn user_record(
    State(st): State<Arc<DoubleState>>,
    Path((sid, uid)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&st, &sid, &headers) {
        return r;
    }
    let Some(u) = st.users.lock().unwrap().get(&uid.to_lowercase()).cloned() else {
        return icws_error(StatusCode::NOT_FOUND, "error.configuration.objectNotFound");
    };
    if u.fail_lookup {
        return icws_error(StatusCode::INTERNAL_SERVER_ERROR, "error.server.internal");
    }
    let full = json!({
        "configurationId": {"id": u.id, "displayName": u.display_name, "uri": format!("/configuration/users/{}", u.id)},
        "personalInformationProperties": {"emailAddress": u.personal_email, "givenName": "Given", "surname": "Surname"},
        "mailboxProperties": {"emailAddress": u.mailbox_email},
        "extension": "1001",
        "defaultWorkstation": {"id": "ws1"},
    });
    let selected: Vec<String> = match q.get("select") {
        Some(s) => s.split(',').map(|p| p.trim().to_string()).collect(),
        None => vec!["configurationId".into()],
    };
    let mut out = serde_json::Map::new();
    for p in selected {
        if let Some(v) = full.get(&p) {
            out.insert(p, v.clone());
        }
    }
    (StatusCode::OK, Json(Value::Object(out))).into_response()
}

async fn disconnect(
    State(st): State<Arc<DoubleState>>,
    Path(sid): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&st, &sid, &headers) {
        return r;
    }
    st.sessions.lock().unwrap().remove(&sid);
    StatusCode::NO_CONTENT.into_response()
}

/// Resets new connections in [`Mode::Reset`]: reads what the client sent, then closes the
/// socket with SO_LINGER 0 so the client sees a reset, not an orderly close.
#[derive(Clone)]
struct ResetAcceptor(Arc<DoubleState>);

impl<S: Send + 'static> Accept<TcpStream, S> for ResetAcceptor {
    type Stream = TcpStream;
    type Service = S;
    type Future = Pin<Box<dyn Future<Output = std::io::Result<(TcpStream, S)>> + Send>>;

    fn accept(&self, mut stream: TcpStream, service: S) -> Self::Future {
        let st = self.0.clone();
        Box::pin(async move {
            if st.mode() == Mode::Reset {
                use tokio::io::AsyncReadExt;
                let mut buf = [0u8; 8192];
                let _ = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf)).await;
                let _ = stream.set_zero_linger();
                drop(stream);
                return Err(std::io::Error::other("reset by the ICWS test double"));
            }
            Ok((stream, service))
        })
    }
}
