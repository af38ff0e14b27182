//! `GuardMiddleware`: runs any [`Guard`] in front of an actix-web service.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::error::InternalError;
use actix_web::{Error, HttpMessage};
use shieldwall_core::{Decision, Grant, Guard, Step};
use shieldwall_errors::actix::{append_headers, response_to_actix};

use crate::ActixView;
use crate::headers::{self, ConvertedHeaders};

/// The grant's headers on an answer, as the `http` 1 adapters add them:
/// appended, the shared set appended, the defaults set where absent.
fn add_grant_headers(
    grant: &Grant,
    converted: &ConvertedHeaders,
    to: &mut actix_web::http::header::HeaderMap,
) {
    append_headers(&grant.headers, to);
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
        ready(Ok(GuardService {
            service: Rc::new(service),
            guard: Arc::clone(&self.guard),
            converted: Rc::default(),
        }))
    }
}

/// The service of [`GuardMiddleware`].
pub struct GuardService<S, G> {
    service: Rc<S>,
    guard: Arc<G>,
    converted: Rc<ConvertedHeaders>,
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
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let step = self.guard.extract(&ActixView(request.request()));
        let guard = Arc::clone(&self.guard);
        let service = Rc::clone(&self.service);
        let converted = Rc::clone(&self.converted);
        Box::pin(async move {
            let decision = match step {
                Step::Decide(input) => guard.decide(input).await,
                Step::Done(decision) => decision,
            };
            match decision {
                Decision::Continue(mut grant) => {
                    if let Some(principal) = grant.principal.take() {
                        request.extensions_mut().insert(principal);
                    }
                    let attachments = std::mem::take(&mut grant.attachments);
                    {
                        let mut extensions = request.extensions_mut();
                        if let Some(fresh) = attachments.merge_into(extensions.get_mut()) {
                            extensions.insert(fresh);
                        }
                    }
                    match service.call(request).await {
                        Ok(mut response) => {
                            add_grant_headers(&grant, &converted, response.headers_mut());
                            if let Some(completion) = grant.completion.take() {
                                completion.complete(response.status().as_u16()).await;
                            }
                            Ok(response.map_into_boxed_body())
                        }
                        // The grant's headers go on error answers too, as on axum.
                        Err(error) => {
                            let mut response = error.error_response();
                            add_grant_headers(&grant, &converted, response.headers_mut());
                            if let Some(completion) = grant.completion.take() {
                                completion.complete(response.status().as_u16()).await;
                            }
                            Err(InternalError::from_response(error, response).into())
                        }
                    }
                }
                Decision::Reject(error) => {
                    Ok(request.into_response(response_to_actix(error.to_response(None))))
                }
                Decision::Respond(response) => {
                    Ok(request.into_response(response_to_actix(response)))
                }
            }
        })
    }
}
