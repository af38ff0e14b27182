//! `Connection`: the request path's connection, to one server or to a
//! Redis Cluster.

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, Value};

/// The multiplexed, reconnecting connection that [`crate::Redis::connection`]
/// hands out: to one server, or to a Redis Cluster (each command goes to the
/// node that holds its keys' hash slot, following redirections and
/// failovers). A cheap clone; send commands on it with `query_async`.
///
/// On a cluster, a pipeline must keep every key in one hash slot: use
/// [`crate::Redis::batch`] for independent commands on many keys.
#[derive(Clone)]
pub struct Connection(Inner);

#[derive(Clone)]
enum Inner {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl Connection {
    pub(crate) fn single(manager: ConnectionManager) -> Self {
        Self(Inner::Single(manager))
    }

    pub(crate) fn cluster(connection: ClusterConnection) -> Self {
        Self(Inner::Cluster(connection))
    }

    /// Whether this is a connection to a Redis Cluster.
    #[must_use]
    pub fn is_cluster(&self) -> bool {
        matches!(self.0, Inner::Cluster(_))
    }

    /// The cluster connection, to route a command to a node of one's choice.
    pub(crate) fn as_cluster(&mut self) -> Option<&mut ClusterConnection> {
        match &mut self.0 {
            Inner::Single(_) => None,
            Inner::Cluster(connection) => Some(connection),
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Inner::Single(_) => "Connection(one server)",
            Inner::Cluster(_) => "Connection(cluster)",
        })
    }
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match &mut self.0 {
            Inner::Single(connection) => connection.req_packed_command(cmd),
            Inner::Cluster(connection) => connection.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match &mut self.0 {
            Inner::Single(connection) => connection.req_packed_commands(pipeline, offset, count),
            Inner::Cluster(connection) => connection.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match &self.0 {
            Inner::Single(connection) => connection.get_db(),
            Inner::Cluster(connection) => connection.get_db(),
        }
    }
}
