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
fn bearer_routes_on_a_redis_cluster() {
    let nodes = shieldwall_redis::testing::cluster_nodes();
    run_all(&[("REDIS_CLUSTER_NODES", nodes.as_str())]);
}

#[test]
fn a_logout_on_one_process_is_seen_by_the_other_within_a_second() {
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
    // The other process learns it by pub/sub (its revocation replica).
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    while me(&axum).status == 200 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
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

/// An HS256 token over exactly these claims, signed with the servers' secret
/// (the issuer writes whole-second dates; these tests need other spellings).
fn sign_claims(claims: &serde_json::Value) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use hmac::{Hmac, KeyInit, Mac};
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let input = format!("{header}.{payload}");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// The `exp` of a token, as the server wrote it.
fn exp_of(token: &str) -> u64 {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    claims["exp"].as_u64().unwrap()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn wait_until_unix(second: u64) {
    while unix_now() < second {
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn code_of(answer: &Observed) -> String {
    answer
        .json()
        .and_then(|j| j["code"].as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("status {}", answer.status))
}

const LEEWAY: u64 = 5;

/// A 2-second token, logged out at once, is refused for the whole leeway
/// after its `exp` (where the verifier still accepts unrevoked tokens), and a
/// logout sent inside that leeway revokes as well.
fn revoked_through_the_leeway(name: &str, redis: Option<&str>) {
    let leeway = LEEWAY.to_string();
    let mut env = vec![
        ("SHIELDWALL_JWT_SECRET", SECRET),
        ("SHIELDWALL_JWT_TTL_SECS", "2"),
        ("SHIELDWALL_JWT_LEEWAY_SECS", leeway.as_str()),
    ];
    env.extend(redis.map(|url| ("REDIS_URL", url)));
    let server = ServerProcess::start(&binary(name), &env).unwrap();
    let early = server
        .bearer("alice@example.com", "alice-password-1")
        .unwrap();
    let late = server.bearer("bob@example.com", "bob-password-2").unwrap();
    let (early_exp, late_exp) = (exp_of(&early[7..]), exp_of(&late[7..]));
    let me = |bearer: &str| {
        server
            .send(&TestRequest::get(ME).header("authorization", bearer))
            .unwrap()
    };
    let logout = |bearer: &str| {
        server
            .send(&TestRequest::post(LOGOUT).header("authorization", bearer))
            .unwrap()
    };
    assert_eq!(logout(&early).status, 204, "{name}");
    assert_eq!(code_of(&me(&early)), "TOKEN_REVOKED", "{name}");

    // Past both tokens' exp, inside the leeway.
    wait_until_unix(early_exp.max(late_exp) + 1);
    assert_eq!(
        me(&late).status,
        200,
        "{name}: an unrevoked token inside the leeway"
    );
    assert_eq!(
        code_of(&me(&early)),
        "TOKEN_REVOKED",
        "{name}: a revoked token after exp, inside the leeway"
    );
    assert_eq!(
        logout(&late).status,
        204,
        "{name}: logout inside the leeway"
    );
    assert_eq!(
        code_of(&me(&late)),
        "TOKEN_REVOKED",
        "{name}: logged out inside the leeway"
    );
    assert!(
        unix_now() <= early_exp.min(late_exp) + LEEWAY,
        "{name}: the checks above ran inside the leeway"
    );

    // Past the leeway the tokens are expired: revoked or not.
    wait_until_unix(early_exp.max(late_exp) + LEEWAY + 1);
    for token in [&early, &late] {
        assert_eq!(code_of(&me(token)), "TOKEN_EXPIRED", "{name}");
    }
}

#[test]
fn a_revoked_token_stays_revoked_through_the_leeway() {
    let url = shieldwall_redis::testing::redis_url();
    std::thread::scope(|scope| {
        for name in SERVERS {
            scope.spawn(move || revoked_through_the_leeway(name, None));
            let url = url.as_str();
            scope.spawn(move || revoked_through_the_leeway(name, Some(url)));
        }
    });
}

/// Tokens the verifier accepts with a fractional `exp`, or one past `i64`,
/// can be logged out like any other.
fn odd_dates_revocable(server: &ServerProcess) {
    let now = unix_now();
    let odd_exps = [
        serde_json::json!(now as f64 + 600.5),
        serde_json::json!(u64::MAX),
        serde_json::json!(1e300),
    ];
    for (i, exp) in odd_exps.into_iter().enumerate() {
        let token = sign_claims(&serde_json::json!({
            "sub": "usr_1",
            "iat": now as f64 - 0.25,
            "exp": exp,
            "jti": format!("odd-date-{now}-{i}-{}", server.name()),
            "iss": "shieldwall-demo",
            "aud": "shieldwall-demo-api",
        }));
        let bearer = bearer(&token);
        let me = TestRequest::get(ME).header("authorization", &bearer);
        let context = format!("{}: exp {exp}", server.name());
        assert_eq!(server.send(&me).unwrap().status, 200, "{context}");
        let logout = server
            .send(&TestRequest::post(LOGOUT).header("authorization", &bearer))
            .unwrap();
        assert_eq!(logout.status, 204, "{context}: {}", logout.text());
        assert_eq!(
            code_of(&server.send(&me).unwrap()),
            "TOKEN_REVOKED",
            "{context}"
        );
    }
}

#[test]
fn tokens_with_odd_dates_can_be_revoked() {
    let url = shieldwall_redis::testing::redis_url();
    for name in SERVERS {
        let memory =
            ServerProcess::start(&binary(name), &[("SHIELDWALL_JWT_SECRET", SECRET)]).unwrap();
        odd_dates_revocable(&memory);
        let redis = ServerProcess::start(
            &binary(name),
            &[
                ("SHIELDWALL_JWT_SECRET", SECRET),
                ("REDIS_URL", url.as_str()),
            ],
        )
        .unwrap();
        odd_dates_revocable(&redis);
    }
}

/// The peak resident memory of a process, in KiB (`VmHWM`).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Logins from many client addresses at once (each under its own per-address
/// limit) are hashed a few at a time: memory stays bounded, the overflow is
/// told 503 with `Retry-After`, nothing is a 500, and the server keeps serving.
#[test]
fn a_login_flood_from_many_addresses_keeps_memory_bounded() {
    const FLOOD: usize = 240;
    // Each Argon2id hash holds 19 MiB: unbounded, 240 at once would need ~4.5 GiB.
    const PEAK_LIMIT_KIB: u64 = 256 * 1024;
    for name in SERVERS {
        let env = [
            ("SHIELDWALL_TRUSTED_PROXIES", "127.0.0.1/32"),
            ("SHIELDWALL_LIMIT_AUTH", "5/15m"),
        ];
        let server = ServerProcess::start(&binary(name), &env).unwrap();
        let statuses: Vec<(u16, Option<String>, String)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..FLOOD)
                .map(|i| {
                    let server = &server;
                    scope.spawn(move || {
                        let request = TestRequest::post(LOGIN)
                            .header(
                                "x-forwarded-for",
                                format!("198.18.{}.{}", i / 200, i % 200 + 1),
                            )
                            .json(&login_body("alice@example.com", "a-wrong-password"));
                        let answer = server.send(&request).unwrap();
                        (
                            answer.status,
                            answer.header("retry-after"),
                            code_of(&answer),
                        )
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let peak = peak_rss_kib(server.pid());
        assert!(
            peak < PEAK_LIMIT_KIB,
            "{name}: peak resident memory {} MiB",
            peak / 1024
        );
        let mut refused = 0;
        for (status, retry_after, code) in &statuses {
            match status {
                401 => assert_eq!(code, "INVALID_CREDENTIALS", "{name}"),
                503 => {
                    assert_eq!(code, "SERVICE_UNAVAILABLE", "{name}");
                    assert_eq!(retry_after.as_deref(), Some("1"), "{name}");
                    refused += 1;
                }
                other => panic!("{name}: a login answered {other} {code}"),
            }
        }
        assert!(
            refused > 0,
            "{name}: {FLOOD} logins at once were all hashed"
        );
        // Still serving, and a right password still logs in.
        assert_eq!(
            server.send(&TestRequest::get("/health")).unwrap().status,
            200
        );
        let login = server
            .send(
                &TestRequest::post(LOGIN)
                    .header("x-forwarded-for", "198.18.9.9")
                    .json(&login_body("alice@example.com", "alice-password-1")),
            )
            .unwrap();
        assert_eq!(login.status, 200, "{name}: {}", login.text());
    }
}
