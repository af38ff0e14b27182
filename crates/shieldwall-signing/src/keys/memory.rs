//! Verification keys in this process.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use shieldwall_core::StoreError;

use super::KeyResolver;
use crate::VerificationKey;

/// Verification keys in memory, by id: the embedded default, loaded at
/// start-up (from configuration, say).
///
/// ```
/// use shieldwall_core::Secret;
/// use shieldwall_signing::{MemoryKeyResolver, VerificationKey};
///
/// let keys = MemoryKeyResolver::new();
/// keys.insert(VerificationKey::hmac_sha256("key-1", "user-7", Secret::from(vec![7; 32]))?);
/// assert_eq!(keys.len(), 1);
/// # Ok::<(), shieldwall_signing::SigningConfigError>(())
/// ```
#[derive(Debug, Default)]
pub struct MemoryKeyResolver {
    keys: RwLock<HashMap<String, Arc<VerificationKey>>>,
}

fn poisoned() -> StoreError {
    StoreError::new(
        "signing key store",
        "a thread panicked while holding the lock",
    )
}

impl MemoryKeyResolver {
    /// No keys.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// These keys.
    #[must_use]
    pub fn with_keys(keys: impl IntoIterator<Item = VerificationKey>) -> Self {
        let resolver = Self::new();
        for key in keys {
            resolver.insert(key);
        }
        resolver
    }

    /// Adds `key`, replacing a key of the same id (returned).
    pub fn insert(&self, key: VerificationKey) -> Option<Arc<VerificationKey>> {
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        keys.insert(key.id().to_owned(), Arc::new(key))
    }

    /// Removes the key `id`; signatures by it fail from now on.
    pub fn remove(&self, id: &str) -> Option<Arc<VerificationKey>> {
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        keys.remove(id)
    }

    /// How many keys are held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.read().map_or(0, |k| k.len())
    }

    /// Whether none is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl KeyResolver for MemoryKeyResolver {
    async fn resolve(&self, key_id: &str) -> Result<Option<Arc<VerificationKey>>, StoreError> {
        let keys = self.keys.read().map_err(|_| poisoned())?;
        Ok(keys.get(key_id).cloned())
    }
}
