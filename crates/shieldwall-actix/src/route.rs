//! The matched route template on the answer, for the perimeter's observer
//! (audit events): [`resource`](crate::resource) installs it on its routes.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use pin_project_lite::pin_project;
use shieldwall_core::RouteTemplate;

/// Puts `template` on every answer of the routes it wraps.
#[derive(Clone, Debug)]
pub(crate) struct NoteRoute {
    template: RouteTemplate,
}

impl NoteRoute {
    pub(crate) fn new(template: &str) -> Self {
        Self {
            template: RouteTemplate::new(template),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for NoteRoute
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = NoteRouteService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(NoteRouteService {
            service: Rc::new(service),
            template: self.template.clone(),
        }))
    }
}

pub(crate) struct NoteRouteService<S> {
    service: Rc<S>,
    template: RouteTemplate,
}

impl<S, B> Service<ServiceRequest> for NoteRouteService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = NoteRouteFuture<S::Future>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        NoteRouteFuture {
            inner: self.service.call(request),
            template: Some(self.template.clone()),
        }
    }
}

pin_project! {
    pub(crate) struct NoteRouteFuture<F> {
        #[pin]
        inner: F,
        template: Option<RouteTemplate>,
    }
}

impl<F, B> Future for NoteRouteFuture<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
{
    type Output = Result<ServiceResponse<B>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let answer = std::task::ready!(this.inner.poll(cx));
        Poll::Ready(answer.map(|mut response| {
            if let Some(template) = this.template.take() {
                response.response_mut().extensions_mut().insert(template);
            }
            response
        }))
    }
}
