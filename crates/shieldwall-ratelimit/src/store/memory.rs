//! Counts in this process: sharded, no global lock, bounded.

use std::hash::{BuildHasher, Hasher, RandomState};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use hashbrown::HashTable;
use shieldwall_core::{Clock, LogThrottle, StoreError};

use super::RateStore;
use crate::algorithm::{self, State};
use crate::{Algorithm, KeyBytes, Policy, Quota, Reservation, Verdict};

const SHARDS: usize = 64;

/// Keys up to this long live inside the entry: an address key (6 or 18
/// bytes) is compared without following a pointer.
const INLINE: usize = 22;

/// A key as the table holds it.
enum StoredKey {
    Inline(u8, [u8; INLINE]),
    Heap(Box<[u8]>),
}

impl StoredKey {
    fn new(key: &[u8]) -> Self {
        let mut inline = [0; INLINE];
        match (inline.get_mut(..key.len()), u8::try_from(key.len())) {
            (Some(prefix), Ok(len)) => {
                prefix.copy_from_slice(key);
                Self::Inline(len, inline)
            }
            _ => Self::Heap(Box::from(key)),
        }
    }

    /// Byte by byte: short keys compare faster than through `memcmp`.
    fn is(&self, key: &[u8]) -> bool {
        match self {
            Self::Inline(len, bytes) => {
                usize::from(*len) == key.len() && bytes.iter().zip(key).all(|(a, b)| a == b)
            }
            Self::Heap(bytes) => **bytes == *key,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Inline(len, bytes) => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Self::Heap(bytes) => bytes,
        }
    }
}

/// One key's state as a table holds it.
trait Cell: Send + Sync + 'static {
    fn fresh() -> Self;
    fn load(&self) -> State;
    fn update<T>(&self, step: impl FnMut(&mut State) -> T) -> Result<T, StoreError>;
}

/// GCRA's state is one number, updated lock-free: a compare-and-swap loop
/// that writes back only a changed state.
impl Cell for AtomicU64 {
    fn fresh() -> Self {
        Self::new(0)
    }

    fn load(&self) -> State {
        State {
            a: self.load(Ordering::Acquire),
            b: 0,
        }
    }

    fn update<T>(&self, mut step: impl FnMut(&mut State) -> T) -> Result<T, StoreError> {
        let mut current = self.load(Ordering::Acquire);
        loop {
            let mut state = State { a: current, b: 0 };
            let out = step(&mut state);
            if state.a == current {
                return Ok(out);
            }
            match self.compare_exchange_weak(current, state.a, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Ok(out),
                Err(actual) => current = actual,
            }
        }
    }
}

/// A window's state is two numbers, under the entry's own lock.
impl Cell for Mutex<State> {
    fn fresh() -> Self {
        Self::new(State::default())
    }

    fn load(&self) -> State {
        self.lock().map_or(State::default(), |s| *s)
    }

    fn update<T>(&self, mut step: impl FnMut(&mut State) -> T) -> Result<T, StoreError> {
        let mut state = self.lock().map_err(|_| poisoned())?;
        Ok(step(&mut state))
    }
}

struct Entry<C> {
    key: StoredKey,
    cell: C,
}

/// One shard, alone on its cache lines: readers of one shard do not slow
/// down readers of its neighbours.
#[repr(align(128))]
struct Shard<C>(RwLock<ShardTable<C>>);

struct ShardTable<C> {
    entries: HashTable<Entry<C>>,
    /// The size at which a new key next makes the shard forget idle keys:
    /// the bound, or half as much again as what the last sweep left, so that
    /// sweeps cost O(1) per new key however many keys are limited.
    sweep_at: usize,
    /// When the last sweep ran (the store's clock, nanoseconds).
    last_sweep: u64,
}

/// The key new clients share once a shard holds twice its bound of keys
/// that are all limiting someone (no real key is empty: each has a tag).
const OVERFLOW: &[u8] = b"";

/// How often a shard at its hard cap tries to forget idle keys again.
const SWEEP_PAUSE_NANOS: u64 = 1_000_000_000;

