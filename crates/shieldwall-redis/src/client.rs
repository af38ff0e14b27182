//! `Redis`: one multiplexed connection for the request path, a pool for the rest.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use deadpool_redis::{Pool, Runtime};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::{FromRedisValue, ToRedisArgs};
use shieldwall_core::{Clock, SystemClock};

use crate::breaker::CircuitBreaker;
use crate::config::Target;
use crate::{BreakerState, Connection, RedisConfig, RedisError, Script};

/// A handle to Redis (one server or a Redis Cluster), cheap to clone.
///
/// - [`Redis::connection`]: a multiplexed connection that reconnects by
///   itself. Many tasks' commands are pipelined over one socket (one per
///   node on a cluster); this is what every decision on the request path
///   uses.
/// - [`Redis::pool`]: on one server, a deadpool pool of dedicated
///   connections, for what needs a connection of its own (blocking reads,
///   MULTI).
/// - Every call through [`Redis::run`], [`Redis::run_script`],
///   [`Redis::run_script_batch`], [`Redis::with_timeout`] and
///   [`Redis::pubsub`] has the configured timeout and passes one circuit
///   breaker, shared by every clone of the handle and so by every store
///   built on it: after the configured number of commands in a row that
///   find Redis unreachable or too slow, every command fails at once with
///   [`RedisError::CircuitOpen`] (no round trip) for the cool-down; then
///   one command probes Redis, and its answer closes the breaker.
#[derive(Clone)]
pub struct Redis {
    breaker: Arc<CircuitBreaker>,
    /// Where subscriptions connect: the server, or every cluster seed (a
    /// cluster relays `PUBLISH` to every node, so any one will do).
    subscribers: Arc<[redis::Client]>,
    /// The seed the next subscription tries first: it moves on past a seed
    /// that failed, so a dead node is not tried first forever.
    next_subscriber: Arc<AtomicUsize>,
    connect_timeout: Duration,
    connection: Connection,
    pool: Option<Pool>,
    prefix: Arc<str>,
    timeout: Duration,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("breaker", &self.breaker)
            .finish_non_exhaustive()
    }
}

fn escape_into(part: &str, key: &mut String) {
    for c in part.chars() {
        match c {
            '%' => key.push_str("%25"),
            ':' => key.push_str("%3A"),
            '{' => key.push_str("%7B"),
            '}' => key.push_str("%7D"),
            c => key.push(c),
        }
    }
}

impl Redis {
    /// Connects. Fails when Redis cannot be reached within the connect
    /// timeout, so that a service notices a wrong URL at start-up.
    pub async fn connect(config: &RedisConfig) -> Result<Self, RedisError> {
        Self::connect_with_clock(config, SystemClock::new()).await
    }

    /// [`Redis::connect`], with the circuit breaker's cool-down measured on
    /// `clock` (a `ManualClock` in tests).
    pub async fn connect_with_clock(
        config: &RedisConfig,
        clock: impl Clock,
    ) -> Result<Self, RedisError> {
        #[cfg(feature = "tls")]
        install_crypto_provider();
        let (connection, pool, subscribers) = match &config.target {
            Target::Single(url) => {
                let (connection, pool, client) = connect_single(url, config).await?;
                (connection, Some(pool), vec![client])
            }
            Target::Cluster(nodes) => {
                let connection = connect_cluster(nodes, config).await?;
                let clients = nodes
                    .iter()
                    .map(|node| redis::Client::open(node.as_str()))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(RedisError::from_redis)?;
                (connection, None, clients)
            }
        };
        Ok(Self {
            breaker: Arc::new(CircuitBreaker::new(
                config.breaker_threshold,
                config.breaker_cooldown,
                Arc::new(clock),
            )),
            subscribers: Arc::from(subscribers),
            next_subscriber: Arc::new(AtomicUsize::new(0)),
            connect_timeout: config.connect_timeout,
            connection,
            pool,
            prefix: Arc::from(config.prefix.as_str()),
            timeout: config.command_timeout,
        })
    }

    /// The multiplexed, reconnecting connection (a cheap clone). Commands
    /// sent on it directly pass neither the timeout nor the breaker: send
    /// them through [`Redis::with_timeout`].
    #[must_use]
    pub fn connection(&self) -> Connection {
        self.connection.clone()
    }

    /// Whether this handle speaks to a Redis Cluster.
    #[must_use]
    pub fn is_cluster(&self) -> bool {
        self.connection.is_cluster()
    }

