//! [`Auditor`]: the request side. Copies what the event needs and queues
//! it, never waiting; counts what it cannot queue.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use shieldwall_core::telemetry::{AuditOutcome, audit_events};
use shieldwall_core::{LogThrottle, RequestObserver, RequestSummary};
use tokio::sync::{Notify, mpsc, oneshot};

use crate::pending::Pending;
use crate::summary::Summary;
use crate::{AuditorBuilder, WriterStopped};

/// What travels from requests to the writer task.
#[derive(Debug)]
pub(crate) enum Message {
    Event(Pending),
    /// Write everything queued before, then answer.
    Flush(oneshot::Sender<()>),
    /// Write everything queued before, answer, and stop.
    Shutdown(oneshot::Sender<()>),
}

impl Message {
    pub(crate) fn is_control(&self) -> bool {
        !matches!(self, Self::Event(_))
    }
}

/// The counters, shared by the auditor and its writer.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) written: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) lost: AtomicU64,
    /// Events the writer holds while it waits for a fuller batch.
    pub(crate) held: AtomicUsize,
}

/// What became of the events so far.
///
/// Every event observed is, eventually, exactly one of written, dropped or
/// lost (or still queued).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuditStats {
    /// Written by the sink.
    pub written: u64,
    /// Never queued: the queue was full (or the writer had stopped).
    pub dropped: u64,
    /// Queued, but the sink failed to write them (after its retries).
    pub lost: u64,
    /// In the queue now.
    pub queued: usize,
}

/// The audit log's request side: a [`RequestObserver`] that copies what
/// each finished request's [`AuditEvent`](crate::AuditEvent) needs (one
/// allocation and a reference count) into a bounded queue. The writer task
/// builds the event from it (escaping client text, formatting the time),
/// renders it and hands it to the sink, so that a request pays for the copy
/// and one `try_send` only.
///
/// Cheap to clone (one reference count): install one clone with
/// `Perimeter::observer`, keep another for [`Auditor::stats`] and
/// [`Auditor::shutdown`]. See the crate docs for an example.
#[derive(Clone)]
pub struct Auditor {
    shared: Arc<Shared>,
}

struct Shared {
    queue: mpsc::Sender<Message>,
    /// Ends the writer's wait for a fuller batch.
    wake: Arc<Notify>,
    /// At this many queued events the writer is woken at once.
    batch_size: usize,
    counters: Arc<Counters>,
    user_agent_limit: usize,
    drop_log: LogThrottle,
}

impl std::fmt::Debug for Auditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auditor")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl RequestObserver for Auditor {
    /// Copies the request's facts and offers them to the queue. Never
    /// waits: when the queue is full the event is dropped and counted.
    fn observe(&self, summary: &RequestSummary<'_>) {
        self.record(summary);
    }
}

impl Auditor {
    /// A builder: the tracing sink, a queue of 8192 events, no chain.
    pub fn builder() -> AuditorBuilder {
        AuditorBuilder::new()
    }

    pub(crate) fn new(
        queue: mpsc::Sender<Message>,
        wake: Arc<Notify>,
        batch_size: usize,
        counters: Arc<Counters>,
        user_agent_limit: usize,
        warn_every: std::time::Duration,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                queue,
                wake,
                batch_size,
                counters,
                user_agent_limit,
                drop_log: LogThrottle::new(warn_every),
            }),
        }
    }

    /// What `observe` does with a summary: a raw copy queued; escaping,
    /// formatting and serializing happen in the writer task.
    pub(crate) fn record(&self, summary: &Summary<'_>) {
        let shared = &*self.shared;
        // A full queue drops the event anyway: do not build it first.
        if shared.queue.capacity() == 0 {
            self.count_dropped("the audit queue is full");
            return;
        }
        let pending = Pending::capture(summary, shared.user_agent_limit);
        match shared.queue.try_send(Message::Event(pending)) {
            Ok(()) => {
                let queued = shared.queue.max_capacity() - shared.queue.capacity();
                let held = shared.counters.held.load(Ordering::Relaxed);
                if queued + held >= shared.batch_size {
                    shared.wake.notify_one();
                }
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.count_dropped("the audit queue is full");
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.count_dropped("the audit writer has stopped");
            }
        }
    }

    fn count_dropped(&self, why: &'static str) {
        let shared = &*self.shared;
        let dropped = shared.counters.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        audit_events(AuditOutcome::Dropped, 1);
        if shared.drop_log.allow() {
            tracing::warn!(
                dropped_total = dropped,
                "{why}: audit events are being dropped (counted, not kept)"
            );
        }
    }

    /// What became of the events so far.
    #[must_use]
    pub fn stats(&self) -> AuditStats {
        let counters = &self.shared.counters;
        let queue = &self.shared.queue;
        AuditStats {
            written: counters.written.load(Ordering::Relaxed),
            dropped: counters.dropped.load(Ordering::Relaxed),
            lost: counters.lost.load(Ordering::Relaxed),
            queued: queue.max_capacity().saturating_sub(queue.capacity()),
        }
    }

    /// Events dropped because the queue was full (or the writer had stopped).
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.shared.counters.dropped.load(Ordering::Relaxed)
    }

    /// Events the sink failed to write.
    #[must_use]
    pub fn lost(&self) -> u64 {
        self.shared.counters.lost.load(Ordering::Relaxed)
    }

    /// Waits until the writer has handed every event queued before this call
    /// to the sink (written, or counted as lost). Waits for room in the queue
    /// first if it is full. Never call it on the request path.
    ///
    /// If the writer was never spawned (`build_with_writer`), this waits
    /// until it is.
    pub async fn flush(&self) -> Result<(), WriterStopped> {
        let (done, wait) = oneshot::channel();
        self.shared
            .queue
            .send(Message::Flush(done))
            .await
            .map_err(|_| WriterStopped::new())?;
        self.shared.wake.notify_one();
        wait.await.map_err(|_| WriterStopped::new())
    }

    /// Like [`Auditor::flush`], then stops the writer: for a graceful exit.
    /// Events observed afterwards are dropped (and counted).
    pub async fn shutdown(&self) -> Result<(), WriterStopped> {
        let (done, wait) = oneshot::channel();
        self.shared
            .queue
            .send(Message::Shutdown(done))
            .await
            .map_err(|_| WriterStopped::new())?;
        self.shared.wake.notify_one();
        wait.await.map_err(|_| WriterStopped::new())
    }
}
