//! End to end, the browser-facing layers of DEMO_API.md on both servers as
//! processes: CORS (preflights answered before any guard, never counted;
//! refused ones without CORS headers; `Vary: Origin` and the exposed headers
//! on every answer, 401s and 429s included), the security headers on every
//! answer, and HTTPS enforcement behind a trusted proxy.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use shieldwall_testkit::server::{ServerProcess, binary};
use shieldwall_testkit::{Case, Expect, Observed, TestRequest, assert_cases};

const SERVERS: [&str; 2] = ["example-axum-api", "example-actix-api"];
const USERS: &str = "/api/v1/users";
const ALLOWED: &str = "https://myapp.com";
const METHODS: &str = "GET, POST, PUT, DELETE, PATCH";
const ALLOW_HEADERS: &str =
    "content-type, authorization, x-api-key, signature, signature-input, content-digest";
const EXPOSE: &str =
    "x-total-count, x-page-count, x-request-id, ratelimit, ratelimit-policy, retry-after";
const PREFLIGHT_VARY: &str =
    "origin, access-control-request-method, access-control-request-headers";

/// The security headers every answer carries; `Cache-Control` on `/api`.
fn secured(expect: Expect, api: bool) -> Expect {
    let expect = expect
        .header("x-content-type-options", "nosniff")
        .header("x-frame-options", "DENY")
        .header("referrer-policy", "no-referrer")
        .header(
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'",
        )
        .header("cross-origin-resource-policy", "same-origin")
        .no_header("strict-transport-security")
        .no_header("server")
        .no_header("x-powered-by");
    if api {
        expect.header("cache-control", "no-store")
    } else {
        expect.no_header("cache-control")
    }
}

fn no_cors(expect: Expect) -> Expect {
    expect
        .no_header("access-control-allow-origin")
        .no_header("access-control-allow-credentials")
        .no_header("access-control-allow-methods")
        .no_header("access-control-allow-headers")
        .no_header("access-control-expose-headers")
        .no_header("access-control-max-age")
}

fn preflight(origin: &str, method: &str, headers: Option<&str>) -> TestRequest {
    let request = TestRequest::new("OPTIONS", USERS)
        .header("origin", origin)
        .header("access-control-request-method", method);
    match headers {
        Some(h) => request.header("access-control-request-headers", h),
        None => request,
    }
}

