//! `GuardsLayer`: a [`Guards`] stack as one tower layer.

use shieldwall_core::BodyGuard;
use shieldwall_core::{Guard, Guards, Nil, Then, ThenBody};
use tower_layer::Layer;

use crate::{BodyGuardLayer, BodyGuardService, GuardLayer, GuardService};

/// Runs a [`Guards`] stack, in its order, as one layer: the guard added
/// first runs first.
///
/// ```
/// # use shieldwall_core::{Decision, Guard, RequestView, Step};
/// # #[derive(Clone)] struct Limit; struct Key;
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
/// use axum::{Router, handler::Handler, routing::get};
/// use shieldwall_axum::{GuardsLayer, ShieldwallLayer};
/// use shieldwall_core::Guards;
///
/// async fn create() -> &'static str { "created" }
///
/// // Stated once: the limit, then the key.
/// let guarded = GuardsLayer::new(Guards::new().then(Limit).then(Key));
/// let app: Router = Router::new()
///     // Only this route, and not its 405 answer.
///     .route("/items", get(|| async { "items" }).route_layer(guarded.clone()))
///     // Only one method of a path: the handler's own layer.
///     .route(
///         "/orders",
///         get(|| async { "open" }).post(create.layer(guarded)),
///     )
///     .layer(ShieldwallLayer::new());
/// ```
#[derive(Clone, Debug)]
pub struct GuardsLayer<L> {
    guards: Guards<L>,
}

impl<L> GuardsLayer<L> {
    /// A layer running `guards` in their order.
    #[must_use]
    pub fn new(guards: Guards<L>) -> Self {
        Self { guards }
    }
}

impl<L> From<Guards<L>> for GuardsLayer<L> {
    fn from(guards: Guards<L>) -> Self {
        Self::new(guards)
    }
}

impl<S, L: Stack> Layer<S> for GuardsLayer<L> {
    type Service = L::Wrapped<S>;

    fn layer(&self, inner: S) -> Self::Service {
        self.guards.links().wrap(inner)
    }
}

/// How a stack's links wrap a service, innermost guard first (implemented
/// for the links of [`Guards`]; not for implementing elsewhere).
pub trait Stack: sealed::Sealed {
    /// `S` wrapped in every guard of the stack.
    type Wrapped<S>;

    /// Wraps `inner`: the last guard directly around it, the first outermost.
    fn wrap<S>(&self, inner: S) -> Self::Wrapped<S>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for shieldwall_core::Nil {}
    impl<R, G> Sealed for shieldwall_core::Then<R, G> {}
    impl<R, G> Sealed for shieldwall_core::ThenBody<R, G> {}
}

impl Stack for Nil {
    type Wrapped<S> = S;

    fn wrap<S>(&self, inner: S) -> S {
        inner
    }
}

impl<R: Stack, G: Guard> Stack for Then<R, G> {
    type Wrapped<S> = R::Wrapped<GuardService<S, G>>;

    fn wrap<S>(&self, inner: S) -> Self::Wrapped<S> {
        let guarded = GuardLayer::from_arc(std::sync::Arc::clone(self.guard())).layer(inner);
        self.rest().wrap(guarded)
    }
}

impl<R: Stack, G: BodyGuard> Stack for ThenBody<R, G> {
    type Wrapped<S> = R::Wrapped<BodyGuardService<S, G>>;

    fn wrap<S>(&self, inner: S) -> Self::Wrapped<S> {
        let guarded = BodyGuardLayer::from_arc(std::sync::Arc::clone(self.guard())).layer(inner);
        self.rest().wrap(guarded)
    }
}
