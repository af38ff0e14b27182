//! Revocation: a store of revoked `jti`s, each until the verifier would
//! refuse the token anyway.

mod memory;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
mod replica;

use std::future::Future;
use std::time::SystemTime;

use shieldwall_core::StoreError;

pub use memory::MemoryRevocations;
#[cfg(feature = "redis")]
pub use redis::RedisRevocations;

/// Where revoked token ids live. A revocation lasts until `until`, which the
/// caller chooses; the store knows nothing of leeways. Revoke through
/// [`crate::Verifier::revoke`], which passes
/// [`crate::Verifier::revocation_horizon`]: past `exp` by the verifier's
/// leeway and a margin. Passing `exp` itself would let the token back in for
/// the whole leeway.
///
/// Implementations: [`MemoryRevocations`] (one process) and, with the
/// `redis` feature, `RedisRevocations` (every instance sees a revocation at
/// once). One conformance suite runs against both.
pub trait RevocationStore: Send + Sync + 'static {
    /// Revokes `jti` until `until` (refused while the store's clock is before
    /// it). Revoking twice keeps the later `until`; a `until` in the past is
    /// nothing to store.
    fn revoke(
        &self,
        jti: &str,
        until: SystemTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Whether `jti` is revoked now.
    fn is_revoked(&self, jti: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Whether `jti` is revoked now, when the store can tell without
    /// waiting (in memory, or from a replica it trusts); `None` when only
    /// [`RevocationStore::is_revoked`] can. Must agree with `is_revoked`:
    /// the bearer guard answers a cached token from it at once. The default
    /// never answers.
    fn is_revoked_in_process(&self, jti: &str) -> Option<Result<bool, StoreError>> {
        let _ = jti;
        None
    }
}

/// One store shared by several verifiers (an app's own tokens and an
/// identity provider's, say).
impl<S: RevocationStore> RevocationStore for std::sync::Arc<S> {
    fn revoke(
        &self,
        jti: &str,
        until: SystemTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).revoke(jti, until)
    }

    fn is_revoked(&self, jti: &str) -> impl Future<Output = Result<bool, StoreError>> + Send {
        (**self).is_revoked(jti)
    }

    fn is_revoked_in_process(&self, jti: &str) -> Option<Result<bool, StoreError>> {
        (**self).is_revoked_in_process(jti)
    }
}

/// A revocation store chosen at run time (memory or Redis).
#[non_exhaustive]
#[derive(Debug)]
pub enum Revocations {
    /// In this process.
    Memory(MemoryRevocations),
    /// On Redis.
    #[cfg(feature = "redis")]
    Redis(RedisRevocations),
}

impl RevocationStore for Revocations {
    async fn revoke(&self, jti: &str, until: SystemTime) -> Result<(), StoreError> {
        match self {
            Self::Memory(store) => store.revoke(jti, until).await,
            #[cfg(feature = "redis")]
            Self::Redis(store) => Box::pin(store.revoke(jti, until)).await,
        }
    }

    async fn is_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        match self {
            Self::Memory(store) => store.is_revoked(jti).await,
            #[cfg(feature = "redis")]
            // Boxed: the Redis call's state would make every memory
            // check's future as large.
            Self::Redis(store) => Box::pin(store.is_revoked(jti)).await,
        }
    }

    fn is_revoked_in_process(&self, jti: &str) -> Option<Result<bool, StoreError>> {
        match self {
            Self::Memory(store) => store.is_revoked_in_process(jti),
            #[cfg(feature = "redis")]
            Self::Redis(store) => store.is_revoked_in_process(jti),
        }
    }
}
