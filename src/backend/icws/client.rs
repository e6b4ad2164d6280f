//! The one HTTP client every ICWS call goes through: rustls, the configured CA added to the
//! roots, a connect timeout, pooled connections.
//!
//! Owns how the client is built and nothing else. It deliberately has no cookie store: a CIC
//! session cookie belongs to one login and is carried by hand (see `session`), so no cookie
//! can leak from one user's login into another's.

use crate::config::IcwsConfig;
use std::time::Duration;

pub fn build(cfg: &IcwsConfig) -> Result<reqwest::Client, String> {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(cfg.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        // The password goes to the CIC server directly, never through a proxy from the
        // environment.
        .no_proxy()
        .user_agent(concat!("pureconnect-idp/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = &cfg.ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| format!("backend.ca_file: cannot read {}: {e}", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            format!(
                "backend.ca_file: {} is not PEM certificates: {e}",
                path.display()
            )
        })?;
        if certs.is_empty() {
            return Err(format!(
                "backend.ca_file: {} holds no PEM certificate",
                path.display()
            ));
        }
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    if cfg.insecure() {
        b = b.danger_accept_invalid_certs(true);
    }
    b.build()
        .map_err(|e| format!("cannot build the ICWS HTTP client: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(extra: &str) -> IcwsConfig {
        toml::from_str(&format!("servers = [\"cic1\"]\n{extra}")).unwrap()
    }

    #[test]
    fn a_missing_or_empty_ca_file_stops_start_up_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        for p in [&missing, &empty] {
            let e = build(&cfg(&format!("ca_file = {:?}", p.display().to_string()))).unwrap_err();
            assert!(e.starts_with("backend.ca_file:"), "{e}");
        }
        let ca = crate::keys::generate::self_signed("ca", 2048, 1, &[]).unwrap();
        let good = dir.path().join("ca.pem");
        std::fs::write(&good, &ca.cert_pem).unwrap();
        assert!(build(&cfg(&format!("ca_file = {:?}", good.display().to_string()))).is_ok());
    }
}
