//! `NonceStore`: nonces remembered for as long as their signature could be
//! accepted, so that a replay fails on every instance that shares the store.

mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::future::Future;
use std::time::Duration;

use shieldwall_core::StoreError;

pub use memory::{DEFAULT_NONCE_CAPACITY, MemoryNonceStore};
#[cfg(feature = "redis")]
pub use redis::RedisNonceStore;

/// Remembers `(keyid, nonce)` pairs.
///
/// The verifier calls it once per request, after the signature verified (so
/// that nobody can use up nonces without the key), with a `ttl` that covers
/// every moment the signature could still be accepted. Implementations:
/// [`MemoryNonceStore`] (one process) and, with the `redis` feature,
/// `RedisNonceStore` (every instance).
pub trait NonceStore: Send + Sync + 'static {
    /// Remembers the pair for `ttl`: `true` when it was new, `false` when it
    /// is already remembered (a replay). Atomic: of two concurrent calls
    /// with the same pair, exactly one gets `true`.
    fn remember_nonce(
        &self,
        key_id: &str,
        nonce: &str,
        ttl: Duration,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// One store shared by several verifiers.
impl<N: NonceStore> NonceStore for std::sync::Arc<N> {
    fn remember_nonce(
        &self,
        key_id: &str,
        nonce: &str,
        ttl: Duration,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        (**self).remember_nonce(key_id, nonce, ttl)
    }
}

/// A nonce store chosen at run time (memory or Redis).
#[non_exhaustive]
#[derive(Debug)]
pub enum AnyNonceStore {
    /// In this process.
    Memory(MemoryNonceStore),
    /// On Redis.
    #[cfg(feature = "redis")]
    Redis(RedisNonceStore),
}

impl NonceStore for AnyNonceStore {
    async fn remember_nonce(
        &self,
        key_id: &str,
        nonce: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        match self {
            Self::Memory(store) => store.remember_nonce(key_id, nonce, ttl).await,
            #[cfg(feature = "redis")]
            Self::Redis(store) => store.remember_nonce(key_id, nonce, ttl).await,
        }
    }
}
