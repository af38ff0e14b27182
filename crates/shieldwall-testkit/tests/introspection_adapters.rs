//! A `BearerGuard` whose verifier introspects opaque tokens (RFC 7662) at
//! the test kit's authorization server, beside the app's own HS256 tokens,
//! on both adapters: the same handlers (`Authenticated`, `Claims<T>`), one
//! case table, the same answers. A second route's endpoint answers 500: 503
//! with `Retry-After`.
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
use shieldwall_core::{Perimeter, Secret};
use shieldwall_testkit::adapters::{through_actix, through_axum};
use shieldwall_testkit::auth_server::{
    AUDIENCE, AuthServer, INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET, IntrospectionAnswer,
};
use shieldwall_testkit::{Case, Expect, TestRequest, assert_cases};
use shieldwall_tokens::introspection::Introspector;
use shieldwall_tokens::{
    Algorithm, BearerGuard, Issuer, KeySet, MemoryRevocations, SigningKey, Verifier, VerifyingKey,
};

type Guard = BearerGuard<MemoryRevocations>;

const HS256_SECRET: [u8; 32] = [0x24; 32];

/// The authorization servers (one honest, one answering 500) and a guard
/// over each.
struct Fixture {
    server: AuthServer,
    down: AuthServer,
    guard: Guard,
    down_guard: Guard,
}

fn guard(server: &AuthServer) -> Guard {
    let introspector = Introspector::builder(
        &server.introspection_url(),
        INTROSPECTION_CLIENT_ID,
        Secret::from(INTROSPECTION_CLIENT_SECRET),
    )
    .issuer(server.issuer())
    .audience(AUDIENCE)
    .build()
    .unwrap();
    let own = VerifyingKey::hmac(Algorithm::HS256, &Secret::from(HS256_SECRET.to_vec())).unwrap();
    let verifier = Verifier::builder(KeySet::new([own]).unwrap(), MemoryRevocations::new())
        .introspection(introspector)
        .build()
        .unwrap();
    BearerGuard::new(verifier)
        .require_scopes(["users:read"])
        .unwrap()
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let server = AuthServer::start();
        let down = AuthServer::start();
        down.set_introspection(IntrospectionAnswer::Status(500));
        Fixture {
            guard: guard(&server),
            down_guard: guard(&down),
            server,
            down,
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
            .route(
                "/down",
                get(support::axum_me).route_layer(GuardLayer::new(fixture().down_guard.clone())),
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
            .service(
                resource("/down")
                    .get(support::actix_me)
                    .wrap_routes(GuardMiddleware::new(fixture().down_guard.clone())),
            )
            .wrap(Shieldwall::with_perimeter(Perimeter::new()));
        through_actix(app, cases)
    }
}

const INVALID: &str = "Bearer error=\"invalid_token\"";

fn cases() -> Vec<Case> {
    let server = &fixture().server;
    let active = server
        .opaque()
        .subject("user-7")
        .scope("users:read")
        .claim("tenant", json!("acme"))
        .register();
    let scp = server
        .opaque()
        .subject("user-8")
        .claim("scp", json!(["users:read", "users:write"]))
        .register();
    let inactive = server.opaque().inactive().register();
    let other_audience = server
        .opaque()
        .audience("another-api")
        .scope("users:read")
        .register();
    let without_scope = server.opaque().scope("users:write").register();
    let bound = server
        .opaque()
        .scope("users:read")
        .claim(
            "cnf",
            json!({ "jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" }),
        )
        .register();
    let own = Issuer::builder(
        SigningKey::hmac(Algorithm::HS256, &Secret::from(HS256_SECRET.to_vec())).unwrap(),
    )
    .build()
    .unwrap()
    .issue("user-9", &["users:read"])
    .unwrap()
    .token()
    .to_owned();
    let on_down = fixture().down.opaque().scope("users:read").register();
    vec![
        Case::new(
            "an active opaque token",
            TestRequest::get("/me").header("authorization", bearer(&active)),
            Expect::status(200).json(json!({
                "id": "user-7", "scopes": ["users:read"], "tenant": "acme",
            })),
        ),
        Case::new(
            "an active opaque token with scp",
            TestRequest::get("/me").header("authorization", bearer(&scp)),
            Expect::status(200).json(json!({
                "id": "user-8", "scopes": ["users:read", "users:write"], "tenant": null,
            })),
        ),
        Case::new(
            "the app's own HS256 token beside them",
            TestRequest::get("/me").header("authorization", bearer(&own)),
            Expect::status(200).json(json!({
                "id": "user-9", "scopes": ["users:read"], "tenant": null,
            })),
        ),
        Case::new(
            "an inactive token",
            TestRequest::get("/me").header("authorization", bearer(&inactive)),
            Expect::problem(401, "INVALID_TOKEN")
                .header("www-authenticate", INVALID)
                .never(&inactive),
        ),
        Case::new(
            "a token the provider never issued",
            TestRequest::get("/me").header("authorization", "Bearer 2YotnFZFEjr1zCsicMWpAA"),
            Expect::problem(401, "INVALID_TOKEN").header("www-authenticate", INVALID),
        ),
        Case::new(
            "an active token for another audience",
            TestRequest::get("/me").header("authorization", bearer(&other_audience)),
            Expect::problem(401, "INVALID_TOKEN").header("www-authenticate", INVALID),
        ),
        Case::new(
            "an active token without the scope",
            TestRequest::get("/me").header("authorization", bearer(&without_scope)),
            Expect::problem(403, "INSUFFICIENT_SCOPE").header(
                "www-authenticate",
                "Bearer error=\"insufficient_scope\", scope=\"users:read\"",
            ),
        ),
        Case::new(
            "an active token bound to a DPoP key, sent as Bearer",
            TestRequest::get("/me").header("authorization", bearer(&bound)),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "an introspection endpoint that answers 500",
            TestRequest::get("/down").header("authorization", bearer(&on_down)),
            Expect::problem(503, "SERVICE_UNAVAILABLE")
                .has_header("retry-after")
                .no_header("www-authenticate")
                .never(&on_down),
        ),
    ]
}

#[test]
fn introspected_tokens_are_guarded_alike_on_both_adapters() {
    let cases = cases();
    let axum = through_axum(axum_app::app(), &cases);
    let actix = actix_app::answers(&cases);
    assert_cases(&[("axum", axum), ("actix", actix)], &cases);
    // Each opaque token was introspected once (by the first adapter); the
    // second was served from the cache. The failing endpoint was asked by both.
    assert_eq!(fixture().server.introspection_hits(), 7);
    assert_eq!(fixture().down.introspection_hits(), 2);
    assert_eq!(fixture().server.introspection_client_refusals(), 0);
}
