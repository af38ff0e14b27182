//! What a request came to, told once when its answer leaves: the one place
//! audit logs (and later metrics) learn about requests, for both adapters.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use shieldwall_errors::{ErrorCode, Problem};

use crate::{Perimeter, Principal, RequestContext, RequestView};

/// The most bytes of a `User-Agent` an observer is given (one more tells
/// that it was cut).
pub const MAX_OBSERVED_USER_AGENT: usize = 4096;

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
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteTemplate(Arc<str>);

impl RouteTemplate {
    /// The template as the router spells it.
    #[must_use]
    pub fn new(template: impl Into<Arc<str>>) -> Self {
        Self(template.into())
    }

    /// The template.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

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
    /// The raw `User-Agent` (client text: escape before writing it
    /// anywhere), at most [`MAX_OBSERVED_USER_AGENT`] bytes and one more
    /// when it was longer.
    pub user_agent: Option<&'a [u8]>,
}

impl<'a> RequestSummary<'a> {
    /// A request that arrived now and was answered at once with `status`,
    /// with no route, client address, principal, refusal or user agent; set
    /// the fields to fill them in (observers' tests and benchmarks).
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

/// Told about every request once its answer is known (audit logs, metrics).
///
/// Called on the request path: implementations hand the summary off (a
/// bounded queue) and return; they never block or wait on I/O.
pub trait RequestObserver: Send + Sync + std::fmt::Debug + 'static {
    /// One finished request.
    fn observe(&self, summary: &RequestSummary<'_>);
}

/// Several observers, each told in turn.
#[derive(Debug)]
pub(crate) struct Fanout(pub(crate) Vec<Arc<dyn RequestObserver>>);

impl RequestObserver for Fanout {
    fn observe(&self, summary: &RequestSummary<'_>) {
        for observer in &self.0 {
            observer.observe(summary);
        }
    }
}

/// What the outermost layer keeps of a request while it is served, when an
/// observer is installed: its arrival, method and user agent.
#[derive(Debug)]
pub struct Observation {
    started: SystemTime,
    clock: Instant,
    method: http::Method,
    user_agent: Option<Bytes>,
}

/// What the answer carries for the outermost layer to report.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default)]
pub struct Answered<'a> {
    /// The final status.
    pub status: u16,
    /// The matched route template.
    pub route: Option<&'a str>,
    /// The principal a guard identified (guards put it in the answer's extensions).
    pub principal: Option<&'a Principal>,
    /// The problem shieldwall rendered, if it refused.
    pub problem: Option<&'a Problem>,
}

impl<'a> Answered<'a> {
    /// An answer with this status.
    #[must_use]
    pub fn new(status: u16) -> Self {
        Self {
            status,
            ..Self::default()
        }
    }

    /// With the facts the answer's extensions hold.
    #[must_use]
    pub fn with(
        mut self,
        route: Option<&'a str>,
        principal: Option<&'a Principal>,
        problem: Option<&'a Problem>,
    ) -> Self {
        self.route = route;
        self.principal = principal;
        self.problem = problem;
        self
    }
}

impl Perimeter {
    /// Starts watching a request: `None` (and no work) without an observer.
    #[must_use]
    pub fn observe_start<R: RequestView + ?Sized>(&self, request: &R) -> Option<Observation> {
        self.request_observer()?;
        Some(Observation {
            started: SystemTime::now(),
            clock: Instant::now(),
            // A method that arrived parsed is a valid token; the fallback
            // is never taken.
            method: http::Method::from_bytes(request.method().as_bytes())
                .unwrap_or(http::Method::GET),
            // Kept up to a bound: a megabyte user agent is not copied per
            // request (one byte past the bound tells an observer it was cut).
            user_agent: request.header_values("user-agent").next().map(|agent| {
                Bytes::copy_from_slice(agent.get(..MAX_OBSERVED_USER_AGENT + 1).unwrap_or(agent))
            }),
        })
    }

    /// Tells the observer how the request ended.
    pub fn observe_end(
        &self,
        observation: Option<Observation>,
        context: &RequestContext,
        answered: Answered<'_>,
    ) {
        let (Some(observer), Some(observation)) = (self.request_observer(), observation) else {
            return;
        };
        observer.observe(&RequestSummary {
            started: observation.started,
            latency: observation.clock.elapsed(),
            request_id: context.request_id.as_str(),
            method: observation.method.as_str(),
            route: answered.route,
            status: answered.status,
            client_ip: context.client_ip,
            principal: answered.principal,
            refusal: answered.problem.map(Refusal::of),
            user_agent: observation.user_agent.as_deref(),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Status, route, user agent length and refusal of one request.
    type Heard = (u16, Option<String>, Option<usize>, Option<Refusal>);

    /// Keeps what it was told.
    #[derive(Debug, Default)]
    struct Recording(Arc<Mutex<Vec<Heard>>>);

    impl RequestObserver for Recording {
        fn observe(&self, summary: &RequestSummary<'_>) {
            if let Ok(mut seen) = self.0.lock() {
                seen.push((
                    summary.status,
                    summary.route.map(str::to_owned),
                    summary.user_agent.map(<[u8]>::len),
                    summary.refusal,
                ));
            }
        }
    }

    #[test]
    fn the_observer_hears_each_request_once_with_a_bounded_user_agent() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let perimeter = Perimeter::new().observer(Recording(Arc::clone(&seen)));
        let long = "a".repeat(10_000);
        let request = http::Request::get("/x")
            .header("user-agent", long.as_str())
            .body(())
            .unwrap();
        let context = perimeter.begin(&request, None);
        let observation = perimeter.observe_start(&request);
        let mut problem = Problem::new(ErrorCode::InvalidSignature);
        problem.reason = Some("nonce_replayed");
        perimeter.observe_end(
            observation,
            &context,
            Answered::new(401).with(Some("/x"), None, Some(&problem)),
        );
        let seen = seen.lock().unwrap();
        assert_eq!(
            *seen,
            [(
                401,
                Some("/x".to_owned()),
                Some(MAX_OBSERVED_USER_AGENT + 1),
                Some(Refusal {
                    code: ErrorCode::InvalidSignature,
                    reason: Some("nonce_replayed"),
                }),
            )]
        );
        // Without an observer nothing is kept.
        assert!(Perimeter::new().observe_start(&request).is_none());
    }

    #[test]
    fn every_observer_added_is_told() {
        let first = Arc::new(Mutex::new(Vec::new()));
        let second = Arc::new(Mutex::new(Vec::new()));
        let perimeter = Perimeter::new()
            .observer(Recording(Arc::clone(&first)))
            .observer(Recording(Arc::clone(&second)));
        let request = http::Request::get("/x").body(()).unwrap();
        let context = perimeter.begin(&request, None);
        let observation = perimeter.observe_start(&request);
        perimeter.observe_end(observation, &context, Answered::new(204));
        assert_eq!(first.lock().unwrap().len(), 1);
        assert_eq!(second.lock().unwrap().len(), 1);
    }
}
