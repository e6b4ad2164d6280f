//! What wraps every request: limits, security headers, error pages, latency.
//!
//! Owns the layers around the router: the body-size limit, the request timeout, the
//! per-client and server-wide concurrency limits (beyond them a 503 at once rather than a
//! queue; a body is read, within its own timeout, before a place is taken; the operational
//! endpoints are outside them) and the outermost step that times the request, turns any plain-text error a layer or extractor produced into a
//! page in the user's language, and adds the security headers (CSP, framing, referrer,
//! sniffing, HSTS when the public base is https). A request whose origin is refused (a Host
//! not in `server.allowed_hosts`, a remap value not ours) gets the 400 page before any route
//! runs, except the ops endpoints. A handler that sets its own CSP (the auto-POST page) keeps
//! it.

use super::language::page_for;
use super::origin::Origin;
use super::pages::PageError;
use super::state::AppState;
use crate::config::LimitsConfig;
use axum::body::{Body, HttpBody};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use http_body_util::{BodyExt, LengthLimitError};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// `r` inside the layers, as a router of its own (which takes any request body). The layers
/// wrap the router once, not each route: `Router::layer` boxes every route again for every
/// layer, and each request then cloned every box.
pub fn apply(r: Router, state: Arc<AppState>) -> Router {
    let limits = state.config.limits.clone();
    let guarded = tower::ServiceBuilder::new()
        .layer(middleware::from_fn_with_state(state, finish))
        .map_response(IntoResponse::into_response)
        // A handler that panics answers 500, which `finish` turns into the error page in the
        // user's language, instead of the connection being dropped.
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(DefaultBodyLimit::max(limits.max_body))
        .service(r);
    Router::new().fallback_service(guarded)
}

async fn finish(
    State(state): State<Arc<AppState>>,
    origin: Result<Origin, PageError>,
    req: Request,
    next: Next,
) -> Response {
    // The whole request, error pages made here included, shares one reference code.
    super::reference::scope(finish_in_scope(state, origin, req, next)).await
}

