//! The circuit breaker every command through a [`Redis`](crate::Redis) handle passes.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use shieldwall_core::{Clock, telemetry};

use crate::RedisError;

/// Where a [`Redis`](crate::Redis) handle's circuit breaker stands (the
/// same states the breaker's metrics count).
pub use shieldwall_core::telemetry::BreakerState;

/// Consecutive failures, an open-until time on the handle's clock, and the
/// one probe of the half-open state. Lock-free: a closed breaker costs one
/// atomic load per command, and a write only after a failure.
pub(crate) struct CircuitBreaker {
    threshold: u32,
    cooldown: Duration,
    cooldown_nanos: u64,
    failures: AtomicU32,
    /// Until when the circuit is open (the clock's monotonic nanoseconds);
    /// 0 while closed.
    open_until: AtomicU64,
    probing: AtomicBool,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("state", &self.state())
            .field("threshold", &self.threshold)
            .field("cooldown", &self.cooldown)
            .finish_non_exhaustive()
    }
}

/// Leave to send one command; its outcome is recorded with [`Permit::record`].
/// A probe dropped unrecorded (its caller went away) frees the probe slot.
#[must_use]
pub(crate) struct Permit<'a> {
    breaker: &'a CircuitBreaker,
    probe: bool,
}

impl Permit<'_> {
    /// Counts `result`: unreachable or too slow is a failure; any answer,
    /// an error reply included, is Redis being there.
    pub(crate) fn record<T>(self, result: &Result<T, RedisError>) {
        match result {
            Err(error) if error.is_unavailable() => self.breaker.failure(self.probe),
            _ => self.breaker.success(self.probe),
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.probe {
            self.breaker.probing.store(false, Ordering::Release);
        }
    }
}

impl CircuitBreaker {
    pub(crate) fn new(threshold: NonZeroU32, cooldown: Duration, clock: Arc<dyn Clock>) -> Self {
        Self {
            threshold: threshold.get(),
            cooldown,
            // At least 1 ns: an open-until time is never 0, which means closed.
            cooldown_nanos: u64::try_from(cooldown.as_nanos())
                .unwrap_or(u64::MAX)
                .max(1),
            failures: AtomicU32::new(0),
            open_until: AtomicU64::new(0),
            probing: AtomicBool::new(false),
            clock,
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.clock.monotonic().as_nanos()).unwrap_or(u64::MAX)
    }

    pub(crate) fn cooldown(&self) -> Duration {
        self.cooldown
    }

    pub(crate) fn state(&self) -> BreakerState {
        match self.open_until.load(Ordering::Acquire) {
            0 => BreakerState::Closed,
            until if self.now() < until => BreakerState::Open,
            _ => BreakerState::HalfOpen,
        }
    }

