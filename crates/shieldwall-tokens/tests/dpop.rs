//! DPoP-bound tokens (RFC 9449) through `BearerGuard`: tokens minted by the
//! test kit's authorization server with `cnf.jkt`, proofs signed by the test
//! kit's client key, every bad input of issue 16 refused with one answer,
//! and a replayed `jti` refused on the same instance and on another
//! instance sharing Redis.
#![cfg(feature = "dpop")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::time::Duration;

use serde_json::json;
use shieldwall_core::{Decision, Guard, Principal, Step, StoreError};
use shieldwall_errors::ErrorCode;
use shieldwall_testkit::auth_server::{AUDIENCE, AuthServer, DpopKey};
use shieldwall_tokens::dpop::{DpopPolicy, MemoryNonceStore, NonceStore};
use shieldwall_tokens::{
    Algorithm, BearerGuard, KeySet, MemoryRevocations, Verifier, VerifyingKey,
};

const ORIGIN: &str = "https://api.example.test";
const URI: &str = "https://api.example.test/v1/items";
const PROOF: &str = "DPoP error=\"invalid_dpop_proof\", algs=\"ES256 EdDSA\"";
const TOKEN: &str = "DPoP error=\"invalid_token\", algs=\"ES256 EdDSA\"";

type Tokens = BearerGuard<MemoryRevocations>;

fn verifier(server: &AuthServer) -> Verifier<MemoryRevocations> {
    let key = VerifyingKey::ec_pem(
        Algorithm::ES256,
        server.public_key_pem("es256-1").as_bytes(),
    )
    .unwrap()
    .with_kid("es256-1")
    .unwrap();
    Verifier::builder(KeySet::new([key]).unwrap(), MemoryRevocations::new())
        .issuer(server.issuer())
        .audience(AUDIENCE)
        .build()
        .unwrap()
}

fn policy(store: impl NonceStore) -> DpopPolicy {
    DpopPolicy::builder(store)
        .public_origin(ORIGIN)
        .allow_algorithms([Algorithm::ES256, Algorithm::EdDSA])
        .build()
        .unwrap()
}

fn guard(server: &AuthServer, store: impl NonceStore) -> Tokens {
    BearerGuard::new(verifier(server)).dpop(policy(store))
}

/// A refusal as the client sees it: the code, the `WWW-Authenticate`
/// values, and the private reason.
#[derive(Debug)]
struct Refused {
    code: ErrorCode,
    challenges: Vec<String>,
    reason: Option<&'static str>,
    detail: Option<String>,
}

