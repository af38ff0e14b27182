//! `BodyGuardMiddleware`: runs a [`BodyGuard`] (one that reads the body,
//! such as a request signature over `Content-Digest`) in front of an
//! actix-web service.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{Error, HttpMessage};
use shieldwall_core::telemetry::GuardSpan;
use shieldwall_core::{BodyGuard, Step};

use crate::ActixView;
use crate::extract::read_limited;
use crate::guard::{proceed, refusal};
use crate::headers::ConvertedHeaders;

/// Runs `guard` before the wrapped service: the head is checked first, then
/// the body is read (at most the guard's limit, 413 beyond), checked, and
/// handed on to the service unchanged.
pub struct BodyGuardMiddleware<G> {
    guard: Arc<G>,
}

impl<G> BodyGuardMiddleware<G> {
    /// A middleware running `guard`.
    #[must_use]
    pub fn new(guard: G) -> Self {
        Self {
            guard: Arc::new(guard),
        }
    }

    /// A middleware sharing an existing guard.
    #[must_use]
    pub fn from_arc(guard: Arc<G>) -> Self {
        Self { guard }
    }
}

impl<G> Clone for BodyGuardMiddleware<G> {
    fn clone(&self) -> Self {
        Self {
            guard: Arc::clone(&self.guard),
        }
    }
}

impl<G> std::fmt::Debug for BodyGuardMiddleware<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyGuardMiddleware")
            .finish_non_exhaustive()
    }
}

impl<S, B, G> Transform<S, ServiceRequest> for BodyGuardMiddleware<G>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
    G: BodyGuard,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = BodyGuardService<S, G>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(BodyGuardService::new(service, Arc::clone(&self.guard))))
    }
}

/// The service of [`BodyGuardMiddleware`].
pub struct BodyGuardService<S, G> {
    service: Rc<S>,
    guard: Arc<G>,
    converted: Rc<ConvertedHeaders>,
}

impl<S, G> BodyGuardService<S, G> {
    /// `service` behind `guard` (what the middleware makes, and a stack).
    pub(crate) fn new(service: S, guard: Arc<G>) -> Self {
        Self {
            service: Rc::new(service),
            guard,
            converted: Rc::default(),
        }
    }
}

impl<S, G> std::fmt::Debug for BodyGuardService<S, G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyGuardService").finish_non_exhaustive()
    }
}

impl<S, B, G> Service<ServiceRequest> for BodyGuardService<S, G>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
    G: BodyGuard,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, mut request: ServiceRequest) -> Self::Future {
        let guard = Arc::clone(&self.guard);
        let service = Rc::clone(&self.service);
        let converted = Rc::clone(&self.converted);
        Box::pin(async move {
            let span = GuardSpan::of_body(&*guard);
            if let Some(decision) = span.in_scope(|| guard.precheck(&ActixView(request.request())))
            {
                span.decided(&decision);
                return proceed(decision, request, &*service, &converted).await;
            }
            let body = match read_limited(request.take_payload(), guard.body_limit().get()).await {
                Ok(body) => body.freeze(),
                Err(error) => {
                    return Ok(request.into_response(refusal(&error)));
                }
            };
            let decision =
                match span.in_scope(|| guard.extract(&ActixView(request.request()), &body)) {
                    Step::Decide(input) => span.decided_by(guard.decide(input)).await,
                    Step::Done(decision) => {
                        span.decided(&decision);
                        decision
                    }
                };
            request.set_payload(actix_web::dev::Payload::from(body));
            proceed(decision, request, &*service, &converted).await
        })
    }
}
