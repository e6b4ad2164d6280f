//! `doctor`: a preflight run on the machine that will serve, one line per check, ✓ or ✗, and
//! for each ✗ the fix in one sentence.
//!
//! Owns the list of checks ([`checks`], the one place a new check plugs in), what a result
//! line is, and running them: the configuration first (nothing else can run without it),
//! then every other check at once, each network check bounded by `doctor.timeout` and saying
//! what it tried. Rendering is [`report`]'s. It changes nothing: no file is written, no
//! server is started, no CIC session is left open.

pub mod cic;
pub mod clock;
pub mod fetch;
pub mod keys;
pub mod public_base;
pub mod report;
pub mod sp_files;
pub mod windows;

use crate::config::Config;
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
}

/// One result line.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// Which check (stable, for `--json` readers): `keys.match`, `clock.cic`, ….
    pub check: &'static str,
    pub status: Status,
    /// What was found, in a sentence.
    pub summary: String,
    /// For a network check: what it tried (method and URL, with the timeout).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tried: Option<String>,
    /// For a failure: what to do, in one sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Line {
    pub fn pass(check: &'static str, summary: impl Into<String>) -> Line {
        Line {
            check,
            status: Status::Pass,
            summary: summary.into(),
            tried: None,
            fix: None,
        }
    }

    pub fn fail(check: &'static str, summary: impl Into<String>, fix: impl Into<String>) -> Line {
        Line {
            check,
            status: Status::Fail,
            summary: summary.into(),
            tried: None,
            fix: Some(fix.into()),
        }
    }

    pub fn tried(mut self, what: impl Into<String>) -> Line {
        self.tried = Some(what.into());
        self
    }
}

/// What every check is given: the loaded configuration and the HTTP clients built from it.
pub struct Context {
    pub cfg: Config,
    pub fetch: fetch::Fetch,
}

/// One check. It returns its lines (none when what it checks is not configured).
#[async_trait::async_trait]
pub trait Check: Send + Sync {
    async fn run(&self, cx: &Context) -> Vec<Line>;
}

/// Every check after the configuration, in the order they are printed. Sign-in methods with
/// their own servers or files (the Kerberos keytab, LDAP: [`windows`]) add theirs here.
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(keys::KeysMatch),
        Box::new(keys::ActiveValid),
        Box::new(keys::PairCount),
        Box::new(clock::CicClock),
        Box::new(clock::GenesysClock),
        Box::new(cic::Reachable),
        Box::new(windows::Keytab),
        Box::new(windows::Ldap),
        Box::new(public_base::Metadata),
        Box::new(sp_files::SpMetadata),
    ]
}

/// Everything `doctor` found.
#[derive(Debug, Serialize)]
pub struct Report {
    pub config: String,
    pub ok: bool,
    pub checks: Vec<Line>,
}

/// Loads the configuration (the loader's own message when it cannot) and runs every check.
pub async fn run(path: &Path) -> Report {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let file = path.display().to_string();
    let loaded = Config::load(path).and_then(|c| c.issuer().map(|_| c));
    let cfg = match loaded {
        Ok(c) => c,
        Err(e) => {
            return Report::of(
                file,
                vec![Line::fail(
                    "config",
                    format!("the configuration does not load: {e}"),
                    "Correct the key the message names (docs/configuration.md describes each one), then run doctor again.",
                )],
            )
        }
    };
    let first = Line::pass("config", format!("the configuration loads from {file}"));
    let fetch = match fetch::Fetch::new(&cfg) {
        Ok(f) => f,
        Err((key, m)) => {
            let fix = format!("Correct {key}, then run doctor again.");
            return Report::of(file, vec![first, Line::fail("config", m, fix)]);
        }
    };
    let mut lines = vec![first];
    lines.extend(run_checks(Context { cfg, fetch }, checks()).await);
    Report::of(file, lines)
}

/// Runs the checks at once (each bounds its own network time); lines keep the list's order.
pub async fn run_checks(cx: Context, list: Vec<Box<dyn Check>>) -> Vec<Line> {
    let cx = Arc::new(cx);
    let mut set = tokio::task::JoinSet::new();
    for (i, check) in list.into_iter().enumerate() {
        let cx = cx.clone();
        set.spawn(async move { (i, check.run(&cx).await) });
    }
    let mut done = Vec::new();
    while let Some(r) = set.join_next().await {
        match r {
            Ok(x) => done.push(x),
            Err(e) => done.push((
                usize::MAX,
                vec![Line::fail(
                    "internal",
                    format!("a check stopped unexpectedly: {e}"),
                    "Report this as a bug in pureconnect-idp, with the output above.",
                )],
            )),
        }
    }
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().flat_map(|(_, l)| l).collect()
}

impl Report {
    fn of(config: String, checks: Vec<Line>) -> Report {
        let ok = checks.iter().all(|l| l.status == Status::Pass);
        Report { config, ok, checks }
    }
}
