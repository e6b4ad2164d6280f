//! pureconnect-idp: a SAML 2.0 identity provider that lets PureConnect (CIC) users sign in to
//! Genesys Cloud with their PureConnect user ID and password.
//!
//! This file builds the application from a [`Config`] and serves it; nothing else. The map of
//! the modules (the request flow, the layers, the seams) is docs/architecture.md.

pub mod backend;
pub mod config;
pub mod demo;
pub mod doctor;
pub mod genesys;
pub mod i18n;
pub mod keys;
pub mod log_fmt;
pub mod log_sink;
pub mod memo;
pub mod metrics;
pub mod saml;
pub mod selftest;
pub mod session;
pub mod sp;
pub mod store;
pub mod throttle;
pub mod values;
pub mod web;
pub mod windows;

use crate::backend::CredentialBackend;
use crate::config::{BackendConfig, Config};
use axum_server::tls_rustls::RustlsConfig;
use std::future::Future;
use std::sync::Arc;
use thiserror::Error;
use web::state::AppState;

#[derive(Debug, Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("signing keys: {0}")]
    Keys(#[from] keys::KeyError),
    #[error("credential backend: {0}")]
    Backend(String),
    #[error("TLS: {0}")]
    Tls(String),
}

/// How to build the application beyond what the configuration says.
#[derive(Default)]
pub struct Options {
    /// Use this backend instead of the configured one (demo mode, tests).
    pub backend: Option<Arc<dyn CredentialBackend>>,
    /// Serve the demo SP even when `demo.sp` is off.
    pub demo_sp: bool,
    /// Serve plain HTTP even when TLS files are configured.
    pub force_http: bool,
}

/// Everything `serve` needs: the shared state and, when TLS is on, the rustls configuration.
pub struct App {
    pub state: Arc<AppState>,
    pub tls: Option<RustlsConfig>,
}

/// `session.secret` (read with the file) or the content of `session.secret_file`.
fn session_secret(cfg: &Config) -> Result<values::SessionSecret, StartError> {
    match (&cfg.session.secret, &cfg.session.secret_file) {
        (Some(s), _) => Ok(s.clone()),
        (None, Some(p)) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                cfg.invalid(
                    "session.secret_file",
                    format!("cannot read {}: {e}", p.display()),
                )
            })?;
            Ok(values::SessionSecret::decode(&text)
                .map_err(|m| cfg.invalid("session.secret_file", m))?)
        }
        (None, None) => Err(cfg.invalid("session.secret", "is required").into()),
    }
}

/// Builds the application: keys, backend, SP registry, sealing key, TLS.
pub async fn build(cfg: Config, opts: Options) -> Result<App, StartError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    saml::xmlsec_log::install();
    // The Issuer and the Hosts are fixed here, before anything is served.
    let issuer = cfg.issuer()?;
    let allowed_hosts = cfg.server.allowed_hosts();
    let secret = session_secret(&cfg)?;
    let password = keys::password::from_config(&cfg)?;
    let keys = Arc::new(
        keys::KeyStore::load(&cfg.idp.certs_dir, password)?.with_warn_days(cfg.idp.cert_warn_days),
    );
    keys.log_expiry();
    let demo_sp = opts.demo_sp || cfg.demo.sp;
    let sps = sp::Registry::from_config(&cfg, demo_sp)?;
    let backend: Arc<dyn CredentialBackend> = match opts.backend {
        Some(b) => b,
        None => match &cfg.backend {
            BackendConfig::File { users_file } => {
                let l = &cfg.limits;
                let b = backend::file::FileBackend::load(users_file)
                    .map_err(StartError::Backend)?
                    .bounded(l.hash_concurrency, l.hash_queue, l.hash_wait);
                tracing::info!(
                    "users file {} holds {} users",
                    users_file.display(),
                    b.len()
                );
                Arc::new(b)
            }
            BackendConfig::Icws(icws) => {
                let b = backend::icws::IcwsBackend::new(icws).map_err(StartError::Backend)?;
                tracing::info!(
                    servers = ?b.servers(),
                    "credentials are checked by CIC through ICWS"
                );
                Arc::new(b)
            }
        },
    };
    let windows = match &cfg.windows {
        Some(w) => {
            let w = windows::Windows::new(w, backend.clone()).map_err(|m| {
                let (key, why) = m.split_once(": ").unwrap_or(("windows", &m));
                cfg.invalid(key, why)
            })?;
            let (what, warnings) = w.describe();
            tracing::info!("Windows sign-in: {what}");
            for m in warnings {
                tracing::warn!("INSECURE CONFIGURATION: {m}");
            }
            Some(Arc::new(w))
        }
        None => None,
    };
    for w in backend.warnings() {
        tracing::warn!("INSECURE CONFIGURATION: {w}");
    }
    let tls = match (&cfg.server.tls_cert, &cfg.server.tls_key, opts.force_http) {
        (Some(c), Some(k), false) => Some(
            RustlsConfig::from_pem_file(c, k)
                .await
                .map_err(|e| StartError::Tls(format!("{} / {}: {e}", c.display(), k.display())))?,
        ),
        _ => None,
    };
    tracing::info!(
        %issuer,
        public_base_url = cfg.server.public_base_url.as_ref().map_or("(none: URLs from the Host)", |b| b.as_str()),
        allowed_hosts = %allowed_hosts.describe(),
        "Issuer and hosts fixed at start-up"
    );
    let state = AppState {
        keys,
        sps,
        backend,
        sealer: session::Sealer::new(*secret.bytes()),
        origin: web::origin::OriginPolicy {
            trusted_proxies: cfg.server.trusted_proxies.clone(),
            public_base_url: cfg.server.public_base_url.clone(),
            alternate_public_bases: cfg.server.alternate_public_base_urls.clone(),
            allowed_hosts,
            tls: tls.is_some(),
        },
        issuer,
        default_lang: cfg.i18n.default_language,
        demo_sp,
        store: store::build(&cfg, secret.bytes()).await?,
        metrics: metrics::Metrics::default(),
        readiness: std::sync::Mutex::new(None),
        windows,
        in_flight: Arc::new(tokio::sync::Semaphore::new(cfg.limits.max_concurrent)),
        in_flight_per_client: Arc::default(),
        config: cfg,
    };
    Ok(App {
        state: Arc::new(state),
        tls,
    })
}

