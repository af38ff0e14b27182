//! `RedisConfig`: checked when built.

use std::num::NonZeroUsize;
use std::time::Duration;

use redis::IntoConnectionInfo;

/// A Redis configuration was refused.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum RedisConfigError {
    /// The URL does not parse. The URL itself is not repeated: it may hold a password.
    #[error("the Redis URL is invalid (expected redis://[user:password@]host[:port][/db])")]
    InvalidUrl,
    /// The key prefix holds a character it must not.
    #[error(
        "the key prefix must be 1 to 64 printable ASCII characters without spaces, `{{` or `}}`"
    )]
    InvalidPrefix,
    /// A timeout of zero.
    #[error("{0} must be greater than zero")]
    ZeroTimeout(&'static str),
}

/// How to reach Redis and how shieldwall uses it.
///
/// ```
/// use std::time::Duration;
/// use shieldwall_redis::RedisConfig;
///
/// let config = RedisConfig::new("redis://127.0.0.1:6379/0")?
///     .key_prefix("myapp")?
///     .command_timeout(Duration::from_millis(250))?;
/// assert_eq!(config.prefix(), "myapp");
/// assert!(RedisConfig::new("not a url").is_err());
/// # Ok::<(), shieldwall_redis::RedisConfigError>(())
/// ```
#[derive(Clone)]
pub struct RedisConfig {
    pub(crate) url: String,
    pub(crate) prefix: String,
    pub(crate) command_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) pool_size: NonZeroUsize,
}

impl std::fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password; it is never printed.
        f.debug_struct("RedisConfig")
            .field("url", &"[REDACTED]")
            .field("prefix", &self.prefix)
            .field("command_timeout", &self.command_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

const DEFAULT_POOL_SIZE: NonZeroUsize = match NonZeroUsize::new(8) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

impl RedisConfig {
    /// A configuration for `url` with prefix `shieldwall`, a 500 ms command
    /// timeout, a 2 s connect timeout and a pool of 8.
    pub fn new(url: &str) -> Result<Self, RedisConfigError> {
        url.into_connection_info()
            .map_err(|_| RedisConfigError::InvalidUrl)?;
        Ok(Self {
            url: url.to_owned(),
            prefix: "shieldwall".to_owned(),
            command_timeout: Duration::from_millis(500),
            connect_timeout: Duration::from_secs(2),
            pool_size: DEFAULT_POOL_SIZE,
        })
    }

    /// Every key starts with `prefix:` so that several applications can share
    /// one Redis.
    pub fn key_prefix(mut self, prefix: &str) -> Result<Self, RedisConfigError> {
        let ok = !prefix.is_empty()
            && prefix.len() <= 64
            && prefix
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'{' && b != b'}');
        if !ok {
            return Err(RedisConfigError::InvalidPrefix);
        }
        prefix.clone_into(&mut self.prefix);
        Ok(self)
    }

    /// How long one command may take before it counts as failed.
    pub fn command_timeout(mut self, timeout: Duration) -> Result<Self, RedisConfigError> {
        if timeout.is_zero() {
            return Err(RedisConfigError::ZeroTimeout("command timeout"));
        }
        self.command_timeout = timeout;
        Ok(self)
    }

    /// How long connecting may take.
    pub fn connect_timeout(mut self, timeout: Duration) -> Result<Self, RedisConfigError> {
        if timeout.is_zero() {
            return Err(RedisConfigError::ZeroTimeout("connect timeout"));
        }
        self.connect_timeout = timeout;
        Ok(self)
    }

    /// The size of the pool of dedicated connections.
    #[must_use]
    pub fn pool_size(mut self, size: NonZeroUsize) -> Self {
        self.pool_size = size;
        self
    }

    /// The key prefix.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}
