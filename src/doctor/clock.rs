//! The clock checks: this machine's clock against the `Date` header of each configured CIC
//! server and of the Genesys Cloud login host of each configured region. Genesys Cloud
//! refuses an assertion more than 10 s from its clock; ✗ beyond [`MAX_OFFSET`] leaves room.
//! The login host is `doctor.genesys_login_base_url` when set, otherwise the `[genesys]` API
//! client's (`genesys.login_base_url` or its region) and `https://login.<domain>` of each
//! `service_providers[].genesys_region` (`sp::regions`), each host once.

use super::{Check, Context, Line};
use crate::backend::icws::target::Target;
use crate::config::{BackendConfig, Config};
use crate::sp::Region;
use reqwest::Client;

/// The largest offset that passes, in seconds.
pub const MAX_OFFSET: f64 = 5.0;

pub struct CicClock;
pub struct GenesysClock;

/// The CIC servers of an ICWS backend as URLs, in configured order.
pub fn cic_targets(cx: &Context) -> Vec<Target> {
    match &cx.cfg.backend {
        BackendConfig::Icws(i) => i
            .servers
            .iter()
            .filter_map(|s| Target::parse(s, i.scheme, i.scheme.default_port()).ok())
            .collect(),
        BackendConfig::File { .. } => Vec::new(),
    }
}

/// The Genesys Cloud login hosts to compare with: (what names it, base URL).
pub fn genesys_hosts(cfg: &Config) -> Vec<(String, String)> {
    if let Some(u) = &cfg.doctor.genesys_login_base_url {
        return vec![(
            "doctor.genesys_login_base_url".into(),
            u.as_str().to_string(),
        )];
    }
    let mut out: Vec<(String, String)> = Vec::new();
    // The API client's login host (`[genesys]`: its region, or genesys.login_base_url).
    if let Some(base) = cfg.genesys.as_ref().and_then(|g| g.login_base()) {
        out.push(("[genesys]".into(), base.trim_end_matches('/').to_string()));
    }
    for r in cfg
        .service_providers
        .iter()
        .filter_map(|s| s.genesys_region.as_deref())
        .filter_map(Region::find)
    {
        let base = format!("https://login.{}", r.domain);
        if !out.iter().any(|(_, b)| *b == base) {
            out.push((format!("region {}", r.id), base));
        }
    }
    out
}

/// One clock line: `what` names the other side, `url` is fetched with `client`.
pub async fn measure(
    cx: &Context,
    client: &Client,
    check: &'static str,
    what: &str,
    url: &str,
) -> Line {
    let tried = cx.fetch.tried(url);
    let line = match cx.fetch.get(client, url).await {
        Err(e) => Line::fail(
            check,
            format!("the clock of {what} cannot be read: {e}"),
            "Make the host reachable from this machine (firewall, DNS, proxy), then run doctor again.",
        ),
        Ok(a) => match a.offset {
            None => Line::fail(
                check,
                format!("{what} answered without a usable Date header"),
                "Compare the clocks by hand (`date -u` on both) and synchronise them with NTP.",
            ),
            Some(o) if o.abs() > MAX_OFFSET => Line::fail(
                check,
                format!(
                    "{what}'s clock is {:.1} s {} this machine's (more than {MAX_OFFSET} s; Genesys Cloud refuses beyond 10 s)",
                    o.abs(),
                    if o > 0.0 { "ahead of" } else { "behind" }
                ),
                "Synchronise this machine's clock with NTP (timedatectl set-ntp true, or chrony), and the other host's too.",
            ),
            Some(o) => Line::pass(
                check,
                format!("clock within {MAX_OFFSET} s of {what} ({o:+.1} s)"),
            ),
        },
    };
    line.tried(tried)
}

#[async_trait::async_trait]
impl Check for CicClock {
    async fn run(&self, cx: &Context) -> Vec<Line> {
        let Some(client) = &cx.fetch.icws else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for t in cic_targets(cx) {
            let url = match t.url(&["icws", "connection", "version"]) {
                Ok(u) => u.to_string(),
                Err(_) => continue,
            };
            let what = format!("CIC server {t}");
            out.push(measure(cx, client, "clock.cic", &what, &url).await);
        }
        out
    }
}

#[async_trait::async_trait]
impl Check for GenesysClock {
    async fn run(&self, cx: &Context) -> Vec<Line> {
        let mut out = Vec::new();
        for (name, base) in genesys_hosts(&cx.cfg) {
            let what = format!("the Genesys Cloud login host {base} ({name})");
            let url = format!("{base}/");
            out.push(measure(cx, &cx.fetch.public, "clock.genesys", &what, &url).await);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(extra: &str) -> Config {
        let text = format!(
            "[session]\nsecret = \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\n\
             [[service_providers]]\ngenesys_region = \"eu-central-1\"\n\
             [[service_providers]]\nentity_id = \"urn:b\"\ngenesys_region = \"us-east-1\"\n\
             [[service_providers]]\nentity_id = \"urn:c\"\ngenesys_region = \"EU-CENTRAL-1\"\n{extra}"
        );
        Config::from_toml(&text, "t.toml", std::path::Path::new("/etc/idp")).unwrap()
    }

    #[test]
    fn login_hosts_come_from_the_regions_once_each_or_from_the_override() {
        assert_eq!(
            genesys_hosts(&cfg("")),
            vec![
                (
                    "region eu-central-1".to_string(),
                    "https://login.mypurecloud.de".to_string()
                ),
                (
                    "region us-east-1".to_string(),
                    "https://login.mypurecloud.com".to_string()
                ),
            ]
        );
        let o = genesys_hosts(&cfg(
            "[doctor]\ngenesys_login_base_url = \"https://127.0.0.1:9/\"\n",
        ));
        assert_eq!(
            o,
            vec![(
                "doctor.genesys_login_base_url".to_string(),
                "https://127.0.0.1:9".to_string()
            )]
        );
    }
}
