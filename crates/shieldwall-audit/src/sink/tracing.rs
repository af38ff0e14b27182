//! [`TracingSink`]: one `tracing` event per request (the default sink).

use std::future::Future;

use crate::{AuditEvent, AuditSink, Batch, SinkError};

/// The target of audit events on the tracing sink.
pub const AUDIT_TARGET: &str = "shieldwall::audit";

/// Emits each event as one `tracing` event at `INFO` on the target
/// [`AUDIT_TARGET`] (`shieldwall::audit`), message `audit`, with the
/// event's fields (absent ones not recorded). Where it ends up, and in what
/// format, is the subscriber's choice: route the target to its own file or
/// collector, and keep it enabled at `INFO`.
///
/// String values are recorded as `&str` (`fmt` quotes them, a JSON
/// formatter writes them as JSON strings), already escaped of control and
/// bidi characters when the event was built.
#[derive(Clone, Debug, Default)]
pub struct TracingSink {
    _private: (),
}

impl TracingSink {
    /// The sink.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

fn emit(event: &AuditEvent) {
    tracing::info!(
        target: AUDIT_TARGET,
        time = event.time(),
        request_id = event.request_id(),
        method = event.method(),
        route = event.route(),
        status = event.status(),
        latency_us = event.latency_us(),
        client_ip = event.client_ip().map(tracing::field::display),
        principal = event.principal(),
        principal_kind = event.principal_kind(),
        key_id = event.key_id(),
        outcome = event.outcome().as_str(),
        reason = event.reason(),
        user_agent = event.user_agent(),
        seq = event.seq(),
        hash = event.hash(),
        "audit"
    );
}

impl AuditSink for TracingSink {
    fn write<'a>(
        &'a mut self,
        batch: &'a Batch,
    ) -> impl Future<Output = Result<(), SinkError>> + Send + 'a {
        for event in batch.events() {
            emit(event);
        }
        std::future::ready(Ok(()))
    }

    fn wants_json_lines(&self) -> bool {
        false
    }

    fn wants_events(&self) -> bool {
        true
    }
}
