//! The Redis server of `store.url` (`redis://[user:password@]host[:port][/db]`, or `rediss://`
//! for TLS), parsed once at load.
//!
//! Owns the scheme and host checks and the redaction: `Debug` and `Display` show the URL with
//! the password as `***`, so a `{:?}` of the configuration or a log line never carries it. The
//! connection code takes [`RedisUrl::url`] as the `redis` crate's input, unparsed again.
//! A `#fragment` is refused: the `redis` crate reads `rediss://…/#insecure` as "do not check
//! the server's certificate", which must not be one character away in a configuration file.

use serde::Deserialize;
use std::borrow::Cow;

/// A `redis://` or `rediss://` URL with a host.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct RedisUrl(url::Url);

impl RedisUrl {
    /// Checks `s`; the message says what is wrong and never repeats `s` (it may hold the
    /// password).
    pub fn parse(s: &str) -> Result<RedisUrl, String> {
        let u = url::Url::parse(s).map_err(|e| format!("is not a URL ({e})"))?;
        if !matches!(u.scheme(), "redis" | "rediss") {
            return Err("must start with redis:// or rediss://".into());
        }
        if u.host_str().is_none_or(str::is_empty) {
            return Err("names no host".into());
        }
        if u.fragment().is_some() {
            return Err(
                "has a #fragment, which the Redis client reads as options (#insecure \
                 would skip the certificate check): remove it, and give store.ca_file for a \
                 private CA"
                    .into(),
            );
        }
        Ok(RedisUrl(u))
    }

    /// True for `rediss://`: the connection is TLS.
    pub fn is_tls(&self) -> bool {
        self.0.scheme() == "rediss"
    }

    /// The user name, when the URL gives one, percent-decoded.
    pub fn username(&self) -> Option<Cow<'_, str>> {
        Some(self.0.username())
            .filter(|u| !u.is_empty())
            .map(decoded)
    }

    /// The password, when the URL gives one, percent-decoded (`p%40ss` is `p@ss`), as the
    /// `redis` crate decodes it on the direct path.
    pub fn password(&self) -> Option<Cow<'_, str>> {
        self.0.password().map(decoded)
    }

    /// The database number of the path (`/0`), when it gives one.
    pub fn db(&self) -> Option<i64> {
        self.0.path().trim_start_matches('/').parse().ok()
    }

    /// The parsed URL, for the `redis` crate; it holds the password, so it is not for logs.
    pub fn url(&self) -> &url::Url {
        &self.0
    }

    /// The URL with the password (if any) replaced by `***`.
    pub fn redacted(&self) -> String {
        let mut u = self.0.clone();
        if u.password().is_some() && u.set_password(Some("***")).is_err() {
            return format!("{}://***", u.scheme());
        }
        u.to_string()
    }
}

fn decoded(s: &str) -> Cow<'_, str> {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy()
}

impl TryFrom<String> for RedisUrl {
    type Error = String;
    fn try_from(s: String) -> Result<RedisUrl, String> {
        RedisUrl::parse(&s)
    }
}

impl std::fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedisUrl({:?})", self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_urls_are_checked() {
        let u = RedisUrl::parse("rediss://r.example.com:6380/2").unwrap();
        assert!(u.is_tls());
        assert_eq!((u.username(), u.password(), u.db()), (None, None, Some(2)));
        let u = RedisUrl::parse("redis://idp:pw@10.0.0.5/0").unwrap();
        assert!(!u.is_tls());
        assert_eq!(
            (u.username(), u.password()),
            (Some("idp".into()), Some("pw".into()))
        );
        // Written percent-encoded, as a URL must: given to the client decoded.
        let u = RedisUrl::parse("redis://idp%2Da:p%40ss%3Aw@10.0.0.5/0").unwrap();
        assert_eq!(
            (u.username(), u.password()),
            (Some("idp-a".into()), Some("p@ss:w".into()))
        );
        assert!(RedisUrl::parse("redis://[::1]:6379").is_ok());
        for bad in [
            "http://r.example.com",
            "redis+unix:///tmp/redis.sock",
            "r.example.com:6379",
            "redis://",
            "",
            // The redis crate's "skip the certificate check".
            "rediss://r.example.com:6380/0#insecure",
            "rediss://r.example.com:6380/#insecure",
            "redis://r.example.com#x",
        ] {
            assert!(RedisUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_password_is_never_shown() {
        let u = RedisUrl::parse("redis://user:S3cretPw@host:6379/0").unwrap();
        assert_eq!(u.to_string(), "redis://user:***@host:6379/0");
        assert!(!format!("{u:?}").contains("S3cretPw"));
        let u = RedisUrl::parse("rediss://:S3cretPw@host/0").unwrap();
        assert_eq!(u.to_string(), "rediss://:***@host/0");
        let u = RedisUrl::parse("redis://host").unwrap();
        assert_eq!(u.to_string(), "redis://host");
        let e = RedisUrl::parse("http://user:S3cretPw@host").unwrap_err();
        assert!(!e.contains("S3cretPw"), "{e}");
    }
}
