//! The guard contract: extract (sync, borrowed), decide (async, owned), apply (adapter).

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use shieldwall_errors::ApiError;

use crate::{Attachments, Principal, RequestView};

/// One security concern, split so that both actix-web (whose request is
/// `!Send`) and tower (which wants `Send` futures) can run it.
///
/// - [`Guard::extract`] borrows the request and reads what it needs; it may
///   answer at once ([`Step::Done`]).
/// - [`Guard::decide`] owns its input, may consult stores, and returns a
///   [`Decision`].
/// - The adapter applies the decision with a `match`; it holds no security
///   logic of its own.
///
/// ```
/// use shieldwall_core::{Decision, Grant, Guard, Principal, RequestView, Step};
/// use shieldwall_errors::{ApiError, ErrorCode};
///
/// /// Lets a request through when it carries `X-Demo: yes`.
/// struct DemoGuard;
///
/// impl Guard for DemoGuard {
///     type Input = bool;
///
///     fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<bool> {
///         match request.single_header("x-demo") {
///             Ok(Some(value)) => Step::Decide(value == b"yes"),
///             Ok(None) => Step::Done(Decision::reject(ErrorCode::ApiKeyRequired)),
///             Err(_) => Step::Done(Decision::reject(ErrorCode::MalformedRequest)),
///         }
///     }
///
///     async fn decide(&self, ok: bool) -> Decision {
///         if ok {
///             Decision::allow(Grant::new().with_principal(Principal::user("demo")))
///         } else {
///             Decision::reject(ErrorCode::InvalidApiKey)
///         }
///     }
/// }
/// ```
pub trait Guard: Send + Sync + 'static {
    /// What `extract` hands to `decide`: owned, `Send`.
    type Input: Send + 'static;

    /// Reads the request. Synchronous and borrowing.
    fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<Self::Input>;

    /// Decides. The future is `Send` so that it runs under tower as well.
    fn decide(&self, input: Self::Input) -> impl Future<Output = Decision> + Send;

    /// What this guard is, for the span of its decisions
    /// ([`GuardSpan`](crate::telemetry::GuardSpan)): a fixed word and, for
    /// a named policy, its name. `custom` unless the guard says otherwise.
    fn describe(&self) -> crate::telemetry::GuardInfo<'_> {
        crate::telemetry::GuardInfo::new("custom")
    }
}

/// What [`Guard::extract`] found.
// Exhaustive by decision: every adapter must handle every variant, so a new
// one is a breaking change on purpose, not a silent wildcard arm.
#[allow(clippy::exhaustive_enums)]
#[allow(
    clippy::large_enum_variant,
    reason = "`Done(Decision::Continue)` is the common case: boxing it would allocate on every request"
)]
#[derive(Debug)]
pub enum Step<I> {
    /// Go on to [`Guard::decide`] with this input.
    Decide(I),
    /// The answer is already known (no credentials, a CORS preflight, a guard
    /// that does not apply to this request).
    Done(Decision),
}

/// What a guard decided.
// Exhaustive by decision, like `Step`: adapters match on it.
#[allow(clippy::exhaustive_enums)]
#[allow(
    clippy::large_enum_variant,
    reason = "`Continue` is the common case: boxing it would allocate on every request"
)]
#[derive(Debug)]
pub enum Decision {
    /// Let the request through, attaching a principal and adding response headers.
    Continue(Grant),
    /// Answer with a problem+json error.
    Reject(ApiError),
    /// Answer with this response (for example a CORS preflight).
    Respond(http::Response<Bytes>),
}

impl Decision {
    /// Continue with nothing attached.
    #[must_use]
    pub fn pass() -> Self {
        Self::Continue(Grant::new())
    }

    /// Continue with a grant.
    #[must_use]
    pub fn allow(grant: Grant) -> Self {
        Self::Continue(grant)
    }

    /// Reject with an error.
    #[must_use]
    pub fn reject(error: impl Into<ApiError>) -> Self {
        Self::Reject(error.into())
    }
}

/// Work to do once the response is known (its status), for example giving
/// back a rate-limit reservation for a request that a skip rule does not
/// count. Adapters call it after the inner service answered.
pub trait Completion: Send + 'static {
    /// Called once with the final status.
    fn complete(self: Box<Self>, status: u16)
    -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// What a request that may continue carries on: the principal to attach,
