//! Test fixtures (feature `testing`, for the workspace's own tests: turn it
//! on in `[dev-dependencies]` only, never in what a service builds).
//!
//! `cargo xtask test` starts a throwaway `redis-server` on a free loopback port
//! and exports its URL as `SHIELDWALL_TEST_REDIS_URL`. Tests take it from here and
//! isolate themselves with [`unique_prefix`]; they never flush the server.
//! [`OwnServer`] is a server of one test's own (to stop it, or count its
//! commands), and [`BreakerRig`] opens a handle's circuit breaker on one.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shieldwall_core::ManualClock;

use crate::{BreakerState, Redis};

/// The variable that holds the test server's URL.
pub const TEST_REDIS_URL_VAR: &str = "SHIELDWALL_TEST_REDIS_URL";

/// The URL of the test `redis-server`.
///
/// # Panics
///
/// When the variable is unset: the test then cannot do what it exists for, so
/// it fails and says how to run it, rather than passing without Redis.
#[must_use]
#[allow(clippy::panic, reason = "a test fixture: failing loudly is its job")]
pub fn redis_url() -> String {
    match std::env::var(TEST_REDIS_URL_VAR) {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "{TEST_REDIS_URL_VAR} is not set. Run the tests with `cargo xtask test`, which starts a \
             redis-server, or start one with `cargo xtask redis` and export the URL it prints."
        ),
    }
}

/// The variable that holds the test Redis Cluster's seed nodes,
/// comma-separated (the form of the demo's `REDIS_CLUSTER_NODES`).
pub const TEST_REDIS_CLUSTER_VAR: &str = "SHIELDWALL_TEST_REDIS_CLUSTER";

/// The seed nodes of the test Redis Cluster, comma-separated.
///
/// # Panics
///
/// When the variable is unset, as [`redis_url`].
#[must_use]
#[allow(clippy::panic, reason = "a test fixture: failing loudly is its job")]
pub fn cluster_nodes() -> String {
    match std::env::var(TEST_REDIS_CLUSTER_VAR) {
        Ok(nodes) if !nodes.is_empty() => nodes,
        _ => panic!(
            "{TEST_REDIS_CLUSTER_VAR} is not set. Run the tests with `cargo xtask test`, which \
             starts a Redis Cluster, or start one with `cargo xtask redis --cluster` and export \
             the nodes it prints."
        ),
    }
}

/// A configuration for the test Redis Cluster with a unique prefix.
///
/// # Panics
///
/// As [`cluster_nodes`]; and when a node or the prefix is invalid.
#[must_use]
#[allow(
    clippy::expect_used,
    reason = "a test fixture: failing loudly is its job"
)]
pub fn cluster_config(name: &str) -> crate::RedisConfig {
    crate::RedisConfig::cluster(cluster_nodes().split(','))
        .and_then(|c| c.key_prefix(&unique_prefix(name)))
        .expect("the test Redis Cluster's nodes and the prefix are valid")
}

/// A key prefix no other test uses: `test-<name>-<pid>-<time>-<n>`.
#[must_use]
pub fn unique_prefix(name: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "test-{name}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A configuration for the test server with a unique prefix.
///
/// # Panics
///
/// As [`redis_url`]; and when the URL or prefix is invalid.
#[must_use]
#[allow(
    clippy::expect_used,
    reason = "a test fixture: failing loudly is its job"
)]
pub fn config(name: &str) -> crate::RedisConfig {
    crate::RedisConfig::new(&redis_url())
        .and_then(|c| c.key_prefix(&unique_prefix(name)))
        .expect("the test Redis URL and prefix are valid")
}

/// A `redis-server` of one test's own, on a free loopback port, killed when
/// dropped: for tests that must stop Redis or read exact command counts.
#[derive(Debug)]
pub struct OwnServer {
    child: std::process::Child,
    port: u16,
    /// Arguments after the port's (TLS, users), kept for a restart.
    extra: Vec<String>,
    tls: bool,
}

