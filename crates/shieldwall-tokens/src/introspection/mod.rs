//! Opaque access tokens checked at the identity provider: OAuth 2.0 Token
//! Introspection, RFC 7662 (feature `introspection`).
//!
//! An [`Introspector`] given to
//! [`VerifierBuilder::introspection`](crate::VerifierBuilder::introspection)
//! takes every bearer value that is not a compact JWS (three base64url
//! segments separated by dots): it `POST`s `token=...&token_type_hint=access_token`
//! to the endpoint with HTTP Basic client authentication, and turns the
//! answer into a [`VerifiedToken`], so that the
//! [`BearerGuard`](crate::BearerGuard), `Claims<T>` and `Authenticated`
//! work as for any token. JWS tokens take the verifier's own path, as fast
//! as without an introspector.
//!
//! - `active: false` is 401 `INVALID_TOKEN`, as any invalid token.
//! - `active: true` is accepted when `exp` (if present) is in the future,
//!   `iss` is the configured issuer and `aud` holds the configured audience
//!   (when configured), and `sub` is there (unless relaxed); scopes come
//!   from `scope` (space-separated) or `scp`. The whole answer is the
//!   token's claims, for `Claims<T>` (`client_id`, `cnf`, `username`, ...).
//! - An endpoint that cannot be reached, does not answer within the timeout
//!   (2 s), answers anything but 200 (a refused client authentication
//!   included), or whose answer is not a JSON object with a boolean
//!   `active`, holds a member of the wrong type, or is over 16 KiB, is a
//!   store failure: 503 `SERVICE_UNAVAILABLE` with `Retry-After`, counted as
//!   `shieldwall_store_errors_total{store="introspection"}`, logged at most
//!   every 10 s, and behind a circuit breaker.
//! - Answers are cached under HMAC-SHA256 of the token (a key drawn at
//!   random per introspector; the token is never held), an acceptance until
//!   the token's `exp` and at most the cache ttl (60 s), a refusal at most
//!   the negative ttl (10 s). A token revoked at the provider is refused
//!   from the first request after its entry ends.

mod answer;
mod breaker;
mod builder;
mod cache;
mod error;
mod request;

use std::sync::Arc;
use std::time::Duration;

use shieldwall_core::telemetry::{self, BreakerState, StoreKind};
use shieldwall_core::{Clock, LogThrottle, Principal, Secret};

pub use builder::IntrospectorBuilder;
pub use error::IntrospectionError;

use self::answer::{Active, Answer, Rules};
use self::breaker::Breaker;
use self::cache::{AnswerCache, Cached};
use self::request::Endpoint;
use crate::date::LAST_UNIX_SECOND;
use crate::verified::Facts;
use crate::{TokenErrorKind, TokenRejection, VerifiedToken};

/// Checks opaque tokens at an RFC 7662 introspection endpoint. Cheap to
/// clone; clones share the cache and the breaker.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use shieldwall_core::Secret;
/// use shieldwall_tokens::introspection::Introspector;
/// use shieldwall_tokens::oidc::Discovery;
/// use shieldwall_tokens::{BearerGuard, MemoryRevocations};
///
/// let introspector = Introspector::builder(
///     "https://login.example/oauth2/introspect",
///     "my-api",
///     Secret::from(std::env::var("INTROSPECTION_SECRET")?),
/// )
/// .issuer("https://login.example")
/// .audience("api.example")
/// .build()?;
/// // JWS tokens by the issuer's keys, every other bearer value introspected.
/// let issuer = Discovery::new("https://login.example", "api.example")?.load().await?;
/// let verifier = issuer
///     .verifier(MemoryRevocations::new())
///     .introspection(introspector)
///     .build()?;
/// let guard = BearerGuard::new(verifier).require_scopes(["users:read"])?;
/// # drop(guard);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Introspector {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: Endpoint,
    rules: Rules,
    cache: Option<AnswerCache>,
    cache_ttl: Duration,
    negative_ttl: Duration,
    breaker: Breaker,
    clock: Arc<dyn Clock>,
    log: LogThrottle,
}

