//! `N/Ws`, `N/Wm`, `N/Wh`: the demo's rate-limit notation.

use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

/// `count` requests per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Requests allowed per window.
    pub count: NonZeroU32,
    /// The window.
    pub window: Duration,
}

impl FromStr for Limit {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let usage =
            || format!("`{text}` is not a limit like 100/15m (N per window, window in s, m or h)");
        let (count, window) = text.trim().split_once('/').ok_or_else(usage)?;
        let count: NonZeroU32 = count.trim().parse().map_err(|_| usage())?;
        let window = window.trim();
        let unit = window.chars().last().ok_or_else(usage)?;
        let amount: u64 = window
            .get(..window.len() - unit.len_utf8())
            .and_then(|n| n.parse().ok())
            .filter(|n| *n > 0)
            .ok_or_else(usage)?;
        let seconds = match unit {
            's' => amount,
            'm' => amount.checked_mul(60).ok_or_else(usage)?,
            'h' => amount.checked_mul(3600).ok_or_else(usage)?,
            _ => return Err(usage()),
        };
        if seconds > 7 * 24 * 3600 {
            return Err(format!(
                "`{text}`: a window longer than a week is not supported"
            ));
        }
        Ok(Self {
            count,
            window: Duration::from_secs(seconds),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let l: Limit = "100/15m".parse().unwrap();
        assert_eq!((l.count.get(), l.window.as_secs()), (100, 900));
        assert_eq!("5/30s".parse::<Limit>().unwrap().window.as_secs(), 30);
        assert_eq!("60/1h".parse::<Limit>().unwrap().window.as_secs(), 3600);
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
            "1/999999h",
        ] {
            assert!(bad.parse::<Limit>().is_err(), "{bad}");
        }
    }
}
