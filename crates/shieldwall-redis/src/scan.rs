//! `KeyScan`: every key that matches a pattern, page by page, on one server
//! or on every primary of a Redis Cluster.

use std::num::NonZeroUsize;

use std::collections::HashMap;

use redis::Value;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};

use crate::{Redis, RedisError};

/// The slots of a Redis Cluster.
const SLOTS: usize = 16_384;

/// A `SCAN` in progress ([`Redis::scan`]). On a cluster each primary holds
/// its own keys and its own cursor: the scan walks the primaries one after
/// the other, each at the address the client knows it by (`CLUSTER SLOTS`;
/// never a stand-in: routed by slot, the client would send a command for a
/// dead node to any live one, and the scan would read another node's keys
/// in its place). A scan that completes
/// has seen every key that existed, unchanged, for the whole scan (as with
/// `SCAN` itself); on a cluster it fails rather than come back incomplete
/// when some slot has no primary up (a failover under way) or the
/// topology changed while it ran.
#[derive(Debug)]
pub struct KeyScan {
    redis: Redis,
    pattern: String,
    count: NonZeroUsize,
    /// One slot of each primary left to walk; the first is being walked.
    nodes: Vec<Node>,
    cursor: u64,
    /// The cluster's topology when the scan started.
    topology: Option<Topology>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    /// The one server.
    Only,
    /// A cluster primary, at the address the client knows it by.
    Primary { host: String, port: u16 },
}

/// Each serving primary's id and slot ranges, sorted: what must not change
/// while a scan runs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Topology(Vec<(String, Vec<(u16, u16)>)>);

impl Redis {
    /// Starts a scan of the keys that match `pattern` (a `SCAN MATCH` glob),
    /// about `count` per page. On a cluster this asks one node for the
    /// topology (`CLUSTER NODES`) and fails unless every slot has a primary
    /// up. Background work: under the command timeout, outside the circuit
    /// breaker.
    pub async fn scan(&self, pattern: &str, count: NonZeroUsize) -> Result<KeyScan, RedisError> {
        let (nodes, topology) = if self.is_cluster() {
            let topology = self.topology().await?;
            let addresses = self.addresses().await?;
            let nodes = topology
                .0
                .iter()
                .map(|(id, _)| {
                    addresses.get(id).cloned().ok_or(RedisError::Topology(
                        "a primary has no address the client knows (a failover under way)",
                    ))
                })
                .collect::<Result<Vec<Node>, RedisError>>()?;
            (nodes, Some(topology))
        } else {
            (vec![Node::Only], None)
        };
        Ok(KeyScan {
            redis: self.clone(),
            pattern: pattern.to_owned(),
            count,
            nodes,
            cursor: 0,
            topology,
        })
    }

    /// Each primary's address as the client knows it, by node id, from
    /// `CLUSTER SLOTS` (the client builds its map from the same answer).
    async fn addresses(&self) -> Result<HashMap<String, Node>, RedisError> {
        let mut connection = self.connection();
        let slots: Value = self
            .with_timeout_outside_breaker(
                redis::cmd("CLUSTER")
                    .arg("SLOTS")
                    .query_async(&mut connection),
            )
            .await?;
        Ok(slot_owners(&slots))
    }

    /// The serving primaries, every slot covered.
    async fn topology(&self) -> Result<Topology, RedisError> {
        let mut connection = self.connection();
        let text: String = self
            .with_timeout_outside_breaker(
                redis::cmd("CLUSTER")
                    .arg("NODES")
                    .query_async(&mut connection),
            )
            .await?;
        let topology = primaries(&text);
        if !covers_every_slot(&topology) {
            return Err(RedisError::Topology(
                "some slots have no primary up (a failover or resharding under way)",
            ));
        }
        Ok(topology)
    }
}

impl KeyScan {
    /// The next page of keys (possibly empty), or `None` when the scan is
    /// over. One round trip, under the command timeout, outside the
    /// circuit breaker; on a cluster, the last call reads the topology again
    /// and fails if it changed.
    pub async fn next_page(&mut self) -> Result<Option<Vec<String>>, RedisError> {
        let Some(node) = self.nodes.first().cloned() else {
            if let Some(before) = self.topology.take()
                && self.redis.topology().await? != before
            {
                return Err(RedisError::Topology(
                    "the cluster's topology changed during the scan",
                ));
            }
            return Ok(None);
        };
        let mut scan = redis::cmd("SCAN");
        scan.arg(self.cursor)
            .arg("MATCH")
            .arg(&self.pattern)
            .arg("COUNT")
            .arg(self.count.get());
        let mut connection = self.redis.connection();
        let (next, keys): (u64, Vec<String>) = match (node, connection.as_cluster()) {
            (Node::Primary { host, port }, Some(cluster)) => {
                // By address: no stand-in node when that one is down.
                let routing =
                    RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress { host, port });
                let value = self
                    .redis
                    .with_timeout_outside_breaker(cluster.route_command(scan, routing))
                    .await?;
                redis::from_redis_value(value).map_err(|e| RedisError::from_redis(e.into()))?
            }
            _ => {
                self.redis
                    .with_timeout_outside_breaker(scan.query_async(&mut connection))
                    .await?
            }
        };
        if next == 0 {
            self.nodes.remove(0);
        }
        self.cursor = next;
        Ok(Some(keys))
    }
}

