//! The algorithms, as pure functions over a small state and a time. The
//! memory store runs them directly; the Redis scripts are the same
//! arithmetic in Lua, in microseconds.

use crate::Quota;

/// How requests are counted.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Algorithm {
    /// The generic cell rate algorithm: a rate of `count / window` with
    /// bursts of `burst`. Smooth; no boundary effects. The default.
    #[default]
    Gcra,
    /// A sliding window, approximated by weighting the previous fixed
    /// window by how much of it still overlaps: exact for bursts, close to
    /// exact for steady traffic, constant memory.
    SlidingWindow,
    /// Fixed windows (express-rate-limit's model). Allows up to twice the
    /// quota around a window boundary: `count` at the end of one window and
    /// `count` again at the start of the next.
    FixedWindow,
}

/// What a store keeps per key: two numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct State {
    /// GCRA: the theoretical arrival time. Windows: the window index.
    pub(crate) a: u64,
    /// Windows: the count of this window (low 32 bits) and, for the sliding
    /// window, of the previous one (high 32 bits).
    pub(crate) b: u64,
}

/// What to give back if a skip rule says the request does not count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reservation {
    pub(crate) cost: u32,
    /// The window index it was counted in (windows), or 0 (GCRA).
    pub(crate) window: u64,
}

/// A decision, with what the headers need. Durations in nanoseconds.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// Requests left now.
    pub remaining: u32,
    /// Until the quota is whole again.
    pub reset_after_nanos: u64,
    /// Until a request of this cost could pass (0 when allowed).
    pub retry_after_nanos: u64,
    /// What a refund gives back.
    pub reservation: Reservation,
}

impl Verdict {
    /// A verdict that lets a request through without counting it.
    pub(crate) fn pass(quota: &Quota) -> Self {
        Self {
            allowed: true,
            remaining: quota.count().get(),
            reset_after_nanos: 0,
            retry_after_nanos: 0,
            reservation: Reservation { cost: 0, window: 0 },
        }
    }
}

fn clamp_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Decides a request of `cost` at `now` (nanoseconds), updating `state`.
#[inline]
pub(crate) fn decide(
    algorithm: Algorithm,
    quota: &Quota,
    state: &mut State,
    now: u64,
    cost: u32,
) -> Verdict {
    match algorithm {
        Algorithm::Gcra => gcra(quota, state, now, cost),
        Algorithm::FixedWindow => fixed(quota, state, now, cost),
        Algorithm::SlidingWindow => sliding(quota, state, now, cost),
    }
}

#[inline]
fn gcra(quota: &Quota, state: &mut State, now: u64, cost: u32) -> Verdict {
    let interval = quota.interval_nanos();
    let capacity = interval.saturating_mul(u64::from(quota.burst().get()));
    let tat = state.a.max(now);
    let new_tat = tat.saturating_add(interval.saturating_mul(u64::from(cost)));
    let reservation = Reservation { cost, window: 0 };
    if new_tat - now <= capacity {
        state.a = new_tat;
        Verdict {
            allowed: true,
            remaining: clamp_u32((capacity - (new_tat - now)) / interval),
            reset_after_nanos: new_tat - now,
            retry_after_nanos: 0,
            reservation,
        }
    } else {
        Verdict {
            allowed: false,
            remaining: clamp_u32(capacity.saturating_sub(tat - now) / interval),
            reset_after_nanos: tat - now,
            retry_after_nanos: new_tat - now - capacity,
            reservation,
        }
    }
}

fn fixed(quota: &Quota, state: &mut State, now: u64, cost: u32) -> Verdict {
    let window = quota.window_nanos();
    let limit = u64::from(quota.count().get());
    let index = now / window;
    if state.a != index {
        *state = State { a: index, b: 0 };
    }
    let count = state.b & 0xFFFF_FFFF;
    let until_next = (index + 1).saturating_mul(window) - now;
    let reservation = Reservation {
        cost,
        window: index,
    };
    if count + u64::from(cost) <= limit {
        state.b = count + u64::from(cost);
        Verdict {
            allowed: true,
            remaining: clamp_u32(limit - state.b),
            reset_after_nanos: until_next,
            retry_after_nanos: 0,
            reservation,
        }
    } else {
        Verdict {
            allowed: false,
            remaining: clamp_u32(limit.saturating_sub(count)),
            reset_after_nanos: until_next,
            retry_after_nanos: until_next,
            reservation,
        }
    }
}

