//! End to end, bearer tokens: login, me, logout and every refusal, on both
//! servers as processes, with memory stores and with Redis; then a token
//! revoked on one process refused by the other (shared Redis).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shieldwall_core::{ManualClock, Secret};
use shieldwall_testkit::server::{ServerProcess, binary};
use shieldwall_testkit::{Case, Expect, Observed, TestRequest, assert_cases};
use shieldwall_tokens::{Algorithm, Issuer, SigningKey};

const SERVERS: [&str; 2] = ["example-axum-api", "example-actix-api"];
const SECRET: &str = "e2e-secret-of-at-least-32-bytes-long!";
const LOGIN: &str = "/api/v1/auth/login";
const ME: &str = "/api/v1/protected/me";
const LOGOUT: &str = "/api/v1/auth/logout";

fn mint(secret: &str, audience: &str, issued_secs_ago: u64, ttl: u64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    Issuer::builder(SigningKey::hmac(Algorithm::HS256, &Secret::from(secret)).unwrap())
        .issuer("shieldwall-demo")
        .audience(audience)
        .ttl(Duration::from_secs(ttl))
        .clock(ManualClock::at_unix_seconds(now - issued_secs_ago))
        .build()
        .unwrap()
        .issue("usr_1", &[])
        .unwrap()
        .token()
        .to_owned()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn login_body(email: &str, password: &str) -> String {
    serde_json::json!({"email": email, "password": password}).to_string()
}

/// The steps: requests need the token of step "login", expectations do not.
fn steps(token: &str) -> Vec<Case> {
    let alg_none = format!(
        "eyJhbGciOiJub25lIn0.{}.",
        token.split('.').nth(1).unwrap_or_default()
    );
    vec![
        Case::new(
            "login with a wrong password",
            TestRequest::post(LOGIN).json(&login_body("alice@example.com", "hunter2-wrong")),
            Expect::problem(401, "INVALID_CREDENTIALS").never("hunter2"),
        ),
        Case::new(
            "login with an unknown email: the same answer",
            TestRequest::post(LOGIN).json(&login_body("mallory@example.com", "alice-password-1")),
            Expect::problem(401, "INVALID_CREDENTIALS"),
        ),
        Case::new(
            "login without a password",
            TestRequest::post(LOGIN).json(r#"{"email":"alice@example.com"}"#),
            Expect::problem(400, "VALIDATION_FAILED"),
        ),
        Case::new(
            "login with a password of the wrong type",
            TestRequest::post(LOGIN)
                .json(r#"{"email":"alice@example.com","password":["hunter2"]}"#),
            Expect::problem(400, "VALIDATION_FAILED").never("hunter2"),
        ),
        Case::new(
            "login as form data",
            TestRequest::post(LOGIN)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("email=alice%40example.com&password=alice-password-1"),
            Expect::problem(415, "UNSUPPORTED_MEDIA_TYPE"),
        ),
        Case::new(
            "login",
            TestRequest::post(LOGIN).json(&login_body("Alice@example.com", "alice-password-1")),
            Expect::status(200).never("alice-password-1"),
        ),
        Case::new(
            "me without a token",
            TestRequest::get(ME),
            Expect::problem(401, "BEARER_TOKEN_REQUIRED").header("www-authenticate", "Bearer"),
        ),
        Case::new(
            "me with the token in the query string only",
            TestRequest::get(&format!("{ME}?access_token={token}")),
            Expect::problem(401, "BEARER_TOKEN_REQUIRED").header("www-authenticate", "Bearer"),
        ),
        Case::new(
            "me",
            TestRequest::get(ME).header("authorization", bearer(token)),
            Expect::status(200).json(
                serde_json::json!({"id": "usr_1", "email": "alice@example.com", "name": "Alice"}),
            ),
        ),
        Case::new(
            "me, scheme in lowercase",
            TestRequest::get(ME).header("authorization", format!("bearer {token}")),
            Expect::status(200),
        ),
        Case::new(
            "me with two Authorization headers",
            TestRequest::get(ME)
                .header("authorization", bearer(token))
                .header("authorization", bearer(token)),
            Expect::problem(400, "MALFORMED_REQUEST")
                .header("www-authenticate", "Bearer error=\"invalid_request\""),
        ),
        Case::new(
            "me with garbage",
            TestRequest::get(ME).header("authorization", "Bearer hunter2"),
            Expect::problem(401, "INVALID_TOKEN")
                .header("www-authenticate", "Bearer error=\"invalid_token\"")
                .never("hunter2"),
        ),
        Case::new(
            "me with alg none",
            TestRequest::get(ME).header("authorization", bearer(&alg_none)),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "me with a token of another secret",
            TestRequest::get(ME).header(
                "authorization",
                bearer(&mint(
                    "another-secret-of-32-bytes-or-more!!",
                    "shieldwall-demo-api",
                    0,
                    900,
                )),
            ),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "me with a token for another audience",
            TestRequest::get(ME).header(
                "authorization",
                bearer(&mint(SECRET, "another-api", 0, 900)),
            ),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "me with an expired token",
            TestRequest::get(ME).header(
                "authorization",
                bearer(&mint(SECRET, "shieldwall-demo-api", 7200, 3600)),
            ),
            Expect::problem(401, "TOKEN_EXPIRED")
                .header("www-authenticate", "Bearer error=\"invalid_token\""),
        ),
        Case::new(
            "me with an 9 KiB token",
            TestRequest::get(ME).header("authorization", bearer(&"a".repeat(9 * 1024))),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "logout",
            TestRequest::post(LOGOUT).header("authorization", bearer(token)),
            Expect::status(204),
        ),
        Case::new(
            "me after logout",
            TestRequest::get(ME).header("authorization", bearer(token)),
            Expect::problem(401, "TOKEN_REVOKED")
                .header("www-authenticate", "Bearer error=\"invalid_token\""),
        ),
        Case::new(
            "logout again",
            TestRequest::post(LOGOUT).header("authorization", bearer(token)),
            Expect::problem(401, "TOKEN_REVOKED"),
        ),
        Case::new(
            "logout without a token",
            TestRequest::post(LOGOUT),
            Expect::problem(401, "BEARER_TOKEN_REQUIRED"),
        ),
        Case::new(
            "wrong method on a bearer route: 405 before authentication",
            TestRequest::new("DELETE", ME),
            Expect::problem(405, "METHOD_NOT_ALLOWED")
                .header("allow", "GET,HEAD")
                .no_header("www-authenticate"),
        ),
    ]
}

/// Runs the steps on one server: logs in first to learn the token, and masks
/// it in the login answer so that both servers' answers compare.
fn run(server: &ServerProcess) -> (Vec<Case>, Vec<Observed>) {
    let login = server
        .send(&TestRequest::post(LOGIN).json(&login_body("alice@example.com", "alice-password-1")))
        .unwrap();
    assert_eq!(login.status, 200, "{}", login.text());
    let token = login.json().unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases = steps(&token);
    let mut answers = Vec::new();
    let mut fresh = token.clone();
    for case in &cases {
        let mut request = case.request.clone();
        // Each run logs in at step "login": use that token from then on.
        for (_, value) in &mut request.headers {
            let text = String::from_utf8_lossy(value).replace(&token, &fresh);
            *value = text.into_bytes();
        }
        let mut observed = server.send(&request).unwrap();
        if case.name == "login" {
            let json = observed.json().unwrap();
            fresh = json["access_token"].as_str().unwrap().to_owned();
            assert_eq!(json["token_type"], "Bearer");
            assert_eq!(json["expires_in"], 900);
            assert_eq!(fresh.split('.').count(), 3);
            observed.body = String::from_utf8_lossy(&observed.body)
                .replace(&fresh, "<token>")
                .into_bytes();
        }
        answers.push(observed);
    }
    (cases, answers)
}

fn run_all(env: &[(&str, &str)]) {
    let mut runs = Vec::new();
    let mut cases = Vec::new();
    for name in SERVERS {
        let mut env = env.to_vec();
        env.push(("SHIELDWALL_JWT_SECRET", SECRET));
        let server = ServerProcess::start(&binary(name), &env).unwrap_or_else(|e| panic!("{e}"));
        let (steps, answers) = run(&server);
        cases = steps;
        runs.push((name, answers));
    }
    assert_cases(&runs, &cases);
}

#[test]
fn bearer_routes_on_memory_stores() {
    run_all(&[]);
}

#[test]
fn bearer_routes_with_redis() {
    let url = shieldwall_redis::testing::redis_url();
    run_all(&[("REDIS_URL", url.as_str())]);
}

#[test]
fn a_logout_on_one_process_is_seen_by_the_other_at_once() {
    let url = shieldwall_redis::testing::redis_url();
    let env = [
        ("REDIS_URL", url.as_str()),
        ("SHIELDWALL_JWT_SECRET", SECRET),
    ];
    let axum = ServerProcess::start(&binary("example-axum-api"), &env).unwrap();
    let actix = ServerProcess::start(&binary("example-actix-api"), &env).unwrap();
    let login = axum
        .send(&TestRequest::post(LOGIN).json(&login_body("bob@example.com", "bob-password-2")))
        .unwrap();
    let token = login.json().unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = |server: &ServerProcess| {
        server
            .send(&TestRequest::get(ME).header("authorization", bearer(&token)))
            .unwrap()
    };
    assert_eq!(me(&axum).status, 200);
    assert_eq!(
        me(&actix).status,
        200,
        "a token from one instance works on the other"
    );
    let logout = actix
        .send(&TestRequest::post(LOGOUT).header("authorization", bearer(&token)))
        .unwrap();
    assert_eq!(logout.status, 204);
    for server in [&axum, &actix] {
        let answer = me(server);
        assert_eq!(answer.status, 401, "{}", server.name());
        assert_eq!(
            answer.json().unwrap()["code"],
            "TOKEN_REVOKED",
            "{}",
            server.name()
        );
    }
}
