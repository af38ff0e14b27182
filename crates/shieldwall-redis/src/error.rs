//! `RedisError`: what can go wrong talking to Redis, and its one conversion
//! into the stores' error.

use std::borrow::Cow;
use std::time::Duration;

use shieldwall_errors::{ErrorCode, Rejection};

/// A Redis operation failed. Its `Display` names the kind of failure and
/// never the URL or the data.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    /// No answer within the command timeout.
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    /// Redis cannot be reached, or the connection broke.
    #[error("redis is unreachable")]
    Unavailable(#[source] redis::RedisError),
    /// Redis answered with an error, or an answer of an unexpected type.
    #[error("redis command failed")]
    Command(#[source] redis::RedisError),
    /// No pooled connection could be had.
    #[error("no pooled redis connection: {0}")]
    Pool(String),
    /// The circuit breaker is open: Redis kept failing, and the command was
    /// refused without a round trip until the cool-down ends.
    #[error("redis kept failing; the circuit breaker is open")]
    CircuitOpen,
    /// What Redis is does not fit what was asked: one server's URL names a
    /// Redis Cluster node, or a cluster does not serve every slot (a
    /// failover or resharding under way) or changed during a scan.
    #[error("redis topology: {0}")]
    Topology(&'static str),
}

impl RedisError {
    pub(crate) fn from_redis(err: redis::RedisError) -> Self {
        if err.is_io_error()
            || err.is_connection_dropped()
            || err.is_timeout()
            || err.is_unrecoverable_error()
        {
            Self::Unavailable(err)
        } else {
            Self::Command(err)
        }
    }

    /// Whether Redis was unreachable or too slow (or the breaker refused the
    /// command for that reason), as opposed to answering with an error.
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::Timeout(_) | Self::Unavailable(_) | Self::Pool(_) | Self::CircuitOpen
        )
    }

    /// Whether the circuit breaker refused the command (no round trip).
    #[must_use]
    pub fn is_circuit_open(&self) -> bool {
        matches!(self, Self::CircuitOpen)
    }
}

/// A store failure on the request path is 503 `SERVICE_UNAVAILABLE` for a
/// fail-closed decision; the cause is logged, never sent.
impl Rejection for RedisError {
    fn code(&self) -> ErrorCode {
        ErrorCode::ServiceUnavailable
    }

    fn detail(&self) -> Option<Cow<'static, str>> {
        None
    }
}

/// The one conversion of every Redis-backed store: a Redis failure is the
/// stores' error (`redis unavailable`, 503 where the caller fails closed),
/// with this error as its source, so `?` is all a store writes.
impl From<RedisError> for shieldwall_core::StoreError {
    fn from(error: RedisError) -> Self {
        Self::new("redis", error)
    }
}
