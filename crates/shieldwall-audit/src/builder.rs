//! [`AuditorBuilder`]: the sink, the queue, the chain; checked when built.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};

use crate::auditor::Counters;
use crate::sink::DynSink;
use crate::writer::{AuditWriter, WriterSettings};
use crate::{AuditConfigError, AuditSink, Auditor, Chain, TracingSink};

const fn non_zero(n: usize) -> NonZeroUsize {
    match NonZeroUsize::new(n) {
        Some(n) => n,
        None => NonZeroUsize::MIN,
    }
}

/// The default queue capacity, in events.
pub const DEFAULT_QUEUE_CAPACITY: NonZeroUsize = non_zero(8192);
/// The default largest batch handed to a sink at once.
pub const DEFAULT_BATCH_SIZE: NonZeroUsize = non_zero(1024);
/// The default longest wait for a batch to fill.
pub const DEFAULT_BATCH_DELAY: Duration = Duration::from_millis(50);
/// The default bound on a user agent, in bytes (after escaping).
pub const DEFAULT_USER_AGENT_LIMIT: usize = 256;
/// The default number of retries of a batch that a sink failed to write.
pub const DEFAULT_RETRIES: u8 = 2;

/// Builds an [`Auditor`] and its writer task.
///
/// Defaults: [`TracingSink`], a queue of 8192 events, batches of up to 1024
/// gathered for at most 50 ms, no chain, user agents cut at 256 bytes, 2
/// retries of a failed batch (after 100 ms, then 200 ms), a warning about
/// drops or losses at most every 10 s.
#[must_use = "a builder does nothing until built"]
pub struct AuditorBuilder {
    sink: Box<dyn DynSink>,
    capacity: NonZeroUsize,
    batch_size: NonZeroUsize,
    batch_delay: Duration,
    chain: Option<Chain>,
    user_agent_limit: usize,
    retries: u8,
    retry_backoff: Duration,
    warn_every: Duration,
}

impl std::fmt::Debug for AuditorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditorBuilder")
            .field("capacity", &self.capacity)
            .field("batch_size", &self.batch_size)
            .field("batch_delay", &self.batch_delay)
            .field("chain", &self.chain)
            .field("user_agent_limit", &self.user_agent_limit)
            .field("retries", &self.retries)
            .finish_non_exhaustive()
    }
}

impl Default for AuditorBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl AuditorBuilder {
    /// The defaults (see the type docs).
    pub fn new() -> Self {
        Self {
            sink: Box::new(TracingSink::new()),
            capacity: DEFAULT_QUEUE_CAPACITY,
            batch_size: DEFAULT_BATCH_SIZE,
            batch_delay: DEFAULT_BATCH_DELAY,
            chain: None,
            user_agent_limit: DEFAULT_USER_AGENT_LIMIT,
            retries: DEFAULT_RETRIES,
            retry_backoff: Duration::from_millis(100),
            warn_every: Duration::from_secs(10),
        }
    }

    /// Where events go (default: [`TracingSink`]).
    pub fn sink(mut self, sink: impl AuditSink) -> Self {
        self.sink = Box::new(sink);
        self
    }

    /// How many events may wait for the writer; more are dropped and
    /// counted. About 0.5 KiB each when full.
    pub fn queue_capacity(mut self, capacity: NonZeroUsize) -> Self {
        self.capacity = capacity;
        self
    }

    /// The most events handed to the sink at once (default 1024).
    pub fn batch_size(mut self, size: NonZeroUsize) -> Self {
        self.batch_size = size;
        self
    }

    /// How long the writer waits, after an event arrives, for a batch to
    /// fill before writing what it has (default 50 ms). A full batch or a
    /// flush ends the wait early. One write (and one wake-up of the writer)
    /// per batch is what keeps the cost per request low under load; zero
    /// writes as soon as anything is queued.
    pub fn batch_delay(mut self, delay: Duration) -> Self {
        self.batch_delay = delay;
        self
    }

    /// Chains the events (`seq` and `hash` in each); see [`Chain`].
    pub fn chain(mut self, chain: Chain) -> Self {
        self.chain = Some(chain);
        self
    }

    /// The bound on a user agent in bytes, after escaping (16 to 4096;
    /// default 256). A longer one is cut at a character and ends with `…`.
    pub fn user_agent_limit(mut self, bytes: usize) -> Result<Self, AuditConfigError> {
        if !(16..=shieldwall_core::MAX_OBSERVED_USER_AGENT).contains(&bytes) {
            return Err(AuditConfigError::UserAgentLimit(bytes));
        }
        self.user_agent_limit = bytes;
        Ok(self)
    }

    /// How often a batch the sink failed to write is tried again (default
    /// 2; 0 gives up at once) before its events are counted as lost. The
    /// waits double from 100 ms. Events keep queueing meanwhile (and are
    /// dropped, counted, if the queue fills).
    pub fn retries(mut self, retries: u8) -> Self {
        self.retries = retries;
        self
    }

    /// The auditor, with its writer spawned on the current Tokio runtime
    /// (inside `#[tokio::main]`, `#[actix_web::main]` or an actix-rt
    /// system, which runs on Tokio). Fails outside a runtime.
    ///
    /// The writer runs until [`Auditor::shutdown`], until every clone of
    /// the auditor is dropped (after writing what is queued), or until the
    /// runtime ends. Build the auditor once, outside actix-web's
    /// per-worker app factory, and clone it into each worker.
    pub fn build(self) -> Result<Auditor, AuditConfigError> {
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| AuditConfigError::NoRuntime)?;
        let (auditor, writer) = self.build_with_writer();
        runtime.spawn(writer.run());
        Ok(auditor)
    }

    /// The auditor and its writer, for you to spawn (`tokio::spawn`,
    /// `actix_rt::spawn`, a runtime of its own on another thread): events
    /// queue, and past the capacity are dropped, until it runs. The writer
    /// must run inside a Tokio runtime with the timer enabled (its batch
    /// delay and retries use Tokio's timer, its file writes the blocking
    /// pool); `#[tokio::main]` and actix-rt enable both.
    pub fn build_with_writer(self) -> (Auditor, AuditWriter) {
        let (queue, receiver) = mpsc::channel(self.capacity.get());
        let counters = Arc::new(Counters::default());
        let wake = Arc::new(Notify::new());
        let auditor = Auditor::new(
            queue,
            Arc::clone(&wake),
            self.batch_size.get(),
            Arc::clone(&counters),
            self.user_agent_limit,
            self.warn_every,
        );
        let settings = WriterSettings {
            batch_size: self.batch_size.get(),
            batch_delay: self.batch_delay,
            retries: self.retries,
            retry_backoff: self.retry_backoff,
            warn_every: self.warn_every,
        };
        let writer = AuditWriter::new(receiver, wake, self.sink, self.chain, counters, settings);
        (auditor, writer)
    }
}
