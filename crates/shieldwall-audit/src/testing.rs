//! For tests and benchmarks: feed an auditor without a web framework.
//!
//! [`Summary`] is shieldwall-core's `RequestSummary` (made with
//! `RequestSummary::new`, fields set afterwards); this module gives the
//! two steps of `Auditor::observe` on it, so a test here takes the request
//! path's code.
//!
//! ```
//! use shieldwall_audit::testing::{self, Summary};
//!
//! let mut summary = Summary::new("req-1", "GET", 200);
//! summary.user_agent = Some(b"curl/8\r\nforged line");
//! let event = testing::event(&summary);
//! assert_eq!(event.user_agent(), Some("curl/8\\r\\nforged line"));
//! ```

use crate::pending::Pending;
pub use crate::summary::Summary;
use crate::{AuditEvent, Auditor, DEFAULT_USER_AGENT_LIMIT};

/// What `Auditor::observe` does with a request: copy what the event needs
/// and offer it to the queue, without waiting.
pub fn observe(auditor: &Auditor, summary: &Summary<'_>) {
    auditor.record(summary);
}

/// The event of `summary`, as the writer of an auditor with the default
/// user agent limit builds it.
#[must_use]
pub fn event(summary: &Summary<'_>) -> AuditEvent {
    AuditEvent::from_pending(&Pending::capture(summary, DEFAULT_USER_AGENT_LIMIT))
}
