//! `[store]`: where the state a pair of servers shares is kept (see `store`).
//!
//! Owns the keys of the section, their defaults and their checks: `type` (memory, the
//! default, or redis), the Redis `url` (`redis://` or `rediss://`), `ca_file`,
//! `password_file`, `key_prefix`, `timeout`, and Sentinel (`sentinels`, `sentinel_master`).
//! The URL ([`RedisUrl`], which never prints its password) and the Sentinel addresses
//! ([`HostPort`]) are parsed at load; `validate` keeps the rules between keys.
//! It opens no file and connects to nothing: `store::redis` does.

use super::{Config, ConfigError};
use crate::values::{duration, HostPort, RedisUrl};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// Each instance keeps its own state (one instance, or a pair that does not share).
    #[default]
    Memory,
    Redis,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    #[serde(default, rename = "type")]
    pub kind: StoreKind,
    /// `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS).
    pub url: Option<RedisUrl>,
    /// The CA that signed the Redis server's certificate (PEM), for `rediss://`.
    pub ca_file: Option<PathBuf>,
    /// A file holding the Redis password (one line), instead of a password in the URL.
    pub password_file: Option<PathBuf>,
    /// Prepended to every key and channel, so several deployments can share one Redis.
    #[serde(default = "default_key_prefix")]
    pub key_prefix: String,
    /// The longest a request waits for Redis; past it the instance's own state answers.
    #[serde(default = "default_timeout", deserialize_with = "duration")]
    pub timeout: Duration,
    /// Redis Sentinel addresses (`host:port`); the master is asked of them.
    #[serde(default)]
    pub sentinels: Vec<HostPort>,
    /// The master's name as the Sentinels know it.
    pub sentinel_master: Option<String>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            kind: StoreKind::Memory,
            url: None,
            ca_file: None,
            password_file: None,
            key_prefix: default_key_prefix(),
            timeout: default_timeout(),
            sentinels: Vec::new(),
            sentinel_master: None,
        }
    }
}

fn default_key_prefix() -> String {
    "pureconnect-idp:".into()
}

fn default_timeout() -> Duration {
    Duration::from_millis(200)
}

impl StoreConfig {
    pub(super) fn resolve_paths(&mut self, fix: impl Fn(&mut PathBuf)) {
        for p in [self.ca_file.as_mut(), self.password_file.as_mut()]
            .into_iter()
            .flatten()
        {
            fix(p)
        }
    }

    pub(super) fn validate(&self, cfg: &Config) -> Result<(), ConfigError> {
        if self.timeout.is_zero() || self.timeout > Duration::from_secs(10) {
            return Err(cfg.invalid("store.timeout", "must be more than 0 and at most 10s"));
        }
        if self.kind == StoreKind::Memory {
            return Ok(());
        }
        // The URL and each Sentinel address were parsed at load (`values`); what is left are
        // the rules between keys.
        let tls = self.url.as_ref().is_some_and(RedisUrl::is_tls);
        if self.sentinels.is_empty() {
            if self.url.is_none() {
                return Err(cfg.invalid(
                    "store.url",
                    "is required with type = \"redis\" (or set store.sentinels)",
                ));
            }
        } else if self.sentinel_master.as_deref().unwrap_or("").is_empty() {
            return Err(cfg.invalid("store.sentinel_master", "is required with store.sentinels"));
        }
        if self.ca_file.is_some() && !tls {
            return Err(cfg.invalid(
                "store.ca_file",
                "needs a rediss:// url (the CA checks the server's TLS certificate)",
            ));
        }
        if self.password_file.is_some() && self.url.as_ref().is_some_and(|u| u.password().is_some())
        {
            return Err(cfg.invalid(
                "store.password_file",
                "set the password either in store.url or in password_file, not both",
            ));
        }
        if self.key_prefix.is_empty() || self.key_prefix.len() > 64 {
            return Err(cfg.invalid("store.key_prefix", "must be 1 to 64 characters"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, StoreKind};
    use std::path::Path;
    use std::time::Duration;

    const SECRET: &str = "[session]\nsecret = \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\n";

    fn parse(store: &str) -> Result<Config, String> {
        Config::from_toml(
            &format!("{SECRET}[store]\n{store}"),
            "t.toml",
            Path::new("/etc/idp"),
        )
        .map_err(|e| e.to_string())
    }

    #[test]
    fn memory_by_default_redis_with_its_keys_resolved() {
        let c = Config::from_toml(SECRET, "t.toml", Path::new("/etc/idp")).unwrap();
        assert_eq!(c.store.kind, StoreKind::Memory);
        assert_eq!(c.store.timeout, Duration::from_millis(200));
        assert_eq!(c.store.key_prefix, "pureconnect-idp:");
        let c = parse(
            "type = \"redis\"\nurl = \"rediss://r.example.com:6380/0\"\nca_file = \"ca.pem\"\npassword_file = \"pw\"\ntimeout = \"50ms\"\n",
        )
        .unwrap();
        assert_eq!(c.store.kind, StoreKind::Redis);
        assert_eq!(
            c.store.ca_file.as_deref(),
            Some(Path::new("/etc/idp/ca.pem"))
        );
        assert_eq!(
            c.store.password_file.as_deref(),
            Some(Path::new("/etc/idp/pw"))
        );
        assert_eq!(c.store.timeout, Duration::from_millis(50));
        let c = parse(
            "type = \"redis\"\nsentinels = [\"10.0.0.5:26379\"]\nsentinel_master = \"idp\"\n",
        )
        .unwrap();
        assert_eq!(c.store.sentinels.len(), 1);
    }

    #[test]
    fn bad_store_settings_name_the_key() {
        for (text, key) in [
            ("type = \"redis\"\n", "store.url"),
            ("type = \"redis\"\nurl = \"http://x\"\n", "store.url"),
            (
                "type = \"redis\"\nurl = \"redis://x\"\nca_file = \"ca.pem\"\n",
                "store.ca_file",
            ),
            (
                "type = \"redis\"\nurl = \"redis://:pw@x\"\npassword_file = \"pw\"\n",
                "store.password_file",
            ),
            (
                "type = \"redis\"\nurl = \"redis://x\"\ntimeout = \"0ms\"\n",
                "store.timeout",
            ),
            (
                "type = \"redis\"\nurl = \"redis://x\"\nkey_prefix = \"\"\n",
                "store.key_prefix",
            ),
            (
                "type = \"redis\"\nsentinels = [\"x:1\"]\n",
                "store.sentinel_master",
            ),
            (
                "type = \"redis\"\nsentinels = [\"nope\"]\nsentinel_master = \"m\"\n",
                "store.sentinels[0]",
            ),
            ("type = \"mongo\"\n", "type"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(key), "{text}: {e}");
        }
    }
}