impl OwnServer {
    /// Starts one and waits until it accepts connections.
    ///
    /// # Panics
    ///
    /// When `redis-server` cannot be started (the test command needs it anyway).
    #[must_use]
    #[allow(
        clippy::expect_used,
        reason = "a test fixture: failing loudly is its job"
    )]
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts one with more `redis-server` arguments (`--user` lines, say).
    ///
    /// # Panics
    ///
    /// As [`OwnServer::start`].
    #[must_use]
    pub fn start_with(extra: &[&str]) -> Self {
        Self::start_on(Self::free_port(), extra, false)
    }

    /// Starts one that speaks TLS only (its plain port closed), with the
    /// certificate and key at `cert` and `key` (PEM), `ca` the CA that
    /// issued them; clients are not asked for certificates. Its URL is
    /// `rediss://`.
    ///
    /// # Panics
    ///
    /// As [`OwnServer::start`].
    #[must_use]
    pub fn start_tls(
        cert: &std::path::Path,
        key: &std::path::Path,
        ca: &std::path::Path,
        extra: &[&str],
    ) -> Self {
        let port = Self::free_port();
        let mut args = vec![
            "--port".to_owned(),
            "0".to_owned(),
            "--tls-port".to_owned(),
            port.to_string(),
            "--tls-auth-clients".to_owned(),
            "no".to_owned(),
        ];
        for (flag, path) in [
            ("--tls-cert-file", cert),
            ("--tls-key-file", key),
            ("--tls-ca-cert-file", ca),
        ] {
            args.push(flag.to_owned());
            args.push(path.to_string_lossy().into_owned());
        }
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Self::start_on(port, &args, true)
    }

    #[allow(
        clippy::expect_used,
        reason = "a test fixture: failing loudly is its job"
    )]
    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port()
    }

    fn start_on(port: u16, extra: &[&str], tls: bool) -> Self {
        let extra: Vec<String> = extra.iter().map(|a| (*a).to_owned()).collect();
        Self {
            child: Self::spawn(port, &extra),
            port,
            extra,
            tls,
        }
    }

    /// Stops it and starts a fresh one (no data, command counts from zero)
    /// on the same port.
    ///
    /// # Panics
    ///
    /// As [`OwnServer::start`].
    pub fn restart(&mut self) {
        self.kill();
        self.child = Self::spawn(self.port, &self.extra);
    }

    #[allow(
        clippy::expect_used,
        clippy::panic,
        reason = "a test fixture: failing loudly is its job"
    )]
    fn spawn(port: u16, extra: &[String]) -> std::process::Child {
        let mut child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(extra)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server on the PATH");
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return child;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("redis-server did not start on port {port}");
    }

    /// `redis://127.0.0.1:<port>` (`rediss://` when it speaks TLS).
    #[must_use]
    pub fn url(&self) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Stops it now.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A Redis Cluster of one test's own on loopback (primaries, replicas of
/// each, a node timeout), every node killed when it is dropped: for tests
/// that kill a node to watch a failover, or that must not share data.
pub use crate::local_cluster::LocalCluster as OwnCluster;

/// The URL of database `db` (1 to 15) on the test server, emptied first: for
/// end-to-end tests whose servers share data and must not see each other's.
/// Database 0 is for tests that isolate themselves with [`unique_prefix`].
///
/// # Panics
///
/// As [`redis_url`]; when `db` is out of range or the server cannot be reached.
#[must_use]
#[allow(
    clippy::panic,
    clippy::expect_used,
    reason = "a test fixture: failing loudly is its job"
)]
pub fn fresh_database_url(db: u8) -> String {
    assert!(
        (1..=15).contains(&db),
        "databases 1 to 15 are for isolated tests"
    );
    let base = redis_url();
    // Drop a database path (`/0`) after the host, if there is one.
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base.get(host_start..).and_then(|rest| rest.find('/')) {
        Some(slash) => base.get(..host_start + slash).unwrap_or(&base).to_owned(),
        None => base.clone(),
    };
    let url = format!("{base}/{db}");
    let client = redis::Client::open(url.as_str()).expect("a valid test Redis URL");
    let mut connection = client
        .get_connection()
        .expect("the test redis-server is reachable");
    redis::cmd("FLUSHDB")
        .query::<()>(&mut connection)
        .expect("FLUSHDB on the test database");
    url
}

/// One command's line of `INFO commandstats`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct CommandStat {
    /// Calls since the server started (or `CONFIG RESETSTAT`).
    pub calls: u64,
    /// Server time per call, in microseconds.
    pub usec_per_call: f64,
}

/// `INFO commandstats`, by lowercase command name (`evalsha`, `get`, ...):
/// how tests count round trips and benchmarks read server time.
///
/// # Errors
///
/// When the server cannot be asked.
pub async fn command_stats(
    redis: &Redis,
) -> Result<HashMap<String, CommandStat>, crate::RedisError> {
    let info: String = redis.run(redis::cmd("INFO").arg("commandstats")).await?;
    Ok(parse_command_stats(&info))
}

fn parse_command_stats(info: &str) -> HashMap<String, CommandStat> {
    info.lines()
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let field = |key: &str| rest.split(',').find_map(|kv| kv.strip_prefix(key));
            Some((
                name.to_owned(),
                CommandStat {
                    calls: field("calls=")?.parse().ok()?,
                    usec_per_call: field("usec_per_call=")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0.0),
                },
            ))
        })
        .collect()
}

