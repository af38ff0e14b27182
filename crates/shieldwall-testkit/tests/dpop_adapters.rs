//! DPoP-bound tokens (RFC 9449) on both adapters: the test kit's
//! authorization server (found by discovery) issues tokens bound to a
//! client key, the client signs proofs, one app on axum and on actix-web
//! takes them with the handlers any bearer token meets (`Authenticated`,
//! `Claims<T>`), and one case table checks that both answer alike. Each
//! adapter has a replay store of its own, so each sees the first proof
//! accepted and its replay refused.
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

use std::sync::OnceLock;

use serde_json::json;
use shieldwall_core::Perimeter;
use shieldwall_testkit::adapters::{through_actix, through_axum};
use shieldwall_testkit::auth_server::{AUDIENCE, AuthServer, DpopKey};
use shieldwall_testkit::{Case, Expect, TestRequest, assert_cases};
use shieldwall_tokens::dpop::{DpopPolicy, MemoryNonceStore};
use shieldwall_tokens::oidc::Discovery;
use shieldwall_tokens::{Algorithm, BearerGuard, MemoryRevocations, Verifier};

type Guard = BearerGuard<MemoryRevocations>;

const HTU: &str = "https://api.example.test/me";
const PROOF: &str = r#"DPoP error="invalid_dpop_proof", algs="ES256""#;
const TOKEN: &str = r#"DPoP error="invalid_token", algs="ES256""#;

/// The authorization server, the verifier over what it discovered, the
/// client's key, and the runtime the key set refreshes on.
struct Fixture {
    server: AuthServer,
    verifier: Verifier<MemoryRevocations>,
    key: DpopKey,
    _runtime: tokio::runtime::Runtime,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let server = AuthServer::start();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let issuer = runtime
            .block_on(Discovery::new(server.issuer(), AUDIENCE).unwrap().load())
            .unwrap();
        let verifier = issuer.verifier(MemoryRevocations::new()).build().unwrap();
        Fixture {
            server,
            verifier,
            key: DpopKey::generate(),
            _runtime: runtime,
        }
    })
}

/// A guard with a replay store of its own (one per adapter).
fn guard() -> Guard {
    let policy = DpopPolicy::builder(MemoryNonceStore::new())
        .public_origin("https://api.example.test")
        .allow_algorithms([Algorithm::ES256])
        .build()
        .unwrap();
    BearerGuard::new(fixture().verifier.clone())
        .dpop(policy)
        .require_scopes(["users:read"])
        .unwrap()
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
                get(support::axum_me).route_layer(GuardLayer::new(guard())),
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
                    .wrap_routes(GuardMiddleware::new(guard())),
            )
            .wrap(Shieldwall::with_perimeter(Perimeter::new()));
        through_actix(app, cases)
    }
}

fn dpop(token: &str, proof: &str) -> TestRequest {
    TestRequest::get("/me")
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", proof)
}

fn bad_proof(expect: Expect) -> Expect {
    expect.header_values("www-authenticate", &[PROOF])
}

fn cases() -> Vec<Case> {
    let Fixture { server, key, .. } = fixture();
    let other = DpopKey::generate();
    let token = server
        .token("es256-1")
        .subject("user-7")
        .scope("users:read")
        .claim("tenant", json!("acme"))
        .bound_to(key)
        .mint();
    let unbound = server
        .token("rs256-1")
        .subject("user-8")
        .scope("users:read")
        .mint();
    let another_token = server
        .token("es256-1")
        .scope("users:read")
        .bound_to(key)
        .mint();
    let proof = || key.proof("GET", HTU).access_token(&token);
    let good = proof().sign();
    let refused = || Expect::problem(401, "INVALID_TOKEN").never(&token);
    let bad = |name: &'static str, proof: String| {
        Case::new(name, dpop(&token, &proof), bad_proof(refused()))
    };
    vec![
        Case::new(
            "a bound token with its proof",
            dpop(&token, &good),
            Expect::status(200).json(json!({
                "id": "user-7", "scopes": ["users:read"], "tenant": "acme",
            })),
        ),
        bad("the same proof again (replayed jti)", good.clone()),
        bad("a symmetric alg", proof().hs256_with(&[7; 32]).sign()),
        bad(
            "the private key in jwk",
            proof().private_key_in_jwk().sign(),
        ),
        bad(
            "another key's jwk (wrong thumbprint)",
            proof().jwk_of(&other).signed_by(&other).sign(),
        ),
        bad(
            "another htm",
            key.proof("POST", HTU).access_token(&token).sign(),
        ),
        bad(
            "another htu",
            key.proof("GET", "https://api.example.test/admin")
                .access_token(&token)
                .sign(),
        ),
        bad("no ath", key.proof("GET", HTU).sign()),
        bad(
            "the ath of another token",
            key.proof("GET", HTU).access_token(&another_token).sign(),
        ),
        bad("an old iat", proof().issued_ago(301).sign()),
        Case::new(
            "no DPoP header",
            TestRequest::get("/me").header("authorization", format!("DPoP {token}")),
            bad_proof(refused()),
        ),
        Case::new(
            "a bound token sent as Bearer",
            TestRequest::get("/me").header("authorization", format!("Bearer {token}")),
            refused().header_values("www-authenticate", &[TOKEN]),
        ),
        Case::new(
            "an unbound token sent as Bearer",
            TestRequest::get("/me").header("authorization", format!("Bearer {unbound}")),
            Expect::status(200).json(json!({
                "id": "user-8", "scopes": ["users:read"], "tenant": null,
            })),
        ),
        Case::new(
            "an unbound token sent as DPoP",
            dpop(
                &unbound,
                &key.proof("GET", HTU).access_token(&unbound).sign(),
            ),
            Expect::problem(401, "INVALID_TOKEN").header_values("www-authenticate", &[TOKEN]),
        ),
        Case::new(
            "no credential",
            TestRequest::get("/me"),
            Expect::problem(401, "BEARER_TOKEN_REQUIRED")
                .header_values("www-authenticate", &["Bearer", r#"DPoP algs="ES256""#]),
        ),
    ]
}

#[test]
fn dpop_bound_tokens_are_guarded_alike_on_both_adapters() {
    let cases = cases();
    let axum = through_axum(axum_app::app(), &cases);
    let actix = actix_app::answers(&cases);
    assert_cases(&[("axum", axum), ("actix", actix)], &cases);
}
