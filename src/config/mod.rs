//! The TOML configuration: its shape and its defaults.
//!
//! Owns what a [`Config`] holds and the value of every key left out; `load` turns a file into
//! one (relative paths resolved against the file's folder) and refuses a bad file with a
//! message that names the file and the key. It does not open certificates, users files or SP
//! metadata: the modules that own those do.

mod doctor;
mod genesys;
mod icws;
mod load;
mod ops;
mod sp;
mod store;
mod windows;

use crate::i18n::Lang;
pub use crate::values::parse_duration;
use crate::values::{duration, AllowedHosts, BaseUrl, Cidr, SessionSecret};
pub use doctor::DoctorConfig;
pub use genesys::GenesysApiConfig;
pub use icws::{IcwsConfig, IcwsScheme, DEFAULT_EMAIL_PROPERTY, FALLBACK_EMAIL_PROPERTY};
pub use ops::{LimitsConfig, ThrottleConfig};
use secrecy::SecretString;
use serde::Deserialize;
pub use sp::{SignMode, SpConfig};
use std::path::PathBuf;
use std::time::Duration;
pub use store::{StoreConfig, StoreKind};
use thiserror::Error;
pub use windows::{EmailFrom, LdapConfig, WindowsConfig, DEFAULT_USER_FILTER};

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {file}: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("configuration file {file}: {message}")]
    Parse { file: String, message: String },
    #[error("configuration file {file}: key `{key}`: {message}")]
    Invalid {
        file: String,
        key: String,
        message: String,
    },
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub idp: IdpConfig,
    #[serde(default)]
    pub session: SessionConfig,
    #[serde(default)]
    pub saml: SamlConfig,
    #[serde(default)]
    pub backend: BackendConfig,
    #[serde(default)]
    pub service_providers: Vec<SpConfig>,
    #[serde(default)]
    pub demo: DemoConfig,
    #[serde(default)]
    pub i18n: I18nConfig,
    #[serde(default)]
    pub throttle: ThrottleConfig,
    #[serde(default)]
    pub limits: LimitsConfig,
    /// Windows sign-in (Kerberos, the Windows password); off when absent.
    pub windows: Option<WindowsConfig>,
    #[serde(default)]
    pub store: StoreConfig,
    /// What `doctor` needs beyond the serving configuration (see `config::doctor`).
    #[serde(default)]
    pub doctor: DoctorConfig,
    /// The Genesys Cloud API client of `genesys-config --push` and `certs … --genesys`.
    #[serde(default)]
    pub genesys: Option<GenesysApiConfig>,
    /// The file this configuration came from ("(built-in)" for demo mode); used in messages.
    #[serde(skip)]
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    #[serde(default = "default_listen")]
    pub listen: String,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// The primary public base URL; the Issuer of `idp.entity_id = "auto"` comes from it.
    pub public_base_url: Option<BaseUrl>,
    /// Other public bases a trusted proxy may announce (a proxy known under two names).
    #[serde(default)]
    pub alternate_public_base_urls: Vec<BaseUrl>,
    /// The `Host` values answered (`name` or `name:port`); default: the public bases' hosts,
    /// or the loopback names without a public base URL.
    pub allowed_hosts: Option<AllowedHosts>,
    /// Peers whose `ININ-REMAP-BASE-URL` and `X-Forwarded-For` headers are believed.
    #[serde(default = "default_trusted_proxies")]
    pub trusted_proxies: Vec<Cidr>,
    /// A second, plain-HTTP listener for `/metrics`, `/healthz` and `/readyz`; when set, the
    /// public listener answers those paths with 404.
    pub ops_listen: Option<String>,
}

impl ServerConfig {
    /// The public bases a trusted proxy may announce: the primary one, then the alternates.
    pub fn public_bases(&self) -> impl Iterator<Item = &BaseUrl> {
        self.public_base_url
            .iter()
            .chain(&self.alternate_public_base_urls)
    }

    /// The `Host` values answered: `allowed_hosts`, or its default from the public bases.
    pub fn allowed_hosts(&self) -> AllowedHosts {
        self.allowed_hosts
            .clone()
            .unwrap_or_else(|| AllowedHosts::for_bases(self.public_bases()))
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: default_listen(),
            tls_cert: None,
            tls_key: None,
            public_base_url: None,
            alternate_public_base_urls: Vec::new(),
            allowed_hosts: None,
            trusted_proxies: default_trusted_proxies(),
            ops_listen: None,
        }
    }
}

