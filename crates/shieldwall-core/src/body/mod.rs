//! JSON request bodies: one [`BodyPolicy`] per route (media type, size,
//! depth, shape, keys), checked when built; reading and parsing under it,
//! with errors that never echo the body or serde's message (which quotes
//! submitted values).

mod error;
mod head;
mod parse;
mod policy;

pub use error::BodyConfigError;
pub use policy::{BodyPolicy, BodyPolicyBuilder};

use std::num::NonZeroUsize;

use shieldwall_errors::{ApiError, ErrorCode};

/// The default body limit: 64 KiB.
pub const DEFAULT_BODY_LIMIT: NonZeroUsize = match NonZeroUsize::new(64 * 1024) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

/// The default nesting limit of JSON bodies: 32 objects or arrays deep.
pub const DEFAULT_MAX_DEPTH: usize = 32;

/// The deepest nesting limit a [`BodyPolicy`] accepts: 128. serde_json
/// refuses deeper bodies anyway, and the screen's recursion stays well
/// inside any thread's stack.
pub const MAX_DEPTH: usize = 128;

/// 413 `PAYLOAD_TOO_LARGE` for a body over `limit` bytes.
#[must_use]
pub fn body_too_large(limit: usize) -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge)
        .with_detail(format!("the request body is larger than {limit} bytes"))
}

/// 400 `MALFORMED_REQUEST` for a body the connection failed to deliver.
#[must_use]
pub fn body_unreadable(source: impl Into<shieldwall_errors::Source>) -> ApiError {
    ApiError::new(ErrorCode::MalformedRequest)
        .with_detail("the request body could not be read")
        .with_source(source)
}

fn malformed(detail: &'static str) -> ApiError {
    ApiError::new(ErrorCode::MalformedRequest).with_detail(detail)
}
