//! Revocations in this process.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use shieldwall_core::{Clock, StoreError, SystemClock};

use super::RevocationStore;

/// Revoked `jti`s in memory, each until its token's expiry; expired entries
/// are purged as new ones arrive. Fits one instance: other processes do not
/// see these revocations (use the Redis store for that).
#[derive(Debug)]
pub struct MemoryRevocations {
    entries: RwLock<HashMap<String, u64>>,
    clock: Arc<dyn ClockDebug>,
}

/// A clock that can be printed in `Debug` output.
trait ClockDebug: Clock + std::fmt::Debug {}
impl<T: Clock + std::fmt::Debug> ClockDebug for T {}

fn unix(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Default for MemoryRevocations {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryRevocations {
    /// An empty store on the system clock.
    #[must_use]
    pub fn new() -> Self {
        Self::with_clock(SystemClock::new())
    }

    /// An empty store on `clock`.
    #[must_use]
    pub fn with_clock(clock: impl Clock + std::fmt::Debug) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            clock: Arc::new(clock),
        }
    }

    /// How many revocations are held (expired ones not yet purged included).
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.read().map_or(0, |e| e.len())
    }

    /// Whether none is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn revoked_now(&self, jti: &str) -> Result<bool, StoreError> {
        let now = self.clock.unix_seconds();
        let entries = self.entries.read().map_err(|_| Self::poisoned())?;
        Ok(entries.get(jti).is_some_and(|until| *until > now))
    }

    fn poisoned() -> StoreError {
        StoreError::new(
            "revocation store",
            "a thread panicked while holding the lock",
        )
    }
}

impl RevocationStore for MemoryRevocations {
    async fn revoke(&self, jti: &str, until: SystemTime) -> Result<(), StoreError> {
        let now = self.clock.unix_seconds();
        let until = unix(until);
        if until <= now {
            return Ok(());
        }
        let mut entries = self.entries.write().map_err(|_| Self::poisoned())?;
        // Purge expired entries when the map doubles, so the cost is amortized.
        if entries.len() >= 1024 && entries.len().is_power_of_two() {
            entries.retain(|_, until| *until > now);
        }
        let entry = entries.entry(jti.to_owned()).or_insert(until);
        *entry = (*entry).max(until);
        Ok(())
    }

    async fn is_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        self.revoked_now(jti)
    }

    fn is_revoked_in_process(&self, jti: &str) -> Option<Result<bool, StoreError>> {
        Some(self.revoked_now(jti))
    }
}
