//! The public-base check through real nginx, configured from nginx-example.conf in front of a
//! TLS instance: it passes as the example is written (also as the command, exit 0); it fails
//! when the proxy strips the remap header, when the server does not trust the proxy, when the
//! server behind the proxy publishes other certificates, and when it has another entityID.

use super::*;
use crate::proxy::{free_port, nginx_conf, public_base, start_nginx, wait_for, Nginx};
use std::process::Command;

const REMAP_LINE: &str = "proxy_set_header ININ-REMAP-BASE-URL";

/// An instance on TLS behind nginx on `port` (its `[server]` lines plus `server_extra`); the
/// conf is nginx-example.conf, through `edit`.
async fn behind_nginx(
    fx: &Fixture,
    port: u16,
    server_extra: &str,
    edit: impl Fn(String) -> String,
) -> (TestIdp, Nginx, PathBuf) {
    let (cert, key) = fx.tls();
    let public = public_base(port);
    let server = format!(
        "{}\npublic_base_url = \"{public}\"\n{server_extra}",
        fx.tls_server_lines()
    );
    let tail = format!("[doctor]\nca_file = \"{}\"\ntimeout = 5\n", cert.display());
    let file = write_config(fx, &server, "", "", &tail);
    let cfg = pureconnect_idp::config::Config::load(&file).unwrap();
    let idp = TestIdp::start(cfg).await;
    let up = idp.base.trim_start_matches("https://").to_string();
    let conf = edit(nginx_conf(port, &[up.clone(), up], &cert, &key));
    let nginx = start_nginx(&fx.path().join(format!("nginx-{port}")), &conf);
    wait_for(&format!("{public}/ICNotifierIDP/metadata")).await;
    (idp, nginx, file)
}

fn doctor_cmd(file: &std::path::Path, json: bool) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pureconnect-idp"));
    c.arg("doctor");
    if json {
        c.arg("--json");
    }
    c.arg("--config").arg(file).output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_base_passes_through_nginx_example_conf_and_fails_when_the_proxy_strips_the_remap_header(
) {
    let fx = Fixture::new();
    let port = free_port();
    let (idp, nginx, file) = behind_nginx(&fx, port, "", |c| c).await;
    let r = run(&file).await;
    let l = only(&r, "public_base", Status::Pass);
    assert!(l.summary.contains("remap header in force"), "{}", l.summary);
    assert!(
        l.tried.as_ref().unwrap().contains(&public_base(port)),
        "{l:?}"
    );
    assert!(r.ok, "{}", doctor::report::text(&r));
    // The command agrees: every line ✓, exit 0.
    let out = doctor_cmd(&file, false);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("all ") && !text.contains('✗'), "{text}");
    drop(nginx);
    idp.stop().await;

    // The same proxy without its remap line: every URL still points through the configured
    // base, but nothing proves the proxy is the one the server believes.
    let port = free_port();
    let (idp, _nginx, file) = behind_nginx(&fx, port, "", |c| {
        let kept: Vec<&str> = c
            .lines()
            .filter(|l| !l.trim_start().starts_with(REMAP_LINE))
            .collect();
        assert_eq!(kept.len() + 1, c.lines().count(), "one remap line");
        kept.join("\n")
    })
    .await;
    let r = run(&file).await;
    let l = only(&r, "public_base", Status::Fail);
    assert!(
        l.summary.contains("without a remap header") && l.summary.contains("public_base_url"),
        "{}",
        l.summary
    );
    assert!(l.fix.as_ref().unwrap().contains("ININ-REMAP-BASE-URL"));
    let out = doctor_cmd(&file, true);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["check"] == "public_base" && c["status"] == "fail"));
    idp.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_base_fails_for_an_untrusted_proxy_other_certificates_and_another_entity() {
    let fx = Fixture::new();
    // The proxy's address is not in server.trusted_proxies: its remap header is ignored.
    let port = free_port();
    let (idp, nginx, file) =
        behind_nginx(&fx, port, "trusted_proxies = [\"10.9.9.9/32\"]", |c| c).await;
    let l = only(&run(&file).await, "public_base", Status::Fail);
    assert!(
        l.summary.contains("without a remap header"),
        "{}",
        l.summary
    );
    drop(nginx);
    idp.stop().await;

    // The server behind the proxy signs with other keys than the folder doctor is given. The
    // server's own folder is left alone: it reloads its keys when that folder changes.
    let port = free_port();
    let (idp, _nginx, file) = behind_nginx(&fx, port, "", |c| c).await;
    let theirs = std::fs::read(fx.path().join("certs/signing/idp.crt")).unwrap();
    let other = pureconnect_idp::keys::generate::self_signed("other", 2048, 30, &[]).unwrap();
    let ours = fx.path().join("doctor-certs");
    std::fs::create_dir_all(ours.join("signing")).unwrap();
    for entry in std::fs::read_dir(fx.path().join("certs/signing")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), ours.join("signing").join(entry.file_name())).unwrap();
    }
    std::fs::write(ours.join("signing/idp.crt"), &other.cert_pem).unwrap();
    std::fs::write(ours.join("signing/idp.key"), &other.key_pem).unwrap();
    let text = std::fs::read_to_string(&file).unwrap().replacen(
        "[idp]\n",
        "[idp]\ncerts_dir = \"doctor-certs\"\n",
        1,
    );
    assert!(text.contains("doctor-certs"), "{text}");
    let file = fx.path().join("doctor.toml");
    std::fs::write(&file, text).unwrap();
    let l = only(&run(&file).await, "public_base", Status::Fail);
    assert!(
        l.summary.contains("other certificates than ours"),
        "{}",
        l.summary
    );
    assert_ne!(theirs, other.cert_pem);

    // Another entityID in the configuration doctor reads.
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("https://idp.test", "https://other.test");
    std::fs::write(&file, text).unwrap();
    let l = only(&run(&file).await, "public_base", Status::Fail);
    assert!(
        l.summary
            .contains("`https://idp.test`, not ours (`https://other.test`)"),
        "{}",
        l.summary
    );
    idp.stop().await;
}
