//! `NumericDate`: the one reading of a JWT time claim.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Number;

/// A JWT NumericDate (RFC 7519 section 2): seconds since the epoch, an
/// integer or not, as whole seconds.
///
/// The verifier and every type that reads claims for handlers
/// ([`crate::RegisteredClaims`]) read time claims through this one type, so a
/// token the verifier accepted can always be read back (and revoked): a
/// fraction is rounded down (`1733500000.5` is `1733500000`), a value past
/// `i64` saturates. A JSON value that is not a number is refused.
///
/// ```
/// use shieldwall_tokens::NumericDate;
///
/// let exp: NumericDate = serde_json::from_str("1733500000.5")?;
/// assert_eq!(exp.unix_seconds(), 1_733_500_000);
/// let far: NumericDate = serde_json::from_str("18446744073709551615")?;
/// assert_eq!(far.unix_seconds(), i64::MAX);
/// assert!(serde_json::from_str::<NumericDate>("\"1733500000\"").is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NumericDate(i64);

impl NumericDate {
    /// The date `seconds` after the epoch.
    #[must_use]
    pub const fn from_unix_seconds(seconds: i64) -> Self {
        Self(seconds)
    }

    /// Whole seconds since the epoch.
    #[must_use]
    pub const fn unix_seconds(self) -> i64 {
        self.0
    }

    /// As a `SystemTime`; before the epoch reads as the epoch, after the year
    /// 9999 as the last second of 9999.
    #[must_use]
    pub fn to_system_time(self) -> SystemTime {
        system_time(self.0)
    }

    /// The reading of a JSON number: `None` only for a value that is not finite.
    pub(crate) fn from_number(number: &Number) -> Option<Self> {
        if let Some(n) = number.as_i64() {
            return Some(Self(n));
        }
        if number.as_u64().is_some() {
            return Some(Self(i64::MAX));
        }
        let f = number.as_f64()?;
        if !f.is_finite() {
            return None;
        }
        // Saturating conversion of a finite float.
        #[allow(
            clippy::cast_possible_truncation,
            reason = "saturating by definition of `as` for floats"
        )]
        Some(Self(f.floor() as i64))
    }
}

/// 9999-12-31T23:59:59Z: the latest time used, far enough for any token, held
/// by every platform's `SystemTime` and accepted by Redis as an expiry.
pub(crate) const LAST_UNIX_SECOND: i64 = 253_402_300_799;

/// `unix` seconds as a `SystemTime`, clamped to the epoch ..= year 9999.
pub(crate) fn system_time(unix: i64) -> SystemTime {
    let secs = u64::try_from(unix.clamp(0, LAST_UNIX_SECOND)).unwrap_or(0);
    UNIX_EPOCH + Duration::from_secs(secs)
}

impl<'de> Deserialize<'de> for NumericDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = Number::deserialize(deserializer)?;
        Self::from_number(&number)
            .ok_or_else(|| serde::de::Error::custom("a NumericDate must be a finite number"))
    }
}

impl Serialize for NumericDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Option<i64> {
        serde_json::from_str::<NumericDate>(json)
            .ok()
            .map(NumericDate::unix_seconds)
    }

    #[test]
    fn integers_fractions_and_overflow_read_one_way() {
        assert_eq!(read("1733500000"), Some(1_733_500_000));
        assert_eq!(read("1733500000.5"), Some(1_733_500_000));
        assert_eq!(read("1733500000.999"), Some(1_733_500_000));
        assert_eq!(read("-1.5"), Some(-2));
        assert_eq!(read("9223372036854775808"), Some(i64::MAX));
        assert_eq!(read("1e300"), Some(i64::MAX));
        assert_eq!(read("-1e300"), Some(i64::MIN));
        assert_eq!(read("\"1\""), None);
        assert_eq!(read("null"), None);
    }

    #[test]
    fn system_times_saturate() {
        assert_eq!(NumericDate(-5).to_system_time(), UNIX_EPOCH);
        assert_eq!(
            NumericDate(10).to_system_time(),
            UNIX_EPOCH + Duration::from_secs(10)
        );
        assert_eq!(
            NumericDate(i64::MAX).to_system_time(),
            UNIX_EPOCH + Duration::from_secs(253_402_300_799)
        );
    }
}
