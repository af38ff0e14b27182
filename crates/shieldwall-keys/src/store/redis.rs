//! Key records on Redis: a hash per key, a set per owner, and a local cache
//! that pub/sub keeps honest.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use shieldwall_core::{Scopes, StoreError};
use shieldwall_redis::{Heartbeat, Redis, Script};

use super::KeyStore;
use crate::{KeyDigest, KeyRecord};

const INSERT: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1";

const REVOKE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HEXISTS', KEYS[1], 'r') == 0 then redis.call('HSET', KEYS[1], 'r', ARGV[1]) end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1";

const EXPIRE_BY: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local current = redis.call('HGET', KEYS[1], 'e')
if (not current) or current == '' or tonumber(current) > tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'e', ARGV[1])
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1";

const TOUCH: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local current = redis.call('HGET', KEYS[1], 'u')
if (not current) or tonumber(current) < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'u', ARGV[1])
end
return 1";

/// How the Redis key store caches.
#[non_exhaustive]
#[derive(Clone, Copy, Debug)]
pub struct RedisKeyStoreConfig {
    /// How long a record may be served from the local cache (`None`: no
    /// cache, every verification reads Redis).
    pub cache_ttl: Option<Duration>,
    /// How many records the cache holds.
    pub cache_capacity: usize,
}

impl Default for RedisKeyStoreConfig {
    /// A cache of 10 000 records for at most 1 s each.
    fn default() -> Self {
        Self {
            cache_ttl: Some(Duration::from_secs(1)),
            cache_capacity: 10_000,
        }
    }
}

impl RedisKeyStoreConfig {
    /// No cache: one round trip per verification.
    #[must_use]
    pub fn uncached() -> Self {
        Self {
            cache_ttl: None,
            ..Self::default()
        }
    }

    /// A cache with this lifetime per record.
    #[must_use]
    pub fn cached_for(ttl: Duration) -> Self {
        Self {
            cache_ttl: Some(ttl),
            ..Self::default()
        }
    }
}

/// Key records on Redis: `HSET prefix:apikey:<id>` and `SADD prefix:apikeys-of:<owner>`.
///
/// With a cache (the default), a verification hit costs no round trip. The
/// cache is correct across instances: every revocation or expiry change is
/// published on a channel that every store instance subscribes to, and
/// evicts the record at once; while the subscription is down, or silent
/// (every instance publishes a beat each second: three seconds without one
/// means messages are being lost, as on a cluster node cut off from the
/// others), the cache is not used at all; and no record is served from it
/// for longer than the cache lifetime (1 s by default) even if a message
/// were lost. A record read while an invalidation arrived is not cached.
#[derive(Clone, Debug)]
pub struct RedisKeyStore {
    redis: Redis,
    channel: Arc<str>,
    cache: Option<Arc<Cache>>,
    scripts: Arc<Scripts>,
}

#[derive(Debug)]
struct Scripts {
    insert: Script,
    revoke: Script,
    expire_by: Script,
    touch: Script,
}

#[derive(Debug)]
struct Cache {
    entries: RwLock<HashMap<String, (Arc<KeyRecord>, Instant)>>,
    ttl: Duration,
    capacity: usize,
    subscribed: AtomicBool,
    epoch: AtomicU64,
}

impl Cache {
    fn get(&self, id: &str) -> Option<Arc<KeyRecord>> {
        if !self.subscribed.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries.read().ok()?;
        let (record, at) = entries.get(id)?;
        (at.elapsed() < self.ttl).then(|| Arc::clone(record))
    }

    fn insert(&self, record: &Arc<KeyRecord>, epoch_before: u64) {
        if !self.subscribed.load(Ordering::Acquire) {
            return;
        }
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        // An invalidation arrived while the record was read: it may be stale.
        if self.epoch.load(Ordering::Acquire) != epoch_before {
            return;
        }
        if entries.len() >= self.capacity {
            let ttl = self.ttl;
            entries.retain(|_, (_, at)| at.elapsed() < ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(record.id.clone(), (Arc::clone(record), Instant::now()));
    }

    fn invalidate(&self, id: &str) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(id);
        }
    }

    fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }

    fn set_subscribed(&self, subscribed: bool) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
        self.subscribed.store(subscribed, Ordering::Release);
    }
}