async fn finish_in_scope(
    state: Arc<AppState>,
    origin: Result<Origin, PageError>,
    req: Request,
    next: Next,
) -> Response {
    let started = std::time::Instant::now();
    // Probes and scrapers read these as text, whatever their status.
    let machine_readable = matches!(req.uri().path(), "/healthz" | "/readyz" | "/metrics");
    // What an error page needs to pick its language, kept before the request moves on.
    let mut lang_headers = HeaderMap::new();
    for h in [header::ACCEPT_LANGUAGE, header::COOKIE, header::REFERER] {
        if let Some(v) = req.headers().get(&h) {
            lang_headers.insert(h, v.clone());
        }
    }
    // The operational endpoints are cheap and needed most when the server is busy: they are
    // outside the limits. Load balancers probe them by address, so they answer whatever the
    // Host; on every other route a Host or remap value not ours gets the 400 page.
    let mut resp = if machine_readable {
        next.run(req).await
    } else if let Err(e) = &origin {
        e.clone().into_response()
    } else {
        within_limits(&state, &origin, req, next).await
    };
    let status = resp.status();
    let is_html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if (status.is_client_error() || status.is_server_error()) && !is_html && !machine_readable {
        let page = page_for(&state, origin.as_ref().ok(), &lang_headers, None);
        let e = match status {
            StatusCode::PAYLOAD_TOO_LARGE => PageError::new(status, "error.request_invalid")
                .detail(format!(
                    "the request is larger than {} bytes",
                    state.config.limits.max_body
                )),
            StatusCode::REQUEST_TIMEOUT if resp.extensions().get::<SlowBody>().is_some() => {
                PageError::new(status, "error.busy")
                    .detail("the request body did not arrive within limits.body_read_timeout")
            }
            StatusCode::REQUEST_TIMEOUT => PageError::new(status, "error.busy")
                .detail("the request took longer than limits.request_timeout"),
            StatusCode::SERVICE_UNAVAILABLE => PageError::new(status, "error.busy"),
            s if s.is_client_error() => PageError::new(s, "error.request_invalid"),
            s => PageError::new(s, "error.internal"),
        };
        let retry = resp.headers().get(header::RETRY_AFTER).cloned();
        resp = e.on(&page).into_response();
        if let Some(v) = retry {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    let https = origin.as_ref().is_ok_and(|o| o.base.is_https());
    security_headers(resp.headers_mut(), https);
    state.metrics.http_latency.observe(started.elapsed());
    resp
}

/// Marks the 408 of a body that did not arrive in time.
#[derive(Clone, Copy)]
struct SlowBody;

/// Runs `req` within the limits: at most `limits.max_in_flight_per_client` requests of one
/// client at once, its body read (at most `max_body` bytes, within `body_read_timeout`) before
/// it takes one of the server's `max_concurrent` places, which it holds only while it is
/// handled. Beyond either count a 503 at once rather than a queue.
async fn within_limits(
    state: &Arc<AppState>,
    origin: &Result<Origin, PageError>,
    req: Request,
    next: Next,
) -> Response {
    let limits = &state.config.limits;
    let ip = match origin {
        Ok(o) => o.client_ip,
        Err(_) => req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip()),
    };
    let Some(_client) = state
        .in_flight_per_client
        .take(ip, limits.max_in_flight_per_client)
    else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let req = match read_body(req, limits).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    // One semaphore for the whole server (route layers are per route).
    match state.in_flight.clone().try_acquire_owned() {
        Ok(_permit) => next.run(req).await,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// The request with its body read into memory, or the answer to a body that is too large
/// (413), broken (400) or too slow (408).
async fn read_body(req: Request, limits: &LimitsConfig) -> Result<Request, Response> {
    if req.body().is_end_stream() {
        return Ok(req);
    }
    if req.body().size_hint().lower() > limits.max_body as u64 {
        return Err(StatusCode::PAYLOAD_TOO_LARGE.into_response());
    }
    let (parts, body) = req.into_parts();
    let read = http_body_util::Limited::new(body, limits.max_body).collect();
    match tokio::time::timeout(limits.body_read_timeout, read).await {
        Ok(Ok(b)) => Ok(Request::from_parts(parts, Body::from(b.to_bytes()))),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(StatusCode::PAYLOAD_TOO_LARGE.into_response())
        }
        Ok(Err(_)) => Err(StatusCode::BAD_REQUEST.into_response()),
        Err(_) => {
            let mut r = StatusCode::REQUEST_TIMEOUT.into_response();
            r.extensions_mut().insert(SlowBody);
            Err(r)
        }
    }
}

fn security_headers(h: &mut HeaderMap, https: bool) {
    let fixed: [(HeaderName, &'static str); 4] = [
        (header::CONTENT_SECURITY_POLICY, super::pages::DEFAULT_CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    for (name, value) in fixed {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
}

/// The CSP of the auto-POST page: its one script by hash, the form only to `acs`'s origin.
pub fn autopost_csp(acs: &str) -> String {
    // One ACS answers nearly every login: the last one's policy is remembered per thread.
    thread_local! {
        static LAST: crate::memo::Slot<String, String> = const { std::cell::RefCell::new(None) };
    }
    crate::memo::last(&LAST, acs, csp_for)
}

fn csp_for(acs: &str) -> String {
    static SCRIPT_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let d = openssl::sha::sha256(super::pages::AUTOPOST_SCRIPT.as_bytes());
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, d)
    });
    // The ACS's origin, and its parent domain's subdomains: an SP's ACS commonly answers the
    // POST with a redirect to a sibling host (Genesys Cloud: login.… → apps.…), and browsers
    // hold redirects after a form submission to form-action too. The wildcard only when the
    // parent is owned by the same party as the ACS (see `sibling_wildcard`).
    let target = match url::Url::parse(acs) {
        Ok(u) => {
            let origin = u.origin().ascii_serialization();
            match sibling_wildcard(&u) {
                Some(parent) => format!("{origin} {}://*.{parent}", u.scheme()),
                None => origin,
            }
        }
        Err(_) => "'self'".into(),
    };
    format!(
        "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'sha256-{}'; form-action 'self' {target}; frame-ancestors 'none'; base-uri 'none'",
        *SCRIPT_HASH
    )
}

/// The parent domain of the ACS host whose subdomains the auto-POST page may post to, if
/// any: only for a domain name on the default port whose parent is itself a registrable
/// domain, or lies below one, by the Public Suffix List (compiled in by the `psl` crate).
/// `login.mypurecloud.com` gives `mypurecloud.com`; `sp.co.uk` or `x.github.io` give none,
/// since `*.co.uk` or `*.github.io` would be hosts of strangers.
fn sibling_wildcard(u: &url::Url) -> Option<&str> {
    let url::Host::Domain(host) = u.host()? else {
        return None;
    };
    if u.port().is_some() {
        return None;
    }
    let (_, parent) = host.split_once('.')?;
    // `domain` is the registrable part (one label more than the public suffix); the parent
    // qualifies when it has that many labels at least, i.e. it is not a public suffix itself.
    psl::domain(parent.as_bytes())?;
    Some(parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autopost_policy_names_the_script_hash_and_the_acs() {
        let p = autopost_csp("https://login.mypurecloud.com/saml");
        assert!(
            p.contains(
                "form-action 'self' https://login.mypurecloud.com https://*.mypurecloud.com;"
            ),
            "{p}"
        );
        assert!(p.contains("script-src 'sha256-"));
        // Under a public suffix: no wildcard over co.uk.
        let p = autopost_csp("https://sp.co.uk/saml");
        assert!(p.contains("form-action 'self' https://sp.co.uk;"), "{p}");
        let p = autopost_csp("http://127.0.0.1:8043/demo/acs");
        assert!(
            p.contains("form-action 'self' http://127.0.0.1:8043;"),
            "{p}"
        );
    }

    #[test]
    fn sibling_wildcard_only_below_a_registrable_domain() {
        let table: &[(&str, Option<&str>)] = &[
            // Genesys Cloud: login.… redirects to apps.…, so the wildcard stays.
            (
                "https://login.mypurecloud.com/saml",
                Some("mypurecloud.com"),
            ),
            ("https://login.mypurecloud.de/saml", Some("mypurecloud.de")),
            (
                "https://login.mypurecloud.com.au/saml",
                Some("mypurecloud.com.au"),
            ),
            (
                "https://login.usw2.pure.cloud/saml",
                Some("usw2.pure.cloud"),
            ),
            ("https://a.b.example.com/acs", Some("b.example.com")),
            ("https://acs.example.co.uk/acs", Some("example.co.uk")),
            // Parent is a public suffix: a wildcard over strangers.
            ("https://sp.co.uk/acs", None),
            ("https://x.github.io/acs", None),
            ("https://x.herokuapp.com/acs", None),
            ("https://example.com/acs", None),
            ("https://sp.com.au/acs", None),
            // Below a private suffix but inside one owner's domain.
            ("https://login.x.github.io/acs", Some("x.github.io")),
            // No parent, an address, or a port of its own: the origin only.
            ("https://localhost/acs", None),
            ("https://192.0.2.10/acs", None),
            ("https://[2001:db8::1]/acs", None),
            ("https://login.example.com:8443/acs", None),
        ];
        for (acs, want) in table {
            let u = url::Url::parse(acs).unwrap();
            assert_eq!(sibling_wildcard(&u), *want, "{acs}");
        }
        let p = csp_for("https://x.github.io/acs");
        assert!(p.contains("form-action 'self' https://x.github.io;"), "{p}");
        assert!(!p.contains('*'), "{p}");
    }
}
