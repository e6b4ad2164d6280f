//! Operational settings: brute-force throttling, request and connection limits.
//!
//! Owns the `[throttle]` and `[limits]` tables, their defaults and their checks, and the check
//! of `server.ops_listen`. The throttle itself lives in `crate::throttle`, the limits are
//! applied by the web layer.

use super::{Config, ConfigError};
use crate::values::duration;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleConfig {
    /// Failed logins of one user ID from one client IP (IPv6: /64) before the pair is slowed
    /// down (browsers that are not known for the user).
    #[serde(default = "d_user_failures")]
    pub user_failures: u32,
    /// Failed logins of one user ID from all IPs before it is slowed down for every browser
    /// not known for it: the last resort against a distributed campaign.
    #[serde(default = "d_user_global_failures")]
    pub user_global_failures: u32,
    /// Failed logins a known browser has of its own before it counts as unknown.
    #[serde(default = "d_browser_failures")]
    pub browser_failures: u32,
    /// How long a browser stays known for a user after a sign-in there (0: off).
    #[serde(default = "d_known_browser_lifetime", deserialize_with = "duration")]
    pub known_browser_lifetime: Duration,
    /// Failed logins from one client IP before it is slowed down.
    #[serde(default = "d_ip_failures")]
    pub ip_failures: u32,
    /// Failures are forgotten this long after the last one.
    #[serde(default = "d_window", deserialize_with = "duration")]
    pub window: Duration,
    /// The first refusal period; it doubles with every further failure.
    #[serde(default = "d_base_delay", deserialize_with = "duration")]
    pub base_delay: Duration,
    /// The longest a user ID (from one IP, or from all) or a known browser is refused.
    #[serde(default = "d_max_user_delay", deserialize_with = "duration")]
    pub max_user_delay: Duration,
    /// The longest a client IP is refused.
    #[serde(default = "d_max_ip_delay", deserialize_with = "duration")]
    pub max_ip_delay: Duration,
    /// Entries kept per table (user IDs, IPs); the oldest go first beyond it.
    #[serde(default = "d_max_entries")]
    pub max_entries: usize,
}

fn d_user_failures() -> u32 {
    5
}
fn d_user_global_failures() -> u32 {
    100
}
fn d_browser_failures() -> u32 {
    5
}
fn d_known_browser_lifetime() -> Duration {
    Duration::from_secs(90 * 24 * 3600)
}
fn d_ip_failures() -> u32 {
    30
}
fn d_window() -> Duration {
    Duration::from_secs(15 * 60)
}
fn d_base_delay() -> Duration {
    Duration::from_secs(30)
}
fn d_max_user_delay() -> Duration {
    Duration::from_secs(5 * 60)
}
fn d_max_ip_delay() -> Duration {
    Duration::from_secs(60 * 60)
}
fn d_max_entries() -> usize {
    50_000
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            user_failures: d_user_failures(),
            user_global_failures: d_user_global_failures(),
            browser_failures: d_browser_failures(),
            known_browser_lifetime: d_known_browser_lifetime(),
            ip_failures: d_ip_failures(),
            window: d_window(),
            base_delay: d_base_delay(),
            max_user_delay: d_max_user_delay(),
            max_ip_delay: d_max_ip_delay(),
            max_entries: d_max_entries(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// The largest request body accepted (bytes).
    #[serde(default = "d_max_body")]
    pub max_body: usize,
    /// Requests handled at once; beyond it a 503 page.
    #[serde(default = "d_max_concurrent")]
    pub max_concurrent: usize,
    /// The longest a request may take (a login includes the backend's answer).
    #[serde(default = "d_request_timeout", deserialize_with = "duration")]
    pub request_timeout: Duration,
    /// How long a shutdown waits for requests in flight.
    #[serde(default = "d_shutdown_grace", deserialize_with = "duration")]
    pub shutdown_grace: Duration,
    /// Password hashes (users-file backend, about 19 MiB each) at once; 0: twice the cores.
    #[serde(default)]
    pub hash_concurrency: usize,
    /// Credential checks that may wait for a hash; beyond it a "busy" page at once.
    #[serde(default = "d_hash_queue")]
    pub hash_queue: usize,
    /// The longest a credential check waits for a hash before the "busy" page.
    #[serde(default = "d_hash_wait", deserialize_with = "duration")]
    pub hash_wait: Duration,
    /// How long a client may take to send a request's headers (and, on a kept-alive HTTP/1
    /// connection, to start the next request).
    #[serde(default = "d_wait", deserialize_with = "duration")]
    pub header_read_timeout: Duration,
    /// How long a client may take to complete the TLS handshake.
    #[serde(default = "d_wait", deserialize_with = "duration")]
    pub tls_handshake_timeout: Duration,
    /// How long a write to a client may make no progress (it stopped reading) before the
    /// connection is closed.
    #[serde(default = "d_send_timeout", deserialize_with = "duration")]
    pub send_timeout: Duration,
    /// How long a client may take to send a request's whole body.
    #[serde(default = "d_wait", deserialize_with = "duration")]
    pub body_read_timeout: Duration,
    /// Open connections from one peer address (trusted proxies are not counted).
    #[serde(default = "d_max_connections_per_ip")]
    pub max_connections_per_ip: usize,
    /// Requests of one client IP being received or handled at once.
    #[serde(default = "d_max_in_flight_per_client")]
    pub max_in_flight_per_client: usize,
    /// HTTP/2 streams open at once on one connection.
    #[serde(default = "d_max_streams_per_connection")]
    pub max_streams_per_connection: u32,
}

fn d_max_body() -> usize {
    256 * 1024
}
fn d_max_concurrent() -> usize {
    512
}
fn d_request_timeout() -> Duration {
    Duration::from_secs(30)
}
fn d_shutdown_grace() -> Duration {
    Duration::from_secs(10)
}
fn d_hash_queue() -> usize {
    128
}
fn d_hash_wait() -> Duration {
    Duration::from_secs(10)
}
fn d_wait() -> Duration {
    Duration::from_secs(10)
}
fn d_send_timeout() -> Duration {
    Duration::from_secs(30)
}
fn d_max_connections_per_ip() -> usize {
    256
}
fn d_max_in_flight_per_client() -> usize {
    64
}
fn d_max_streams_per_connection() -> u32 {
    32
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_body: d_max_body(),
            max_concurrent: d_max_concurrent(),
            request_timeout: d_request_timeout(),
            shutdown_grace: d_shutdown_grace(),
            hash_concurrency: 0,
            hash_queue: d_hash_queue(),
            hash_wait: d_hash_wait(),
            header_read_timeout: d_wait(),
            tls_handshake_timeout: d_wait(),
            body_read_timeout: d_wait(),
            send_timeout: d_send_timeout(),
            max_connections_per_ip: d_max_connections_per_ip(),
            max_in_flight_per_client: d_max_in_flight_per_client(),
            max_streams_per_connection: d_max_streams_per_connection(),
        }
    }
}

