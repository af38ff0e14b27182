//! The framework-free parts of the demo's routes.

use shieldwall_errors::{ApiError, ErrorCode};

/// The API version this demo serves.
pub const CURRENT_VERSION: u32 = 1;

/// `GET /health`.
pub fn health() -> serde_json::Value {
    serde_json::json!({ "status": "ok" })
}

/// The answer for a path no route matched: 404 `NOT_FOUND`. Unknown API
/// versions never get here: the versioning guard answers them first.
pub fn unmatched(_path: &str) -> ApiError {
    ApiError::new(ErrorCode::NotFound)
}
