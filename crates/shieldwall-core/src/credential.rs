//! `CredentialGuard`: a guard for a credential the client sends, and `OrAnonymous`.

use std::future::Future;

use crate::{Decision, Guard, OneOf, RequestView, Step};

/// A guard that authenticates a credential the client sends: an API key
/// header, an `Authorization` header.
///
/// What it adds to [`Guard`] is whether a request carries the credential at
/// all, valid or not. That is what [`OneOf`] (this credential or another)
/// and [`OrAnonymous`] (this credential or none) decide on: a request that
/// carries the credential is always the guard's to decide, so a wrong,
/// malformed or repeated credential is refused as the guard refuses it,
/// never taken for no credential.
///
/// `shieldwall-keys`' `ApiKeyGuard` and `shieldwall-tokens`' `BearerGuard`
/// implement it: `ApiKeyGuard::new(keys).or(BearerGuard::new(verifier))` is
/// the guard of a route that takes an API key or a bearer token, and
/// `.or_anonymous()` after it lets a caller with neither through.
pub trait CredentialGuard: Guard {
    /// Whether `request` carries this guard's credential in any form: sent
    /// once or more, well-formed or not.
    fn is_presented<R: RequestView + ?Sized>(&self, request: &R) -> bool;

    /// This credential or `other`'s, exactly one of them: [`OneOf`].
    ///
    /// Each alternative checks only its own required scopes: a key guard
    /// with `require_scopes(["users:write"])` or a bearer guard with none
    /// lets any valid token through. Give both the same scopes.
    #[must_use]
    fn or<B: CredentialGuard>(self, other: B) -> OneOf<Self, B>
    where
        Self: Sized,
    {
        OneOf::new(self, other)
    }

    /// This credential or none: [`OrAnonymous`].
    #[must_use]
    fn or_anonymous(self) -> OrAnonymous<Self>
    where
        Self: Sized,
    {
        OrAnonymous::new(self)
    }
}

/// Lets a request that carries no credential of `G` through anonymously,
/// with no principal attached; a request that carries one is decided by `G`
/// (a valid credential attaches its principal, an invalid one is refused).
///
/// This is the guard of an optional-auth route: the handler takes
/// `Option<Authenticated>` (or `Option<ApiKey>`, `Option<Claims<T>>`) and
/// gets `None` for an anonymous caller. A bad credential is never turned
/// into an anonymous request: the client who sent one learns it was refused.
///
/// ```
/// use shieldwall_core::{CredentialGuard, Decision, Grant, Guard, Principal, RequestView, Step};
/// use shieldwall_core::errors::ErrorCode;
///
/// /// `X-Token: good` is user `u1`.
/// struct TokenGuard;
/// impl Guard for TokenGuard {
///     type Input = bool;
///     fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<bool> {
///         match request.single_header("x-token") {
///             Ok(Some(token)) => Step::Decide(token == b"good"),
///             Ok(None) => Step::Done(Decision::reject(ErrorCode::ApiKeyRequired)),
///             Err(_) => Step::Done(Decision::reject(ErrorCode::MalformedRequest)),
///         }
///     }
///     async fn decide(&self, good: bool) -> Decision {
///         if good {
///             Decision::allow(Grant::new().with_principal(Principal::user("u1")))
///         } else {
///             Decision::reject(ErrorCode::InvalidApiKey)
///         }
///     }
/// }
/// impl CredentialGuard for TokenGuard {
///     fn is_presented<R: RequestView + ?Sized>(&self, request: &R) -> bool {
///         request.header_values("x-token").next().is_some()
///     }
/// }
///
/// let optional = TokenGuard.or_anonymous();
/// let run = |request: http::Request<()>| {
///     futures_util::FutureExt::now_or_never(shieldwall_core::run_guard(&optional, &request)).unwrap()
/// };
/// let anonymous = run(http::Request::new(()));
/// assert!(matches!(anonymous, Decision::Continue(grant) if grant.principal.is_none()));
/// let known = run(http::Request::builder().header("x-token", "good").body(()).unwrap());
/// assert!(matches!(known, Decision::Continue(grant) if grant.principal.is_some()));
/// let wrong = run(http::Request::builder().header("x-token", "bad").body(()).unwrap());
/// assert!(matches!(wrong, Decision::Reject(e) if e.code() == ErrorCode::InvalidApiKey));
/// ```
#[derive(Clone, Debug)]
pub struct OrAnonymous<G> {
    guard: G,
}

impl<G> OrAnonymous<G> {
    /// `guard`'s credential, or none.
    #[must_use]
    pub fn new(guard: G) -> Self {
        Self { guard }
    }

    /// The guard.
    pub fn guard(&self) -> &G {
        &self.guard
    }
}

impl<G: CredentialGuard> Guard for OrAnonymous<G> {
    fn describe(&self) -> crate::telemetry::GuardInfo<'_> {
        self.guard.describe()
    }

    type Input = G::Input;

    fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<G::Input> {
        if self.guard.is_presented(request) {
            self.guard.extract(request)
        } else {
            Step::Done(Decision::pass())
        }
    }

    fn decide(&self, input: G::Input) -> impl Future<Output = Decision> + Send {
        self.guard.decide(input)
    }
}

impl<G: CredentialGuard> CredentialGuard for OrAnonymous<G> {
    fn is_presented<R: RequestView + ?Sized>(&self, request: &R) -> bool {
        self.guard.is_presented(request)
    }
}
