//! Reloading the key set when the signing folder changes, or on `SIGHUP`.
//!
//! Owns noticing: every [`POLL`] it lists the folder's `*.crt`, `*.key` and `active` files
//! with their sizes, modification times and inode numbers (no extra dependency, and it works
//! on any file system), and reloads once a change has held still for one poll (debounce: a
//! pair being copied in is not read half-written); `SIGHUP` reloads at once. It also retries
//! when the active certificate expires while the server runs (a valid backup then takes over)
//! and repeats the days-left log daily. Reading the folder, and keeping the old set when that
//! fails, is the [`KeyStore`]'s job.

use super::{now, signing_dir, KeyStore};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the folder is looked at.
pub const POLL: Duration = Duration::from_millis(250);

/// How often to try again while the active certificate has expired.
const EXPIRED_RETRY: Duration = Duration::from_secs(60);

/// How often the days left are logged again.
const DAILY: Duration = Duration::from_secs(86400);

/// What the signing folder looked like: (file name, size, mtime in ns, inode), sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprint(Vec<(String, u64, i128, u64)>);

/// Looks at the files of the signing folder that matter (not temporary dot files).
pub fn scan(dir: &Path) -> Fingerprint {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Fingerprint::default();
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let relevant = !name.starts_with('.')
                && (name == super::folder::ACTIVE_FILE
                    || name.ends_with(".crt")
                    || name.ends_with(".key"));
            if !relevant {
                return None;
            }
            // Follow symbolic links: a changed target is a change.
            let m = std::fs::metadata(e.path()).ok()?;
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as i128);
            #[cfg(unix)]
            let ino = std::os::unix::fs::MetadataExt::ino(&m);
            #[cfg(not(unix))]
            let ino = 0;
            Some((name, m.len(), mtime, ino))
        })
        .collect();
    files.sort();
    Fingerprint(files)
}

#[cfg(unix)]
type Hangup = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangup = Option<()>;

fn hangup() -> Hangup {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::hangup()) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!("cannot listen for SIGHUP ({e}); the folder is still watched");
                None
            }
        }
    }
    #[cfg(not(unix))]
    None
}

/// Waits for the next SIGHUP; false when no more can come.
async fn next_hangup(h: &mut Hangup) -> bool {
    match h {
        #[cfg(unix)]
        Some(s) => s.recv().await.is_some(),
        _ => std::future::pending().await,
    }
}

async fn reload(store: &Arc<KeyStore>, why: &'static str) {
    let s = store.clone();
    // The outcome is logged by the store; a failure keeps the old set.
    let _ = tokio::task::spawn_blocking(move || s.reload_because(why)).await;
}

/// Watches until `stop` turns true (or its sender goes away).
pub async fn run(store: Arc<KeyStore>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let dir = signing_dir(store.certs_dir());
    let mut hup = hangup();
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut prev = store.seen();
    let mut last_daily = Instant::now();
    let mut last_expired_try: Option<Instant> = None;
    tracing::debug!("watching {} for changes (and SIGHUP)", dir.display());
    loop {
        tokio::select! {
            biased;
            _ = async { drop(stop.wait_for(|s| *s).await) } => break,
            more = next_hangup(&mut hup) => {
                if more {
                    tracing::info!("SIGHUP: reloading the signing keys");
                    reload(&store, "SIGHUP").await;
                } else {
                    hup = None;
                }
            }
            _ = tick.tick() => {
                let d = dir.clone();
                let Ok(fp) = tokio::task::spawn_blocking(move || scan(&d)).await else {
                    continue;
                };
                if fp == prev && fp != store.seen() {
                    reload(&store, "change in the signing folder").await;
                }
                prev = fp;
                if store.current().active.info.expired(now())
                    && last_expired_try.is_none_or(|t| t.elapsed() >= EXPIRED_RETRY)
                {
                    last_expired_try = Some(Instant::now());
                    reload(&store, "the active certificate has expired").await;
                }
                if last_daily.elapsed() >= DAILY {
                    last_daily = Instant::now();
                    store.log_expiry();
                }
            }
        }
    }
    tracing::debug!("stopped watching {}", dir.display());
}