/// values for later layers and handlers, and the headers to add to the
/// response.
///
/// `headers` are **appended** to the response, on both adapters and whatever
/// the inner service answered (errors included): a guard never replaces a
/// header that the handler or another guard set. `defaults` are set only
/// where the response has no field of that name (security headers a handler
/// may choose for itself).
#[non_exhaustive]
#[derive(Default)]
pub struct Grant {
    /// The principal to attach to the request, if the guard identified one.
    pub principal: Option<Principal>,
    /// Headers to add to the response (for example rate-limit headers).
    pub headers: HeaderMap,
    /// Headers to add to the response, made once when the guard was built
    /// and shared by every request (appended like `headers`, without a copy
    /// of the map per request).
    pub shared_headers: Option<Arc<HeaderMap>>,
    /// Headers to set when the response lacks them.
    pub defaults: HeaderMap,
    /// Values to attach to the request, read back with
    /// [`RequestView::attachment`] (for example the API version).
    pub attachments: Attachments,
    /// Called with the response status once it is known.
    pub completion: Option<Box<dyn Completion>>,
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant")
            .field("principal", &self.principal)
            .field("headers", &self.headers)
            .field("shared_headers", &self.shared_headers)
            .field("defaults", &self.defaults)
            .field("attachments", &self.attachments)
            .field("completion", &self.completion.as_ref().map(|_| "..."))
            .finish()
    }
}

impl Grant {
    /// An empty grant.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Attaches a principal.
    #[must_use]
    pub fn with_principal(mut self, principal: Principal) -> Self {
        self.principal = Some(principal);
        self
    }

    /// Adds a response header.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Appends these prepared headers to the response (see `shared_headers`).
    #[must_use]
    pub fn with_shared_headers(mut self, headers: Arc<HeaderMap>) -> Self {
        self.shared_headers = Some(headers);
        self
    }

    /// Sets a response header unless the response has one of that name.
    #[must_use]
    pub fn with_default_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.defaults.append(name, value);
        self
    }

    /// Attaches a value to the request for later layers and handlers.
    #[must_use]
    pub fn with_attachment<T: std::any::Any + Send + Sync>(mut self, value: T) -> Self {
        self.attachments.insert(value);
        self
    }

    /// Runs `completion` with the response status once it is known.
    #[must_use]
    pub fn with_completion(mut self, completion: impl Completion) -> Self {
        self.completion = Some(Box::new(completion));
        self
    }
}

/// Appends every header of `from` to `to`, keeping what `to` holds.
pub fn append_headers(from: HeaderMap, to: &mut HeaderMap) {
    let mut last: Option<HeaderName> = None;
    for (name, value) in from {
        if let Some(name) = name {
            last = Some(name);
        }
        if let Some(name) = &last {
            to.append(name.clone(), value);
        }
    }
}

/// Appends every header of `from` to `to`, leaving `from` as it is (for
/// header sets made once and shared).
pub fn append_headers_from(from: &HeaderMap, to: &mut HeaderMap) {
    for (name, value) in from {
        to.append(name.clone(), value.clone());
    }
}

/// Sets each header of `from` whose name `to` does not hold, leaving `from`
/// as it is (for header sets made once and shared).
pub fn fill_missing_from(from: &HeaderMap, to: &mut HeaderMap) {
    // The values of one name come in a row; `filling` is the name whose
    // first value went in, so that its other values follow it.
    let mut filling: Option<&HeaderName> = None;
    for (name, value) in from {
        if filling == Some(name) {
            to.append(name.clone(), value.clone());
            continue;
        }
        // One lookup per name: the entry tells whether the response has it.
        filling = match to.entry(name.clone()) {
            http::header::Entry::Vacant(vacant) => {
                vacant.insert(value.clone());
                Some(name)
            }
            http::header::Entry::Occupied(_) => None,
        };
    }
}

