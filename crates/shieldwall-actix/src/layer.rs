//! `Shieldwall`: the outermost middleware. Request id, client address, panic
//! catching, and problem+json for every error response.

use std::future::{Future, Ready, ready};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::error::InternalError;
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::{Error, HttpMessage, HttpResponse};
use futures_util::FutureExt;
use shieldwall_core::telemetry;
use shieldwall_core::{
    Answered, Observation, Perimeter, Principal, RequestContext, ResponsePlan, RouteTemplate,
    is_body_header, panic_error,
};
use shieldwall_errors::actix::{response_to_actix, status_to_actix};
use shieldwall_errors::{PROBLEM_JSON, Problem};
use tracing::Instrument;

use crate::ActixView;
use crate::headers::{self, ConvertedHeaders};

/// The outermost shieldwall middleware for actix-web. Register it last
/// (`App::wrap` runs the last-registered middleware first).
///
/// - keeps a valid incoming `X-Request-Id` (1 to 128 of `A-Z a-z 0-9 - _ . :`)
///   or makes one, and sends it back on every response;
/// - resolves the client address (trusted proxies) from the peer address;
/// - turns a panic anywhere inside into 500 `INTERNAL_ERROR` and keeps serving;
/// - renders every shieldwall error with the request id, and replaces the
///   framework's bare error bodies (404, 405, 413, 415, 400, 422, 5xx) with
///   problem+json.
#[derive(Clone, Debug, Default)]
pub struct Shieldwall {
    perimeter: Arc<Perimeter>,
}

impl Shieldwall {
    /// The middleware with the default [`Perimeter`] (no trusted proxies).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The middleware with this perimeter policy.
    #[must_use]
    pub fn with_perimeter(perimeter: Perimeter) -> Self {
        Self {
            perimeter: Arc::new(perimeter),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for Shieldwall
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = ShieldwallService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ShieldwallService {
            service: Rc::new(service),
            perimeter: Arc::clone(&self.perimeter),
            converted: Rc::default(),
        }))
    }
}

/// The service of [`Shieldwall`].
#[derive(Debug)]
pub struct ShieldwallService<S> {
    service: Rc<S>,
    perimeter: Arc<Perimeter>,
    converted: Rc<ConvertedHeaders>,
}

type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

impl<S, B> Service<ServiceRequest> for ShieldwallService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Future = LocalFuture<Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let context = self
            .perimeter
            .begin(&ActixView(request.request()), request.peer_addr());
        let observation = self.perimeter.observe_start(&ActixView(request.request()));
        // Every log line inside carries the request id.
        let span = telemetry::request_span(&context, request.method().as_str());
        if let Err(error) = self
            .perimeter
            .screen(&ActixView(request.request()), &context)
        {
            let rendered = response_to_actix(error.to_response(Some(context.request_id.as_str())));
            let response = finish(&self.perimeter, &self.converted, &context, rendered);
            report(&self.perimeter, observation, &context, &response, &span);
            return Box::pin(ready(Ok(request.into_response(response))));
        }

        request.extensions_mut().insert(context.clone());
        let service = Rc::clone(&self.service);
        let perimeter = Arc::clone(&self.perimeter);
        let converted = Rc::clone(&self.converted);
        let entered = span.clone();
        // A panic may come from `call` itself or from polling its future.
        let future = span
            .in_scope(|| std::panic::catch_unwind(AssertUnwindSafe(move || service.call(request))));
        Box::pin(
            async move {
                let outcome = match future {
                    Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
                    Err(payload) => Err(payload),
                };
                match outcome {
                    Ok(Ok(response)) => {
                        let (request, response) = response.map_into_boxed_body().into_parts();
                        let response = finish(&perimeter, &converted, &context, response);
                        report(&perimeter, observation, &context, &response, &span);
                        Ok(ServiceResponse::new(request, response))
                    }
                    // The request went inside and is gone, so the answer travels as
                    // an error that carries its finished response.
                    Ok(Err(error)) => {
                        let response =
                            finish(&perimeter, &converted, &context, error.error_response());
                        report(&perimeter, observation, &context, &response, &span);
                        Err(InternalError::from_response(error, response).into())
                    }
                    Err(payload) => {
                        let error = panic_error(payload.as_ref());
                        let rendered = error.to_response(Some(context.request_id.as_str()));
                        let response = finish(
                            &perimeter,
                            &converted,
                            &context,
                            response_to_actix(rendered),
                        );
                        report(&perimeter, observation, &context, &response, &span);
                        Err(InternalError::from_response(error, response).into())
                    }
                }
            }
            .instrument(entered),
        )
    }
}

/// Tells the perimeter's observer (if any) how the request ended, from what
/// the answer carries (the route template [`resource`](crate::resource)
/// noted, the principal a guard identified, the problem rendered).
fn report(
    perimeter: &Perimeter,
    observation: Option<Observation>,
    context: &RequestContext,
    response: &HttpResponse<BoxBody>,
    span: &tracing::Span,
) {
    let extensions = response.extensions();
    let route = extensions.get::<RouteTemplate>().map(RouteTemplate::as_str);
    telemetry::record_answer(span, response.status().as_u16(), route);
    if observation.is_none() {
        return;
    }
    perimeter.observe_end(
        observation,
        context,
        Answered::new(response.status().as_u16()).with(
            route,
            extensions.get::<Principal>(),
            extensions.get::<Problem>(),
        ),
    );
}

fn finish(
    perimeter: &Perimeter,
    converted: &ConvertedHeaders,
    context: &RequestContext,
    response: HttpResponse<BoxBody>,
) -> HttpResponse<BoxBody> {
    let plan = perimeter.plan_response(
        response.status().as_u16(),
        response
            .headers()
            .get(CONTENT_TYPE)
            .map(HeaderValue::as_bytes),
        response.extensions().get::<Problem>(),
    );
    let mut response = match plan {
        ResponsePlan::Keep => response,
        ResponsePlan::Render(problem) => {
            let body = perimeter.render_problem(&problem, context.request_id.as_str());
            let mut fresh = HttpResponse::with_body(status_to_actix(problem.code.status()), body)
                .map_into_boxed_body();
            for (name, value) in response.headers() {
                if !is_body_header(name.as_str()) {
                    fresh.headers_mut().append(name.clone(), value.clone());
                }
            }
            fresh
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
            // What the answer stands for travels on (the observer reads it),
            // with who was served.
            if let Some(principal) = response.extensions().get::<Principal>() {
                fresh.extensions_mut().insert(principal.clone());
            }
            if let Some(route) = response.extensions().get::<RouteTemplate>() {
                fresh.extensions_mut().insert(route.clone());
            }
            fresh.extensions_mut().insert(problem);
            fresh
        }
    };
    if let Ok(value) = HeaderValue::from_str(context.request_id.as_str()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    if let Some(set) = &context.response_headers {
        let set = converted.of(set);
        response.headers_mut().reserve(set.len());
        headers::fill_missing(&set, response.headers_mut());
    }
    response
}
