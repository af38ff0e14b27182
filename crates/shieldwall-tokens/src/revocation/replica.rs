//! The local replica of the revocations on Redis: every revocation, kept
//! current by pub/sub, so that a check costs no round trip.
//!
//! Trusted only while it is complete: from the moment the subscription is
//! up and the whole set has been read after it, until the subscription
//! ends or the replica is full. While it is not trusted, checks ask Redis
//! (and fail closed when Redis cannot answer), exactly as without one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, RwLock, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt as _;
use shieldwall_redis::{Redis, Script};

/// How many revocations the replica holds before it stops answering (and
/// checks go to Redis until expired ones make room).
pub(super) const DEFAULT_CAPACITY: usize = 1_000_000;

/// How often expired revocations are dropped, and a full replica tries
/// again.
const SWEEP: Duration = Duration::from_secs(30);

/// Keys read per `SCAN` page when the whole set is loaded.
const PAGE: usize = 1000;

/// How often each instance publishes a heartbeat on the channel. A
/// subscription that hears nothing, not even its own heartbeat, for
/// [`SILENCE`] is taken for broken (a network that drops packets closes
/// nothing): the replica stops answering and subscribes again.
const HEARTBEAT: Duration = Duration::from_secs(1);
const SILENCE: Duration = Duration::from_secs(3);
const BEAT: &str = "beat";

/// Keyed by each revocation's whole Redis key (`prefix:revoked:<escaped
/// jti>`), as the store writes it and `SCAN` finds it: no second escaping.
pub(super) struct Replica {
    /// Key to the Unix second its revocation ends.
    entries: RwLock<HashMap<Box<str>, u64>>,
    trusted: AtomicBool,
    /// Set when an insert found the replica full: the sweep reloads it.
    overflowed: AtomicBool,
    capacity: usize,
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica")
            .field("trusted", &self.is_trusted())
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Replica {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            trusted: AtomicBool::new(false),
            overflowed: AtomicBool::new(false),
            capacity: capacity.max(1),
        }
    }

    pub(super) fn is_trusted(&self) -> bool {
        self.trusted.load(Ordering::Acquire)
    }

    /// Whether `jti` is revoked at `now`, when the replica can say; `None`:
    /// ask Redis.
    pub(super) fn lookup(&self, jti: &str, now: u64) -> Option<bool> {
        if !self.is_trusted() {
            return None;
        }
        let entries = self.entries.read().ok()?;
        Some(entries.get(jti).is_some_and(|&until| until > now))
    }

    /// Records a revocation (one this instance made, or one published).
    pub(super) fn insert(&self, jti: &str, until: u64) {
        let Ok(mut entries) = self.entries.write() else {
            self.distrust();
            return;
        };
        if let Some(current) = entries.get_mut(jti) {
            *current = (*current).max(until);
            return;
        }
        if entries.len() >= self.capacity {
            let now = unix_now();
            entries.retain(|_, until| *until > now);
        }
        if entries.len() >= self.capacity {
            // Incomplete from here: checks go to Redis until a reload fits.
            self.trusted.store(false, Ordering::Release);
            self.overflowed.store(true, Ordering::Release);
            tracing::warn!(
                capacity = self.capacity,
                "revocation replica full; checks ask Redis until expired revocations make room"
            );
            return;
        }
        entries.insert(Box::from(jti), until);
    }

    fn distrust(&self) {
        self.trusted.store(false, Ordering::Release);
    }

    /// Replaces the whole set and trusts it, unless it does not fit.
    fn load(&self, loaded: HashMap<Box<str>, u64>) -> bool {
        if loaded.len() >= self.capacity {
            self.overflowed.store(true, Ordering::Release);
            return false;
        }
        let Ok(mut entries) = self.entries.write() else {
            return false;
        };
        *entries = loaded;
        self.overflowed.store(false, Ordering::Release);
        self.trusted.store(true, Ordering::Release);
        true
    }

    fn sweep(&self) {
        let now = unix_now();
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, until| *until > now);
        }
    }
}

/// A published revocation: `<until> <key>`.
pub(super) fn message(jti: &str, until: u64) -> String {
    format!("{until} {jti}")
}

fn parse_message(payload: &str) -> Option<(&str, u64)> {
    let (until, jti) = payload.split_once(' ')?;
    Some((jti, until.parse().ok()?))
}

/// The Unix second a key expires at (`EXPIRETIME`): one key per call, so
/// that a batch suits Redis Cluster.
static EXPIRETIME: LazyLock<Script> =
    LazyLock::new(|| Script::new("return redis.call('EXPIRETIME', KEYS[1])"));

/// Every revocation on Redis: `SCAN` pages of `prefix:revoked:*`, each
/// page's expiries in one more round trip.
async fn read_all(redis: &Redis, prefix: &str) -> Result<HashMap<Box<str>, u64>, String> {
    let pattern = format!("{}*", glob_escape(prefix));
    let mut all = HashMap::new();
    let mut cursor = 0_u64;
    loop {
        let mut scan = shieldwall_redis::redis::cmd("SCAN");
        scan.arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(PAGE);
        let (next, keys): (u64, Vec<String>) = redis
            .with_timeout_outside_breaker(async {
                let mut connection = redis.connection();
                scan.query_async(&mut connection).await
            })
            .await
            .map_err(|e| e.to_string())?;
        if !keys.is_empty() {
            let calls: Vec<(Vec<&str>, Vec<u8>)> = keys
                .iter()
                .map(|k| (vec![k.as_str()], Vec::new()))
                .collect();
            let expiries: Vec<i64> = redis
                .run_script_batch(&EXPIRETIME, &calls)
                .await
                .map_err(|e| e.to_string())?;
            for (key, expiry) in keys.iter().zip(expiries) {
                // -2: gone since the scan; -1: no expiry (never written so).
                let Ok(until) = u64::try_from(expiry) else {
                    continue;
                };
                all.insert(Box::from(key.as_str()), until);
            }
        }
        if next == 0 {
            return Ok(all);
        }
        cursor = next;
    }
}

