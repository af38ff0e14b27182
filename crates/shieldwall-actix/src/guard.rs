//! `GuardMiddleware`: runs any [`Guard`] in front of an actix-web service.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::error::InternalError;
use actix_web::{Error, HttpMessage};
use pin_project_lite::pin_project;
use shieldwall_core::telemetry::GuardSpan;
use shieldwall_core::{Decision, Grant, Guard, Principal, Step};
use shieldwall_errors::ApiError;
use shieldwall_errors::actix::{append_headers, response_to_actix};

use crate::ActixView;
use crate::headers::{self, ConvertedHeaders};

/// The grant's headers on an answer, as the `http` 1 adapters add them:
/// appended, the shared set appended, the defaults set where absent.
fn add_grant_headers(
    grant: &mut Grant,
    converted: &ConvertedHeaders,
    response: &mut actix_web::HttpResponse<impl MessageBody>,
) {
    if let Some(principal) = grant.principal.take() {
        let mut extensions = response.extensions_mut();
        if extensions.get::<Principal>().is_none() {
            extensions.insert(principal);
        }
    }
    let to = response.headers_mut();
    if !grant.headers.is_empty() {
        append_headers(&std::mem::take(&mut grant.headers), to);
    }
    if let Some(shared) = &grant.shared_headers {
        headers::append(&converted.of(shared), to);
    }
    if !grant.defaults.is_empty() {
        headers::fill_missing(&headers::convert(&grant.defaults), to);
    }
}

/// Runs `guard` before the wrapped service: `App::new().wrap(GuardMiddleware::new(guard))`.
pub struct GuardMiddleware<G> {
    guard: Arc<G>,
}

impl<G> GuardMiddleware<G> {
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

impl<G> Clone for GuardMiddleware<G> {
    fn clone(&self) -> Self {
        Self {
            guard: Arc::clone(&self.guard),
        }
    }
}

impl<G> std::fmt::Debug for GuardMiddleware<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardMiddleware").finish_non_exhaustive()
    }
}

impl<S, B, G> Transform<S, ServiceRequest> for GuardMiddleware<G>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
    G: Guard,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = GuardService<S, G>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(GuardService::new(service, Arc::clone(&self.guard))))
    }
}

/// The service of [`GuardMiddleware`].
pub struct GuardService<S, G> {
    service: Rc<S>,
    guard: Arc<G>,
    converted: Rc<ConvertedHeaders>,
}

impl<S, G> GuardService<S, G> {
    /// `service` behind `guard` (what the middleware makes, and a stack).
    pub(crate) fn new(service: S, guard: Arc<G>) -> Self {
        Self {
            service: Rc::new(service),
            guard,
            converted: Rc::default(),
        }
    }
}

impl<S, G> std::fmt::Debug for GuardService<S, G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardService").finish_non_exhaustive()
    }
}

impl<S, B, G> Service<ServiceRequest> for GuardService<S, G>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
    G: Guard,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Future = GuardFuture<S::Future>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let span = GuardSpan::of(&*self.guard);
        let state = match span.extract(&*self.guard, &ActixView(request.request())) {
            // Decided from the request alone, nothing to wait for once the
            // answer is there (CORS, most refusals): no allocation.
            Step::Done(Decision::Continue(grant)) if grant.completion.is_none() => {
                let grant = admit(&request, grant);
                State::Passed {
                    inner: self.service.call(request),
                    grant: Some(grant),
                    converted: Rc::clone(&self.converted),
                }
            }
            Step::Done(Decision::Reject(error)) => State::Answered {
                response: Some(request.into_response(refusal(&error))),
            },
            Step::Done(Decision::Respond(response)) => State::Answered {
                response: Some(request.into_response(response_to_actix(response))),
            },
            step => {
                let guard = Arc::clone(&self.guard);
                let service = Rc::clone(&self.service);
                let converted = Rc::clone(&self.converted);
                State::Deciding {
                    future: Box::pin(async move {
                        let decision = match step {
                            Step::Decide(input) => span.decide(&*guard, input).await,
                            Step::Done(decision) => decision,
                        };
                        proceed(decision, request, &*service, &converted).await
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
    request: ServiceRequest,
    service: &S,
    converted: &ConvertedHeaders,
) -> Result<ServiceResponse<BoxBody>, Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody + 'static,
{
    match decision {
        Decision::Continue(grant) => {
            let mut grant = admit(&request, grant);
            let answer = service.call(request).await;
            let completion = grant.completion.take();
            let (answer, status) = finish(answer, &mut grant, converted);
            if let Some(completion) = completion {
                completion.complete(status).await;
            }
            answer
        }
        Decision::Reject(error) => Ok(request.into_response(refusal(&error))),
        Decision::Respond(response) => Ok(request.into_response(response_to_actix(response))),
    }
}

/// A guard's refusal as actix-web's answer, with the principal the guard
/// identified before it refused (for the perimeter's observer).
pub(crate) fn refusal(error: &ApiError) -> actix_web::HttpResponse {
    let mut response = response_to_actix(error.to_response(None));
    if let Some(principal) = error.extensions().get::<Principal>() {
        response.extensions_mut().insert(principal.clone());
    }
    response
}

/// Attaches the grant's principal and values to the request; returns what
/// is left for the answer (headers, completion).
fn admit(request: &ServiceRequest, mut grant: Grant) -> Grant {
    let mut extensions = request.extensions_mut();
    // The grant keeps a handle for the answer, where the outermost layer
    // reads who was served (audit).
    if let Some(principal) = &grant.principal {
        extensions.insert(principal.clone());
    }
    if let Some(fresh) = std::mem::take(&mut grant.attachments).merge_into(extensions.get_mut()) {
        extensions.insert(fresh);
    }
    grant
}

/// The inner answer with the grant's headers, and its status. The grant's
/// headers go on error answers too, as on axum.
fn finish<B: MessageBody + 'static>(
    answer: Result<ServiceResponse<B>, Error>,
    grant: &mut Grant,
    converted: &ConvertedHeaders,
) -> (Result<ServiceResponse<BoxBody>, Error>, u16) {
    match answer {
        Ok(mut response) => {
            add_grant_headers(grant, converted, response.response_mut());
            let status = response.status().as_u16();
            (Ok(response.map_into_boxed_body()), status)
        }
        Err(error) => {
            let mut response = error.error_response();
            add_grant_headers(grant, converted, &mut response);
            let status = response.status().as_u16();
            (
                Err(InternalError::from_response(error, response).into()),
                status,
            )
        }
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
            converted: Rc<ConvertedHeaders>,
        },
        /// The guard answered (a refusal, a preflight).
        Answered { response: Option<ServiceResponse<BoxBody>> },
        /// The guard consults its stores first.
        Deciding {
            future: Pin<Box<dyn Future<Output = Result<ServiceResponse<BoxBody>, Error>>>>,
        },
    }
}

impl<F> std::fmt::Debug for GuardFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardFuture").finish_non_exhaustive()
    }
}

impl<F, B> Future for GuardFuture<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
    B: MessageBody + 'static,
{
    type Output = Result<ServiceResponse<BoxBody>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Passed {
                inner,
                grant,
                converted,
            } => {
                let answer = ready!(inner.poll(cx));
                let Some(mut grant) = grant.take() else {
                    // Polled again after it finished: a caller's bug.
                    return Poll::Pending;
                };
                Poll::Ready(finish(answer, &mut grant, converted).0)
            }
            StateProj::Answered { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                None => Poll::Pending,
            },
            StateProj::Deciding { future } => future.as_mut().poll(cx),
        }
    }
}