/// Runs a guard to its decision: extract, then decide when needed.
///
/// Adapters that can hold the request across an await use this; the others
/// call [`Guard::extract`] and [`Guard::decide`] separately.
pub async fn run_guard<G: Guard, R: RequestView + ?Sized>(guard: &G, request: &R) -> Decision {
    match guard.extract(request) {
        Step::Decide(input) => guard.decide(input).await,
        Step::Done(decision) => decision,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shieldwall_errors::ErrorCode;

    struct HeaderGuard;

    impl Guard for HeaderGuard {
        type Input = Vec<u8>;

        fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<Vec<u8>> {
            match request.single_header("x-token") {
                Ok(Some(v)) => Step::Decide(v.to_vec()),
                Ok(None) => Step::Done(Decision::reject(ErrorCode::ApiKeyRequired)),
                Err(_) => Step::Done(Decision::reject(ErrorCode::MalformedRequest)),
            }
        }

        async fn decide(&self, token: Vec<u8>) -> Decision {
            if token == b"good" {
                Decision::allow(
                    Grant::new()
                        .with_principal(Principal::user("u1"))
                        .with_header(
                            HeaderName::from_static("x-seen"),
                            HeaderValue::from_static("1"),
                        ),
                )
            } else {
                Decision::reject(ErrorCode::InvalidApiKey)
            }
        }
    }

    fn run(headers: &[(&str, &str)]) -> Decision {
        let mut builder = http::Request::builder().uri("/");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let req = builder.body(()).unwrap();
        futures_util::FutureExt::now_or_never(run_guard(&HeaderGuard, &req)).unwrap()
    }

    fn code(decision: &Decision) -> Option<ErrorCode> {
        match decision {
            Decision::Reject(e) => Some(e.code()),
            _ => None,
        }
    }

    #[test]
    fn extract_answers_at_once_and_decide_decides() {
        assert_eq!(code(&run(&[])), Some(ErrorCode::ApiKeyRequired));
        assert_eq!(
            code(&run(&[("x-token", "a"), ("x-token", "b")])),
            Some(ErrorCode::MalformedRequest)
        );
        assert_eq!(
            code(&run(&[("x-token", "bad")])),
            Some(ErrorCode::InvalidApiKey)
        );
        match run(&[("x-token", "good")]) {
            Decision::Continue(grant) => {
                assert_eq!(grant.principal.unwrap().id(), "u1");
                assert_eq!(grant.headers["x-seen"], "1");
            }
            other => panic!("expected Continue, got {other:?}"),
        }
    }

    #[test]
    fn grant_headers_are_appended_never_replaced() {
        let mut response = HeaderMap::new();
        response.insert("ratelimit", HeaderValue::from_static("\"public\";r=9"));
        let mut grant = HeaderMap::new();
        grant.append("ratelimit", HeaderValue::from_static("\"user\";r=59"));
        grant.append("ratelimit", HeaderValue::from_static("\"burst\";r=1"));
        grant.append("x-other", HeaderValue::from_static("1"));
        append_headers(grant, &mut response);
        let values: Vec<_> = response.get_all("ratelimit").iter().collect();
        assert_eq!(values, ["\"public\";r=9", "\"user\";r=59", "\"burst\";r=1"]);
        assert_eq!(response["x-other"], "1");
    }

    #[test]
    fn defaults_fill_only_missing_names() {
        let mut response = HeaderMap::new();
        response.insert("cache-control", HeaderValue::from_static("max-age=60"));
        let mut defaults = HeaderMap::new();
        defaults.insert("cache-control", HeaderValue::from_static("no-store"));
        defaults.insert(
            "x-content-type-options",
            HeaderValue::from_static("nosniff"),
        );
        defaults.append("x-two", HeaderValue::from_static("a"));
        defaults.append("x-two", HeaderValue::from_static("b"));
        let mut shared = HeaderMap::new();
        fill_missing_from(&defaults, &mut response);
        assert_eq!(response["cache-control"], "max-age=60");
        assert_eq!(response["x-content-type-options"], "nosniff");
        assert_eq!(response.get_all("x-two").iter().count(), 2);
        append_headers_from(&response, &mut shared);
        assert_eq!(shared.len(), response.len());
        // A name the response holds takes none of the default's values.
        let mut own = HeaderMap::new();
        own.insert("x-two", HeaderValue::from_static("mine"));
        fill_missing_from(&defaults, &mut own);
        assert_eq!(own.get_all("x-two").iter().collect::<Vec<_>>(), ["mine"]);
    }

    #[test]
    fn guard_futures_are_send() {
        fn assert_send<T: Send>(_: &T) {}
        let fut = HeaderGuard.decide(b"good".to_vec());
        assert_send(&fut);
    }
}
