//! Counts on Redis: one EVALSHA per decision, on the server's clock.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use std::time::Duration;

use shieldwall_core::{Clock, StoreError, SystemClock};
use shieldwall_redis::{Redis, Script};

use super::{RateStore, sealed};
use crate::algorithm::Reservation;
use crate::{Algorithm, KeyBytes, Policy, Quota, Verdict};

// Every script reads the server's clock (TIME), so that instances with skewed
// clocks agree, and touches one key (one hash slot: Redis Cluster ready).
// Each is written for Redis's time per call: it is the ceiling of every
// instance sharing the server, since Redis runs scripts on one thread.

// GCRA keeps the theoretical arrival time, in microseconds, as an 8-byte
// double (`struct.pack`): no decimal formatting or parsing on the server.
// It answers one integer: `new_tat - now` (at least 1) when allowed,
// `now - tat - 1` (below 0) when not; the rest is arithmetic for the client.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local interval, capacity, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local raw = redis.call('GET', KEYS[1])
local tat = now
if raw and #raw == 8 then
  tat = struct.unpack('>d', raw)
  if tat < now then tat = now end
end
local due = tat - now + interval * cost
if due <= capacity then
  redis.call('PSETEX', KEYS[1], (due - due % 1000) / 1000 + 2, struct.pack('>d', now + due))
  return due
end
return now - tat - 1";

// The windows answer {allowed, remaining, reset_after_us, retry_after_us, window}.
const FIXED: &str = r"
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local window, limit, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local index = math.floor(now / window)
local state = redis.call('HMGET', KEYS[1], 'i', 'c')
local count = 0
if tonumber(state[1]) == index then count = tonumber(state[2]) or 0 end
local left = (index + 1) * window - now
if count + cost <= limit then
  count = count + cost
  redis.call('HSET', KEYS[1], 'i', string.format('%d', index), 'c', count)
  redis.call('PEXPIRE', KEYS[1], math.ceil(left / 1000) + 1)
  return {1, limit - count, left, 0, index}
end
return {0, limit - count, left, left, index}";

const SLIDING: &str = r"
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local window, limit, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local index = math.floor(now / window)
local state = redis.call('HMGET', KEYS[1], 'i', 'c', 'p')
local stored = tonumber(state[1])
local current, previous = 0, 0
if stored == index then
  current, previous = tonumber(state[2]) or 0, tonumber(state[3]) or 0
elseif stored == index - 1 then
  previous = tonumber(state[2]) or 0
end
local elapsed = now - index * window
local weighted = previous * (1 - elapsed / window) + current
local reset = 0
if current > 0 then reset = 2 * window - elapsed elseif previous > 0 then reset = window - elapsed end
if weighted + cost <= limit then
  current = current + cost
  redis.call('HSET', KEYS[1], 'i', string.format('%d', index), 'c', current, 'p', previous)
  redis.call('PEXPIRE', KEYS[1], math.ceil((2 * window - elapsed) / 1000) + 1)
  return {1, math.floor(limit - weighted - cost), 2 * window - elapsed, 0, index}
end
local room = limit - current - cost
local retry
if room >= 0 and previous > 0 then
  retry = math.max(math.floor((1 - room / previous) * window) - elapsed, 1)
else
  local needed = 1
  if current > 0 and limit - cost >= 0 then needed = 1 - (limit - cost) / current end
  if needed < 0 then needed = 0 end
  retry = (window - elapsed) + math.floor(needed * window)
end
local left = math.floor(limit - weighted)
if left < 0 then left = 0 end
return {0, left, reset, retry, index}";

const REFUND_GCRA: &str = r"
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local raw = redis.call('GET', KEYS[1])
if not raw or #raw ~= 8 then return 0 end
local tat = struct.unpack('>d', raw)
local back = tonumber(ARGV[1]) * tonumber(ARGV[2])
local new_tat = math.max(tat - back, math.min(now, tat))
redis.call('SET', KEYS[1], struct.pack('>d', new_tat), 'KEEPTTL')
return 1";

const REFUND_WINDOW: &str = r"
local state = redis.call('HMGET', KEYS[1], 'i', 'c', 'p')
local stored, cost, index = tonumber(state[1]), tonumber(ARGV[1]), tonumber(ARGV[2])
if stored == index then
  redis.call('HSET', KEYS[1], 'c', math.max((tonumber(state[2]) or 0) - cost, 0))
elseif stored == index + 1 and state[3] then
  redis.call('HSET', KEYS[1], 'p', math.max((tonumber(state[3]) or 0) - cost, 0))
end
return 1";

/// A client that is over its limit, remembered here until its window can
/// admit it again: its requests are answered from memory, costing Redis
/// nothing (as Envoy's rate limit service does). Sharded, so that a flood of
/// limited clients does not serialize every check on one lock; bounded, with
/// sweeps of expired entries at most once a second per shard.
#[derive(Debug)]
struct DeniedUntil {
    shards: Box<[Mutex<DeniedShard>]>,
    hasher: RandomState,
    /// How many entries there are: while none, checks skip the locks.
    held: AtomicUsize,
}

