//! The preset's headers, HSTS only over HTTPS, the prefix rule, and what is
//! refused when built. The perimeter's use of them (every answer, HTTPS
//! enforcement) is tested through both adapters in the parity and
//! end-to-end suites.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

use std::time::Duration;

use shieldwall_core::{ClientIpResolver, Perimeter, ResponseHeaderPolicy};
use shieldwall_headers::{HeadersConfigError, SecurityHeaders};

#[test]
fn the_json_api_preset() {
    let headers = SecurityHeaders::json_api().build().unwrap();
    let api = headers.headers_for("/api/v1/users", false).unwrap();
    let expected = [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        (
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'",
        ),
        ("cross-origin-resource-policy", "same-origin"),
        ("cache-control", "no-store"),
    ];
    for (name, value) in expected {
        assert_eq!(api[name], value, "{name}");
    }
    assert_eq!(api.len(), expected.len(), "nothing else, no HSTS over HTTP");
    let https = headers.headers_for("/api", true).unwrap();
    assert_eq!(
        https["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    for path in ["/health", "/apis", "/api-docs", "/"] {
        let other = headers.headers_for(path, true).unwrap();
        assert!(other.get("cache-control").is_none(), "{path}");
        assert_eq!(other["x-content-type-options"], "nosniff");
    }
    assert!(!headers.requires_https());
}

#[test]
fn options_change_exactly_what_they_name() {
    let headers = SecurityHeaders::json_api()
        .require_https()
        .hsts_max_age(Duration::from_secs(63_072_000))
        .hsts_preload()
        .no_store_under("/v2")
        .header("Content-Security-Policy", "default-src 'self'")
        .without("x-frame-options")
        .build()
        .unwrap();
    assert!(headers.requires_https());
    let set = headers.headers_for("/v2/x", true).unwrap();
    assert_eq!(
        set["strict-transport-security"],
        "max-age=63072000; includeSubDomains; preload"
    );
    assert_eq!(set["content-security-policy"], "default-src 'self'");
    assert!(set.get("x-frame-options").is_none());
    assert_eq!(set["cache-control"], "no-store");
    assert!(
        headers
            .headers_for("/api/x", true)
            .unwrap()
            .get("cache-control")
            .is_none()
    );
    let quiet = SecurityHeaders::json_api()
        .without_hsts()
        .no_cache_control()
        .build()
        .unwrap();
    let set = quiet.headers_for("/api/x", true).unwrap();
    assert!(set.get("strict-transport-security").is_none() && set.get("cache-control").is_none());
}

#[test]
fn bad_configurations_are_refused_when_built() {
    let err = |b: shieldwall_headers::SecurityHeadersBuilder| b.build().unwrap_err();
    assert_eq!(
        err(SecurityHeaders::json_api().hsts_max_age(Duration::from_secs(300))),
        HeadersConfigError::HstsMaxAge(300)
    );
    assert_eq!(
        err(SecurityHeaders::json_api()
            .hsts_preload()
            .hsts_include_subdomains(false)),
        HeadersConfigError::Preload
    );
    assert_eq!(
        err(SecurityHeaders::json_api()
            .hsts_preload()
            .hsts_max_age(Duration::from_secs(86_400))),
        HeadersConfigError::Preload
    );
    for prefix in ["api", "/api/", "//api", "/a b"] {
        assert_eq!(
            err(SecurityHeaders::json_api().no_store_under(prefix)),
            HeadersConfigError::PathPrefix(prefix.to_owned())
        );
    }
    assert!(matches!(
        err(SecurityHeaders::json_api().header("x-bad", "a\r\nb")),
        HeadersConfigError::Header(_)
    ));
    assert!(matches!(
        err(SecurityHeaders::json_api().header("bad name", "x")),
        HeadersConfigError::Header(_)
    ));
}

fn screened(perimeter: &Perimeter, peer: &str, headers: &[(&str, &str)]) -> Option<u16> {
    let mut builder = http::Request::get("/api/v1/users");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder.body(()).unwrap();
    let context = perimeter.begin(&request, Some(peer.parse().unwrap()));
    perimeter
        .screen(&request, &context)
        .err()
        .map(|e| e.status().as_u16())
}

#[test]
fn plain_http_is_refused_unless_a_trusted_proxy_says_https() {
    let perimeter = Perimeter::new()
        .client_ip_resolver(
            ClientIpResolver::builder()
                .trusted_proxies("10.0.0.0/8".parse().unwrap())
                .build(),
        )
        .response_headers(SecurityHeaders::json_api().require_https().build().unwrap());
    assert_eq!(
        screened(&perimeter, "10.0.0.1:1", &[("x-forwarded-proto", "https")]),
        None
    );
    assert_eq!(screened(&perimeter, "10.0.0.1:1", &[]), Some(403));
    assert_eq!(
        screened(&perimeter, "10.0.0.1:1", &[("x-forwarded-proto", "http")]),
        Some(403)
    );
    assert_eq!(
        screened(&perimeter, "192.0.2.1:1", &[("x-forwarded-proto", "https")]),
        Some(403),
        "from an untrusted peer the header is ignored"
    );
    // A request over TLS on this server's own listener.
    let mut request = http::Request::get("/api").body(()).unwrap();
    request
        .extensions_mut()
        .insert(shieldwall_core::TlsConnection);
    let context = perimeter.begin(&request, Some("192.0.2.1:1".parse().unwrap()));
    assert!(context.https);
    assert!(perimeter.screen(&request, &context).is_ok());
    assert_eq!(
        context.response_headers.unwrap()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
}
