//! `KeyScan`: every key that matches a pattern, page by page, on one server
//! or on every primary of a Redis Cluster.

use std::num::NonZeroUsize;

use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};

use crate::{Redis, RedisError};

/// A `SCAN` in progress ([`Redis::scan`]). On a cluster each primary holds
/// its own keys and its own cursor: the scan walks the primaries one after
/// the other. A key written or moved during the scan may be missed or seen
/// twice, as with `SCAN` itself.
#[derive(Debug)]
pub struct KeyScan {
    redis: Redis,
    pattern: String,
    count: NonZeroUsize,
    /// The nodes left to walk; the first is the one being walked.
    nodes: Vec<Node>,
    cursor: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    /// The one server.
    Only,
    /// A cluster primary.
    Primary { host: String, port: u16 },
}

impl Redis {
    /// Starts a scan of the keys that match `pattern` (a `SCAN MATCH` glob),
    /// about `count` per page. On a cluster this asks one node for the
    /// primaries (`CLUSTER NODES`). Background work: under the command
    /// timeout, outside the circuit breaker.
    pub async fn scan(&self, pattern: &str, count: NonZeroUsize) -> Result<KeyScan, RedisError> {
        let mut connection = self.connection();
        let nodes = if connection.is_cluster() {
            let text: String = self
                .with_timeout_outside_breaker(
                    redis::cmd("CLUSTER")
                        .arg("NODES")
                        .query_async(&mut connection),
                )
                .await?;
            primaries(&text)
        } else {
            vec![Node::Only]
        };
        Ok(KeyScan {
            redis: self.clone(),
            pattern: pattern.to_owned(),
            count,
            nodes,
            cursor: 0,
        })
    }
}

impl KeyScan {
    /// The next page of keys (possibly empty), or `None` when the scan is
    /// over. One round trip, under the command timeout, outside the
    /// circuit breaker.
    pub async fn next_page(&mut self) -> Result<Option<Vec<String>>, RedisError> {
        let Some(node) = self.nodes.first().cloned() else {
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

/// The primaries that serve slots, from `CLUSTER NODES`: lines of
/// `id host:port@bus[,hostname] flags primary-id ping pong epoch link slot...`.
fn primaries(text: &str) -> Vec<Node> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let flags = fields.get(2)?;
            let serves_slots = fields.len() > 8;
            let up = flags.split(',').any(|f| f == "master")
                && !flags
                    .split(',')
                    .any(|f| f == "fail" || f == "handshake" || f == "noaddr");
            if !up || !serves_slots {
                return None;
            }
            let address = fields.get(1)?.split(['@', ',']).next()?;
            let (host, port) = address.rsplit_once(':')?;
            Some(Node::Primary {
                host: host.to_owned(),
                port: port.parse().ok()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primaries_are_the_masters_that_serve_slots_and_are_up() {
        let text = "\
07c3 127.0.0.1:30004@40004 slave e7d1 0 1 4 connected
e7d1 127.0.0.1:30001@40001,node-a myself,master - 0 0 1 connected 0-5460
67ed 127.0.0.1:30002@40002 master - 0 1 2 connected 5461-10922
292f 127.0.0.1:30003@40003 master,fail - 0 1 3 disconnected 10923-16383
824f 127.0.0.1:30005@40005 master - 0 1 5 connected
6ec2 ::1:30006@40006 master - 0 1 6 connected 16000
";
        assert_eq!(
            primaries(text),
            vec![
                Node::Primary {
                    host: "127.0.0.1".to_owned(),
                    port: 30001
                },
                Node::Primary {
                    host: "127.0.0.1".to_owned(),
                    port: 30002
                },
                Node::Primary {
                    host: "::1".to_owned(),
                    port: 30006
                },
            ]
        );
        assert!(primaries("garbage\n\n a b").is_empty());
    }
}
