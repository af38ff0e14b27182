//! Path parameters: one rule for both adapters.

use shieldwall_errors::{ApiError, ErrorCode, Source};

/// The answer when a path parameter does not parse (`/items/abc` where an
/// integer id is expected): 404 `NOT_FOUND`, because such a path names no
/// resource. The parser's message, which quotes the path, is kept as the
/// internal source only.
#[must_use]
pub fn path_not_found(source: impl Into<Source>) -> ApiError {
    ApiError::new(ErrorCode::NotFound).with_source(source)
}
