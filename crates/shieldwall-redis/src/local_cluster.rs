//! A throwaway Redis Cluster on loopback, for tests and development: each
//! node a `redis-server --cluster-enabled yes` on a free port (its cluster
//! bus port, +10000, free too), joined by `redis-cli --cluster create`.
//!
//! Standard library only: `cargo xtask` (which has no dependencies) builds
//! this same file, and so does the `testing` module.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One node: its process and port.
#[derive(Debug)]
struct Node {
    child: Option<Child>,
    port: u16,
}

/// A Redis Cluster that lives as long as this value (every node is killed
/// and its directory removed when it is dropped).
#[derive(Debug)]
pub struct LocalCluster {
    /// The primaries first, then their replicas.
    nodes: Vec<Node>,
    primaries: usize,
    dir: PathBuf,
}

impl LocalCluster {
    /// Starts `primaries` primaries (3 or more) and `replicas` replicas of
    /// each, with a node timeout of `node_timeout` (how long a primary may
    /// be unreachable before its replica takes over), and waits until every
    /// node says `cluster_state:ok` and every replica is in sync.
    pub fn start(
        primaries: usize,
        replicas: usize,
        node_timeout: Duration,
    ) -> Result<Self, String> {
        let total = primaries * (1 + replicas);
        let mut cluster = Self {
            nodes: Vec::with_capacity(total),
            primaries,
            dir: PathBuf::new(),
        };
        static CLUSTERS: AtomicUsize = AtomicUsize::new(0);
        let number = CLUSTERS.fetch_add(1, Ordering::Relaxed);
        cluster.dir = std::env::temp_dir().join(format!(
            "shieldwall-cluster-{}-{number}",
            std::process::id()
        ));
        std::fs::create_dir_all(&cluster.dir)
            .map_err(|e| format!("cannot create {}: {e}", cluster.dir.display()))?;
        for _ in 0..total {
            let node = start_node(&cluster.dir, node_timeout)?;
            cluster.nodes.push(node);
        }
        let create = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(
                cluster
                    .nodes
                    .iter()
                    .map(|n| format!("127.0.0.1:{}", n.port)),
            )
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
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
        for node in &cluster.nodes {
            wait_for(
                node.port,
                "CLUSTER INFO",
                "cluster_state:ok",
                Duration::from_secs(30),
            )?;
        }
        for node in cluster.nodes.iter().skip(primaries) {
            wait_for(
                node.port,
                "INFO replication",
                "master_link_status:up",
                Duration::from_secs(30),
            )?;
        }
        for node in cluster.nodes.iter().take(primaries) {
            cluster.wait_replicated(node.port, Duration::from_secs(30))?;
        }
        Ok(cluster)
    }

