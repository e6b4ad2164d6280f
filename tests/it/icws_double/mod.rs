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
//! - `GET /icws/{sessionId}/configuration/users?where=ntDomainUser eq '<DOMAIN\\user>'&select=…`
//!   (the service account's lookup of Windows sign-in): `200` with `items`, the users whose NT
//!   Domain User matches without regard to case, each with the `select`ed properties.
//! - The backup role of a switchover pair: `503` with an `alternateHostList`.
//!
//! Beyond the documentation, for tests: a fixed latency on every answer, and modes that hang,
//! answer `500`, or reset new connections (read the request, drop the socket with RST);
//! optional TLS; a count of open sessions; every request seen (method, URI, Accept-Language,
//! body), the time spent answering (for the bench) and the most requests it was answering at
//! once. The errorIds other than
//! authenticationFailure used by the tests are examples; the IdP treats them all alike.

mod lookup;
mod modes;
pub mod pki;
mod resources;

use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::Router;
use modes::{behaviour, ResetAcceptor};
use resources::{connect, disconnect, icws_error, user_record, version};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
    /// The user's NT Domain User (`DOMAIN\\user`), matched by `where=ntDomainUser eq '…'`.
    pub nt_domain_user: Option<String>,
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
    /// Requests being answered now, and the most at once so far.
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
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
            nt_domain_user: Some("EXAMPLE\\agent1".into()),
            ..u("agent1")
        },
        // The service account Windows sign-in looks users up with.
        u("svc"),
        // Two CIC users carrying one Windows account (a configuration mistake).
        User {
            personal_email: Some("twin1@example.com".into()),
            nt_domain_user: Some("EXAMPLE\\twin".into()),
            ..u("twin1")
        },
        User {
            personal_email: Some("twin2@example.com".into()),
            nt_domain_user: Some("example\\TWIN".into()),
            ..u("twin2")
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
            in_flight: AtomicUsize::new(0),
            peak_in_flight: AtomicUsize::new(0),
            tls: tls.is_some(),
        });
        let app = Router::new()
            .route("/icws/connection", post(connect))
            .route("/icws/connection/version", get(version))
            .route("/icws/{sid}/configuration/users/{uid}", get(user_record))
            .route(
                "/icws/{sid}/configuration/users",
                get(lookup::by_nt_domain_user),
            )
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

    /// Ends every session, as CIC does when sessions time out or the server restarts.
    pub fn end_sessions(&self) {
        self.state.sessions.lock().unwrap().clear();
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

    /// The most requests the double was answering at once so far.
    pub fn peak_in_flight(&self) -> usize {
        self.state.peak_in_flight.load(Ordering::SeqCst)
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
