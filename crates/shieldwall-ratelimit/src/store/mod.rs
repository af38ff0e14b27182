//! Where counts live: one store per policy.

mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::future::Future;

use shieldwall_core::StoreError;

use crate::{KeyBytes, Reservation, Verdict};

pub use memory::MemoryStore;
#[cfg(feature = "redis")]
pub use redis::RedisStore;

/// A store of counts for one policy: one `check` per decision (one Redis
/// round trip), and `refund` for the skip rules.
pub trait RateStore: Send + Sync + 'static {
    /// Decides a request of `cost` for `key`, counting it when allowed.
    fn check(
        &self,
        key: &KeyBytes,
        cost: u32,
    ) -> impl Future<Output = Result<Verdict, StoreError>> + Send;

    /// Gives back what `reservation` counted.
    fn refund(
        &self,
        key: &KeyBytes,
        reservation: Reservation,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// A rate store chosen at run time (memory or Redis).
#[non_exhaustive]
#[derive(Debug)]
pub enum AnyRateStore {
    /// In this process.
    Memory(MemoryStore),
    /// On Redis.
    #[cfg(feature = "redis")]
    Redis(RedisStore),
}

impl RateStore for AnyRateStore {
    async fn check(&self, key: &KeyBytes, cost: u32) -> Result<Verdict, StoreError> {
        match self {
            Self::Memory(store) => store.check(key, cost).await,
            #[cfg(feature = "redis")]
            Self::Redis(store) => store.check(key, cost).await,
        }
    }

    async fn refund(&self, key: &KeyBytes, reservation: Reservation) -> Result<(), StoreError> {
        match self {
            Self::Memory(store) => store.refund(key, reservation).await,
            #[cfg(feature = "redis")]
            Self::Redis(store) => store.refund(key, reservation).await,
        }
    }
}
