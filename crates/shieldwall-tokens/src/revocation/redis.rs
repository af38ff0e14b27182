//! Revocations on Redis: every instance sees them at once.

use std::sync::{Arc, LazyLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shieldwall_core::StoreError;
use shieldwall_redis::{Redis, Script};

use super::RevocationStore;
use super::replica::{self, Replica};
use crate::date::LAST_UNIX_SECOND;

/// Revoked `jti`s on Redis: `prefix:revoked:<jti>` set to expire at `until`
/// (`EXAT`, one script that never shortens an expiry already there), so that
/// Redis drops each entry once the verifier would refuse its token anyway.
/// Needs Redis 7.0 or later (`EXPIRETIME`).
///
/// With a replica (the default, when made inside a Tokio runtime), a check
/// costs no round trip: every revocation is also published on
/// `prefix:revocations`, which every instance follows into a local copy of
/// the whole set. A revocation the copy holds refuses its token at any
/// time; "not revoked" is answered only while the copy is complete: once
/// subscribed, the whole set is read (`SCAN`) and what arrived meanwhile
/// applied, then every message; when the subscription ends, or hears
/// nothing (each instance publishes a heartbeat every second) for 3 s, or
/// its follower stops, or the copy is full (1 000 000 revocations), checks
/// ask Redis again with one `EXISTS` (failing closed when it cannot answer)
/// until the copy is whole again. The whole set is read again every 30 s
/// and merged in, for revocations written without a message, and what the
/// copy holds that Redis lacks (Redis restarted without its data) is
/// written back. Another
/// instance's revocation is seen once its message arrives (see the crate
/// README for the window); this instance's own at once.
#[derive(Clone)]
pub struct RedisRevocations {
    redis: Redis,
    channel: Arc<str>,
    replica: Option<Arc<Replica>>,
}

impl std::fmt::Debug for RedisRevocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRevocations")
            .field("redis", &self.redis)
            .field("replica", &self.replica)
            .finish()
    }
}

impl RedisRevocations {
    /// A store on `redis`, with a replica when a Tokio runtime is running
    /// (its follower task runs there until the store is dropped).
    #[must_use]
    pub fn new(redis: Redis) -> Self {
        Self::build(
            redis,
            Some((replica::DEFAULT_CAPACITY, replica::DEFAULT_REREAD)),
        )
    }

    /// A store on `redis` whose replica holds at most `capacity`
    /// revocations (past it, checks ask Redis until expired ones make room;
    /// default 1 000 000) and reads the whole set again every `reread`
    /// (default 30 s, at least 1 s): the longest a revocation written
    /// without a message goes unseen.
    #[must_use]
    pub fn with_replica(redis: Redis, capacity: usize, reread: Duration) -> Self {
        Self::build(redis, Some((capacity, reread)))
    }

    /// A store on `redis` without a replica: one `EXISTS` per check.
    #[must_use]
    pub fn without_replica(redis: Redis) -> Self {
        Self::build(redis, None)
    }

    fn build(redis: Redis, settings: Option<(usize, Duration)>) -> Self {
        let channel: Arc<str> = Arc::from(redis.key(&["revocations"]));
        let runtime = tokio::runtime::Handle::try_current().ok();
        let replica = settings.zip(runtime).map(|((capacity, reread), runtime)| {
            let replica = Arc::new(Replica::new(capacity, reread));
            // Every revocation's key starts so (`key` escapes the `jti`,
            // never this part).
            let key_prefix: Arc<str> = Arc::from(redis.key(&["revoked", ""]));
            runtime.spawn(replica::follow(
                redis.clone(),
                Arc::clone(&channel),
                key_prefix,
                Arc::downgrade(&replica),
            ));
            replica
        });
        Self {
            redis,
            channel,
            replica,
        }
    }

    /// Whether checks are answered from the replica now.
    #[must_use]
    pub fn replica_active(&self) -> bool {
        self.replica.as_ref().is_some_and(|r| r.is_trusted())
    }

    fn key(&self, jti: &str) -> String {
        self.redis.key(&["revoked", jti])
    }

    /// The replica's answer, while it is trusted.
    fn replica_answer(&self, key: &str) -> Option<bool> {
        self.replica
            .as_ref()
            .and_then(|r| r.lookup(key, replica::unix_now()))
    }
}

/// Sets the revocation to expire at `ARGV[1]` unless it already lasts
/// longer (or has no expiry), and publishes `ARGV[3]` (`<until> <key>`) on
/// `ARGV[2]` for the replicas either way, so that a replica that missed an
/// earlier message learns it now. The publish is protected: a Redis user
/// without the channel permission still revokes (its replicas are off, as
/// it cannot subscribe either).
static REVOKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local current = redis.call('EXPIRETIME', KEYS[1])
local written = 0
if current ~= -1 and current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'EXAT', ARGV[1])
  written = 1
end
redis.pcall('PUBLISH', ARGV[2], ARGV[3])
return written
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
        let key = self.key(jti);
        let message = replica::message(&key, until);
        self.redis
            .run_script::<i64, _, _>(
                &REVOKE,
                &[&key],
                &[until.to_string(), self.channel.to_string(), message],
            )
            .await?;
        if let Some(replica) = &self.replica {
            replica.insert(&key, until);
        }
        Ok(())
    }

    async fn is_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        let key = self.key(jti);
        if let Some(answer) = self.replica_answer(&key) {
            return Ok(answer);
        }
        let mut exists = shieldwall_redis::redis::cmd("EXISTS");
        exists.arg(key);
        Ok(self.redis.run::<bool>(&exists).await?)
    }

    fn is_revoked_in_process(&self, jti: &str) -> Option<Result<bool, StoreError>> {
        self.replica_answer(&self.key(jti)).map(Ok)
    }
}
