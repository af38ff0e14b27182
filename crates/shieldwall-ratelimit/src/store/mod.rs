//! Where counts live: one store per limiter, made by the limiter for its
//! own policy.

mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::future::Future;
use std::time::Duration;

use shieldwall_core::StoreError;

use crate::{KeyBytes, Reservation, Verdict};

pub use memory::MemoryStore;
#[cfg(feature = "redis")]
pub use redis::RedisStore;

/// What only this crate's stores have: no store can be made outside a
/// limiter, so none can count another policy than its limiter reports.
pub(crate) mod sealed {
    use std::time::Duration;

    use shieldwall_core::StoreError;

    use crate::{KeyBytes, Verdict};

    pub trait Sealed {
        /// How long a client told 503 should wait before it tries again.
        fn unavailable_for(&self) -> Duration;

        /// Decides in this process, without waiting, when the store can
        /// (memory): `None` when the answer needs a round trip (Redis).
        /// The guard then answers from `extract`, with no future to box.
        fn check_in_process(
            &self,
            key: &KeyBytes,
            cost: u32,
        ) -> Option<Result<Verdict, StoreError>> {
            let _ = (key, cost);
            None
        }
    }
}

/// How long an unavailable memory store asks clients to wait (it fails only
/// when a thread panicked holding a lock).
const MEMORY_UNAVAILABLE_FOR: Duration = Duration::from_secs(2);

/// A store of counts for one policy: one `check` per decision (one Redis
/// round trip), and `refund` for the skip rules.
///
/// Sealed: the stores are [`MemoryStore`], [`RedisStore`] and
/// [`AnyRateStore`], each made by a [`RateLimiter`](crate::RateLimiter)
/// constructor from the limiter's own policy.
pub trait RateStore: sealed::Sealed + Send + Sync + 'static {
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

/// A rate store chosen at run time (memory or Redis), made by
/// [`RateLimiterBuilder::redis_or_memory`](crate::RateLimiterBuilder::redis_or_memory).
#[non_exhaustive]
#[derive(Debug)]
pub enum AnyRateStore {
    /// In this process.
    Memory(MemoryStore),
    /// On Redis.
    #[cfg(feature = "redis")]
    Redis(RedisStore),
}

impl sealed::Sealed for MemoryStore {
    fn unavailable_for(&self) -> Duration {
        MEMORY_UNAVAILABLE_FOR
    }

    fn check_in_process(&self, key: &KeyBytes, cost: u32) -> Option<Result<Verdict, StoreError>> {
        Some(self.check_now(key.as_bytes(), cost))
    }
}

impl sealed::Sealed for AnyRateStore {
    fn unavailable_for(&self) -> Duration {
        match self {
            Self::Memory(store) => store.unavailable_for(),
            #[cfg(feature = "redis")]
            Self::Redis(store) => store.unavailable_for(),
        }
    }

    fn check_in_process(&self, key: &KeyBytes, cost: u32) -> Option<Result<Verdict, StoreError>> {
        match self {
            Self::Memory(store) => store.check_in_process(key, cost),
            #[cfg(feature = "redis")]
            Self::Redis(_) => None,
        }
    }
}

impl RateStore for AnyRateStore {
    async fn check(&self, key: &KeyBytes, cost: u32) -> Result<Verdict, StoreError> {
        match self {
            Self::Memory(store) => store.check(key, cost).await,
            #[cfg(feature = "redis")]
            // Boxed: the Redis call's state is kilobytes, and an unboxed
            // arm would make every memory check's future as large.
            Self::Redis(store) => Box::pin(store.check(key, cost)).await,
        }
    }

    async fn refund(&self, key: &KeyBytes, reservation: Reservation) -> Result<(), StoreError> {
        match self {
            Self::Memory(store) => store.refund(key, reservation).await,
            #[cfg(feature = "redis")]
            Self::Redis(store) => Box::pin(store.refund(key, reservation)).await,
        }
    }
}
