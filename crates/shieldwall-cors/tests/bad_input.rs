//! The CORS decision against hostile and odd requests, on plain
//! `http::Request` values (the adapters only apply it; the parity and
//! end-to-end suites run it through both frameworks).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::time::Duration;

use shieldwall_core::{Decision, Guard, Step};
use shieldwall_cors::{CorsConfigError, CorsPolicy};

fn demo() -> CorsPolicy {
    CorsPolicy::builder()
        .allow_origins(["https://myapp.com", "https://admin.myapp.com"])
        .allow_methods(["GET", "POST", "PUT", "DELETE", "PATCH"])
        .allow_headers([
            "Content-Type",
            "Authorization",
            "X-API-Key",
            "Signature",
            "Signature-Input",
            "Content-Digest",
        ])
        .expose_headers([
            "X-Total-Count",
            "X-Page-Count",
            "X-Request-Id",
            "RateLimit",
            "RateLimit-Policy",
            "Retry-After",
        ])
        .allow_credentials()
        .max_age(Duration::from_secs(86_400))
        .build()
        .unwrap()
}

fn request(method: &str, headers: &[(&str, &[u8])]) -> http::Request<()> {
    let mut builder = http::Request::builder().method(method).uri("/api/v1/users");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap()
}

/// What the guard decided, as (status, headers) of a response or the grant's headers.
fn decide(policy: &CorsPolicy, request: &http::Request<()>) -> (Option<u16>, http::HeaderMap) {
    match policy.extract(request) {
        Step::Done(Decision::Continue(grant)) => {
            let mut headers = grant.headers;
            if let Some(shared) = &grant.shared_headers {
                shieldwall_core::append_headers_from(shared, &mut headers);
            }
            (None, headers)
        }
        Step::Done(Decision::Respond(response)) => {
            (Some(response.status().as_u16()), response.headers().clone())
        }
        Step::Done(Decision::Reject(error)) => {
            (Some(error.status().as_u16()), error.headers().clone())
        }
        Step::Decide(()) => panic!("CORS decides at once"),
    }
}

fn preflight(origin: &[u8], method: &[u8], headers: Option<&[u8]>) -> http::Request<()> {
    let mut list: Vec<(&str, &[u8])> = vec![
        ("origin", origin),
        ("access-control-request-method", method),
    ];
    if let Some(h) = headers {
        list.push(("access-control-request-headers", h));
    }
    request("OPTIONS", &list)
}

fn has_cors_headers(headers: &http::HeaderMap) -> bool {
    headers
        .keys()
        .any(|name| name.as_str().starts_with("access-control-"))
}

const NOT_ALLOWED: &[&[u8]] = &[
    b"https://evil.test",
    b"null",
    b"https://myapp.com.evil.test",
    b"https://evilmyapp.com",
    b"https://evil.test/https://myapp.com",
    b"http://myapp.com",
    b"https://myapp.com:8443",
    b"https://myapp.com:443",
    b"https://MYAPP.com",
    b"HTTPS://myapp.com",
    b"https://myapp.com.",
    b"https://myapp.com/",
    b"https://myapp.com ",
    b" https://myapp.com",
    b"https://myapp.com%0d%0aSet-Cookie:%20x=1",
    b"https://sub.myapp.com",
    b"*",
    b"",
    b"https://myapp.co",
    b"https://myapp.comm",
    b"\xffhttps://myapp.com",
];

#[test]
fn an_allowed_origin_gets_the_configured_value_and_the_exposed_headers() {
    let policy = demo();
    let (status, headers) = decide(
        &policy,
        &request("GET", &[("origin", b"https://myapp.com")]),
    );
    assert_eq!(status, None);
    assert_eq!(headers["access-control-allow-origin"], "https://myapp.com");
    assert_eq!(headers["access-control-allow-credentials"], "true");
    assert_eq!(
        headers["access-control-expose-headers"],
        "x-total-count, x-page-count, x-request-id, ratelimit, ratelimit-policy, retry-after"
    );
    assert_eq!(headers["vary"], "origin");
}

