//! The per-address limits of the `limit-anchor` stack: what a team writes
//! without shieldwall, one decision per request, framework-free here and
//! wired by each framework's file.
//!
//! On memory, governor's keyed limiter (axum uses it through tower_governor;
//! actix-governor is GPL-3.0, so actix-web calls governor from a `wrap_fn`).
//! On Redis, a fixed window by hand: `INCR` and `EXPIRE … NX` in one
//! pipeline, on one multiplexed connection (actix-limitation, the Redis
//! limiter of actix-extras, opens a connection per request, which would
//! measure connection set-up rather than the limit).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota};

/// Requests an address may make per window: out of any load's reach.
pub const LIMIT: u32 = 1_000_000_000;
/// The Redis window, in seconds.
const WINDOW_SECS: i64 = 3600;

/// One limit, in memory or on Redis.
#[derive(Clone)]
#[allow(
    missing_debug_implementations,
    clippy::exhaustive_enums,
    reason = "a benchmark's own type"
)]
pub enum AnchorLimiter {
    /// governor, keyed by address.
    Memory(Arc<DefaultKeyedRateLimiter<IpAddr>>),
    /// A fixed window in Redis.
    Redis(redis::aio::MultiplexedConnection),
}

impl AnchorLimiter {
    /// On Redis when `REDIS_URL` is set, else in memory.
    pub async fn from_env() -> Result<Self, String> {
        match std::env::var("REDIS_URL") {
            Ok(url) => {
                let client = redis::Client::open(url).map_err(|e| e.to_string())?;
                let connection = client
                    .get_multiplexed_async_connection()
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(Self::Redis(connection))
            }
            Err(_) => Ok(Self::Memory(Arc::new(memory()))),
        }
    }

    /// Whether `ip` may go on; a Redis error lets it (fail open, as the
    /// hand-written limiters usually do).
    pub async fn allow(&self, ip: IpAddr) -> bool {
        match self {
            Self::Memory(limiter) => limiter.check_key(&ip).is_ok(),
            Self::Redis(connection) => {
                let key = format!("anchor-limit:{ip}");
                let mut connection = connection.clone();
                let counted: Result<(i64,), _> = redis::pipe()
                    .cmd("INCR")
                    .arg(&key)
                    .cmd("EXPIRE")
                    .arg(&key)
                    .arg(WINDOW_SECS)
                    .arg("NX")
                    .ignore()
                    .query_async(&mut connection)
                    .await;
                counted.map_or(true, |(count,)| count <= i64::from(LIMIT))
            }
        }
    }
}

/// governor's keyed limiter with [`LIMIT`] per second.
pub fn memory() -> DefaultKeyedRateLimiter<IpAddr> {
    DefaultKeyedRateLimiter::keyed(Quota::per_second(
        NonZeroU32::new(LIMIT).unwrap_or(NonZeroU32::MAX),
    ))
}
