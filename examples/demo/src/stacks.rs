//! Each route's guards, in the order they run, stated once for both servers.
//!
//! The order is part of the security of each route: a limit before
//! authentication (guessing keys and tokens is counted), authentication
//! before the per-user limit (which counts per principal), the API key
//! before the signature (whose key must belong to the key's owner). Each
//! server runs these stacks as one layer (`GuardsLayer` on axum,
//! `GuardsMiddleware` on actix-web) and never restates the order.

use std::sync::Arc;

use shieldwall_core::{Guards, Nil, Scoped, Then, ThenBody};
use shieldwall_cors::CorsPolicy;
use shieldwall_keys::{AnyKeyStore, ApiKeyGuard};
use shieldwall_tokens::{BearerGuard, Revocations};
use shieldwall_versioning::VersionPolicy;

use crate::{Demo, Limiter, TransferSignatures};

/// One guard.
pub type One<G> = Guards<Then<Nil, G>>;
/// Two guards, the first outermost.
pub type Two<A, B> = Guards<Then<Then<Nil, A>, B>>;

/// Every path: CORS, the public limit on `/api`, the API version.
pub type ApiGuards = Guards<Then<Then<Then<Nil, CorsPolicy>, Scoped<Limiter>>, VersionPolicy>>;
/// A route for a signed-in user: the bearer token, then the per-user limit.
pub type SignedIn = Two<BearerGuard<Revocations>, Limiter>;
/// `POST /api/v1/auth/logout`: the login limit, then the bearer token.
pub type Logout = Two<Limiter, BearerGuard<Revocations>>;
/// A route behind an API key with one scope.
pub type KeyRoute = One<ApiKeyGuard<AnyKeyStore>>;
/// `POST /api/v1/transfers`: the API key, then the request signature.
pub type TransferRoute = Guards<ThenBody<Then<Nil, ApiKeyGuard<AnyKeyStore>>, TransferSignatures>>;

/// The guards of every route, built once at start-up and cloned into each
/// route (and each actix-web worker): one count per limit, whatever the
/// number of workers.
#[derive(Clone, Debug)]
pub struct RouteGuards {
    /// Every path, outside the routes: CORS answers preflights before
    /// anything counts or authenticates them; the public limit counts
    /// unknown paths (404) and wrong methods (405) too; then the version
    /// (`/api/vN/`, 404 `UNSUPPORTED_VERSION`).
    pub api: ApiGuards,
    /// `POST /api/v1/auth/login`: the login limit.
    pub login: One<Limiter>,
    /// `POST /api/v1/auth/logout`.
    pub logout: Logout,
    /// `/api/v1/protected/...`.
    pub signed_in: SignedIn,
    /// `GET /api/v1/users` (scope `users:read`).
    pub users_read: KeyRoute,
    /// `POST /api/v1/users` (scope `users:write`).
    pub users_write: KeyRoute,
    /// `POST /api/v1/transfers`.
    pub transfer: TransferRoute,
}

impl Demo {
    /// The guards of every route, in their order.
    #[must_use]
    pub fn route_guards(&self) -> RouteGuards {
        let bearer = Arc::new(self.auth.bearer());
        let login_limit = Arc::new(self.limits.auth.clone());
        RouteGuards {
            api: Guards::new()
                .then(self.cors.clone())
                .then(self.limits.public.clone())
                .then(self.versions.clone()),
            login: Guards::new().then_shared(Arc::clone(&login_limit)),
            logout: Guards::new()
                .then_shared(login_limit)
                .then_shared(Arc::clone(&bearer)),
            signed_in: Guards::new()
                .then_shared(bearer)
                .then(self.limits.user.clone()),
            users_read: Guards::new().then(self.keys.users_read()),
            users_write: Guards::new().then(self.keys.users_write()),
            transfer: Guards::new()
                .then(self.keys.transfers_write())
                .then_body_shared(Arc::clone(&self.signatures)),
        }
    }
}
