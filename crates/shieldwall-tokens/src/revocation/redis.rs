//! Revocations on Redis: every instance sees them at once.

use std::time::{SystemTime, UNIX_EPOCH};

use shieldwall_core::StoreError;
use shieldwall_redis::Redis;

use super::RevocationStore;

/// Revoked `jti`s on Redis: `SET prefix:revoked:<jti> 1 EXAT <exp>`, so that
/// Redis drops each entry when its token expires; a check is one `EXISTS`.
#[derive(Clone, Debug)]
pub struct RedisRevocations {
    redis: Redis,
}

impl RedisRevocations {
    /// A store on `redis`.
    #[must_use]
    pub fn new(redis: Redis) -> Self {
        Self { redis }
    }

    fn key(&self, jti: &str) -> String {
        self.redis.key(&["revoked", jti])
    }
}

fn failed(err: shieldwall_redis::StoreError) -> StoreError {
    StoreError::new("revocation store", err)
}

impl RevocationStore for RedisRevocations {
    async fn revoke(&self, jti: &str, until: SystemTime) -> Result<(), StoreError> {
        let until = until.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if until <= now {
            return Ok(());
        }
        let mut set = shieldwall_redis::redis::cmd("SET");
        set.arg(self.key(jti)).arg(1).arg("EXAT").arg(until);
        self.redis.run::<()>(&set).await.map_err(failed)
    }

    async fn is_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        let mut exists = shieldwall_redis::redis::cmd("EXISTS");
        exists.arg(self.key(jti));
        self.redis.run::<bool>(&exists).await.map_err(failed)
    }
}