    /// The pool of dedicated connections to the one server; `None` on a
    /// cluster (a dedicated connection there belongs to one node). Getting
    /// one is bounded by the command timeout (waiting) and the connect
    /// timeout (opening) and does not pass the circuit breaker; commands
    /// sent on it are the caller's to bound and to put through the breaker
    /// ([`Redis::with_timeout`]).
    #[must_use]
    pub fn pool(&self) -> Option<&Pool> {
        self.pool.as_ref()
    }

    /// The command timeout.
    #[must_use]
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Where the circuit breaker stands.
    #[must_use]
    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    /// How long an open breaker refuses commands before it probes Redis.
    #[must_use]
    pub fn breaker_cooldown(&self) -> Duration {
        self.breaker.cooldown()
    }

    /// The key prefix.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `prefix:part1:part2...`. In each part, `%`, `:`, `{` and `}` are
    /// percent-escaped, so a client-chosen value can neither forge another
    /// key's structure nor pick a Redis Cluster hash slot.
    #[must_use]
    pub fn key(&self, parts: &[&str]) -> String {
        let mut key = String::with_capacity(
            self.prefix.len() + parts.iter().map(|p| p.len() + 1).sum::<usize>(),
        );
        key.push_str(&self.prefix);
        for part in parts {
            key.push(':');
            escape_into(part, &mut key);
        }
        key
    }

    /// `prefix:{tag}:suffix`: every key with the same `tag` lands in the same
    /// Redis Cluster hash slot, so one script may touch them all. Both parts
    /// are escaped as in [`Redis::key`].
    #[must_use]
    pub fn tagged_key(&self, tag: &str, suffix: &str) -> String {
        let mut key = String::with_capacity(self.prefix.len() + tag.len() + suffix.len() + 4);
        key.push_str(&self.prefix);
        key.push_str(":{");
        escape_into(tag, &mut key);
        key.push_str("}:");
        escape_into(suffix, &mut key);
        key
    }

