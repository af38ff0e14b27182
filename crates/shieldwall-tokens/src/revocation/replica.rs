//! The local replica of the revocations on Redis: every revocation, kept
//! current by pub/sub, so that a check costs no round trip.
//!
//! Trusted only while it is complete: from the moment the subscription is
//! up, the whole set has been read after it and the messages that arrived
//! meanwhile applied, until the subscription ends or goes silent, the
//! follower stops, or the replica is full. While it is not trusted, a
//! revocation it holds still refuses its token; any other check asks Redis
//! (and fails closed when Redis cannot answer), exactly as without one.
//! Each full read gives Redis back the revocations it lacks that the
//! replica holds (a Redis restarted without its data, a failover that lost
//! the last writes): a revocation lasts until its token would expire, and
//! deleting its key by hand does not undo it while an instance holds it. The whole set is read again every 30 s and merged in, so that a
//! revocation written without a message (by an older version during a
//! rolling upgrade, or by hand) is seen within that time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{FutureExt as _, StreamExt as _};
use shieldwall_redis::{Heartbeat, Redis};

/// How many revocations the replica holds before it stops answering (and
/// checks go to Redis until expired ones make room).
pub(super) const DEFAULT_CAPACITY: usize = 1_000_000;

/// How often expired revocations are dropped and the whole set is read
/// again (merged in: what was written without a message shows up), unless
/// the store says otherwise.
pub(super) const DEFAULT_REREAD: Duration = Duration::from_secs(30);

/// Keys read per `SCAN` page when the whole set is loaded.
const PAGE: usize = 1000;

/// [`PAGE`] as the `SCAN` page size.
const PAGE_SIZE: std::num::NonZeroUsize = match std::num::NonZeroUsize::new(PAGE) {
    Some(size) => size,
    None => std::num::NonZeroUsize::MIN,
};

/// Each instance publishes a heartbeat on the channel ([`Heartbeat`]): a
/// subscription that hears nothing, not even its own beats, for
/// [`Heartbeat::SILENCE`] is taken for broken (a network that drops
/// packets closes nothing): the replica stops answering and subscribes
/// again.
const BEAT: &str = Heartbeat::BEAT;

/// Keyed by each revocation's whole Redis key (`prefix:revoked:<escaped
/// jti>`), as the store writes it and `SCAN` finds it: no second escaping.
pub(super) struct Replica {
    /// Key to the Unix second its revocation ends.
    entries: RwLock<HashMap<Box<str>, u64>>,
    trusted: AtomicBool,
    /// Set when an insert found the replica full: the sweep reloads it.
    overflowed: AtomicBool,
    capacity: usize,
    reread: Duration,
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica")
            .field("trusted", &self.is_trusted())
            .field("capacity", &self.capacity)
            .field("reread", &self.reread)
            .finish_non_exhaustive()
    }
}

pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Replica {
    pub(super) fn new(capacity: usize, reread: Duration) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            trusted: AtomicBool::new(false),
            overflowed: AtomicBool::new(false),
            capacity: capacity.max(1),
            reread: reread.max(Duration::from_secs(1)),
        }
    }

    pub(super) fn is_trusted(&self) -> bool {
        self.trusted.load(Ordering::Acquire)
    }

    /// Whether `jti` is revoked at `now`, when the replica can say; `None`:
    /// ask Redis. A revocation the replica holds is an answer whether or not
    /// the replica is complete (entries leave only by expiring): a Redis
    /// that restarted empty, or is being resynchronised, must not take it
    /// back. Only "not revoked" needs the whole set.
    pub(super) fn lookup(&self, jti: &str, now: u64) -> Option<bool> {
        let trusted = self.is_trusted();
        let entries = self.entries.read().ok()?;
        if entries.get(jti).is_some_and(|&until| until > now) {
            return Some(true);
        }
        trusted.then_some(false)
    }

    /// The revocations held here, still running at `now`, that `loaded`
    /// (the whole set just read from Redis) lacks: what a Redis that lost
    /// its data must be given back.
    fn missing_from(&self, loaded: &HashMap<Box<str>, u64>, now: u64) -> Vec<(Box<str>, u64)> {
        self.entries.read().map_or_else(
            |_| Vec::new(),
            |entries| {
                entries
                    .iter()
                    .filter(|(key, until)| **until > now && !loaded.contains_key(*key))
                    .map(|(key, until)| (key.clone(), *until))
                    .collect()
            },
        )
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
        if self.overflowed.load(Ordering::Acquire) {
            // Already handed to Redis; the sweep makes room.
            return;
        }
        if entries.len() >= self.capacity {
            let now = unix_now();
            entries.retain(|_, until| *until > now);
        }
        if entries.len() >= self.capacity {
            // Incomplete from here: checks go to Redis until a reread fits.
            self.overflow();
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

    /// Merges the whole set in (keeping what is here: this instance's own
    /// revocations, messages applied meanwhile; entries leave only by
    /// expiring), unless the union does not fit. Trusting is the caller's.
    fn merge(&self, loaded: HashMap<Box<str>, u64>) -> bool {
        let Ok(mut entries) = self.entries.write() else {
            return false;
        };
        let now = unix_now();
        entries.retain(|_, until| *until > now);
        for (key, until) in loaded {
            let current = entries.entry(key).or_insert(until);
            *current = (*current).max(until);
        }
        if entries.len() >= self.capacity {
            entries.clear();
            drop(entries);
            self.overflow();
            return false;
        }
        self.overflowed.store(false, Ordering::Release);
        true
    }

    /// More revocations than it holds: checks go to Redis until a reread
    /// fits.
    fn overflow(&self) {
        self.trusted.store(false, Ordering::Release);
        self.overflowed.store(true, Ordering::Release);
    }

    fn trust(&self) {
        self.trusted.store(true, Ordering::Release);
    }

    #[cfg(test)]
    fn load(&self, loaded: HashMap<Box<str>, u64>) -> bool {
        let merged = self.merge(loaded);
        if merged {
            self.trust();
        }
        merged
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

/// Every revocation on Redis: `SCAN` pages of `prefix:revoked:*` (on a
/// cluster, of every primary), each page's expiries (`EXPIRETIME`,
/// pipelined on one server) in one more round trip; both
/// outside the circuit breaker (background work must not open it for the
/// requests). `Ok(None)` past `capacity` keys (it stops reading there).
async fn read_all(
    redis: &Redis,
    prefix: &str,
    capacity: usize,
) -> Result<Option<HashMap<Box<str>, u64>>, String> {
    let pattern = format!("{}*", glob_escape(prefix));
    let mut all = HashMap::new();
    let mut scan = redis
        .scan(&pattern, PAGE_SIZE)
        .await
        .map_err(|e| e.to_string())?;
    while let Some(keys) = scan.next_page().await.map_err(|e| e.to_string())? {
        if keys.is_empty() {
            continue;
        }
        let reads: Vec<_> = keys
            .iter()
            .map(|key| {
                let mut expiretime = shieldwall_redis::redis::cmd("EXPIRETIME");
                expiretime.arg(key);
                expiretime
            })
            .collect();
        let expiries: Vec<i64> = redis
            .with_timeout_outside_breaker(redis.batch(&reads))
            .await
            .map_err(|e| e.to_string())?;
        for (key, expiry) in keys.iter().zip(expiries) {
            let until = match expiry {
                // No expiry (written by hand): revoked for good.
                -1 => u64::MAX,
                // Gone since the scan.
                -2 => continue,
                at => u64::try_from(at).unwrap_or(0),
            };
            all.insert(Box::from(key.as_str()), until);
        }
        if all.len() >= capacity {
            return Ok(None);
        }
    }
    Ok(Some(all))
}

/// Writes `missing` (revocations this replica holds that Redis lacks:
/// Redis restarted without its data, or failed over to a replica that had
/// not received them) back to Redis, each with its end (`SET … NX`: one
/// written meanwhile stays as it is), and publishes each again on
/// `channel`, so that a replica that has just read the emptied set learns
/// it at once; in pipelines of [`PAGE`], each within the command timeout,
/// outside the circuit breaker. Every instance that holds a revocation
/// gives it back, so one that starts later still sees it.
async fn restore(redis: &Redis, channel: &str, missing: &[(Box<str>, u64)]) {
    for page in missing.chunks(PAGE) {
        let mut writes = Vec::with_capacity(2 * page.len());
        for (key, until) in page {
            let mut set = shieldwall_redis::redis::cmd("SET");
            set.arg(key.as_ref()).arg("1").arg("NX");
            if *until != u64::MAX {
                set.arg("EXAT").arg(*until);
            }
            writes.push(set);
            let mut publish = shieldwall_redis::redis::cmd("PUBLISH");
            publish.arg(channel).arg(message(key, *until));
            writes.push(publish);
        }
        let written: Result<Vec<shieldwall_redis::redis::Value>, String> = redis
            .with_timeout_outside_breaker(redis.batch(&writes))
            .await
            .map_err(|e| e.to_string());
        if let Err(error) = written {
            tracing::warn!(%error, "revocation replica: writing back revocations missing from Redis failed; tried again at the next read");
            return;
        }
    }
    if !missing.is_empty() {
        tracing::warn!(
            count = missing.len(),
            "revocation replica: revocations it holds were missing from Redis and are written back (did Redis lose its data?)"
        );
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

/// Distrusts the replica when the follower stops, however it stops (the
/// store dropped, its runtime shut down, a panic): a replica nobody keeps
/// current must not answer.
struct Following(Weak<Replica>);

impl Drop for Following {
    fn drop(&mut self) {
        if let Some(replica) = self.0.upgrade() {
            replica.distrust();
        }
    }
}

/// Applies one message: a revocation, or a heartbeat. A revocation whose
/// key is not one of this store's (`key_prefix`) is not held: the replica
/// writes back what it holds, and must never write outside its keys.
fn apply(replica: &Replica, key_prefix: &str, payload: Option<&str>) {
    match payload {
        Some(BEAT) => {}
        Some(text) => match parse_message(text) {
            Some((key, until)) if key.starts_with(key_prefix) => {
                replica.insert(key, clamp_until(until));
            }
            // Not ours to read: the set may miss something.
            _ => replica.distrust(),
        },
        None => replica.distrust(),
    }
}

/// An end Redis accepts for `EXAT` (the year 9999 at most, as the store
/// writes them), or `u64::MAX` (no expiry) as it is.
fn clamp_until(until: u64) -> u64 {
    if until == u64::MAX {
        until
    } else {
        until.min(crate::date::LAST_UNIX_SECOND.unsigned_abs())
    }
}

/// Subscribes to `channel`, then reads the whole set (so nothing published
/// between the two is missed), applies what arrived meanwhile, trusts the
/// replica, and applies every message; reads the whole set again every
/// 30 s; when the subscription ends or goes silent, distrusts it and
/// starts again. Ends when the store is dropped.
pub(super) async fn follow(
    redis: Redis,
    channel: Arc<str>,
    key_prefix: Arc<str>,
    replica: Weak<Replica>,
) {
    let _following = Following(Weak::clone(&replica));
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
            let Some((capacity, reread)) = replica.upgrade().map(|r| (r.capacity, r.reread)) else {
                return;
            };
            let loaded = read_all(&redis, &key_prefix, capacity).await;
            let mut messages = pubsub.into_on_message();
            let Some(live) = replica.upgrade() else {
                return;
            };
            // Trusted only once the subscription is heard (its own beat, at
            // the latest): one that hears nothing is no proof.
            let mut heartbeat = Heartbeat::new();
            heartbeat.beat_if_due(&redis, &channel).await;
            let heard = match tokio::time::timeout(Heartbeat::SILENCE, messages.next()).await {
                Ok(Some(message)) => {
                    apply(
                        &live,
                        &key_prefix,
                        message.get_payload::<String>().ok().as_deref(),
                    );
                    true
                }
                Ok(None) | Err(_) => false,
            };
            let loaded = if heard {
                loaded
            } else {
                Err("the new subscription hears nothing".to_owned())
            };
            let merged = match loaded {
                Ok(Some(set)) => {
                    let missing = live.missing_from(&set, unix_now());
                    let merged = live.merge(set);
                    restore(&redis, &channel, &missing).await;
                    Ok(merged)
                }
                Ok(None) => Ok(false),
                Err(error) => Err(error),
            };
            match merged {
                Ok(true) => {
                    // What arrived while the set was read, then trust.
                    while let Some(Some(message)) = messages.next().now_or_never() {
                        apply(
                            &live,
                            &key_prefix,
                            message.get_payload::<String>().ok().as_deref(),
                        );
                    }
                    live.trust();
                    backoff = Duration::from_millis(100);
                }
                Ok(false) => {
                    live.overflow();
                    tracing::warn!(
                        capacity,
                        "revocation replica: more revocations than it holds; checks ask Redis"
                    );
                }
                Err(error) => {
                    tracing::warn!(%error, "revocation replica: not trusted (reading the revocations failed, or the subscription is silent); checks ask Redis");
                    drop(live);
                    // Subscribe and read again, after the backoff.
                    if replica.strong_count() == 0 {
                        return;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            }
            drop(live);
            heartbeat.heard();
            let mut swept = Instant::now();
            loop {
                heartbeat.beat_if_due(&redis, &channel).await;
                if heartbeat.is_silent() {
                    tracing::warn!("revocation replica: the subscription went silent");
                    break;
                }
                if swept.elapsed() >= reread {
                    swept = Instant::now();
                    // Merged in: what was written without a message, or
                    // room again after a full replica.
                    let loaded = read_all(&redis, &key_prefix, capacity).await;
                    let Some(live) = replica.upgrade() else {
                        return;
                    };
                    match loaded {
                        Ok(Some(set)) => {
                            let missing = live.missing_from(&set, unix_now());
                            if live.merge(set) && !live.is_trusted() {
                                live.trust();
                            }
                            restore(&redis, &channel, &missing).await;
                            // Redis answered all along: a long read (a big
                            // set) or write-back is no silence of the
                            // subscription (its messages wait, queued).
                            heartbeat.heard();
                        }
                        // Redis holds more than fits: some were never
                        // announced to this replica.
                        Ok(None) => live.overflow(),
                        // The messages still flow: the reread is the net
                        // under them, tried again next time.
                        Err(_) => live.sweep(),
                    }
                }
                match tokio::time::timeout(Heartbeat::INTERVAL, messages.next()).await {
                    Ok(Some(message)) => {
                        heartbeat.heard();
                        let Some(live) = replica.upgrade() else {
                            return;
                        };
                        apply(
                            &live,
                            &key_prefix,
                            message.get_payload::<String>().ok().as_deref(),
                        );
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
        let replica = Replica::new(10, DEFAULT_REREAD);
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
        assert_eq!(
            replica.lookup("a", 100),
            Some(true),
            "a held revocation answers while the replica is incomplete"
        );
        assert_eq!(replica.lookup("c", 100), None, "anything else asks Redis");
        assert_eq!(replica.lookup("a", 200), None, "an ended one asks Redis");
    }

    #[test]
    fn what_redis_lacks_is_found_for_giving_back() {
        let replica = Replica::new(10, DEFAULT_REREAD);
        assert!(replica.load(HashMap::from([
            (Box::from("a"), 200),
            (Box::from("b"), 300),
            (Box::from("forever"), u64::MAX),
        ])));
        let redis_now = HashMap::from([(Box::from("b"), 300)]);
        let mut missing = replica.missing_from(&redis_now, 100);
        missing.sort();
        assert_eq!(
            missing,
            vec![(Box::from("a"), 200), (Box::from("forever"), u64::MAX)]
        );
        assert_eq!(
            replica.missing_from(&redis_now, 250),
            vec![(Box::from("forever"), u64::MAX)],
            "an ended revocation is not given back"
        );
    }

    #[test]
    fn a_full_replica_stops_answering() {
        let replica = Replica::new(2, DEFAULT_REREAD);
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
        assert_eq!(replica.lookup("a", 0), None, "cleared when it overflowed");
    }

    #[test]
    fn only_this_store_s_keys_are_held_from_messages() {
        let replica = Replica::new(10, DEFAULT_REREAD);
        assert!(replica.load(HashMap::new()));
        apply(&replica, "app:revoked:", Some("500 app:revoked:a"));
        assert_eq!(replica.lookup("app:revoked:a", 100), Some(true));
        apply(&replica, "app:revoked:", Some("500 other:key"));
        assert_eq!(
            replica.lookup("other:key", 100),
            None,
            "not held, and the replica no longer claims to be complete"
        );
        let far = message("app:revoked:far", u64::MAX - 1);
        apply(&replica, "app:revoked:", Some(&far));
        let held = replica.missing_from(&HashMap::new(), 0);
        assert!(
            held.iter()
                .all(|(_, until)| *until <= 253_402_300_799 || *until == u64::MAX),
            "{held:?}"
        );
    }

    #[test]
    fn messages_and_patterns_are_read_exactly() {
        assert_eq!(parse_message(&message("j 1", 42)), Some(("j 1", 42)));
        assert_eq!(parse_message("42"), None);
        assert_eq!(parse_message("x j"), None);
        assert_eq!(glob_escape("app:[x]*?\\:"), "app:\\[x\\]\\*\\?\\\\:");
    }
}