#[test]
fn other_origins_get_no_cors_headers_only_vary() {
    let policy = demo();
    for origin in NOT_ALLOWED {
        let (status, headers) = decide(&policy, &request("GET", &[("origin", origin)]));
        assert_eq!(
            status, None,
            "{origin:?}: the request goes on (CORS is not authorization)"
        );
        assert!(
            !has_cors_headers(&headers),
            "{:?}",
            String::from_utf8_lossy(origin)
        );
        assert_eq!(headers["vary"], "origin");
    }
    // No Origin at all: same.
    let (_, headers) = decide(&policy, &request("GET", &[]));
    assert!(!has_cors_headers(&headers));
    assert_eq!(headers["vary"], "origin");
    // Two Origin headers, one of them allowed: not allowed.
    let two = request(
        "GET",
        &[
            ("origin", b"https://myapp.com"),
            ("origin", b"https://evil.test"),
        ],
    );
    assert!(!has_cors_headers(&decide(&policy, &two).1));
}

#[test]
fn an_allowed_preflight_is_answered_204_with_every_allow_header() {
    let policy = demo();
    let (status, headers) = decide(
        &policy,
        &preflight(
            b"https://admin.myapp.com",
            b"DELETE",
            Some(b"content-type,Authorization, x-api-key"),
        ),
    );
    assert_eq!(status, Some(204));
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://admin.myapp.com"
    );
    assert_eq!(headers["access-control-allow-credentials"], "true");
    assert_eq!(
        headers["access-control-allow-methods"],
        "GET, POST, PUT, DELETE, PATCH"
    );
    assert_eq!(
        headers["access-control-allow-headers"],
        "content-type, authorization, x-api-key, signature, signature-input, content-digest"
    );
    assert_eq!(headers["access-control-max-age"], "86400");
    assert_eq!(
        headers["vary"],
        "origin, access-control-request-method, access-control-request-headers"
    );
    assert!(
        headers
            .get("access-control-allow-private-network")
            .is_none()
    );
}

