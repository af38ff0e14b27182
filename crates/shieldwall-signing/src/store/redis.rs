//! Nonces on Redis: `SET key 1 NX PX ttl`, one round trip.

use std::time::Duration;

use shieldwall_core::StoreError;
use shieldwall_redis::Redis;
use shieldwall_redis::redis;

use super::NonceStore;

/// Nonces on Redis: `SET prefix:sig-nonce:<keyid>:<nonce> 1 NX PX <ttl>`.
/// Redis drops each entry when its signature could no longer be accepted;
/// every instance on the same Redis and prefix refuses a replay.
#[derive(Clone, Debug)]
pub struct RedisNonceStore {
    redis: Redis,
}

impl RedisNonceStore {
    /// A store on `redis`.
    #[must_use]
    pub fn new(redis: Redis) -> Self {
        Self { redis }
    }
}

impl NonceStore for RedisNonceStore {
    async fn remember_nonce(
        &self,
        key_id: &str,
        nonce: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut set = redis::cmd("SET");
        set.arg(self.redis.key(&["sig-nonce", key_id, nonce]))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(millis);
        let answer: Option<String> = self.redis.run(&set).await?;
        Ok(answer.is_some())
    }
}