async fn send(
    guard: &Tokens,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<Principal, Refused> {
    let mut request = http::Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(()).unwrap();
    let decision = match guard.extract(&request) {
        Step::Decide(input) => guard.decide(input).await,
        Step::Done(decision) => decision,
    };
    match decision {
        Decision::Continue(grant) => Ok(grant.principal.unwrap()),
        Decision::Reject(error) => Err(Refused {
            code: error.code(),
            challenges: error
                .headers()
                .get_all("www-authenticate")
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect(),
            reason: error.reason(),
            detail: error.problem().detail.map(|d| d.to_string()),
        }),
        Decision::Respond(_) => panic!("a guard answered"),
    }
}

/// Sends `token` as `DPoP` with `proof`, as `GET /v1/items`.
async fn get_items(guard: &Tokens, token: &str, proof: &str) -> Result<Principal, Refused> {
    let authorization = format!("DPoP {token}");
    send(
        guard,
        "GET",
        "/v1/items",
        &[("authorization", &authorization), ("dpop", proof)],
    )
    .await
}

fn assert_refused(result: Result<Principal, Refused>, challenge: &str, reason: &str, case: &str) {
    let refused = result.expect_err(case);
    assert_eq!(refused.code, ErrorCode::InvalidToken, "{case}");
    assert_eq!(refused.challenges, [challenge], "{case}");
    assert_eq!(refused.reason, Some(reason), "{case}");
    assert_eq!(refused.detail, None, "{case}: one answer, no detail");
}

/// One refused proof: `invalid_dpop_proof`, whatever the reason.
fn assert_bad_proof(result: Result<Principal, Refused>, case: &str) {
    assert_refused(result, PROOF, "invalid_dpop_proof", case);
}

struct Fixture {
    server: AuthServer,
    key: DpopKey,
    token: String,
}

fn fixture() -> Fixture {
    let server = AuthServer::start();
    let key = DpopKey::generate();
    let token = server
        .token("es256-1")
        .subject("user-7")
        .scope("users:read")
        .bound_to(&key)
        .mint();
    Fixture { server, key, token }
}

#[tokio::test]
async fn a_good_proof_is_accepted_and_handlers_see_the_same_principal() {
    let Fixture { server, key, token } = fixture();
    let guard = guard(&server, MemoryNonceStore::new());
    let proof = key.proof("GET", URI).access_token(&token).sign();
    let principal = get_items(&guard, &token, &proof).await.unwrap();
    assert_eq!(principal.id(), "user-7");
    assert_eq!(principal.scopes(), ["users:read"]);
    let verified = shieldwall_tokens::VerifiedToken::of(&principal).unwrap();
    assert_eq!(verified.cnf_jkt(), Some(key.thumbprint().as_str()));

    // Scheme and host without case, the default port, a query and a fragment.
    for htu in [
        "HTTPS://API.Example.TEST/v1/items",
        "https://api.example.test:443/v1/items",
        "https://api.example.test/v1/items?page=2#top",
        "https://api.example.test/v1/./items",
    ] {
        let proof = key.proof("GET", htu).access_token(&token).sign();
        assert!(get_items(&guard, &token, &proof).await.is_ok(), "{htu}");
    }
    // The scheme name without case too.
    let proof = key.proof("GET", URI).access_token(&token).sign();
    let authorization = format!("dpop {token}");
    let headers = [
        ("authorization", authorization.as_str()),
        ("dpop", proof.as_str()),
    ];
    assert!(
        send(&guard, "GET", "/v1/items?page=2", &headers)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn every_bad_proof_is_refused_with_one_answer() {
    let Fixture { server, key, token } = fixture();
    let guard = guard(&server, MemoryNonceStore::new());
    let other = DpopKey::generate();
    let other_token = server.token("es256-1").bound_to(&key).mint();
    let good = || key.proof("GET", URI).access_token(&token);
    let cases = [
        ("symmetric alg", good().hs256_with(&[7; 32]).sign()),
        ("alg none", good().header("alg", json!("none")).sign()),
        (
            "alg not allowed (RS256)",
            good().header("alg", json!("RS256")).sign(),
        ),
        ("private key in jwk", good().private_key_in_jwk().sign()),
        (
            "another key: wrong thumbprint",
            good().jwk_of(&other).signed_by(&other).sign(),
        ),
        ("signed by another key", good().signed_by(&other).sign()),
        ("no jwk", good().without_header("jwk").sign()),
        ("typ JWT", good().header("typ", json!("JWT")).sign()),
        ("no typ", good().without_header("typ").sign()),
        ("crit", good().header("crit", json!(["exp"])).sign()),
        (
            "another htm",
            key.proof("POST", URI).access_token(&token).sign(),
        ),
        (
            "htm lowercase",
            key.proof("get", URI).access_token(&token).sign(),
        ),
        (
            "another path",
            key.proof("GET", "https://api.example.test/v1/items/7")
                .access_token(&token)
                .sign(),
        ),
        (
            "another host",
            key.proof("GET", "https://evil.example.test/v1/items")
                .access_token(&token)
                .sign(),
        ),
        (
            "another scheme",
            key.proof("GET", "http://api.example.test/v1/items")
                .access_token(&token)
                .sign(),
        ),
        (
            "another port",
            key.proof("GET", "https://api.example.test:8443/v1/items")
                .access_token(&token)
                .sign(),
        ),
        (
            "a relative htu",
            key.proof("GET", "/v1/items").access_token(&token).sign(),
        ),
        ("no ath", key.proof("GET", URI).sign()),
        (
            "ath of another token",
            key.proof("GET", URI).access_token(&other_token).sign(),
        ),
        (
            "ath not base64url",
            good().claim("ath", json!("not a hash")).sign(),
        ),
        ("old iat", good().issued_ago(301).sign()),
        ("iat in the future", good().issued_ago(-31).sign()),
        (
            "iat a string",
            good().claim("iat", json!("1700000000")).sign(),
        ),
        ("no iat", good().without("iat").sign()),
        ("no jti", good().without("jti").sign()),
        ("empty jti", good().jti("").sign()),
        ("jti too long", good().jti(&"j".repeat(257)).sign()),
        ("no htu", good().without("htu").sign()),
        ("not a JWS", "a.b".to_owned()),
        ("garbage", "%%%".to_owned()),
    ];
    for (case, proof) in &cases {
        assert_bad_proof(get_items(&guard, &token, proof).await, case);
    }
    // Within the window on both sides, it passes.
    let proof = good().issued_ago(299).sign();
    assert!(get_items(&guard, &token, &proof).await.is_ok());
    let proof = good().issued_ago(-29).sign();
    assert!(get_items(&guard, &token, &proof).await.is_ok());
}

#[tokio::test]
async fn a_missing_or_repeated_proof_header_is_refused() {
    let Fixture { server, key, token } = fixture();
    let guard = guard(&server, MemoryNonceStore::new());
    let authorization = format!("DPoP {token}");
    let result = send(
        &guard,
        "GET",
        "/v1/items",
        &[("authorization", &authorization)],
    )
    .await;
    assert_bad_proof(result, "no DPoP header");
    let one = key.proof("GET", URI).access_token(&token).sign();
    let two = key.proof("GET", URI).access_token(&token).sign();
    let result = send(
        &guard,
        "GET",
        "/v1/items",
        &[
            ("authorization", &authorization),
            ("dpop", &one),
            ("dpop", &two),
        ],
    )
    .await;
    assert_bad_proof(result, "two DPoP headers");
    let long = "a".repeat(8 * 1024 + 1);
    assert_bad_proof(get_items(&guard, &token, &long).await, "too long");
}

#[tokio::test]
async fn a_replayed_jti_is_refused_on_the_same_instance() {
    let Fixture { server, key, token } = fixture();
    let guard = guard(&server, MemoryNonceStore::new());
    let proof = key.proof("GET", URI).access_token(&token).sign();
    assert!(get_items(&guard, &token, &proof).await.is_ok());
    assert_refused(
        get_items(&guard, &token, &proof).await,
        PROOF,
        "dpop_replayed",
        "the same proof again",
    );
    // A new proof with the used jti: refused too.
    let again = key.proof("GET", URI).access_token(&token).jti("j-1").sign();
    assert!(get_items(&guard, &token, &again).await.is_ok());
    let again = key.proof("GET", URI).access_token(&token).jti("j-1").sign();
    assert_refused(
        get_items(&guard, &token, &again).await,
        PROOF,
        "dpop_replayed",
        "a used jti",
    );
    // A proof refused for another reason uses nothing up.
    let bad = key
        .proof("GET", URI)
        .access_token(&token)
        .jti("j-2")
        .signed_by(&DpopKey::generate())
        .sign();
    assert_bad_proof(get_items(&guard, &token, &bad).await, "bad signature");
    let good = key.proof("GET", URI).access_token(&token).jti("j-2").sign();
    assert!(get_items(&guard, &token, &good).await.is_ok());
}

#[tokio::test]
async fn tokens_and_schemes_must_agree() {
    let Fixture { server, key, token } = fixture();
    let dpop_guard = guard(&server, MemoryNonceStore::new());
    let bearer = format!("Bearer {token}");

    // A DPoP-bound token sent as Bearer: refused, DPoP enabled or not.
    assert_refused(
        send(
            &dpop_guard,
            "GET",
            "/v1/items",
            &[("authorization", &bearer)],
        )
        .await,
        TOKEN,
        "dpop_binding",
        "bound token as Bearer",
    );
    let proof = key.proof("GET", URI).access_token(&token).sign();
    assert_refused(
        send(
            &dpop_guard,
            "GET",
            "/v1/items",
            &[("authorization", &bearer), ("dpop", &proof)],
        )
        .await,
        TOKEN,
        "dpop_binding",
        "bound token as Bearer, with a proof",
    );
    let plain_guard = BearerGuard::new(verifier(&server));
    let refused = send(
        &plain_guard,
        "GET",
        "/v1/items",
        &[("authorization", &bearer)],
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidToken);
    assert_eq!(refused.challenges, [r#"Bearer error="invalid_token""#]);

    // A token bound to no key: Bearer works, DPoP is refused.
    let unbound = server.token("es256-1").subject("user-8").mint();
    let unbound_bearer = format!("Bearer {unbound}");
    let principal = send(
        &dpop_guard,
        "GET",
        "/v1/items",
        &[("authorization", &unbound_bearer)],
    )
    .await
    .unwrap();
    assert_eq!(principal.id(), "user-8");
    let proof = key.proof("GET", URI).access_token(&unbound).sign();
    assert_refused(
        get_items(&dpop_guard, &unbound, &proof).await,
        TOKEN,
        "dpop_binding",
        "unbound token as DPoP",
    );
    // A DPoP credential that is no b64token.
    let result = send(
        &dpop_guard,
        "GET",
        "/v1/items",
        &[("authorization", "DPoP a b"), ("dpop", &proof)],
    )
    .await;
    assert_refused(result, TOKEN, "dpop_binding", "malformed credential");
    // A guard without DPoP does not know the scheme.
    let result = get_items(&plain_guard, &token, &proof).await.unwrap_err();
    assert_eq!(result.code, ErrorCode::BearerTokenRequired);
}

#[tokio::test]
async fn token_refusals_under_dpop_answer_in_its_scheme() {
    let Fixture { server, key, .. } = fixture();
    let guard = guard(&server, MemoryNonceStore::new())
        .require_scopes(["users:write"])
        .unwrap();
    // No credential: both challenges.
    let refused = send(&guard, "GET", "/v1/items", &[]).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::BearerTokenRequired);
    assert_eq!(refused.challenges, ["Bearer", r#"DPoP algs="ES256 EdDSA""#]);
    // An expired bound token.
    let expired = server
        .token("es256-1")
        .bound_to(&key)
        .claim("iat", json!(1_000_000_000))
        .claim("exp", json!(1_000_000_600))
        .mint();
    let proof = key.proof("GET", URI).access_token(&expired).sign();
    let refused = get_items(&guard, &expired, &proof).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::TokenExpired);
    assert_eq!(refused.challenges, [TOKEN]);
    // A bound token without the scope.
    let token = server
        .token("es256-1")
        .scope("users:read")
        .bound_to(&key)
        .mint();
    let proof = key.proof("GET", URI).access_token(&token).sign();
    let refused = get_items(&guard, &token, &proof).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::InsufficientScope);
    assert_eq!(
        refused.challenges,
        ["DPoP error=\"insufficient_scope\", scope=\"users:write\", algs=\"ES256 EdDSA\""]
    );
}

#[tokio::test]
async fn the_origin_may_come_from_the_host_when_asked() {
    let Fixture { server, key, token } = fixture();
    let policy = DpopPolicy::builder(MemoryNonceStore::new())
        .origin_from_host_header_insecure()
        .allow_algorithms([Algorithm::ES256, Algorithm::EdDSA])
        .build()
        .unwrap();
    let guard = BearerGuard::new(verifier(&server)).dpop(policy);
    let authorization = format!("DPoP {token}");
    // No perimeter and no TLS: http.
    let proof = key
        .proof("GET", "http://Shop.Example:8080/v1/items")
        .access_token(&token)
        .sign();
    let headers = [
        ("authorization", authorization.as_str()),
        ("dpop", proof.as_str()),
        ("host", "shop.example:8080"),
    ];
    assert!(send(&guard, "GET", "/v1/items", &headers).await.is_ok());
    let proof = key
        .proof("GET", "http://shop.example:8080/v1/items")
        .access_token(&token)
        .sign();
    let headers = [
        ("authorization", authorization.as_str()),
        ("dpop", proof.as_str()),
        ("host", "other.example:8080"),
    ];
    assert_bad_proof(
        send(&guard, "GET", "/v1/items", &headers).await,
        "another host",
    );
    let headers = [
        ("authorization", authorization.as_str()),
        ("dpop", proof.as_str()),
    ];
    assert_bad_proof(send(&guard, "GET", "/v1/items", &headers).await, "no host");
}

/// A store that cannot answer.
struct Down;

impl NonceStore for Down {
    async fn remember_nonce(
        &self,
        _key_id: &str,
        _nonce: &str,
        _ttl: Duration,
    ) -> Result<bool, StoreError> {
        Err(StoreError::new("nonce store", "down"))
    }
}

#[tokio::test]
async fn a_replay_store_that_cannot_answer_fails_closed() {
    let Fixture { server, key, token } = fixture();
    let guard = guard(&server, Down);
    let proof = key.proof("GET", URI).access_token(&token).sign();
    let refused = get_items(&guard, &token, &proof).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::ServiceUnavailable);
    assert!(refused.challenges.is_empty());
    assert_eq!(refused.reason, Some("store_unavailable"));
}

#[cfg(feature = "redis")]
mod on_redis {
    use super::*;
    use shieldwall_redis::{Redis, testing};
    use shieldwall_tokens::dpop::RedisNonceStore;

    #[tokio::test]
    async fn a_replayed_jti_is_refused_on_another_instance_sharing_redis() {
        let Fixture { server, key, token } = fixture();
        let config = testing::config("dpop");
        // Two instances: each its own connection, one Redis and prefix.
        let redis_a = Redis::connect(&config).await.unwrap();
        let redis_b = Redis::connect(&config).await.unwrap();
        let instance_a = guard(&server, RedisNonceStore::new(redis_a.clone()));
        let instance_b = guard(&server, RedisNonceStore::new(redis_b));

        let proof = key
            .proof("GET", URI)
            .access_token(&token)
            .jti("shared-1")
            .sign();
        assert!(get_items(&instance_a, &token, &proof).await.is_ok());
        assert_refused(
            get_items(&instance_b, &token, &proof).await,
            PROOF,
            "dpop_replayed",
            "replayed on instance B",
        );
        assert_refused(
            get_items(&instance_a, &token, &proof).await,
            PROOF,
            "dpop_replayed",
            "replayed on instance A",
        );
        // Kept for the window: the maximum age plus the clock skew from iat.
        let mut pttl = shieldwall_redis::redis::cmd("PTTL");
        let key_id = format!("dpop:{}", key.thumbprint());
        pttl.arg(redis_a.key(&["sig-nonce", &key_id, "shared-1"]));
        let ttl: i64 = redis_a.run(&pttl).await.unwrap();
        assert!((300_000..=331_000).contains(&ttl), "{ttl}");
        // Another jti is new on both.
        let fresh = key.proof("GET", URI).access_token(&token).sign();
        assert!(get_items(&instance_b, &token, &fresh).await.is_ok());
    }
}
