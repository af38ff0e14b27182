//! `Quota`: how many requests per window, with what burst.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

use crate::RateLimitConfigError;

/// The longest window accepted: one week.
pub const MAX_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);

/// `count` requests per `window`, with a burst (by default `count`).
///
/// Made only through checked constructors, so a quota of zero, a window of
/// zero or a window longer than a week cannot exist.
///
/// ```
/// use shieldwall_ratelimit::Quota;
///
/// let quota: Quota = "100/15m".parse()?;
/// assert_eq!(quota.count().get(), 100);
/// assert_eq!(quota.window().as_secs(), 900);
/// assert!("0/1m".parse::<Quota>().is_err());
/// # Ok::<(), shieldwall_ratelimit::RateLimitConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    count: NonZeroU32,
    window: Duration,
    burst: NonZeroU32,
    /// The window in nanoseconds and one request's share of it, computed
    /// once: the hot path divides nothing.
    window_nanos: u64,
    interval_nanos: u64,
}

impl Quota {
    /// `count` per `window` (burst `count`).
    pub fn new(count: NonZeroU32, window: Duration) -> Result<Self, RateLimitConfigError> {
        if window.is_zero() || window > MAX_WINDOW {
            return Err(RateLimitConfigError::Window);
        }
        if window.as_nanos() < u128::from(count.get()) {
            return Err(RateLimitConfigError::Window);
        }
        let window_nanos = u64::try_from(window.as_nanos()).unwrap_or(u64::MAX);
        Ok(Self {
            count,
            window,
            burst: count,
            window_nanos,
            // Rounded up: a rate never above the quota.
            interval_nanos: window_nanos.div_ceil(u64::from(count.get())).max(1),
        })
    }

    /// Allows bursts of `burst` (GCRA; the windows ignore it).
    #[must_use]
    pub fn with_burst(mut self, burst: NonZeroU32) -> Self {
        self.burst = burst;
        self
    }

    /// Requests per window.
    #[must_use]
    pub fn count(&self) -> NonZeroU32 {
        self.count
    }

    /// The window.
    #[must_use]
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The burst.
    #[must_use]
    pub fn burst(&self) -> NonZeroU32 {
        self.burst
    }

    /// The window in nanoseconds.
    pub(crate) fn window_nanos(&self) -> u64 {
        self.window_nanos
    }

    /// GCRA's emission interval: one request's share of the window, in nanoseconds.
    pub(crate) fn interval_nanos(&self) -> u64 {
        self.interval_nanos
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.window.as_secs();
        if secs.is_multiple_of(3600) {
            write!(f, "{}/{}h", self.count, secs / 3600)
        } else if secs.is_multiple_of(60) {
            write!(f, "{}/{}m", self.count, secs / 60)
        } else {
            write!(f, "{}/{}s", self.count, secs)
        }
    }
}

/// `N/Ws`, `N/Wm` or `N/Wh`: N requests per W seconds, minutes or hours.
impl FromStr for Quota {
    type Err = RateLimitConfigError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || RateLimitConfigError::QuotaSyntax(text.chars().take(40).collect());
        let (count, window) = text.trim().split_once('/').ok_or_else(bad)?;
        let count: NonZeroU32 = count.trim().parse().map_err(|_| bad())?;
        let window = window.trim();
        let unit = window.chars().last().ok_or_else(bad)?;
        let amount: u64 = window
            .get(..window.len() - unit.len_utf8())
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse().ok())
            .filter(|n| *n > 0)
            .ok_or_else(bad)?;
        let seconds = match unit {
            's' => Some(amount),
            'm' => amount.checked_mul(60),
            'h' => amount.checked_mul(3600),
            _ => None,
        }
        .ok_or_else(bad)?;
        Self::new(count, Duration::from_secs(seconds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let q: Quota = "100/15m".parse().unwrap();
        assert_eq!(
            (q.count().get(), q.window().as_secs(), q.burst().get()),
            (100, 900, 100)
        );
        assert_eq!(q.interval_nanos(), 9_000_000_000);
        assert_eq!("5/30s".parse::<Quota>().unwrap().window().as_secs(), 30);
        assert_eq!("60/1h".parse::<Quota>().unwrap().to_string(), "60/1h");
        assert_eq!("100/15m".parse::<Quota>().unwrap().to_string(), "100/15m");
        for bad in [
            "",
            "100",
            "0/1m",
            "-1/1m",
            "1/0m",
            "1/1d",
            "1/m",
            "x/1m",
            "1/1ms",
            "1/+1m",
            "1/169h",
            "1/99999999999999999h",
        ] {
            assert!(bad.parse::<Quota>().is_err(), "{bad}");
        }
    }
}