/// The listener of `server.ops_listen`, when it is set. Call it inside the Tokio runtime.
pub fn bind_ops(cfg: &Config) -> std::io::Result<Option<std::net::TcpListener>> {
    match &cfg.server.ops_listen {
        Some(a) => {
            let addr = a
                .parse()
                .map_err(|_| std::io::Error::other(format!("`{a}` is not an address")))?;
            web::admission::listen(addr).map(Some)
        }
        None => Ok(None),
    }
}

/// Serves the application on `listener` until `shutdown` completes, then lets requests in
/// flight finish (for at most `limits.shutdown_grace`). Meanwhile the signing keys are
/// reloaded when their folder changes or on SIGHUP. The operational endpoints get their own
/// listener when `server.ops_listen` is set.
pub async fn serve(
    app: App,
    listener: std::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let ops = bind_ops(&app.state.config)?;
    serve_with_ops(app, listener, ops, shutdown).await
}

/// [`serve`], with the operational endpoints on `ops` (plain HTTP) when it is given.
pub async fn serve_with_ops(
    app: App,
    listener: std::net::TcpListener,
    ops: Option<std::net::TcpListener>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let handle = axum_server::Handle::new();
    let ops_handle = axum_server::Handle::new();
    let (h, oh) = (handle.clone(), ops_handle.clone());
    let grace = app.state.config.limits.shutdown_grace;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
        h.graceful_shutdown(Some(grace));
        oh.graceful_shutdown(Some(grace));
    });
    let watcher = tokio::spawn(keys::watch::run(app.state.keys.clone(), stop_rx));
    let limits = app.state.config.limits.clone();
    let ops_server = match ops {
        Some(l) => {
            l.set_nonblocking(true)?;
            let service = web::ops_router(app.state.clone()).into_make_service();
            // The same bounds as the public port (every peer counted: no proxy stands in
            // front of the probes), so connections left open here cannot use up the
            // process's file descriptors either.
            let admit = web::admission::Admit::new(
                limits.max_connections_per_ip,
                Vec::new(),
                limits.send_timeout,
            );
            let acceptor = web::admission::FirstBytes::new(admit, limits.header_read_timeout);
            let mut server = axum_server::from_tcp(l)
                .acceptor(acceptor)
                .handle(ops_handle.clone());
            tune(server.http_builder(), &limits);
            Some(tokio::spawn(server.serve(service)))
        }
        None => None,
    };
    // Every connection: counted against its peer's cap, its TLS handshake, its first bytes
    // and every stalled write bounded in time; then hyper bounds the headers and the HTTP/2
    // streams.
    let admit = web::admission::Admit::new(
        limits.max_connections_per_ip,
        app.state.origin.trusted_proxies.clone(),
        limits.send_timeout,
    );
    let backend = app.state.backend.clone();
    let service =
        web::router(app.state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = match app.tls {
        Some(tls) => {
            let tls = axum_server::tls_rustls::RustlsAcceptor::new(tls)
                .handshake_timeout(limits.tls_handshake_timeout)
                .acceptor(admit);
            let acceptor = web::admission::FirstBytes::new(tls, limits.header_read_timeout);
            let mut server = axum_server::from_tcp(listener)
                .acceptor(acceptor)
                .handle(handle);
            tune(server.http_builder(), &limits);
            server.serve(service).await
        }
        None => {
            let acceptor = web::admission::FirstBytes::new(admit, limits.header_read_timeout);
            let mut server = axum_server::from_tcp(listener)
                .acceptor(acceptor)
                .handle(handle);
            tune(server.http_builder(), &limits);
            server.serve(service).await
        }
    };
    if let Some(task) = ops_server {
        ops_handle.graceful_shutdown(Some(grace));
        let _ = task.await;
    }
    watcher.abort();
    // What the backend keeps open (the ICWS service session) is closed after the last request.
    backend.close().await;
    served
}

/// hyper's own bounds: the time for a request's headers (HTTP/1; on a kept-alive connection
/// also the wait for the next request), the streams open at once on an HTTP/2 connection, and
/// pings that close an HTTP/2 connection whose peer stopped answering.
fn tune(
    b: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
    l: &config::LimitsConfig,
) {
    b.http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(l.header_read_timeout);
    b.http2()
        .timer(hyper_util::rt::TokioTimer::new())
        .max_concurrent_streams(l.max_streams_per_connection)
        .keep_alive_interval(l.header_read_timeout)
        .keep_alive_timeout(l.header_read_timeout);
}