/// The sharded table of one store: a check only read-locks its shard (the
/// write lock is for new keys), so requests for different keys do not wait
/// on each other.
struct Table<C> {
    shards: Box<[Shard<C>]>,
    per_shard: usize,
    hasher: RandomState,
}

impl<C: Cell> Table<C> {
    fn new(max_keys: usize) -> Self {
        let per_shard = max_keys.div_ceil(SHARDS).max(1);
        Self {
            shards: (0..SHARDS)
                .map(|_| {
                    Shard(RwLock::new(ShardTable {
                        entries: HashTable::new(),
                        sweep_at: per_shard,
                        last_sweep: 0,
                    }))
                })
                .collect(),
            per_shard,
            hasher: RandomState::new(),
        }
    }

    /// Runs `step` on the state of `key`, creating it when `create` is set.
    /// A new key at the bound first makes its shard forget the keys `idle`
    /// says a fresh state would equal at `now()`; past twice the bound (every
    /// key limiting someone), new keys share the shard's overflow count.
    fn with_state<T>(
        &self,
        key: &[u8],
        create: bool,
        now: &dyn Fn() -> u64,
        idle: impl Fn(&State, u64) -> bool,
        mut step: impl FnMut(&mut State) -> T,
    ) -> Result<Option<T>, StoreError> {
        // Keyed: clients cannot aim their keys at one bucket. The shard is
        // picked by bits the table does not look at first.
        let hash = self.hash(key);
        #[allow(
            clippy::cast_possible_truncation,
            reason = "only the low bits pick a shard"
        )]
        let shard = self
            .shards
            .get((hash >> 40) as usize % SHARDS)
            .ok_or_else(poisoned)?;
        {
            let table = shard.0.read().map_err(|_| poisoned())?;
            if let Some(entry) = table.entries.find(hash, |e| e.key.is(key)) {
                return entry.cell.update(&mut step).map(Some);
            }
        }
        if !create {
            return Ok(None);
        }
        let mut table = shard.0.write().map_err(|_| poisoned())?;
        // Another request may have created it between the two locks.
        if let Some(entry) = table.entries.find(hash, |e| e.key.is(key)) {
            return entry.cell.update(&mut step).map(Some);
        }
        let cap = self.per_shard.saturating_mul(2);
        let len = table.entries.len();
        if len >= table.sweep_at
            || (len >= cap && now().saturating_sub(table.last_sweep) >= SWEEP_PAUSE_NANOS)
        {
            let at = now();
            table.entries.retain(|e| !idle(&e.cell.load(), at));
            let left = table.entries.len();
            table.last_sweep = at;
            table.sweep_at = if left < self.per_shard {
                self.per_shard
            } else {
                left.saturating_add(left / 2)
            };
            if left >= self.per_shard && OVER_BOUND.allow() {
                tracing::warn!(
                    keys = left,
                    "rate-limit memory store past its bound: every key is limiting a client"
                );
            }
        }
        let (key, hash) = if table.entries.len() >= cap {
            (OVERFLOW, self.hash(OVERFLOW))
        } else {
            (key, hash)
        };
        if let Some(entry) = table.entries.find(hash, |e| e.key.is(key)) {
            return entry.cell.update(&mut step).map(Some);
        }
        let entry = Entry {
            key: StoredKey::new(key),
            cell: C::fresh(),
        };
        let hasher = &self.hasher;
        let entry = table
            .entries
            .insert_unique(hash, entry, |e| hash_key(hasher, e.key.as_bytes()))
            .into_mut();
        entry.cell.update(step).map(Some)
    }

    fn hash(&self, key: &[u8]) -> u64 {
        hash_key(&self.hasher, key)
    }

    fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.0.read().map_or(0, |t| t.entries.len()))
            .sum()
    }
}

/// SipHash of the bytes alone: its last block carries the length, so no
/// length prefix is needed to tell keys apart.
fn hash_key(hasher: &RandomState, key: &[u8]) -> u64 {
    let mut state = hasher.build_hasher();
    state.write(key);
    state.finish()
}

/// Warned once a minute, whichever store is past its bound.
static OVER_BOUND: LogThrottle = LogThrottle::new(Duration::from_secs(60));

/// The tables of the two kinds of state.
enum Tables {
    Gcra(Table<AtomicU64>),
    Window(Table<Mutex<State>>),
}

