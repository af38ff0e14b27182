//! `BearerGuard`: the guard for `Authorization: Bearer <token>`.

use shieldwall_core::{CredentialGuard, Decision, Grant, Guard, RequestView, Scopes, Step};
use shieldwall_errors::{ApiError, Rejection};

use crate::{
    BearerInput, RevocationStore, TokenConfigError, TokenErrorKind, TokenRejection, VerifiedToken,
    Verifier,
};

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
///
/// A token bound to a DPoP key (`cnf.jkt`, RFC 9449) is never accepted as
/// `Bearer`; `BearerGuard::dpop` (feature `dpop`) accepts it as
/// `Authorization: DPoP <token>` with a valid proof.
pub struct BearerGuard<R> {
    verifier: Verifier<R>,
    scopes: Scopes,
    #[cfg(feature = "dpop")]
    dpop: Option<crate::dpop::DpopPolicy>,
}

impl<R> Clone for BearerGuard<R> {
    fn clone(&self) -> Self {
        Self {
            verifier: self.verifier.clone(),
            scopes: self.scopes.clone(),
            #[cfg(feature = "dpop")]
            dpop: self.dpop.clone(),
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
            #[cfg(feature = "dpop")]
            dpop: None,
        }
    }

    /// Also accepts DPoP-bound tokens (RFC 9449, feature `dpop`) as
    /// `Authorization: DPoP <token>` with a `DPoP` proof that `policy`
    /// checks ([`crate::dpop`]); tokens bound to no key keep working as
    /// `Bearer`. Handlers and extractors do not change.
    #[cfg(feature = "dpop")]
    #[must_use]
    pub fn dpop(mut self, policy: crate::dpop::DpopPolicy) -> Self {
        self.dpop = Some(policy.for_realm(self.verifier.realm().map(|realm| &**realm)));
        self
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
        let error = TokenRejection::new(kind, reason)
            .with_realm(self.verifier.realm().cloned())
            .into_api_error();
        #[cfg(feature = "dpop")]
        if kind == TokenErrorKind::Missing
            && let Some(dpop) = &self.dpop
        {
            return Decision::Reject(dpop.with_dpop_challenge(error));
        }
        Decision::Reject(error)
    }

    /// A refusal of the token, in the scheme it came with.
    fn refused(&self, rejection: TokenRejection, input: &BearerInput) -> ApiError {
        #[cfg(feature = "dpop")]
        if input.is_dpop()
            && let Some(dpop) = &self.dpop
        {
            return dpop.token_refused(rejection);
        }
        #[cfg(not(feature = "dpop"))]
        let _ = input;
        rejection.into_api_error()
    }

    /// A token bound to a DPoP key passes only with its proof (RFC 9449
    /// section 7.2: never as `Bearer`, with or without DPoP enabled).
    async fn check_binding(
        &self,
        verified: &VerifiedToken,
        input: &BearerInput,
    ) -> Result<(), ApiError> {
        #[cfg(feature = "dpop")]
        if let Some(dpop) = &self.dpop {
            return dpop.check_binding(verified.cnf_jkt(), input).await;
        }
        #[cfg(not(feature = "dpop"))]
        let _ = input;
        self.binding_without_dpop(verified)
    }

    /// Without a DPoP policy, a token bound to a key is refused as Bearer.
    fn binding_without_dpop(&self, verified: &VerifiedToken) -> Result<(), ApiError> {
        match verified.cnf_jkt() {
            None => Ok(()),
            Some(_) => Err(TokenRejection::new(
                TokenErrorKind::Claims,
                "a DPoP-bound token sent as Bearer (DPoP is not enabled)",
            )
            .with_realm(self.verifier.realm().cloned())
            .into_api_error()),
        }
    }
}

/// The token of an `Authorization` value, if it is a bearer credential.
pub(crate) fn bearer_token(value: &[u8]) -> Result<&str, TokenErrorKind> {
    credential(value, "bearer")
}

/// The token of an `Authorization` value in `scheme` (lowercase): `Missing`
/// for another scheme, `Malformed` for a value that is not a b64token.
pub(crate) fn credential<'a>(
    value: &'a [u8],
    scheme_name: &str,
) -> Result<&'a str, TokenErrorKind> {
    let value = std::str::from_utf8(value).map_err(|_| TokenErrorKind::Malformed)?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case(scheme_name) {
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

    type Input = BearerInput;

    fn extract<V: RequestView + ?Sized>(&self, request: &V) -> Step<BearerInput> {
        match request.single_header("authorization") {
            Err(_) => {
                Step::Done(self.reject(TokenErrorKind::Ambiguous, "two Authorization headers"))
            }
            Ok(None) => Step::Done(self.reject(TokenErrorKind::Missing, "no Authorization header")),
            Ok(Some(value)) => match bearer_token(value) {
                Ok(token) => match self.decide_cached(token) {
                    Some(decision) => Step::Done(decision),
                    None => Step::Decide(BearerInput::bearer(token.to_owned())),
                },
                Err(kind) => {
                    #[cfg(feature = "dpop")]
                    if let Some(step) = self.dpop.as_ref().and_then(|d| d.extract(request, value)) {
                        return step;
                    }
                    Step::Done(self.reject(kind, "not a bearer credential"))
                }
            },
        }
    }

    async fn decide(&self, input: BearerInput) -> Decision {
        match self.verifier.verify(input.token()).await {
            Ok(verified) => {
                if let Err(refused) = self.check_binding(&verified, &input).await {
                    return Decision::Reject(refused);
                }
                match self.scoped(&verified) {
                    Ok(decision) => decision,
                    Err(rejection) => Decision::Reject(self.refused(rejection, &input)),
                }
            }
            Err(rejection) => Decision::Reject(self.refused(rejection, &input)),
        }
    }
}

impl<R: RevocationStore> BearerGuard<R> {
    /// The decision on a plain bearer token the verifier can answer without
    /// waiting (cached, revocation known in memory): the same checks as
    /// `decide`, made in `extract`, so that the adapter boxes no future.
    /// `None` when the token must be verified, or a DPoP policy applies.
    fn decide_cached(&self, token: &str) -> Option<Decision> {
        #[cfg(feature = "dpop")]
        if self.dpop.is_some() {
            return None;
        }
        // A plain bearer token: a refusal is the rejection itself (no DPoP
        // challenge to add).
        let decision = match self.verifier.verify_cached(token)? {
            Ok(verified) => match self.binding_without_dpop(&verified) {
                Ok(()) => self
                    .scoped(&verified)
                    .unwrap_or_else(|rejection| Decision::Reject(rejection.into_api_error())),
                Err(refused) => Decision::Reject(refused),
            },
            Err(rejection) => Decision::Reject(rejection.into_api_error()),
        };
        Some(decision)
    }

    /// A verified token's principal, when it holds the required scopes.
    fn scoped(&self, verified: &VerifiedToken) -> Result<Decision, TokenRejection> {
        let principal = verified.principal();
        if let Err(refused) = self.scopes.check(principal) {
            tracing::debug!(scope = refused.missing(), "token lacks a required scope");
            return Err(TokenRejection::new(
                TokenErrorKind::InsufficientScope,
                "a required scope is missing",
            )
            .with_realm(self.verifier.realm().cloned())
            .with_scope(refused.required().clone()));
        }
        Ok(Decision::allow(
            Grant::new().with_principal(principal.clone()),
        ))
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
