//! A refusal's code as the audit log spells it: `INVALID_TOKEN` is
//! `invalid_token`, made once for every code.

use std::borrow::Cow;
use std::sync::OnceLock;

use shieldwall_core::ErrorCode;

/// Every code with its lowercase spelling, built on first use.
fn table() -> &'static [(ErrorCode, String)] {
    static TABLE: OnceLock<Vec<(ErrorCode, String)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        ErrorCode::ALL
            .iter()
            .map(|code| (*code, code.as_str().to_ascii_lowercase()))
            .collect()
    })
}

/// `code` in lowercase snake case, borrowed from the table (a code that
/// [`ErrorCode::ALL`] does not list yet is spelled on the spot).
pub(crate) fn lowercase(code: ErrorCode) -> Cow<'static, str> {
    table()
        .iter()
        .find(|(known, _)| *known == code)
        .map_or_else(
            || Cow::Owned(code.as_str().to_ascii_lowercase()),
            |(_, name)| Cow::Borrowed(name.as_str()),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_lowercase_snake_case() {
        assert_eq!(lowercase(ErrorCode::InvalidToken), "invalid_token");
        assert_eq!(lowercase(ErrorCode::RateLimited), "rate_limited");
        assert_eq!(lowercase(ErrorCode::TokenRevoked), "token_revoked");
        for code in ErrorCode::ALL {
            assert!(matches!(lowercase(code), Cow::Borrowed(_)));
        }
    }
}