/// Whether `error`, or an error in its source chain (a store's error wraps
/// the [`RedisError`](crate::RedisError)), is the circuit breaker's refusal.
#[must_use]
pub fn circuit_open(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if error
            .downcast_ref::<crate::RedisError>()
            .is_some_and(crate::RedisError::is_circuit_open)
        {
            return true;
        }
        next = error.source();
    }
    false
}

/// A [`Redis`] handle whose circuit breaker runs on a [`ManualClock`], on an
/// [`OwnServer`]: for the test every Redis-backed store has, that an open
/// breaker answers at once and sends Redis nothing.
///
/// ```no_run
/// # async fn example() {
/// use shieldwall_redis::{redis, testing::BreakerRig};
///
/// let mut rig = BreakerRig::start().await;
/// let store = rig.redis.clone(); // a store built on the rig's handle
/// let ping = redis::cmd("PING");
/// let call = || store.run::<String>(&ping);
/// rig.open_breaker(call).await; // Redis died and is back; the breaker is open
/// assert!(call().await.unwrap_err().is_circuit_open()); // answered by the breaker...
/// assert!(rig.commands_run().await.is_empty()); // ...without a round trip
/// rig.close_breaker(call).await; // after the cool-down, Redis is asked again
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct BreakerRig {
    /// The server.
    pub server: OwnServer,
    /// The breaker's clock: nothing cools down until the test moves it.
    pub clock: ManualClock,
    /// The handle (200 ms command timeout, the default breaker).
    pub redis: Redis,
}

impl BreakerRig {
    /// Starts a server and connects to it.
    ///
    /// # Panics
    ///
    /// As [`OwnServer::start`]; when the server cannot be reached.
    #[allow(
        clippy::expect_used,
        reason = "a test fixture: failing loudly is its job"
    )]
    pub async fn start() -> Self {
        let server = OwnServer::start();
        let clock = ManualClock::at_unix_seconds(1_000_000);
        let config = crate::RedisConfig::new(&server.url())
            .and_then(|c| c.command_timeout(Duration::from_millis(200)))
            .expect("a valid URL and timeout");
        let redis = Redis::connect_with_clock(&config, clock.clone())
            .await
            .expect("the rig's redis-server is reachable");
        Self {
            server,
            clock,
            redis,
        }
    }

    /// Stops the server and runs `call` until the breaker opens (each call a
    /// command that finds Redis gone), then starts a fresh server on the
    /// same port: Redis is back, and the breaker, on a clock that does not
    /// move, stays open.
    ///
    /// # Panics
    ///
    /// When a call succeeds with the server stopped, or the breaker does not
    /// open within 50 calls.
    #[allow(clippy::panic, reason = "a test fixture: failing loudly is its job")]
    pub async fn open_breaker<T, E, F, Fut>(&mut self, mut call: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.server.kill();
        for _ in 0..50 {
            if self.redis.breaker_state() == BreakerState::Open {
                self.server.restart();
                return;
            }
            if call().await.is_ok() {
                panic!("a call succeeded with the server stopped");
            }
        }
        panic!("the breaker did not open within 50 failed calls");
    }

    /// The commands the server has run since it was last (re)started, by
    /// name, leaving out what opening a connection sends (`client`, `hello`,
    /// `ping`, `select`, `auth`) and the `info` that reads them.
    ///
    /// # Panics
    ///
    /// When the server cannot be asked.
    #[allow(
        clippy::expect_used,
        reason = "a test fixture: failing loudly is its job"
    )]
    pub async fn commands_run(&self) -> HashMap<String, u64> {
        const CONNECTING: [&str; 6] = ["info", "client", "hello", "ping", "select", "auth"];
        let config = crate::RedisConfig::new(&self.server.url()).expect("the rig's URL is valid");
        let probe = Redis::connect(&config)
            .await
            .expect("the rig's redis-server is reachable");
        command_stats(&probe)
            .await
            .expect("INFO commandstats")
            .into_iter()
            .filter(|(name, stat)| !CONNECTING.contains(&name.as_str()) && stat.calls > 0)
            .map(|(name, stat)| (name, stat.calls))
            .collect()
    }

    /// Moves the clock past the cool-down and runs `call` until it succeeds
    /// (the first probe may find the connection the restart broke, which
    /// opens the breaker for another cool-down): the breaker is then closed.
    ///
    /// # Panics
    ///
    /// When no call succeeds within 50 cool-downs, or the breaker is not
    /// closed after one did.
    #[allow(clippy::panic, reason = "a test fixture: failing loudly is its job")]
    pub async fn close_breaker<T, E, F, Fut>(&mut self, mut call: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        for _ in 0..50 {
            self.clock.advance(self.redis.breaker_cooldown());
            if let Ok(answer) = call().await {
                assert_eq!(self.redis.breaker_state(), BreakerState::Closed);
                return answer;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("Redis was not asked again after 50 cool-downs");
    }
}