fn cases() -> Vec<Case> {
    let mut cases = vec![
        Case::new(
            "an allowed preflight",
            preflight(
                ALLOWED,
                "POST",
                Some("content-type,authorization,x-api-key"),
            ),
            secured(
                Expect::status(204)
                    .header("access-control-allow-origin", ALLOWED)
                    .header("access-control-allow-credentials", "true")
                    .header("access-control-allow-methods", METHODS)
                    .header("access-control-allow-headers", ALLOW_HEADERS)
                    .header("access-control-max-age", "86400")
                    .header("vary", PREFLIGHT_VARY)
                    .no_header("access-control-allow-private-network")
                    .no_header("allow"),
                true,
            ),
        ),
        Case::new(
            "an allowed preflight for an unknown path: answered the same, routing not consulted",
            TestRequest::new("OPTIONS", "/api/v1/hidden-admin")
                .header("origin", "https://admin.myapp.com")
                .header("access-control-request-method", "DELETE"),
            Expect::status(204).header("access-control-allow-origin", "https://admin.myapp.com"),
        ),
        Case::new(
            "an allowed preflight for a bearer route: answered before authentication",
            TestRequest::new("OPTIONS", "/api/v1/protected/me")
                .header("origin", ALLOWED)
                .header("access-control-request-method", "GET")
                .header("access-control-request-headers", "authorization"),
            Expect::status(204).no_header("www-authenticate"),
        ),
        Case::new(
            "a preflight asking for a method outside the list",
            preflight(ALLOWED, "TRACE", None),
            no_cors(secured(Expect::problem(403, "CORS_FORBIDDEN"), true))
                .header("vary", PREFLIGHT_VARY),
        ),
        Case::new(
            "a preflight asking for a header outside the list",
            preflight(ALLOWED, "POST", Some("content-type, x-evil")),
            no_cors(Expect::problem(403, "CORS_FORBIDDEN")),
        ),
        Case::new(
            "a preflight asking for private network access",
            preflight(ALLOWED, "GET", None)
                .header("access-control-request-private-network", "true"),
            no_cors(Expect::problem(403, "CORS_FORBIDDEN")),
        ),
        Case::new(
            "a preflight with two Origin headers",
            preflight(ALLOWED, "GET", None).header("origin", ALLOWED),
            no_cors(Expect::problem(403, "CORS_FORBIDDEN")),
        ),
        Case::new(
            "an allowed origin's request: the answer (a 401) carries the CORS headers",
            TestRequest::get(USERS).header("origin", ALLOWED),
            secured(
                Expect::problem(401, "API_KEY_REQUIRED")
                    .header("access-control-allow-origin", ALLOWED)
                    .header("access-control-allow-credentials", "true")
                    .header("access-control-expose-headers", EXPOSE)
                    .header("vary", "origin"),
                true,
            ),
        ),
        Case::new(
            "a bearer route's 401 carries them too",
            TestRequest::get("/api/v1/protected/me").header("origin", ALLOWED),
            Expect::problem(401, "BEARER_TOKEN_REQUIRED")
                .header("access-control-allow-origin", ALLOWED)
                .header("www-authenticate", "Bearer"),
        ),
        Case::new(
            "no Origin: Vary only",
            TestRequest::get(USERS),
            no_cors(Expect::problem(401, "API_KEY_REQUIRED")).header("vary", "origin"),
        ),
        Case::new(
            "health: security headers, no Cache-Control, not limited",
            TestRequest::get("/health").header("origin", ALLOWED),
            secured(Expect::status(200), false)
                .header("access-control-allow-origin", ALLOWED)
                .no_header("ratelimit"),
        ),
        Case::new(
            "a 404 gets the security headers",
            TestRequest::get("/nope"),
            secured(Expect::problem(404, "NOT_FOUND"), false),
        ),
        Case::new(
            "a 405 gets them, with Allow",
            TestRequest::new("PUT", USERS),
            secured(Expect::problem(405, "METHOD_NOT_ALLOWED"), true)
                .header("allow", "GET,HEAD,POST"),
        ),
        Case::new(
            "a screened path gets them",
            TestRequest::get("/%61pi/v1/users"),
            secured(Expect::problem(404, "NOT_FOUND"), false),
        ),
        Case::new(
            "a forwarded proto from an untrusted peer is not HTTPS: no HSTS",
            TestRequest::get("/health").header("x-forwarded-proto", "https"),
            Expect::status(200).no_header("strict-transport-security"),
        ),
    ];
    for origin in [
        "https://evil.test",
        "null",
        "https://myapp.com.evil.test",
        "https://evilmyapp.com",
        "http://myapp.com",
        "https://myapp.com:8443",
        "https://MYAPP.com",
        "https://myapp.com.",
        "https://myapp.com/",
        "https://sub.myapp.com",
    ] {
        cases.push(Case::new(
            "a preflight from an origin that is not allowed",
            preflight(origin, "GET", None),
            no_cors(Expect::problem(403, "CORS_FORBIDDEN")).never(origin),
        ));
        cases.push(Case::new(
            "a request from an origin that is not allowed: no CORS headers, never reflected",
            TestRequest::get(USERS).header("origin", origin),
            no_cors(Expect::problem(401, "API_KEY_REQUIRED"))
                .header("vary", "origin")
                .never(origin),
        ));
    }
    cases
}

fn run_all(env: &[(&str, &str)]) {
    let cases = cases();
    let mut runs = Vec::new();
    for name in SERVERS {
        let server = ServerProcess::start(&binary(name), env).unwrap();
        let answers: Vec<Observed> = cases
            .iter()
            .map(|case| server.send(&case.request).unwrap())
            .collect();
        runs.push((name, answers));
    }
    assert_cases(&runs, &cases);
}

#[test]
fn cors_and_security_headers_on_both_servers() {
    run_all(&[]);
}

#[test]
fn cors_and_security_headers_with_redis() {
    let url = shieldwall_redis::testing::redis_url();
    run_all(&[("REDIS_URL", url.as_str())]);
}

