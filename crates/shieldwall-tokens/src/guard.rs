//! `BearerGuard`: the guard for `Authorization: Bearer <token>`.

use shieldwall_core::{CredentialGuard, Decision, Grant, Guard, RequestView, Scopes, Step};
use shieldwall_errors::Rejection;

use crate::{RevocationStore, TokenConfigError, TokenErrorKind, TokenRejection, Verifier};

/// Requires a valid bearer token and, optionally, scopes.
///
/// The token is read from the `Authorization` header only: never from the
/// query string or the body. The scheme is matched case-insensitively; two
/// `Authorization` headers are 400 `MALFORMED_REQUEST`. On success the
/// principal (`sub`, scopes, every claim) is attached to the request.
///
/// It is a [`CredentialGuard`]: a request carries its credential when it has
/// an `Authorization` header at all, of any scheme (a `Basic` header on a
/// bearer route is refused, never ignored). `.or(api_key_guard)` makes a
/// route that takes a bearer token or an API key
/// ([`OneOf`](shieldwall_core::OneOf)), and `.or_anonymous()` one that also
/// lets a caller with no credential through
/// ([`OrAnonymous`](shieldwall_core::OrAnonymous)); a token that is sent is
/// always verified.
pub struct BearerGuard<R> {
    verifier: Verifier<R>,
    scopes: Scopes,
}

impl<R> Clone for BearerGuard<R> {
    fn clone(&self) -> Self {
        Self {
            verifier: self.verifier.clone(),
            scopes: self.scopes.clone(),
        }
    }
}

impl<R> std::fmt::Debug for BearerGuard<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BearerGuard")
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl<R: RevocationStore> BearerGuard<R> {
    /// A guard that requires a token `verifier` accepts.
    #[must_use]
    pub fn new(verifier: Verifier<R>) -> Self {
        Self {
            verifier,
            scopes: Scopes::none(),
        }
    }

    /// Also requires every one of `scopes` (403 `INSUFFICIENT_SCOPE`
    /// otherwise, with `WWW-Authenticate: Bearer error="insufficient_scope",
    /// scope="..."` naming them all), checked with [`Scopes::check`]; a
    /// scope that is not a scope token is [`TokenConfigError::Scope`]. Takes
    /// a list or a `&Scopes`, replacing what was required before.
    pub fn require_scopes<I, S>(mut self, scopes: I) -> Result<Self, TokenConfigError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = Scopes::new(scopes.into_iter().map(Into::into))?;
        Ok(self)
    }

    /// The scopes required.
    #[must_use]
    pub fn required_scopes(&self) -> &Scopes {
        &self.scopes
    }

    /// The verifier.
    #[must_use]
    pub fn verifier(&self) -> &Verifier<R> {
        &self.verifier
    }

    fn reject(&self, kind: TokenErrorKind, reason: &'static str) -> Decision {
        Decision::Reject(
            TokenRejection::new(kind, reason)
                .with_realm(self.verifier.realm().cloned())
                .into_api_error(),
        )
    }
}

/// The token of an `Authorization` value, if it is a bearer credential.
pub(crate) fn bearer_token(value: &[u8]) -> Result<&str, TokenErrorKind> {
    let value = std::str::from_utf8(value).map_err(|_| TokenErrorKind::Malformed)?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        // Another scheme (Basic, ...) is no bearer credential at all.
        return Err(TokenErrorKind::Missing);
    }
    let token = rest.trim_matches(' ');
    // RFC 6750 b64token: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/", then "=".
    let body = token.trim_end_matches('=');
    let ok = !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        });
    if ok {
        Ok(token)
    } else {
        Err(TokenErrorKind::Malformed)
    }
}

impl<R: RevocationStore> Guard for BearerGuard<R> {
    fn describe(&self) -> shieldwall_core::telemetry::GuardInfo<'_> {
        shieldwall_core::telemetry::GuardInfo::new("bearer")
    }

    type Input = String;

    fn extract<V: RequestView + ?Sized>(&self, request: &V) -> Step<String> {
        match request.single_header("authorization") {
            Err(_) => {
                Step::Done(self.reject(TokenErrorKind::Ambiguous, "two Authorization headers"))
            }
            Ok(None) => Step::Done(self.reject(TokenErrorKind::Missing, "no Authorization header")),
            Ok(Some(value)) => match bearer_token(value) {
                Ok(token) => Step::Decide(token.to_owned()),
                Err(kind) => Step::Done(self.reject(kind, "not a bearer credential")),
            },
        }
    }

    async fn decide(&self, token: String) -> Decision {
        match self.verifier.verify(&token).await {
            Ok(verified) => {
                let principal = verified.principal();
                if let Err(refused) = self.scopes.check(principal) {
                    tracing::debug!(scope = refused.missing(), "token lacks a required scope");
                    let rejection = TokenRejection::new(
                        TokenErrorKind::InsufficientScope,
                        "a required scope is missing",
                    )
                    .with_realm(self.verifier.realm().cloned())
                    .with_scope(refused.required().clone());
                    return Decision::Reject(rejection.into_api_error());
                }
                Decision::allow(Grant::new().with_principal(principal.clone()))
            }
            Err(rejection) => Decision::Reject(rejection.into_api_error()),
        }
    }
}

impl<R: RevocationStore> CredentialGuard for BearerGuard<R> {
    /// An `Authorization` header is there, once or more, of any scheme.
    fn is_presented<V: RequestView + ?Sized>(&self, request: &V) -> bool {
        request.header_values("authorization").next().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_credentials_are_parsed_strictly() {
        assert_eq!(bearer_token(b"Bearer abc.def.ghi"), Ok("abc.def.ghi"));
        assert_eq!(bearer_token(b"bearer abc"), Ok("abc"));
        assert_eq!(bearer_token(b"BEARER  abc "), Ok("abc"));
        assert_eq!(bearer_token(b"Bearer abc=="), Ok("abc=="));
        assert_eq!(
            bearer_token(b"Basic dXNlcjpwYXNz"),
            Err(TokenErrorKind::Missing)
        );
        assert_eq!(bearer_token(b"Bearer"), Err(TokenErrorKind::Malformed));
        assert_eq!(bearer_token(b"Bearer "), Err(TokenErrorKind::Malformed));
        assert_eq!(bearer_token(b"Bearer a b"), Err(TokenErrorKind::Malformed));
        assert_eq!(bearer_token(b"Bearer a\"b"), Err(TokenErrorKind::Malformed));
        assert_eq!(bearer_token(b"Bearer \xff"), Err(TokenErrorKind::Malformed));
        assert_eq!(bearer_token(b"Bearer ===="), Err(TokenErrorKind::Malformed));
    }
}
