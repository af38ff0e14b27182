//! `RequestMetrics`: what the outermost layer learns about every request,
//! counted.

use shieldwall_core::telemetry::{RequestCounters, auth_failure, is_auth_failure};
use shieldwall_core::{RequestObserver, RequestSummary};

/// Counts every finished request (`shieldwall_requests_total{status}`, its
/// latency in `shieldwall_request_duration_seconds`) and every
/// authentication or authorization refusal
/// (`shieldwall_auth_failures_total{code}`). Install it on the perimeter,
/// beside an audit log if there is one:
///
/// ```
/// use shieldwall_core::Perimeter;
/// use shieldwall_metrics::RequestMetrics;
///
/// let perimeter = Perimeter::new().observer(RequestMetrics::new());
/// # let _ = perimeter;
/// ```
///
/// It reads only the status, the latency and the public error code of a
/// summary: never the path, the client address or the principal.
#[derive(Debug, Default)]
pub struct RequestMetrics {
    counters: RequestCounters,
}

impl RequestMetrics {
    /// The observer.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

impl RequestObserver for RequestMetrics {
    fn observe(&self, summary: &RequestSummary<'_>) {
        self.counters.finished(summary.status, summary.latency);
        if let Some(refusal) = summary.refusal
            && is_auth_failure(refusal.code)
        {
            auth_failure(refusal.code);
        }
    }
}
