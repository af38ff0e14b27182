//! The three rate limits of DEMO_API.md, built from the configuration.

use std::num::NonZeroUsize;

use shieldwall_core::{IpGrouping, Scoped};
use shieldwall_ratelimit::{AnyRateStore, Policy, Quota, RateLimiter};
use shieldwall_redis::Redis;

use crate::config::DemoConfig;

/// Keys a memory store holds before it forgets idle ones (the fallback of a
/// limiter on Redis keeps the default, 100 000).
const MEMORY_KEYS: NonZeroUsize = match NonZeroUsize::new(1_000_000) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

/// A limiter on the store the configuration chose.
pub type Limiter = RateLimiter<AnyRateStore>;

/// `public` (per client address, every request under `/api`: routes, unknown
/// paths and wrong methods alike, so it goes on the whole application),
/// `auth` (per client address, `/api/v1/auth/*`) and `user` (per
/// authenticated user, `/api/v1/protected/*`, after the bearer guard).
#[derive(Clone, Debug)]
pub struct Limits {
    /// `SHIELDWALL_LIMIT_PUBLIC`, on every path under `/api`.
    pub public: Scoped<Limiter>,
    /// `SHIELDWALL_LIMIT_AUTH`.
    pub auth: Limiter,
    /// `SHIELDWALL_LIMIT_USER`.
    pub user: Limiter,
}

impl Limits {
    /// The limits of `config`, on Redis when there is one.
    pub fn build(config: &DemoConfig, redis: Option<&Redis>) -> Result<Self, String> {
        let limiter = |name: &str, quota: Quota, by_user: bool| -> Result<Limiter, String> {
            let builder = Policy::builder(name, quota).on_store_error(config.on_store_error);
            let builder = if by_user {
                builder.by_principal()
            } else {
                builder.by_client_ip(IpGrouping::default())
            };
            let policy = builder
                .build()
                .map_err(|e| format!("rate limit {name}: {e}"))?;
            let limiter = RateLimiter::builder(policy);
            let limiter = match redis {
                Some(_) => limiter,
                None => limiter.memory_keys(MEMORY_KEYS),
            };
            Ok(limiter.redis_or_memory(redis.cloned()))
        };
        Ok(Self {
            public: Scoped::under("/api", limiter("public", config.limit_public, false)?)
                .map_err(|e| format!("rate limit public: {e}"))?,
            auth: limiter("auth", config.limit_auth, false)?,
            user: limiter("user", config.limit_user, true)?,
        })
    }
}
