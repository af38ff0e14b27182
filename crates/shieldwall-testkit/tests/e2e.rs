//! End to end: both example servers as processes on loopback, driven over
//! real HTTP with the raw client, once with memory stores and once with the
//! test `redis-server`. Every answer must meet its case, and both servers
//! must answer alike.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use shieldwall_testkit::server::{ServerProcess, binary, run_to_exit};
use shieldwall_testkit::{Case, Expect, TestRequest, assert_cases};

const SERVERS: [&str; 2] = ["example-axum-api", "example-actix-api"];

fn cases() -> Vec<Case> {
    let long_id = "r".repeat(129);
    vec![
        Case::new(
            "health",
            TestRequest::get("/health"),
            Expect::status(200).json(serde_json::json!({"status": "ok"})),
        ),
        Case::new(
            "health, HEAD",
            TestRequest::new("HEAD", "/health"),
            Expect::status(200),
        ),
        Case::new(
            "health with a query string",
            TestRequest::get("/health?verbose=1"),
            Expect::status(200).json(serde_json::json!({"status": "ok"})),
        ),
        Case::new(
            "request id kept",
            TestRequest::get("/health").header("x-request-id", "e2e-1:a.b_c"),
            Expect::status(200).request_id("e2e-1:a.b_c"),
        ),
        Case::new(
            "request id too long is replaced",
            TestRequest::get("/health").header("x-request-id", &long_id),
            Expect::status(200).never(&long_id),
        ),
        Case::new(
            "request id with invalid bytes is replaced",
            TestRequest::get("/health").header("x-request-id", b"\xff\xfeid"),
            Expect::status(200),
        ),
        Case::new(
            "two request ids: the first is judged",
            TestRequest::get("/health")
                .header("x-request-id", "first")
                .header("x-request-id", "second"),
            Expect::status(200).request_id("first"),
        ),
        Case::new(
            "unknown path",
            TestRequest::get("/nope"),
            Expect::problem(404, "NOT_FOUND"),
        ),
        Case::new(
            "unknown path keeps the request id in the body",
            TestRequest::get("/nope").header("x-request-id", "e2e-404"),
            Expect::problem(404, "NOT_FOUND").request_id("e2e-404"),
        ),
        Case::new(
            "unknown v1 path",
            TestRequest::get("/api/v1/nope"),
            Expect::problem(404, "NOT_FOUND"),
        ),
        Case::new(
            "unknown path with percent-encoding",
            TestRequest::get("/%2e%2e/%2e%2e/etc/passwd"),
            Expect::problem(404, "NOT_FOUND"),
        ),
        Case::new(
            "percent-encoded letters in a known path",
            TestRequest::get("/heal%74h"),
            Expect::problem(404, "NOT_FOUND"),
        ),
        Case::new(
            "another api version",
            TestRequest::get("/api/v2/users"),
            Expect::problem(404, "UNSUPPORTED_VERSION"),
        ),
        Case::new(
            "api version 0, any method",
            TestRequest::new("DELETE", "/api/v0/things/1"),
            Expect::problem(404, "UNSUPPORTED_VERSION"),
        ),
        Case::new(
            "an unknown version, many digits",
            TestRequest::get("/api/v12/x"),
            Expect::problem(404, "UNSUPPORTED_VERSION").never("v12"),
        ),
        Case::new(
            "not spelled as a version: the router's 404",
            TestRequest::get("/api/v01/users"),
            Expect::problem(404, "NOT_FOUND"),
        ),
        Case::new(
            "a letter for a version: the router's 404",
            TestRequest::get("/api/vx/users"),
            Expect::problem(404, "NOT_FOUND"),
        ),
        Case::new(
            "more digits than any version: the router's 404",
            TestRequest::get("/api/v99999999999/x"),
            Expect::problem(404, "NOT_FOUND"),
        ),
        Case::new(
            "not a version",
            TestRequest::get("/api/vX/users"),
            Expect::problem(404, "NOT_FOUND"),
        ),
        Case::new(
            "wrong method",
            TestRequest::post("/health"),
            Expect::problem(405, "METHOD_NOT_ALLOWED").header("allow", "GET,HEAD"),
        ),
        Case::new(
            "wrong method with a body",
            TestRequest::new("PUT", "/health").json(r#"{"password":"hunter2"}"#),
            Expect::problem(405, "METHOD_NOT_ALLOWED")
                .header("allow", "GET,HEAD")
                .never("hunter2"),
        ),
    ]
}

fn run_all(env: &[(&str, &str)]) {
    let cases = cases();
    let mut runs = Vec::new();
    for name in SERVERS {
        let server = ServerProcess::start(&binary(name), env).unwrap_or_else(|e| panic!("{e}"));
        let stores = if env.iter().any(|(k, _)| *k == "REDIS_URL") {
            "stores: redis (REDIS_URL)"
        } else if env.iter().any(|(k, _)| *k == "REDIS_CLUSTER_NODES") {
            "stores: redis cluster (REDIS_CLUSTER_NODES)"
        } else {
            "stores: memory"
        };
        assert!(
            server.output().iter().any(|line| line.starts_with(stores)),
            "{name} does not say `{stores}`: {:?}",
            server.output()
        );
        let answers = cases
            .iter()
            .map(|c| server.send(&c.request).unwrap())
            .collect();
        runs.push((name, answers));
    }
    assert_cases(&runs, &cases);
}

#[test]
fn both_servers_answer_the_shared_cases_alike_on_memory_stores() {
    run_all(&[]);
}

#[test]
fn both_servers_answer_the_shared_cases_alike_with_redis() {
    let url = shieldwall_redis::testing::redis_url();
    run_all(&[("REDIS_URL", url.as_str())]);
}

#[test]
fn both_servers_answer_the_shared_cases_alike_on_a_redis_cluster() {
    let nodes = shieldwall_redis::testing::cluster_nodes();
    run_all(&[("REDIS_CLUSTER_NODES", nodes.as_str())]);
}

#[test]
fn the_banner_names_users_and_secret_sources_but_no_secret() {
    for name in SERVERS {
        let server = ServerProcess::start(
            &binary(name),
            &[(
                "SHIELDWALL_JWT_SECRET",
                "an-hs256-secret-of-32-bytes-or-more!",
            )],
        )
        .unwrap();
        let output = server.output().join("\n");
        assert!(output.contains("alice@example.com"), "{name}: {output}");
        assert!(output.contains("bob@example.com"), "{name}: {output}");
        assert!(
            output.contains("jwt secret: from the environment"),
            "{name}: {output}"
        );
        for secret in ["alice-password-1", "bob-password-2", "an-hs256-secret"] {
            assert!(!output.contains(secret), "{name} printed {secret}");
        }
        assert!(output.contains(&format!("listening on http://{}", server.addr())));
    }
}

#[test]
fn a_bad_value_stops_start_up_with_one_line_naming_the_variable() {
    let cases: &[(&str, &str)] = &[
        ("SHIELDWALL_JWT_SECRET", "too-short-hunter2"),
        ("SHIELDWALL_LIMIT_PUBLIC", "lots"),
        ("SHIELDWALL_TRUSTED_PROXIES", "10.0.0.0/33"),
        ("SHIELDWALL_CORS_ORIGINS", "*"),
        ("SHIELDWALL_REQUIRE_HTTPS", "maybe"),
        ("SHIELDWALL_RATE_LIMIT_ON_STORE_ERROR", "later"),
        ("SHIELDWALL_JWT_TTL_SECS", "-5"),
        ("REDIS_URL", "mysql://localhost"),
    ];
    for name in SERVERS {
        for (var, value) in cases {
            let (code, output) = run_to_exit(&binary(name), &[(var, value)]).unwrap();
            assert_eq!(code, Some(2), "{name} {var}={value}: {output}");
            let lines: Vec<&str> = output.lines().collect();
            assert_eq!(lines.len(), 1, "{name} {var}={value}: {output}");
            assert!(
                lines[0].starts_with(&format!("{var}: ")),
                "{name}: {output}"
            );
            assert!(!output.contains("hunter2"), "{name}: {output}");
        }
    }
}

#[test]
fn an_unreachable_redis_stops_start_up() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://:pw-hunter2@127.0.0.1:{port}");
    for name in SERVERS {
        let (code, output) = run_to_exit(&binary(name), &[("REDIS_URL", url.as_str())]).unwrap();
        assert_eq!(code, Some(2), "{name}: {output}");
        assert!(output.starts_with("REDIS_URL: "), "{name}: {output}");
        assert!(!output.contains("hunter2"), "{name}: {output}");
    }
}

