//! `RedisConfig`: checked when built.

use std::num::{NonZeroU32, NonZeroUsize};
use std::time::Duration;

use redis::IntoConnectionInfo;

/// A Redis configuration was refused.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum RedisConfigError {
    /// The URL does not parse. The URL itself is not repeated: it may hold a password.
    #[error("the Redis URL is invalid (expected redis://[user:password@]host[:port][/db])")]
    InvalidUrl,
    /// A URL with a `#fragment`: the `redis` crate reads `#insecure` as
    /// "do not check the certificate", which this crate never allows (a
    /// `#` in a password is written `%23`).
    #[error("a Redis URL must not have a #fragment (write a `#` in a password as %23)")]
    UrlFragment,
    /// Seed nodes of one cluster that disagree on TLS, user or password:
    /// the client would speak to some nodes otherwise than to others.
    #[error("the Redis Cluster nodes must share one scheme, user and password")]
    MixedClusterNodes,
    /// A `rediss://` URL, but this build has no TLS (the crate's `tls`
    /// feature is off).
    #[error(
        "a rediss:// URL needs shieldwall-redis's `tls` feature, which this build does not have"
    )]
    TlsNotBuilt,
    /// A Redis Cluster seed node's URL does not parse, or names a database
    /// other than 0 (a cluster has only database 0). Which node is said by
    /// its position; the URL is not repeated.
    #[error(
        "Redis Cluster node {0} is not a valid node URL (expected redis://[user:password@]host:port, database 0)"
    )]
    InvalidClusterNode(usize),
    /// A Redis Cluster configuration without a seed node.
    #[error("a Redis Cluster needs at least one seed node")]
    NoClusterNodes,
    /// More seed nodes than [`MAX_CLUSTER_NODES`].
    #[error("at most 64 Redis Cluster seed nodes")]
    TooManyClusterNodes,
    /// The key prefix holds a character it must not.
    #[error(
        "the key prefix must be 1 to 64 printable ASCII characters without spaces, `{{` or `}}`"
    )]
    InvalidPrefix,
    /// A timeout of zero.
    #[error("{0} must be greater than zero")]
    ZeroTimeout(&'static str),
    /// A circuit breaker cool-down of zero (a breaker that never stays open).
    #[error("the circuit breaker cool-down must be greater than zero")]
    ZeroCooldown,
    /// A circuit breaker cool-down over [`MAX_BREAKER_COOLDOWN`]: Redis
    /// would be given up for that long after a few failures.
    #[error("the circuit breaker cool-down must be at most 5 minutes")]
    CooldownTooLong,
    /// A pool larger than [`MAX_POOL_SIZE`] connections.
    #[error("the pool size must be at most 1024 connections")]
    PoolTooLarge,
}

/// The largest pool [`RedisConfig::pool_size`] accepts (the pool allocates
/// its slots up front: a size from a typo must not exhaust memory).
pub const MAX_POOL_SIZE: usize = 1024;

/// The most seed nodes [`RedisConfig::cluster`] accepts (seeds are only
/// where the client starts: it learns the rest of the cluster from them).
pub const MAX_CLUSTER_NODES: usize = 64;

/// Where Redis is: one server, or the seed nodes of a Redis Cluster.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// One server (or a primary behind a proxy or Sentinel-managed address).
    Single(String),
    /// Seed nodes of a Redis Cluster.
    Cluster(Vec<String>),
}

/// The longest circuit breaker cool-down [`RedisConfig::breaker_cooldown`]
/// accepts.
pub const MAX_BREAKER_COOLDOWN: Duration = Duration::from_secs(300);

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
    pub(crate) target: Target,
    pub(crate) prefix: String,
    pub(crate) command_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) pool_size: NonZeroUsize,
    pub(crate) breaker_threshold: NonZeroU32,
    pub(crate) breaker_cooldown: Duration,
}

impl std::fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password; it is never printed.
        f.debug_struct("RedisConfig")
            .field(
                "target",
                match &self.target {
                    Target::Single(_) => &"one server at [REDACTED]",
                    Target::Cluster(_) => &"a Redis Cluster at [REDACTED]",
                },
            )
            .field("prefix", &self.prefix)
            .field("command_timeout", &self.command_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("pool_size", &self.pool_size)
            .field("breaker_threshold", &self.breaker_threshold)
            .field("breaker_cooldown", &self.breaker_cooldown)
            .finish()
    }
}

