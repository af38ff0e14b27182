//! The rig of `tests/instances.rs`: a `redis-server` (or a Redis Cluster)
//! of the test's own and three example servers on it, as three instances of one service behind a
//! load balancer: one Redis, one JWT secret, one set of signing keys. Both
//! frameworks are among them, and one framework twice.

use std::time::Duration;

use shieldwall_redis::testing::{OwnCluster, OwnServer};
use shieldwall_testkit::server::{ServerProcess, binary};

use crate::crashes::crashes;
use crate::signing::signing_keys;

const SERVERS: [&str; 3] = ["example-axum-api", "example-actix-api", "example-axum-api"];
/// How each instance is named in messages (two share a binary).
const LABELS: [&str; 3] = ["axum#1", "actix", "axum#2"];

/// One secret for every instance: a token issued by one is accepted, and a
/// logout on one refused, by the others.
const JWT_SECRET: &str = "instances-test-secret-not-a-real-one-0123456789";

/// What the instances share.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Backend {
    /// One `redis-server` (`REDIS_URL`).
    Server,
    /// A Redis Cluster of 3 primaries (`REDIS_CLUSTER_NODES`).
    Cluster,
}

enum Redis {
    Server(OwnServer),
    Cluster(OwnCluster),
}

impl Redis {
    fn start(backend: Backend) -> Self {
        match backend {
            Backend::Server => Self::Server(OwnServer::start()),
            Backend::Cluster => Self::Cluster(
                OwnCluster::start(3, 0, Duration::from_secs(2)).unwrap_or_else(|e| panic!("{e}")),
            ),
        }
    }

    /// The variable and value that point an instance at it.
    fn env(&self) -> (&'static str, String) {
        match self {
            Self::Server(server) => ("REDIS_URL", server.url()),
            Self::Cluster(cluster) => ("REDIS_CLUSTER_NODES", cluster.seed_list()),
        }
    }

    /// Every node still accepts connections.
    fn is_up(&self) -> bool {
        let addresses = match self {
            Self::Server(server) => vec![server.url()],
            Self::Cluster(cluster) => cluster.seeds(),
        };
        addresses
            .iter()
            .all(|url| std::net::TcpStream::connect(url.trim_start_matches("redis://")).is_ok())
    }
}

pub(crate) struct Instances {
    /// Declared before `redis`, so dropped (killed) first: no instance sees
    /// its Redis go away.
    pub(crate) servers: Vec<ServerProcess>,
    redis: Redis,
}

impl Instances {
    /// Starts a Redis and the three instances on it, with `env` on top of
    /// the shared settings (a test's own rate limit, say).
    pub(crate) fn start(backend: Backend, env: &[(&str, &str)]) -> Self {
        let redis = Redis::start(backend);
        let (var, value) = redis.env();
        let keys = signing_keys();
        let mut shared = vec![
            (var, value.as_str()),
            ("SHIELDWALL_JWT_SECRET", JWT_SECRET),
            ("SHIELDWALL_SIGNING_KEYS", keys.as_str()),
            ("SHIELDWALL_AUDIT", "off"),
        ];
        shared.extend_from_slice(env);
        // In parallel: each hashes the demo users' passwords as it starts.
        let servers = std::thread::scope(|scope| {
            let started: Vec<_> = SERVERS
                .iter()
                .map(|name| {
                    let shared = &shared;
                    scope.spawn(move || ServerProcess::start(&binary(name), shared))
                })
                .collect();
            started
                .into_iter()
                .map(|s| s.join().unwrap().unwrap_or_else(|e| panic!("{e}")))
                .collect()
        });
        Self { servers, redis }
    }

    /// `axum#1`, `actix` or `axum#2`.
    pub(crate) fn label(index: usize) -> &'static str {
        LABELS[index]
    }

    /// The indices of every instance but `index`.
    pub(crate) fn others(index: usize) -> impl Iterator<Item = usize> {
        (0..SERVERS.len()).filter(move |i| *i != index)
    }

    /// Fails when an instance exited or printed a panic.
    pub(crate) fn assert_no_crash(&mut self) {
        let crashes = crashes(&mut self.servers);
        assert!(crashes.is_empty(), "{crashes:#?}");
        // Redis too ran all through (a refusal for its absence is no finding).
        assert!(self.redis.is_up(), "the test's Redis stopped");
    }
}
