//! `resource`: a route whose wrong-method answer is 405 with `Allow`.
//!
//! actix-web answers a wrong method with a bare 405 and no `Allow` header
//! (RFC 9110 requires one). A [`Resource`] built here lists its methods in
//! `Allow`, in the same form as axum (`GET,HEAD,POST`), so both adapters
//! answer alike.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{AppService, HttpServiceFactory, ServiceRequest, ServiceResponse, Transform};
use actix_web::{FromRequest, Handler, Responder, guard, web};

type BoxService = actix_service::boxed::BoxService<ServiceRequest, ServiceResponse, Error>;
use shieldwall_core::RouteTemplate;
use shieldwall_errors::{ApiError, ErrorCode};

use crate::route::NoteRoute;

/// A resource at `path`; add methods, then register it with `App::service`.
///
/// ```
/// use actix_web::App;
///
/// async fn show() -> &'static str { "one" }
/// async fn update() -> &'static str { "updated" }
///
/// let app = App::new().service(shieldwall_actix::resource("/items/{id}").get(show).put(update));
/// ```
#[must_use]
pub fn resource(path: &str) -> Resource {
    Resource {
        path: path.to_owned(),
        routes: Vec::new(),
        allow: Vec::new(),
    }
}

/// A resource under construction; see [`resource`].
pub struct Resource {
    path: String,
    routes: Vec<actix_web::Route>,
    allow: Vec<&'static str>,
}

impl std::fmt::Debug for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resource")
            .field("allow", &self.allow)
            .finish_non_exhaustive()
    }
}

macro_rules! method {
    ($(#[$doc:meta])* $fn:ident, $guard:expr, $($name:literal),+) => {
        $(#[$doc])*
        #[must_use]
        pub fn $fn<F, Args>(mut self, handler: F) -> Self
        where
            F: Handler<Args>,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            self.routes.push(web::route().guard($guard).to(handler));
            $(self.allow.push($name);)+
            self
        }
    };
}

impl Resource {
    method!(
        /// Serves `GET`, and `HEAD` with the same handler (the server drops the body).
        get, guard::Any(guard::Get()).or(guard::Head()), "GET", "HEAD"
    );
    method!(
        /// Serves `POST`.
        post, guard::Post(), "POST"
    );
    method!(
        /// Serves `PUT`.
        put, guard::Put(), "PUT"
    );
    method!(
        /// Serves `PATCH`.
        patch, guard::Patch(), "PATCH"
    );
    method!(
        /// Serves `DELETE`.
        delete, guard::Delete(), "DELETE"
    );

    /// Wraps the routes added so far in `middleware` (a guard, say), but not
    /// the 405 answer: a wrong method is told apart before authentication,
    /// as on axum with `MethodRouter::route_layer`.
    #[must_use]
    pub fn wrap_routes<M, B>(mut self, middleware: M) -> Self
    where
        M: Transform<
                BoxService,
                ServiceRequest,
                Response = ServiceResponse<B>,
                Error = Error,
                InitError = (),
            > + Clone
            + 'static,
        B: MessageBody + 'static,
    {
        self.routes = self
            .routes
            .into_iter()
            .map(|route| route.wrap(middleware.clone()))
            .collect();
        self
    }

    /// Wraps the route added last in `middleware` (a guard for one method:
    /// `.get(list).wrap_last(read_guard).post(create).wrap_last(write_guard)`).
    #[must_use]
    pub fn wrap_last<M, B>(mut self, middleware: M) -> Self
    where
        M: Transform<
                BoxService,
                ServiceRequest,
                Response = ServiceResponse<B>,
                Error = Error,
                InitError = (),
            > + 'static,
        B: MessageBody + 'static,
    {
        if let Some(route) = self.routes.pop() {
            self.routes.push(route.wrap(middleware));
        }
        self
    }

    /// The `Allow` header value: the methods in the order they were added.
    #[must_use]
    pub fn allow(&self) -> String {
        self.allow.join(",")
    }

    /// The finished actix-web resource, with the 405 answer installed.
    #[must_use]
    pub fn into_inner(self) -> actix_web::Resource {
        // Method names are ASCII tokens, always a valid header value.
        let allow = http::HeaderValue::from_str(&self.allow())
            .unwrap_or_else(|_| http::HeaderValue::from_static(""));
        let mut resource = web::resource(self.path.as_str());
        // Every answer names the route it came from (the 405 too), for the
        // perimeter's observer: the template, never the path with its values.
        let note = NoteRoute::new(&self.path);
        for route in self.routes {
            resource = resource.route(route.wrap(note.clone()));
        }
        let template = RouteTemplate::new(self.path.as_str());
        resource.default_service(web::to(move || {
            let allow = allow.clone();
            let template = template.clone();
            async move {
                let mut response = actix_web::ResponseError::error_response(
                    &ApiError::new(ErrorCode::MethodNotAllowed)
                        .with_header(http::header::ALLOW, allow),
                );
                response.extensions_mut().insert(template);
                response
            }
        }))
    }
}

impl HttpServiceFactory for Resource {
    fn register(self, config: &mut AppService) {
        self.into_inner().register(config);
    }
}
