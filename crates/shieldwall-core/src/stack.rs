//! `Guards`: guards in the order they run, stated once, for both adapters.

use std::sync::Arc;

use crate::{BodyGuard, Guard};

/// Guards in the order they run: the first added runs first and sees the
/// request first; each later one sees what the earlier ones attached (the
/// principal a bearer guard found, for the per-user limit after it).
///
/// Order is a security property (a limit before authentication, so that
/// guessing keys is counted; authentication before the per-user limit,
/// which needs the user), so it is written once, here, and both adapters
/// run the stack as one layer: `shieldwall_axum::GuardsLayer` and
/// `shieldwall_actix::GuardsMiddleware`. A stack is cheap to clone (each
/// guard is shared), so one stack value serves every route and worker.
///
/// ```
/// use shieldwall_core::{Decision, Guard, Guards, RequestView, Step};
///
/// struct Named(&'static str);
///
/// impl Guard for Named {
///     type Input = ();
///     fn extract<R: RequestView + ?Sized>(&self, _: &R) -> Step<()> {
///         Step::Done(Decision::pass())
///     }
///     async fn decide(&self, _: ()) -> Decision {
///         Decision::pass()
///     }
/// }
///
/// // The limit, then the key, then the per-user limit.
/// let stack = Guards::new()
///     .then(Named("ip limit"))
///     .then(Named("api key"))
///     .then(Named("user limit"));
/// assert_eq!(stack.len(), 3);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Guards<L = Nil>(L);

/// The empty end of a [`Guards`] stack.
#[allow(
    clippy::exhaustive_structs,
    reason = "the end of a list: it never holds anything"
)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Nil;

/// A stack with one more [`Guard`] at its inner end.
#[derive(Debug)]
pub struct Then<Rest, G> {
    rest: Rest,
    guard: Arc<G>,
}

/// A stack with one more [`BodyGuard`] at its inner end.
#[derive(Debug)]
pub struct ThenBody<Rest, G> {
    rest: Rest,
    guard: Arc<G>,
}

impl<Rest: Clone, G> Clone for Then<Rest, G> {
    fn clone(&self) -> Self {
        Self {
            rest: self.rest.clone(),
            guard: Arc::clone(&self.guard),
        }
    }
}

impl<Rest: Clone, G> Clone for ThenBody<Rest, G> {
    fn clone(&self) -> Self {
        Self {
            rest: self.rest.clone(),
            guard: Arc::clone(&self.guard),
        }
    }
}

impl<Rest, G> Then<Rest, G> {
    /// The guards that run before this one.
    #[must_use]
    pub fn rest(&self) -> &Rest {
        &self.rest
    }

    /// This guard.
    #[must_use]
    pub fn guard(&self) -> &Arc<G> {
        &self.guard
    }
}

impl<Rest, G> ThenBody<Rest, G> {
    /// The guards that run before this one.
    #[must_use]
    pub fn rest(&self) -> &Rest {
        &self.rest
    }

    /// This guard.
    #[must_use]
    pub fn guard(&self) -> &Arc<G> {
        &self.guard
    }
}

/// How many guards a stack holds.
pub trait StackLen {
    /// The number of guards.
    fn len(&self) -> usize;

    /// Whether it holds none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl StackLen for Nil {
    fn len(&self) -> usize {
        0
    }
}

impl<Rest: StackLen, G> StackLen for Then<Rest, G> {
    fn len(&self) -> usize {
        self.rest.len() + 1
    }
}

impl<Rest: StackLen, G> StackLen for ThenBody<Rest, G> {
    fn len(&self) -> usize {
        self.rest.len() + 1
    }
}

impl Guards<Nil> {
    /// An empty stack.
    #[must_use]
    pub const fn new() -> Self {
        Self(Nil)
    }
}

impl<L> Guards<L> {
    /// Runs `guard` after the guards already in the stack.
    #[must_use]
    pub fn then<G: Guard>(self, guard: G) -> Guards<Then<L, G>> {
        self.then_shared(Arc::new(guard))
    }

