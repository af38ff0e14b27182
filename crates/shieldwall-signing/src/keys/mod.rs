//! `KeyResolver`: where verification keys are found by `keyid`.

mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::future::Future;
use std::sync::Arc;

use shieldwall_core::StoreError;

use crate::VerificationKey;

pub use memory::MemoryKeyResolver;
#[cfg(feature = "redis")]
pub use redis::RedisKeyResolver;

/// Finds the key a signature names. One lookup per verification, after the
/// signature's shape, time window and digest have been checked.
///
/// Implementations: [`MemoryKeyResolver`] and, with the `redis` feature,
/// `RedisKeyResolver`.
pub trait KeyResolver: Send + Sync + 'static {
    /// The key with id `key_id`, if there is one.
    fn resolve(
        &self,
        key_id: &str,
    ) -> impl Future<Output = Result<Option<Arc<VerificationKey>>, StoreError>> + Send;
}

/// One resolver shared by several verifiers.
impl<K: KeyResolver> KeyResolver for Arc<K> {
    fn resolve(
        &self,
        key_id: &str,
    ) -> impl Future<Output = Result<Option<Arc<VerificationKey>>, StoreError>> + Send {
        (**self).resolve(key_id)
    }
}

/// A key resolver chosen at run time (memory or Redis).
#[non_exhaustive]
#[derive(Debug)]
pub enum AnyKeyResolver {
    /// In this process.
    Memory(MemoryKeyResolver),
    /// On Redis.
    #[cfg(feature = "redis")]
    Redis(RedisKeyResolver),
}

impl KeyResolver for AnyKeyResolver {
    async fn resolve(&self, key_id: &str) -> Result<Option<Arc<VerificationKey>>, StoreError> {
        match self {
            Self::Memory(keys) => keys.resolve(key_id).await,
            #[cfg(feature = "redis")]
            Self::Redis(keys) => keys.resolve(key_id).await,
        }
    }
}
