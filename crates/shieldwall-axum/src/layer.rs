//! `ShieldwallLayer`: the outermost layer. Request id, client address, panic
//! catching, and problem+json for every error response.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::extract::ConnectInfo;
use axum_core::body::Body;
use axum_core::response::Response;
use bytes::Bytes;
use futures_util::FutureExt;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use http::{Method, Request, StatusCode};
use http_body::Body as _;
use shieldwall_core::telemetry;
use shieldwall_core::{
    Answered, Observation, PeerAddr, Perimeter, Principal, REQUEST_ID_HEADER, RequestContext,
    ResponsePlan, RouteTemplate, fill_missing_from, is_body_header, panic_error,
};
use shieldwall_errors::{PROBLEM_JSON, Problem};
use tower_layer::Layer;
use tower_service::Service;
use tracing::Instrument;

/// The outermost shieldwall layer for axum. Put it outside every other layer.
///
/// - keeps a valid incoming `X-Request-Id` (1 to 128 of `A-Z a-z 0-9 - _ . :`)
///   or makes one, and sends it back on every response;
/// - resolves the client address (trusted proxies) from the peer address that
///   axum passes when served with `into_make_service_with_connect_info::<SocketAddr>()`;
/// - turns a panic anywhere inside into 500 `INTERNAL_ERROR` and keeps serving;
/// - renders every shieldwall error with the request id, and replaces the
///   framework's bare error bodies (404, 405 with `Allow` kept, 413, 415,
///   400, 422, 5xx) with problem+json;
/// - answers a `HEAD` request with the headers of its answer and no body,
///   whoever made the answer (a guard's refusal, a rendered error, a panic):
///   HTTP/2 forbids DATA frames after a `HEAD` answer.
#[derive(Clone, Debug, Default)]
pub struct ShieldwallLayer {
    perimeter: Arc<Perimeter>,
}

impl ShieldwallLayer {
    /// The layer with the default [`Perimeter`] (no trusted proxies).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The layer with this perimeter policy.
    #[must_use]
    pub fn with_perimeter(perimeter: Perimeter) -> Self {
        Self {
            perimeter: Arc::new(perimeter),
        }
    }
}

impl<S> Layer<S> for ShieldwallLayer {
    type Service = Shieldwall<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Shieldwall {
            inner,
            perimeter: Arc::clone(&self.perimeter),
        }
    }
}

/// The service of [`ShieldwallLayer`].
#[derive(Clone, Debug)]
pub struct Shieldwall<S> {
    inner: S,
    perimeter: Arc<Perimeter>,
}

impl<S, B> Service<Request<B>> for Shieldwall<S>
where
    S: Service<Request<B>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0)
            .or_else(|| request.extensions().get::<PeerAddr>().map(|p| p.0));
        if peer.is_none() {
            report_unknown_peer();
        }
        let head = request.method() == Method::HEAD;
        let context = self.perimeter.begin(&request, peer);
        let observation = self.perimeter.observe_start(&request);
        // Every log line inside carries the request id.
        let span = telemetry::request_span(&context, request.method().as_str());
        if let Err(error) = self.perimeter.screen(&request, &context) {
            let rendered = error.to_response(Some(context.request_id.as_str()));
            let response = finish(&self.perimeter, &context, rendered.map(Body::from));
            report(&self.perimeter, observation, &context, &response, &span);
            return Box::pin(std::future::ready(Ok(for_method(head, response))));
        }
        request.extensions_mut().insert(context.clone());

        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let perimeter = Arc::clone(&self.perimeter);
        let entered = span.clone();
        // A panic may come from `call` itself or from polling its future.
        let future = span
            .in_scope(|| std::panic::catch_unwind(AssertUnwindSafe(move || inner.call(request))));
        Box::pin(
            async move {
                let outcome = match future {
                    Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
                    Err(payload) => Err(payload),
                };
                let response = match outcome {
                    Ok(Ok(response)) => finish(&perimeter, &context, response),
                    Ok(Err(never)) => match never {},
                    Err(payload) => {
                        let error = panic_error(payload.as_ref());
                        let rendered = error.to_response(Some(context.request_id.as_str()));
                        finish(&perimeter, &context, rendered.map(Body::from))
                    }
                };
                report(&perimeter, observation, &context, &response, &span);
                Ok(for_method(head, response))
            }
            .instrument(entered),
        )
    }
}