fn sliding(quota: &Quota, state: &mut State, now: u64, cost: u32) -> Verdict {
    let window = quota.window_nanos();
    let limit = quota.count().get() as f64;
    let index = now / window;
    let (mut previous, mut current) = (state.b >> 32, state.b & 0xFFFF_FFFF);
    if state.a != index {
        (previous, current) = if state.a + 1 == index {
            (current, 0)
        } else {
            (0, 0)
        };
        state.a = index;
    }
    let elapsed = now - index * window;
    let fraction = elapsed as f64 / window as f64;
    let weighted = previous as f64 * (1.0 - fraction) + current as f64;
    let cost_f = f64::from(cost);
    let reservation = Reservation {
        cost,
        window: index,
    };
    let reset_after = if current > 0 {
        2 * window - elapsed
    } else if previous > 0 {
        window - elapsed
    } else {
        0
    };
    if weighted + cost_f <= limit {
        current += u64::from(cost);
        state.b = (previous << 32) | current;
        let remaining = (limit - weighted - cost_f).floor().max(0.0);
        Verdict {
            allowed: true,
            remaining: remaining as u32,
            reset_after_nanos: if current > 0 {
                2 * window - elapsed
            } else {
                reset_after
            },
            retry_after_nanos: 0,
            reservation,
        }
    } else {
        state.b = (previous << 32) | current;
        // When will previous * (1 - f) + current + cost <= limit hold?
        let room = limit - current as f64 - cost_f;
        let retry = if room >= 0.0 && previous > 0 {
            let needed = 1.0 - room / previous as f64;
            ((needed * window as f64) as u64)
                .saturating_sub(elapsed)
                .max(1)
        } else {
            // Not in this window: in the next one, `current` becomes the
            // previous window's count.
            let room = limit - cost_f;
            let needed = if current > 0 && room >= 0.0 {
                1.0 - room / current as f64
            } else {
                1.0
            };
            (window - elapsed) + (needed.max(0.0) * window as f64) as u64
        };
        Verdict {
            allowed: false,
            remaining: (limit - weighted).floor().max(0.0) as u32,
            reset_after_nanos: reset_after,
            retry_after_nanos: retry,
            reservation,
        }
    }
}

/// Gives a reservation back: GCRA moves its arrival time back (never below
/// `now`, so it can never grant more than a full quota); the windows give the
/// count back only to the window it was taken from.
pub(crate) fn refund(
    algorithm: Algorithm,
    quota: &Quota,
    state: &mut State,
    now: u64,
    reservation: Reservation,
) {
    if reservation.cost == 0 {
        return;
    }
    let cost = u64::from(reservation.cost);
    match algorithm {
        Algorithm::Gcra => {
            let back = quota.interval_nanos().saturating_mul(cost);
            state.a = state.a.saturating_sub(back).max(now.min(state.a));
        }
        Algorithm::FixedWindow => {
            if state.a == reservation.window {
                state.b = (state.b & 0xFFFF_FFFF).saturating_sub(cost);
            }
        }
        Algorithm::SlidingWindow => {
            let (previous, current) = (state.b >> 32, state.b & 0xFFFF_FFFF);
            if state.a == reservation.window {
                state.b = (previous << 32) | current.saturating_sub(cost);
            } else if state.a == reservation.window + 1 {
                state.b = (previous.saturating_sub(cost) << 32) | current;
            }
        }
    }
}

