//! End to end, an external identity provider (DEMO_API.md, "External
//! identity provider"): both demo servers as processes, started with
//! `SHIELDWALL_OIDC_ISSUER` and `SHIELDWALL_INTROSPECTION_URL` / `_CLIENT`
//! pointing at the test kit's authorization server on loopback (a real HTTP
//! peer), on memory stores and on Redis. The provider's JWTs, introspected
//! opaque tokens and DPoP-bound tokens reach the same routes as the demo's
//! own tokens; every refusal is the same on both servers; a logout or a
//! DPoP proof on one instance is seen by the other through Redis.
#![cfg(feature = "auth-server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;
use shieldwall_core::Secret;
use shieldwall_testkit::auth_server::{
    AUDIENCE, AuthServer, DpopKey, INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET,
    IntrospectionAnswer, KeyAlg, es256_twin,
};
use shieldwall_testkit::server::{ServerProcess, binary};
use shieldwall_testkit::{Case, Expect, Observed, TestRequest, assert_cases};
use shieldwall_tokens::{Algorithm, Issuer, SigningKey};

const SERVERS: [&str; 2] = ["example-axum-api", "example-actix-api"];
const SECRET: &str = "identity-provider-e2e-secret-32-bytes!";
const ME: &str = "/api/v1/protected/me";
const LOGOUT: &str = "/api/v1/auth/logout";
const KEYS: &str = "/api/v1/protected/keys";
/// Alice, the first demo user.
const ALICE: &str = "usr_1";

