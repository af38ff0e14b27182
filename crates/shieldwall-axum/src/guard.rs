//! `GuardLayer`: runs any [`Guard`] in front of a tower service.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum_core::response::{IntoResponse, Response};
use http::Request;
use shieldwall_core::{
    Decision, Guard, Step, append_headers, append_headers_from, fill_missing_from,
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
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let step = self.guard.extract(&request);
        let guard = Arc::clone(&self.guard);
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let decision = match step {
                Step::Decide(input) => guard.decide(input).await,
                Step::Done(decision) => decision,
            };
            let response = match decision {
                Decision::Continue(grant) => {
                    if let Some(principal) = grant.principal {
                        request.extensions_mut().insert(principal);
                    }
                    let extensions = request.extensions_mut();
                    if let Some(fresh) = grant.attachments.merge_into(extensions.get_mut()) {
                        extensions.insert(fresh);
                    }
                    let mut response = inner.call(request).await?;
                    append_headers(grant.headers, response.headers_mut());
                    if let Some(shared) = &grant.shared_headers {
                        append_headers_from(shared, response.headers_mut());
                    }
                    fill_missing_from(&grant.defaults, response.headers_mut());
                    if let Some(completion) = grant.completion {
                        completion.complete(response.status().as_u16()).await;
                    }
                    response
                }
                Decision::Reject(error) => error.into_response(),
                Decision::Respond(response) => into_axum(response),
            };
            Ok(response)
        })
    }
}
