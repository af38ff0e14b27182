//! `StoreError`: a store on the request path failed.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

use shieldwall_errors::{ErrorCode, Rejection};

/// A store needed for a decision failed (unreachable, too slow, or answered
/// with an error). Every concern's store trait uses it, so that memory and
/// Redis implementations share one error and one answer: a fail-closed
/// decision becomes 503 `SERVICE_UNAVAILABLE`. The cause is logged, never sent.
#[derive(Debug)]
pub struct StoreError {
    what: &'static str,
    source: Box<dyn StdError + Send + Sync + 'static>,
}

impl StoreError {
    /// A failure of `what` (such as "revocation store"), caused by `source`.
    pub fn new(
        what: &'static str,
        source: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            what,
            source: source.into(),
        }
    }

    /// Which store failed.
    #[must_use]
    pub fn what(&self) -> &'static str {
        self.what
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} unavailable", self.what)
    }
}

impl StdError for StoreError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(self.source.as_ref())
    }
}

impl Rejection for StoreError {
    fn code(&self) -> ErrorCode {
        ErrorCode::ServiceUnavailable
    }

    fn detail(&self) -> Option<Cow<'static, str>> {
        None
    }
}
