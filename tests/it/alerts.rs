//! The operator's side of the metrics: deploy/prometheus/alerts.yml passes `promtool check
//! rules` and its unit tests (series that fire every alert and series that do not); the
//! Grafana dashboard's queries are valid PromQL (checked by promtool as recording rules);
//! every metric either file names is one a real server serves; and `idp_ready` follows
//! readiness.

use crate::common::*;
use crate::icws_double::closed_port_server;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn deploy(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(rel)
}

fn promtool(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("promtool is installed (the Debian package prometheus; make test installs it)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Every PromQL expression of the dashboard, Grafana's variables given values.
fn dashboard_queries() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(deploy("grafana/pureconnect-idp.json")).unwrap();
    let d: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for p in d["panels"].as_array().unwrap() {
        for t in p["targets"].as_array().unwrap() {
            let expr = t["expr"].as_str().unwrap();
            let name = format!(
                "dashboard:panel_{}_{}",
                p["id"],
                t["refId"].as_str().unwrap()
            );
            out.push((
                name,
                expr.replace("$__rate_interval", "5m")
                    .replace("$instance", ".*"),
            ));
        }
    }
    out
}

#[test]
fn the_alert_rules_pass_promtool_check_and_their_unit_tests() {
    let dir = deploy("prometheus");
    let (ok, out) = promtool(&dir, &["check", "rules", "alerts.yml"]);
    assert!(ok && out.contains("SUCCESS: 7 rules found"), "{out}");
    let (ok, out) = promtool(&dir, &["test", "rules", "alerts_test.yml"]);
    assert!(ok, "{out}");
}

#[test]
fn the_dashboard_queries_are_valid_promql_checked_as_recording_rules() {
    let queries = dashboard_queries();
    assert!(queries.len() >= 10, "{queries:?}");
    let mut yaml = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (name, expr) in &queries {
        yaml.push_str(&format!(
            "      - record: {name}\n        expr: {}\n",
            serde_json::to_string(expr).unwrap()
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dashboard.yml"), &yaml).unwrap();
    let (ok, out) = promtool(dir.path(), &["check", "rules", "dashboard.yml"]);
    assert!(ok, "{out}\n{yaml}");
    // The check can fail: a broken query is refused.
    std::fs::write(
        dir.path().join("broken.yml"),
        yaml.replacen("sum by (result)", "sum by (result", 1),
    )
    .unwrap();
    assert!(!promtool(dir.path(), &["check", "rules", "broken.yml"]).0);
}

/// The metric names a running server serves (histograms with their series suffixes).
async fn served_metrics(idp: &TestIdp) -> (BTreeSet<String>, String) {
    let text = client()
        .get(idp.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut names = BTreeSet::new();
    for l in text.lines() {
        if let Some(rest) = l.strip_prefix("# TYPE ") {
            let mut it = rest.split_whitespace();
            let (name, kind) = (it.next().unwrap(), it.next().unwrap());
            names.insert(name.to_string());
            if kind == "histogram" {
                for s in ["_bucket", "_sum", "_count"] {
                    names.insert(format!("{name}{s}"));
                }
            }
        }
    }
    (names, text)
}

#[tokio::test]
async fn every_metric_the_alerts_and_the_dashboard_name_is_served() {
    let fx = Fixture::new();
    let idp = TestIdp::start(fx.config("assertion", "")).await;
    let (served, text) = served_metrics(&idp).await;
    let mut used = BTreeSet::new();
    for f in ["prometheus/alerts.yml", "grafana/pureconnect-idp.json"] {
        let body = std::fs::read_to_string(deploy(f)).unwrap();
        let mut rest = body.as_str();
        while let Some(i) = rest.find("idp_") {
            let tail = &rest[i..];
            let end = tail
                .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                .unwrap_or(tail.len());
            // `pureconnect-idp_…` and words ending in idp are not metric names.
            if i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric() {
                used.insert(tail[..end].to_string());
            }
            rest = &tail[end..];
        }
    }
    let missing: Vec<&String> = used.iter().filter(|n| !served.contains(*n)).collect();
    assert!(missing.is_empty(), "{missing:?} not in\n{text}");
    assert!(
        used.contains("idp_ready") && used.contains("idp_logins_total"),
        "{used:?}"
    );
    assert!(text.contains("\nidp_ready 1\n"), "{text}");
    idp.stop().await;
}

#[tokio::test]
async fn idp_ready_is_zero_while_the_backend_does_not_answer() {
    let fx = Fixture::new();
    let backend = format!(
        "[backend]\ntype = \"icws\"\nservers = [\"{}\"]\nscheme = \"http\"\n",
        closed_port_server()
    );
    // The fixture's configuration with the users file swapped for a CIC server that is down.
    fx.config("assertion", "");
    let file = fx.path().join("idp.toml");
    let toml = std::fs::read_to_string(&file).unwrap().replace(
        "[backend]\ntype = \"file\"\nusers_file = \"users.toml\"\n",
        &backend,
    );
    std::fs::write(&file, toml).unwrap();
    let cfg = pureconnect_idp::config::Config::load(&file).unwrap();
    let idp = TestIdp::start(cfg).await;
    let (_, text) = served_metrics(&idp).await;
    assert!(text.contains("\nidp_ready 0\n"), "{text}");
    idp.stop().await;
}
