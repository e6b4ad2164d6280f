//! The `[doctor]` table: what the `doctor` preflight needs beyond the serving configuration.
//!
//! Owns its keys, defaults and checks. The server never reads them; `crate::doctor` does.

use crate::values::{duration, BaseUrl};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoctorConfig {
    /// PEM CA(s) added to the public roots when `doctor` fetches the public base and the
    /// Genesys Cloud login host (a proxy with a company CA, a TLS-inspecting gateway).
    pub ca_file: Option<PathBuf>,
    /// The Genesys Cloud login host the clock is compared with, instead of
    /// `https://login.<domain of the region>` of each configured `genesys_region`.
    pub genesys_login_base_url: Option<BaseUrl>,
    /// The longest each network check may take, connecting included.
    #[serde(default = "default_timeout", deserialize_with = "duration")]
    pub timeout: Duration,
}

impl Default for DoctorConfig {
    fn default() -> Self {
        DoctorConfig {
            ca_file: None,
            genesys_login_base_url: None,
            timeout: default_timeout(),
        }
    }
}

fn default_timeout() -> Duration {
    Duration::from_secs(5)
}

impl DoctorConfig {
    /// Checks the values; `Err((key, message))` names the key under `doctor.`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.timeout.is_zero() {
            return Err((
                "doctor.timeout".into(),
                "must be more than 0 seconds".into(),
            ));
        }
        Ok(())
    }
}