#[test]
fn an_address_in_use_stops_start_up() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    for name in SERVERS {
        let (code, output) =
            run_to_exit(&binary(name), &[("SHIELDWALL_ADDR", addr.as_str())]).unwrap();
        assert_eq!(code, Some(2), "{name}: {output}");
        assert!(
            output.lines().any(|l| l.starts_with("SHIELDWALL_ADDR: ")),
            "{name}: {output}"
        );
    }
}

#[test]
fn the_single_crate_example_runs_and_shows_what_exists() {
    let url = shieldwall_redis::testing::redis_url();
    let binary = binary("example-single-crate");
    let (code, output) = run_to_exit(&binary, &[("REDIS_URL", url.as_str())]).unwrap();
    assert_eq!(code, Some(0), "{output}");
    for expected in [
        "client behind the proxy: 2001:db8:1:2::99",
        "its rate-limit key: 2001:db8:1:2::/64",
        "the guard's secret in a log line: Secret([REDACTED])",
        "no token: reject: API_KEY_REQUIRED",
        "a wrong token: reject: INVALID_API_KEY",
        "the right token: continue as Some(\"batch-job\")",
        "500 Internal Server Error {",
        "redis: PING answered in",
    ] {
        assert!(
            output.contains(expected),
            "missing {expected:?} in:\n{output}"
        );
    }
    assert!(!output.contains("db:5432"), "{output}");
    assert!(!output.contains("s3cr3t-token"), "{output}");
}