    /// Waits until every replica of the primary on `port` is streaming and
    /// has what the primary had written when this was called (its
    /// `master_repl_offset`): what was written before is then on the
    /// replicas too, and survives the primary's death. A replica that has
    /// just loaded its first copy gets the writes since only once it
    /// acknowledged it (up to a second later).
    pub fn wait_replicated(&self, port: u16, within: Duration) -> Result<(), String> {
        let deadline = Instant::now() + within;
        let info = command(port, "INFO replication")?;
        let wanted = field(&info, "master_repl_offset").unwrap_or(0);
        loop {
            let info = command(port, "INFO replication")?;
            let replicas: Vec<&str> = info
                .lines()
                .filter(|l| l.starts_with("slave") && l.contains("state="))
                .collect();
            let expected = field(&info, "connected_slaves").unwrap_or(0);
            let caught_up = replicas.iter().all(|line| {
                line.contains("state=online")
                    && line
                        .split(',')
                        .find_map(|kv| kv.strip_prefix("offset="))
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .is_some_and(|offset| offset >= wanted)
            });
            if u64::try_from(replicas.len()).unwrap_or(0) >= expected && caught_up {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the replicas of 127.0.0.1:{port} did not catch up within {within:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `redis://127.0.0.1:PORT` of every node that was started (the seed
    /// nodes a client is given).
    pub fn seeds(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| format!("redis://127.0.0.1:{}", n.port))
            .collect()
    }

    /// [`LocalCluster::seeds`], comma-separated (the form of the demo's
    /// `REDIS_CLUSTER_NODES`).
    pub fn seed_list(&self) -> String {
        self.seeds().join(",")
    }

    /// The port of the node that serves `slot` as a primary now, asked of a
    /// live node (`CLUSTER SHARDS` is not parsed: `CLUSTER NODES` is).
    pub fn primary_of(&self, slot: u16) -> Result<u16, String> {
        let live = self
            .nodes
            .iter()
            .find(|n| n.child.is_some())
            .ok_or("no node is running")?;
        let text = command(live.port, "CLUSTER NODES")?;
        text.lines()
            .filter(|line| line.contains("master") && !line.contains("fail"))
            .find_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let serves = fields.iter().skip(8).any(|range| {
                    let (low, high) = range.split_once('-').unwrap_or((range, range));
                    matches!((low.parse::<u16>(), high.parse::<u16>()), (Ok(l), Ok(h)) if l <= slot && slot <= h)
                });
                let port = fields.get(1)?.split(['@', ',']).next()?.rsplit_once(':')?.1;
                serves.then(|| port.parse().ok()).flatten()
            })
            .ok_or_else(|| format!("no primary serves slot {slot}"))
    }

    /// Kills the node on `port` at once (`SIGKILL`: no goodbye to the others).
    pub fn kill(&mut self, port: u16) {
        if let Some(node) = self.nodes.iter_mut().find(|n| n.port == port)
            && let Some(mut child) = node.child.take()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits until every live node says `cluster_state:ok` again and `slot`
    /// is served by a primary other than `old`; how long that took.
    pub fn wait_for_failover(
        &self,
        slot: u16,
        old: u16,
        within: Duration,
    ) -> Result<Duration, String> {
        let start = Instant::now();
        loop {
            let moved = self.primary_of(slot).is_ok_and(|port| port != old);
            let ok = self.nodes.iter().filter(|n| n.child.is_some()).all(|n| {
                command(n.port, "CLUSTER INFO").is_ok_and(|t| t.contains("cluster_state:ok"))
            });
            if moved && ok {
                return Ok(start.elapsed());
            }
            if start.elapsed() > within {
                return Err(format!("no failover of slot {slot} within {within:?}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// How many primaries it was started with.
    pub fn primaries(&self) -> usize {
        self.primaries
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A node on a free port pair, answering `PING`. Another process may take
/// a port between the check and the node's bind (the node then exits), so
/// a node that does not come up is started again on another pair.
fn start_node(dir: &Path, node_timeout: Duration) -> Result<Node, String> {
    let mut failed = String::new();
    for _ in 0..5 {
        let port = free_port_with_bus()?;
        let mut child = spawn(port, dir, node_timeout)?;
        match wait_until_up(port, &mut child, Duration::from_secs(10)) {
            Ok(()) => {
                return Ok(Node {
                    child: Some(child),
                    port,
                });
            }
            Err(error) => {
                let _ = child.kill();
                let _ = child.wait();
                failed = error;
            }
        }
    }
    Err(format!(
        "no cluster node came up in 5 tries; the last: {failed}"
    ))
}

/// Waits until the node on `port` answers `PING`, or has exited.
fn wait_until_up(port: u16, child: &mut Child, within: Duration) -> Result<(), String> {
    let deadline = Instant::now() + within;
    loop {
        if command(port, "PING").is_ok_and(|reply| reply.contains("+PONG")) {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the node on 127.0.0.1:{port} exited ({status})"));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "node 127.0.0.1:{port}: no `+PONG` in `PING` within {within:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn spawn(port: u16, dir: &Path, node_timeout: Duration) -> Result<Child, String> {
    Command::new("redis-server")
        .args(["--port", &port.to_string()])
        .args(["--bind", "127.0.0.1", "--protected-mode", "yes"])
        .args(["--save", "", "--appendonly", "no"])
        .args(["--dir", &dir.to_string_lossy()])
        .args(["--cluster-enabled", "yes"])
        .args(["--cluster-config-file", &format!("nodes-{port}.conf")])
        // A replica's first copy at once, not after the default 5 s wait
        // for more replicas to share it.
        .args(["--repl-diskless-sync-delay", "0"])
        .args([
            "--cluster-node-timeout",
            &node_timeout.as_millis().to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "redis-server is not installed: `apt-get update && \
                 apt-get install -y redis-server` (Debian/Ubuntu) or `brew install redis` (macOS)"
                .to_owned(),
            _ => format!("cannot start redis-server: {e}"),
        })
}

/// A free loopback port whose cluster bus port (+10000) is free as well,
/// never handed out before by this process (clusters of parallel tests do
/// not race for one pair).
///
/// Ports are taken from 10000 to 16383 and bus ports so from 20000 to
/// 26383: one node's bus port is never another's port, and both lie below
/// Linux's default range of ephemeral ports (32768 and up), so a port free
/// when checked is not taken by an outgoing connection before the node
/// binds it.
fn free_port_with_bus() -> Result<u16, String> {
    const LOW: u64 = 10_000;
    const SPAN: u64 = 16_384 - 10_000;
    static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    let mut handed_out = HANDED_OUT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
        .wrapping_add(u128::from(std::process::id()));
    for _ in 0..1000 {
        // A linear congruential step is random enough to spread the tries.
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let offset = u64::try_from(seed >> 64).unwrap_or(0) % SPAN;
        let Ok(port) = u16::try_from(LOW + offset) else {
            continue;
        };
        let bus = port.saturating_add(10_000);
        if !handed_out.contains(&port)
            && TcpListener::bind(("127.0.0.1", port)).is_ok()
            && TcpListener::bind(("127.0.0.1", bus)).is_ok()
        {
            handed_out.insert(port);
            return Ok(port);
        }
    }
    Err("no free port pair (port and port + 10000) for a cluster node".to_owned())
}

/// Sends one inline command to the server on loopback `port` and returns
/// the raw reply (a bulk reply read whole).
pub(crate) fn command(port: u16, line: &str) -> Result<String, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .map_err(|e| format!("cannot reach 127.0.0.1:{port}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(format!("{line}\r\n").as_bytes())
        .map_err(|e| e.to_string())?;
    let mut reply = Vec::new();
    let mut chunk = [0_u8; 16_384];
    // A bulk reply may come in several reads: read until it is whole.
    loop {
        let read = stream.read(&mut chunk).map_err(|e| e.to_string())?;
        if read == 0 {
            break;
        }
        reply.extend_from_slice(chunk.get(..read).unwrap_or_default());
        let text = String::from_utf8_lossy(&reply);
        let whole = match text.split_once("\r\n") {
            Some((head, body)) => head
                .strip_prefix('$')
                .and_then(|len| len.parse::<usize>().ok())
                .is_none_or(|len| body.len() >= len + 2),
            None => false,
        };
        if whole {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

/// The number after `name:` in an `INFO` answer.
fn field(info: &str, name: &str) -> Option<u64> {
    info.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.trim().parse().ok())
}

fn wait_for(port: u16, line: &str, needle: &str, within: Duration) -> Result<(), String> {
    let deadline = Instant::now() + within;
    loop {
        if command(port, line).is_ok_and(|reply| reply.contains(needle)) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "node 127.0.0.1:{port}: no `{needle}` in `{line}` within {within:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