#[test]
fn refused_preflights_are_403_without_cors_headers() {
    let policy = demo();
    let mut cases: Vec<http::Request<()>> = NOT_ALLOWED
        .iter()
        .map(|origin| preflight(origin, b"POST", None))
        .collect();
    cases.extend([
        preflight(b"https://myapp.com", b"TRACE", None),
        preflight(b"https://myapp.com", b"post", None),
        preflight(b"https://myapp.com", b"CONNECT", None),
        preflight(b"https://myapp.com", b"", None),
        preflight(b"https://myapp.com", b"POST", Some(b"content-type, x-evil")),
        preflight(b"https://myapp.com", b"POST", Some(b"cookie")),
        preflight(b"https://myapp.com", b"POST", Some(b"x-api-key\xff")),
        request(
            "OPTIONS",
            &[
                ("origin", b"https://myapp.com"),
                ("origin", b"https://myapp.com"),
                ("access-control-request-method", b"POST"),
            ],
        ),
        request(
            "OPTIONS",
            &[
                ("origin", b"https://myapp.com"),
                ("access-control-request-method", b"POST"),
                ("access-control-request-method", b"GET"),
            ],
        ),
        request(
            "OPTIONS",
            &[
                ("origin", b"https://myapp.com"),
                ("access-control-request-method", b"GET"),
                ("access-control-request-private-network", b"true"),
            ],
        ),
    ]);
    for case in &cases {
        let (status, headers) = decide(&policy, case);
        assert_eq!(status, Some(403), "{case:?}");
        assert!(!has_cors_headers(&headers), "{case:?}");
    }
    match policy.extract(&cases[0]) {
        Step::Done(Decision::Reject(error)) => {
            assert_eq!(error.code().as_str(), "CORS_FORBIDDEN");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn options_without_the_preflight_headers_is_not_a_preflight() {
    let policy = demo();
    let (status, headers) = decide(
        &policy,
        &request("OPTIONS", &[("origin", b"https://myapp.com")]),
    );
    assert_eq!(status, None, "goes on to the router");
    assert_eq!(headers["access-control-allow-origin"], "https://myapp.com");
}

#[test]
fn subdomains_null_private_network_and_any_origin_are_opt_in() {
    let policy = CorsPolicy::builder()
        .allow_subdomains_of("https://myapp.com")
        .allow_null_origin_insecure()
        .allow_private_network()
        .build()
        .unwrap();
    for allowed in [
        &b"https://a.myapp.com"[..],
        b"https://x.y.myapp.com",
        b"null",
    ] {
        let (_, headers) = decide(&policy, &request("GET", &[("origin", allowed)]));
        assert_eq!(headers["access-control-allow-origin"].as_bytes(), allowed);
        assert!(headers.get("access-control-allow-credentials").is_none());
    }
    for refused in [
        &b"https://myapp.com"[..],
        b"https://evilmyapp.com",
        b"http://a.myapp.com",
    ] {
        let (_, headers) = decide(&policy, &request("GET", &[("origin", refused)]));
        assert!(!has_cors_headers(&headers), "{refused:?}");
    }
    let pna = request(
        "OPTIONS",
        &[
            ("origin", b"https://a.myapp.com"),
            ("access-control-request-method", b"GET"),
            ("access-control-request-private-network", b"true"),
        ],
    );
    let (status, headers) = decide(&policy, &pna);
    assert_eq!(status, Some(204));
    assert_eq!(headers["access-control-allow-private-network"], "true");

    let any = CorsPolicy::builder()
        .allow_any_origin_insecure()
        .build()
        .unwrap();
    let (_, headers) = decide(
        &any,
        &request("GET", &[("origin", b"https://whoever.test")]),
    );
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert!(headers.get("access-control-allow-credentials").is_none());
}

#[test]
fn bad_configurations_are_refused_when_built() {
    let err = |b: shieldwall_cors::CorsPolicyBuilder| b.build().unwrap_err();
    assert_eq!(
        err(CorsPolicy::builder()
            .allow_any_origin_insecure()
            .allow_credentials()),
        CorsConfigError::AnyOriginWithCredentials
    );
    assert_eq!(err(CorsPolicy::builder()), CorsConfigError::NoOrigin);
    for origin in ["*", "null"] {
        assert!(matches!(
            err(CorsPolicy::builder().allow_origins([origin])),
            CorsConfigError::Wildcard(_)
        ));
    }
    for origin in [
        "https://myapp.com/",
        "myapp.com",
        "https://myapp.com:99999",
        "https://a b",
    ] {
        assert!(matches!(
            err(CorsPolicy::builder().allow_origins([origin])),
            CorsConfigError::InvalidOrigin { .. }
        ));
    }
    let base = || CorsPolicy::builder().allow_origins(["https://myapp.com"]);
    assert!(matches!(
        err(base().allow_methods(["GET POST"])),
        CorsConfigError::InvalidMethod(_)
    ));
    assert!(matches!(
        err(base().allow_methods(["*"])),
        CorsConfigError::Wildcard(_)
    ));
    assert!(matches!(
        err(base().allow_headers(["x\r\ny"])),
        CorsConfigError::InvalidHeader(_)
    ));
    assert!(matches!(
        err(base().allow_headers(["*"])),
        CorsConfigError::Wildcard(_)
    ));
    assert!(matches!(
        err(base().expose_headers(["a b"])),
        CorsConfigError::InvalidHeader(_)
    ));
    assert_eq!(
        err(base().max_age(Duration::from_secs(86_401))),
        CorsConfigError::MaxAge(86_401)
    );
    assert!(matches!(
        err(CorsPolicy::builder().allow_subdomains_of("https://localhost")),
        CorsConfigError::InvalidOrigin { .. }
    ));
    // The error names the input, cut short.
    let long = format!("https://{}/", "a".repeat(500));
    let message = err(CorsPolicy::builder().allow_origins([long])).to_string();
    assert!(message.len() < 200, "{message}");
}
