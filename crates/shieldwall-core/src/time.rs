//! HTTP and RFC 3339 dates (UTC), without a date library: [`rfc3339`] for
//! JSON bodies, [`imf_fixdate`] for header values.

use std::time::{SystemTime, UNIX_EPOCH};

/// 9999-12-31T23:59:59Z, the last second an IMF-fixdate can spell.
const MAX_IMF_FIXDATE: u64 = 253_402_300_799;

/// `2026-11-29T10:12:47Z` (whole seconds, UTC). Times before 1970 print as the epoch.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use shieldwall_core::rfc3339;
///
/// assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(1_700_000_000)), "2023-11-14T22:13:20Z");
/// ```
#[must_use]
pub fn rfc3339(time: SystemTime) -> String {
    let t = Utc::at(unix_seconds(time));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// The IMF-fixdate of RFC 9110 §5.6.7, the date format of HTTP headers
/// (`Date`, `Sunset`, `Expires`): `Sun, 06 Nov 1994 08:49:37 GMT` (whole
/// seconds). Times before 1970 print as the epoch, times after 9999 as the
/// last second of 9999.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use shieldwall_core::imf_fixdate;
///
/// assert_eq!(imf_fixdate(UNIX_EPOCH + Duration::from_secs(784_111_777)), "Sun, 06 Nov 1994 08:49:37 GMT");
/// ```
#[must_use]
pub fn imf_fixdate(time: SystemTime) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let seconds = unix_seconds(time).min(MAX_IMF_FIXDATE);
    let t = Utc::at(seconds);
    // 1970-01-01 was a Thursday.
    let weekday = usize::try_from(seconds / 86_400 % 7)
        .ok()
        .and_then(|d| WEEKDAYS.get(d))
        .unwrap_or(&"Thu");
    let month = usize::try_from(t.month - 1)
        .ok()
        .and_then(|m| MONTHS.get(m))
        .unwrap_or(&"Jan");
    format!(
        "{weekday}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT",
        t.day, t.year, t.hour, t.minute, t.second
    )
}

/// Whole seconds since the epoch; 0 before it.
fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A moment of the proleptic Gregorian calendar, in UTC.
struct Utc {
    year: i64,
    month: u32,
    day: u32,
    hour: u64,
    minute: u64,
    second: u64,
}

impl Utc {
    /// The calendar moment `seconds` after 1970-01-01T00:00:00Z.
    fn at(seconds: u64) -> Self {
        let days = i64::try_from(seconds / 86_400).unwrap_or(i64::MAX / 2);
        let rem = seconds % 86_400;
        let (year, month, day) = civil_from_days(days);
        Self {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem % 3600 / 60,
            second: rem % 60,
        }
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard
/// Hinnant's algorithm): for crates that format times of their own
/// (shieldwall-audit's millisecond stamps).
#[must_use]
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn known_dates() {
        assert_eq!(rfc3339(at(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(at(951_782_400)), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(at(1_300_819_380)), "2011-03-22T18:43:00Z");
        assert_eq!(rfc3339(at(4_102_444_799)), "2099-12-31T23:59:59Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH - Duration::from_secs(5)),
            "1970-01-01T00:00:00Z"
        );
    }

    #[test]
    fn known_imf_fixdates() {
        // RFC 9110's example, RFC 9745's example (`@1688169599`), and the ends.
        let imf = |s| imf_fixdate(at(s));
        assert_eq!(imf(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(imf(1_688_169_599), "Fri, 30 Jun 2023 23:59:59 GMT");
        assert_eq!(imf(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(imf(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(imf(MAX_IMF_FIXDATE), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(imf(MAX_IMF_FIXDATE + 1), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(
            imf_fixdate(UNIX_EPOCH - Duration::from_secs(5)),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }
}
