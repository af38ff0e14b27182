//! `ApiKeyGuard`: the guard for `X-API-Key` (or another header).

use std::sync::Arc;

use shieldwall_core::{CredentialGuard, Decision, Grant, Guard, RequestView, Scopes, Step};
use shieldwall_errors::Rejection;
use shieldwall_errors::http::HeaderName;

use crate::{ApiKeys, KeyConfigError, KeyErrorKind, KeyRecord, KeyRejection, KeyStore, ParsedKey};

/// Requires a valid API key and, optionally, scopes.
///
/// The key is read from one header (`X-API-Key` by default), never from the
/// query string or the body; two key headers are 400 `MALFORMED_REQUEST`; a
/// key that does not have the shape of a key is refused without a store
/// call. On success the principal (owner, key id, scopes) is attached.
///
/// It is a [`CredentialGuard`]: a request carries its credential when it has
/// the key header at all. `.or(bearer_guard)` makes a route that takes an
/// API key or a bearer token ([`OneOf`](shieldwall_core::OneOf)), and
/// `.or_anonymous()` one that also lets a caller with no key through
/// ([`OrAnonymous`](shieldwall_core::OrAnonymous)); a key that is sent is
/// always checked.
pub struct ApiKeyGuard<S> {
    keys: ApiKeys<S>,
    header: Arc<str>,
    scopes: Scopes,
}

impl<S> Clone for ApiKeyGuard<S> {
    fn clone(&self) -> Self {
        Self {
            keys: self.keys.clone(),
            header: Arc::clone(&self.header),
            scopes: self.scopes.clone(),
        }
    }
}

impl<S> std::fmt::Debug for ApiKeyGuard<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyGuard")
            .field("header", &self.header)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

fn reject(kind: KeyErrorKind, reason: &'static str) -> Decision {
    Decision::Reject(KeyRejection::new(kind, reason).into_api_error())
}

impl<S: KeyStore> ApiKeyGuard<S> {
    /// A guard reading `X-API-Key`.
    #[must_use]
    pub fn new(keys: ApiKeys<S>) -> Self {
        Self {
            keys,
            header: Arc::from("x-api-key"),
            scopes: Scopes::none(),
        }
    }

    /// Reads the key from `header` instead.
    pub fn header(mut self, header: &str) -> Result<Self, KeyConfigError> {
        let lower = header.to_ascii_lowercase();
        if HeaderName::from_bytes(lower.as_bytes()).is_err() || lower.is_empty() {
            return Err(KeyConfigError::HeaderName(header.to_owned()));
        }
        self.header = Arc::from(lower);
        Ok(self)
    }

    /// Also requires every one of `scopes` (403 `INSUFFICIENT_SCOPE`
    /// otherwise), checked with [`Scopes::check`]; a scope that is not a
    /// scope token is [`KeyConfigError::Scope`]. Takes a list or a
    /// `&Scopes`, replacing what was required before.
    pub fn require_scopes<I, T>(mut self, scopes: I) -> Result<Self, KeyConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.scopes = Scopes::new(scopes.into_iter().map(Into::into))?;
        Ok(self)
    }

    /// The scopes required.
    #[must_use]
    pub fn required_scopes(&self) -> &Scopes {
        &self.scopes
    }

    /// The key manager.
    #[must_use]
    pub fn keys(&self) -> &ApiKeys<S> {
        &self.keys
    }
}

impl<S: KeyStore> Guard for ApiKeyGuard<S> {
    fn describe(&self) -> shieldwall_core::telemetry::GuardInfo<'_> {
        shieldwall_core::telemetry::GuardInfo::new("api_key")
    }

    type Input = ParsedKey;

    fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<ParsedKey> {
        match request.single_header(&self.header) {
            Err(_) => Step::Done(reject(KeyErrorKind::Ambiguous, "two key headers")),
            Ok(None) => Step::Done(reject(KeyErrorKind::Missing, "no key header")),
            Ok(Some(value)) => match self.keys.format().parse(value) {
                // Found in this process (memory, a cache hit): decided here,
                // so that the adapter boxes no future.
                Ok(parsed) => match self.keys.verify_in_process(&parsed) {
                    Some(verified) => Step::Done(self.decision(verified)),
                    None => Step::Decide(parsed),
                },
                Err(_) => Step::Done(reject(KeyErrorKind::Malformed, "not the shape of a key")),
            },
        }
    }

    async fn decide(&self, parsed: ParsedKey) -> Decision {
        let verified = self.keys.verify_parsed(&parsed).await;
        self.decision(verified)
    }
}

impl<S: KeyStore> ApiKeyGuard<S> {
    /// A verified key's principal when it holds the scopes, or the refusal.
    fn decision(&self, verified: Result<Arc<KeyRecord>, KeyRejection>) -> Decision {
        match verified {
            Ok(record) => {
                if let Err(refused) = self.scopes.check(record.principal()) {
                    tracing::debug!(scope = refused.missing(), "API key lacks a required scope");
                    // The key is genuine: its principal goes with the refusal
                    // (the audit log names who tried).
                    return Decision::Reject(
                        KeyRejection::new(
                            KeyErrorKind::InsufficientScope,
                            "a required scope is missing",
                        )
                        .into_api_error()
                        .with_extension(record.principal().clone()),
                    );
                }
                Decision::allow(Grant::new().with_principal(record.principal().clone()))
            }
            Err(rejection) => Decision::Reject(rejection.into_api_error()),
        }
    }
}

impl<S: KeyStore> CredentialGuard for ApiKeyGuard<S> {
    /// The key header is there, once or more, whatever it holds.
    fn is_presented<R: RequestView + ?Sized>(&self, request: &R) -> bool {
        request.header_values(&self.header).next().is_some()
    }
}
