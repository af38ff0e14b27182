//! `GuardsMiddleware`: a [`Guards`] stack as one actix-web middleware.

use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, Transform};
use shieldwall_core::{BodyGuard, Guard, Guards, Links, Wrapper};

use crate::{BodyGuardService, GuardService};

/// Runs a [`Guards`] stack, in its order, as one middleware: the guard
/// added first runs first, whatever the order of `wrap` calls elsewhere.
///
/// ```
/// # use shieldwall_core::{Decision, Guard, RequestView, Step};
/// # struct Limit; struct Key;
/// # impl Guard for Limit {
/// #     type Input = ();
/// #     fn extract<R: RequestView + ?Sized>(&self, _: &R) -> Step<()> { Step::Done(Decision::pass()) }
/// #     async fn decide(&self, _: ()) -> Decision { Decision::pass() }
/// # }
/// # impl Guard for Key {
/// #     type Input = ();
/// #     fn extract<R: RequestView + ?Sized>(&self, _: &R) -> Step<()> { Step::Done(Decision::pass()) }
/// #     async fn decide(&self, _: ()) -> Decision { Decision::pass() }
/// # }
/// use actix_web::App;
/// use shieldwall_actix::{GuardsMiddleware, Shieldwall, resource};
/// use shieldwall_core::Guards;
///
/// // Stated once: the limit, then the key. Build it once, outside
/// // `HttpServer::new`, and clone it into each worker's app.
/// let guarded = GuardsMiddleware::new(Guards::new().then(Limit).then(Key));
/// let app = App::new()
///     // Only this route, and not its 405 answer.
///     .service(resource("/items").get(|| async { "items" }).wrap_routes(guarded.clone()))
///     // Only one method of a path.
///     .service(
///         resource("/orders")
///             .get(|| async { "open" })
///             .post(|| async { "created" })
///             .wrap_last(guarded),
///     )
///     .wrap(Shieldwall::new());
/// ```
#[derive(Clone, Debug)]
pub struct GuardsMiddleware<L> {
    guards: Guards<L>,
}

impl<L> GuardsMiddleware<L> {
    /// A middleware running `guards` in their order.
    #[must_use]
    pub fn new(guards: Guards<L>) -> Self {
        Self { guards }
    }
}

impl<L> From<Guards<L>> for GuardsMiddleware<L> {
    fn from(guards: Guards<L>) -> Self {
        Self::new(guards)
    }
}

impl<S, L> Transform<S, ServiceRequest> for GuardsMiddleware<L>
where
    L: Links,
    L::Wrapped<ActixGuards, S>: Service<ServiceRequest, Error = Error>,
{
    type Response = <L::Wrapped<ActixGuards, S> as Service<ServiceRequest>>::Response;
    type Error = Error;
    type Transform = L::Wrapped<ActixGuards, S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(self.guards.wrap(&ActixGuards, service)))
    }
}

/// How a stack's guards wrap an actix-web service: [`GuardService`] and
/// [`BodyGuardService`] (what [`GuardsMiddleware`] hands to
/// [`Guards::wrap`]).
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct ActixGuards;

impl Wrapper for ActixGuards {
    type Guarded<S, G: Guard> = GuardService<S, G>;
    type BodyGuarded<S, G: BodyGuard> = BodyGuardService<S, G>;

    fn guard<S, G: Guard>(&self, inner: S, guard: Arc<G>) -> GuardService<S, G> {
        GuardService::new(inner, guard)
    }

    fn body_guard<S, G: BodyGuard>(&self, inner: S, guard: Arc<G>) -> BodyGuardService<S, G> {
        BodyGuardService::new(inner, guard)
    }
}
