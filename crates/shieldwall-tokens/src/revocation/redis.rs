//! Revocations on Redis: every instance sees them at once.

use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use shieldwall_core::StoreError;
use shieldwall_redis::{Redis, Script};

use super::RevocationStore;
use crate::date::LAST_UNIX_SECOND;

/// Revoked `jti`s on Redis: `prefix:revoked:<jti>` set to expire at `until`
/// (`EXAT`, one script that never shortens an expiry already there), so that
/// Redis drops each entry once the verifier would refuse its token anyway; a
/// check is one `EXISTS`. Needs Redis 7.0 or later (`EXPIRETIME`).
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

/// Sets the revocation to expire at `ARGV[1]` unless it already lasts longer.
static REVOKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local current = redis.call('EXPIRETIME', KEYS[1])
if current == -1 or current >= tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[1], '1', 'EXAT', ARGV[1])
return 1
",
    )
});

impl RevocationStore for RedisRevocations {
    async fn revoke(&self, jti: &str, until: SystemTime) -> Result<(), StoreError> {
        // Redis refuses expiries past about 2^63 ms; no token needs more than the year 9999.
        let until = until
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .min(LAST_UNIX_SECOND.unsigned_abs());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if until <= now {
            return Ok(());
        }
        self.redis
            .run_script::<i64, _, _>(&REVOKE, &[self.key(jti)], &[until])
            .await?;
        Ok(())
    }

    async fn is_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        let mut exists = shieldwall_redis::redis::cmd("EXISTS");
        exists.arg(self.key(jti));
        Ok(self.redis.run::<bool>(&exists).await?)
    }
}
