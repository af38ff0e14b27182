//! The two error families: configuration refused when built, and a sink
//! that failed to write a batch.

use std::path::PathBuf;

/// An audit configuration was refused.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum AuditConfigError {
    /// [`AuditorBuilder::build`](crate::AuditorBuilder::build) was called
    /// outside a Tokio runtime, so the writer task has nowhere to run. Build
    /// inside one, or use `build_with_writer` and spawn the writer yourself.
    #[error(
        "no Tokio runtime to run the audit writer on: build the auditor inside one, or use build_with_writer and spawn the writer"
    )]
    NoRuntime,
    /// The audit file cannot be opened (or read, to continue its chain).
    #[error("cannot open the audit file {path}")]
    File {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The chain key is shorter than 32 bytes.
    #[error("the audit chain key must be at least 32 bytes, got {len}")]
    WeakChainKey {
        /// Its length.
        len: usize,
    },
    /// The user agent limit is outside 16 to 4096 bytes.
    #[error("the user agent limit must be 16 to 4096 bytes, got {0}")]
    UserAgentLimit(usize),
    /// The stream name is empty, longer than 64 bytes or not printable ASCII.
    #[error("the audit stream name must be 1 to 64 printable ASCII characters without spaces")]
    InvalidStreamName,
}

/// A sink could not write a batch. The auditor counts its events as lost
/// and logs the error (at most once per interval); it never reaches a
/// request.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// A file or stdout write failed (full disk, closed pipe).
    #[error("audit write failed")]
    Io(#[from] std::io::Error),
    /// Redis refused the write, or could not be reached in time.
    #[cfg(feature = "redis")]
    #[error("audit stream write failed")]
    Redis(#[from] shieldwall_redis::RedisError),
    /// Another sink's failure.
    #[error("audit sink failed: {0}")]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

impl SinkError {
    /// Any error of a sink of your own.
    pub fn other(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Other(error.into())
    }
}

/// The writer task has stopped (after [`Auditor::shutdown`](crate::Auditor::shutdown),
/// or because its runtime ended), so there is nothing to flush to.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the audit writer has stopped")]
pub struct WriterStopped {}

impl WriterStopped {
    pub(crate) fn new() -> Self {
        Self {}
    }
}
