//! Nonces in this process, bounded, never evicting one before its time.

use std::collections::hash_map::{Entry, RandomState};
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use shieldwall_core::{Clock, LogThrottle, StoreError, SystemClock};

use super::NonceStore;

/// How many nonces a store holds unless told otherwise.
pub const DEFAULT_NONCE_CAPACITY: NonZeroUsize = match NonZeroUsize::new(100_000) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

/// Nonces in memory, each until its time-to-live ends (measured on the
/// clock's monotonic time). Fits one instance: other processes do not see
/// these nonces (use the Redis store for that).
///
/// **Bounded, and fails closed.** It holds at most `capacity` nonces.
/// Expired ones are dropped as new ones arrive; a nonce whose time is not up
/// is never dropped to make room, because forgetting it would let its
/// request be replayed. When every slot holds a live nonce, a new one is
/// refused with a store error, which the verifier answers with 503
/// `SERVICE_UNAVAILABLE` (and logs once every 10 s) until nonces expire.
/// A full store looks through its entries for expired ones at most every
/// 250 ms (the oldest arrivals are dropped as they expire in any case), so
/// refusing costs what accepting does.
/// Size it for the signed requests of one window plus the clock-skew margin.
///
/// Pairs are kept as a 128-bit keyed hash (two SipHash-1-3 with random keys
/// of this store): no allocation per nonce, and a client cannot aim for a
/// collision; two different pairs colliding by chance (about `n² / 2¹²⁹`)
/// would refuse the later one, never accept a replay.
///
/// ```
/// use std::num::NonZeroUsize;
/// use shieldwall_signing::MemoryNonceStore;
///
/// let store = MemoryNonceStore::new().capacity(NonZeroUsize::new(10_000).unwrap());
/// assert_eq!(store.len(), 0);
/// ```
#[derive(Debug)]
pub struct MemoryNonceStore {
    state: Mutex<State>,
    capacity: usize,
    clock: Arc<dyn DebugClock>,
    hashers: [RandomState; 2],
    full_log: LogThrottle,
}

trait DebugClock: Clock + std::fmt::Debug {}
impl<T: Clock + std::fmt::Debug> DebugClock for T {}

/// A `(keyid, nonce)` pair as its 128-bit keyed hash, in two halves (so
/// that a table entry, with its time, takes 24 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pair(u64, u64);

impl Hash for Pair {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // One half of a keyed hash is already uniform (equal pairs have equal halves).
        state.write_u64(self.0);
    }
}

/// The table's own hasher: its keys are already keyed hashes.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

#[derive(Debug, Default)]
struct State {
    /// Pair → when it may be forgotten (monotonic nanoseconds).
    until: HashMap<Pair, u64, BuildHasherDefault<PassThrough>>,
    /// `(until, pair)` in arrival order. An entry whose `until` is no longer
    /// the table's (it expired and came back) is skipped when popped.
    arrivals: VecDeque<(u64, Pair)>,
    /// When a full store last looked through every entry for expired ones
    /// (monotonic nanoseconds).
    last_full_purge: Option<u64>,
}

/// How long a full store refuses new nonces at once before it looks
/// through every entry again: the look costs O(capacity) under the lock,
/// and done for every refused request it would take the instance down
/// with the store (a full store of 100 000 nonces refusing 1 000 signed
/// requests a second would walk 10⁸ entries a second).
const FULL_PURGE_PAUSE_NANOS: u64 = 250_000_000;

impl State {
    /// Forgets the expired entries at the front of the arrival queue.
    fn purge_front(&mut self, now: u64) {
        while let Some(&(until, pair)) = self.arrivals.front() {
            if until > now {
                break;
            }
            self.arrivals.pop_front();
            if let Entry::Occupied(entry) = self.until.entry(pair)
                && *entry.get() == until
            {
                entry.remove();
            }
        }
    }

