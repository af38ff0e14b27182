//! What a request came to, told once when its answer leaves: the one place
//! audit logs (and later metrics) learn about requests, for both adapters.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use shieldwall_errors::{ErrorCode, Problem};

use crate::Principal;

/// A refusal as the audit log records it: the public code and, where one
/// code stands for several causes, the private reason.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The code the client saw.
    pub code: ErrorCode,
    /// The cause behind it (see [`Problem::reason`]); never sent to the client.
    pub reason: Option<&'static str>,
}

impl Refusal {
    /// The refusal a rendered problem stands for.
    #[must_use]
    pub fn of(problem: &Problem) -> Self {
        Self {
            code: problem.code,
            reason: problem.reason,
        }
    }
}

/// The route a request was routed to (`/api/v1/users/{id}`), as the router
/// matched it: adapters put it in the response extensions where they learn
/// it, so that the outermost layer can report it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteTemplate(pub Arc<str>);

/// Everything the outermost layer knows about a finished request.
///
/// Borrowed, and built only when an observer is installed. There is no field
/// for a header other than the user agent, a body or a query: what is not
/// here cannot leak into an audit log.
#[non_exhaustive]
#[derive(Clone, Copy, Debug)]
pub struct RequestSummary<'a> {
    /// When the request arrived (wall clock).
    pub started: SystemTime,
    /// How long the answer took, up to its head leaving the stack.
    pub latency: Duration,
    /// The request id (sent back as `X-Request-Id`).
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
    /// The raw `User-Agent` (client text: escape before writing it anywhere).
    pub user_agent: Option<&'a [u8]>,
}

/// Told about every request once its answer is known (audit logs, metrics).
///
/// Called on the request path: implementations hand the summary off (a
/// bounded queue) and return; they never block or wait on I/O.
pub trait RequestObserver: Send + Sync + std::fmt::Debug + 'static {
    /// One finished request.
    fn observe(&self, summary: &RequestSummary<'_>);
}
