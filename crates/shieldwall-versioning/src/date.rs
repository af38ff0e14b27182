//! Calendar dates for the `Deprecation` and `Sunset` headers, without a date
//! library: the start of a day, and Unix seconds within the years an
//! IMF-fixdate (RFC 9110 §5.6.7, [`shieldwall_core::imf_fixdate`]) can spell.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The last second an IMF-fixdate can spell: 9999-12-31T23:59:59Z.
const MAX_SECONDS: u64 = 253_402_300_799;

/// The start (00:00:00 UTC) of a calendar day, for [`Deprecation`]
/// dates; `None` for a day that does not exist or lies outside the years
/// 1970 to 9999.
///
/// [`Deprecation`]: crate::Deprecation
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use shieldwall_versioning::utc_date;
///
/// assert_eq!(utc_date(2023, 7, 1), Some(UNIX_EPOCH + Duration::from_secs(1_688_169_600)));
/// assert_eq!(utc_date(2023, 2, 29), None);
/// ```
#[must_use]
pub fn utc_date(year: u16, month: u8, day: u8) -> Option<SystemTime> {
    let year = i64::from(year);
    let (month, day) = (i64::from(month), i64::from(day));
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) || day < 1 {
        return None;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day > days_in_month {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = u64::try_from(days).ok()?.checked_mul(86_400)?;
    Some(UNIX_EPOCH + Duration::from_secs(seconds))
}

/// Whole seconds since the epoch, when `time` lies in 1970..=9999 (the
/// fraction of a second is dropped).
pub(crate) fn unix_seconds(time: SystemTime) -> Option<u64> {
    let seconds = time.duration_since(UNIX_EPOCH).ok()?.as_secs();
    (seconds <= MAX_SECONDS).then_some(seconds)
}

/// (year, month, day) to days since 1970-01-01, proleptic Gregorian
/// (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use shieldwall_core::imf_fixdate;

    use super::*;

    #[test]
    fn dates_round_trip() {
        let secs = |t: SystemTime| unix_seconds(t).unwrap();
        assert_eq!(secs(utc_date(1970, 1, 1).unwrap()), 0);
        assert_eq!(secs(utc_date(2000, 2, 29).unwrap()), 951_782_400);
        assert_eq!(secs(utc_date(9999, 12, 31).unwrap()), MAX_SECONDS - 86_399);
        for (y, m, d) in [
            (1969, 12, 31),
            (10_000, 1, 1),
            (2023, 2, 29),
            (1900, 2, 29),
            (2024, 4, 31),
            (2024, 13, 1),
            (2024, 0, 1),
            (2024, 1, 0),
        ] {
            assert_eq!(utc_date(y, m, d), None, "{y}-{m}-{d}");
        }
        // Every day of a leap year and of the years around the century.
        for year in [2000_u16, 2023, 2024, 2100] {
            let mut previous = None;
            for month in 1..=12 {
                for day in 1..=31 {
                    if let Some(t) = utc_date(year, month, day) {
                        let s = secs(t);
                        assert!(imf_fixdate(t).contains(&format!("{day:02} ")));
                        if let Some(p) = previous {
                            assert_eq!(s - p, 86_400);
                        }
                        previous = Some(s);
                    }
                }
            }
        }
    }

    #[test]
    fn out_of_range_times() {
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(1)), None);
        assert_eq!(
            unix_seconds(UNIX_EPOCH + Duration::from_secs(MAX_SECONDS + 1)),
            None
        );
        assert_eq!(
            unix_seconds(UNIX_EPOCH + Duration::from_millis(1_500)),
            Some(1)
        );
    }
}
