//! `BodyGuardLayer`: runs a [`BodyGuard`] (one that reads the body, such as
//! a request signature over `Content-Digest`) in front of a tower service.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};
use http::Request;
use shieldwall_core::telemetry::GuardSpan;
use shieldwall_core::{BodyGuard, Step};
use tower_layer::Layer;
use tower_service::Service;

use crate::extract::read_limited;
use crate::guard::proceed;

/// Runs `guard` before the inner service: the head is checked first, then
/// the body is read (at most the guard's limit, 413 beyond), checked, and
/// handed on to the inner service unchanged.
pub struct BodyGuardLayer<G> {
    guard: Arc<G>,
}

impl<G> BodyGuardLayer<G> {
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

impl<G> Clone for BodyGuardLayer<G> {
    fn clone(&self) -> Self {
        Self {
            guard: Arc::clone(&self.guard),
        }
    }
}

impl<G> std::fmt::Debug for BodyGuardLayer<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyGuardLayer").finish_non_exhaustive()
    }
}

impl<S, G> Layer<S> for BodyGuardLayer<G> {
    type Service = BodyGuardService<S, G>;

    fn layer(&self, inner: S) -> Self::Service {
        BodyGuardService {
            inner,
            guard: Arc::clone(&self.guard),
        }
    }
}

/// The service of [`BodyGuardLayer`].
pub struct BodyGuardService<S, G> {
    inner: S,
    guard: Arc<G>,
}

impl<S: Clone, G> Clone for BodyGuardService<S, G> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            guard: Arc::clone(&self.guard),
        }
    }
}

impl<S, G> std::fmt::Debug for BodyGuardService<S, G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyGuardService").finish_non_exhaustive()
    }
}

impl<S, G> Service<Request<Body>> for BodyGuardService<S, G>
where
    S: Service<Request<Body>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    G: BodyGuard,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let guard = Arc::clone(&self.guard);
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let span = GuardSpan::of_body(&*guard);
            if let Some(decision) = span.in_scope(|| guard.precheck(&request)) {
                span.decided(&decision);
                return Ok(proceed(decision, request, inner).await);
            }
            let (parts, body) = request.into_parts();
            let bytes = match read_limited(body, guard.body_limit().get()).await {
                Ok(bytes) => bytes,
                Err(error) => return Ok(error.into_response()),
            };
            let decision = match span.in_scope(|| guard.extract(&parts, &bytes)) {
                Step::Decide(input) => span.decided_by(guard.decide(input)).await,
                Step::Done(decision) => {
                    span.decided(&decision);
                    decision
                }
            };
            let request = Request::from_parts(parts, Body::from(bytes));
            Ok(proceed(decision, request, inner).await)
        })
    }
}
