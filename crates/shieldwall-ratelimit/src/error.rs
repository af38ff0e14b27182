//! Configuration errors and the rate-limit rejection.

use std::borrow::Cow;
use std::fmt;

use http::{HeaderMap, HeaderValue};
use shieldwall_errors::{ErrorCode, Rejection};

/// A rate-limit configuration was refused.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RateLimitConfigError {
    /// A quota that does not parse.
    #[error("`{}` is not a quota like 100/15m (N per window, window in s, m or h)", .0.escape_debug())]
    QuotaSyntax(String),
    /// A window of zero, over a week, or shorter than one nanosecond per request.
    #[error("the window must be between 1 s and 1 week, and long enough for the count")]
    Window,
    /// A policy name that is not a short token.
    #[error("a policy name is 1 to 32 characters of a-z 0-9 - _")]
    Name,
    /// A cost larger than the quota or the burst: such a request could never pass.
    #[error("the cost must be at most the quota and the burst")]
    Cost,
    /// A header name that is not a header name.
    #[error("`{}` is not a valid header name", .0.escape_debug())]
    HeaderName(String),
    /// A failure mode that is not `closed`, `open` or `memory`.
    #[error("`{}` is not a failure mode (closed, open or memory)", .0.escape_debug())]
    FailureMode(String),
}

/// Why a request was not let through.
#[derive(Clone, Debug)]
pub struct RateLimited {
    pub(crate) kind: RateLimitedKind,
    pub(crate) headers: HeaderMap,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RateLimitedKind {
    /// Over the limit.
    Limited,
    /// The store is down and the policy fails closed.
    StoreDown,
}

impl RateLimited {
    /// Whether the store was down (503) rather than the limit reached (429).
    #[must_use]
    pub fn is_store_down(&self) -> bool {
        self.kind == RateLimitedKind::StoreDown
    }
}

impl fmt::Display for RateLimited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            RateLimitedKind::Limited => f.write_str("rate limit reached"),
            RateLimitedKind::StoreDown => {
                f.write_str("rate-limit store unavailable; failing closed")
            }
        }
    }
}

impl std::error::Error for RateLimited {}

impl Rejection for RateLimited {
    fn code(&self) -> ErrorCode {
        match self.kind {
            RateLimitedKind::Limited => ErrorCode::RateLimited,
            RateLimitedKind::StoreDown => ErrorCode::ServiceUnavailable,
        }
    }

    fn detail(&self) -> Option<Cow<'static, str>> {
        match self.kind {
            RateLimitedKind::Limited => Some(Cow::Borrowed(
                "too many requests; retry after the time in Retry-After",
            )),
            RateLimitedKind::StoreDown => None,
        }
    }

    fn headers(&self) -> HeaderMap {
        self.headers.clone()
    }
}

pub(crate) fn header_value(text: &str) -> HeaderValue {
    // Every value built here is ASCII digits, quotes, `;`, `=` and token characters.
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("0"))
}