/// The servers' environment: the provider for discovery and introspection,
/// the provider's audience as the demo's, limits out of the way.
fn start(name: &str, idp: &AuthServer, redis: Option<&str>) -> ServerProcess {
    let issuer = idp.issuer().to_owned();
    let introspection = idp.introspection_url();
    let client = format!("{INTROSPECTION_CLIENT_ID}:{INTROSPECTION_CLIENT_SECRET}");
    let mut env = vec![
        ("SHIELDWALL_JWT_SECRET", SECRET),
        ("SHIELDWALL_JWT_AUDIENCE", AUDIENCE),
        ("SHIELDWALL_OIDC_ISSUER", issuer.as_str()),
        ("SHIELDWALL_INTROSPECTION_URL", introspection.as_str()),
        ("SHIELDWALL_INTROSPECTION_CLIENT", client.as_str()),
        ("SHIELDWALL_LIMIT_PUBLIC", "10000/1m"),
        ("SHIELDWALL_LIMIT_USER", "10000/1m"),
        ("SHIELDWALL_AUDIT", "off"),
    ];
    env.extend(redis.map(|url| ("REDIS_URL", url)));
    let server = ServerProcess::start(&binary(name), &env).unwrap_or_else(|e| panic!("{e}"));
    let banner = server.output().join("\n");
    assert!(
        banner.contains(&format!("identity provider: {issuer}")),
        "{banner}"
    );
    assert!(!banner.contains(INTROSPECTION_CLIENT_SECRET), "{banner}");
    server
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn me(authorization: &str) -> TestRequest {
    TestRequest::get(ME).header("authorization", authorization)
}

/// A token of the demo's own issuer for alice.
fn own_token() -> String {
    Issuer::builder(SigningKey::hmac(Algorithm::HS256, &Secret::from(SECRET)).unwrap())
        .issuer("shieldwall-demo")
        .audience(AUDIENCE)
        .build()
        .unwrap()
        .issue(ALICE, &[])
        .unwrap()
        .token()
        .to_owned()
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The cases of one server: requests made for it (DPoP proofs name its
/// address), expectations the same for both.
fn cases(idp: &AuthServer, demo: &ServerProcess, rotated_kid: &str) -> Vec<Case> {
    let htu = demo.url(ME);
    let key = DpopKey::generate();
    let bound = idp.token("es256-1").subject(ALICE).bound_to(&key).mint();
    let proof = key.proof("GET", &htu).access_token(&bound).sign();
    let bound_opaque = idp
        .opaque()
        .subject(ALICE)
        .claim("cnf", json!({ "jkt": key.thumbprint() }))
        .register();
    let dpop = |token: &str, proof: &str| {
        TestRequest::get(ME)
            .header("authorization", format!("DPoP {token}"))
            .header("dpop", proof)
    };
    let now = unix_now();
    vec![
        Case::new(
            "the demo's own token",
            me(&bearer(&own_token())),
            Expect::status(200)
                .json(json!({"id": ALICE, "email": "alice@example.com", "name": "Alice"})),
        ),
        Case::new(
            "an ES256 token of the provider",
            me(&bearer(&idp.token("es256-1").subject(ALICE).mint())),
            Expect::status(200)
                .json(json!({"id": ALICE, "email": "alice@example.com", "name": "Alice"})),
        ),
        Case::new(
            "an RS256 token of the provider, with scopes and without jti",
            me(&bearer(
                &idp.token("rs256-1")
                    .subject(ALICE)
                    .scope("users:read profile")
                    .without("jti")
                    .mint(),
            )),
            Expect::status(200),
        ),
        Case::new(
            "a key the provider rotated in after start",
            me(&bearer(&idp.token(rotated_kid).subject(ALICE).mint())),
            Expect::status(200),
        ),
        Case::new(
            "the provider's token for another audience",
            me(&bearer(
                &idp.token("es256-1")
                    .subject(ALICE)
                    .audience("another-api")
                    .mint(),
            )),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "the provider's token for a user the demo does not have",
            me(&bearer(&idp.token("es256-1").subject("user-1").mint())),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "the provider's expired token",
            me(&bearer(
                &idp.token("es256-1")
                    .subject(ALICE)
                    .claim("iat", json!(now - 3600))
                    .claim("exp", json!(now - 600))
                    .mint(),
            )),
            Expect::problem(401, "TOKEN_EXPIRED"),
        ),
        Case::new(
            "alg none in the provider's name",
            me(&bearer(
                &idp.token("es256-1").subject(ALICE).unsigned().mint(),
            )),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "HS256 keyed with the provider's public key",
            me(&bearer(
                &idp.token("es256-1")
                    .subject(ALICE)
                    .hs256_with(idp.public_key_pem("es256-1").as_bytes())
                    .mint(),
            )),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "the provider's key signing a token in the demo's name",
            me(&bearer(
                &idp.token("es256-1")
                    .subject(ALICE)
                    .claim("iss", json!("shieldwall-demo"))
                    .mint(),
            )),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "an introspected opaque token of alice",
            me(&bearer(&idp.opaque().subject(ALICE).register())),
            Expect::status(200)
                .json(json!({"id": ALICE, "email": "alice@example.com", "name": "Alice"})),
        ),
        Case::new(
            "an inactive opaque token",
            me(&bearer(&idp.opaque().subject(ALICE).inactive().register())),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "an opaque token nobody issued",
            me(&bearer("not-issued-by-anyone-0123456789")),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "an opaque token for another audience",
            me(&bearer(
                &idp.opaque()
                    .subject(ALICE)
                    .audience("another-api")
                    .register(),
            )),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "an opaque token of another issuer",
            me(&bearer(
                &idp.opaque()
                    .subject(ALICE)
                    .claim("iss", json!("https://elsewhere.example"))
                    .register(),
            )),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "an opaque token without iss or aud (both optional in RFC 7662)",
            me(&bearer(
                &idp.opaque()
                    .subject(ALICE)
                    .without("iss")
                    .without("aud")
                    .register(),
            )),
            Expect::status(200),
        ),
        Case::new(
            "an opaque token with four dots' worth of parts naming the provider",
            me(&bearer(&idp.opaque().subject(ALICE).register_as(&format!(
                "xx.{}.yy.zz",
                b64(format!(r#"{{"iss":"{}"}}"#, idp.issuer()).as_bytes())
            )))),
            Expect::status(200),
        ),
        Case::new(
            "an opaque token of a user the demo does not have",
            me(&bearer(&idp.opaque().subject("user-1").register())),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "a DPoP-bound token sent as Bearer",
            me(&bearer(&bound)),
            Expect::problem(401, "INVALID_TOKEN").has_header("www-authenticate"),
        ),
        Case::new(
            "a DPoP-bound token with its proof",
            dpop(&bound, &proof),
            Expect::status(200),
        ),
        Case::new(
            "the same proof again",
            dpop(&bound, &proof),
            Expect::problem(401, "INVALID_TOKEN").has_header("www-authenticate"),
        ),
        Case::new(
            "a proof for another URL",
            dpop(
                &bound,
                &key.proof("GET", &demo.url(KEYS))
                    .access_token(&bound)
                    .sign(),
            ),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "a proof for another method",
            dpop(&bound, &key.proof("POST", &htu).access_token(&bound).sign()),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "a proof without ath",
            dpop(&bound, &key.proof("GET", &htu).sign()),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "a proof by another key",
            dpop(
                &bound,
                &DpopKey::generate()
                    .proof("GET", &htu)
                    .access_token(&bound)
                    .sign(),
            ),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "a proof with an old iat",
            dpop(
                &bound,
                &key.proof("GET", &htu)
                    .access_token(&bound)
                    .issued_ago(3600)
                    .sign(),
            ),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "a DPoP-bound opaque token with its proof",
            dpop(
                &bound_opaque,
                &key.proof("GET", &htu).access_token(&bound_opaque).sign(),
            ),
            Expect::status(200),
        ),
        Case::new(
            "a DPoP-bound opaque token sent as Bearer",
            me(&bearer(&bound_opaque)),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
    ]
}

/// Logout of a provider token without `jti` and of an opaque token, then
/// keys made with a provider token: what a logged-in user does.
fn flows(idp: &AuthServer, demo: &ServerProcess) {
    let name = demo.name().to_owned();
    // Claims naming this server: the same claims signed in the same second
    // would be the same token (ES256 signs deterministically here), already
    // revoked on the shared Redis by the other server's run.
    let no_jti = bearer(
        &idp.token("es256-1")
            .subject(ALICE)
            .claim("server", json!(name))
            .without("jti")
            .mint(),
    );
    let opaque = bearer(&idp.opaque().subject(ALICE).register());
    for token in [&no_jti, &opaque] {
        assert_eq!(demo.send(&me(token)).unwrap().status, 200, "{name}");
        let logout = demo
            .send(&TestRequest::post(LOGOUT).header("authorization", token))
            .unwrap();
        assert_eq!(logout.status, 204, "{name}: {}", logout.text());
        let after = demo.send(&me(token)).unwrap();
        assert_eq!(after.json().unwrap()["code"], "TOKEN_REVOKED", "{name}");
    }
    // The logged-out token without jti, its ECDSA signature written the
    // other valid way: the same token to the revocation.
    let twin = bearer(&es256_twin(no_jti.trim_start_matches("Bearer ")));
    let after = demo.send(&me(&twin)).unwrap();
    assert_eq!(after.json().unwrap()["code"], "TOKEN_REVOKED", "{name}");
    // Another token without jti (ES256 here signs deterministically: the
    // same claims would be the same token) is not revoked.
    let sibling = bearer(
        &idp.token("es256-1")
            .subject(ALICE)
            .scope("another")
            .claim("server", json!(name))
            .without("jti")
            .mint(),
    );
    assert_eq!(demo.send(&me(&sibling)).unwrap().status, 200, "{name}");

    let provider = bearer(&idp.token("es256-1").subject(ALICE).mint());
    let created = demo
        .send(
            &TestRequest::post(KEYS)
                .header("authorization", &provider)
                .json(r#"{"name":"from the provider"}"#),
        )
        .unwrap();
    assert_eq!(created.status, 201, "{name}: {}", created.text());
    let listed = demo
        .send(&TestRequest::get(KEYS).header("authorization", bearer(&own_token())))
        .unwrap();
    assert!(
        listed.text().contains("from the provider"),
        "{name}: the provider's alice is the demo's alice: {}",
        listed.text()
    );
    // A provider token for nobody the demo knows: no keys, no logout.
    let stranger = bearer(&idp.token("es256-1").subject("user-1").mint());
    for request in [
        TestRequest::post(KEYS).header("authorization", &stranger),
        TestRequest::get(KEYS).header("authorization", &stranger),
        TestRequest::post(LOGOUT).header("authorization", &stranger),
    ] {
        let answer = demo.send(&request).unwrap();
        assert_eq!(answer.status, 401, "{name}: {}", answer.text());
        assert_eq!(answer.json().unwrap()["code"], "INVALID_TOKEN", "{name}");
    }
}

fn run_all(redis: Option<&str>) {
    let idp = AuthServer::start();
    let mut runs: Vec<(&str, Vec<Observed>)> = Vec::new();
    let mut last_cases = Vec::new();
    for name in SERVERS {
        let demo = start(name, &idp, redis);
        // Published after this server loaded the JWKS: the unknown kid
        // makes it fetch again.
        let rotated = idp.add_key(KeyAlg::Es256);
        let cases = cases(&idp, &demo, &rotated);
        let answers: Vec<Observed> = cases
            .iter()
            .map(|case| demo.send(&case.request).unwrap())
            .collect();
        for (case, answer) in cases.iter().zip(&answers) {
            if case.name.contains("Bearer") && case.name.contains("DPoP-bound token") {
                let challenge = answer.header("www-authenticate").unwrap_or_default();
                assert!(challenge.starts_with("DPoP "), "{name}: {challenge}");
                assert!(
                    challenge.contains(r#"error="invalid_token""#),
                    "{challenge}"
                );
            }
            if case.name == "the same proof again" {
                let challenge = answer.header("www-authenticate").unwrap_or_default();
                assert!(
                    challenge.contains("invalid_dpop_proof"),
                    "{name}: {challenge}"
                );
            }
        }
        flows(&idp, &demo);
        runs.push((name, answers));
        last_cases = cases;
    }
    assert_cases(&runs, &last_cases);
}

#[test]
fn provider_tokens_on_memory_stores() {
    run_all(None);
}

#[test]
fn provider_tokens_with_redis() {
    let url = shieldwall_redis::testing::redis_url();
    run_all(Some(&url));
}

/// Two instances on one Redis: a provider token logged out on one is
/// refused by the other, and a DPoP proof used on one is refused by the
/// other (sent with the first one's `Host`, so that only the replay
/// store can tell).
#[test]
fn a_logout_and_a_dpop_proof_are_seen_by_every_instance() {
    let url = shieldwall_redis::testing::redis_url();
    let idp = AuthServer::start();
    let axum = start("example-axum-api", &idp, Some(&url));
    let actix = start("example-actix-api", &idp, Some(&url));

    for token in [
        bearer(&idp.token("es256-1").subject(ALICE).mint()),
        bearer(&idp.token("es256-1").subject(ALICE).without("jti").mint()),
        bearer(&idp.opaque().subject(ALICE).register()),
    ] {
        assert_eq!(actix.send(&me(&token)).unwrap().status, 200);
        let logout = axum
            .send(&TestRequest::post(LOGOUT).header("authorization", &token))
            .unwrap();
        assert_eq!(logout.status, 204);
        // The other instance learns it by pub/sub (its revocation replica).
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut after = actix.send(&me(&token)).unwrap();
        while after.status == 200 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
            after = actix.send(&me(&token)).unwrap();
        }
        assert_eq!(after.json().unwrap()["code"], "TOKEN_REVOKED");
    }

    let key = DpopKey::generate();
    let bound = idp.token("es256-1").subject(ALICE).bound_to(&key).mint();
    // A request with a fresh proof for the axum server's URL and `Host`.
    let request = || {
        TestRequest::get(ME)
            .header("authorization", format!("DPoP {bound}"))
            .header(
                "dpop",
                key.proof("GET", &axum.url(ME)).access_token(&bound).sign(),
            )
            .header("host", axum.addr().to_string())
    };
    let first = request();
    assert_eq!(axum.send(&first).unwrap().status, 200);
    let replayed = actix.send(&first).unwrap();
    assert_eq!(replayed.status, 401, "{}", replayed.text());
    let challenge = replayed.header("www-authenticate").unwrap_or_default();
    assert!(challenge.contains("invalid_dpop_proof"), "{challenge}");
    // A fresh proof with the same Host passes on the other instance: the
    // refusal above was the replay.
    assert_eq!(actix.send(&request()).unwrap().status, 200);
}

/// An introspection endpoint that hangs or answers nonsense is a store
/// failure: 503 `SERVICE_UNAVAILABLE` with `Retry-After`, within the 2 s
/// timeout (plus a margin), on both servers; the demo's own tokens and the
/// provider's JWTs keep working meanwhile.
#[test]
fn a_failing_introspection_endpoint_is_503_and_nothing_else_breaks() {
    let idp = AuthServer::start();
    for name in SERVERS {
        let demo = start(name, &idp, None);
        for answer in [IntrospectionAnswer::Hang, IntrospectionAnswer::NotJson] {
            idp.set_introspection(answer.clone());
            let token = bearer(&idp.opaque().subject(ALICE).register());
            let started = Instant::now();
            let refused = demo.send(&me(&token)).unwrap();
            let took = started.elapsed();
            assert_eq!(refused.status, 503, "{name} {answer:?}: {}", refused.text());
            assert_eq!(refused.json().unwrap()["code"], "SERVICE_UNAVAILABLE");
            assert!(refused.header("retry-after").is_some(), "{name}");
            assert!(!refused.text().contains(INTROSPECTION_CLIENT_SECRET));
            // Bounded by the timeout: a hang never holds a request for long.
            assert!(took < Duration::from_secs(10), "{name}: {took:?}");
            assert_eq!(demo.send(&me(&bearer(&own_token()))).unwrap().status, 200);
            let jwt = bearer(&idp.token("es256-1").subject(ALICE).mint());
            assert_eq!(demo.send(&me(&jwt)).unwrap().status, 200);
        }
        idp.set_introspection(IntrospectionAnswer::Honest);
        let log = demo.output().join("\n");
        assert!(!log.contains(INTROSPECTION_CLIENT_SECRET), "{name}: {log}");
    }
}