    /// Leave to send a command, or [`RedisError::CircuitOpen`] at once.
    pub(crate) fn permit(&self) -> Result<Permit<'_>, RedisError> {
        let command = Permit {
            breaker: self,
            probe: false,
        };
        match self.state() {
            BreakerState::Closed => return Ok(command),
            BreakerState::HalfOpen => {}
            // Open (and any state this breaker does not know: closed to calls).
            _ => return Err(RedisError::CircuitOpen),
        }
        if self
            .probing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(RedisError::CircuitOpen);
        }
        let probe = Permit {
            breaker: self,
            probe: true,
        };
        // A probe that ended just now may have closed or opened the circuit;
        // dropping `probe` frees the slot.
        match self.state() {
            BreakerState::Closed => Ok(command),
            BreakerState::HalfOpen => {
                telemetry::breaker_transition(BreakerState::HalfOpen);
                Ok(probe)
            }
            _ => Err(RedisError::CircuitOpen),
        }
    }

    fn success(&self, probe: bool) {
        if self.failures.load(Ordering::Acquire) != 0 {
            self.failures.store(0, Ordering::Release);
        }
        if probe {
            self.open_until.store(0, Ordering::Release);
            telemetry::breaker_transition(BreakerState::Closed);
            tracing::info!("redis answers again; the circuit breaker is closed");
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
            if was == 0 || probe {
                telemetry::breaker_transition(BreakerState::Open);
            }
            if was == 0 {
                tracing::warn!(
                    failures = self.threshold,
                    cooldown = ?self.cooldown,
                    "redis keeps failing; the circuit breaker is open: commands fail at once until the cool-down ends"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

    use super::*;
    use shieldwall_core::ManualClock;

    fn breaker(clock: &ManualClock) -> CircuitBreaker {
        CircuitBreaker::new(
            NonZeroU32::new(3).unwrap(),
            Duration::from_secs(2),
            Arc::new(clock.clone()),
        )
    }

    fn unreachable() -> Result<(), RedisError> {
        Err(RedisError::Timeout(Duration::from_millis(1)))
    }

    fn answered() -> Result<(), RedisError> {
        Err(RedisError::Command(redis::RedisError::from((
            redis::ErrorKind::Server(redis::ServerErrorKind::ResponseError),
            "WRONGTYPE",
        ))))
    }

    #[test]
    fn opens_after_the_threshold_of_failures_in_a_row() {
        let clock = ManualClock::at_unix_seconds(1_000);
        let b = breaker(&clock);
        for _ in 0..2 {
            b.permit().unwrap().record(&unreachable());
        }
        // A success in between starts the count again.
        b.permit().unwrap().record(&Ok(()));
        for _ in 0..2 {
            b.permit().unwrap().record(&unreachable());
        }
        assert_eq!(b.state(), BreakerState::Closed);
        b.permit().unwrap().record(&unreachable());
        assert_eq!(b.state(), BreakerState::Open);
        for _ in 0..10 {
            assert!(matches!(b.permit(), Err(RedisError::CircuitOpen)));
        }
        // The clock has not moved: still open, however many calls came.
        clock.advance(Duration::from_millis(1999));
        assert!(matches!(b.permit(), Err(RedisError::CircuitOpen)));
    }

    #[test]
    fn an_error_reply_is_an_answer_not_a_failure() {
        let clock = ManualClock::at_unix_seconds(1_000);
        let b = breaker(&clock);
        for _ in 0..10 {
            b.permit().unwrap().record(&answered());
        }
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn half_open_after_the_cooldown_lets_one_probe_through_and_its_answer_closes() {
        let clock = ManualClock::at_unix_seconds(1_000);
        let b = breaker(&clock);
        for _ in 0..3 {
            b.permit().unwrap().record(&unreachable());
        }
        clock.advance(Duration::from_secs(2));
        assert_eq!(b.state(), BreakerState::HalfOpen);
        let probe = b.permit().unwrap();
        // While the probe runs, every other command still fails at once.
        assert!(matches!(b.permit(), Err(RedisError::CircuitOpen)));
        probe.record(&Ok(()));
        assert_eq!(b.state(), BreakerState::Closed);
        // Closed again: the threshold counts from zero.
        for _ in 0..2 {
            b.permit().unwrap().record(&unreachable());
        }
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn a_failed_probe_opens_for_another_cooldown() {
        let clock = ManualClock::at_unix_seconds(1_000);
        let b = breaker(&clock);
        for _ in 0..3 {
            b.permit().unwrap().record(&unreachable());
        }
        clock.advance(Duration::from_secs(3));
        b.permit().unwrap().record(&unreachable());
        assert_eq!(b.state(), BreakerState::Open);
        clock.advance(Duration::from_millis(1999));
        assert!(matches!(b.permit(), Err(RedisError::CircuitOpen)));
        clock.advance(Duration::from_millis(1));
        assert_eq!(b.state(), BreakerState::HalfOpen);
        b.permit().unwrap().record(&answered());
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn a_probe_dropped_unrecorded_frees_the_slot() {
        let clock = ManualClock::at_unix_seconds(1_000);
        let b = breaker(&clock);
        for _ in 0..3 {
            b.permit().unwrap().record(&unreachable());
        }
        clock.advance(Duration::from_secs(2));
        drop(b.permit().unwrap());
        assert_eq!(b.state(), BreakerState::HalfOpen);
        b.permit().unwrap().record(&Ok(()));
        assert_eq!(b.state(), BreakerState::Closed);
    }
}
