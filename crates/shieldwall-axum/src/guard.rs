//! `GuardLayer`: runs any [`Guard`] in front of a tower service.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum_core::response::{IntoResponse, Response};
use http::Request;
use pin_project_lite::pin_project;
use shieldwall_core::telemetry::GuardSpan;
use shieldwall_core::{
    Decision, Grant, Guard, Principal, Step, append_headers, append_headers_from, fill_missing_from,
};
use tower_layer::Layer;
use tower_service::Service;

use crate::layer::into_axum;

/// Runs `guard` before the inner service.
///
/// ```
/// # use shieldwall_core::{Decision, Guard, RequestView, Step};
/// # struct MyGuard;
/// # impl Guard for MyGuard {
/// #     type Input = ();
/// #     fn extract<R: RequestView + ?Sized>(&self, _: &R) -> Step<()> { Step::Done(Decision::pass()) }
/// #     async fn decide(&self, _: ()) -> Decision { Decision::pass() }
/// # }
/// use axum::{Router, routing::get};
/// use shieldwall_axum::{GuardLayer, ShieldwallLayer};
///
/// let app: Router = Router::new()
///     .route("/", get(|| async { "hi" }))
///     .layer(GuardLayer::new(MyGuard))
///     .layer(ShieldwallLayer::new());
/// ```
pub struct GuardLayer<G> {
    guard: Arc<G>,
}

impl<G> GuardLayer<G> {
    /// A layer running `guard`.
    #[must_use]
    pub fn new(guard: G) -> Self {
        Self {
            guard: Arc::new(guard),
        }
    }

    /// A layer sharing an existing guard.
    #[must_use]
    pub fn from_arc(guard: Arc<G>) -> Self {
        Self { guard }
    }
}

impl<G> Clone for GuardLayer<G> {
    fn clone(&self) -> Self {
        Self {
            guard: Arc::clone(&self.guard),
        }
    }
}

impl<G> std::fmt::Debug for GuardLayer<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardLayer").finish_non_exhaustive()
    }
}

impl<S, G> Layer<S> for GuardLayer<G> {
    type Service = GuardService<S, G>;

    fn layer(&self, inner: S) -> Self::Service {
        GuardService {
            inner,
            guard: Arc::clone(&self.guard),
        }
    }
}

/// The service of [`GuardLayer`].
pub struct GuardService<S, G> {
    inner: S,
    guard: Arc<G>,
}

impl<S: Clone, G> Clone for GuardService<S, G> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            guard: Arc::clone(&self.guard),
        }
    }
}

impl<S, G> std::fmt::Debug for GuardService<S, G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardService").finish_non_exhaustive()
    }
}

impl<S, G, B> Service<Request<B>> for GuardService<S, G>
where
    S: Service<Request<B>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    G: Guard,
    B: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = GuardFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let span = GuardSpan::of(&*self.guard);
        let state = match span.extract(&*self.guard, &request) {
            // Decided from the request alone, nothing to wait for once the
            // answer is there (CORS, most refusals): no allocation, no clone
            // of the inner service.
            Step::Done(Decision::Continue(grant)) if grant.completion.is_none() => {
                let grant = admit(&mut request, grant);
                State::Passed {
                    inner: self.inner.call(request),
                    grant: Some(grant),
                }
            }
            Step::Done(Decision::Reject(error)) => State::Answered {
                response: Some(error.into_response()),
            },
            Step::Done(Decision::Respond(response)) => State::Answered {
                response: Some(into_axum(response)),
            },
            step => {
                let guard = Arc::clone(&self.guard);
                let clone = self.inner.clone();
                let inner = std::mem::replace(&mut self.inner, clone);
                State::Deciding {
                    future: Box::pin(async move {
                        let decision = match step {
                            Step::Decide(input) => span.decide(&*guard, input).await,
                            Step::Done(decision) => decision,
                        };
                        Ok(proceed(decision, request, inner).await)
                    }),
                }
            }
        };
        GuardFuture { state }
    }
}

/// Carries out a decision: the inner service's answer with the grant's
/// headers, or the guard's own answer.
pub(crate) async fn proceed<S, B>(
    decision: Decision,
    mut request: Request<B>,
    mut inner: S,
) -> Response
where
    S: Service<Request<B>, Response = Response, Error = Infallible>,
{
    match decision {
        Decision::Continue(grant) => {
            let mut grant = admit(&mut request, grant);
            let Ok(mut response) = inner.call(request).await;
            add_grant_headers(&mut grant, &mut response);
            if let Some(completion) = grant.completion.take() {
                completion.complete(response.status().as_u16()).await;
            }
            response
        }
        Decision::Reject(error) => error.into_response(),
        Decision::Respond(response) => into_axum(response),
    }
}

/// Attaches the grant's principal and values to the request; returns what
/// is left for the answer (headers, completion).
fn admit<B>(request: &mut Request<B>, mut grant: Grant) -> Grant {
    // The grant keeps a handle for the answer, where the outermost layer
    // reads who was served (audit).
    if let Some(principal) = &grant.principal {
        request.extensions_mut().insert(principal.clone());
    }
    let extensions = request.extensions_mut();
    if let Some(fresh) = std::mem::take(&mut grant.attachments).merge_into(extensions.get_mut()) {
        extensions.insert(fresh);
    }
    grant
}

/// The grant's headers on the answer: appended, the shared set appended,
/// the defaults set where absent.
fn add_grant_headers(grant: &mut Grant, response: &mut Response) {
    if let Some(principal) = grant.principal.take() {
        let extensions = response.extensions_mut();
        if extensions.get::<Principal>().is_none() {
            extensions.insert(principal);
        }
    }
    let to = response.headers_mut();
    if !grant.headers.is_empty() {
        append_headers(std::mem::take(&mut grant.headers), to);
    }
    if let Some(shared) = &grant.shared_headers {
        append_headers_from(shared, to);
    }
    if !grant.defaults.is_empty() {
        fill_missing_from(&grant.defaults, to);
    }
}

pin_project! {
    /// The future of [`GuardService`].
    pub struct GuardFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        /// The guard let the request through without waiting: the inner
        /// service answers, the grant's headers go on the answer.
        Passed {
            #[pin]
            inner: F,
            grant: Option<Grant>,
        },
        /// The guard answered (a refusal, a preflight).
        Answered { response: Option<Response> },
        /// The guard consults its stores first.
        Deciding {
            future: Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>,
        },
    }
}

impl<F> std::fmt::Debug for GuardFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardFuture").finish_non_exhaustive()
    }
}

impl<F> Future for GuardFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Passed { inner, grant } => {
                let Ok(mut response) = ready!(inner.poll(cx));
                if let Some(mut grant) = grant.take() {
                    add_grant_headers(&mut grant, &mut response);
                }
                Poll::Ready(Ok(response))
            }
            StateProj::Answered { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                // Polled again after it finished: a caller's bug; stay pending
                // rather than panic on network input's path.
                None => Poll::Pending,
            },
            StateProj::Deciding { future } => future.as_mut().poll(cx),
        }
    }
}
