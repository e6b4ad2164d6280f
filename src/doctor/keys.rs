//! The signing-key checks: every key opens and matches its certificate; the active
//! certificate is valid, with its days left; at most [`MAX_PAIRS`] pairs. They read the
//! folder the way the server does (`keys::folder`, `keys::inventory`) and change nothing.

use super::{Check, Context, Line};
use crate::keys::{folder, format_time, inventory, now, password, signing_dir, MAX_PAIRS};
use secrecy::ExposeSecret;

pub struct KeysMatch;
pub struct ActiveValid;
pub struct PairCount;

/// The key password as the server would find it; a failure is the line to print.
fn key_password(cx: &Context, check: &'static str) -> Result<Option<Vec<u8>>, Line> {
    password::from_config(&cx.cfg)
        .map(|p| p.map(|s| s.expose_secret().to_vec()))
        .map_err(|e| {
            Line::fail(
                check,
                format!("the key password cannot be read: {e}"),
                "Make the file idp.key_password_file names readable by the service user, holding the password on one line.",
            )
        })
}

#[async_trait::async_trait]
impl Check for KeysMatch {
    async fn run(&self, cx: &Context) -> Vec<Line> {
        const C: &str = "keys.match";
        let pw = match key_password(cx, C) {
            Ok(p) => p,
            Err(l) => return vec![l],
        };
        let certs_dir = &cx.cfg.idp.certs_dir;
        let dir = signing_dir(certs_dir).display().to_string();
        let inv = match inventory::inventory(certs_dir, pw.as_deref()) {
            Ok(i) => i,
            Err(e) => {
                return vec![Line::fail(
                    C,
                    format!("the signing folder cannot be read: {e}"),
                    "Make idp.certs_dir and its signing/ folder readable by the service user.",
                )]
            }
        };
        if inv.entries.is_empty() {
            return vec![Line::fail(
                C,
                format!("{dir} holds no signing pair"),
                "Create one with `pureconnect-idp certs generate NAME --config FILE`.",
            )];
        }
        let bad: Vec<String> = inv
            .entries
            .iter()
            .filter_map(|e| e.problem.as_ref().map(|p| format!("`{}`: {p}", e.name)))
            .collect();
        if !bad.is_empty() {
            let fix = if bad.iter().any(|b| b.contains("password")) {
                "Give the key password in idp.key_password_file (or IDP_KEY_PASSWORD), or replace the pair."
            } else {
                "Put back the key each certificate was issued with, or remove the pair and make a new one with `certs generate`."
            };
            return vec![Line::fail(C, bad.join("; "), fix)];
        }
        if !inv.incomplete.is_empty() {
            return vec![Line::fail(
                C,
                format!(
                    "{dir}: {} has a certificate without its key or a key without its certificate",
                    inv.incomplete.join(", ")
                ),
                "Restore the missing .crt or .key file, or remove the half pair.",
            )];
        }
        vec![Line::pass(
            C,
            format!(
                "{} signing pair(s) in {dir}: every key opens and matches its certificate",
                inv.entries.len()
            ),
        )]
    }
}

#[async_trait::async_trait]
impl Check for ActiveValid {
    async fn run(&self, cx: &Context) -> Vec<Line> {
        const C: &str = "keys.active";
        let pw = match key_password(cx, C) {
            Ok(p) => p,
            Err(l) => return vec![l],
        };
        let set = match folder::read_set(&cx.cfg.idp.certs_dir, pw.as_deref()) {
            Ok(s) => s,
            Err(e) => {
                return vec![Line::fail(
                    C,
                    format!("the server would not start with this folder: {e}"),
                    "Fix the signing folder as the message says (`pureconnect-idp certs list` shows every pair).",
                )]
            }
        };
        let a = &set.active;
        let now = now();
        let days = a.info.days_left(now);
        let until = format_time(a.info.not_after);
        if let Some(old) = &set.auto_promoted_from {
            return vec![Line::fail(
                C,
                format!(
                    "the certificate named active, `{old}`, has expired; the backup `{}` signs in its place until {until}",
                    a.name
                ),
                format!(
                    "Once Genesys Cloud holds `{}`, run `pureconnect-idp certs promote {}`.",
                    a.name, a.name
                ),
            )];
        }
        if a.info.not_before > now {
            return vec![Line::fail(
                C,
                format!(
                    "the active certificate `{}` is not valid before {}",
                    a.name,
                    format_time(a.info.not_before)
                ),
                "Check this machine's clock, or promote a certificate that is valid now.",
            )];
        }
        let warn = cx.cfg.idp.cert_warn_days;
        if days < i64::from(warn) {
            return vec![Line::fail(
                C,
                format!(
                    "the active certificate `{}` expires on {until}: {days} day(s) left, under idp.cert_warn_days ({warn})",
                    a.name
                ),
                "Rotate now: `certs generate NEW`, upload it to Genesys Cloud, then `certs promote NEW`.",
            )];
        }
        vec![Line::pass(
            C,
            format!(
                "the active certificate `{}` is valid until {until}: {days} days left",
                a.name
            ),
        )]
    }
}

#[async_trait::async_trait]
impl Check for PairCount {
    async fn run(&self, cx: &Context) -> Vec<Line> {
        const C: &str = "keys.count";
        let certs_dir = &cx.cfg.idp.certs_dir;
        match folder::pair_names(certs_dir) {
            Ok(n) if n.len() <= MAX_PAIRS => vec![Line::pass(
                C,
                format!("{} of at most {MAX_PAIRS} signing pairs", n.len()),
            )],
            Ok(n) => vec![Line::fail(
                C,
                format!(
                    "{} signing pairs ({}): Genesys Cloud holds at most {MAX_PAIRS}",
                    n.len(),
                    n.join(", ")
                ),
                "Remove the pairs no longer needed from Genesys Cloud and then from the folder (never the active one).",
            )],
            Err(e) => vec![Line::fail(
                C,
                format!("the signing folder cannot be read: {e}"),
                "Make idp.certs_dir and its signing/ folder readable by the service user.",
            )],
        }
    }
}
