//! Key records in this process.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use shieldwall_core::StoreError;

use super::KeyStore;
use crate::KeyRecord;

/// Key records in memory: the embedded default. Other processes do not see
/// them (use the Redis store for that).
#[derive(Debug, Default)]
pub struct MemoryKeyStore {
    state: RwLock<State>,
    last_used_batches: AtomicUsize,
}

#[derive(Debug, Default)]
struct State {
    by_id: HashMap<String, Arc<KeyRecord>>,
    by_owner: HashMap<String, Vec<String>>,
}

fn poisoned() -> StoreError {
    StoreError::new("key store", "a thread panicked while holding the lock")
}

impl MemoryKeyStore {
    fn found(&self, id: &str) -> Result<Option<Arc<KeyRecord>>, StoreError> {
        let state = self.state.read().map_err(|_| poisoned())?;
        Ok(state.by_id.get(id).cloned())
    }

    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many last-use batches were written: one per flush, never one per request.
    #[must_use]
    pub fn last_used_batches(&self) -> usize {
        self.last_used_batches.load(Ordering::Relaxed)
    }

    fn update(&self, id: &str, change: impl FnOnce(&mut KeyRecord)) -> Result<bool, StoreError> {
        let mut state = self.state.write().map_err(|_| poisoned())?;
        match state.by_id.get_mut(id) {
            Some(record) => {
                change(Arc::make_mut(record));
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

impl KeyStore for MemoryKeyStore {
    async fn insert(&self, record: KeyRecord) -> Result<(), StoreError> {
        let mut state = self.state.write().map_err(|_| poisoned())?;
        if state.by_id.contains_key(&record.id) {
            return Err(StoreError::new("key store", "key id already taken"));
        }
        state
            .by_owner
            .entry(record.owner.clone())
            .or_default()
            .push(record.id.clone());
        state.by_id.insert(record.id.clone(), Arc::new(record));
        Ok(())
    }

    async fn find(&self, id: &str) -> Result<Option<Arc<KeyRecord>>, StoreError> {
        self.found(id)
    }

    fn find_in_process(&self, id: &str) -> Option<Result<Option<Arc<KeyRecord>>, StoreError>> {
        Some(self.found(id))
    }

    async fn list_for_owner(&self, owner: &str) -> Result<Vec<Arc<KeyRecord>>, StoreError> {
        let state = self.state.read().map_err(|_| poisoned())?;
        let mut records: Vec<Arc<KeyRecord>> = state
            .by_owner
            .get(owner)
            .into_iter()
            .flatten()
            .filter_map(|id| state.by_id.get(id).cloned())
            .collect();
        records.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(records)
    }

    async fn revoke(&self, id: &str, at: SystemTime) -> Result<bool, StoreError> {
        self.update(id, |record| {
            record.revoked_at.get_or_insert(at);
        })
    }

    async fn expire_by(&self, id: &str, at: SystemTime) -> Result<bool, StoreError> {
        self.update(id, |record| {
            record.expires_at = Some(record.expires_at.map_or(at, |current| current.min(at)));
        })
    }

    async fn touch_last_used(&self, uses: &[(String, SystemTime)]) -> Result<(), StoreError> {
        self.last_used_batches.fetch_add(1, Ordering::Relaxed);
        for (id, at) in uses {
            self.update(id, |record| {
                record.last_used_at =
                    Some(record.last_used_at.map_or(*at, |current| current.max(*at)));
            })?;
        }
        Ok(())
    }
}
