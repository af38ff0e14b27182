//! Decimal digits without a formatter, for header values written on every
//! request (rate-limit counts, structured-field integers).

/// The decimal digits of a `u64`, on the stack.
///
/// ```
/// use shieldwall_core::Decimal;
///
/// assert_eq!(Decimal::new(0).as_str(), "0");
/// assert_eq!(Decimal::new(u64::MAX).as_str(), u64::MAX.to_string());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Decimal {
    digits: [u8; 20],
    start: usize,
}

impl Decimal {
    /// The digits of `n` (20 at most: `u64::MAX` has 20).
    #[must_use]
    pub fn new(n: u64) -> Self {
        let mut digits = [b'0'; 20];
        let mut rest = n;
        let mut start = digits.len();
        for slot in digits.iter_mut().rev() {
            *slot = b'0' + u8::try_from(rest % 10).unwrap_or(0);
            rest /= 10;
            start -= 1;
            if rest == 0 {
                break;
            }
        }
        Self { digits, start }
    }

    /// The digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // ASCII digits only: always UTF-8.
        self.digits
            .get(self.start..)
            .and_then(|d| std::str::from_utf8(d).ok())
            .unwrap_or("0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_length_is_written_as_the_formatter_would() {
        let mut n = 1_u64;
        for _ in 0..20 {
            for m in [n - 1, n, n.saturating_add(7)] {
                assert_eq!(Decimal::new(m).as_str(), m.to_string());
            }
            n = n.saturating_mul(10);
        }
        assert_eq!(Decimal::new(u64::MAX).as_str(), u64::MAX.to_string());
    }
}
