//! `OneOf`: a route that takes either of two credentials, exactly one at a time.

use std::borrow::Cow;

use shieldwall_errors::{ApiError, ErrorCode};

use crate::{CredentialGuard, Decision, Guard, RequestView, Step};

/// Accepts the credential of `A` or the credential of `B`, exactly one:
/// for a route that takes an API key or a bearer token
/// (`ApiKeyGuard::new(keys).or(BearerGuard::new(verifier))`).
///
/// - **One credential sent**: its guard decides, as it would alone (its
///   scopes, its refusals, its principal). A wrong credential is refused;
///   it is never passed over for the other kind.
/// - **Both sent**: 400 `MALFORMED_REQUEST`, "the credentials are
///   ambiguous", as a guard answers two headers of its own credential:
///   which principal the request speaks for must not depend on which guard
///   looks first.
/// - **Neither sent**: the refusal of `A` (its code: put first the
///   credential you would rather clients send), with the details of both
///   (`send an API key in the X-API-Key header, or send an access token as
///   ...`) and the headers of both: the `WWW-Authenticate: Bearer`
///   challenge of the bearer guard stays, so a 401 tells a client every way
///   in. Should one of them let a request without its credential through
///   (an [`OrAnonymous`](crate::OrAnonymous)), that one answers.
///
/// `OneOf` is itself a [`CredentialGuard`]: `.or_anonymous()` makes the
/// route optional, and `.or(c)` adds a third kind.
///
/// ```
/// use shieldwall_core::{CredentialGuard, Decision, Grant, Guard, Principal, RequestView, Step};
/// use shieldwall_core::errors::ErrorCode;
///
/// /// Header `name` carrying `good` is principal `name`.
/// struct HeaderGuard(&'static str, ErrorCode);
/// impl Guard for HeaderGuard {
///     type Input = bool;
///     fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<bool> {
///         match request.single_header(self.0) {
///             Ok(Some(value)) => Step::Decide(value == b"good"),
///             Ok(None) => Step::Done(Decision::reject(self.1)),
///             Err(_) => Step::Done(Decision::reject(ErrorCode::MalformedRequest)),
///         }
///     }
///     async fn decide(&self, good: bool) -> Decision {
///         if good {
///             Decision::allow(Grant::new().with_principal(Principal::service(self.0)))
///         } else {
///             Decision::reject(ErrorCode::InvalidCredentials)
///         }
///     }
/// }
/// impl CredentialGuard for HeaderGuard {
///     fn is_presented<R: RequestView + ?Sized>(&self, request: &R) -> bool {
///         request.header_values(self.0).next().is_some()
///     }
/// }
///
/// let either = HeaderGuard("x-key", ErrorCode::ApiKeyRequired)
///     .or(HeaderGuard("x-token", ErrorCode::BearerTokenRequired));
/// let run = |headers: &[(&str, &str)]| {
///     let mut request = http::Request::builder();
///     for (name, value) in headers {
///         request = request.header(*name, *value);
///     }
///     let request = request.body(()).unwrap();
///     futures_util::FutureExt::now_or_never(shieldwall_core::run_guard(&either, &request)).unwrap()
/// };
/// let code = |decision: Decision| match decision {
///     Decision::Reject(error) => Some(error.code()),
///     _ => None,
/// };
/// let id = |decision: Decision| match decision {
///     Decision::Continue(grant) => grant.principal.map(|p| p.id().to_owned()),
///     _ => None,
/// };
/// assert_eq!(id(run(&[("x-token", "good")])).as_deref(), Some("x-token"));
/// assert_eq!(code(run(&[("x-token", "bad")])), Some(ErrorCode::InvalidCredentials));
/// assert_eq!(code(run(&[("x-key", "good"), ("x-token", "good")])), Some(ErrorCode::MalformedRequest));
/// assert_eq!(code(run(&[])), Some(ErrorCode::ApiKeyRequired));
/// ```
#[derive(Clone, Debug)]
pub struct OneOf<A, B> {
    first: A,
    second: B,
}

/// What [`OneOf`] hands from extract to decide: the input of the guard
/// whose credential was sent.
#[non_exhaustive]
#[derive(Debug)]
pub enum OneOfInput<A, B> {
    /// The first guard's.
    First(A),
    /// The second guard's.
    Second(B),
}

const AMBIGUOUS: &str = "the credentials are ambiguous: send one kind of credential, not several";

impl<A, B> OneOf<A, B> {
    /// `first`'s credential or `second`'s; with neither, `first`'s refusal
    /// leads.
    #[must_use]
    pub fn new(first: A, second: B) -> Self {
        Self { first, second }
    }

    /// The first guard.
    pub fn first(&self) -> &A {
        &self.first
    }

    /// The second guard.
    pub fn second(&self) -> &B {
        &self.second
    }
}