    /// Runs `future` under the command timeout, through the circuit
    /// breaker: while it is open, `future` is dropped unpolled (a command
    /// future sends nothing before it is polled) and the answer is
    /// [`RedisError::CircuitOpen`].
    pub async fn with_timeout<T>(
        &self,
        future: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, RedisError> {
        let permit = self.breaker.permit()?;
        let result = match tokio::time::timeout(self.timeout, future).await {
            Ok(result) => result.map_err(RedisError::from_redis),
            Err(_) => Err(RedisError::Timeout(self.timeout)),
        };
        permit.record(&result);
        result
    }

    /// Runs `future` under the command timeout, **outside** the circuit
    /// breaker: it is neither refused by an open breaker nor counted by it.
    /// For background work that must not open the breaker for the requests
    /// (a slow audit batch, a subscription) and that retries on its own (an
    /// audit batch refused during a cool-down would be lost).
    pub async fn with_timeout_outside_breaker<T>(
        &self,
        future: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, RedisError> {
        match tokio::time::timeout(self.timeout, future).await {
            Ok(result) => result.map_err(RedisError::from_redis),
            Err(_) => Err(RedisError::Timeout(self.timeout)),
        }
    }

    /// Runs one command on the multiplexed connection, under the timeout.
    pub async fn run<T: FromRedisValue>(&self, command: &redis::Cmd) -> Result<T, RedisError> {
        let mut connection = self.connection.clone();
        self.with_timeout(command.query_async(&mut connection))
            .await
    }

    /// Runs a script by SHA in one round trip; on `NOSCRIPT` loads it and
    /// tries once more (on a cluster, sends it with `EVAL` to the key's node,
    /// which keeps it from then on).
    pub async fn run_script<T, K, A>(
        &self,
        script: &Script,
        keys: &[K],
        args: &[A],
    ) -> Result<T, RedisError>
    where
        T: FromRedisValue,
        K: ToRedisArgs,
        A: ToRedisArgs,
    {
        let evalsha = script_call("EVALSHA", script.sha(), keys, args);
        match self.run(&evalsha).await {
            Err(err) if is_noscript(&err) => {
                tracing::debug!(
                    sha = script.sha(),
                    "redis forgot a script; loading it again"
                );
                if self.is_cluster() {
                    // `EVAL` goes to the key's node alone and caches the
                    // script there; `SCRIPT LOAD` would need every node of
                    // the cluster up (a new primary never has the scripts:
                    // they are not replicated).
                    return self
                        .run(&script_call("EVAL", script.source(), keys, args))
                        .await;
                }
                let loaded: String = self
                    .run(redis::cmd("SCRIPT").arg("LOAD").arg(script.source()))
                    .await?;
                if loaded != script.sha() {
                    tracing::warn!(expected = script.sha(), loaded = %loaded, "redis hashed a script differently");
                }
                self.run(&evalsha).await
            }
            other => other,
        }
    }

    /// A new pub/sub connection of its own (pub/sub cannot share the
    /// multiplexed connection), within the connect timeout. On a cluster it
    /// goes to one seed node, the next one at each call (the cluster relays
    /// every `PUBLISH` to every node; a follower that hears nothing, not
    /// even its own [`Heartbeat`](crate::Heartbeat), subscribes again and
    /// so moves on). Outside the circuit breaker:
    /// a subscription is background work that retries on its own, and its
    /// connect (bounded by the connect timeout, not the command timeout)
    /// must not hold the breaker's one probe.
    pub async fn pubsub(&self) -> Result<redis::aio::PubSub, RedisError> {
        // Round robin: a follower that subscribes again (its subscription
        // ended, failed or went silent) goes to the next node.
        let index =
            self.next_subscriber.fetch_add(1, Ordering::Relaxed) % self.subscribers.len().max(1);
        let Some(client) = self.subscribers.get(index) else {
            return Err(RedisError::Topology("no node to subscribe on"));
        };
        match tokio::time::timeout(self.connect_timeout, client.get_async_pubsub()).await {
            Ok(result) => result.map_err(RedisError::from_redis),
            Err(_) => Err(RedisError::Timeout(self.connect_timeout)),
        }
    }

    /// A pub/sub connection of its own ([`Redis::pubsub`]) subscribed to
    /// `channel`: what a follower of invalidations or revocations starts
    /// from, and starts again from when its subscription ends.
    pub async fn subscribed(&self, channel: &str) -> Result<redis::aio::PubSub, RedisError> {
        let mut pubsub = self.pubsub().await?;
        match tokio::time::timeout(self.connect_timeout, pubsub.subscribe(channel)).await {
            Ok(result) => result.map_err(RedisError::from_redis)?,
            Err(_) => return Err(RedisError::Timeout(self.connect_timeout)),
        }
        Ok(pubsub)
    }

    /// Runs one script once per `(keys, args)` entry: pipelined in one round
    /// trip on one server (on `NOSCRIPT`, loads the script and sends the
    /// batch once more); on a cluster, each call by itself to its key's
    /// node, at once ([`Redis::run_script`]), so that no call runs twice.
    pub async fn run_script_batch<T, K, A>(
        &self,
        script: &Script,
        calls: &[(Vec<K>, Vec<A>)],
    ) -> Result<Vec<T>, RedisError>
    where
        T: FromRedisValue,
        K: ToRedisArgs,
        A: ToRedisArgs,
    {
        if self.is_cluster() {
            // Each call on its own: one that already ran is never sent
            // again because another node had lost the script.
            let each = calls
                .iter()
                .map(|(keys, args)| self.run_script(script, keys, args));
            return futures_util::future::try_join_all(each).await;
        }
        let commands: Vec<redis::Cmd> = calls
            .iter()
            .map(|(keys, args)| script_call("EVALSHA", script.sha(), keys, args))
            .collect();
        let first: Result<Vec<T>, RedisError> = self.with_timeout(self.batch(&commands)).await;
        match first {
            Err(err) if is_noscript(&err) => {
                let _: String = self
                    .run(redis::cmd("SCRIPT").arg("LOAD").arg(script.source()))
                    .await?;
                self.with_timeout(self.batch(&commands)).await
            }
            other => other,
        }
    }

    /// Runs independent `commands` (no transaction) and returns their
    /// answers in order: on one server, pipelined in one round trip; on a
    /// cluster, each sent to the node of its key's slot, all at once (a
    /// pipeline there cannot span slots). Neither timed nor put through the
    /// breaker: wrap it in [`Redis::with_timeout`] or
    /// [`Redis::with_timeout_outside_breaker`].
    pub async fn batch<T: FromRedisValue>(
        &self,
        commands: &[redis::Cmd],
    ) -> redis::RedisResult<Vec<T>> {
        let mut connection = self.connection.clone();
        if connection.is_cluster() {
            let each = commands.iter().map(|command| {
                let mut connection = self.connection.clone();
                async move { command.query_async::<T>(&mut connection).await }
            });
            futures_util::future::try_join_all(each).await
        } else {
            let mut pipe = redis::pipe();
            for command in commands {
                pipe.add_command(command.clone());
            }
            pipe.query_async(&mut connection).await
        }
    }

    /// `PING`: the round-trip time, or why Redis is not healthy.
    pub async fn health(&self) -> Result<Duration, RedisError> {
        let start = Instant::now();
        let pong: String = self.run(&redis::cmd("PING")).await?;
        if pong == "PONG" {
            Ok(start.elapsed())
        } else {
            Err(RedisError::Command(redis::RedisError::from((
                redis::ErrorKind::UnexpectedReturnType,
                "PING did not answer PONG",
            ))))
        }
    }
}

/// `EVALSHA sha` or `EVAL source`, with the number of keys, the keys and
/// the arguments.
fn script_call<K: ToRedisArgs, A: ToRedisArgs>(
    command: &str,
    script: &str,
    keys: &[K],
    args: &[A],
) -> redis::Cmd {
    let mut call = redis::cmd(command);
    call.arg(script).arg(keys.len()).arg(keys).arg(args);
    call
}

/// Redis answered `NOSCRIPT`: it does not have the script (a restart, a
/// failover, `SCRIPT FLUSH`).
fn is_noscript(error: &RedisError) -> bool {
    matches!(error, RedisError::Command(err)
        if err.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript))
}

async fn connect_single(
    url: &str,
    config: &RedisConfig,
) -> Result<(Connection, Pool, redis::Client), RedisError> {
    let client = redis::Client::open(url).map_err(RedisError::from_redis)?;
    let manager_config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(config.connect_timeout))
        .set_response_timeout(Some(config.command_timeout))
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_secs(1));
    let connect = ConnectionManager::new_with_config(client.clone(), manager_config);
    let manager = match tokio::time::timeout(config.connect_timeout, connect).await {
        Ok(Ok(manager)) => manager,
        Ok(Err(err)) => return Err(RedisError::from_redis(err)),
        Err(_) => return Err(RedisError::Timeout(config.connect_timeout)),
    };
    let mut pool_config = deadpool_redis::Config::from_url(url);
    let mut pool_size = deadpool_redis::PoolConfig::new(config.pool_size.get());
    // Waiting for, opening and checking a pooled connection are bounded too.
    pool_size.timeouts = deadpool_redis::Timeouts {
        wait: Some(config.command_timeout),
        create: Some(config.connect_timeout),
        recycle: Some(config.command_timeout),
    };
    pool_config.pool = Some(pool_size);
    let pool = pool_config
        .create_pool(Some(Runtime::Tokio1))
        .map_err(|e| RedisError::Pool(e.to_string()))?;
    refuse_cluster_node(&manager, config.connect_timeout).await?;
    Ok((Connection::single(manager), pool, client))
}