const DEFAULT_POOL_SIZE: NonZeroUsize = match NonZeroUsize::new(8) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

const DEFAULT_BREAKER_THRESHOLD: NonZeroU32 = match NonZeroU32::new(5) {
    Some(n) => n,
    None => NonZeroU32::MIN,
};

/// Refuses a URL with a fragment (`#insecure` turns certificate checks off
/// in the `redis` crate), and a TLS URL when TLS is not built in, with a
/// message that says so (the `redis` crate would only say it is invalid).
fn check_url(url: &str) -> Result<(), RedisConfigError> {
    if url.contains('#') {
        return Err(RedisConfigError::UrlFragment);
    }
    let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
    let tls = ["rediss", "valkeys"]
        .iter()
        .any(|s| scheme.eq_ignore_ascii_case(s));
    if tls && !cfg!(feature = "tls") {
        return Err(RedisConfigError::TlsNotBuilt);
    }
    Ok(())
}

impl RedisConfig {
    /// A configuration for `url` with prefix `shieldwall`, a 500 ms command
    /// timeout, a 2 s connect timeout, a pool of 8, and a circuit breaker
    /// that opens after 5 failures in a row for a 2 s cool-down.
    pub fn new(url: &str) -> Result<Self, RedisConfigError> {
        check_url(url)?;
        url.into_connection_info()
            .map_err(|_| RedisConfigError::InvalidUrl)?;
        Ok(Self::with_target(Target::Single(url.to_owned())))
    }