/// The clock the store reads unless told otherwise: the CPU's time-stamp
/// counter where it is invariant (through `quanta`, as governor does), the
/// operating system's monotonic clock where it is not. Reading it costs a
/// fraction of `Instant::now` on the hot path.
#[derive(Clone, Debug)]
struct CounterClock {
    counter: quanta::Clock,
    start: u64,
}

impl CounterClock {
    fn new() -> Self {
        let counter = quanta::Clock::new();
        let start = counter.raw();
        Self { counter, start }
    }

    fn nanos(&self) -> u64 {
        self.counter.delta_as_nanos(self.start, self.counter.raw())
    }
}

impl Clock for CounterClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn monotonic(&self) -> Duration {
        Duration::from_nanos(self.nanos())
    }
}

/// Counts in memory for one policy: 64 shards of a hash table, each behind a
/// read-write lock that a check only reads, one keyed hash per check, short
/// keys stored inline, GCRA state updated without a lock (32 bytes a key).
///
/// Made by [`RateLimiter::memory`](crate::RateLimiter::memory) (or a
/// [`RateLimiterBuilder`](crate::RateLimiterBuilder)) for the limiter's own
/// policy, and reached through [`RateLimiter::store`](crate::RateLimiter::store).
///
/// Bounded: past `max_keys`, a shard forgets keys whose state a fresh one
/// would equal (a full bucket, a past window), which never resets a client
/// that is being limited. If every key is still limiting someone, the shard
/// grows past the bound rather than forgetting them (and says so, once per
/// minute), sweeping again only after growing by half, so a new key costs
/// O(1) however many are limited. At twice the bound, new clients share one
/// count per shard: limited together rather than not at all, in a memory
/// that stops growing.
pub struct MemoryStore {
    quota: Quota,
    algorithm: Algorithm,
    tables: Tables,
    max_keys: usize,
    clock: StoreClock,
}

/// The counter clock, called directly, or a clock given to the store.
enum StoreClock {
    Counter(CounterClock),
    Given(Arc<dyn Clock>),
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("quota", &self.quota)
            .field("algorithm", &self.algorithm)
            .field("max_keys", &self.max_keys)
            .finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// A store for `policy`, holding up to `max_keys` keys before it forgets
    /// idle ones, on `clock` (the CPU's counter when none is given). Made by
    /// a limiter only, from its own policy.
    pub(crate) fn new(
        policy: &Policy,
        max_keys: NonZeroUsize,
        clock: Option<Arc<dyn Clock>>,
    ) -> Self {
        let clock = match clock {
            Some(clock) => StoreClock::Given(clock),
            None => StoreClock::Counter(CounterClock::new()),
        };
        let max_keys = max_keys.get();
        let tables = match policy.algorithm {
            Algorithm::Gcra => Tables::Gcra(Table::new(max_keys)),
            Algorithm::FixedWindow | Algorithm::SlidingWindow => {
                Tables::Window(Table::new(max_keys))
            }
        };
        Self {
            quota: policy.quota,
            algorithm: policy.algorithm,
            tables,
            max_keys,
            clock,
        }
    }

    fn now(&self) -> u64 {
        match &self.clock {
            StoreClock::Counter(clock) => clock.nanos(),
            StoreClock::Given(clock) => {
                u64::try_from(clock.monotonic().as_nanos()).unwrap_or(u64::MAX)
            }
        }
    }

    fn with_state<T>(
        &self,
        key: &[u8],
        create: bool,
        step: impl FnMut(&mut State) -> T,
    ) -> Result<Option<T>, StoreError> {
        let (algorithm, quota) = (self.algorithm, self.quota);
        let idle = |state: &State, now: u64| algorithm::is_idle(algorithm, &quota, state, now);
        let now = || self.now();
        match &self.tables {
            Tables::Gcra(table) => table.with_state(key, create, &now, idle, step),
            Tables::Window(table) => table.with_state(key, create, &now, idle, step),
        }
    }

