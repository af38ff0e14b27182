//! Request signatures on `POST /api/v1/transfers` (DEMO_API.md): HMAC keys
//! from `SHIELDWALL_SIGNING_KEYS`, nonces in Redis when `REDIS_URL` is set
//! (a replay fails on every instance), else in this process.

use shieldwall_redis::Redis;
use shieldwall_signing::{
    AnyNonceStore, MemoryKeyResolver, MemoryNonceStore, RedisNonceStore, SignatureGuard,
    SignaturePolicy, VerificationKey, Verifier,
};

use crate::{DemoConfig, Users};

/// The signature guard of the transfers route.
pub type TransferSignatures = SignatureGuard<MemoryKeyResolver, AnyNonceStore>;

/// The guard: the components, `created` window, `keyid` and `nonce` of
/// DEMO_API.md (the policy's defaults), each key owned by the demo user of
/// its email, and the key's owner must be the owner of the API key that
/// authenticated the request.
pub(crate) fn transfer_signatures(
    config: &DemoConfig,
    users: &Users,
    redis: Option<&Redis>,
) -> Result<TransferSignatures, String> {
    let mut keys = Vec::with_capacity(config.signing_keys.len());
    for key in &config.signing_keys {
        let owner = users
            .authenticate_email(&key.owner)
            .ok_or_else(|| format!("SHIELDWALL_SIGNING_KEYS: {} is not a demo user", key.owner))?;
        keys.push(
            VerificationKey::hmac_sha256(&key.key_id, &owner.id, key.secret.clone())
                .map_err(|e| format!("SHIELDWALL_SIGNING_KEYS: key {}: {e}", key.key_id))?,
        );
    }
    let nonces = match redis {
        Some(redis) => AnyNonceStore::Redis(RedisNonceStore::new(redis.clone())),
        None => AnyNonceStore::Memory(MemoryNonceStore::new()),
    };
    let policy = SignaturePolicy::builder()
        .build()
        .map_err(|e| format!("request signing policy: {e}"))?;
    let verifier = Verifier::new(policy, MemoryKeyResolver::with_keys(keys), nonces);
    Ok(SignatureGuard::new(verifier).require_owner_of_principal())
}