    /// A configuration for the Redis Cluster that `nodes` belong to (seed
    /// nodes: the client reads the rest of the topology from the first that
    /// answers, and follows it through resharding and failover), with the
    /// defaults of [`RedisConfig::new`]. Every store keeps each decision's
    /// keys in one hash slot.
    ///
    /// ```
    /// use shieldwall_redis::RedisConfig;
    ///
    /// let config = RedisConfig::cluster(["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"])?;
    /// assert!(config.is_cluster());
    /// assert!(RedisConfig::cluster(Vec::<String>::new()).is_err());
    /// assert!(RedisConfig::cluster(["redis://10.0.0.1:7000/3"]).is_err());
    /// # Ok::<(), shieldwall_redis::RedisConfigError>(())
    /// ```
    pub fn cluster<I, S>(nodes: I) -> Result<Self, RedisConfigError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut seeds = Vec::new();
        // The first node's scheme, user and password, which every other must share.
        let mut first = None;
        for (index, node) in nodes.into_iter().enumerate() {
            if index >= MAX_CLUSTER_NODES {
                return Err(RedisConfigError::TooManyClusterNodes);
            }
            let node = node.as_ref().trim();
            check_url(node)?;
            let info = node
                .into_connection_info()
                .map_err(|_| RedisConfigError::InvalidClusterNode(index + 1))?;
            if info.redis_settings().db() != 0 {
                return Err(RedisConfigError::InvalidClusterNode(index + 1));
            }
            let scheme = node.split_once("://").map_or("", |(scheme, _)| scheme);
            let who = (
                scheme.to_ascii_lowercase(),
                info.redis_settings().username().map(str::to_owned),
                info.redis_settings().password().map(str::to_owned),
            );
            match &first {
                None => first = Some(who),
                Some(same) if *same == who => {}
                Some(_) => return Err(RedisConfigError::MixedClusterNodes),
            }
            seeds.push(node.to_owned());
        }
        if seeds.is_empty() {
            return Err(RedisConfigError::NoClusterNodes);
        }
        Ok(Self::with_target(Target::Cluster(seeds)))
    }

    fn with_target(target: Target) -> Self {
        Self {
            target,
            prefix: "shieldwall".to_owned(),
            command_timeout: Duration::from_millis(500),
            connect_timeout: Duration::from_secs(2),
            pool_size: DEFAULT_POOL_SIZE,
            breaker_threshold: DEFAULT_BREAKER_THRESHOLD,
            breaker_cooldown: Duration::from_secs(2),
        }
    }

    /// Whether this configuration names a Redis Cluster.
    #[must_use]
    pub fn is_cluster(&self) -> bool {
        matches!(self.target, Target::Cluster(_))
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

    /// The size of the pool of dedicated connections, at most
    /// [`MAX_POOL_SIZE`] (one server only: a cluster has no pool).
    pub fn pool_size(mut self, size: NonZeroUsize) -> Result<Self, RedisConfigError> {
        if size.get() > MAX_POOL_SIZE {
            return Err(RedisConfigError::PoolTooLarge);
        }
        self.pool_size = size;
        Ok(self)
    }

    /// How many commands in a row may find Redis unreachable or too slow
    /// before the circuit breaker opens (default 5). An error reply is an
    /// answer and does not count.
    #[must_use]
    pub fn breaker_threshold(mut self, failures: NonZeroU32) -> Self {
        self.breaker_threshold = failures;
        self
    }

    /// How long an open circuit breaker refuses commands without a round
    /// trip before one command probes Redis again (default 2 s; at most
    /// [`MAX_BREAKER_COOLDOWN`]).
    pub fn breaker_cooldown(mut self, cooldown: Duration) -> Result<Self, RedisConfigError> {
        if cooldown.is_zero() {
            return Err(RedisConfigError::ZeroCooldown);
        }
        if cooldown > MAX_BREAKER_COOLDOWN {
            return Err(RedisConfigError::CooldownTooLong);
        }
        self.breaker_cooldown = cooldown;
        Ok(self)
    }

    /// The key prefix.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fragment_is_refused_so_that_certificates_are_always_checked() {
        for url in [
            "rediss://127.0.0.1:6380/#insecure",
            "rediss://127.0.0.1:6380#insecure",
            "redis://:pa#ss@127.0.0.1",
        ] {
            assert!(
                matches!(RedisConfig::new(url), Err(RedisConfigError::UrlFragment)),
                "{url}"
            );
            assert!(
                matches!(
                    RedisConfig::cluster([url]),
                    Err(RedisConfigError::UrlFragment)
                ),
                "{url}"
            );
        }
        let err = RedisConfig::new("redis://:pa#ss@127.0.0.1").unwrap_err();
        assert!(!err.to_string().contains("pa#ss"));
        assert!(RedisConfig::new("redis://:pa%23ss@127.0.0.1").is_ok());
    }

    #[test]
    fn a_tls_url_needs_the_tls_feature() {
        for url in [
            "rediss://127.0.0.1:6380/0",
            "REDISS://127.0.0.1:6380",
            "valkeys://127.0.0.1:6380",
        ] {
            let single = RedisConfig::new(url);
            let cluster = RedisConfig::cluster([url]);
            if cfg!(feature = "tls") {
                assert!(single.is_ok() && cluster.is_ok(), "{url}");
            } else {
                assert!(
                    matches!(single, Err(RedisConfigError::TlsNotBuilt)),
                    "{url}"
                );
                assert!(
                    matches!(cluster, Err(RedisConfigError::TlsNotBuilt)),
                    "{url}"
                );
            }
        }
    }

    #[test]
    fn cluster_nodes_are_checked_and_never_echoed() {
        let err =
            RedisConfig::cluster(["redis://127.0.0.1:7000", "http://:hunter2@x"]).unwrap_err();
        assert!(matches!(err, RedisConfigError::InvalidClusterNode(2)));
        assert!(!err.to_string().contains("hunter2"));
        assert!(matches!(
            RedisConfig::cluster(["redis://127.0.0.1:7000/1"]),
            Err(RedisConfigError::InvalidClusterNode(1))
        ));
        for mixed in [
            ["redis://127.0.0.1:7000", "rediss://127.0.0.1:7001"],
            ["redis://a:pw@127.0.0.1:7000", "redis://b:pw@127.0.0.1:7001"],
            ["redis://:pw@127.0.0.1:7000", "redis://127.0.0.1:7001"],
        ] {
            let refused = RedisConfig::cluster(mixed);
            // Without TLS built in, the rediss:// node is refused for that first.
            let tls_first = !cfg!(feature = "tls") && mixed[1].starts_with("rediss");
            assert!(
                matches!(refused, Err(RedisConfigError::MixedClusterNodes))
                    || (tls_first && matches!(refused, Err(RedisConfigError::TlsNotBuilt))),
                "{mixed:?}"
            );
        }
        let many = vec!["redis://127.0.0.1:7000"; MAX_CLUSTER_NODES + 1];
        assert!(matches!(
            RedisConfig::cluster(many),
            Err(RedisConfigError::TooManyClusterNodes)
        ));
        let config = RedisConfig::cluster(["redis://:hunter2@127.0.0.1:7000"]).unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
