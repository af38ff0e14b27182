//! The `Origin` check on values of any shape: only the listed origin, or a
//! subdomain of the allowed parent with the same scheme (one or more
//! lowercase letter-digit-hyphen labels, nothing else), is ever allowed:
//! not `https://evilmyapp.com`, not `https://a.myapp.com.evil`, not a
//! user, port, path or case variant.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use proptest::prelude::*;
use shieldwall_cors::CorsPolicy;

const EXACT: &str = "https://admin.example.org";

fn policy() -> CorsPolicy {
    CorsPolicy::builder()
        .allow_origins([EXACT])
        .allow_subdomains_of("https://myapp.com")
        .build()
        .unwrap()
}

fn origin() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "https://",
        "http://",
        "HTTPS://",
        "a",
        "b-2",
        "-",
        ".",
        "myapp.com",
        "MYAPP.COM",
        "evil",
        "evilmyapp.com",
        "admin.example.org",
        "@",
        ":443",
        ":8443",
        "/",
        "%2e",
        "\u{0}",
        " ",
        "xn--",
        "é",
        "*",
        "null",
    ]);
    prop::collection::vec(piece, 0..7).prop_map(|p| p.concat())
}

/// A lowercase letter-digit-hyphen label, not starting or ending with `-`.
fn is_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn only_the_listed_origin_or_a_true_subdomain_is_allowed(origin in origin()) {
        let allowed = policy().allows_origin(&origin);
        let subdomain = origin
            .strip_prefix("https://")
            .and_then(|rest| rest.strip_suffix(".myapp.com"))
            .is_some_and(|sub| sub.split('.').all(is_label));
        prop_assert_eq!(allowed, origin == EXACT || subdomain, "{:?}", origin);
    }

    #[test]
    fn any_text_never_panics(origin in any::<String>()) {
        let _ = policy().allows_origin(&origin);
    }
}
