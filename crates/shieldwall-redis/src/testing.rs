//! The test fixture: the `redis-server` that the test command started.
//!
//! `cargo xtask test` starts a throwaway `redis-server` on a free loopback port
//! and exports its URL as `SHIELDWALL_TEST_REDIS_URL`. Tests take it from here and
//! isolate themselves with [`unique_prefix`]; they never flush the server.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

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
        clippy::panic,
        reason = "a test fixture: failing loudly is its job"
    )]
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
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
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server on the PATH");
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self { child, port };
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("redis-server did not start on port {port}");
    }

    /// `redis://127.0.0.1:<port>`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
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
    redis: &crate::Redis,
) -> Result<std::collections::HashMap<String, CommandStat>, crate::StoreError> {
    let info: String = redis.run(redis::cmd("INFO").arg("commandstats")).await?;
    Ok(info
        .lines()
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
        .collect())
}
