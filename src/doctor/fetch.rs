//! The doctor's HTTP side: one client for the public internet (the public base, the Genesys
//! Cloud login host; `doctor.ca_file` added to the roots) and the ICWS client the server
//! itself uses (so `backend.ca_file` is checked exactly as serving will use it); every request
//! bounded by `doctor.timeout`; and the clock offset read from an answer's `Date` header.

use crate::backend::icws::wire::describe;
use crate::config::{BackendConfig, Config};
use reqwest::{Client, Response};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub struct Fetch {
    pub public: Client,
    /// The ICWS client, when the backend is ICWS.
    pub icws: Option<Client>,
    pub timeout: Duration,
}

/// An answer and the clock offset its `Date` header shows (None without a usable header).
pub struct Answer {
    pub response: Response,
    /// Seconds the server's clock is ahead of ours (negative: behind).
    pub offset: Option<f64>,
}

impl Fetch {
    /// Builds the clients; `Err((key, message))` for a CA file that cannot be used.
    pub fn new(cfg: &Config) -> Result<Fetch, (String, String)> {
        let timeout = cfg.doctor.timeout;
        let mut b = Client::builder()
            .use_rustls_tls()
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "pureconnect-idp-doctor/",
                env!("CARGO_PKG_VERSION")
            ));
        if let Some(path) = &cfg.doctor.ca_file {
            let key = "doctor.ca_file".to_string();
            let pem = std::fs::read(path)
                .map_err(|e| (key.clone(), format!("cannot read {}: {e}", path.display())))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    (
                        key.clone(),
                        format!("{} holds no PEM certificate", path.display()),
                    )
                })?;
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        let public = b.build().map_err(|e| {
            (
                "doctor".to_string(),
                format!("cannot build an HTTP client: {e}"),
            )
        })?;
        let icws = match &cfg.backend {
            BackendConfig::Icws(i) => Some(
                crate::backend::icws::client::build(i)
                    .map_err(|m| ("backend.ca_file".to_string(), m))?,
            ),
            BackendConfig::File { .. } => None,
        };
        Ok(Fetch {
            public,
            icws,
            timeout,
        })
    }

    /// `GET url`, bounded by the timeout; the error in words (timeout, refused, TLS).
    pub async fn get(&self, client: &Client, url: &str) -> Result<Answer, String> {
        let sent = unix_now();
        let r = client
            .get(url)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| self.explain(&e))?;
        let received = unix_now();
        let offset = r
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(http_date)
            .map(|d| offset(d, sent, received));
        Ok(Answer {
            response: r,
            offset,
        })
    }

    /// A reqwest error in words, with the timeout when it ran out.
    pub fn explain(&self, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            format!("no answer within {} s", self.timeout.as_secs_f64())
        } else {
            describe(e)
        }
    }

    /// "GET url (timeout 5 s)": what a check tried.
    pub fn tried(&self, url: &str) -> String {
        format!("GET {url} (timeout {} s)", self.timeout.as_secs_f64())
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// An HTTP date (`Wed, 02 Dec 2026 00:27:27 GMT`) as Unix seconds.
pub fn http_date(v: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc2822(v.trim())
        .ok()
        .map(|t| t.timestamp())
}

/// The server's clock minus ours. A `Date` header is whole seconds, truncated, stamped
/// between our send and our receipt: its middle (+0.5 s) against the middle of the round
/// trip. The error is at most half a second plus half the round trip.
pub fn offset(date: i64, sent: f64, received: f64) -> f64 {
    (date as f64 + 0.5) - (sent + received) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_offsets() {
        assert_eq!(http_date("Thu, 01 Jan 1970 00:01:40 GMT"), Some(100));
        assert_eq!(http_date("yesterday"), None);
        assert!((offset(112, 99.9, 100.1) - 12.5).abs() < 1e-9);
        assert!((offset(99, 99.4, 99.6) + 0.0).abs() < 1e-9);
    }
}
