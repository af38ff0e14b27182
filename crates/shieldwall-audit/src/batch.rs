//! [`Batch`]: the events the writer hands a sink at once, in chain order.

use std::sync::Arc;

use crate::event::AuditEvent;

/// Events taken from the queue together, in the order they were queued
/// (which is the chain's order): as [`AuditEvent`]s when the sink wants
/// them ([`AuditSink::wants_events`](crate::AuditSink::wants_events)), as
/// JSON lines when it wants those
/// ([`AuditSink::wants_json_lines`](crate::AuditSink::wants_json_lines)).
#[derive(Debug, Default)]
pub struct Batch {
    pub(crate) len: usize,
    pub(crate) events: Vec<AuditEvent>,
    /// Every event's JSON followed by `\n`, when rendered. Shared, so that a
    /// sink can hand it to another thread without a copy.
    pub(crate) lines: Arc<Vec<u8>>,
    pub(crate) rendered: bool,
}

impl Batch {
    /// The events, when the sink wants them (else empty).
    #[must_use]
    pub fn events(&self) -> &[AuditEvent] {
        &self.events
    }

    /// How many events.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every event as one JSON object followed by `\n`, in order (with `seq`
    /// and `hash` when the chain is on); `None` when not rendered.
    #[must_use]
    pub fn json_lines(&self) -> Option<&[u8]> {
        self.rendered.then_some(self.lines.as_slice())
    }

    /// [`Batch::json_lines`], shared (for a sink that writes on another thread).
    pub(crate) fn shared_lines(&self) -> Option<Arc<Vec<u8>>> {
        self.rendered.then(|| Arc::clone(&self.lines))
    }

    /// Empties the batch for the next one; the line buffer is reused when no
    /// sink still holds it.
    pub(crate) fn clear(&mut self, rendered: bool) {
        self.len = 0;
        self.events.clear();
        match Arc::get_mut(&mut self.lines) {
            Some(lines) => lines.clear(),
            None => self.lines = Arc::default(),
        }
        self.rendered = rendered;
    }
}
