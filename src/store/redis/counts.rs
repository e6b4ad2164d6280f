//! Throttle counts in Redis: the arithmetic of `throttle::table`, run inside Redis as Lua so
//! that reading the counts of the three keys (or of a known browser's) and reserving an
//! attempt on each is one round trip and atomic across instances.
//!
//! Owns the two scripts and what they keep per counting key: a hash (`f` failures, `l` last
//! failure, `u` refused until, milliseconds of Redis's own clock, so the instances' clocks do
//! not matter) that expires when its failures are forgotten, and a sorted set of attempts in
//! flight (each a random token, scored by when it lapses), so an instance that dies with an
//! attempt at the backend cannot hold a budget for longer than `hold`.

use crate::config::ThrottleConfig;
use ::redis::Script;
use std::sync::LazyLock;
use std::time::Duration;

const PRELUDE: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local base = tonumber(ARGV[2])
local function load(h, p)
  redis.call('ZREMRANGEBYSCORE', p, '-inf', now)
  local v = redis.call('HMGET', h, 'f', 'l', 'u')
  local f = tonumber(v[1]) or 0
  local l = tonumber(v[2]) or now
  local u = tonumber(v[3]) or 0
  if u <= now and now - l > window then f = 0 end
  return f, u, redis.call('ZCARD', p)
end
"#;

/// KEYS: (hash, in-flight set) for the browser, the IP, the user and IP pair, the user.
/// ARGV: window, base, hold, token, has_browser, then (limit, max delay) for each of the four.
/// Returns {path, wait_ms, by_ip}: path 1 = the browser's budget, 2 = the three keys,
/// 0 = refused.
static RESERVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{PRELUDE}{}",
        r#"
local hold = tonumber(ARGV[3])
local token = ARGV[4]
local function admits(i)
  local limit = tonumber(ARGV[6 + 2 * i])
  local f, u, pending = load(KEYS[2 * i + 1], KEYS[2 * i + 2])
  if u > now then return u - now end
  if f < limit then
    if f + pending < limit then return 0 end
  elseif pending == 0 then
    return 0
  end
  return -1
end
local function take(i)
  local p = KEYS[2 * i + 2]
  redis.call('ZADD', p, now + hold, token)
  redis.call('PEXPIRE', p, hold)
end
if ARGV[5] == '1' and admits(0) == 0 then
  take(0)
  return {1, 0, 0}
end
local wait, by_ip, refused = 0, 0, false
for i = 1, 3 do
  local w = admits(i)
  if w ~= 0 then
    refused = true
    if w < 0 then w = base end
    if w > wait then wait = w end
    if i == 1 then by_ip = 1 end
  end
end
if refused then return {0, wait, by_ip} end
for i = 1, 3 do take(i) end
return {2, 0, 0}
"#
    ))
});

/// KEYS: (hash, in-flight set) of each key the attempt reserved.
/// ARGV: window, base, how (F failed, C succeeded, R released), token, then for each key
/// (limit, max delay, keep: 1 when a success must not clear it).
static SETTLE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{PRELUDE}{}",
        r#"
local how = ARGV[3]
local token = ARGV[4]
for i = 0, #KEYS / 2 - 1 do
  local h, p = KEYS[2 * i + 1], KEYS[2 * i + 2]
  local limit = tonumber(ARGV[5 + 3 * i])
  local max = tonumber(ARGV[6 + 3 * i])
  redis.call('ZREM', p, token)
  local act = how
  if act == 'C' and ARGV[7 + 3 * i] == '1' then act = 'R' end
  if act == 'F' then
    local f, u = load(h, p)
    f = f + 1
    redis.call('HSET', h, 'f', f, 'l', now)
    if f >= limit then
      local d = base * math.pow(2, math.min(f - limit, 20))
      if d > max then d = max end
      u = now + d
      redis.call('HSET', h, 'u', string.format('%d', u))
    end
    redis.call('PEXPIRE', h, math.max(window, u - now) + 1000)
  elseif act == 'C' then
    redis.call('DEL', h)
  end
end
return 1
"#
    ))
});

/// One counting key's rule: its limit, its longest refusal, and whether a success keeps it.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub limit: u32,
    pub max_ms: u64,
    pub keep_on_success: bool,
}

/// The four rules, as `throttle` applies them.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub window_ms: u64,
    pub base_ms: u64,
    pub hold_ms: u64,
    pub browser: Rule,
    pub ip: Rule,
    pub pair: Rule,
    pub user: Rule,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl Rules {
    /// `hold`: how long a reserved attempt may stay at the backend before it lapses.
    pub fn new(c: &ThrottleConfig, hold: Duration) -> Self {
        let rule = |limit, max: Duration, keep| Rule {
            limit,
            max_ms: ms(max),
            keep_on_success: keep,
        };
        Rules {
            window_ms: ms(c.window),
            base_ms: ms(c.base_delay),
            hold_ms: ms(hold),
            browser: rule(c.browser_failures, c.max_user_delay, false),
            ip: rule(c.ip_failures, c.max_ip_delay, true),
            pair: rule(c.user_failures, c.max_user_delay, false),
            user: rule(c.user_global_failures, c.max_user_delay, true),
        }
    }
}

/// A counting key's two Redis keys and its rule.
#[derive(Debug, Clone)]
pub struct Counted {
    pub hash: String,
    pub rule: Rule,
}

impl Counted {
    fn pending(&self) -> String {
        format!("{}:p", self.hash)
    }
}

/// The reserve invocation: `browser` first (when the request has a token), then IP, pair, user.
pub fn reserve(
    rules: &Rules,
    token: &str,
    browser: Option<&Counted>,
    three: &[Counted; 3],
) -> ::redis::ScriptInvocation<'static> {
    let mut inv = RESERVE.prepare_invoke();
    let none = Counted {
        hash: format!("{}:none", three[0].hash),
        rule: rules.browser,
    };
    let b = browser.unwrap_or(&none);
    for c in std::iter::once(b).chain(three) {
        inv.key(&c.hash).key(c.pending());
    }
    inv.arg(rules.window_ms)
        .arg(rules.base_ms)
        .arg(rules.hold_ms)
        .arg(token)
        .arg(if browser.is_some() { "1" } else { "0" });
    for c in std::iter::once(b).chain(three) {
        inv.arg(c.rule.limit).arg(c.rule.max_ms);
    }
    inv
}

/// The settle invocation for the keys an attempt reserved.
pub fn settle(
    rules: &Rules,
    token: &str,
    how: char,
    keys: &[Counted],
) -> ::redis::ScriptInvocation<'static> {
    let mut inv = SETTLE.prepare_invoke();
    for c in keys {
        inv.key(&c.hash).key(c.pending());
    }
    inv.arg(rules.window_ms)
        .arg(rules.base_ms)
        .arg(how.to_string())
        .arg(token);
    for c in keys {
        inv.arg(c.rule.limit)
            .arg(c.rule.max_ms)
            .arg(if c.rule.keep_on_success { "1" } else { "0" });
    }
    inv
}
