//! A throwaway Redis Cluster on loopback: three primaries, each a
//! `redis-server --cluster-enabled yes`, joined by `redis-cli --cluster create`.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;
use crate::redis::TestServer;

/// Primaries of the cluster `cargo xtask test` starts.
const PRIMARIES: usize = 3;

/// A Redis Cluster that lives as long as this value.
#[derive(Debug)]
pub(crate) struct TestCluster {
    nodes: Vec<TestServer>,
}

impl TestCluster {
    /// Starts [`PRIMARIES`] nodes on free loopback ports (each with its
    /// cluster bus port, +10000, free too), joins them and waits until every
    /// node says `cluster_state:ok`.
    pub(crate) fn start() -> Result<Self> {
        let mut nodes = Vec::with_capacity(PRIMARIES);
        for _ in 0..PRIMARIES {
            let port = free_port_with_bus()?;
            nodes.push(TestServer::start_on(
                port,
                &[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    &format!("nodes-{port}.conf"),
                    "--cluster-node-timeout",
                    "2000",
                ],
            )?);
        }
        let cluster = Self { nodes };
        let create = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(cluster.nodes.iter().map(TestServer::address))
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot run redis-cli --cluster create: {e}"))?;
        if !create.status.success() {
            return Err(format!(
                "redis-cli --cluster create failed: {}",
                String::from_utf8_lossy(&create.stderr).trim()
            ));
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        for node in &cluster.nodes {
            while !node.command("CLUSTER INFO")?.contains("cluster_state:ok") {
                if Instant::now() > deadline {
                    return Err("the Redis Cluster was not ready within 20 s".to_owned());
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(cluster)
    }

    /// The seed nodes, comma-separated: `redis://127.0.0.1:P1,redis://...`
    /// (the form of `REDIS_CLUSTER_NODES`).
    pub(crate) fn nodes(&self) -> String {
        self.nodes
            .iter()
            .map(|node| format!("redis://{}", node.address()))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A free loopback port whose cluster bus port (+10000) is free as well.
fn free_port_with_bus() -> Result<u16> {
    for _ in 0..100 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        if let Some(bus) = port.checked_add(10_000)
            && TcpListener::bind(("127.0.0.1", bus)).is_ok()
        {
            return Ok(port);
        }
    }
    Err("no free port pair (port and port + 10000) for a cluster node".to_owned())
}

/// `cargo xtask redis --cluster`: a cluster for development, until Ctrl-C.
pub(crate) fn serve_for_development() -> Result {
    let mut cluster = TestCluster::start()?;
    let nodes = cluster.nodes();
    println!("Redis Cluster running ({PRIMARIES} primaries); for the tests:");
    println!("  export SHIELDWALL_TEST_REDIS_CLUSTER={nodes}");
    println!("for the demo servers:");
    println!("  export REDIS_CLUSTER_NODES={nodes}");
    println!("Ctrl-C stops it.");
    match cluster.nodes.first_mut() {
        Some(first) => first.wait(),
        None => Err("the cluster has no node".to_owned()),
    }
}