pub(super) fn validate(cfg: &Config) -> Result<(), ConfigError> {
    let t = &cfg.throttle;
    if t.user_failures == 0 || t.ip_failures == 0 {
        return Err(cfg.invalid(
            "throttle.user_failures",
            "user_failures and ip_failures must be at least 1",
        ));
    }
    if t.user_global_failures == 0 || t.browser_failures == 0 {
        return Err(cfg.invalid(
            "throttle.user_global_failures",
            "user_global_failures and browser_failures must be at least 1",
        ));
    }
    if t.max_entries < 100 {
        return Err(cfg.invalid("throttle.max_entries", "must be at least 100"));
    }
    if t.window.is_zero() || t.base_delay.is_zero() {
        return Err(cfg.invalid(
            "throttle.window",
            "window and base_delay must be more than 0 seconds",
        ));
    }
    if let Some(a) = &cfg.server.ops_listen {
        if a.parse::<std::net::SocketAddr>().is_err() {
            return Err(cfg.invalid(
                "server.ops_listen",
                format!("`{a}` is not an address such as 127.0.0.1:9090"),
            ));
        }
    }
    let l = &cfg.limits;
    if l.max_body < 16 * 1024 {
        return Err(cfg.invalid(
            "limits.max_body",
            "must be at least 16384 (a POSTed AuthnRequest needs room)",
        ));
    }
    if l.hash_wait.is_zero() {
        return Err(cfg.invalid("limits.hash_wait", "must be more than 0 seconds"));
    }
    if l.max_concurrent == 0 || l.request_timeout.is_zero() {
        return Err(cfg.invalid(
            "limits.max_concurrent",
            "max_concurrent and request_timeout must be more than 0",
        ));
    }
    for (key, zero) in [
        (
            "limits.header_read_timeout",
            l.header_read_timeout.is_zero(),
        ),
        (
            "limits.tls_handshake_timeout",
            l.tls_handshake_timeout.is_zero(),
        ),
        ("limits.body_read_timeout", l.body_read_timeout.is_zero()),
        ("limits.send_timeout", l.send_timeout.is_zero()),
        (
            "limits.max_connections_per_ip",
            l.max_connections_per_ip == 0,
        ),
        (
            "limits.max_in_flight_per_client",
            l.max_in_flight_per_client == 0,
        ),
        (
            "limits.max_streams_per_connection",
            l.max_streams_per_connection == 0,
        ),
    ] {
        if zero {
            return Err(cfg.invalid(key, "must be more than 0"));
        }
    }
    Ok(())
}
