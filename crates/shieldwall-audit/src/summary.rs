//! [`Summary`]: the facts of one finished request, as the event is built
//! from them: core's `RequestSummary`, which tests and benchmarks make with
//! `RequestSummary::new` and feed to the auditor ([`crate::testing`]).

pub use shieldwall_core::RequestSummary as Summary;