/// The primaries that are up and serve slots, from `CLUSTER NODES`: lines
/// of `id host:port@bus[,hostname] flags primary-id ping pong epoch link
/// slot...`, a slot being `N` or `N-M` (`[N->-id]` and `[N-<-id]` mark a
/// migration and are skipped).
fn primaries(text: &str) -> Topology {
    let mut primaries: Vec<(String, Vec<(u16, u16)>)> = text
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let flags: Vec<&str> = fields.get(2)?.split(',').collect();
            let up = flags.contains(&"master")
                && !flags
                    .iter()
                    .any(|f| matches!(*f, "fail" | "fail?" | "handshake" | "noaddr"));
            if !up {
                return None;
            }
            let mut ranges: Vec<(u16, u16)> = fields
                .iter()
                .skip(8)
                .filter(|range| !range.starts_with('['))
                .filter_map(|range| {
                    let (low, high) = range.split_once('-').unwrap_or((range, range));
                    Some((low.parse().ok()?, high.parse().ok()?))
                })
                .collect();
            ranges.sort_unstable();
            let id = (*fields.first()?).to_owned();
            (!ranges.is_empty()).then_some((id, ranges))
        })
        .collect();
    primaries.sort();
    Topology(primaries)
}

/// The primary of each range of a `CLUSTER SLOTS` answer (`[start, end,
/// [host, port, id, ...], replicas...]`), by node id; a primary without a
/// host name (`""` or `"?"`: "the node you asked") is left out, and the scan
/// then fails for want of its address.
fn slot_owners(slots: &Value) -> HashMap<String, Node> {
    let text = |value: &Value| match value {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::SimpleString(text) => Some(text.clone()),
        _ => None,
    };
    let Value::Array(ranges) = slots else {
        return HashMap::new();
    };
    ranges
        .iter()
        .filter_map(|range| {
            let Value::Array(fields) = range else {
                return None;
            };
            let Value::Array(primary) = fields.get(2)? else {
                return None;
            };
            let host = text(primary.first()?)?;
            let port = match primary.get(1)? {
                Value::Int(port) => u16::try_from(*port).ok()?,
                other => text(other)?.parse().ok()?,
            };
            let id = text(primary.get(2)?)?;
            (!host.is_empty() && host != "?").then_some((id, Node::Primary { host, port }))
        })
        .collect()
}

fn covers_every_slot(topology: &Topology) -> bool {
    let mut covered = vec![false; SLOTS];
    for (_, ranges) in &topology.0 {
        for &(low, high) in ranges {
            for slot in low..=high {
                if let Some(c) = covered.get_mut(usize::from(slot)) {
                    *c = true;
                }
            }
        }
    }
    covered.iter().all(|c| *c)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEALTHY: &str = "\
07c3 127.0.0.1:30004@40004 slave e7d1 0 1 4 connected
e7d1 127.0.0.1:30001@40001,node-a myself,master - 0 0 1 connected 0-5460
67ed 127.0.0.1:30002@40002 master - 0 1 2 connected 5461-10922 [5461->-292f]
292f ::1:30003@40003 master - 0 1 3 connected 10923-16383
824f 127.0.0.1:30005@40005 master - 0 1 5 connected
";

    #[test]
    fn the_primaries_that_serve_slots_and_are_up_cover_every_slot() {
        let topology = primaries(HEALTHY);
        assert_eq!(
            topology.0,
            vec![
                ("292f".to_owned(), vec![(10923, 16383)]),
                ("67ed".to_owned(), vec![(5461, 10922)]),
                ("e7d1".to_owned(), vec![(0, 5460)]),
            ]
        );
        assert!(covers_every_slot(&topology));
    }

    #[test]
    fn a_failed_primary_leaves_its_slots_uncovered_and_the_scan_refuses() {
        let failing = HEALTHY.replace(
            "292f ::1:30003@40003 master -",
            "292f ::1:30003@40003 master,fail -",
        );
        assert!(!covers_every_slot(&primaries(&failing)));
        let suspected = HEALTHY.replace("master - 0 1 2", "master,fail? - 0 1 2");
        assert!(!covers_every_slot(&primaries(&suspected)));
        assert!(!covers_every_slot(&primaries("")));
        assert!(!covers_every_slot(&primaries("garbage\n\n a b")));
    }

    #[test]
    fn each_primary_is_found_at_the_address_cluster_slots_gives() {
        let node = |host: &str, port: i64, id: &str| {
            Value::Array(vec![
                Value::BulkString(host.as_bytes().to_vec()),
                Value::Int(port),
                Value::BulkString(id.as_bytes().to_vec()),
            ])
        };
        let slots = Value::Array(vec![
            Value::Array(vec![
                Value::Int(0),
                Value::Int(5460),
                node("10.0.0.1", 7000, "e7d1"),
                node("10.0.0.4", 7000, "07c3"),
            ]),
            Value::Array(vec![
                Value::Int(5461),
                Value::Int(10922),
                node("node-b.example", 7001, "67ed"),
            ]),
            Value::Array(vec![
                Value::Int(10923),
                Value::Int(16383),
                node("", 7002, "292f"),
            ]),
            Value::Nil,
        ]);
        let owners = slot_owners(&slots);
        assert_eq!(
            owners.get("e7d1"),
            Some(&Node::Primary {
                host: "10.0.0.1".to_owned(),
                port: 7000
            })
        );
        assert_eq!(
            owners.get("67ed"),
            Some(&Node::Primary {
                host: "node-b.example".to_owned(),
                port: 7001
            })
        );
        // No replica, and no primary without a host name.
        assert_eq!(owners.len(), 2);
        assert!(slot_owners(&Value::Nil).is_empty());
    }

    #[test]
    fn a_moved_range_is_a_changed_topology() {
        let moved = HEALTHY
            .replace("connected 0-5460", "connected 0-5459")
            .replace("connected 5461-10922", "connected 5460-10922");
        assert_ne!(primaries(HEALTHY), primaries(&moved));
        assert!(covers_every_slot(&primaries(&moved)));
    }
}
