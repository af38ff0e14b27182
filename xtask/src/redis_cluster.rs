//! A throwaway Redis Cluster on loopback: three primaries (the same code the
//! tests' `shieldwall_redis::testing::OwnCluster` runs).

use std::time::Duration;

use crate::Result;

#[path = "../../crates/shieldwall-redis/src/local_cluster.rs"]
#[allow(
    dead_code,
    unreachable_pub,
    reason = "the failover helpers serve the tests only; `pub` is for the testing module"
)]
mod local_cluster;

pub(crate) use local_cluster::{LocalCluster, command};

/// Primaries of the cluster `cargo xtask test` starts.
const PRIMARIES: usize = 3;

/// The cluster `cargo xtask test` runs the suites on: 3 primaries, no
/// replicas (failover tests start clusters of their own).
pub(crate) fn start() -> Result<LocalCluster> {
    LocalCluster::start(PRIMARIES, 0, Duration::from_secs(2))
}

/// `cargo xtask redis --cluster`: a cluster for development, until Ctrl-C.
pub(crate) fn serve_for_development() -> Result {
    let cluster = start()?;
    let nodes = cluster.seed_list();
    println!("Redis Cluster running ({PRIMARIES} primaries); for the tests:");
    println!("  export SHIELDWALL_TEST_REDIS_CLUSTER={nodes}");
    println!("for the demo servers:");
    println!("  export REDIS_CLUSTER_NODES={nodes}");
    println!("Ctrl-C stops it.");
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