    /// Forgets every expired entry (when full: a longer-lived entry at the
    /// front can hold expired ones behind it).
    fn purge_all(&mut self, now: u64) {
        self.until.retain(|_, until| *until > now);
        let until = &self.until;
        self.arrivals
            .retain(|(at, pair)| until.get(pair) == Some(at));
    }
}

impl Default for MemoryNonceStore {
    fn default() -> Self {
        Self::new()
    }
}

/// Hashes `(key_id, nonce)` with `hasher`; the length prefix keeps
/// `("k", "1n")` and `("k1", "n")` apart.
fn hash_pair(hasher: &RandomState, key_id: &str, nonce: &str) -> u64 {
    let mut state = hasher.build_hasher();
    state.write_usize(key_id.len());
    state.write(key_id.as_bytes());
    state.write(nonce.as_bytes());
    state.finish()
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

impl MemoryNonceStore {
    /// An empty store of [`DEFAULT_NONCE_CAPACITY`] on the system clock.
    #[must_use]
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State::default()),
            capacity: DEFAULT_NONCE_CAPACITY.get(),
            clock: Arc::new(SystemClock::new()),
            hashers: [RandomState::new(), RandomState::new()],
            full_log: LogThrottle::new(Duration::from_secs(10)),
        }
    }

    /// Holds at most `capacity` live nonces.
    #[must_use]
    pub fn capacity(mut self, capacity: NonZeroUsize) -> Self {
        self.capacity = capacity.get();
        self
    }

    /// Measures time-to-live on `clock` (a manual clock in tests).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock + std::fmt::Debug) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// How many nonces are held (expired ones not yet dropped included).
    #[must_use]
    pub fn len(&self) -> usize {
        self.state.lock().map_or(0, |s| s.until.len())
    }

    /// Whether none is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// [`NonceStore::remember_nonce`], without a future.
    pub fn remember_now(
        &self,
        key_id: &str,
        nonce: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let now = nanos(self.clock.monotonic());
        let until = now.saturating_add(nanos(ttl));
        let [first, second] = &self.hashers;
        let pair = Pair(
            hash_pair(first, key_id, nonce),
            hash_pair(second, key_id, nonce),
        );
        let mut state = self.state.lock().map_err(|_| {
            StoreError::new("nonce store", "a thread panicked while holding the lock")
        })?;
        state.purge_front(now);
        let held = state.until.len();
        let full = match state.until.entry(pair) {
            Entry::Occupied(entry) if *entry.get() > now => return Ok(false),
            // Expired but not yet dropped: remembered anew, in its own slot.
            Entry::Occupied(mut entry) => {
                entry.insert(until);
                false
            }
            Entry::Vacant(entry) if held < self.capacity => {
                entry.insert(until);
                false
            }
            Entry::Vacant(_) => true,
        };
        if full {
            let due = state
                .last_full_purge
                .is_none_or(|at| now.saturating_sub(at) >= FULL_PURGE_PAUSE_NANOS);
            if due {
                state.purge_all(now);
                state.last_full_purge = Some(now);
            }
            if state.until.len() >= self.capacity {
                drop(state);
                if self.full_log.allow() {
                    tracing::warn!(
                        capacity = self.capacity,
                        "nonce store full of live nonces; refusing signed requests until some expire"
                    );
                }
                return Err(StoreError::new(
                    "nonce store",
                    "full: every remembered nonce is still live",
                ));
            }
            state.until.insert(pair, until);
        }
        state.arrivals.push_back((until, pair));
        Ok(true)
    }
}

