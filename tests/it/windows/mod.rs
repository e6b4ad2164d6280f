//! Windows sign-in against the real components: a MIT KDC (`kdc`), `kinit` and
//! `curl --negotiate` as the client (`capture`), an OpenLDAP `slapd` with StartTLS and a test
//! CA standing in for Active Directory (`slapd`), and the ICWS double's NT-domain-user lookup.

mod bound;
mod capture;
mod chromium;
mod directory;
mod expired;
pub mod kdc;
mod kerberos;
mod linking;
mod replay;
mod sign_in;
pub mod slapd;
mod throttle_key;

use pureconnect_idp::backend::file::{hash_password, FileBackend, UserEntry};
use pureconnect_idp::config::WindowsConfig;
use std::sync::Arc;

/// A users-file backend whose users carry Windows accounts: agent1 (EXAMPLE\agent1), and
/// twin1 and twin2 both on EXAMPLE\twin.
pub fn linked_users() -> Arc<FileBackend> {
    let h = hash_password("unused-cic-pw").unwrap();
    let u = |id: &str, win: Option<&str>| UserEntry {
        id: id.into(),
        password_hash: h.clone(),
        email: Some(format!("{id}@example.com")),
        display_name: Some(format!("CIC {id}")),
        windows_account: win.map(String::from),
    };
    Arc::new(
        FileBackend::from_entries(vec![
            u("agent1", Some("EXAMPLE\\agent1")),
            u("twin1", Some("EXAMPLE\\twin")),
            u("twin2", Some("example\\TWIN")),
            u("ciconly", None),
        ])
        .unwrap(),
    )
}

/// A `[windows]` table parsed as the configuration file would be.
pub fn windows_config(text: &str) -> WindowsConfig {
    let c: WindowsConfig = toml::from_str(text).unwrap();
    c.validate().unwrap();
    c
}
