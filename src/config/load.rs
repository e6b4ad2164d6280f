//! Reading a configuration file into a [`Config`]: parsing, resolving every relative path
//! against the file's folder, and validating each key, with errors that name the file and the
//! key. The shape and the defaults are in `config`; the SP, ICWS and operations sections
//! validate themselves in their own modules.

use super::{ops, BackendConfig, Config, ConfigError};
use std::path::{Path, PathBuf};

impl Config {
    /// Reads, parses, resolves and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: file.clone(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::from_toml(&text, &file, base)
    }

    /// Parses a configuration from text; relative paths are taken from `base`.
    pub fn from_toml(text: &str, file: &str, base: &Path) -> Result<Config, ConfigError> {
        // Every typed value (addresses, URLs, the secret, durations, the language) is read
        // here, once; the path of a value that fails names its key.
        let mut cfg: Config = serde_path_to_error::deserialize(toml::Deserializer::new(text))
            .map_err(|e| {
                let key = e.path().to_string();
                let inner = e.into_inner();
                // The message and the line, never toml's excerpt of the line: the value (or
                // an unterminated string running on) may be a secret.
                let line = inner
                    .span()
                    .map(|r| text[..r.start.min(text.len())].matches('\n').count() + 1);
                let message = match line {
                    Some(l) => format!("{} (line {l})", inner.message().trim_end()),
                    None => inner.message().trim_end().to_string(),
                }
                .replace('\n', " ");
                if key.is_empty() || key == "." {
                    ConfigError::Parse {
                        file: file.to_string(),
                        message,
                    }
                } else {
                    ConfigError::Invalid {
                        file: file.to_string(),
                        key,
                        message,
                    }
                }
            })?;
        cfg.source = file.to_string();
        cfg.resolve_paths(base);
        cfg.validate()?;
        Ok(cfg)
    }

    fn resolve_paths(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        if let Some(p) = self.server.tls_cert.as_mut() {
            fix(p)
        }
        if let Some(p) = self.server.tls_key.as_mut() {
            fix(p)
        }
        fix(&mut self.idp.certs_dir);
        if let Some(p) = self.idp.key_password_file.as_mut() {
            fix(p)
        }
        if let Some(p) = self.session.secret_file.as_mut() {
            fix(p)
        }
        match &mut self.backend {
            BackendConfig::File { users_file } => fix(users_file),
            BackendConfig::Icws(icws) => {
                for p in [icws.ca_file.as_mut(), icws.service_password_file.as_mut()]
                    .into_iter()
                    .flatten()
                {
                    fix(p)
                }
            }
        }
        if let Some(w) = self.windows.as_mut() {
            if let Some(p) = w.keytab.as_mut() {
                fix(p)
            }
            if let Some(l) = w.ldap.as_mut() {
                fix(&mut l.bind_password_file);
                if let Some(p) = l.ca_file.as_mut() {
                    fix(p)
                }
            }
        }
        self.store.resolve_paths(fix);
        if let Some(g) = self.genesys.as_mut() {
            fix(&mut g.client_secret_file)
        }
        if let Some(p) = self.doctor.ca_file.as_mut() {
            fix(p)
        }
        for sp in &mut self.service_providers {
            for p in [sp.metadata_file.as_mut(), sp.certificate_file.as_mut()]
                .into_iter()
                .flatten()
            {
                fix(p)
            }
        }
    }

    pub fn invalid(&self, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            file: self.source.clone(),
            key: key.to_string(),
            message: message.into(),
        }
    }

    /// The Issuer of every Response and of the metadata, fixed at start-up: `idp.entity_id`,
    /// or with `auto` the origin (`https://<host[:port]>`) of `server.public_base_url`. Nothing
    /// a request carries changes it. `auto` without a public base URL is refused here, when
    /// the server starts (`build`), not by `load`: the commands that only manage keys or users
    /// do not need an Issuer.
    pub fn issuer(&self) -> Result<String, ConfigError> {
        let id = self.idp.entity_id.trim();
        if id.is_empty() {
            return Err(self.invalid("idp.entity_id", "must not be empty (or use \"auto\")"));
        }
        if id != "auto" {
            return Ok(self.idp.entity_id.clone());
        }
        let base = self.server.public_base_url.as_ref().ok_or_else(|| {
            self.invalid(
                "server.public_base_url",
                "is required when idp.entity_id = \"auto\": the Issuer is https://<its host>; set it to the public address (e.g. https://sso.example.com/PureConnect), or set idp.entity_id",
            )
        })?;
        Ok(base.host_origin())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.server.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(self.invalid(
                "server.listen",
                format!(
                    "`{}` is not an address such as 0.0.0.0:8043",
                    self.server.listen
                ),
            ));
        }
        match (&self.server.tls_cert, &self.server.tls_key) {
            (Some(_), None) => {
                return Err(self.invalid("server.tls_key", "is required when tls_cert is set"))
            }
            (None, Some(_)) => {
                return Err(self.invalid("server.tls_cert", "is required when tls_key is set"))
            }
            _ => {}
        }
        if !self.server.alternate_public_base_urls.is_empty()
            && self.server.public_base_url.is_none()
        {
            return Err(self.invalid(
                "server.alternate_public_base_urls",
                "needs server.public_base_url (the primary one)",
            ));
        }
        if self.idp.entity_id.trim().is_empty() {
            return Err(self.invalid("idp.entity_id", "must not be empty (or use \"auto\")"));
        }
        if self.idp.key_password.is_some() && self.idp.key_password_file.is_some() {
            return Err(self.invalid(
                "idp.key_password",
                "set either key_password or key_password_file, not both",
            ));
        }
        if self.session.secret.is_some() && self.session.secret_file.is_some() {
            return Err(self.invalid(
                "session.secret",
                "set either secret or secret_file, not both",
            ));
        }
        if self.session.secret.is_none() && self.session.secret_file.is_none() {
            return Err(self.invalid(
                "session.secret",
                "is required: base64 of 32 random bytes (e.g. `openssl rand -base64 32`), the same on both servers of a pair",
            ));
        }
        if self.session.idle_timeout > self.session.lifetime {
            return Err(self.invalid(
                "session.idle_timeout",
                "must not be longer than session.lifetime",
            ));
        }
        if self.saml.clock_skew.as_secs() == 0 {
            return Err(self.invalid("saml.clock_skew", "must be more than 0 seconds"));
        }
        if let BackendConfig::Icws(icws) = &self.backend {
            icws.validate().map_err(|(k, m)| self.invalid(&k, m))?;
        }
        if let Some(w) = &self.windows {
            w.validate().map_err(|(k, m)| self.invalid(&k, m))?;
        }
        if let Some(g) = &self.genesys {
            g.validate().map_err(|(k, m)| self.invalid(&k, m))?;
        }
        for (i, sp) in self.service_providers.iter().enumerate() {
            sp.validate(self, i)?;
        }
        ops::validate(self)?;
        self.store.validate(self)?;
        self.doctor
            .validate()
            .map_err(|(k, m)| self.invalid(&k, m))?;
        Ok(())
    }
}
