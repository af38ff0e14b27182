//! `BearerGuard`: the guard for `Authorization: Bearer <token>`.

use std::sync::Arc;

use shieldwall_core::{Decision, Grant, Guard, RequestView, Step};
use shieldwall_errors::Rejection;

use crate::{RevocationStore, TokenConfigError, TokenErrorKind, TokenRejection, Verifier};

/// Requires a valid bearer token and, optionally, scopes.
///
/// The token is read from the `Authorization` header only: never from the
/// query string or the body. The scheme is matched case-insensitively; two
/// `Authorization` headers are 400 `MALFORMED_REQUEST`. On success the
/// principal (`sub`, scopes, every claim) is attached to the request.
pub struct BearerGuard<R> {
    verifier: Verifier<R>,
    scopes: Arc<[String]>,
    scope_value: Option<Arc<str>>,
}

impl<R> Clone for BearerGuard<R> {
    fn clone(&self) -> Self {
        Self {
            verifier: self.verifier.clone(),
            scopes: Arc::clone(&self.scopes),
            scope_value: self.scope_value.clone(),
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
            scopes: Arc::from(Vec::new()),
            scope_value: None,
        }
    }

    /// Also requires every one of `scopes` (403 `INSUFFICIENT_SCOPE` otherwise).
    pub fn require_scopes<I, S>(mut self, scopes: I) -> Result<Self, TokenConfigError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        if !scopes.iter().all(|s| shieldwall_core::is_scope_token(s)) {
            return Err(TokenConfigError::InvalidValue(
                "scope (visible ASCII without space, quote or backslash)",
            ));
        }
        self.scope_value = Some(Arc::from(scopes.join(" ")));
        self.scopes = Arc::from(scopes);
        Ok(self)
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
                if let Some(missing) = self.scopes.iter().find(|s| !principal.has_scope(s)) {
                    tracing::debug!(scope = %missing, "token lacks a required scope");
                    let rejection = TokenRejection::new(
                        TokenErrorKind::InsufficientScope,
                        "a required scope is missing",
                    )
                    .with_realm(self.verifier.realm().cloned());
                    let rejection = match &self.scope_value {
                        Some(scope) => rejection.with_scope(Arc::clone(scope)),
                        None => rejection,
                    };
                    return Decision::Reject(rejection.into_api_error());
                }
                Decision::allow(Grant::new().with_principal(principal.clone()))
            }
            Err(rejection) => Decision::Reject(rejection.into_api_error()),
        }
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
