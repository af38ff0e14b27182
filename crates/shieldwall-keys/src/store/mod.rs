//! `KeyStore`: where key records live.

mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

use shieldwall_core::StoreError;

use crate::KeyRecord;

pub use memory::MemoryKeyStore;
#[cfg(feature = "redis")]
pub use redis::{RedisKeyStore, RedisKeyStoreConfig};

/// The operations API keys need, each one store round trip on the
/// verification path (`find`). Implementations: [`MemoryKeyStore`] and,
/// with the `redis` feature, `RedisKeyStore`; one conformance suite runs
/// against both.
pub trait KeyStore: Send + Sync + 'static {
    /// Stores a new record. An id already taken is an error.
    fn insert(&self, record: KeyRecord) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The record of `id`.
    fn find(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<Arc<KeyRecord>>, StoreError>> + Send;

    /// The record of `id` when the store can tell without waiting (in
    /// memory, or in a cache it trusts); `None` when only
    /// [`KeyStore::find`] can. Must agree with `find`: the key guard
    /// answers from it at once. The default never answers.
    fn find_in_process(&self, id: &str) -> Option<Result<Option<Arc<KeyRecord>>, StoreError>> {
        let _ = id;
        None
    }

    /// Every record of `owner`, newest first.
    fn list_for_owner(
        &self,
        owner: &str,
    ) -> impl Future<Output = Result<Vec<Arc<KeyRecord>>, StoreError>> + Send;

    /// Marks `id` revoked at `at` (kept if already revoked); whether it exists.
    fn revoke(
        &self,
        id: &str,
        at: SystemTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Makes `id` expire at `at` at the latest; whether it exists.
    fn expire_by(
        &self,
        id: &str,
        at: SystemTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Records last uses, in one batch (called off the request path).
    fn touch_last_used(
        &self,
        uses: &[(String, SystemTime)],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// A key store chosen at run time (memory or Redis).
#[non_exhaustive]
#[derive(Debug)]
pub enum AnyKeyStore {
    /// In this process.
    Memory(MemoryKeyStore),
    /// On Redis.
    #[cfg(feature = "redis")]
    Redis(RedisKeyStore),
}

macro_rules! each {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            Self::Memory($store) => $call,
            #[cfg(feature = "redis")]
            Self::Redis($store) => $call,
        }
    };
}

impl KeyStore for AnyKeyStore {
    async fn insert(&self, record: KeyRecord) -> Result<(), StoreError> {
        each!(self, store => store.insert(record).await)
    }

    async fn find(&self, id: &str) -> Result<Option<Arc<KeyRecord>>, StoreError> {
        match self {
            Self::Memory(store) => store.find(id).await,
            // Boxed: the Redis call's state would make every memory
            // lookup's future as large.
            #[cfg(feature = "redis")]
            Self::Redis(store) => Box::pin(store.find(id)).await,
        }
    }

    fn find_in_process(&self, id: &str) -> Option<Result<Option<Arc<KeyRecord>>, StoreError>> {
        each!(self, store => store.find_in_process(id))
    }

    async fn list_for_owner(&self, owner: &str) -> Result<Vec<Arc<KeyRecord>>, StoreError> {
        each!(self, store => store.list_for_owner(owner).await)
    }

    async fn revoke(&self, id: &str, at: SystemTime) -> Result<bool, StoreError> {
        each!(self, store => store.revoke(id, at).await)
    }

    async fn expire_by(&self, id: &str, at: SystemTime) -> Result<bool, StoreError> {
        each!(self, store => store.expire_by(id, at).await)
    }

    async fn touch_last_used(&self, uses: &[(String, SystemTime)]) -> Result<(), StoreError> {
        each!(self, store => store.touch_last_used(uses).await)
    }
}