/// `prefix` with the glob's special characters escaped, for `MATCH`.
fn glob_escape(prefix: &str) -> String {
    let mut escaped = String::with_capacity(prefix.len());
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Subscribes to `channel`, then reads the whole set (so nothing published
/// between the two is missed), trusts the replica, and applies every
/// message; when the subscription ends, distrusts it and starts again. Ends
/// when the store is dropped.
pub(super) async fn follow(
    redis: Redis,
    channel: Arc<str>,
    key_prefix: Arc<str>,
    replica: Weak<Replica>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let subscribed = match redis.subscribed(&channel).await {
            Ok(pubsub) => Some(pubsub),
            Err(error) => {
                tracing::warn!(%error, "revocation replica: not subscribed; checks ask Redis until it is");
                None
            }
        };
        if let Some(pubsub) = subscribed {
            let loaded = read_all(&redis, &key_prefix).await;
            let Some(live) = replica.upgrade() else {
                return;
            };
            match loaded {
                Ok(set) => {
                    if live.load(set) {
                        backoff = Duration::from_millis(100);
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "revocation replica: reading the revocations failed");
                }
            }
            drop(live);
            let mut messages = pubsub.into_on_message();
            let now = Instant::now();
            // The first heartbeat at once.
            let (mut heard, mut beat, mut swept) =
                (now, now.checked_sub(HEARTBEAT).unwrap_or(now), now);
            loop {
                if beat.elapsed() >= HEARTBEAT {
                    beat = Instant::now();
                    let mut publish = shieldwall_redis::redis::cmd("PUBLISH");
                    publish.arg(channel.as_ref()).arg(BEAT);
                    // Lost or late, the silence below tells.
                    let _: Result<i64, _> = redis
                        .with_timeout_outside_breaker(async {
                            let mut connection = redis.connection();
                            publish.query_async(&mut connection).await
                        })
                        .await;
                }
                if heard.elapsed() >= SILENCE {
                    tracing::warn!("revocation replica: the subscription went silent");
                    break;
                }
                if swept.elapsed() >= SWEEP {
                    swept = Instant::now();
                    let Some(live) = replica.upgrade() else {
                        return;
                    };
                    live.sweep();
                    if live.overflowed.load(Ordering::Acquire) || !live.is_trusted() {
                        // Full, or never loaded: read the whole set again.
                        if let Ok(set) = read_all(&redis, &key_prefix).await {
                            live.load(set);
                        }
                    }
                }
                match tokio::time::timeout(HEARTBEAT, messages.next()).await {
                    Ok(Some(message)) => {
                        heard = Instant::now();
                        let Some(live) = replica.upgrade() else {
                            return;
                        };
                        let payload: Option<String> = message.get_payload().ok();
                        match payload.as_deref() {
                            Some(BEAT) => {}
                            Some(text) => match parse_message(text) {
                                Some((jti, until)) => live.insert(jti, until),
                                // Not ours to read: the set may miss something.
                                None => live.distrust(),
                            },
                            None => live.distrust(),
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {}
                }
            }
            let Some(live) = replica.upgrade() else {
                return;
            };
            live.distrust();
            tracing::warn!(
                "revocation replica: the subscription ended; checks ask Redis until it is back"
            );
        }
        if replica.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_only_while_trusted_and_only_until_the_end() {
        let replica = Replica::new(10);
        assert_eq!(replica.lookup("a", 100), None);
        assert!(replica.load(HashMap::from([(Box::from("a"), 200)])));
        assert_eq!(replica.lookup("a", 100), Some(true));
        assert_eq!(replica.lookup("a", 200), Some(false));
        assert_eq!(replica.lookup("b", 100), Some(false));
        replica.insert("b", 300);
        replica.insert("b", 250);
        assert_eq!(
            replica.lookup("b", 280),
            Some(true),
            "the later end is kept"
        );
        replica.distrust();
        assert_eq!(replica.lookup("a", 100), None);
    }

    #[test]
    fn a_full_replica_stops_answering() {
        let replica = Replica::new(2);
        let later = unix_now() + 600;
        assert!(replica.load(HashMap::new()));
        replica.insert("a", later);
        replica.insert("b", later);
        assert_eq!(replica.lookup("a", 0), Some(true));
        replica.insert("c", later);
        assert_eq!(replica.lookup("c", 0), None, "ask Redis");
        assert!(replica.overflowed.load(Ordering::Acquire));
        // Too many to load: still not trusted.
        let three = HashMap::from([
            (Box::from("a"), later),
            (Box::from("b"), later),
            (Box::from("c"), later),
        ]);
        assert!(!replica.load(three));
        assert_eq!(replica.lookup("a", 0), None);
    }

    #[test]
    fn messages_and_patterns_are_read_exactly() {
        assert_eq!(parse_message(&message("j 1", 42)), Some(("j 1", 42)));
        assert_eq!(parse_message("42"), None);
        assert_eq!(parse_message("x j"), None);
        assert_eq!(glob_escape("app:[x]*?\\:"), "app:\\[x\\]\\*\\?\\\\:");
    }
}