/// Whether a state holds nothing a fresh one would not: safe to forget.
pub(crate) fn is_idle(algorithm: Algorithm, quota: &Quota, state: &State, now: u64) -> bool {
    match algorithm {
        Algorithm::Gcra => state.a <= now,
        Algorithm::FixedWindow => state.a != now / quota.window_nanos(),
        Algorithm::SlidingWindow => state.a + 1 < now / quota.window_nanos(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU32;
    use std::time::Duration;

    const S: u64 = 1_000_000_000;

    fn quota(count: u32, secs: u64) -> Quota {
        Quota::new(NonZeroU32::new(count).unwrap(), Duration::from_secs(secs)).unwrap()
    }

    fn run(algorithm: Algorithm, quota: &Quota, state: &mut State, now: u64, n: u32) -> u32 {
        (0..n)
            .filter(|_| decide(algorithm, quota, state, now, 1).allowed)
            .count() as u32
    }

    #[test]
    fn every_algorithm_admits_exactly_the_quota_in_a_burst() {
        for algorithm in [
            Algorithm::Gcra,
            Algorithm::SlidingWindow,
            Algorithm::FixedWindow,
        ] {
            let q = quota(10, 60);
            let mut state = State::default();
            let now = 1000 * S + 1;
            assert_eq!(
                run(algorithm, &q, &mut state, now, 100),
                10,
                "{algorithm:?}"
            );
            let denied = decide(algorithm, &q, &mut state, now, 1);
            assert!(!denied.allowed);
            assert!(denied.retry_after_nanos > 0, "{algorithm:?}");
            assert_eq!(denied.remaining, 0);
        }
    }

    #[test]
    fn gcra_refills_one_interval_at_a_time() {
        let q = quota(10, 60); // one every 6 s
        let mut state = State::default();
        let t0 = 1000 * S;
        assert_eq!(run(Algorithm::Gcra, &q, &mut state, t0, 10), 10);
        let denied = decide(Algorithm::Gcra, &q, &mut state, t0, 1);
        assert_eq!(denied.retry_after_nanos, 6 * S);
        assert_eq!(denied.reset_after_nanos, 60 * S);
        assert!(!decide(Algorithm::Gcra, &q, &mut state, t0 + 6 * S - 1, 1).allowed);
        let ok = decide(Algorithm::Gcra, &q, &mut state, t0 + 6 * S, 1);
        assert!(ok.allowed);
        assert_eq!(ok.remaining, 0);
        // A cost of 3 waits for three intervals.
        let mut state = State::default();
        assert_eq!(run(Algorithm::Gcra, &q, &mut state, t0, 10), 10);
        assert_eq!(
            decide(Algorithm::Gcra, &q, &mut state, t0, 3).retry_after_nanos,
            18 * S
        );
    }

    #[test]
    fn fixed_window_resets_at_the_boundary_and_shows_its_boundary_burst() {
        let q = quota(5, 10);
        let mut state = State::default();
        let end_of_window = 109 * S; // window [100, 110)
        assert_eq!(
            run(Algorithm::FixedWindow, &q, &mut state, end_of_window, 10),
            5
        );
        let denied = decide(Algorithm::FixedWindow, &q, &mut state, end_of_window, 1);
        assert_eq!(denied.retry_after_nanos, S);
        // The documented weakness: 5 more at the start of the next window.
        assert_eq!(run(Algorithm::FixedWindow, &q, &mut state, 110 * S, 10), 5);
    }

    #[test]
    fn sliding_window_weights_the_previous_window() {
        let q = quota(10, 10);
        let mut state = State::default();
        assert_eq!(
            run(Algorithm::SlidingWindow, &q, &mut state, 100 * S, 10),
            10
        );
        // Half-way into the next window, half of the previous 10 still count.
        assert_eq!(
            run(Algorithm::SlidingWindow, &q, &mut state, 115 * S, 10),
            5
        );
        let denied = decide(Algorithm::SlidingWindow, &q, &mut state, 115 * S, 1);
        assert!(!denied.allowed);
        // Retry when one more fits: the retry time is never too early.
        let later = 115 * S + denied.retry_after_nanos;
        assert!(decide(Algorithm::SlidingWindow, &q, &mut state.clone(), later, 1).allowed);
        assert!(!decide(Algorithm::SlidingWindow, &q, &mut state, later - S / 10, 1).allowed);
    }

    #[test]
    fn refunds_never_grant_more_than_the_quota_nor_cross_windows() {
        for algorithm in [
            Algorithm::Gcra,
            Algorithm::SlidingWindow,
            Algorithm::FixedWindow,
        ] {
            let q = quota(3, 60);
            let mut state = State::default();
            let now = 1000 * S;
            let v = decide(algorithm, &q, &mut state, now, 1);
            refund(algorithm, &q, &mut state, now, v.reservation);
            refund(algorithm, &q, &mut state, now, v.reservation); // twice: no extra credit
            assert_eq!(run(algorithm, &q, &mut state, now, 10), 3, "{algorithm:?}");
        }
        // A refund for an old fixed window does not touch the new one.
        let q = quota(3, 60);
        let mut state = State::default();
        let old = decide(Algorithm::FixedWindow, &q, &mut state, 1000 * S, 1);
        assert_eq!(run(Algorithm::FixedWindow, &q, &mut state, 1080 * S, 3), 3);
        refund(
            Algorithm::FixedWindow,
            &q,
            &mut state,
            1080 * S,
            old.reservation,
        );
        assert_eq!(run(Algorithm::FixedWindow, &q, &mut state, 1080 * S, 1), 0);
    }

    #[test]
    fn idle_states_are_exactly_the_forgettable_ones() {
        let q = quota(3, 60);
        let mut state = State::default();
        let now = 1000 * S;
        decide(Algorithm::Gcra, &q, &mut state, now, 1);
        assert!(!is_idle(Algorithm::Gcra, &q, &state, now));
        assert!(is_idle(Algorithm::Gcra, &q, &state, now + 20 * S));
    }
}
