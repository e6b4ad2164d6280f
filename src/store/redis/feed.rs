//! Revoked SSO sessions across instances, without a round trip on the SSO-session path.
//!
//! Owns the shared revocation log and how each instance keeps its local record (the one the
//! SSO-session answer reads) filled from it. In Redis: a sequence counter, a log (a sorted
//! set: score = sequence number, member = `<until> <SessionIndex>`, capped and trimmed of what
//! has expired), an epoch (a random value set with the first entry, so a Redis that restarted
//! empty is told apart from one that did not), and a pub/sub channel that carries every new
//! entry. Each instance applies what the channel brings; on every (re)subscription and once a
//! second it compares the counter with the last number it applied and reads what it missed;
//! when the epoch changed it offers its own live entries again, so a restarted Redis learns
//! back what the pair knew. A revocation made while Redis is down waits in an outbox.

use super::RedisState;
use crate::web::revoked::Revocations;
use ::redis::Script;
use futures_util::StreamExt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{LazyLock, Mutex, Weak};
use std::time::Duration;

/// Entries the shared log keeps at most.
pub const LOG_CAP: usize = 200_000;

/// KEYS: seq, log, epoch. ARGV: member, channel, cap, epoch candidate. Returns the sequence.
static REVOKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
redis.call('SET', KEYS[3], ARGV[4], 'NX')
local s = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], s, ARGV[1])
local cap = tonumber(ARGV[3])
local n = redis.call('ZCARD', KEYS[2])
if n > cap then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, n - cap - 1) end
local now = tonumber(redis.call('TIME')[1])
for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, 9)) do
  local u = tonumber(string.match(m, '^(%-?%d+) '))
  if u and u < now then redis.call('ZREM', KEYS[2], m) else break end
end
redis.call('PUBLISH', ARGV[2], s .. ' ' .. ARGV[1])
return s
"#,
    )
});

#[derive(Default)]
pub struct Feed {
    /// The highest sequence number applied.
    seq: AtomicI64,
    /// The epoch of the log that sequence belongs to.
    epoch: Mutex<Option<String>>,
    /// Revocations not yet in the shared log.
    outbox: Mutex<Vec<(String, i64)>>,
    pub wake: std::sync::Arc<tokio::sync::Notify>,
}

impl Feed {
    pub fn push(&self, session_index: &str, until: i64) {
        lock(&self.outbox).push((session_index.to_string(), until));
        self.wake.notify_one();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Applies one log member (`<until> <SessionIndex>`) to the local record.
fn apply(s: &RedisState, member: &str) {
    if let Some((until, idx)) = member.split_once(' ') {
        if let Ok(until) = until.parse::<i64>() {
            s.local.revoked.revoke(idx, until);
        }
    }
}

/// Sends what waits in the outbox; what Redis does not take goes back for later.
pub async fn flush(s: &RedisState) {
    let batch = std::mem::take(&mut *lock(&s.feed.outbox));
    let mut rest = batch.into_iter();
    for (idx, until) in rest.by_ref() {
        let member = format!("{until} {idx}");
        let (keys, channel) = (s.names.fixed("rev:"), s.names.fixed("rev"));
        let epoch = crate::web::form_guard::new_form_id();
        let sent = s
            .link
            .run(|mut c| async move {
                REVOKE
                    .key(format!("{keys}seq"))
                    .key(format!("{keys}log"))
                    .key(format!("{keys}epoch"))
                    .arg(&member)
                    .arg(channel)
                    .arg(LOG_CAP)
                    .arg(epoch)
                    .invoke_async::<i64>(&mut c)
                    .await
            })
            .await;
        if sent.is_none() {
            let mut o = lock(&s.feed.outbox);
            o.push((idx, until));
            o.extend(rest);
            return;
        }
    }
}

/// Compares the shared counter and epoch with what this instance applied, and reads what it
/// missed. Called once a second while the store is up, and after each subscription.
pub async fn catch_up(s: &RedisState) {
    let p = s.names.fixed("rev:");
    let (seq_key, epoch_key) = (format!("{p}seq"), format!("{p}epoch"));
    let Some((seq, epoch)) = s
        .link
        .run(|mut c| async move {
            ::redis::cmd("MGET")
                .arg(&seq_key)
                .arg(&epoch_key)
                .query_async::<(Option<i64>, Option<String>)>(&mut c)
                .await
        })
        .await
    else {
        return;
    };
    let ours = lock(&s.feed.epoch).clone();
    if ours.is_some() && ours != epoch {
        // Redis lost the log (a restart without persistence): start over, and give it back
        // every live revocation this instance knows.
        tracing::warn!(
            "the shared revocation log was reset: offering this instance's revocations again"
        );
        *lock(&s.feed.epoch) = None;
        s.feed.seq.store(0, Ordering::Release);
        let now = chrono::Utc::now().timestamp();
        let live = s.local.revoked.entries(now);
        lock(&s.feed.outbox).extend(live);
        s.feed.wake.notify_one();
        return;
    }
    let Some(seq) = seq else { return };
    *lock(&s.feed.epoch) = epoch;
    let from = s.feed.seq.load(Ordering::Acquire);
    if seq <= from {
        return;
    }
    let log = format!("{p}log");
    let got = s
        .link
        .run(|mut c| async move {
            ::redis::cmd("ZRANGEBYSCORE")
                .arg(&log)
                .arg(format!("({from}"))
                .arg("+inf")
                .query_async::<Vec<String>>(&mut c)
                .await
        })
        .await;
    if let Some(members) = got {
        for m in &members {
            apply(s, m);
        }
        s.feed.seq.fetch_max(seq, Ordering::AcqRel);
    }
}

/// Listens on the channel for as long as the store lives, subscribing again after any loss.
pub async fn listen(weak: Weak<RedisState>) {
    loop {
        let Some(s) = weak.upgrade() else { return };
        let channel = s.names.fixed("rev");
        let timeout = s.link.timeout;
        let stream = match s.link.client().await {
            Some(client) => match tokio::time::timeout(timeout, client.get_async_pubsub()).await {
                Ok(Ok(mut ps)) => match tokio::time::timeout(timeout, ps.subscribe(&channel)).await
                {
                    Ok(Ok(())) => Some(ps.into_on_message()),
                    _ => None,
                },
                _ => None,
            },
            None => None,
        };
        let Some(mut stream) = stream else {
            drop(s);
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        catch_up(&s).await;
        drop(s);
        while let Some(msg) = stream.next().await {
            let Some(s) = weak.upgrade() else { return };
            let Ok(text) = msg.get_payload::<String>() else {
                continue;
            };
            let Some((seq, member)) = text.split_once(' ') else {
                continue;
            };
            let seq: i64 = seq.parse().unwrap_or(0);
            apply(&s, member);
            let before = s.feed.seq.load(Ordering::Acquire);
            if seq == before + 1 {
                s.feed.seq.fetch_max(seq, Ordering::AcqRel);
            } else if seq > before + 1 {
                // A gap: something was missed; the log has it.
                catch_up(&s).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
