//! The framework-free parts of the demo's routes.

use shieldwall_errors::{ApiError, ErrorCode};

/// The API version this demo serves.
pub const CURRENT_VERSION: u32 = 1;

/// `GET /health`.
pub fn health() -> serde_json::Value {
    serde_json::json!({ "status": "ok" })
}

/// The answer for a path no route matched: 404 `UNSUPPORTED_VERSION` for
/// `/api/vN/...` with another N than the current one, else 404 `NOT_FOUND`.
pub fn unmatched(path: &str) -> ApiError {
    let version = path
        .strip_prefix("/api/v")
        .map(|rest| rest.split('/').next().unwrap_or_default())
        .filter(|digits| {
            !digits.is_empty() && digits.len() <= 9 && digits.bytes().all(|b| b.is_ascii_digit())
        })
        .and_then(|digits| digits.parse::<u32>().ok());
    match version {
        Some(v) if v != CURRENT_VERSION => ApiError::new(ErrorCode::UnsupportedVersion)
            .with_detail("this API serves version v1 only"),
        _ => ApiError::new(ErrorCode::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_versions_are_unsupported_the_rest_is_not_found() {
        for path in ["/api/v2/users", "/api/v0", "/api/v12/x", "/api/v01x"] {
            let expected = if path == "/api/v01x" {
                ErrorCode::NotFound
            } else {
                ErrorCode::UnsupportedVersion
            };
            assert_eq!(unmatched(path).code(), expected, "{path}");
        }
        for path in [
            "/api/v1/nope",
            "/api/v01/x",
            "/nope",
            "/api/vx/users",
            "/api/v/x",
            "/api/v99999999999/x",
        ] {
            assert_eq!(unmatched(path).code(), ErrorCode::NotFound, "{path}");
        }
    }
}
