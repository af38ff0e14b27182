//! Spans: one per request and one per guard decision, with field names from
//! OpenTelemetry's HTTP semantic conventions where one exists.
//!
//! No field ever holds a credential, a principal's id, a path or free text
//! a client chose: the method is one of the standard ones or `_OTHER`, the
//! route is the router's template, the client address is the one resolved
//! behind trusted proxies, and the request id, which a client may send, is
//! kept only when it is 1 to 128 of `A-Z a-z 0-9 - _ . :` (else replaced).

use futures_util::future::Either;
use tracing::Span;
use tracing::field::Empty;

use crate::{BodyGuard, Decision, Guard, PrincipalKind, RequestContext, RequestView, Step};

/// What a guard is, for its span: a fixed word (`rate_limit`, `api_key`,
/// `bearer`, ...) and, for a named policy, its name (a word from the
/// configuration, never from a request).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuardInfo<'a> {
    /// The kind of guard.
    pub kind: &'static str,
    /// The policy's name, for guards that have one.
    pub policy: Option<&'a str>,
}

impl<'a> GuardInfo<'a> {
    /// A guard of this kind, without a policy name.
    #[must_use]
    pub const fn new(kind: &'static str) -> Self {
        Self { kind, policy: None }
    }

    /// With the policy's name.
    #[must_use]
    pub const fn with_policy(mut self, policy: &'a str) -> Self {
        self.policy = Some(policy);
        self
    }
}

/// The method as OpenTelemetry spells it: a standard method, or `_OTHER`
/// (an extension method is client text).
fn method_name(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ];
    KNOWN
        .into_iter()
        .find(|known| *known == method)
        .unwrap_or("_OTHER")
}

/// The span of one request, opened by the outermost layer: `request_id`,
/// `http.request.method`, `client.address`, and, once answered,
/// `http.response.status_code` and `http.route` ([`record_answer`]).
#[must_use]
pub fn request_span(context: &RequestContext, method: &str) -> Span {
    tracing::info_span!(
        target: "shieldwall",
        "request",
        request_id = %context.request_id,
        http.request.method = method_name(method),
        client.address = context.client_ip.map(tracing::field::display),
        http.response.status_code = Empty,
        http.route = Empty,
    )
}

/// Records how the request was answered on its span.
pub fn record_answer(span: &Span, status: u16, route: Option<&str>) {
    if span.is_disabled() {
        return;
    }
    span.record("http.response.status_code", status);
    if let Some(route) = route {
        span.record("http.route", route);
    }
}

fn principal_kind(kind: &PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::User => "user",
        PrincipalKind::ApiKey { .. } => "api_key",
        PrincipalKind::Service => "service",
    }
}

/// The span of one guard decision: `shieldwall.guard` (its kind),
/// `shieldwall.policy`, and once decided `shieldwall.outcome` (`allow`,
/// `reject`, `respond`), `shieldwall.principal.kind` (never the principal)
/// and, for a refusal, `error.type` (its public code).
///
/// At `DEBUG` level (the request span is at `INFO`): a service that logs at
/// `INFO` pays nothing for it; a tracing exporter turns on
/// `shieldwall=debug`. Adapters open it before [`Guard::extract`] and enter
/// it while the guard decides; when no subscriber wants it nothing is built
/// and it costs an atomic load.
#[derive(Clone, Debug)]
pub struct GuardSpan(Option<Span>);

impl GuardSpan {
    /// Opens the span of a decision by the guard `info` describes.
    #[inline]
    #[must_use]
    pub fn new(info: GuardInfo<'_>) -> Self {
        // Nothing built, nothing dropped, no future wrapped when no
        // subscriber wants it: the common case is the cheap one.
        if tracing::enabled!(target: "shieldwall", tracing::Level::DEBUG) {
            Self::open(info)
        } else {
            Self(None)
        }
    }

    #[cold]
    #[inline(never)]
    fn open(info: GuardInfo<'_>) -> Self {
        let span = tracing::debug_span!(
            target: "shieldwall",
            "guard",
            shieldwall.guard = info.kind,
            shieldwall.policy = info.policy,
            shieldwall.outcome = Empty,
            shieldwall.principal.kind = Empty,
            error.type = Empty,
        );
        Self(Some(span).filter(|span| !span.is_disabled()))
    }

    /// Opens the span of `guard`'s decision.
    #[must_use]
    pub fn of<G: Guard + ?Sized>(guard: &G) -> Self {
        Self::new(guard.describe())
    }

    /// Opens the span of a body guard's decision.
    #[must_use]
    pub fn of_body<G: BodyGuard + ?Sized>(guard: &G) -> Self {
        Self::new(guard.describe())
    }

    /// Runs `work` inside the span.
    pub fn in_scope<T>(&self, work: impl FnOnce() -> T) -> T {
        match &self.0 {
            Some(span) => span.in_scope(work),
            None => work(),
        }
    }

    /// Runs `guard.extract` inside the span; a decision made there is recorded.
    pub fn extract<G: Guard + ?Sized, R: RequestView + ?Sized>(
        &self,
        guard: &G,
        request: &R,
    ) -> Step<G::Input> {
        let step = self.in_scope(|| guard.extract(request));
        if let Step::Done(decision) = &step {
            self.decided(decision);
        }
        step
    }

    /// Decides `input` inside the span and records the decision.
    pub fn decide<'g, G: Guard + ?Sized>(
        &self,
        guard: &'g G,
        input: G::Input,
    ) -> impl Future<Output = Decision> + Send + use<'g, G> {
        self.decided_by(guard.decide(input))
    }

    /// Awaits a decision inside the span and records it; without a span,
    /// the decision's own future, unwrapped.
    pub fn decided_by<F: Future<Output = Decision>>(
        &self,
        decision: F,
    ) -> Either<F, impl Future<Output = Decision> + use<F>> {
        match &self.0 {
            None => Either::Left(decision),
            Some(span) => Either::Right(recorded(span.clone(), decision)),
        }
    }

    /// Records a decision.
    #[inline]
    pub fn decided(&self, decision: &Decision) {
        if let Some(span) = &self.0 {
            record_decision(span, decision);
        }
    }

    /// The span itself, when a subscriber wants it.
    #[must_use]
    pub fn span(&self) -> Option<&Span> {
        self.0.as_ref()
    }
}

/// Awaits `decision` inside `span`, then records it there.
async fn recorded<F: Future<Output = Decision>>(span: Span, decision: F) -> Decision {
    let decision = tracing::Instrument::instrument(decision, span.clone()).await;
    record_decision(&span, &decision);
    decision
}

fn record_decision(span: &Span, decision: &Decision) {
    match decision {
        Decision::Continue(grant) => {
            span.record("shieldwall.outcome", "allow");
            if let Some(principal) = &grant.principal {
                span.record(
                    "shieldwall.principal.kind",
                    principal_kind(principal.kind()),
                );
            }
        }
        Decision::Reject(error) => {
            span.record("shieldwall.outcome", "reject");
            span.record("error.type", error.code().as_str());
        }
        Decision::Respond(_) => {
            span.record("shieldwall.outcome", "respond");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_methods_never_reach_a_span() {
        assert_eq!(method_name("GET"), "GET");
        assert_eq!(method_name("PATCH"), "PATCH");
        assert_eq!(method_name("get"), "_OTHER");
        assert_eq!(method_name("X-SECRET-abc123"), "_OTHER");
    }
}
