//! What the demo's rate limits answer, as DEMO_API.md gives it: the
//! `RateLimit` header of a policy, and the 429 with its code and headers.

use shieldwall_testkit::Observed;

/// The `RateLimit` value of policy `name`, as (remaining, reset seconds).
pub(crate) fn ratelimit(answer: &Observed, name: &str) -> Option<(u64, u64)> {
    answer
        .header_all("ratelimit")
        .into_iter()
        .find_map(|value| {
            let text = String::from_utf8_lossy(value).into_owned();
            let mut parts = text.split(';');
            if parts.next()? != format!("\"{name}\"") {
                return None;
            }
            let mut field = |key: &str| parts.next()?.strip_prefix(key)?.parse().ok();
            Some((field("r=")?, field("t=")?))
        })
}

/// A 429 of `policy` (window in seconds): problem+json `RATE_LIMITED`,
/// `Retry-After` in whole seconds within the window, `RateLimit` with
/// nothing remaining.
pub(crate) fn assert_limited(answer: &Observed, policy: &str, window: u64, context: &str) {
    assert_eq!(answer.status, 429, "{context}: {}", answer.text());
    assert_eq!(
        answer.header("content-type").as_deref(),
        Some("application/problem+json"),
        "{context}"
    );
    assert_eq!(answer.json().unwrap()["code"], "RATE_LIMITED", "{context}");
    let retry: u64 = answer
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("whole seconds");
    assert!(
        (1..=window).contains(&retry),
        "{context}: Retry-After {retry}"
    );
    let (remaining, reset) =
        ratelimit(answer, policy).unwrap_or_else(|| panic!("{context}: RateLimit for {policy}"));
    assert_eq!(remaining, 0, "{context}");
    assert!(reset <= window, "{context}: t={reset}");
}