impl<A: CredentialGuard, B: CredentialGuard> OneOf<A, B> {
    /// Neither credential was sent.
    fn neither<R: RequestView + ?Sized>(
        &self,
        request: &R,
    ) -> Step<OneOfInput<A::Input, B::Input>> {
        match (self.first.extract(request), self.second.extract(request)) {
            (Step::Done(Decision::Reject(first)), Step::Done(Decision::Reject(second))) => {
                Step::Done(Decision::Reject(both_refused(&first, &second)))
            }
            (Step::Done(Decision::Reject(_)), second) => map(second, OneOfInput::Second),
            (first, _) => map(first, OneOfInput::First),
        }
    }
}

fn map<I, J>(step: Step<I>, wrap: impl FnOnce(I) -> J) -> Step<J> {
    match step {
        Step::Decide(input) => Step::Decide(wrap(input)),
        Step::Done(decision) => Step::Done(decision),
    }
}

/// `first`'s refusal, with the details and headers of both.
fn both_refused(first: &ApiError, second: &ApiError) -> ApiError {
    let mut error = ApiError::new(first.code()).with_headers(first.headers().clone());
    for (name, value) in second.headers() {
        error = error.with_header(name.clone(), value.clone());
    }
    let detail = match (first.problem().detail, second.problem().detail) {
        (Some(a), Some(b)) => Some(Cow::Owned(format!("{a}, or {b}"))),
        (a, b) => a.or(b),
    };
    if let Some(detail) = detail {
        error = error.with_detail(detail);
    }
    match first.reason() {
        Some(reason) => error.with_reason(reason),
        None => error,
    }
}

impl<A: CredentialGuard, B: CredentialGuard> Guard for OneOf<A, B> {
    fn describe(&self) -> crate::telemetry::GuardInfo<'_> {
        crate::telemetry::GuardInfo::new("one_of")
    }

    type Input = OneOfInput<A::Input, B::Input>;

    fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<Self::Input> {
        match (
            self.first.is_presented(request),
            self.second.is_presented(request),
        ) {
            (true, true) => Step::Done(Decision::Reject(
                ApiError::new(ErrorCode::MalformedRequest)
                    .with_detail(AMBIGUOUS)
                    .with_reason("ambiguous_credentials"),
            )),
            (true, false) => map(self.first.extract(request), OneOfInput::First),
            (false, true) => map(self.second.extract(request), OneOfInput::Second),
            (false, false) => self.neither(request),
        }
    }

    async fn decide(&self, input: Self::Input) -> Decision {
        match input {
            OneOfInput::First(input) => self.first.decide(input).await,
            OneOfInput::Second(input) => self.second.decide(input).await,
        }
    }
}

