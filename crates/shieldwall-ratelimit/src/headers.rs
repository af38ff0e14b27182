//! The response headers: draft-ietf-httpapi-ratelimit-headers (structured
//! fields), `Retry-After`, and the legacy `X-RateLimit-*` behind a switch.

use http::{HeaderMap, HeaderName, HeaderValue};
use shieldwall_core::Decimal;

use crate::error::header_value;
use crate::{Policy, Verdict};

/// `RateLimit-Policy`.
pub const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// `RateLimit`.
pub const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
const LEGACY_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const LEGACY_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const LEGACY_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// Whole seconds, rounded up: a client told to wait never comes back early.
pub(crate) fn ceil_secs(nanos: u64) -> u64 {
    nanos.div_ceil(1_000_000_000)
}

/// The `RateLimit-Policy` value: `"name";q=N;w=S`.
pub(crate) fn policy_value(policy: &Policy) -> HeaderValue {
    header_value(&format!(
        "\"{}\";q={};w={}",
        policy.name,
        policy.quota.count(),
        policy.quota.window().as_secs().max(1)
    ))
}

/// `"name";r=`: how every `RateLimit` value of a policy starts, made once.
pub(crate) fn ratelimit_prefix(policy: &Policy) -> Box<[u8]> {
    format!("\"{}\";r=", policy.name)
        .into_bytes()
        .into_boxed_slice()
}

/// The `RateLimit` value of a decision: `"name";r=R;t=T`.
fn ratelimit_value(prefix: &[u8], remaining: u64, reset: u64) -> HeaderValue {
    let mut value = Vec::with_capacity(prefix.len() + 24);
    value.extend_from_slice(prefix);
    value.extend_from_slice(Decimal::new(remaining).as_str().as_bytes());
    value.extend_from_slice(b";t=");
    value.extend_from_slice(Decimal::new(reset).as_str().as_bytes());
    // Quotes, a token, `;`, `=` and digits: always a valid value.
    HeaderValue::from_bytes(&value).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// The headers of a decision. `Retry-After` only on a refusal (at least 1 s).
pub(crate) fn headers(
    policy: &Policy,
    policy_header: &HeaderValue,
    prefix: &[u8],
    verdict: &Verdict,
) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(if policy.legacy_headers { 6 } else { 3 });
    let reset = ceil_secs(verdict.reset_after_nanos);
    headers.insert(RATELIMIT_POLICY, policy_header.clone());
    headers.insert(
        RATELIMIT,
        ratelimit_value(prefix, u64::from(verdict.remaining), reset),
    );
    if !verdict.allowed {
        headers.insert(
            http::header::RETRY_AFTER,
            header_value(&ceil_secs(verdict.retry_after_nanos).max(1).to_string()),
        );
    }
    if policy.legacy_headers {
        headers.insert(
            LEGACY_LIMIT,
            header_value(&policy.quota.count().to_string()),
        );
        headers.insert(
            LEGACY_REMAINING,
            header_value(&verdict.remaining.to_string()),
        );
        headers.insert(LEGACY_RESET, header_value(&reset.to_string()));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Reservation;

    #[test]
    fn the_ratelimit_value_is_written_without_a_formatter() {
        assert_eq!(ratelimit_value(b"\"p\";r=", 7, 3600), "\"p\";r=7;t=3600");
    }

    #[test]
    fn structured_field_headers_and_rounded_up_retry_after() {
        let policy = Policy::builder("public", "100/15m".parse().unwrap())
            .legacy_headers()
            .build()
            .unwrap();
        let verdict = Verdict {
            allowed: false,
            remaining: 0,
            reset_after_nanos: 899_000_000_001,
            retry_after_nanos: 8_000_000_001,
            reservation: Reservation { cost: 1, window: 0 },
        };
        let prefix = ratelimit_prefix(&policy);
        let h = headers(&policy, &policy_value(&policy), &prefix, &verdict);
        assert_eq!(h["ratelimit-policy"], "\"public\";q=100;w=900");
        assert_eq!(h["ratelimit"], "\"public\";r=0;t=900");
        assert_eq!(h["retry-after"], "9");
        assert_eq!(h["x-ratelimit-limit"], "100");
        assert_eq!(h["x-ratelimit-remaining"], "0");
        let allowed = Verdict {
            allowed: true,
            remaining: 99,
            ..verdict
        };
        assert!(
            headers(&policy, &policy_value(&policy), &prefix, &allowed)
                .get("retry-after")
                .is_none()
        );
    }
}
