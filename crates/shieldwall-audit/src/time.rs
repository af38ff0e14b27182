//! RFC 3339 in UTC with milliseconds (`2026-12-07T06:12:47.123Z`), written
//! digit by digit: the writer formats one per event.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// Appends `time` to `out`. Times before 1970 are written as the epoch.
pub(crate) fn write_rfc3339_millis(out: &mut String, time: SystemTime) {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs();
    let days = i64::try_from(seconds / 86_400).unwrap_or(i64::MAX / 2);
    let rem = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    if (0..=9999).contains(&year) {
        push_digits(out, u64::try_from(year).unwrap_or(0), 4);
    } else {
        let _ = write!(out, "{year}");
    }
    out.push('-');
    push_digits(out, u64::from(month), 2);
    out.push('-');
    push_digits(out, u64::from(day), 2);
    out.push('T');
    push_digits(out, rem / 3600, 2);
    out.push(':');
    push_digits(out, rem % 3600 / 60, 2);
    out.push(':');
    push_digits(out, rem % 60, 2);
    out.push('.');
    push_digits(out, u64::from(since.subsec_millis()), 3);
    out.push('Z');
}

/// The last `width` decimal digits of `value`, zero-padded.
fn push_digits(out: &mut String, value: u64, width: u32) {
    for place in (0..width).rev() {
        let digit = value / 10_u64.pow(place) % 10;
        out.push(char::from(b'0' + u8::try_from(digit).unwrap_or(0)));
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard
/// Hinnant's algorithm, as in shieldwall-core).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
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

    fn format(time: SystemTime) -> String {
        let mut out = String::new();
        write_rfc3339_millis(&mut out, time);
        out
    }

    #[test]
    fn agrees_with_core_to_the_second_and_adds_milliseconds() {
        let mut seconds = 0_u64;
        while seconds < 5_000_000_000 {
            let millis = seconds % 1000;
            let time = UNIX_EPOCH + Duration::from_secs(seconds) + Duration::from_millis(millis);
            let whole = shieldwall_core::rfc3339(time);
            let expected = format!("{}.{millis:03}Z", whole.trim_end_matches('Z'));
            assert_eq!(format(time), expected);
            seconds += 7_777_777;
        }
        assert_eq!(
            format(UNIX_EPOCH + Duration::from_millis(1_796_623_967_123)),
            "2026-12-07T06:12:47.123Z"
        );
        assert_eq!(
            format(UNIX_EPOCH - Duration::from_secs(5)),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            format(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000Z"
        );
    }
}
