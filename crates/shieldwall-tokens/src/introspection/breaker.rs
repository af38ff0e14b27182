//! The circuit breaker in front of the introspection endpoint: the shape of
//! shieldwall-redis's (consecutive failures, an open-until time on a
//! monotonic clock, one probe when half-open), on its own counts, so that an
//! identity provider that is down does not open Redis's breaker nor the
//! other way round.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use shieldwall_core::Clock;
use shieldwall_core::telemetry::BreakerState;

/// Consecutive failures and an open-until time. Lock-free: a closed breaker
/// costs one atomic load per call.
pub(crate) struct Breaker {
    threshold: u32,
    cooldown: Duration,
    cooldown_nanos: u64,
    failures: AtomicU32,
    /// Until when the circuit is open (the clock's monotonic nanoseconds); 0
    /// while closed.
    open_until: AtomicU64,
    probing: AtomicBool,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Breaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Breaker")
            .field("state", &self.state())
            .field("threshold", &self.threshold)
            .field("cooldown", &self.cooldown)
            .finish_non_exhaustive()
    }
}

/// Leave to call the endpoint once; its outcome is told with
/// [`Permit::success`] or [`Permit::failure`]. A probe dropped untold (its
/// caller went away) frees the probe slot.
#[must_use]
pub(crate) struct Permit<'a> {
    breaker: &'a Breaker,
    probe: bool,
}

impl Permit<'_> {
    /// The endpoint gave a usable answer.
    pub(crate) fn success(self) {
        self.breaker.success(self.probe);
    }

    /// The endpoint failed (unreachable, too slow, 5xx, an unusable answer).
    pub(crate) fn failure(self) {
        self.breaker.failure(self.probe);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.probe {
            self.breaker.probing.store(false, Ordering::Release);
        }
    }
}

impl Breaker {
    pub(crate) fn new(threshold: NonZeroU32, cooldown: Duration, clock: Arc<dyn Clock>) -> Self {
        Self {
            threshold: threshold.get(),
            cooldown,
            // At least 1 ns: an open-until time is never 0, which means closed.
            cooldown_nanos: nanos(cooldown).max(1),
            failures: AtomicU32::new(0),
            open_until: AtomicU64::new(0),
            probing: AtomicBool::new(false),
            clock,
        }
    }

    fn now(&self) -> u64 {
        nanos(self.clock.monotonic())
    }

    pub(crate) fn state(&self) -> BreakerState {
        match self.open_until.load(Ordering::Acquire) {
            0 => BreakerState::Closed,
            until if self.now() < until => BreakerState::Open,
            _ => BreakerState::HalfOpen,
        }
    }

    /// Whole seconds until the cool-down ends (at least 1): the
    /// `Retry-After` of a refusal.
    pub(crate) fn retry_after_secs(&self) -> u64 {
        let left = self
            .open_until
            .load(Ordering::Acquire)
            .saturating_sub(self.now());
        left.div_ceil(1_000_000_000).max(1)
    }

    /// Leave to call, or `None` while the circuit is open (or a probe runs).
    pub(crate) fn permit(&self) -> Option<Permit<'_>> {
        match self.state() {
            BreakerState::Closed => {
                return Some(Permit {
                    breaker: self,
                    probe: false,
                });
            }
            BreakerState::HalfOpen => {}
            _ => return None,
        }
        self.probing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .ok()?;
        let probe = Permit {
            breaker: self,
            probe: true,
        };
        // A probe that ended just now may have closed or opened the circuit;
        // dropping `probe` frees the slot.
        match self.state() {
            BreakerState::Closed => Some(Permit {
                breaker: self,
                probe: false,
            }),
            BreakerState::HalfOpen => Some(probe),
            _ => None,
        }
    }

    fn success(&self, probe: bool) {
        if self.failures.load(Ordering::Acquire) != 0 {
            self.failures.store(0, Ordering::Release);
        }
        if probe {
            self.open_until.store(0, Ordering::Release);
            tracing::info!(
                "the introspection endpoint answers again; its circuit breaker is closed"
            );
        }
    }

    fn failure(&self, probe: bool) {
        let failures = self
            .failures
            .fetch_add(1, Ordering::AcqRel)
            .saturating_add(1);
        if probe || failures >= self.threshold {
            self.failures.store(0, Ordering::Release);
            let until = self.now().saturating_add(self.cooldown_nanos);
            let was = self.open_until.swap(until, Ordering::AcqRel);
            if was == 0 {
                tracing::warn!(
                    failures = self.threshold,
                    cooldown = ?self.cooldown,
                    "the introspection endpoint keeps failing; its circuit breaker is open: \
                     opaque tokens are refused with 503 at once until the cool-down ends"
                );
            }
        }
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use shieldwall_core::ManualClock;

    fn breaker(clock: &ManualClock) -> Breaker {
        Breaker::new(
            NonZeroU32::new(3).unwrap(),
            Duration::from_secs(2),
            Arc::new(clock.clone()),
        )
    }

    #[test]
    fn opens_after_the_threshold_then_one_probe_closes_it() {
        let clock = ManualClock::at_unix_seconds(1_000);
        let b = breaker(&clock);
        b.permit().unwrap().failure();
        b.permit().unwrap().failure();
        b.permit().unwrap().success();
        b.permit().unwrap().failure();
        b.permit().unwrap().failure();
        assert_eq!(b.state(), BreakerState::Closed);
        b.permit().unwrap().failure();
        assert_eq!(b.state(), BreakerState::Open);
        assert!(b.permit().is_none());
        assert_eq!(b.retry_after_secs(), 2);
        clock.advance(Duration::from_millis(1500));
        assert_eq!(b.retry_after_secs(), 1);
        assert!(b.permit().is_none());
        clock.advance(Duration::from_millis(500));
        assert_eq!(b.state(), BreakerState::HalfOpen);
        let probe = b.permit().unwrap();
        assert!(b.permit().is_none(), "one probe at a time");
        probe.success();
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn a_failed_or_dropped_probe() {
        let clock = ManualClock::at_unix_seconds(1_000);
        let b = breaker(&clock);
        for _ in 0..3 {
            b.permit().unwrap().failure();
        }
        clock.advance(Duration::from_secs(2));
        drop(b.permit().unwrap());
        b.permit().unwrap().failure();
        assert_eq!(b.state(), BreakerState::Open);
        clock.advance(Duration::from_secs(2));
        b.permit().unwrap().success();
        assert_eq!(b.state(), BreakerState::Closed);
    }
}
