//! RFC 3339 in UTC with milliseconds (`2026-12-07T06:12:47.123Z`), written
//! digit by digit on the stack: the writer formats one per event.

use std::time::{SystemTime, UNIX_EPOCH};

use shieldwall_core::civil_from_days;

/// A formatted time, on the stack.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stamp {
    buf: [u8; 40],
    len: usize,
}

impl Stamp {
    /// `time` (times before 1970 as the epoch).
    pub(crate) fn new(time: SystemTime) -> Self {
        let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
        let seconds = since.as_secs();
        let days = i64::try_from(seconds / 86_400).unwrap_or(i64::MAX / 2);
        let rem = seconds % 86_400;
        let (year, month, day) = civil_from_days(days);
        let mut stamp = Self {
            buf: [0; 40],
            len: 0,
        };
        stamp.digits(u64::try_from(year).unwrap_or(0), 4);
        stamp.push(b'-');
        stamp.digits(u64::from(month), 2);
        stamp.push(b'-');
        stamp.digits(u64::from(day), 2);
        stamp.push(b'T');
        stamp.digits(rem / 3600, 2);
        stamp.push(b':');
        stamp.digits(rem % 3600 / 60, 2);
        stamp.push(b':');
        stamp.digits(rem % 60, 2);
        stamp.push(b'.');
        stamp.digits(u64::from(since.subsec_millis()), 3);
        stamp.push(b'Z');
        stamp
    }

    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    /// `value` in decimal, zero-padded to `width`.
    fn digits(&mut self, value: u64, width: usize) {
        let mut digits = [b'0'; 20];
        let mut at = digits.len();
        let mut rest = value;
        while rest > 0 || digits.len() - at < width {
            at -= 1;
            if let Some(slot) = digits.get_mut(at) {
                // A single digit.
                *slot = b'0' + (rest % 10) as u8;
            }
            rest /= 10;
            if at == 0 {
                break;
            }
        }
        for &digit in digits.get(at..).unwrap_or_default() {
            self.push(digit);
        }
    }

    /// Rewrites the milliseconds (the three digits before `Z`).
    fn set_millis(&mut self, millis: u32) {
        let end = self.len.saturating_sub(1);
        let digits = [millis / 100 % 10, millis / 10 % 10, millis % 10];
        if let Some(slots) = self.buf.get_mut(end.saturating_sub(3)..end) {
            for (slot, digit) in slots.iter_mut().zip(digits) {
                // A single digit.
                *slot = b'0' + digit as u8;
            }
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII digits and separators are ever written.
        self.buf
            .get(..self.len)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .unwrap_or_default()
    }
}

/// The last stamp made, so that events of the same second only rewrite
/// their milliseconds.
#[derive(Debug, Default)]
pub(crate) struct StampCache {
    last: Option<(u64, Stamp)>,
}

impl StampCache {
    /// The stamp of `time`.
    pub(crate) fn stamp(&mut self, time: SystemTime) -> Stamp {
        let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
        let seconds = since.as_secs();
        let mut stamp = match self.last {
            Some((last, stamp)) if last == seconds => stamp,
            _ => {
                let stamp = Stamp::new(time);
                self.last = Some((seconds, stamp));
                stamp
            }
        };
        stamp.set_millis(since.subsec_millis());
        stamp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn format(time: SystemTime) -> String {
        Stamp::new(time).as_str().to_owned()
    }

    #[test]
    fn the_cache_gives_what_formatting_gives() {
        let mut cache = StampCache::default();
        for millis in [
            0_u64, 1, 999, 1000, 1001, 1999, 60_000, 59_999, 5, 86_400_123,
        ] {
            let time = UNIX_EPOCH + Duration::from_millis(1_796_623_967_000 + millis);
            assert_eq!(cache.stamp(time).as_str(), format(time));
        }
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
        // Past year 9999: more digits, never a panic.
        assert_eq!(
            format(UNIX_EPOCH + Duration::from_secs(253_402_300_800)),
            "10000-01-01T00:00:00.000Z"
        );
        if let Some(far) = UNIX_EPOCH.checked_add(Duration::from_secs(u64::MAX / 2)) {
            assert!(format(far).ends_with('Z'));
        }
    }
}
