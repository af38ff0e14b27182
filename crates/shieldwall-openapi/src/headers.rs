//! The response headers the layers send, as header objects.

use utoipa::openapi::header::Header;
use utoipa::openapi::schema::{ObjectBuilder, Type};

pub(crate) const REQUEST_ID: &str = "X-Request-Id";
pub(crate) const RATE_LIMIT: &str = "RateLimit";
pub(crate) const RATE_LIMIT_POLICY: &str = "RateLimit-Policy";
pub(crate) const RETRY_AFTER: &str = "Retry-After";
pub(crate) const WWW_AUTHENTICATE: &str = "WWW-Authenticate";
pub(crate) const ALLOW: &str = "Allow";

fn text(description: &str) -> Header {
    let mut header = Header::default();
    header.description = Some(description.to_owned());
    header
}

fn seconds(description: &str) -> Header {
    let mut header = Header::new(
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1)),
    );
    header.description = Some(description.to_owned());
    header
}

/// `X-Request-Id`, on every answer.
pub(crate) fn request_id() -> Header {
    text(
        "The request's id: the request's own `X-Request-Id` when it is 1 to 128 of \
         `A-Z a-z 0-9 - _ . :`, a new one otherwise. A problem body's `request_id` equals it.",
    )
}

/// `RateLimit` (draft-ietf-httpapi-ratelimit-headers).
pub(crate) fn rate_limit() -> Header {
    text(
        "What is left of the quota (draft-ietf-httpapi-ratelimit-headers, a structured field): \
         sent whenever a rate limit counted this request.",
    )
}

/// `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers).
pub(crate) fn rate_limit_policy() -> Header {
    text(
        "The quota and its window (draft-ietf-httpapi-ratelimit-headers, a structured field): \
         sent whenever a rate limit counted this request.",
    )
}

/// `Retry-After` of a 429.
pub(crate) fn retry_after_limited() -> Header {
    seconds("Whole seconds until the rate limit lets a request through again.")
}

/// `Retry-After` of a 503.
pub(crate) fn retry_after_down() -> Header {
    seconds(
        "Whole seconds to wait: sent when the refusal came from a rate limit whose store is down \
         (a policy that fails closed).",
    )
}

/// `WWW-Authenticate` of a bearer refusal.
pub(crate) fn www_authenticate(status: u16) -> Header {
    text(match status {
        401 => {
            "RFC 6750: `Bearer` when no credentials were sent, `Bearer error=\"invalid_token\"` \
             otherwise (sent when the refusal is the bearer token's)."
        }
        403 => {
            "RFC 6750: `Bearer error=\"insufficient_scope\", scope=\"...\"` (sent with \
             `INSUFFICIENT_SCOPE` when the token lacks the scope)."
        }
        _ => {
            "RFC 6750: `Bearer error=\"invalid_request\"` (sent when the refusal is the bearer \
             token's)."
        }
    })
}

/// `Allow` of a 405.
pub(crate) fn allow() -> Header {
    text(
        "The methods this path has, comma-separated (RFC 9110); a path with `GET` answers `HEAD` \
         too.",
    )
}
