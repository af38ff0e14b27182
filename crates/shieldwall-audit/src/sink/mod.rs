//! Where events go: the [`AuditSink`] trait and its three implementations.

mod json_lines;
#[cfg(feature = "redis")]
mod redis;
mod tracing;

use std::future::Future;
use std::pin::Pin;

pub use json_lines::JsonLinesSink;
#[cfg(feature = "redis")]
pub use redis::RedisStreamSink;
pub use tracing::{AUDIT_TARGET, TracingSink};

use crate::{Batch, ChainLink, SinkError};

/// Where the writer task puts events, one [`Batch`] at a time.
///
/// Only the writer task calls a sink, never a request: a sink may take its
/// time, and a slow sink only fills the queue (whose overflow is counted).
/// A sink that does blocking I/O runs it on Tokio's blocking pool
/// (`spawn_blocking`), so that it does not stall the runtime the writer
/// shares with requests (one thread per actix-web worker).
pub trait AuditSink: Send + 'static {
    /// Writes `batch` whole, in order. An error counts the batch's events as
    /// lost after the auditor's retries, so a sink should leave nothing half
    /// written when it fails (the file sink cuts a partial write back; the
    /// Redis sink writes a batch in one `MULTI`).
    fn write<'a>(
        &'a mut self,
        batch: &'a Batch,
    ) -> impl Future<Output = Result<(), SinkError>> + Send + 'a;

    /// Where the chain stopped in what this sink already holds (the last line
    /// of the file, the last entry of the stream), so that a restarted
    /// service continues it. Asked once, before the first batch, and only
    /// when the chain is on. The default: nothing (the chain starts at 0).
    fn last_link(
        &mut self,
    ) -> impl Future<Output = Result<Option<ChainLink>, SinkError>> + Send + '_ {
        std::future::ready(Ok(None))
    }

    /// Whether the sink reads [`Batch::json_lines`] (default true). The
    /// writer skips rendering them for a sink that does not, unless the
    /// chain needs them.
    fn wants_json_lines(&self) -> bool {
        true
    }

    /// Whether the sink reads [`Batch::events`] (default true). The writer
    /// skips building them for a sink that does not.
    fn wants_events(&self) -> bool {
        true
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// [`AuditSink`] behind a pointer, so that `Auditor` has no type parameter.
pub(crate) trait DynSink: Send {
    fn write_boxed<'a>(&'a mut self, batch: &'a Batch) -> BoxFuture<'a, Result<(), SinkError>>;
    fn last_link_boxed(&mut self) -> BoxFuture<'_, Result<Option<ChainLink>, SinkError>>;
    fn wants_json_lines_dyn(&self) -> bool;
    fn wants_events_dyn(&self) -> bool;
}

impl<S: AuditSink> DynSink for S {
    fn write_boxed<'a>(&'a mut self, batch: &'a Batch) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(self.write(batch))
    }

    fn last_link_boxed(&mut self) -> BoxFuture<'_, Result<Option<ChainLink>, SinkError>> {
        Box::pin(self.last_link())
    }

    fn wants_json_lines_dyn(&self) -> bool {
        self.wants_json_lines()
    }

    fn wants_events_dyn(&self) -> bool {
        self.wants_events()
    }
}