/// One server's URL that names a Redis Cluster node would answer `MOVED`
/// for most keys: refused at connect, saying what to use instead. A user
/// not allowed `INFO` (an ACL without `@dangerous`) is not asked again.
async fn refuse_cluster_node(
    manager: &ConnectionManager,
    timeout: Duration,
) -> Result<(), RedisError> {
    let mut connection = manager.clone();
    let mut info = redis::cmd("INFO");
    info.arg("cluster");
    let answer = tokio::time::timeout(timeout, info.query_async::<String>(&mut connection)).await;
    match answer {
        Ok(Ok(text)) if text.lines().any(|l| l.trim() == "cluster_enabled:1") => {
            Err(RedisError::Topology(
                "this server is a Redis Cluster node: configure the cluster's seed nodes \
                 (RedisConfig::cluster, REDIS_CLUSTER_NODES) instead of one URL",
            ))
        }
        _ => Ok(()),
    }
}

async fn connect_cluster(nodes: &[String], config: &RedisConfig) -> Result<Connection, RedisError> {
    let client = ClusterClientBuilder::new(nodes.iter().map(String::as_str))
        .connection_timeout(config.connect_timeout)
        .response_timeout(config.command_timeout)
        // Redirections and retries during a failover stay within the
        // command timeout the caller puts around each command.
        .overall_response_timeout(Some(config.command_timeout))
        .retries(2)
        // Waits between retries (a `CLUSTERDOWN` or `TRYAGAIN` during a
        // failover) that fit in the command timeout: the client's default
        // starts at 1.28 s.
        .min_retry_wait(10)
        .max_retry_wait(100)
        .build()
        .map_err(RedisError::from_redis)?;
    match tokio::time::timeout(config.connect_timeout, client.get_async_connection()).await {
        Ok(Ok(connection)) => Ok(Connection::cluster(connection)),
        Ok(Err(err)) => Err(RedisError::from_redis(err)),
        Err(_) => Err(RedisError::Timeout(config.connect_timeout)),
    }
}

/// rustls needs a process-wide crypto provider to build a `rediss://`
/// connection; one is installed (aws-lc-rs) unless the process already has
/// one (what it installed is kept).
#[cfg(feature = "tls")]
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // An error means another thread installed one meanwhile: kept.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    }
}
