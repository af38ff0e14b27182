//! `LogThrottle`: log a recurring failure once per interval, not per request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Lets one caller through per interval. A store that is down fails every
/// request; its logs should say so once every few seconds, not thousands of
/// times a second.
///
/// ```
/// use std::time::Duration;
/// use shieldwall_core::LogThrottle;
///
/// let throttle = LogThrottle::new(Duration::from_secs(10));
/// assert!(throttle.allow_at(100));
/// assert!(!throttle.allow_at(105));
/// assert!(throttle.allow_at(110));
/// ```
#[derive(Debug)]
pub struct LogThrottle {
    last: AtomicU64,
    interval: u64,
}

impl LogThrottle {
    /// One pass per `interval` (at least a second).
    #[must_use]
    pub const fn new(interval: Duration) -> Self {
        let secs = interval.as_secs();
        Self {
            last: AtomicU64::new(0),
            interval: if secs == 0 { 1 } else { secs },
        }
    }

    /// Whether to log now (wall clock).
    #[must_use]
    pub fn allow(&self) -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.allow_at(now)
    }

    /// Whether to log at `unix_seconds`.
    #[must_use]
    pub fn allow_at(&self, unix_seconds: u64) -> bool {
        let last = self.last.load(Ordering::Relaxed);
        if last != 0 && unix_seconds.saturating_sub(last) < self.interval {
            return false;
        }
        self.last
            .compare_exchange(
                last,
                unix_seconds.max(1),
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_ok()
    }
}