impl NonceStore for MemoryNonceStore {
    async fn remember_nonce(
        &self,
        key_id: &str,
        nonce: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        self.remember_now(key_id, nonce, ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shieldwall_core::ManualClock;

    fn store(capacity: usize, clock: &ManualClock) -> MemoryNonceStore {
        MemoryNonceStore::new()
            .capacity(NonZeroUsize::new(capacity).unwrap())
            .clock(clock.clone())
    }

    #[test]
    fn a_pair_is_new_once_until_its_ttl_ends() {
        let clock = ManualClock::at_unix_seconds(1_000);
        let s = store(10, &clock);
        let ttl = Duration::from_secs(60);
        assert!(s.remember_now("k", "n1", ttl).unwrap());
        assert!(!s.remember_now("k", "n1", ttl).unwrap());
        assert!(s.remember_now("k2", "n1", ttl).unwrap(), "per key");
        // No collision between ("k", "1n") and ("k1", "n").
        assert!(s.remember_now("k1", "n", ttl).unwrap());
        assert!(s.remember_now("k", "1n", ttl).unwrap());
        clock.advance(Duration::from_secs(59));
        assert!(!s.remember_now("k", "n1", ttl).unwrap());
        clock.advance(Duration::from_secs(1));
        assert!(
            s.remember_now("k", "n1", ttl).unwrap(),
            "forgotten at its time"
        );
    }

    #[test]
    fn an_expired_entry_behind_a_longer_one_makes_room_when_full() {
        let clock = ManualClock::at_unix_seconds(1_000);
        let s = store(2, &clock);
        assert!(
            s.remember_now("k", "long", Duration::from_secs(100))
                .unwrap()
        );
        assert!(
            s.remember_now("k", "short", Duration::from_secs(10))
                .unwrap()
        );
        clock.advance(Duration::from_secs(10));
        // "short" expired behind "long": found as expired, then swept.
        assert!(
            s.remember_now("k", "short", Duration::from_secs(10))
                .unwrap()
        );
        clock.advance(Duration::from_secs(10));
        assert!(s.remember_now("k", "new", Duration::from_secs(10)).unwrap());
        assert!(
            !s.remember_now("k", "long", Duration::from_secs(10))
                .unwrap()
        );
        assert!(
            s.remember_now("k", "more", Duration::from_secs(10))
                .is_err()
        );
    }

    #[test]
    fn a_full_store_looks_for_room_at_most_every_250_ms() {
        let clock = ManualClock::at_unix_seconds(1_000);
        let s = store(2, &clock);
        // A long-lived nonce at the front hides a short one behind it from
        // the cheap purge of the front.
        let long = Duration::from_secs(100);
        assert!(s.remember_now("k", "long", long).unwrap());
        assert!(
            s.remember_now("k", "short", Duration::from_millis(100))
                .unwrap()
        );
        // Full: the first refusal looks through every entry (none expired).
        assert!(s.remember_now("k", "a", long).is_err());
        // "short" has expired, but within the pause the store does not look
        // again: refused at once.
        clock.advance(Duration::from_millis(150));
        assert!(s.remember_now("k", "b", long).is_err());
        // Past the pause it looks, finds "short" expired, and takes the new one.
        clock.advance(Duration::from_millis(100));
        assert!(s.remember_now("k", "c", long).unwrap());
        assert!(!s.remember_now("k", "long", long).unwrap());
        assert!(!s.remember_now("k", "c", long).unwrap());
    }

    #[test]
    fn a_full_store_refuses_rather_than_forgetting_a_live_nonce() {
        let clock = ManualClock::at_unix_seconds(1_000);
        let s = store(2, &clock);
        assert!(s.remember_now("k", "a", Duration::from_secs(10)).unwrap());
        assert!(s.remember_now("k", "b", Duration::from_secs(100)).unwrap());
        let err = s
            .remember_now("k", "c", Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(err.what(), "nonce store");
        // Both live nonces are still remembered.
        assert!(!s.remember_now("k", "a", Duration::from_secs(10)).unwrap());
        assert!(!s.remember_now("k", "b", Duration::from_secs(10)).unwrap());
        // Once one expires, there is room again.
        clock.advance(Duration::from_secs(10));
        assert!(s.remember_now("k", "c", Duration::from_secs(10)).unwrap());
        assert!(!s.remember_now("k", "b", Duration::from_secs(10)).unwrap());
        assert_eq!(s.len(), 2);
    }
}
