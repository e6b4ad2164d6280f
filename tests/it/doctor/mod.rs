//! `doctor` against local doubles: each check's ✓ and ✗ path. The ICWS double stands in for
//! CIC, [`date_server`] for a host whose clock is off, real nginx (from nginx-example.conf)
//! for the proxy in front of the public base.

mod date_server;
mod keys;
mod network;
mod public_base;
mod sp_files;
mod windows;

use crate::common::*;
use pureconnect_idp::doctor::{self, Line, Report, Status};
use std::path::PathBuf;

/// Writes a configuration into the fixture: `[server]` lines, extra `[idp]` lines, the
/// `[backend]` lines (the users file when empty), and tables after the SP. The certificate
/// warning is 7 days, so the fixture's 30-day pair passes.
pub fn write_config(fx: &Fixture, server: &str, idp: &str, backend: &str, tail: &str) -> PathBuf {
    let backend = if backend.is_empty() {
        "type = \"file\"\nusers_file = \"users.toml\""
    } else {
        backend
    };
    let warn = if idp.contains("cert_warn_days") {
        ""
    } else {
        "cert_warn_days = 7"
    };
    let text = format!(
        "[server]\n{server}\n[idp]\nentity_id = \"https://idp.test\"\n{warn}\n{idp}\n\
         [session]\nsecret = \"{SECRET_A}\"\n[backend]\n{backend}\n\
         [[service_providers]]\nentity_id = \"{SP_ID}\"\nacs_urls = [\"{SP_ACS}\"]\n{tail}"
    );
    let file = fx.path().join("idp.toml");
    std::fs::write(&file, text).unwrap();
    file
}

pub async fn run(file: &std::path::Path) -> Report {
    doctor::run(file).await
}

/// The lines of one check.
pub fn lines<'a>(r: &'a Report, check: &str) -> Vec<&'a Line> {
    r.checks.iter().filter(|l| l.check == check).collect()
}

/// The one line of `check`, which must have `status`; the whole report in the message.
pub fn only(r: &Report, check: &str, status: Status) -> Line {
    let l = lines(r, check);
    assert_eq!(l.len(), 1, "{check}: {}", doctor::report::text(r));
    assert_eq!(l[0].status, status, "{check}: {}", doctor::report::text(r));
    if status == Status::Fail {
        assert!(l[0].fix.as_ref().is_some_and(|f| !f.is_empty()));
    }
    l[0].clone()
}