fn default_listen() -> String {
    "127.0.0.1:8043".into()
}

fn default_trusted_proxies() -> Vec<Cidr> {
    ["127.0.0.0/8", "::1/128"]
        .iter()
        .filter_map(|c| Cidr::parse(c).ok())
        .collect()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdpConfig {
    /// The Issuer of every Response; `auto` = `https://<host of server.public_base_url>`,
    /// resolved once at start-up.
    #[serde(default = "default_entity_id")]
    pub entity_id: String,
    pub organization_name: Option<String>,
    #[serde(default = "default_certs_dir")]
    pub certs_dir: PathBuf,
    /// How long an assertion may be used after it is issued.
    #[serde(default = "default_assertion_lifetime", deserialize_with = "duration")]
    pub assertion_lifetime: Duration,
    /// Opens encrypted (PKCS#8) signing keys; never logged.
    #[serde(default, deserialize_with = "secret")]
    pub key_password: Option<SecretString>,
    /// A file holding that password instead (one line).
    pub key_password_file: Option<PathBuf>,
    /// Warn in the log this many days before a signing certificate expires.
    #[serde(default = "default_cert_warn_days")]
    pub cert_warn_days: u32,
}

impl Default for IdpConfig {
    fn default() -> Self {
        IdpConfig {
            entity_id: default_entity_id(),
            organization_name: None,
            certs_dir: default_certs_dir(),
            assertion_lifetime: default_assertion_lifetime(),
            key_password: None,
            key_password_file: None,
            cert_warn_days: default_cert_warn_days(),
        }
    }
}

fn default_cert_warn_days() -> u32 {
    30
}

fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(SecretString::from))
}

fn default_entity_id() -> String {
    "auto".into()
}
fn default_certs_dir() -> PathBuf {
    PathBuf::from("certs")
}
fn default_assertion_lifetime() -> Duration {
    Duration::from_secs(300)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    /// Base64 of 32 random bytes; seals the login state. Both instances of a pair share it.
    pub secret: Option<SessionSecret>,
    /// A file holding the same base64 value (kept out of the main file).
    pub secret_file: Option<PathBuf>,
    /// How long a shown credential form stays usable.
    #[serde(default = "default_login_timeout", deserialize_with = "duration")]
    pub login_timeout: Duration,
    /// How long after signing in a user is signed in again without the form (a shift).
    #[serde(default = "default_sso_lifetime", deserialize_with = "duration")]
    pub lifetime: Duration,
    /// The SSO session ends after this long without a login through it.
    #[serde(default = "default_idle_timeout", deserialize_with = "duration")]
    pub idle_timeout: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            secret: None,
            secret_file: None,
            login_timeout: default_login_timeout(),
            lifetime: default_sso_lifetime(),
            idle_timeout: default_idle_timeout(),
        }
    }
}

fn default_login_timeout() -> Duration {
    Duration::from_secs(600)
}
fn default_sso_lifetime() -> Duration {
    Duration::from_secs(8 * 3600)
}
fn default_idle_timeout() -> Duration {
    Duration::from_secs(2 * 3600)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamlConfig {
    /// How far an AuthnRequest's IssueInstant may be from our clock, either way.
    #[serde(default = "default_clock_skew", deserialize_with = "duration")]
    pub clock_skew: Duration,
}

impl Default for SamlConfig {
    fn default() -> Self {
        SamlConfig {
            clock_skew: default_clock_skew(),
        }
    }
}

fn default_clock_skew() -> Duration {
    Duration::from_secs(300)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum BackendConfig {
    File {
        users_file: PathBuf,
    },
    /// CIC's REST API (see `config::icws`).
    Icws(IcwsConfig),
}

impl Default for BackendConfig {
    fn default() -> Self {
        BackendConfig::File {
            users_file: PathBuf::from("users.toml"),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DemoConfig {
    /// Serve the built-in demo SP at /demo (for `selftest` against a real deployment).
    #[serde(default)]
    pub sp: bool,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct I18nConfig {
    #[serde(default)]
    pub default_language: Lang,
}

#[cfg(test)]
mod tests;