/// Preflights are answered before the public limit: never counted, never
/// refused by it; the 429 of a limited client carries the CORS headers (so a
/// script can read `Retry-After`) and, on both frameworks, no `Allow`.
#[test]
fn preflights_are_never_counted_and_429s_keep_their_cors_headers() {
    for name in SERVERS {
        let server =
            ServerProcess::start(&binary(name), &[("SHIELDWALL_LIMIT_PUBLIC", "2/1m")]).unwrap();
        for origin in [ALLOWED, "https://evil.test"] {
            for _ in 0..5 {
                let answer = server.send(&preflight(origin, "GET", None)).unwrap();
                assert!(answer.status == 204 || answer.status == 403, "{name}");
                assert!(
                    answer.header("ratelimit").is_none(),
                    "{name}: a preflight counted"
                );
            }
        }
        for _ in 0..2 {
            let answer = server
                .send(&TestRequest::get(USERS).header("origin", ALLOWED))
                .unwrap();
            assert_eq!(answer.status, 401, "{name}: {}", answer.text());
        }
        for request in [
            TestRequest::get(USERS).header("origin", ALLOWED),
            TestRequest::new("PUT", USERS).header("origin", ALLOWED),
            TestRequest::new("PUT", "/api/v1/auth/logout").header("origin", ALLOWED),
            TestRequest::new("OPTIONS", USERS)
                .header("origin", ALLOWED)
                .header("x-not-a-preflight", "1"),
        ] {
            let answer = server.send(&request).unwrap();
            let context = format!("{name}: {} {}", request.method, request.target);
            assert_eq!(answer.status, 429, "{context}: {}", answer.text());
            assert_eq!(
                answer.header("access-control-allow-origin").as_deref(),
                Some(ALLOWED),
                "{context}"
            );
            assert_eq!(
                answer.header("access-control-expose-headers").as_deref(),
                Some(EXPOSE),
                "{context}"
            );
            assert!(answer.header("retry-after").is_some(), "{context}");
            assert!(
                answer.header("allow").is_none(),
                "{context}: a 429 tells no route apart"
            );
        }
        // Preflights still answered while the client is limited.
        assert_eq!(
            server
                .send(&preflight(ALLOWED, "GET", None))
                .unwrap()
                .status,
            204,
            "{name}"
        );
    }
}

/// `SHIELDWALL_REQUIRE_HTTPS=true` behind a trusted proxy: plain HTTP is 403
/// `HTTPS_REQUIRED` (no redirect), the proxy's `X-Forwarded-Proto: https`
/// gets through with HSTS; the same header from a peer that is not a trusted
/// proxy is ignored.
#[test]
fn https_is_required_and_only_a_trusted_proxy_is_believed() {
    let cases = || {
        vec![
            Case::new(
                "plain HTTP",
                TestRequest::get("/health"),
                secured(Expect::problem(403, "HTTPS_REQUIRED"), false).no_header("location"),
            ),
            Case::new(
                "plain HTTP per the proxy",
                TestRequest::get("/health").header("x-forwarded-proto", "http"),
                Expect::problem(403, "HTTPS_REQUIRED"),
            ),
            Case::new(
                "a client's own https appended before the proxy's http",
                TestRequest::get("/health").header("x-forwarded-proto", "https, http"),
                Expect::problem(403, "HTTPS_REQUIRED"),
            ),
            Case::new(
                "HTTPS per the trusted proxy",
                TestRequest::get("/health").header("x-forwarded-proto", "https"),
                Expect::status(200).header(
                    "strict-transport-security",
                    "max-age=31536000; includeSubDomains",
                ),
            ),
            Case::new(
                "HTTPS per the trusted proxy, an API route",
                TestRequest::get(USERS)
                    .header("x-forwarded-proto", "https")
                    .header("origin", ALLOWED),
                Expect::problem(401, "API_KEY_REQUIRED")
                    .header(
                        "strict-transport-security",
                        "max-age=31536000; includeSubDomains",
                    )
                    .header("access-control-allow-origin", ALLOWED)
                    .header("cache-control", "no-store"),
            ),
        ]
    };
    let trusted = [
        ("SHIELDWALL_REQUIRE_HTTPS", "true"),
        ("SHIELDWALL_TRUSTED_PROXIES", "127.0.0.1/32"),
    ];
    let cases_trusted = cases();
    let mut runs = Vec::new();
    for name in SERVERS {
        let server = ServerProcess::start(&binary(name), &trusted).unwrap();
        let answers = cases_trusted
            .iter()
            .map(|c| server.send(&c.request).unwrap())
            .collect();
        runs.push((name, answers));
    }
    assert_cases(&runs, &cases_trusted);

    // No trusted proxy: the header proves nothing.
    for name in SERVERS {
        let server =
            ServerProcess::start(&binary(name), &[("SHIELDWALL_REQUIRE_HTTPS", "true")]).unwrap();
        let answer = server
            .send(&TestRequest::get("/health").header("x-forwarded-proto", "https"))
            .unwrap();
        assert_eq!(answer.status, 403, "{name}");
        assert!(
            answer.header("strict-transport-security").is_none(),
            "{name}"
        );
    }
}
