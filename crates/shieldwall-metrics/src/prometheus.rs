//! `Prometheus`: the recorder installed, its text rendered on demand.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use shieldwall_core::telemetry::REQUEST_DURATION_SECONDS;

/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// Latency buckets, in seconds: 100 µs to 10 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5, 10.0,
];

/// Installing the recorder failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrometheusError {
    /// Another `metrics` recorder is installed already (a process has one).
    #[error("a metrics recorder is installed already")]
    AlreadyInstalled,
    /// The exporter refused its settings.
    #[error("the Prometheus exporter refused its settings: {0}")]
    Build(String),
}

/// The process's `metrics` recorder, in Prometheus's text format.
///
/// [`Prometheus::install`] installs it (once per process) and describes
/// every family; serve [`Prometheus::render`] as [`CONTENT_TYPE`] on a
/// listener of its own, never on the API's address. Request latency is a
/// true histogram (buckets from 100 µs to 10 s), not a summary.
#[derive(Clone, Debug)]
pub struct Prometheus {
    handle: PrometheusHandle,
}

impl Prometheus {
    /// Installs the Prometheus recorder as the process's `metrics` recorder.
    ///
    /// # Errors
    ///
    /// [`PrometheusError::AlreadyInstalled`] when a recorder is installed.
    pub fn install() -> Result<Self, PrometheusError> {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(REQUEST_DURATION_SECONDS.to_owned()),
                &LATENCY_BUCKETS,
            )
            .map_err(|e| PrometheusError::Build(e.to_string()))?;
        let handle = builder
            .install_recorder()
            .map_err(|_| PrometheusError::AlreadyInstalled)?;
        crate::describe();
        Ok(Self { handle })
    }

    /// Every family in the text exposition format.
    #[must_use]
    pub fn render(&self) -> String {
        self.handle.render()
    }

    /// Housekeeping the exporter needs now and then (every few seconds):
    /// drains histogram samples so that their memory stays bounded.
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }
}
