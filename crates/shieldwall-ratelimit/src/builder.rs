//! `RateLimiterBuilder`: one policy, the store made for it.

use std::num::NonZeroUsize;
use std::sync::Arc;

use shieldwall_core::Clock;
#[cfg(feature = "redis")]
use shieldwall_redis::Redis;

#[cfg(feature = "redis")]
use crate::{AnyRateStore, RedisStore};
use crate::{MemoryStore, Policy, RateLimiter};

const DEFAULT_MEMORY_KEYS: NonZeroUsize = match NonZeroUsize::new(100_000) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

/// Builds a [`RateLimiter`] from its policy: the setters tune the limiter,
/// the last call picks the store, which is made from the same policy.
///
/// ```
/// use std::num::NonZeroUsize;
/// use shieldwall_core::ManualClock;
/// use shieldwall_ratelimit::{FailureMode, Policy, RateLimiter};
///
/// let policy = Policy::builder("api", "100/1m".parse()?)
///     .on_store_error(FailureMode::Memory)
///     .build()?;
/// let limiter = RateLimiter::builder(policy)
///     .memory_keys(NonZeroUsize::new(50_000).unwrap())
///     .clock(ManualClock::at_unix_seconds(1_700_000_000))
///     .memory(); // or `.redis(redis)` with the `redis` feature
/// assert_eq!(limiter.policy().name(), "api");
/// # Ok::<(), shieldwall_ratelimit::RateLimitConfigError>(())
/// ```
#[must_use]
pub struct RateLimiterBuilder {
    policy: Policy,
    memory_keys: NonZeroUsize,
    clock: Option<Arc<dyn Clock>>,
}

impl std::fmt::Debug for RateLimiterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiterBuilder")
            .field("policy", &self.policy)
            .field("memory_keys", &self.memory_keys)
            .field("clock", &self.clock.as_ref().map(|_| "given"))
            .finish()
    }
}

impl RateLimiter<MemoryStore> {
    /// A limiter for `policy`, tuned by the builder's setters.
    pub fn builder(policy: Policy) -> RateLimiterBuilder {
        RateLimiterBuilder {
            policy,
            memory_keys: DEFAULT_MEMORY_KEYS,
            clock: None,
        }
    }

    /// A limiter for `policy`, counting in this process's memory (up to
    /// 100 000 keys before it forgets idle ones; see
    /// [`RateLimiterBuilder::memory_keys`]).
    #[must_use]
    pub fn memory(policy: Policy) -> Self {
        Self::builder(policy).memory()
    }
}

#[cfg(feature = "redis")]
impl RateLimiter<RedisStore> {
    /// A limiter for `policy`, counting on `redis` (shared by every instance
    /// on the same Redis and key prefix).
    #[must_use]
    pub fn redis(policy: Policy, redis: Redis) -> Self {
        RateLimiter::builder(policy).redis(redis)
    }
}

impl RateLimiterBuilder {
    /// How many keys a memory table of this limiter holds before it forgets
    /// idle ones (default 100 000): the [`MemoryStore`] of
    /// [`RateLimiterBuilder::memory`], or the fallback that counts while the
    /// store is down under [`FailureMode::Memory`](crate::FailureMode::Memory).
    pub fn memory_keys(mut self, keys: NonZeroUsize) -> Self {
        self.memory_keys = keys;
        self
    }

    /// The clock of the memory store, of the fallback and of the Redis
    /// store's memory of clients over their limit (default: the system's;
    /// a `ManualClock` in tests). The Redis circuit breaker has the clock of
    /// its handle (`Redis::connect_with_clock`).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Counts in this process's memory.
    #[must_use]
    pub fn memory(self) -> RateLimiter<MemoryStore> {
        let store = MemoryStore::new(&self.policy, self.memory_keys, self.clock.clone());
        RateLimiter::assemble(self.policy, store, self.memory_keys, self.clock)
    }

    /// Counts on `redis`: one `EVALSHA` per decision, behind the handle's
    /// circuit breaker.
    #[cfg(feature = "redis")]
    #[must_use]
    pub fn redis(self, redis: Redis) -> RateLimiter<RedisStore> {
        let store = RedisStore::new(redis, &self.policy, self.clock.clone());
        RateLimiter::assemble(self.policy, store, self.memory_keys, self.clock)
    }

    /// Counts on `redis` when there is one, in memory otherwise: the store
    /// chosen at run time (from the environment, say).
    #[cfg(feature = "redis")]
    #[must_use]
    pub fn redis_or_memory(self, redis: Option<Redis>) -> RateLimiter<AnyRateStore> {
        let store = match redis {
            Some(redis) => {
                AnyRateStore::Redis(RedisStore::new(redis, &self.policy, self.clock.clone()))
            }
            None => AnyRateStore::Memory(MemoryStore::new(
                &self.policy,
                self.memory_keys,
                self.clock.clone(),
            )),
        };
        RateLimiter::assemble(self.policy, store, self.memory_keys, self.clock)
    }
}