impl std::fmt::Debug for Introspector {
    /// The endpoint, the rules, the breaker and the cache (entries shown by
    /// the start of their hash); never the client secret, never a token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Introspector")
            .field("endpoint", &inner.endpoint.url())
            .field("rules", &inner.rules)
            .field("breaker", &inner.breaker)
            .field("cache", &inner.cache)
            .finish_non_exhaustive()
    }
}

/// Whether `token` is shaped as a compact JWS: three base64url segments
/// separated by dots (the first two non-empty). Everything else is opaque.
///
/// The verifier asks only about a value with a dot that its JWS path found
/// malformed: a good JWS never pays for it.
pub(crate) fn is_compact_jws(token: &str) -> bool {
    let mut other = 0_u8;
    let mut dots = 0_usize;
    for chunk in token.as_bytes().chunks(32) {
        let (mut chunk_other, mut chunk_dots) = (0_u8, 0_u8);
        for &b in chunk {
            let lower = b | 0x20;
            let allowed = (lower.wrapping_sub(b'a') < 26)
                | (b.wrapping_sub(b'0') < 10)
                | (b == b'-')
                | (b == b'_')
                | (b == b'.');
            chunk_other |= u8::from(!allowed);
            // At most 32 in a chunk.
            chunk_dots = chunk_dots.wrapping_add(u8::from(b == b'.'));
        }
        other |= chunk_other;
        dots = dots.saturating_add(usize::from(chunk_dots));
    }
    if other != 0 || dots != 2 {
        return false;
    }
    // Two dots: the header and the payload must not be empty.
    match token.split_once('.') {
        Some((header, rest)) => !header.is_empty() && !rest.starts_with('.'),
        None => false,
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

impl Introspector {
    /// A builder for the endpoint at `url`, authenticating as `client_id`
    /// with `client_secret` (HTTP Basic, RFC 6749 section 2.3.1). Nothing is
    /// checked before [`IntrospectorBuilder::build`].
    pub fn builder(url: &str, client_id: &str, client_secret: Secret) -> IntrospectorBuilder {
        IntrospectorBuilder::new(url, client_id, client_secret)
    }

    /// The endpoint's URL.
    #[must_use]
    pub fn endpoint(&self) -> &str {
        self.inner.endpoint.url()
    }

    /// Where the circuit breaker stands.
    #[must_use]
    pub fn breaker_state(&self) -> BreakerState {
        self.inner.breaker.state()
    }

    /// How many answers are cached (ended ones not yet dropped included).
    #[must_use]
    pub fn cached(&self) -> usize {
        self.inner.cache.as_ref().map_or(0, AnswerCache::len)
    }

    fn unix_now(&self) -> i64 {
        i64::try_from(self.inner.clock.unix_seconds()).unwrap_or(i64::MAX)
    }

    /// Checks an opaque token: from the cache, or at the endpoint.
    pub(crate) async fn verify(
        &self,
        token: &str,
        max_len: usize,
    ) -> Result<VerifiedToken, TokenRejection> {
        if token.len() > max_len {
            return Err(TokenRejection::new(
                TokenErrorKind::Malformed,
                "longer than the maximum token length",
            ));
        }
        let inner = &*self.inner;
        let now = nanos(inner.clock.monotonic());
        let key = inner.cache.as_ref().map(|cache| cache.key(token));
        if let (Some(cache), Some(key)) = (&inner.cache, &key)
            && let Some(hit) = cache.get(key, now)
        {
            return match hit {
                Cached::Accepted(verified) if verified.expires_at_unix() > self.unix_now() => {
                    Ok(verified)
                }
                Cached::Accepted(_) => Err(TokenRejection::new(
                    TokenErrorKind::Expired,
                    "exp is in the past",
                )),
                Cached::Refused(kind, reason) => Err(TokenRejection::new(kind, reason)),
            };
        }
        let Some(permit) = inner.breaker.permit() else {
            return Err(self.unavailable("the circuit breaker is open"));
        };
        // Boxed: the HTTP call's state is large, and inline it would make
        // every verification's future (the JWS path's too) that large.
        let (answer, body) = match Box::pin(inner.endpoint.call(token)).await {
            Ok(body) => match answer::parse(&body) {
                Ok(answer) => (answer, body),
                Err(reason) => {
                    permit.failure();
                    return Err(self.unavailable(&format!("the answer is refused: {reason}")));
                }
            },
            Err(reason) => {
                permit.failure();
                return Err(self.unavailable(&reason));
            }
        };
        permit.success();
        let unix_now = self.unix_now();
        let outcome = match answer {
            Answer::Inactive => Err(TokenRejection::new(
                TokenErrorKind::Inactive,
                "the introspection endpoint says the token is not active",
            )),
            Answer::Active(raw) => answer::judge(*raw, &inner.rules, unix_now)
                .and_then(|active| Self::verified(active, body, token)),
        };
        if let (Some(cache), Some(key)) = (&inner.cache, key) {
            let (cached, ttl) = match &outcome {
                Ok(verified) => {
                    let left = verified.expires_at_unix().saturating_sub(unix_now);
                    let left = Duration::from_secs(u64::try_from(left).unwrap_or(0));
                    (
                        Cached::Accepted(verified.clone()),
                        inner.cache_ttl.min(left),
                    )
                }
                Err(refused) => (
                    Cached::Refused(refused.kind(), refused.reason()),
                    inner.negative_ttl,
                ),
            };
            if !ttl.is_zero() {
                cache.insert(key, cached, now.saturating_add(nanos(ttl)), now);
            }
        }
        outcome
    }

    /// The verified token of an active answer; `body` (a JSON object, so
    /// UTF-8) becomes its claims.
    fn verified(
        active: Active,
        body: Vec<u8>,
        token: &str,
    ) -> Result<VerifiedToken, TokenRejection> {
        let claims = String::from_utf8(body)
            .map_err(|_| TokenRejection::new(TokenErrorKind::Claims, "the answer is not UTF-8"))?;
        let (facts, credential) = Facts {
            revocation_id: crate::verified::revocation_id(active.jti.as_deref(), token.as_bytes()),
            jti: active.jti,
            // No `exp`: the provider sets no end; the cache ttl bounds how
            // long its word is taken.
            exp: active.exp.unwrap_or(LAST_UNIX_SECOND),
            iat: active.iat,
            alg: None,
            kid: None,
            generation: 0,
            jkt: active.jkt,
        }
        .into_credential();
        let principal = Principal::from_token(
            active.sub.unwrap_or_default(),
            active.scopes,
            Arc::from(claims),
            Some(credential),
        );
        Ok(VerifiedToken::new(principal, facts))
    }

    /// The refusal of a failed call: counted, logged at most every 10 s
    /// (never with the token or the secret), 503 with `Retry-After`.
    fn unavailable(&self, reason: &str) -> TokenRejection {
        let inner = &*self.inner;
        telemetry::store_error(StoreKind::Introspection);
        if inner.log.allow() {
            tracing::error!(
                endpoint = inner.endpoint.url(),
                reason,
                "token introspection failed; opaque tokens are refused with 503 until it answers"
            );
        }
        TokenRejection::new(
            TokenErrorKind::StoreUnavailable,
            "introspection endpoint unavailable",
        )
        .with_retry_after(inner.breaker.retry_after_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_three_base64url_segments_are_a_jws() {
        for jws in ["a.b.c", "eyJ.eyJ.", "A-_.b_-.c-_"] {
            assert!(is_compact_jws(jws), "{jws}");
        }
        for opaque in [
            "abc",
            "a.b",
            "a.b.c.d.e",
            "a.b.c=",
            ".b.c",
            "a..c",
            "a+b.c.d",
            "a/b.c.d",
            "a~.b.c",
            "",
            "2YotnFZFEjr1zCsicMWpAA",
        ] {
            assert!(!is_compact_jws(opaque), "{opaque}");
        }
    }
}
