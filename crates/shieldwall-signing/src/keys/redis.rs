//! Verification keys on Redis: every instance sees a key added or removed at once.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use shieldwall_core::{Secret, StoreError};
use shieldwall_redis::Redis;
use shieldwall_redis::redis;

use super::KeyResolver;
use crate::{Algorithm, VerificationKey};

/// Verification keys on Redis: a hash per key, `prefix:signing-key:<id>`,
/// with fields `alg`, `owner` and `key` (the HMAC secret or the Ed25519
/// public key, in base64). A lookup is one `HGETALL`.
///
/// HMAC secrets are stored as they are, readable by whoever can read the
/// Redis database: protect it as you protect the secrets (ACLs, TLS, no
/// shared instance), or use Ed25519 keys, whose stored half is public.
#[derive(Clone, Debug)]
pub struct RedisKeyResolver {
    redis: Redis,
}

fn corrupt() -> StoreError {
    StoreError::new("signing key store", "a signing key record is corrupt")
}

impl RedisKeyResolver {
    /// A resolver on `redis`.
    #[must_use]
    pub fn new(redis: Redis) -> Self {
        Self { redis }
    }

    fn key(&self, id: &str) -> String {
        self.redis.key(&["signing-key", id])
    }

    /// Stores `key`, replacing a key of the same id.
    pub async fn insert(&self, key: &VerificationKey) -> Result<(), StoreError> {
        let redis_key = self.key(key.id());
        let material = STANDARD.encode(key.material());
        let mut pipe = redis::pipe();
        pipe.atomic()
            .del(&redis_key)
            .ignore()
            .hset_multiple(
                &redis_key,
                &[
                    ("alg", key.algorithm().as_str()),
                    ("owner", key.owner()),
                    ("key", material.as_str()),
                ],
            )
            .ignore();
        let mut connection = self.redis.connection();
        Ok(self
            .redis
            .with_timeout(pipe.query_async::<()>(&mut connection))
            .await?)
    }

    /// Removes the key `id`; whether it existed.
    pub async fn remove(&self, id: &str) -> Result<bool, StoreError> {
        let mut del = redis::cmd("DEL");
        del.arg(self.key(id));
        Ok(self.redis.run::<i64>(&del).await? > 0)
    }
}

impl KeyResolver for RedisKeyResolver {
    async fn resolve(&self, key_id: &str) -> Result<Option<Arc<VerificationKey>>, StoreError> {
        let mut hgetall = redis::cmd("HGETALL");
        hgetall.arg(self.key(key_id));
        let fields: HashMap<String, String> = self.redis.run(&hgetall).await?;
        if fields.is_empty() {
            return Ok(None);
        }
        let field = |name: &str| fields.get(name).ok_or_else(corrupt);
        let algorithm = Algorithm::from_name(field("alg")?).ok_or_else(corrupt)?;
        let owner = field("owner")?.clone();
        let material = STANDARD.decode(field("key")?).map_err(|_| corrupt())?;
        let key = match algorithm {
            Algorithm::HmacSha256 => {
                VerificationKey::hmac_sha256(key_id, owner, Secret::new(material))
            }
            Algorithm::Ed25519 => VerificationKey::ed25519(key_id, owner, &material),
        }
        .map_err(|_| corrupt())?;
        Ok(Some(Arc::new(key)))
    }
}
