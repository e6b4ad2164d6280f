//! The `[genesys]` table: the OAuth client `genesys-config --push` and `certs … --genesys`
//! use to reach the Genesys Cloud API of one organization.
//!
//! Owns the keys, their validation (messages name the key) and the two base URLs they give;
//! the URLs themselves are checked as they are read (`values::ApiBaseUrl`).
//! It does not read the secret file or talk to Genesys Cloud: `genesys::api` does that, when
//! a command needs it (the server never does).

use crate::values::ApiBaseUrl;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesysApiConfig {
    /// A region preset id (`eu-central-1`, …): gives `https://login.<domain>` and
    /// `https://api.<domain>`.
    pub region: Option<String>,
    /// The OAuth client (Client Credentials grant) made in Genesys Cloud for this IdP.
    pub client_id: String,
    /// A file holding the client's secret (one line); never logged.
    pub client_secret_file: PathBuf,
    /// Overrides the login base the region gives (the OAuth token endpoint is under it).
    pub login_base_url: Option<ApiBaseUrl>,
    /// Overrides the API base the region gives.
    pub api_base_url: Option<ApiBaseUrl>,
    /// The Provider Name pushed to Genesys Cloud (shown on its login page).
    #[serde(default = "default_provider_name")]
    pub provider_name: String,
}

fn default_provider_name() -> String {
    "PureConnect".into()
}

impl GenesysApiConfig {
    /// The login base URL (no trailing slash): the override, or the region's.
    pub fn login_base(&self) -> Option<String> {
        self.base(self.login_base_url.as_ref(), "login")
    }

    /// The API base URL (no trailing slash): the override, or the region's.
    pub fn api_base(&self) -> Option<String> {
        self.base(self.api_base_url.as_ref(), "api")
    }

    fn base(&self, over: Option<&ApiBaseUrl>, host: &str) -> Option<String> {
        match over {
            Some(u) => Some(u.as_str().to_string()),
            None => {
                let r = crate::sp::Region::find(self.region.as_deref()?)?;
                Some(format!("https://{host}.{}", r.domain))
            }
        }
    }

    /// Checks the values; `Err((key, message))` names the key under `genesys.`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |k: &str, m: String| Err((format!("genesys.{k}"), m));
        if self.client_id.trim().is_empty() {
            return bad(
                "client_id",
                "must be the id of the OAuth client (Client Credentials grant) made in Genesys Cloud for this IdP".into(),
            );
        }
        if let Some(r) = &self.region {
            if let Err(m) = crate::sp::Region::lookup(r) {
                return bad("region", m);
            }
        }
        for (key, over) in [
            ("login_base_url", &self.login_base_url),
            ("api_base_url", &self.api_base_url),
        ] {
            if over.is_none() && self.region.is_none() {
                return bad(
                    "region",
                    format!(
                        "is required unless genesys.{key} is set (e.g. region = \"eu-central-1\")"
                    ),
                );
            }
        }
        if self.provider_name.trim().is_empty() {
            return bad("provider_name", "must not be empty".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(extra: &str) -> GenesysApiConfig {
        toml::from_str(&format!(
            "client_id = \"c\"\nclient_secret_file = \"s\"\n{extra}"
        ))
        .unwrap()
    }

    #[test]
    fn the_region_gives_both_bases_and_overrides_win() {
        let g = table("region = \"eu-central-1\"");
        g.validate().unwrap();
        assert_eq!(g.login_base().unwrap(), "https://login.mypurecloud.de");
        assert_eq!(g.api_base().unwrap(), "https://api.mypurecloud.de");
        let g = table("region = \"eu-central-1\"\napi_base_url = \"http://127.0.0.1:9/\"");
        g.validate().unwrap();
        assert_eq!(g.api_base().unwrap(), "http://127.0.0.1:9");
        assert_eq!(g.login_base().unwrap(), "https://login.mypurecloud.de");
    }

    #[test]
    fn a_bad_table_is_refused_naming_the_key() {
        let key = |extra: &str| table(extra).validate().unwrap_err().0;
        assert_eq!(key(""), "genesys.region");
        assert_eq!(key("region = \"mars-1\""), "genesys.region");
        // The secret never goes to plain HTTP beyond this machine: refused as the file is read.
        for bad in [
            "login_base_url = \"http://login.example.com\"",
            "api_base_url = \"https://api.example.com/?x=1\"",
        ] {
            let r: Result<GenesysApiConfig, _> = toml::from_str(&format!(
                "client_id = \"c\"\nclient_secret_file = \"s\"\nregion = \"us-east-1\"\n{bad}"
            ));
            assert!(r.is_err(), "{bad}");
        }
        let g: GenesysApiConfig =
            toml::from_str("client_id = \" \"\nclient_secret_file = \"s\"\nregion = \"us-east-1\"")
                .unwrap();
        assert_eq!(g.validate().unwrap_err().0, "genesys.client_id");
    }
}
