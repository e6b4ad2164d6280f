//! Prometheus metrics: what `/metrics` reports, kept in memory and rendered as text.
//!
//! Owns the counters and histograms (logins by result, SP and language; HTTP request
//! latency; backend latency; throttled attempts) and their text exposition format (version
//! 0.0.4), and the shared store's up gauge. Label values come only from bounded sets (configured SPs, supported languages,
//! fixed results), so the series count cannot grow with input. Certificate days left are
//! rendered from the key set the caller passes. No HTTP here.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A latency histogram with fixed buckets (seconds).
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| s <= *b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (b, c) in BUCKETS.iter().zip(&self.counts) {
            cumulative += c.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
    }
}

#[derive(Default)]
pub struct Metrics {
    logins: Mutex<BTreeMap<(&'static str, String, &'static str), u64>>,
    pub http_latency: Histogram,
    pub backend_latency: Histogram,
    throttled: AtomicU64,
}

/// A certificate as the metrics show it.
pub struct CertGauge {
    pub name: String,
    pub active: bool,
    pub days_left: f64,
}

/// Escapes a label value (backslash, double quote, newline).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    pub fn login(&self, result: &'static str, sp: &str, lang: &'static str) {
        let mut m = self.logins.lock().unwrap_or_else(|p| p.into_inner());
        *m.entry((result, sp.to_string(), lang)).or_insert(0) += 1;
    }

    pub fn throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self, certs: &[CertGauge], store: &crate::store::Status) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str("# HELP idp_logins_total Logins by result, service provider and language.\n# TYPE idp_logins_total counter\n");
        {
            let m = self.logins.lock().unwrap_or_else(|p| p.into_inner());
            for ((result, sp, lang), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "idp_logins_total{{result=\"{result}\",sp=\"{}\",lang=\"{lang}\"}} {n}",
                    label(sp)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP idp_throttled_attempts_total Login attempts refused by the brute-force throttle.\n# TYPE idp_throttled_attempts_total counter\nidp_throttled_attempts_total {}",
            self.throttled.load(Ordering::Relaxed)
        );
        self.http_latency.render(
            &mut out,
            "idp_http_request_duration_seconds",
            "Time to answer an HTTP request.",
        );
        self.backend_latency.render(
            &mut out,
            "idp_backend_duration_seconds",
            "Time the credential backend took to answer.",
        );
        let _ = writeln!(
            out,
            "# HELP idp_store_up Whether the shared store answers (1), or this instance runs on its own state (0).\n# TYPE idp_store_up gauge\nidp_store_up{{type=\"{}\"}} {}",
            store.kind,
            u8::from(store.up)
        );
        out.push_str("# HELP idp_certificate_days_left Days until a signing certificate expires (negative: expired).\n# TYPE idp_certificate_days_left gauge\n");
        for c in certs {
            let role = if c.active { "active" } else { "backup" };
            let _ = writeln!(
                out,
                "idp_certificate_days_left{{name=\"{}\",role=\"{role}\"}} {:.2}",
                label(&c.name),
                c.days_left
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        let m = Metrics::default();
        m.login("ok", "urn:sp \"x\"", "de");
        m.login("ok", "urn:sp \"x\"", "de");
        m.throttled();
        m.http_latency.observe(Duration::from_millis(3));
        m.http_latency.observe(Duration::from_secs(100));
        let t = m.render(
            &[CertGauge {
                name: "a".into(),
                active: true,
                days_left: 12.5,
            }],
            &crate::store::Status::memory(),
        );
        assert!(t.contains("idp_logins_total{result=\"ok\",sp=\"urn:sp \\\"x\\\"\",lang=\"de\"} 2"));
        assert!(t.contains("idp_throttled_attempts_total 1"));
        assert!(t.contains("idp_store_up{type=\"memory\"} 1"));
        assert!(t.contains("idp_http_request_duration_seconds_bucket{le=\"0.005\"} 1"));
        assert!(t.contains("idp_http_request_duration_seconds_bucket{le=\"30\"} 1"));
        assert!(t.contains("idp_http_request_duration_seconds_bucket{le=\"+Inf\"} 2"));
        assert!(t.contains("idp_http_request_duration_seconds_count 2"));
        assert!(t.contains("idp_certificate_days_left{name=\"a\",role=\"active\"} 12.50"));
    }
}