    /// Like [`Guards::then`], with a guard already shared (the same limiter
    /// counting on several routes).
    #[must_use]
    pub fn then_shared<G: Guard>(self, guard: Arc<G>) -> Guards<Then<L, G>> {
        Guards(Then {
            rest: self.0,
            guard,
        })
    }

    /// Runs a guard that reads the body (a request signature) after the
    /// guards already in the stack: it buffers the body up to its limit,
    /// decides, and hands the same bytes on.
    #[must_use]
    pub fn then_body<G: BodyGuard>(self, guard: G) -> Guards<ThenBody<L, G>> {
        self.then_body_shared(Arc::new(guard))
    }

    /// Like [`Guards::then_body`], with a guard already shared.
    #[must_use]
    pub fn then_body_shared<G: BodyGuard>(self, guard: Arc<G>) -> Guards<ThenBody<L, G>> {
        Guards(ThenBody {
            rest: self.0,
            guard,
        })
    }

    /// The stack's links.
    #[must_use]
    pub fn links(&self) -> &L {
        &self.0
    }
}

impl<L: Links> Guards<L> {
    /// `inner` behind every guard of the stack, the first outermost, each
    /// put there by `wrapper` (what an adapter's stack layer calls).
    pub fn wrap<W: Wrapper, S>(&self, wrapper: &W, inner: S) -> L::Wrapped<W, S> {
        self.0.wrap(wrapper, inner)
    }
}

/// How an adapter puts one guard around a service. Each adapter implements
/// it once (its guard services); the stack's order is walked here, once,
/// for both.
pub trait Wrapper {
    /// `S` behind the guard `G`.
    type Guarded<S, G: Guard>;
    /// `S` behind the body guard `G`.
    type BodyGuarded<S, G: BodyGuard>;

    /// Puts `guard` around `inner`.
    fn guard<S, G: Guard>(&self, inner: S, guard: Arc<G>) -> Self::Guarded<S, G>;

    /// Puts the body guard `guard` around `inner`.
    fn body_guard<S, G: BodyGuard>(&self, inner: S, guard: Arc<G>) -> Self::BodyGuarded<S, G>;
}

/// The links of a [`Guards`] stack (implemented for [`Nil`], [`Then`] and
/// [`ThenBody`] only).
pub trait Links: sealed::Sealed {
    /// `S` behind every guard of the links, through `W`.
    type Wrapped<W: Wrapper, S>;

    /// Wraps `inner`: the last guard directly around it, the first outermost.
    fn wrap<W: Wrapper, S>(&self, wrapper: &W, inner: S) -> Self::Wrapped<W, S>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Nil {}
    impl<R, G> Sealed for super::Then<R, G> {}
    impl<R, G> Sealed for super::ThenBody<R, G> {}
}

impl Links for Nil {
    type Wrapped<W: Wrapper, S> = S;

    fn wrap<W: Wrapper, S>(&self, _: &W, inner: S) -> S {
        inner
    }
}

impl<R: Links, G: Guard> Links for Then<R, G> {
    type Wrapped<W: Wrapper, S> = R::Wrapped<W, W::Guarded<S, G>>;

    fn wrap<W: Wrapper, S>(&self, wrapper: &W, inner: S) -> Self::Wrapped<W, S> {
        let guarded = wrapper.guard(inner, Arc::clone(&self.guard));
        self.rest.wrap(wrapper, guarded)
    }
}

impl<R: Links, G: BodyGuard> Links for ThenBody<R, G> {
    type Wrapped<W: Wrapper, S> = R::Wrapped<W, W::BodyGuarded<S, G>>;

    fn wrap<W: Wrapper, S>(&self, wrapper: &W, inner: S) -> Self::Wrapped<W, S> {
        let guarded = wrapper.body_guard(inner, Arc::clone(&self.guard));
        self.rest.wrap(wrapper, guarded)
    }
}

impl<L: StackLen> Guards<L> {
    /// How many guards the stack holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the stack holds no guard.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
