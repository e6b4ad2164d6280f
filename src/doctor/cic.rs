//! The CIC checks: each configured server answers ICWS, over a TLS chain that validates with
//! `backend.ca_file` (the client the server itself uses), asking `GET
//! /icws/connection/version` — no session, no licence. A backup of a switchover pair (503
//! with its `alternateHostList`) is reachable too. A configuration that turns certificate
//! checks off or sends passwords in the clear fails. With `backend.service_user` set,
//! [`service_account`] then checks, on each server reached, that the account signs in and
//! reads users.

use super::clock::cic_targets;
use super::{Check, Context, Line};
use crate::backend::icws::session::{self, Outcome, Settings};
use crate::backend::icws::target::Target;
use crate::backend::icws::user;
use crate::backend::AuthError;
use crate::config::{BackendConfig, IcwsConfig};
use secrecy::SecretString;

pub struct Reachable;

/// Whether the error came from the TLS layer (a certificate that does not validate, a
/// handshake refused).
fn is_tls(e: &reqwest::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        // An io::Error's `source` skips the error it wraps: step into that one instead.
        cur = match err.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|i| i as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    false
}

#[async_trait::async_trait]
impl Check for Reachable {
    async fn run(&self, cx: &Context) -> Vec<Line> {
        const C: &str = "cic.reachable";
        let (Some(client), BackendConfig::Icws(icws)) = (&cx.fetch.icws, &cx.cfg.backend) else {
            return Vec::new();
        };
        let mut out: Vec<Line> = icws
            .warnings()
            .into_iter()
            .map(|w| {
                Line::fail(
                    "cic.tls",
                    w,
                    "Use scheme = \"https\" with backend.ca_file naming the CA of the CIC servers' certificates.",
                )
            })
            .collect();
        let ca = match &icws.ca_file {
            Some(p) => format!("backend.ca_file ({})", p.display()),
            None => "the public roots (no backend.ca_file)".into(),
        };
        let account = account(icws);
        for t in cic_targets(cx) {
            let Ok(url) = t.url(&["icws", "connection", "version"]) else {
                continue;
            };
            let url = url.to_string();
            let tried = cx.fetch.tried(&url);
            let tls = if t.scheme == crate::config::IcwsScheme::Https {
                format!(", TLS chain valid with {ca}")
            } else {
                String::new()
            };
            let line = match client.get(&url).timeout(cx.fetch.timeout).send().await {
                Ok(r) if r.status().is_success() => {
                    Line::pass(C, format!("CIC server {t} answers ICWS{tls}"))
                }
                Ok(r) if r.status().as_u16() == 503 => Line::pass(
                    C,
                    format!("CIC server {t} answers as the backup of a switchover pair (503){tls}"),
                ),
                Ok(r) => Line::fail(
                    C,
                    format!("CIC server {t} answered HTTP {} to the version request", r.status().as_u16()),
                    "Check that backend.servers names the CIC servers' ICWS port (8019 for HTTPS) and that ICWS runs there.",
                ),
                Err(e) if is_tls(&e) => Line::fail(
                    C,
                    format!("CIC server {t}: the TLS chain does not validate with {ca}: {}", cx.fetch.explain(&e)),
                    "Set backend.ca_file to the PEM of the CA that issued the CIC server's certificate, which must name the host as backend.servers writes it.",
                ),
                Err(e) => Line::fail(
                    C,
                    format!("CIC server {t} cannot be reached: {}", cx.fetch.explain(&e)),
                    format!(
                        "Check the host in backend.servers and that this machine reaches port {} (firewall, DNS).",
                        t.port
                    ),
                ),
            };
            let reached = line.status == super::Status::Pass;
            out.push(line.tried(tried));
            match &account {
                Some(Ok((user, pw))) if reached => {
                    out.push(service_account(cx, icws, &t, user, pw).await)
                }
                _ => {}
            }
        }
        if let Some(Err(m)) = account {
            out.push(Line::fail(
                "cic.service_account",
                m,
                "Make backend.service_password_file readable by the service user, with the password on its first line.",
            ));
        }
        out
    }
}

/// The service account of `backend.service_user`, its password read from
/// `backend.service_password_file` (first line); `None` when none is configured.
fn account(icws: &IcwsConfig) -> Option<Result<(String, SecretString), String>> {
    let (user, file) = (
        icws.service_user.as_ref()?,
        icws.service_password_file.as_ref()?,
    );
    let read = std::fs::read_to_string(file).map_err(|e| {
        format!(
            "backend.service_password_file: cannot read {}: {e}",
            file.display()
        )
    });
    Some(read.and_then(|text| {
        let pw = text.lines().next().unwrap_or("").to_string();
        if pw.is_empty() {
            return Err(format!(
                "backend.service_password_file: {} is empty",
                file.display()
            ));
        }
        Ok((user.trim().to_string(), SecretString::from(pw)))
    }))
}

/// The service-account check (`cic.service_account`): the account signs in to `target` and
/// reads a user's configuration (its own) the way a login does, and the session is closed.
/// [`Reachable`] calls this for each server it reached when `backend.service_user` is set.
pub async fn service_account(
    cx: &Context,
    icws: &IcwsConfig,
    target: &Target,
    user: &str,
    password: &SecretString,
) -> Line {
    const C: &str = "cic.service_account";
    let Some(client) = &cx.fetch.icws else {
        return Line::fail(C, "no ICWS client", "Set backend.type = \"icws\".");
    };
    let settings = Settings {
        application_name: icws.application_name.clone(),
        request_timeout: cx.fetch.timeout,
        email_property: icws.email_property.trim().to_string(),
        select: user::select_for(icws.email_property.trim()),
    };
    let tried = format!(
        "POST {target}/icws/connection as `{user}`, GET its user configuration, DELETE the session (timeout {} s)",
        cx.fetch.timeout.as_secs_f64()
    );
    let fix_rights = "Give the account the right to view users in Interaction Administrator (or use one that has it).";
    let line = match session::login(client, &settings, target, user, password, "en-US").await {
        Outcome::Answer(Ok(_)) | Outcome::Answer(Err(AuthError::NoEmail)) => Line::pass(
            C,
            format!("the service account `{user}` signs in to {target} and reads users"),
        ),
        Outcome::Answer(Err(AuthError::BadCredentials)) => Line::fail(
            C,
            format!("{target} refuses the service account `{user}`: wrong user ID or password"),
            "Check backend.service_user and the password in backend.service_password_file.",
        ),
        Outcome::Answer(Err(AuthError::AccountProblem(m))) => Line::fail(
            C,
            format!("{target} refuses the service account `{user}`: {m}"),
            "Ask the CIC administrator to unlock the account or renew its password or licence.",
        ),
        Outcome::Answer(Err(e)) => Line::fail(
            C,
            format!("the service account `{user}` cannot read users on {target}: {e}"),
            fix_rights,
        ),
        Outcome::Redirect(alts) => Line::pass(
            C,
            format!("{target} is the backup of a switchover pair (names {alts:?}); the account is checked on the active one"),
        ),
        Outcome::Unreachable(why) => Line::fail(
            C,
            format!("{target} cannot be asked: {why}"),
            "Make the CIC server reachable first (see the cic.reachable line).",
        ),
    };
    line.tried(tried)
}
