//! Time, injected: the system clock in production, a manual clock in tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of time: wall-clock for timestamps, monotonic for intervals.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// Time since a fixed point, never going backwards: what rate limits
    /// and timeouts measure with. The default follows the wall clock.
    fn monotonic(&self) -> Duration {
        self.now().duration_since(UNIX_EPOCH).unwrap_or_default()
    }

    /// Seconds since the Unix epoch (0 for times before it).
    fn unix_seconds(&self) -> u64 {
        self.now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// The operating system's clock.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl SystemClock {
    /// The system clock.
    #[must_use]
    pub const fn new() -> Self {
        Self
    }
}

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    /// Time since the first call in this process (`Instant`, not the wall clock).
    fn monotonic(&self) -> Duration {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START.get_or_init(std::time::Instant::now).elapsed()
    }
}

/// A clock that moves only when told to; clones share the same time.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use shieldwall_core::{Clock, ManualClock};
///
/// let clock = ManualClock::at_unix_seconds(1_700_000_000);
/// clock.advance(Duration::from_secs(30));
/// assert_eq!(clock.unix_seconds(), 1_700_000_030);
/// ```
#[derive(Clone, Debug)]
pub struct ManualClock {
    nanos_since_epoch: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock standing at `unix_seconds`.
    #[must_use]
    pub fn at_unix_seconds(unix_seconds: u64) -> Self {
        Self {
            nanos_since_epoch: Arc::new(AtomicU64::new(unix_seconds.saturating_mul(1_000_000_000))),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.nanos_since_epoch.fetch_add(nanos, Ordering::SeqCst);
    }

    /// Sets the clock (backwards too: a real clock can jump).
    pub fn set(&self, to: SystemTime) {
        let nanos = to
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        self.nanos_since_epoch.store(nanos, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.nanos_since_epoch.load(Ordering::SeqCst))
    }

    fn monotonic(&self) -> Duration {
        Duration::from_nanos(self.nanos_since_epoch.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = ManualClock::at_unix_seconds(100);
        let other = clock.clone();
        assert_eq!(clock.unix_seconds(), 100);
        other.advance(Duration::from_millis(1500));
        assert_eq!(clock.unix_seconds(), 101);
        clock.set(UNIX_EPOCH + Duration::from_secs(5));
        assert_eq!(other.unix_seconds(), 5);
    }

    #[test]
    fn system_clock_is_after_2020_and_monotonic_never_goes_back() {
        let clock = SystemClock::new();
        assert!(clock.unix_seconds() > 1_577_836_800);
        let a = clock.monotonic();
        let b = clock.monotonic();
        assert!(b >= a);
        let manual = ManualClock::at_unix_seconds(10);
        manual.advance(Duration::from_millis(5));
        assert_eq!(manual.monotonic(), Duration::from_millis(10_005));
    }
}
