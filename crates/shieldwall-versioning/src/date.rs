//! Calendar dates for the `Deprecation` and `Sunset` headers, without a date
//! library: Unix seconds and the IMF-fixdate of RFC 9110 §5.6.7.

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

/// `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) fn imf_fixdate(seconds: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = seconds / 86_400;
    let rem = seconds % 86_400;
    let (year, month, day) = civil_from_days(i64::try_from(days).unwrap_or_default());
    // 1970-01-01 was a Thursday.
    let weekday = usize::try_from(days % 7).unwrap_or_default();
    let month_name = usize::try_from(month - 1)
        .ok()
        .and_then(|m| MONTHS.get(m))
        .unwrap_or(&"Jan");
    format!(
        "{}, {day:02} {month_name} {year:04} {:02}:{:02}:{:02} GMT",
        DAYS.get(weekday).unwrap_or(&"Thu"),
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
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

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        // RFC 9110's example, RFC 9745's example (`@1688169599`), and the ends.
        assert_eq!(imf_fixdate(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(imf_fixdate(1_688_169_599), "Fri, 30 Jun 2023 23:59:59 GMT");
        assert_eq!(imf_fixdate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(imf_fixdate(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(imf_fixdate(MAX_SECONDS), "Fri, 31 Dec 9999 23:59:59 GMT");
    }

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
                        assert!(imf_fixdate(s).contains(&format!("{day:02} ")));
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
