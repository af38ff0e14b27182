//! `RouteTemplates`: the matched route on the answer, for the audit log.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::extract::MatchedPath;
use axum_core::response::Response;
use http::Request;
use pin_project_lite::pin_project;
use shieldwall_core::RouteTemplate;
use tower_layer::Layer;
use tower_service::Service;

/// Puts the route template axum matched (`/api/v1/users/{id}`) on the
/// answer, where [`ShieldwallLayer`](crate::ShieldwallLayer) reads it for
/// the perimeter's observer (audit events name the route, never the path
/// with its values).
///
/// The router knows the template only inside itself, so this layer goes on
/// the router (`Router::layer`, which wraps every route), not around it:
///
/// ```
/// use axum::{Router, routing::get};
/// use shieldwall_axum::RouteTemplates;
///
/// let app: Router = Router::new()
///     .route("/users/{id}", get(|| async { "a user" }))
///     .layer(RouteTemplates);
/// ```
#[allow(
    clippy::exhaustive_structs,
    reason = "a layer with nothing to configure, named as a value"
)]
#[derive(Clone, Copy, Debug, Default)]
pub struct RouteTemplates;

impl<S> Layer<S> for RouteTemplates {
    type Service = RouteTemplateService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RouteTemplateService { inner }
    }
}

/// The service of [`RouteTemplates`].
#[derive(Clone, Debug)]
pub struct RouteTemplateService<S> {
    inner: S,
}

impl<S, B> Service<Request<B>> for RouteTemplateService<S>
where
    S: Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = RouteTemplateFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let template = request
            .extensions()
            .get::<MatchedPath>()
            .map(|matched| RouteTemplate::new(matched.as_str()));
        RouteTemplateFuture {
            inner: self.inner.call(request),
            template,
        }
    }
}

pin_project! {
    /// The future of [`RouteTemplateService`].
    pub struct RouteTemplateFuture<F> {
        #[pin]
        inner: F,
        template: Option<RouteTemplate>,
    }
}

impl<F> std::fmt::Debug for RouteTemplateFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteTemplateFuture")
            .finish_non_exhaustive()
    }
}

impl<F, E> Future for RouteTemplateFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        if let Some(template) = this.template.take() {
            response.extensions_mut().insert(template);
        }
        Poll::Ready(Ok(response))
    }
}
