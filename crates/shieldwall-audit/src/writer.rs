//! [`AuditWriter`]: the one task that takes events off the queue, seals the
//! chain in the order it writes, and hands batches to the sink.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::Poll;
use std::time::Duration;

use shieldwall_core::LogThrottle;
use shieldwall_core::telemetry::{AuditOutcome, audit_events};
use tokio::sync::{Notify, mpsc};

use crate::auditor::{Counters, Message};
use crate::chain::next_seq;
use crate::event::AuditEvent;
use crate::json::{write_event, write_pending};
use crate::pending::Pending;
use crate::sink::DynSink;
use crate::time::StampCache;
use crate::{Batch, Chain, ChainLink, SinkError};

/// The writer task of an [`Auditor`](crate::Auditor): run
/// [`AuditWriter::run`] inside a Tokio runtime with its timer enabled (see
/// [`AuditorBuilder::build_with_writer`](crate::AuditorBuilder::build_with_writer)).
pub struct AuditWriter {
    queue: mpsc::Receiver<Message>,
    /// Ends a wait for a fuller batch: a flush, or a batch's worth queued.
    wake: Arc<Notify>,
    sink: Box<dyn DynSink>,
    chain: Option<Chain>,
    /// The last link written; `None` before the first.
    head: Option<ChainLink>,
    /// Whether the sink was asked where its chain stopped.
    resumed: bool,
    counters: Arc<Counters>,
    settings: WriterSettings,
    lost_log: LogThrottle,
    /// The event being built, its buffer reused from one to the next.
    scratch: AuditEvent,
    /// Escaped text on its way into a JSON line, reused.
    escaped: String,
    stamps: StampCache,
}

/// The builder's settings the writer uses.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WriterSettings {
    pub(crate) batch_size: usize,
    pub(crate) batch_delay: Duration,
    pub(crate) retries: u8,
    pub(crate) retry_backoff: Duration,
    pub(crate) warn_every: Duration,
}

