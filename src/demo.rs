//! Demo mode: everything `serve --demo` needs, made on first run in a state folder.
//!
//! Owns creating (once) a self-signed signing certificate, a TLS certificate for loopback and
//! a session secret under the state folder — no key is ever committed — and the demo users,
//! which exist only in memory and are printed at start-up as demo-only. The demo's public base
//! (and so its Issuer) is its own listen address, and it answers for the loopback names.

use crate::backend::file::{hash_password, FileBackend, UserEntry};
use crate::config::{BackendConfig, Config};
use crate::keys::generate::{self_signed, write_private};
use crate::values::{AllowedHosts, BaseUrl, LOOPBACK};
use base64::Engine;
use std::path::{Path, PathBuf};

/// The demo users: (user ID, password, email, display name).
pub const DEMO_USERS: &[(&str, &str, Option<&str>, &str)] = &[
    ("agent1", "agent1", Some("agent1@example.com"), "Agent One"),
    ("agent2", "agent2", Some("agent2@example.com"), "Agent Two"),
    (
        "noemail",
        "noemail",
        None,
        "No Email (shows the no-business-email message)",
    ),
];

fn ensure_pair(cert: &Path, key: &Path, cn: &str, san: &[&str]) -> Result<(), String> {
    if cert.exists() && key.exists() {
        return Ok(());
    }
    let dir = cert.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let pair = self_signed(cn, 2048, 365, san).map_err(|e| e.to_string())?;
    write_private(key, &pair.key_pem).map_err(|e| format!("{}: {e}", key.display()))?;
    std::fs::write(cert, &pair.cert_pem).map_err(|e| format!("{}: {e}", cert.display()))?;
    Ok(())
}

/// Prepares the state folder and returns the demo configuration.
pub fn prepare(state_dir: &Path, listen: &str) -> Result<Config, String> {
    let certs = state_dir.join("certs");
    let signing = crate::keys::signing_dir(&certs);
    ensure_pair(
        &signing.join("demo.crt"),
        &signing.join("demo.key"),
        "pureconnect-idp demo signing (not for production)",
        &[],
    )?;
    let active = signing.join("active");
    if !active.exists() {
        std::fs::write(&active, "demo\n").map_err(|e| format!("{}: {e}", active.display()))?;
    }
    let tls_cert = state_dir.join("tls/cert.pem");
    let tls_key = state_dir.join("tls/key.pem");
    ensure_pair(
        &tls_cert,
        &tls_key,
        "localhost",
        &["localhost", "127.0.0.1", "::1"],
    )?;
    let secret_file = state_dir.join("session.secret");
    if !secret_file.exists() {
        let mut b = [0u8; 32];
        openssl::rand::rand_bytes(&mut b).map_err(|e| e.to_string())?;
        let text = base64::engine::general_purpose::STANDARD.encode(b);
        write_private(&secret_file, text.as_bytes())
            .map_err(|e| format!("{}: {e}", secret_file.display()))?;
    }
    let mut cfg = Config {
        source: "(demo mode)".into(),
        ..Default::default()
    };
    cfg.server.listen = listen.to_string();
    cfg.server.tls_cert = Some(tls_cert);
    cfg.server.tls_key = Some(tls_key);
    cfg.idp.certs_dir = certs;
    cfg.idp.organization_name = Some("demo".into());
    cfg.session.secret_file = Some(secret_file);
    cfg.demo.sp = true;
    cfg.backend = BackendConfig::File {
        users_file: PathBuf::from("(demo users, in memory)"),
    };
    Ok(cfg)
}

/// Fixes the demo's public base URL, and so its Issuer (`auto`), from the address it listens
/// on (`local`, after binding: the port may have been 0), and answers for the loopback names
/// and that address.
pub fn resolve_base(
    cfg: &mut Config,
    local: std::net::SocketAddr,
    tls: bool,
) -> Result<(), String> {
    let ip = if local.ip().is_unspecified() {
        std::net::IpAddr::from([127, 0, 0, 1])
    } else {
        local.ip()
    };
    let host = match ip {
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        v4 => v4.to_string(),
    };
    let scheme = if tls { "https" } else { "http" };
    let base = format!("{scheme}://{host}:{}", local.port());
    cfg.server.public_base_url =
        Some(BaseUrl::parse(&base).map_err(|m| format!("the demo's base URL {base} {m}"))?);
    let mut hosts: Vec<String> = LOOPBACK.map(String::from).into();
    if !hosts.contains(&host) {
        hosts.push(host);
    }
    cfg.server.allowed_hosts =
        Some(AllowedHosts::parse(&hosts).map_err(|(_, m)| format!("the demo's hosts: {m}"))?);
    Ok(())
}

/// The demo users as a backend.
pub fn users() -> Result<FileBackend, String> {
    let entries = DEMO_USERS
        .iter()
        .map(|(id, pw, email, name)| {
            Ok(UserEntry {
                id: id.to_string(),
                password_hash: hash_password(pw)?,
                email: email.map(String::from),
                display_name: Some(name.to_string()),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    FileBackend::from_entries(entries)
}