    /// Decides now, without awaiting (the store never waits).
    pub fn check_now(&self, key: &[u8], cost: u32) -> Result<Verdict, StoreError> {
        let (algorithm, quota) = (self.algorithm, self.quota);
        // The clock is read on the first try, under the entry's lock for the
        // windows (a window must never see time go back), and kept for the
        // retries of a lost compare-and-swap (GCRA), as governor does.
        let mut now = None;
        let verdict = self.with_state(key, true, |state| {
            let now = *now.get_or_insert_with(|| self.now());
            algorithm::decide(algorithm, &quota, state, now, cost)
        })?;
        verdict.ok_or_else(poisoned)
    }

    /// Gives back a reservation now.
    pub fn refund_now(&self, key: &[u8], reservation: Reservation) -> Result<(), StoreError> {
        let (algorithm, quota) = (self.algorithm, self.quota);
        let mut now = None;
        self.with_state(key, false, |state| {
            let now = *now.get_or_insert_with(|| self.now());
            algorithm::refund(algorithm, &quota, state, now, reservation)
        })?;
        Ok(())
    }

    /// How many keys are held.
    #[must_use]
    pub fn len(&self) -> usize {
        match &self.tables {
            Tables::Gcra(table) => table.len(),
            Tables::Window(table) => table.len(),
        }
    }

    /// Whether none is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn poisoned() -> StoreError {
    StoreError::new(
        "rate-limit store",
        "a thread panicked while holding the lock",
    )
}

impl RateStore for MemoryStore {
    async fn check(&self, key: &KeyBytes, cost: u32) -> Result<Verdict, StoreError> {
        self.check_now(key.as_bytes(), cost)
    }

    async fn refund(&self, key: &KeyBytes, reservation: Reservation) -> Result<(), StoreError> {
        self.refund_now(key.as_bytes(), reservation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shieldwall_core::ManualClock;
    use std::time::Duration;

    #[test]
    fn the_bound_forgets_only_idle_keys() {
        let policy = Policy::builder("p", "2/1m".parse().unwrap())
            .build()
            .unwrap();
        let clock = ManualClock::at_unix_seconds(1000);
        let store = MemoryStore::new(
            &policy,
            NonZeroUsize::new(64).unwrap(),
            Some(Arc::new(clock.clone())),
        );
        // Limit one client.
        for _ in 0..2 {
            assert!(store.check_now(b"limited", 1).unwrap().allowed);
        }
        assert!(!store.check_now(b"limited", 1).unwrap().allowed);
        // Fill the store with one-off clients, which refill over a minute.
        for i in 0..2000_u32 {
            store.check_now(&i.to_be_bytes(), 1).unwrap();
        }
        clock.advance(Duration::from_secs(31));
        for i in 2000..4000_u32 {
            store.check_now(&i.to_be_bytes(), 1).unwrap();
        }
        assert!(
            store.len() < 4000,
            "idle keys were forgotten: {}",
            store.len()
        );
        // The limited client is still limited (its bucket has refilled only one of two).
        assert!(store.check_now(b"limited", 1).unwrap().allowed);
        assert!(!store.check_now(b"limited", 1).unwrap().allowed);
    }

    #[test]
    fn spraying_keys_cannot_grow_the_store_or_pass_unlimited() {
        let policy = Policy::builder("p", "1/1h".parse().unwrap())
            .build()
            .unwrap();
        let clock = ManualClock::at_unix_seconds(1000);
        let store = MemoryStore::new(
            &policy,
            NonZeroUsize::new(64).unwrap(),
            Some(Arc::new(clock.clone())),
        );
        // Every key stays limited for an hour: nothing can be forgotten.
        let allowed = (0..10_000_u32)
            .filter(|i| store.check_now(&i.to_be_bytes(), 1).unwrap().allowed)
            .count();
        // 64 shards: at most twice the bound of own keys, plus one shared count each.
        assert!(store.len() <= 3 * 64, "{}", store.len());
        assert!(allowed <= 3 * 64, "{allowed} of 10 000 sprayed keys passed");
        // An hour later the keys are idle and forgotten; new clients get their own counts.
        clock.advance(Duration::from_secs(3601));
        assert!(store.check_now(b"newcomer", 1).unwrap().allowed);
        assert!(!store.check_now(b"newcomer", 1).unwrap().allowed);
    }
}
