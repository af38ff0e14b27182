//! A refusal's code as the audit log spells it: `INVALID_TOKEN` is
//! `invalid_token`, made once for every code.

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

/// `code` in lowercase snake case (a code missing from [`ErrorCode::ALL`]
/// keeps its uppercase spelling).
pub(crate) fn lowercase(code: ErrorCode) -> &'static str {
    table()
        .iter()
        .find(|(known, _)| *known == code)
        .map_or(code.as_str(), |(_, name)| name.as_str())
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
            assert_eq!(lowercase(code), code.as_str().to_ascii_lowercase());
        }
    }
}
