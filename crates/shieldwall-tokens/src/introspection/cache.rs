//! The answer cache: what the endpoint said about a token, keyed by
//! HMAC-SHA256 of the token under a key drawn at random when the cache is
//! made. The token itself is never held: an entry's key cannot be turned
//! back into its token, nor matched against a token list without the key,
//! which never leaves the process.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::RwLock;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use shieldwall_core::telemetry::{self, CacheKind};

use crate::{TokenErrorKind, VerifiedToken};

const SHARDS: usize = 16;

/// A cache key: HMAC-SHA256 of a token.
pub(crate) type Key = [u8; 32];

/// What is remembered about a token.
#[derive(Clone, Debug)]
pub(crate) enum Cached {
    /// Active, and it passed the checks.
    Accepted(VerifiedToken),
    /// Not active, or refused by the checks.
    Refused(TokenErrorKind, &'static str),
}

struct Entry {
    /// Until when (the clock's monotonic nanoseconds).
    until: u64,
    cached: Cached,
}

/// Hashes a [`Key`] by its first 8 bytes: keys are HMAC outputs, uniform
/// and unknown to whoever sends tokens, so hashing them again buys nothing.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // `[u8; 32]` hashes as its length (`write_usize`), then its bytes.
        if let Some(head) = bytes.first_chunk::<8>() {
            self.0 = u64::from_le_bytes(*head);
        }
    }

    fn write_usize(&mut self, _length: usize) {}
}

type Shard = RwLock<HashMap<Key, Entry, BuildHasherDefault<KeyHasher>>>;

pub(crate) struct AnswerCache {
    shards: Vec<Shard>,
    per_shard: usize,
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for AnswerCache {
    /// Each entry as the start of its key in hex and what it holds: never a
    /// token, which the cache does not have.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut entries = Vec::new();
        for shard in &self.shards {
            let Ok(map) = shard.read() else { continue };
            for (key, entry) in map.iter() {
                let hex: String = key.iter().take(8).map(|b| format!("{b:02x}")).collect();
                let what = match &entry.cached {
                    Cached::Accepted(_) => "accepted",
                    Cached::Refused(..) => "refused",
                };
                entries.push(format!("hmac-sha256:{hex}..: {what}"));
            }
        }
        f.debug_struct("AnswerCache")
            .field("capacity", &self.per_shard.saturating_mul(SHARDS))
            .field("entries", &entries)
            .finish()
    }
}

impl AnswerCache {
    /// A cache of about `capacity` entries, keyed under `key` (32 random
    /// bytes).
    pub(crate) fn new(capacity: usize, key: &[u8; 32]) -> Option<Self> {
        Some(Self {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            per_shard: capacity.div_ceil(SHARDS).max(1),
            mac: Hmac::new_from_slice(key).ok()?,
        })
    }

    /// The cache key of `token`.
    pub(crate) fn key(&self, token: &str) -> Key {
        let mut mac = self.mac.clone();
        mac.update(token.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn shard(&self, key: &Key) -> Option<&Shard> {
        self.shards.get(usize::from(key[31]) % SHARDS)
    }

    /// What is remembered under `key` at `now`, if it has not ended.
    pub(crate) fn get(&self, key: &Key, now: u64) -> Option<Cached> {
        let found = self
            .shard(key)?
            .read()
            .ok()?
            .get(key)
            .filter(|entry| entry.until > now)
            .map(|entry| entry.cached.clone());
        telemetry::cache_lookup(CacheKind::Tokens, found.is_some());
        found
    }

    /// Remembers `cached` under `key` until `until`; when the shard is
    /// full, drops the entries that ended, then any one entry.
    pub(crate) fn insert(&self, key: Key, cached: Cached, until: u64, now: u64) {
        let Some(shard) = self.shard(&key) else {
            return;
        };
        let Ok(mut map) = shard.write() else { return };
        if map.len() >= self.per_shard && !map.contains_key(&key) {
            map.retain(|_, entry| entry.until > now);
            if map.len() >= self.per_shard
                && let Some(victim) = map.keys().next().copied()
            {
                map.remove(&victim);
            }
        }
        map.insert(key, Entry { until, cached });
    }

    /// How many entries are held (ended ones not yet dropped included).
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.read().map_or(0, |map| map.len()))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn refused() -> Cached {
        Cached::Refused(TokenErrorKind::Inactive, "not active")
    }

    #[test]
    fn keyed_by_a_keyed_hash_never_by_the_token() {
        let a = AnswerCache::new(100, &[1; 32]).unwrap();
        let b = AnswerCache::new(100, &[2; 32]).unwrap();
        let token = "opaque-token-text-0123456789";
        assert_eq!(a.key(token), a.key(token));
        assert_ne!(a.key(token), b.key(token), "another process, another key");
        assert_ne!(a.key(token), a.key("opaque-token-text-012345678"));
        a.insert(a.key(token), refused(), 10, 0);
        let shown = format!("{a:?}");
        assert!(shown.contains("refused"), "{shown}");
        assert!(
            !shown.contains(token) && !shown.contains("opaque"),
            "{shown}"
        );
    }

    #[test]
    fn entries_end_and_capacity_is_bounded() {
        let cache = AnswerCache::new(16, &[7; 32]).unwrap();
        let key = cache.key("t");
        cache.insert(key, refused(), 100, 0);
        assert!(cache.get(&key, 99).is_some());
        assert!(cache.get(&key, 100).is_none());
        for i in 0..1000 {
            let key = cache.key(&format!("t{i}"));
            cache.insert(key, refused(), 1_000, 0);
        }
        assert!(cache.len() <= 16, "{}", cache.len());
    }
}