fn millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn time(millis: &str) -> Option<SystemTime> {
    millis
        .parse::<u64>()
        .ok()
        .map(|ms| UNIX_EPOCH + Duration::from_millis(ms))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let mut out = [0_u8; 32];
    if text.len() != 64 {
        return None;
    }
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

fn record_from(id: &str, fields: &HashMap<String, String>) -> Result<KeyRecord, StoreError> {
    let corrupt = || StoreError::new("key store", "a key record is corrupt");
    let get = |name: &str| {
        fields
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let digest = get("d").and_then(unhex).ok_or_else(corrupt)?;
    Ok(KeyRecord::new(
        id.to_owned(),
        KeyDigest::from_bytes(digest),
        get("o").ok_or_else(corrupt)?.to_owned(),
        get("n").unwrap_or_default().to_owned(),
        // Scopes as the key was created with them: one parser for every
        // list of scopes (a stored list that is not one is a corrupt record).
        Scopes::parse(get("s").unwrap_or_default())
            .map_err(|_| corrupt())?
            .iter()
            .map(str::to_owned)
            .collect(),
        get("c").and_then(time).ok_or_else(corrupt)?,
        get("e").and_then(time),
        get("r").and_then(time),
        get("u").and_then(time),
    ))
}

impl RedisKeyStore {
    /// The cached record of `id`, counted as a hit when there is one (a
    /// miss is counted by the lookup that goes to Redis).
    fn cached(&self, id: &str) -> Option<Arc<KeyRecord>> {
        let record = self.cache.as_ref()?.get(id)?;
        shieldwall_core::telemetry::cache_lookup(shieldwall_core::telemetry::CacheKind::Keys, true);
        Some(record)
    }

    /// A store on `redis`. With a cache, starts the subscriber task (needs a
    /// Tokio runtime; without one the cache is never used).
    #[must_use]
    pub fn new(redis: Redis, config: RedisKeyStoreConfig) -> Self {
        let channel: Arc<str> = Arc::from(redis.key(&["apikey-invalidate"]));
        let cache = config.cache_ttl.map(|ttl| {
            Arc::new(Cache {
                entries: RwLock::new(HashMap::new()),
                ttl,
                capacity: config.cache_capacity.max(1),
                subscribed: AtomicBool::new(false),
                epoch: AtomicU64::new(0),
            })
        });
        if let (Some(cache), Ok(runtime)) = (&cache, tokio::runtime::Handle::try_current()) {
            runtime.spawn(subscribe_loop(
                redis.clone(),
                Arc::clone(&channel),
                Arc::downgrade(cache),
            ));
        }
        Self {
            redis,
            channel,
            cache,
            scripts: Arc::new(Scripts {
                insert: Script::new(INSERT),
                revoke: Script::new(REVOKE),
                expire_by: Script::new(EXPIRE_BY),
                touch: Script::new(TOUCH),
            }),
        }
    }

    /// Whether the cache is in use now (subscribed to invalidations).
    #[must_use]
    pub fn cache_active(&self) -> bool {
        self.cache
            .as_ref()
            .is_some_and(|c| c.subscribed.load(Ordering::Acquire))
    }

    fn key(&self, id: &str) -> String {
        self.redis.key(&["apikey", id])
    }

    fn owner_key(&self, owner: &str) -> String {
        self.redis.key(&["apikeys-of", owner])
    }

    async fn fetch(&self, id: &str) -> Result<Option<Arc<KeyRecord>>, StoreError> {
        let fields: HashMap<String, String> = self
            .redis
            .run(shieldwall_redis::redis::cmd("HGETALL").arg(self.key(id)))
            .await?;
        if fields.is_empty() {
            return Ok(None);
        }
        record_from(id, &fields).map(|r| Some(Arc::new(r)))
    }

    async fn change(&self, script: &Script, id: &str, at: SystemTime) -> Result<bool, StoreError> {
        let key = self.key(id);
        let args = [
            millis(at).to_string(),
            self.channel.to_string(),
            id.to_owned(),
        ];
        let changed: i64 = self.redis.run_script(script, &[key], &args).await?;
        if let Some(cache) = &self.cache {
            cache.invalidate(id);
        }
        Ok(changed == 1)
    }
}

async fn subscribe_loop(redis: Redis, channel: Arc<str>, cache: Weak<Cache>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let subscribed = match redis.subscribed(&channel).await {
            Ok(pubsub) => Some(pubsub),
            Err(error) => {
                tracing::warn!(%error, "key cache: not subscribed to invalidations; the cache is off until it is");
                None
            }
        };
        if let Some(pubsub) = subscribed {
            let mut messages = pubsub.into_on_message();
            // Used from the first message heard (its own beat, at the
            // latest): a subscription that hears nothing is no proof.
            let mut active = false;
            // A subscription that hears nothing, not even the beats every
            // instance publishes, is broken (packets dropped, a cluster
            // node cut off from the others): the cache steps aside and the
            // loop subscribes again, on the next node.
            let mut heartbeat = Heartbeat::new();
            loop {
                heartbeat.beat_if_due(&redis, &channel).await;
                if heartbeat.is_silent() {
                    tracing::warn!("key cache: the invalidation subscription went silent");
                    break;
                }
                match tokio::time::timeout(Heartbeat::INTERVAL, messages.next()).await {
                    Ok(Some(message)) => {
                        heartbeat.heard();
                        let Some(live) = cache.upgrade() else { return };
                        if !active {
                            active = true;
                            live.set_subscribed(true);
                            backoff = Duration::from_millis(100);
                        }
                        match message.get_payload::<String>() {
                            Ok(id) if id == Heartbeat::BEAT => {}
                            Ok(id) => live.invalidate(&id),
                            // Unreadable: which key it named is unknown.
                            Err(_) => live.clear(),
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {
                        if cache.strong_count() == 0 {
                            return;
                        }
                    }
                }
            }
            let Some(live) = cache.upgrade() else { return };
            if active {
                live.set_subscribed(false);
                tracing::warn!(
                    "key cache: the invalidation subscription ended; the cache is off until it is back"
                );
            }
        }
        if cache.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

impl KeyStore for RedisKeyStore {
    async fn insert(&self, record: KeyRecord) -> Result<(), StoreError> {
        let mut args = vec![
            "d".to_owned(),
            hex(record.digest.as_bytes()),
            "o".to_owned(),
            record.owner.clone(),
            "n".to_owned(),
            record.name.clone(),
            "s".to_owned(),
            record.scopes.join(" "),
            "c".to_owned(),
            millis(record.created_at).to_string(),
        ];
        if let Some(at) = record.expires_at {
            args.extend(["e".to_owned(), millis(at).to_string()]);
        }
        let inserted: i64 = self
            .redis
            .run_script(&self.scripts.insert, &[self.key(&record.id)], &args)
            .await?;
        if inserted != 1 {
            return Err(StoreError::new("key store", "key id already taken"));
        }
        let mut sadd = shieldwall_redis::redis::cmd("SADD");
        sadd.arg(self.owner_key(&record.owner)).arg(&record.id);
        self.redis.run::<i64>(&sadd).await?;
        Ok(())
    }

    async fn find(&self, id: &str) -> Result<Option<Arc<KeyRecord>>, StoreError> {
        let Some(cache) = &self.cache else {
            return self.fetch(id).await;
        };
        if let Some(record) = self.cached(id) {
            return Ok(Some(record));
        }
        shieldwall_core::telemetry::cache_lookup(
            shieldwall_core::telemetry::CacheKind::Keys,
            false,
        );
        let epoch = cache.epoch.load(Ordering::Acquire);
        let found = self.fetch(id).await?;
        if let Some(record) = &found {
            cache.insert(record, epoch);
        }
        Ok(found)
    }

    /// A hit only: a key the cache lacks may exist on Redis.
    fn find_in_process(&self, id: &str) -> Option<Result<Option<Arc<KeyRecord>>, StoreError>> {
        self.cached(id).map(|record| Ok(Some(record)))
    }

    async fn list_for_owner(&self, owner: &str) -> Result<Vec<Arc<KeyRecord>>, StoreError> {
        let ids: Vec<String> = self
            .redis
            .run(shieldwall_redis::redis::cmd("SMEMBERS").arg(self.owner_key(owner)))
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // One pipelined round trip on one server; each key to its own
        // slot's node on a cluster.
        let reads: Vec<_> = ids
            .iter()
            .map(|id| {
                let mut hgetall = shieldwall_redis::redis::cmd("HGETALL");
                hgetall.arg(self.key(id));
                hgetall
            })
            .collect();
        let all: Vec<HashMap<String, String>> =
            self.redis.with_timeout(self.redis.batch(&reads)).await?;
        let mut records = Vec::new();
        for (id, fields) in ids.iter().zip(all) {
            if !fields.is_empty() {
                records.push(Arc::new(record_from(id, &fields)?));
            }
        }
        records.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(records)
    }

    async fn revoke(&self, id: &str, at: SystemTime) -> Result<bool, StoreError> {
        self.change(&self.scripts.revoke, id, at).await
    }

    async fn expire_by(&self, id: &str, at: SystemTime) -> Result<bool, StoreError> {
        self.change(&self.scripts.expire_by, id, at).await
    }

    async fn touch_last_used(&self, uses: &[(String, SystemTime)]) -> Result<(), StoreError> {
        let calls: Vec<(Vec<String>, Vec<String>)> = uses
            .iter()
            .map(|(id, at)| (vec![self.key(id)], vec![millis(*at).to_string()]))
            .collect();
        self.redis
            .run_script_batch::<i64, String, String>(&self.scripts.touch, &calls)
            .await?;
        // Last use is not published (verification does not depend on it);
        // this instance forgets its own copies so that it reads them back.
        if let Some(cache) = &self.cache {
            for (id, _) in uses {
                cache.invalidate(id);
            }
        }
        Ok(())
    }
}
