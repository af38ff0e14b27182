//! End to end, the three rate limits of DEMO_API.md on both servers as
//! processes, on memory and on Redis: 429 with `RATE_LIMITED` and the headers,
//! headers on every answer of a limited route, the public limit on unknown
//! paths and wrong methods under `/api`, path variants that cannot
//! reach a handler with a fresh quota, a spoofed `X-Forwarded-For` from an
//! untrusted peer, exactly N of 100 concurrent requests, two processes
//! sharing one quota on Redis, and Redis going away under each failure mode.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

#[path = "support/limits.rs"]
mod limits;

use limits::{assert_limited, ratelimit};
use shieldwall_testkit::server::{GENEROUS_LIMIT, ServerProcess, binary};
use shieldwall_testkit::{Observed, TestRequest};

const SERVERS: [&str; 2] = ["example-axum-api", "example-actix-api"];
const LOGIN: &str = "/api/v1/auth/login";

fn wrong_login() -> TestRequest {
    TestRequest::post(LOGIN).json(r#"{"email":"alice@example.com","password":"not-her-password"}"#)
}

fn start(name: &str, env: &[(&str, &str)]) -> ServerProcess {
    ServerProcess::start(&binary(name), env).unwrap()
}

/// The `RateLimit-Policy` values, sorted (each guard adds its own; the order
/// is the order the guards finished in).
fn policies(answer: &Observed) -> Vec<String> {
    let mut all: Vec<String> = answer
        .header_all("ratelimit-policy")
        .iter()
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    all.sort();
    all
}

/// The auth limit (3 per 15 minutes per address) on one server.
fn auth_limit(name: &str, redis: Option<&str>) {
    let mut env = vec![("SHIELDWALL_LIMIT_AUTH", "3/15m")];
    env.extend(redis.map(|url| ("REDIS_URL", url)));
    let server = start(name, &env);
    for i in 0..3_u64 {
        let answer = server.send(&wrong_login()).unwrap();
        assert_eq!(answer.status, 401, "{name}: attempt {i}: {}", answer.text());
        // Both limits of the route, on every answer.
        assert_eq!(
            policies(&answer),
            [r#""auth";q=3;w=900"#, r#""public";q=100000;w=60"#],
            "{name}"
        );
        assert_eq!(
            ratelimit(&answer, "auth").unwrap().0,
            2 - i,
            "{name}: remaining after {}",
            i + 1
        );
        assert!(answer.header("retry-after").is_none(), "{name}");
    }
    assert_limited(&server.send(&wrong_login()).unwrap(), "auth", 900, name);
    // The right password does not get past the limit either.
    let right = TestRequest::post(LOGIN)
        .json(r#"{"email":"alice@example.com","password":"alice-password-1"}"#);
    assert_limited(&server.send(&right).unwrap(), "auth", 900, name);

    // Spellings of the path that a raw-path limit would count apart: none
    // reaches the login handler, so none is a fresh quota.
    for variant in [
        "/API/v1/auth/login",
        "/api//v1/auth/login",
        "/api/v1//auth/login",
        "/api/v1/%61uth/login",
        "/api/v1/auth/%6Cogin",
        "/api/v1/auth/login/",
        "/api/v1/auth/./login",
        "/api/v1/auth/login?x=1",
    ] {
        let request = TestRequest::post(variant)
            .json(r#"{"email":"alice@example.com","password":"alice-password-1"}"#);
        let answer = server.send(&request).unwrap();
        assert!(
            answer.status == 404 || answer.status == 429,
            "{name}: {variant} answered {} {}",
            answer.status,
            answer.text()
        );
        assert!(
            answer
                .json()
                .and_then(|j| j["access_token"].as_str().map(str::to_owned))
                .is_none(),
            "{name}: {variant}"
        );
    }

    // A client that claims another address through X-Forwarded-For, from a
    // peer that is not a trusted proxy, is still counted as itself.
    for forwarded in ["203.0.113.9", "198.51.100.1, 203.0.113.9", "::1"] {
        let spoofed = wrong_login().header("x-forwarded-for", forwarded);
        assert_limited(
            &server.send(&spoofed).unwrap(),
            "auth",
            900,
            &format!("{name}: X-Forwarded-For {forwarded}"),
        );
    }

    // Other routes are not under the auth limit; /health is under none.
    let me = server
        .send(&TestRequest::get("/api/v1/protected/me"))
        .unwrap();
    assert_eq!(me.status, 401, "{name}");
    assert!(ratelimit(&me, "auth").is_none(), "{name}");
    let health = server.send(&TestRequest::get("/health")).unwrap();
    assert_eq!(health.status, 200);
    assert!(
        health.header("ratelimit").is_none() && health.header("ratelimit-policy").is_none(),
        "{name}"
    );
}

/// The public limit (8 per minute per address) on every request under
/// `/api`: routes, unknown paths and wrong methods alike, so that scanning
/// for hidden routes is throttled too.
fn public_limit(name: &str, redis: Option<&str>) {
    let mut env = vec![("SHIELDWALL_LIMIT_PUBLIC", "8/1m")];
    env.extend(redis.map(|url| ("REDIS_URL", url)));
    let server = start(name, &env);
    let requests = [
        (TestRequest::get("/api/v1/users"), 401),
        (TestRequest::get("/api/v1/protected/me"), 401),
        (TestRequest::post("/api/v1/users"), 401),
        (wrong_login(), 401),
        (TestRequest::get("/api/v1/hidden-admin"), 404),
        (TestRequest::get("/api/v9/users"), 404),
        (TestRequest::new("PUT", "/api/v1/users"), 405),
        (TestRequest::get("/api"), 404),
    ];
    for (i, (request, status)) in requests.iter().enumerate() {
        let answer = server.send(request).unwrap();
        let context = format!("{name}: {} {}", request.method, request.target);
        assert_eq!(answer.status, *status, "{context}: {}", answer.text());
        let (remaining, _) =
            ratelimit(&answer, "public").unwrap_or_else(|| panic!("{context}: no RateLimit"));
        assert_eq!(remaining, 7 - i as u64, "{context}");
    }
    for (request, _) in &requests {
        let context = format!("{name}: {} {}", request.method, request.target);
        assert_limited(&server.send(request).unwrap(), "public", 60, &context);
    }
    // Outside `/api` nothing is limited: /health, and paths that only look alike.
    for target in ["/health", "/apis", "/nope"] {
        let answer = server.send(&TestRequest::get(target)).unwrap();
        assert_ne!(answer.status, 429, "{name}: {target}");
        assert!(answer.header("ratelimit").is_none(), "{name}: {target}");
    }
}

/// The user limit (2 per minute per user), behind the bearer guard.
fn user_limit(name: &str, redis: Option<&str>) {
    let mut env = vec![("SHIELDWALL_LIMIT_USER", "2/1m")];
    env.extend(redis.map(|url| ("REDIS_URL", url)));
    let server = start(name, &env);
    let alice = server
        .bearer("alice@example.com", "alice-password-1")
        .unwrap();
    let bob = server.bearer("bob@example.com", "bob-password-2").unwrap();
    // Bad tokens are refused before the user limit: they neither count nor
    // get buckets of their own.
    for bad in ["Bearer nonsense", "Bearer a.b.c", "Basic YWxpY2U6eA=="] {
        let answer = server
            .send(&TestRequest::get("/api/v1/protected/me").header("authorization", bad))
            .unwrap();
        assert_eq!(answer.status, 401, "{name}");
        assert!(ratelimit(&answer, "user").is_none(), "{name}: {bad}");
    }
    for i in 0..2_u64 {
        let answer = server
            .send(&TestRequest::get("/api/v1/protected/me").header("authorization", &alice))
            .unwrap();
        assert_eq!(answer.status, 200, "{name}: {}", answer.text());
        assert_eq!(ratelimit(&answer, "user").unwrap().0, 1 - i, "{name}");
        assert!(
            policies(&answer).contains(&r#""user";q=2;w=60"#.to_owned()),
            "{name}"
        );
    }
    let keys = TestRequest::get("/api/v1/protected/keys").header("authorization", &alice);
    assert_limited(&server.send(&keys).unwrap(), "user", 60, name);
    // Bob has his own count.
    let answer = server
        .send(&TestRequest::get("/api/v1/protected/me").header("authorization", &bob))
        .unwrap();
    assert_eq!(answer.status, 200, "{name}: {}", answer.text());
}

#[test]
fn auth_public_and_user_limits_on_memory_stores() {
    for name in SERVERS {
        auth_limit(name, None);
        public_limit(name, None);
        user_limit(name, None);
    }
}

#[test]
fn auth_public_and_user_limits_on_redis() {
    for (name, db) in SERVERS.into_iter().zip([4, 5]) {
        let url = shieldwall_redis::testing::fresh_database_url(db);
        auth_limit(name, Some(&url));
        let url = shieldwall_redis::testing::fresh_database_url(db);
        public_limit(name, Some(&url));
        let url = shieldwall_redis::testing::fresh_database_url(db);
        user_limit(name, Some(&url));
    }
}

/// 100 concurrent logins, half to each server; how many were not refused.
fn concurrent_logins(servers: [&ServerProcess; 2]) -> usize {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..100)
            .map(|i| {
                let server = servers[i % 2];
                scope.spawn(move || server.send(&wrong_login()).unwrap().status)
            })
            .collect();
        let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(
            statuses.iter().all(|s| *s == 401 || *s == 429),
            "{statuses:?}"
        );
        statuses.iter().filter(|s| **s == 401).count()
    })
}

#[test]
fn exactly_n_of_100_concurrent_requests_pass_in_memory() {
    for name in SERVERS {
        let server = start(name, &[("SHIELDWALL_LIMIT_AUTH", "7/15m")]);
        assert_eq!(concurrent_logins([&server, &server]), 7, "{name}");
    }
}

#[test]
fn two_processes_on_one_redis_share_one_quota_exactly() {
    let url = shieldwall_redis::testing::fresh_database_url(6);
    let env = [
        ("SHIELDWALL_LIMIT_AUTH", "7/15m"),
        ("REDIS_URL", url.as_str()),
    ];
    let axum = start("example-axum-api", &env);
    let actix = start("example-actix-api", &env);
    assert_eq!(concurrent_logins([&axum, &actix]), 7);
    // Both now refuse the same client.
    assert_limited(
        &axum.send(&wrong_login()).unwrap(),
        "auth",
        900,
        "axum after the burst",
    );
    assert_limited(
        &actix.send(&wrong_login()).unwrap(),
        "auth",
        900,
        "actix after the burst",
    );
}

#[test]
fn redis_going_away_under_each_failure_mode() {
    for name in SERVERS {
        for mode in ["closed", "open", "memory"] {
            let mut redis = shieldwall_redis::testing::OwnServer::start();
            let url = redis.url();
            let env = [
                ("REDIS_URL", url.as_str()),
                ("SHIELDWALL_LIMIT_AUTH", "2/15m"),
                ("SHIELDWALL_LIMIT_PUBLIC", GENEROUS_LIMIT),
                ("SHIELDWALL_RATE_LIMIT_ON_STORE_ERROR", mode),
            ];
            let server = start(name, &env);
            assert_eq!(
                server.send(&wrong_login()).unwrap().status,
                401,
                "{name} {mode}"
            );
            redis.kill();
            let answers: Vec<Observed> = (0..4)
                .map(|_| server.send(&wrong_login()).unwrap())
                .collect();
            let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
            match mode {
                "closed" => {
                    for answer in &answers {
                        assert_eq!(answer.status, 503, "{name} {mode}: {}", answer.text());
                        assert_eq!(answer.json().unwrap()["code"], "SERVICE_UNAVAILABLE");
                        assert!(answer.header("retry-after").is_some(), "{name} {mode}");
                        assert!(
                            !answer.text().contains("127.0.0.1"),
                            "{name} {mode}: no internals"
                        );
                    }
                }
                "open" => assert_eq!(statuses, [401, 401, 401, 401], "{name} {mode}"),
                // A local count with the same quota (this process has seen none of it).
                _ => assert_eq!(statuses, [401, 401, 429, 429], "{name} {mode}"),
            }
            assert!(
                server.send(&TestRequest::get("/health")).unwrap().status == 200,
                "{name} {mode}"
            );
        }
    }
}
