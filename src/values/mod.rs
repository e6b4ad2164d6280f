//! Typed values of the configuration, each parsed once, when the file is loaded.
//!
//! Owns the types whose text form needs checking — CIDR blocks, public base URLs, allowed hosts,
//! the session secret, durations, the Genesys Cloud API bases, the Redis URL and Sentinel
//! addresses of `[store]`, the directory servers of `[windows.ldap]` — each read by serde
//! (`try_from = "String"`) with a message saying what is wrong; the loader adds the file and the key. A leaf: it imports nothing from the crate,
//! so the configuration, the HTTP surface, the sealing and the commands all build on it. The
//! language type is `i18n::Lang`, which reads itself the same way.

mod api_url;
mod base_url;
mod cidr;
mod duration;
mod host_port;
mod hosts;
mod ldap_url;
mod redis_url;
mod secret;

pub use api_url::ApiBaseUrl;
pub use base_url::BaseUrl;
pub use cidr::Cidr;
pub use duration::{duration, parse_duration};
pub use host_port::HostPort;
pub use hosts::{AllowedHosts, LOOPBACK};
pub use ldap_url::LdapUrl;
pub use redis_url::RedisUrl;
pub use secret::SessionSecret;
