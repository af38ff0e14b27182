//! [`Summary`]: the facts of one finished request, as the event is built
//! from them: a field-for-field copy of core's `RequestSummary`.
//!
//! `RequestSummary` is `#[non_exhaustive]` without a constructor, so no
//! crate but shieldwall-core can make one; tests and benchmarks feed the
//! auditor through this copy instead ([`crate::testing`]), and
//! [`Auditor::observe`](shieldwall_core::RequestObserver::observe) converts
//! every `RequestSummary` into one, so both take the same path.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use shieldwall_core::{Principal, Refusal, RequestSummary};

/// The facts of one finished request (see the module docs).
#[non_exhaustive]
#[derive(Clone, Copy, Debug)]
pub struct Summary<'a> {
    /// When the request arrived (wall clock).
    pub started: SystemTime,
    /// How long the answer took.
    pub latency: Duration,
    /// The request id.
    pub request_id: &'a str,
    /// The request method.
    pub method: &'a str,
    /// The matched route template, when a router matched one.
    pub route: Option<&'a str>,
    /// The status of the answer.
    pub status: u16,
    /// The client address after trusted-proxy resolution.
    pub client_ip: Option<IpAddr>,
    /// Who the guards identified, if anyone did.
    pub principal: Option<&'a Principal>,
    /// The refusal, when shieldwall answered with a problem.
    pub refusal: Option<Refusal>,
    /// The raw `User-Agent`.
    pub user_agent: Option<&'a [u8]>,
}

impl<'a> Summary<'a> {
    /// A request that arrived now, answered at once with `status`, with no
    /// route, client address, principal, refusal or user agent; set the
    /// fields to fill them in.
    #[must_use]
    pub fn new(request_id: &'a str, method: &'a str, status: u16) -> Self {
        Self {
            started: SystemTime::now(),
            latency: Duration::ZERO,
            request_id,
            method,
            route: None,
            status,
            client_ip: None,
            principal: None,
            refusal: None,
            user_agent: None,
        }
    }
}

impl<'a> From<&RequestSummary<'a>> for Summary<'a> {
    fn from(summary: &RequestSummary<'a>) -> Self {
        Self {
            started: summary.started,
            latency: summary.latency,
            request_id: summary.request_id,
            method: summary.method,
            route: summary.route,
            status: summary.status,
            client_ip: summary.client_ip,
            principal: summary.principal,
            refusal: summary.refusal,
            user_agent: summary.user_agent,
        }
    }
}