impl<A: CredentialGuard, B: CredentialGuard> CredentialGuard for OneOf<A, B> {
    fn is_presented<R: RequestView + ?Sized>(&self, request: &R) -> bool {
        self.first.is_presented(request) || self.second.is_presented(request)
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use http::header::WWW_AUTHENTICATE;

    use super::*;
    use crate::{Grant, OrAnonymous, Principal, run_guard};

    /// Header `name`: `good` passes as principal `name`, anything else is
    /// refused; absent, refused with `missing` (and `challenge`, if any).
    struct HeaderGuard {
        name: &'static str,
        missing: ErrorCode,
        detail: &'static str,
        challenge: Option<&'static str>,
    }

    impl Guard for HeaderGuard {
        type Input = bool;

        fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<bool> {
            match request.single_header(self.name) {
                Ok(Some(value)) => Step::Decide(value == b"good"),
                Ok(None) => {
                    let mut error = ApiError::new(self.missing)
                        .with_detail(self.detail)
                        .with_reason("missing");
                    if let Some(challenge) = self.challenge {
                        error = error
                            .with_header(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
                    }
                    Step::Done(Decision::Reject(error))
                }
                Err(_) => Step::Done(Decision::reject(ErrorCode::MalformedRequest)),
            }
        }

        async fn decide(&self, good: bool) -> Decision {
            if good {
                Decision::allow(Grant::new().with_principal(Principal::service(self.name)))
            } else {
                Decision::reject(ErrorCode::InvalidCredentials)
            }
        }
    }

    impl CredentialGuard for HeaderGuard {
        fn is_presented<R: RequestView + ?Sized>(&self, request: &R) -> bool {
            request.header_values(self.name).next().is_some()
        }
    }

    fn key() -> HeaderGuard {
        HeaderGuard {
            name: "x-key",
            missing: ErrorCode::ApiKeyRequired,
            detail: "send a key",
            challenge: None,
        }
    }

    fn token() -> HeaderGuard {
        HeaderGuard {
            name: "x-token",
            missing: ErrorCode::BearerTokenRequired,
            detail: "send a token",
            challenge: Some("Bearer"),
        }
    }

    fn run<G: Guard>(guard: &G, headers: &[(&str, &str)]) -> Decision {
        let mut request = http::Request::builder();
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(()).unwrap();
        futures_util::FutureExt::now_or_never(run_guard(guard, &request)).unwrap()
    }

    fn principal(decision: Decision) -> Option<String> {
        match decision {
            Decision::Continue(grant) => grant.principal.map(|p| p.id().to_owned()),
            other => panic!("expected Continue, got {other:?}"),
        }
    }

    fn refusal(decision: Decision) -> ApiError {
        match decision {
            Decision::Reject(error) => error,
            other => panic!("expected Reject, got {other:?}"),
        }
    }

    #[test]
    fn the_credential_sent_decides() {
        let either = key().or(token());
        assert_eq!(
            principal(run(&either, &[("x-key", "good")])).unwrap(),
            "x-key"
        );
        assert_eq!(
            principal(run(&either, &[("x-token", "good")])).unwrap(),
            "x-token"
        );
        for bad in [[("x-key", "bad")], [("x-token", "bad")]] {
            assert_eq!(
                refusal(run(&either, &bad)).code(),
                ErrorCode::InvalidCredentials
            );
        }
        // Two of one kind: that guard's own answer.
        let twice = [("x-token", "good"), ("x-token", "good")];
        assert_eq!(
            refusal(run(&either, &twice)).code(),
            ErrorCode::MalformedRequest
        );
    }

    #[test]
    fn both_kinds_are_ambiguous_whatever_their_worth() {
        let either = key().or(token());
        for (k, t) in [("good", "good"), ("good", "bad"), ("bad", "good")] {
            let error = refusal(run(&either, &[("x-key", k), ("x-token", t)]));
            assert_eq!(error.code(), ErrorCode::MalformedRequest);
            assert_eq!(error.reason(), Some("ambiguous_credentials"));
            assert_eq!(error.problem().detail.as_deref(), Some(AMBIGUOUS));
            assert!(error.headers().is_empty());
        }
    }

    #[test]
    fn neither_is_the_first_refusal_naming_both_ways_in() {
        let error = refusal(run(&key().or(token()), &[]));
        assert_eq!(error.code(), ErrorCode::ApiKeyRequired);
        assert_eq!(
            error.problem().detail.as_deref(),
            Some("send a key, or send a token")
        );
        assert_eq!(error.headers()[WWW_AUTHENTICATE], "Bearer");
        assert_eq!(error.reason(), Some("missing"));
        let error = refusal(run(&token().or(key()), &[]));
        assert_eq!(error.code(), ErrorCode::BearerTokenRequired);
        assert_eq!(
            error.problem().detail.as_deref(),
            Some("send a token, or send a key")
        );
        assert_eq!(error.headers().get_all(WWW_AUTHENTICATE).iter().count(), 1);
        // Both challenges are kept, the first one's first.
        let mut other = key();
        other.challenge = Some("ApiKey");
        let error = refusal(run(&token().or(other), &[]));
        let challenges: Vec<_> = error.headers().get_all(WWW_AUTHENTICATE).iter().collect();
        assert_eq!(challenges, ["Bearer", "ApiKey"]);
    }

    #[test]
    fn or_anonymous_lets_only_the_absence_of_every_credential_through() {
        let optional = key().or(token()).or_anonymous();
        assert_eq!(principal(run(&optional, &[])), None);
        assert_eq!(principal(run(&optional, &[("x-other", "1")])), None);
        assert_eq!(
            principal(run(&optional, &[("x-token", "good")])).unwrap(),
            "x-token"
        );
        assert_eq!(
            refusal(run(&optional, &[("x-key", "bad")])).code(),
            ErrorCode::InvalidCredentials
        );
        assert_eq!(
            refusal(run(&optional, &[("x-key", "good"), ("x-token", "good")])).code(),
            ErrorCode::MalformedRequest
        );
        // Anonymous on one side only: that side answers when neither is sent.
        let half = OneOf::new(OrAnonymous::new(key()), token());
        assert_eq!(principal(run(&half, &[])), None);
        let half = OneOf::new(key(), OrAnonymous::new(token()));
        assert_eq!(principal(run(&half, &[])), None);
    }

    #[test]
    fn three_kinds_nest() {
        let mut signed = key();
        signed.name = "x-signature";
        let any = key().or(token()).or(signed);
        assert_eq!(
            principal(run(&any, &[("x-signature", "good")])).unwrap(),
            "x-signature"
        );
        assert_eq!(
            refusal(run(&any, &[("x-signature", "good"), ("x-token", "good")])).code(),
            ErrorCode::MalformedRequest
        );
        let error = refusal(run(&any, &[]));
        assert_eq!(
            error.problem().detail.as_deref(),
            Some("send a key, or send a token, or send a key")
        );
    }

    #[test]
    fn decide_futures_are_send() {
        fn assert_send<T: Send>(_: &T) {}
        let either = key().or(token());
        assert_send(&either.decide(OneOfInput::Second(true)));
    }
}