#[derive(Debug, Default)]
struct DeniedShard {
    entries: HashMap<Box<[u8]>, Denied>,
    last_sweep: u64,
}

/// Until when (on this store's clock), when the quota is whole again, and
/// what was left.
type Denied = (u64, u64, u32);

const DENIED_SHARDS: usize = 16;
const DENIED_PER_SHARD: usize = 100_000 / DENIED_SHARDS;
const DENIED_SWEEP_PAUSE_NANOS: u64 = 1_000_000_000;

impl DeniedUntil {
    fn new() -> Self {
        Self {
            shards: (0..DENIED_SHARDS).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            held: AtomicUsize::new(0),
        }
    }

    fn shard(&self, key: &[u8]) -> Option<&Mutex<DeniedShard>> {
        #[allow(
            clippy::cast_possible_truncation,
            reason = "only the low bits pick a shard"
        )]
        let index = self.hasher.hash_one(key) as usize % DENIED_SHARDS;
        self.shards.get(index)
    }

    fn get(&self, key: &[u8], now: u64) -> Option<Verdict> {
        if self.held.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut shard = self.shard(key)?.lock().ok()?;
        let (until, reset, remaining) = *shard.entries.get(key)?;
        if now >= until {
            shard.entries.remove(key);
            self.held.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Verdict {
            allowed: false,
            remaining,
            reset_after_nanos: reset.saturating_sub(now),
            retry_after_nanos: until - now,
            reservation: Reservation { cost: 0, window: 0 },
        })
    }

    fn insert(&self, key: &[u8], now: u64, verdict: &Verdict) {
        let Some(Ok(mut shard)) = self.shard(key).map(Mutex::lock) else {
            return;
        };
        if shard.entries.len() >= DENIED_PER_SHARD {
            if now.saturating_sub(shard.last_sweep) < DENIED_SWEEP_PAUSE_NANOS {
                return; // Full, swept a moment ago: this one goes to Redis next time.
            }
            let before = shard.entries.len();
            shard.entries.retain(|_, (until, _, _)| *until > now);
            shard.last_sweep = now;
            self.held
                .fetch_sub(before - shard.entries.len(), Ordering::AcqRel);
            if shard.entries.len() >= DENIED_PER_SHARD {
                return;
            }
        }
        let entry = (
            now.saturating_add(verdict.retry_after_nanos),
            now.saturating_add(verdict.reset_after_nanos),
            verdict.remaining,
        );
        if shard.entries.insert(Box::from(key), entry).is_none() {
            self.held.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// Counts for one policy on Redis: one `EVALSHA` per decision over the
/// multiplexed connection, the script reading Redis's own clock, one key per
/// client (`prefix:{rl-<policy>-<key>}:<g|f|s>` by algorithm, one hash slot), reloaded on
/// `NOSCRIPT`, under the command timeout and the handle's circuit breaker.
/// A client found over its limit is answered from memory until its retry time.
///
/// Made by [`RateLimiter::redis`](crate::RateLimiter::redis) (or a
/// [`RateLimiterBuilder`](crate::RateLimiterBuilder)) for the limiter's own
/// policy, and reached through [`RateLimiter::store`](crate::RateLimiter::store).
#[derive(Clone)]
pub struct RedisStore {
    redis: Redis,
    /// A key is `key_head`, the client's key in hex, `key_tail`.
    key_head: Arc<str>,
    key_tail: Arc<str>,
    quota: Quota,
    algorithm: Algorithm,
    script: Arc<Script>,
    refund: Arc<Script>,
    denied: Arc<DeniedUntil>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("redis", &self.redis)
            .field("quota", &self.quota)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

fn micros(nanos: u64) -> u64 {
    nanos.div_ceil(1000)
}

impl RedisStore {
    /// A store for `policy` on `redis`, remembering limited clients on
    /// `clock` (the system's when none is given). Made by a limiter only,
    /// from its own policy.
    pub(crate) fn new(redis: Redis, policy: &Policy, clock: Option<Arc<dyn Clock>>) -> Self {
        let (script, refund) = match policy.algorithm {
            Algorithm::Gcra => (GCRA, REFUND_GCRA),
            Algorithm::FixedWindow => (FIXED, REFUND_WINDOW),
            Algorithm::SlidingWindow => (SLIDING, REFUND_WINDOW),
        };
        // The suffix names the algorithm: a policy whose algorithm changes
        // starts on fresh keys instead of reading another layout (WRONGTYPE).
        let suffix = match policy.algorithm {
            Algorithm::Gcra => "g",
            Algorithm::FixedWindow => "f",
            Algorithm::SlidingWindow => "s",
        };
        // Hex digits need no escaping, so every key is this template with the
        // client's hex inserted before the hash tag closes (the last `}:`, as
        // braces inside the tag and suffix are escaped).
        let template = redis.tagged_key(&format!("rl-{}-", policy.name), suffix);
        let (head, tail) = template.split_at(template.rfind("}:").unwrap_or(template.len()));
        Self {
            key_head: Arc::from(head),
            key_tail: Arc::from(tail),
            redis,
            quota: policy.quota,
            algorithm: policy.algorithm,
            script: Arc::new(Script::new(script)),
            refund: Arc::new(Script::new(refund)),
            denied: Arc::new(DeniedUntil::new()),
            clock: clock.unwrap_or_else(|| Arc::new(SystemClock::new())),
        }
    }

    /// The script's SHA1 (for `INFO commandstats` and `SCRIPT EXISTS`).
    #[must_use]
    pub fn script_sha(&self) -> &str {
        self.script.sha()
    }

    fn key(&self, key: &KeyBytes) -> String {
        let mut out = String::with_capacity(
            self.key_head.len() + 2 * key.as_bytes().len() + self.key_tail.len(),
        );
        out.push_str(&self.key_head);
        key.push_hex(&mut out);
        out.push_str(&self.key_tail);
        out
    }

    fn now(&self) -> u64 {
        u64::try_from(self.clock.monotonic().as_nanos()).unwrap_or(u64::MAX)
    }

    fn args(&self, cost: u32) -> [u64; 3] {
        match self.algorithm {
            Algorithm::Gcra => {
                let interval = micros(self.quota.interval_nanos()).max(1);
                [
                    interval,
                    interval.saturating_mul(u64::from(self.quota.burst().get())),
                    u64::from(cost),
                ]
            }
            Algorithm::FixedWindow | Algorithm::SlidingWindow => [
                micros(self.quota.window_nanos()),
                u64::from(self.quota.count().get()),
                u64::from(cost),
            ],
        }
    }
}

impl RedisStore {
    /// The verdict from the GCRA script's one integer (see `GCRA`), in the
    /// same microseconds as its arguments.
    fn gcra_verdict(&self, answer: i64, cost: u32) -> Verdict {
        let [interval, capacity, _] = self.args(cost);
        let reservation = Reservation { cost, window: 0 };
        if answer > 0 {
            let due = answer.unsigned_abs();
            Verdict {
                allowed: true,
                remaining: u32::try_from(capacity.saturating_sub(due) / interval)
                    .unwrap_or(u32::MAX),
                reset_after_nanos: due.saturating_mul(1000),
                retry_after_nanos: 0,
                reservation,
            }
        } else {
            let owed = answer.unsigned_abs().saturating_sub(1);
            let needed = owed.saturating_add(interval.saturating_mul(u64::from(cost)));
            Verdict {
                allowed: false,
                remaining: u32::try_from(capacity.saturating_sub(owed) / interval)
                    .unwrap_or(u32::MAX),
                reset_after_nanos: owed.saturating_mul(1000),
                retry_after_nanos: needed.saturating_sub(capacity).max(1).saturating_mul(1000),
                reservation,
            }
        }
    }
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Clients told 503 retry when the breaker would let a command through again.
impl sealed::Sealed for RedisStore {
    fn unavailable_for(&self) -> Duration {
        self.redis.breaker_cooldown()
    }
}

impl RateStore for RedisStore {
    async fn check(&self, key: &KeyBytes, cost: u32) -> Result<Verdict, StoreError> {
        let now = self.now();
        if let Some(verdict) = self.denied.get(key.as_bytes(), now) {
            return Ok(verdict);
        }
        let verdict = match self.algorithm {
            Algorithm::Gcra => {
                let answer: i64 = self
                    .redis
                    .run_script(&self.script, &[self.key(key)], &self.args(cost))
                    .await?;
                self.gcra_verdict(answer, cost)
            }
            Algorithm::FixedWindow | Algorithm::SlidingWindow => {
                let answer: Vec<i64> = self
                    .redis
                    .run_script(&self.script, &[self.key(key)], &self.args(cost))
                    .await?;
                let [allowed, remaining, reset, retry, window] = answer.as_slice() else {
                    return Err(StoreError::new(
                        "rate-limit store",
                        "the script answered something unexpected",
                    ));
                };
                Verdict {
                    allowed: *allowed == 1,
                    remaining: u32::try_from(*remaining).unwrap_or(0),
                    reset_after_nanos: to_u64(*reset).saturating_mul(1000),
                    retry_after_nanos: to_u64(*retry).saturating_mul(1000),
                    reservation: Reservation {
                        cost,
                        window: to_u64(*window),
                    },
                }
            }
        };
        if !verdict.allowed {
            self.denied.insert(key.as_bytes(), now, &verdict);
        }
        Ok(verdict)
    }

    async fn refund(&self, key: &KeyBytes, reservation: Reservation) -> Result<(), StoreError> {
        if reservation.cost == 0 {
            return Ok(());
        }
        let args: [u64; 2] = match self.algorithm {
            Algorithm::Gcra => [
                micros(self.quota.interval_nanos()).max(1),
                u64::from(reservation.cost),
            ],
            Algorithm::FixedWindow | Algorithm::SlidingWindow => {
                [u64::from(reservation.cost), reservation.window]
            }
        };
        let _: i64 = self
            .redis
            .run_script(&self.refund, &[self.key(key)], &args)
            .await?;
        Ok(())
    }
}
