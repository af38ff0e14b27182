//! A `BearerGuard` over an issuer found by OpenID Connect Discovery, on both
//! adapters: the test kit's authorization server on loopback issues the
//! tokens, one app on axum and on actix-web takes them with the same
//! handlers as any other bearer token (`Authenticated`, `Claims<T>`), and
//! one case table checks that both answer alike.
#![cfg(feature = "auth-server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

#[path = "support/me.rs"]
#[allow(dead_code, reason = "each test file uses part of the shared route")]
mod support;
use support::bearer;

use std::sync::OnceLock;

use serde_json::json;
use shieldwall_core::Perimeter;
use shieldwall_testkit::adapters::{through_actix, through_axum};
use shieldwall_testkit::auth_server::AuthServer;
use shieldwall_testkit::{Case, Expect, TestRequest, assert_cases};
use shieldwall_tokens::oidc::Discovery;
use shieldwall_tokens::{BearerGuard, MemoryRevocations};

type Guard = BearerGuard<MemoryRevocations>;

/// The authorization server, the guard over what it discovered, and the
/// runtime its key set refreshes on (all kept for the whole run).
struct Fixture {
    server: AuthServer,
    guard: Guard,
    _runtime: tokio::runtime::Runtime,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let server = AuthServer::start();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let issuer = runtime
            .block_on(
                Discovery::new(server.issuer(), shieldwall_testkit::auth_server::AUDIENCE)
                    .unwrap()
                    .load(),
            )
            .unwrap();
        let verifier = issuer.verifier(MemoryRevocations::new()).build().unwrap();
        let guard = BearerGuard::new(verifier)
            .require_scopes(["users:read"])
            .unwrap();
        Fixture {
            server,
            guard,
            _runtime: runtime,
        }
    })
}

mod axum_app {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use shieldwall_axum::{GuardLayer, ShieldwallLayer};

    pub(super) fn app() -> Router {
        Router::new()
            .route(
                "/me",
                get(support::axum_me).route_layer(GuardLayer::new(fixture().guard.clone())),
            )
            .layer(ShieldwallLayer::with_perimeter(Perimeter::new()))
    }
}

mod actix_app {
    use super::*;
    use actix_web::App;
    use shieldwall_actix::{GuardMiddleware, Shieldwall, resource};

    pub(super) fn answers(cases: &[Case]) -> Vec<shieldwall_testkit::Observed> {
        let app = App::new()
            .service(
                resource("/me")
                    .get(support::actix_me)
                    .wrap_routes(GuardMiddleware::new(fixture().guard.clone())),
            )
            .wrap(Shieldwall::with_perimeter(Perimeter::new()));
        through_actix(app, cases)
    }
}

const INVALID: &str = "Bearer error=\"invalid_token\"";

fn cases() -> Vec<Case> {
    let server = &fixture().server;
    let es256 = server
        .token("es256-1")
        .subject("user-7")
        .scope("users:read")
        .claim("tenant", json!("acme"))
        .mint();
    let rs256_scp = server
        .token("rs256-1")
        .subject("user-8")
        .claim("scp", json!(["users:read", "users:write"]))
        .mint();
    let other_audience = server
        .token("es256-1")
        .audience("another-api")
        .scope("users:read")
        .mint();
    let unsigned = server
        .token("es256-1")
        .scope("users:read")
        .unsigned()
        .mint();
    let confused = server
        .token("rs256-1")
        .scope("users:read")
        .hs256_with(server.public_key_pem("rs256-1").as_bytes())
        .mint();
    let without_scope = server.token("es256-1").scope("users:write").mint();
    let expired = server
        .token("es256-1")
        .scope("users:read")
        .claim("iat", json!(1_000_000_000))
        .claim("exp", json!(1_000_000_600))
        .mint();
    vec![
        Case::new(
            "an ES256 token of the discovered issuer",
            TestRequest::get("/me").header("authorization", bearer(&es256)),
            Expect::status(200).json(json!({
                "id": "user-7", "scopes": ["users:read"], "tenant": "acme",
            })),
        ),
        Case::new(
            "an RS256 token with scp",
            TestRequest::get("/me").header("authorization", bearer(&rs256_scp)),
            Expect::status(200).json(json!({
                "id": "user-8", "scopes": ["users:read", "users:write"], "tenant": null,
            })),
        ),
        Case::new(
            "no token",
            TestRequest::get("/me"),
            Expect::problem(401, "BEARER_TOKEN_REQUIRED").header("www-authenticate", "Bearer"),
        ),
        Case::new(
            "a token for another audience",
            TestRequest::get("/me").header("authorization", bearer(&other_audience)),
            Expect::problem(401, "INVALID_TOKEN").header("www-authenticate", INVALID),
        ),
        Case::new(
            "alg none",
            TestRequest::get("/me").header("authorization", bearer(&unsigned)),
            Expect::problem(401, "INVALID_TOKEN").header("www-authenticate", INVALID),
        ),
        Case::new(
            "HS256 keyed with the issuer's public key",
            TestRequest::get("/me").header("authorization", bearer(&confused)),
            Expect::problem(401, "INVALID_TOKEN").header("www-authenticate", INVALID),
        ),
        Case::new(
            "a token without the scope",
            TestRequest::get("/me").header("authorization", bearer(&without_scope)),
            Expect::problem(403, "INSUFFICIENT_SCOPE").header(
                "www-authenticate",
                "Bearer error=\"insufficient_scope\", scope=\"users:read\"",
            ),
        ),
        Case::new(
            "an expired token",
            TestRequest::get("/me").header("authorization", bearer(&expired)),
            Expect::problem(401, "TOKEN_EXPIRED").header("www-authenticate", INVALID),
        ),
    ]
}

#[test]
fn a_discovered_issuer_guards_alike_on_both_adapters() {
    let cases = cases();
    let axum = through_axum(axum_app::app(), &cases);
    let actix = actix_app::answers(&cases);
    assert_cases(&[("axum", axum), ("actix", actix)], &cases);
    // One discovery and one JWKS fetch served every request.
    assert_eq!(fixture().server.discovery_hits(), 1);
    assert_eq!(fixture().server.jwks_hits(), 1);
}