impl std::fmt::Debug for AuditWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditWriter")
            .field("chain", &self.chain)
            .field("head", &self.head)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl AuditWriter {
    pub(crate) fn new(
        queue: mpsc::Receiver<Message>,
        wake: Arc<Notify>,
        sink: Box<dyn DynSink>,
        chain: Option<Chain>,
        counters: Arc<Counters>,
        settings: WriterSettings,
    ) -> Self {
        Self {
            queue,
            wake,
            sink,
            chain,
            head: None,
            resumed: false,
            counters,
            settings,
            lost_log: LogThrottle::new(settings.warn_every),
            scratch: AuditEvent::default(),
            escaped: String::new(),
            stamps: StampCache::default(),
        }
    }

    /// Writes events until [`Auditor::shutdown`](crate::Auditor::shutdown)
    /// or until every clone of the auditor is gone (what is queued is
    /// written first).
    pub async fn run(mut self) {
        let batch_size = self.settings.batch_size;
        let mut messages = Vec::with_capacity(batch_size);
        let mut pending = Vec::with_capacity(batch_size);
        let mut batch = Batch::default();
        loop {
            if self.queue.recv_many(&mut messages, batch_size).await == 0 {
                return; // Every sender is gone and the queue is empty.
            }
            if messages.len() < batch_size
                && !self.settings.batch_delay.is_zero()
                && !messages.iter().any(Message::is_control)
            {
                self.linger(&mut messages).await;
            }
            let mut stop = false;
            for message in messages.drain(..) {
                match message {
                    Message::Event(event) => pending.push(event),
                    Message::Flush(done) => {
                        self.write(&mut pending, &mut batch).await;
                        let _ = done.send(());
                    }
                    Message::Shutdown(done) => {
                        self.write(&mut pending, &mut batch).await;
                        stop = true;
                        let _ = done.send(());
                    }
                }
            }
            self.write(&mut pending, &mut batch).await;
            if stop {
                self.drain_after_stop();
                return;
            }
        }
    }

    /// Waits up to the batch delay for more events (a flush, or a batch's
    /// worth queued, ends it early), then takes what came, up to a batch.
    /// Requests do not wake the writer meanwhile: one wake-up per batch.
    async fn linger(&mut self, messages: &mut Vec<Message>) {
        self.counters.held.store(messages.len(), Ordering::Relaxed);
        let mut delay = pin!(tokio::time::sleep(self.settings.batch_delay));
        let mut woken = pin!(self.wake.notified());
        poll_fn(|cx| {
            if delay.as_mut().poll(cx).is_ready() || woken.as_mut().poll(cx).is_ready() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
        self.counters.held.store(0, Ordering::Relaxed);
        while messages.len() < self.settings.batch_size {
            match self.queue.try_recv() {
                Ok(message) => messages.push(message),
                Err(_) => break,
            }
        }
    }

    /// After a shutdown: the queue closes; what raced in is counted dropped,
    /// and flushes waiting on it are answered.
    fn drain_after_stop(&mut self) {
        self.queue.close();
        while let Ok(message) = self.queue.try_recv() {
            match message {
                Message::Event(_) => {
                    self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                    audit_events(AuditOutcome::Dropped, 1);
                }
                Message::Flush(done) | Message::Shutdown(done) => {
                    let _ = done.send(());
                }
            }
        }
    }

    /// Renders `pending` (sealed when chained), writes it with retries, and
    /// counts the result; `pending` is left empty.
    async fn write(&mut self, pending: &mut Vec<Pending>, batch: &mut Batch) {
        if pending.is_empty() {
            return;
        }
        if self.chain.is_some() && !self.resumed {
            match self.sink.last_link_boxed().await {
                Ok(link) => {
                    self.head = link;
                    self.resumed = true;
                }
                Err(error) => {
                    let count = pending.len();
                    pending.clear();
                    self.count_lost(count, &error);
                    return;
                }
            }
        }
        let head = self.fill(pending, batch);
        let mut attempt = 0_u8;
        loop {
            match self.sink.write_boxed(batch).await {
                Ok(()) => {
                    self.head = head;
                    self.counters
                        .written
                        .fetch_add(batch.len() as u64, Ordering::Relaxed);
                    audit_events(AuditOutcome::Written, batch.len() as u64);
                    return;
                }
                Err(error) if attempt >= self.settings.retries => {
                    // The head stays: the chain goes on from the last event
                    // written, and holds only what the sink holds.
                    self.count_lost(batch.len(), &error);
                    return;
                }
                Err(_) => {
                    let wait = self
                        .settings
                        .retry_backoff
                        .saturating_mul(1_u32 << attempt.min(16));
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    /// Moves `pending` into `batch` as events and JSON lines, as the sink
    /// wants them (lines always when chained); returns the head after them.
    fn fill(&mut self, pending: &mut Vec<Pending>, batch: &mut Batch) -> Option<ChainLink> {
        let render = self.chain.is_some() || self.sink.wants_json_lines_dyn();
        let keep = self.sink.wants_events_dyn();
        batch.clear(render);
        let lines = Arc::make_mut(&mut batch.lines);
        let mut head = self.head;
        for request in pending.drain(..) {
            let seq = self.chain.as_ref().map(|_| next_seq(head));
            let start = lines.len();
            if keep {
                self.scratch.fill(&request);
                self.scratch.seq = seq;
                if render {
                    write_event(lines, &self.scratch, false);
                }
            } else if render {
                // Only lines: straight from the request, without the event.
                write_pending(lines, &request, seq, &mut self.escaped, &mut self.stamps);
            }
            if let Some(chain) = &self.chain {
                let link = chain.seal_line(head, lines, start);
                if keep {
                    self.scratch.hash = Some(link.hash_digits());
                }
                head = Some(link);
            }
            if render {
                lines.push(b'\n');
            }
            if keep {
                batch.events.push(self.scratch.clone());
            }
            batch.len += 1;
        }
        head
    }

    fn count_lost(&self, count: usize, error: &SinkError) {
        shieldwall_core::telemetry::store_error(shieldwall_core::telemetry::StoreKind::Audit);
        audit_events(AuditOutcome::Lost, count as u64);
        let lost = self
            .counters
            .lost
            .fetch_add(count as u64, Ordering::Relaxed)
            + count as u64;
        if self.lost_log.allow() {
            tracing::warn!(
                lost_total = lost,
                error = %error,
                source = std::error::Error::source(error).map(tracing::field::display),
                "the audit sink failed: events lost (counted, not kept)"
            );
        }
    }
}