/// Tells the perimeter's observer (if any) how the request ended, from what
/// the answer carries.
fn report(
    perimeter: &Perimeter,
    observation: Option<Observation>,
    context: &RequestContext,
    response: &Response,
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

fn finish(perimeter: &Perimeter, context: &RequestContext, response: Response) -> Response {
    let plan = perimeter.plan_response(
        response.status().as_u16(),
        response
            .headers()
            .get(CONTENT_TYPE)
            .map(HeaderValue::as_bytes),
        response.extensions().get::<Problem>(),
    );
    let response = match plan {
        ResponsePlan::Render(problem) => {
            let (mut parts, _body) = response.into_parts();
            remove_body_headers(&mut parts.headers);
            let body = perimeter.render_problem(&problem, context.request_id.as_str());
            parts.status = problem.code.status();
            parts
                .headers
                .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
            // What the answer stands for travels on (the observer reads it).
            parts.extensions.insert(problem);
            Response::from_parts(parts, Body::from(body))
        }
        ResponsePlan::Keep => response,
    };
    stamp(response, context)
}

/// Whether a request without a peer address was reported (once per process).
static UNKNOWN_PEER_REPORTED: AtomicBool = AtomicBool::new(false);

/// Says once, at `error` level, why every guard that needs the client
/// address answers 500, and how to fix it.
fn report_unknown_peer() {
    if !UNKNOWN_PEER_REPORTED.swap(true, Ordering::Relaxed) {
        tracing::error!(
            "shieldwall: requests arrive without their peer address, so every guard that needs the \
             client address (a rate limit by IP, trusted proxies, the audit log) answers 500 \
             INTERNAL_ERROR. Serve the app with \
             `axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())`, \
             or put `shieldwall_core::PeerAddr` in the request extensions"
        );
    }
}

fn stamp(mut response: Response, context: &RequestContext) -> Response {
    response
        .headers_mut()
        .insert(REQUEST_ID_HEADER, context.request_id.to_header_value());
    if let Some(headers) = &context.response_headers {
        response.headers_mut().reserve(headers.len());
        fill_missing_from(headers, response.headers_mut());
    }
    response
}

/// The answer as sent for the request's method: for `HEAD`, the same head
/// without the body (RFC 9110, 9.3.2).
fn for_method(head: bool, response: Response) -> Response {
    if !head {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // The length the GET answer would have, when known. An empty body may be
    // a HEAD answer already stripped by axum's router, whose GET body had no
    // known length (the router sets Content-Length itself when it knows it):
    // claim nothing then.
    if let Some(length) = body.size_hint().exact()
        && length > 0
        && may_send_length(parts.status)
        && !parts.headers.contains_key(CONTENT_LENGTH)
    {
        parts
            .headers
            .insert(CONTENT_LENGTH, HeaderValue::from(length));
    }
    Response::from_parts(parts, Body::empty())
}

/// 1xx and 204 answers carry no Content-Length; a 304's would describe the
/// 200 answer, which this body is not (RFC 9110, 8.6).
fn may_send_length(status: StatusCode) -> bool {
    !(status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED)
}

/// Removes the headers that describe the old body.
fn remove_body_headers(headers: &mut http::HeaderMap) {
    let doomed: Vec<http::HeaderName> = headers
        .keys()
        .filter(|name| is_body_header(name.as_str()))
        .cloned()
        .collect();
    for name in doomed {
        headers.remove(name);
    }
}

/// Converts a rendered core response into an axum response.
pub(crate) fn into_axum(response: http::Response<Bytes>) -> Response {
    response.map(Body::from)
}
