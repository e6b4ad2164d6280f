//! Benchmark, not a timed test (ignored unless asked for): the identity provider's own
//! overhead on a full credential login with the CIC backend. The ICWS double answers every
//! call after a fixed 20 ms; for each login the time the double spent answering (latency
//! included) is taken from the time the credential POST took. What is left is ours: the form
//! post, the HTTP client, JSON, the SAML Response, its signature, the auto-POST page.
//!
//! `cargo test --release --test it icws_bench -- --ignored --nocapture`
//! (`IDP_BENCH_LOGINS=n` for another number of logins; 300 by default).

use crate::common::*;
use crate::icws::idp_for;
use crate::icws_double::IcwsDouble;
use std::time::{Duration, Instant};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: cargo test --release --test it icws_bench -- --ignored --nocapture"]
async fn icws_bench_idp_overhead_per_login() {
    let n: usize = std::env::var("IDP_BENCH_LOGINS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let fx = Fixture::new();
    let cic = IcwsDouble::start().await;
    cic.set_latency(Duration::from_millis(20));
    let idp = idp_for(&fx, &[cic.server()], "").await;
    let mut overhead = Vec::with_capacity(n);
    let mut total = Vec::with_capacity(n);
    let mut backend = Vec::with_capacity(n);
    let warmup = 20;
    for i in 0..n + warmup {
        let c = client();
        let form = get(&c, &request_url(&idp.base)).await;
        cic.take_busy();
        let t = Instant::now();
        let p = submit(&c, &form.body, "agent1", "agent1-pw", "login").await;
        let took = t.elapsed();
        let busy = cic.take_busy();
        assert!(autopost(&p.body).is_some(), "{}", p.body);
        if i >= warmup {
            total.push(took);
            backend.push(busy);
            overhead.push(took.saturating_sub(busy));
        }
    }
    assert_eq!(cic.open_sessions(), 0);
    for v in [&mut overhead, &mut total, &mut backend] {
        v.sort();
    }
    println!(
        "ICWS login, 20 ms per ICWS call, {n} logins ({} build):\n  \
         IdP overhead (login - backend): p50 {}  p99 {}\n  \
         login (credential POST):        p50 {}  p99 {}\n  \
         backend (time in the double):   p50 {}  p99 {}",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        ms(percentile(&overhead, 0.5)),
        ms(percentile(&overhead, 0.99)),
        ms(percentile(&total, 0.5)),
        ms(percentile(&total, 0.99)),
        ms(percentile(&backend, 0.5)),
        ms(percentile(&backend, 0.99)),
    );
    idp.stop().await;
}
