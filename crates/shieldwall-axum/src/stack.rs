//! `GuardsLayer`: a [`Guards`] stack as one tower layer.

use std::sync::Arc;

use shieldwall_core::{BodyGuard, Guard, Guards, Links, Wrapper};
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

impl<S, L: Links> Layer<S> for GuardsLayer<L> {
    type Service = L::Wrapped<TowerGuards, S>;

    fn layer(&self, inner: S) -> Self::Service {
        self.guards.wrap(&TowerGuards, inner)
    }
}

/// How a stack's guards wrap a tower service: [`GuardService`] and
/// [`BodyGuardService`] (what [`GuardsLayer`] hands to [`Guards::wrap`]).
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct TowerGuards;

impl Wrapper for TowerGuards {
    type Guarded<S, G: Guard> = GuardService<S, G>;
    type BodyGuarded<S, G: BodyGuard> = BodyGuardService<S, G>;

    fn guard<S, G: Guard>(&self, inner: S, guard: Arc<G>) -> GuardService<S, G> {
        GuardLayer::from_arc(guard).layer(inner)
    }

    fn body_guard<S, G: BodyGuard>(&self, inner: S, guard: Arc<G>) -> BodyGuardService<S, G> {
        BodyGuardLayer::from_arc(guard).layer(inner)
    }
}
