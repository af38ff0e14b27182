//! The replay store, behind a trait object: a [`NonceStore`] of request
//! signing (memory or Redis), so that one store serves both and a replayed
//! `jti` fails on every instance that shares it.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use shieldwall_core::StoreError;

use super::NonceStore;

/// The future of one store write.
pub(super) type Remembered<'a> =
    Pin<Box<dyn Future<Output = Result<bool, StoreError>> + Send + 'a>>;

/// [`NonceStore`] made object-safe, so that [`DpopPolicy`](super::DpopPolicy)
/// and the guard that holds it keep their types whatever the store. One
/// boxed future per proof: next to an asymmetric signature check, nothing.
pub(super) trait ReplayStore: Send + Sync + 'static {
    /// [`NonceStore::remember_nonce`].
    fn remember<'a>(&'a self, key_id: &'a str, jti: &'a str, ttl: Duration) -> Remembered<'a>;
}

impl<N: NonceStore> ReplayStore for N {
    fn remember<'a>(&'a self, key_id: &'a str, jti: &'a str, ttl: Duration) -> Remembered<'a> {
        Box::pin(self.remember_nonce(key_id, jti, ttl))
    }
}
