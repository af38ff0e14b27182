//! The verified-token cache: a repeat of a token skips parsing and signature
//! checks, never the expiry and revocation checks.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::RwLock;

use shieldwall_core::telemetry::{self, CacheKind};

use crate::VerifiedToken;

const SHARDS: usize = 16;

/// Tokens longer than this are not cached (each entry holds its token).
pub(crate) const MAX_CACHED_TOKEN_LEN: usize = 2048;

pub(crate) struct TokenCache {
    shards: Vec<RwLock<HashMap<Box<str>, VerifiedToken>>>,
    per_shard: usize,
    hasher: RandomState,
}

impl TokenCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::new(HashMap::new())).collect(),
            per_shard: capacity.div_ceil(SHARDS).max(1),
            hasher: RandomState::new(),
        }
    }

    fn shard(&self, token: &str) -> Option<&RwLock<HashMap<Box<str>, VerifiedToken>>> {
        let hash = self.hasher.hash_one(token);
        #[allow(
            clippy::cast_possible_truncation,
            reason = "only the low bits pick a shard"
        )]
        self.shards.get(hash as usize % SHARDS)
    }

    /// The cached verification of exactly `token`, if any.
    pub(crate) fn get(&self, token: &str) -> Option<VerifiedToken> {
        let found = self.peek(token);
        telemetry::cache_lookup(CacheKind::Tokens, found.is_some());
        found
    }

    /// [`TokenCache::get`], not counted: for a caller that counts the hit
    /// itself when it answers from it, and otherwise leaves the counted
    /// lookup to `get`.
    pub(crate) fn peek(&self, token: &str) -> Option<VerifiedToken> {
        self.shard(token)?.read().ok()?.get(token).cloned()
    }

    /// Counts a hit that [`TokenCache::peek`] found and answered from.
    pub(crate) fn count_hit(&self) {
        telemetry::cache_lookup(CacheKind::Tokens, true);
    }

    /// Whether exactly `token` is cached (not counted: a routing question,
    /// the lookup that answers the request follows).
    pub(crate) fn contains(&self, token: &str) -> bool {
        self.shard(token)
            .and_then(|shard| shard.read().ok().map(|map| map.contains_key(token)))
            .unwrap_or(false)
    }

    /// Remembers a verification; when the shard is full, drops expired
    /// entries, then any one entry.
    pub(crate) fn insert(&self, token: &str, verified: &VerifiedToken, now: i64) {
        if token.len() > MAX_CACHED_TOKEN_LEN {
            return;
        }
        let Some(shard) = self.shard(token) else {
            return;
        };
        let Ok(mut map) = shard.write() else { return };
        if map.len() >= self.per_shard {
            map.retain(|_, v| v.expires_at_unix() >= now);
            if map.len() >= self.per_shard
                && let Some(victim) = map.keys().next().cloned()
            {
                map.remove(&victim);
            }
        }
        map.insert(token.into(), verified.clone());
    }
}
