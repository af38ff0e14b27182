//! What [`BearerGuard`](crate::BearerGuard) asks of a [`DpopPolicy`]: read a
//! `DPoP` credential, check a verified token's binding, and answer in the
//! DPoP scheme.

use http::header::WWW_AUTHENTICATE;
use shieldwall_core::{Decision, RequestView, Step};
use shieldwall_errors::{ApiError, Rejection};

use super::DpopPolicy;
use crate::{BearerInput, TokenErrorKind, TokenRejection};

impl DpopPolicy {
    /// For an `Authorization` value that is not a bearer credential: `None`
    /// when it is not a DPoP one either; else the input to decide on, or the
    /// refusal.
    pub(crate) fn extract<V: RequestView + ?Sized>(
        &self,
        request: &V,
        authorization: &[u8],
    ) -> Option<Step<BearerInput>> {
        let token = match crate::guard::credential(authorization, "dpop") {
            Err(TokenErrorKind::Missing) => return None,
            Err(_) => {
                let refusal = self.refuse_token("a malformed DPoP credential");
                return Some(Step::Done(Decision::Reject(refusal.into_api_error())));
            }
            Ok(token) => token,
        };
        Some(match self.read_request(request) {
            Ok(proof) => Step::Decide(BearerInput::dpop(token.to_owned(), proof)),
            Err(refusal) => Step::Done(Decision::Reject(refusal.into_api_error())),
        })
    }

    /// RFC 9449 section 7: a token bound to a key (`cnf.jkt`) is accepted
    /// only as `DPoP` with a valid proof (a bound token sent as `Bearer` is
    /// refused, section 7.2); a token bound to no key is accepted only as
    /// `Bearer` (section 7.1 asks that the proof's key be the one the token
    /// is bound to: with no such key, no proof can pass).
    pub(crate) async fn check_binding(
        &self,
        jkt: Option<&str>,
        input: &BearerInput,
    ) -> Result<(), ApiError> {
        let refused = match (jkt, input.proof()) {
            (None, None) => return Ok(()),
            (Some(jkt), Some(proof)) => self.verify_proof(proof, input.token(), jkt).await,
            (Some(_), None) => Err(self.refuse_token("a DPoP-bound token sent as Bearer")),
            (None, Some(_)) => Err(self.refuse_token("a token bound to no key sent as DPoP")),
        };
        refused.map_err(Rejection::into_api_error)
    }

    /// A refusal of the token itself (signature, claims, expiry, scope...)
    /// sent with the `DPoP` scheme: its code, detail and audit reason, with
    /// the challenge in the DPoP scheme.
    pub(crate) fn token_refused(&self, rejection: TokenRejection) -> ApiError {
        let mut error = ApiError::new(rejection.code());
        if let Some(detail) = rejection.detail() {
            error = error.with_detail(detail);
        }
        if let Some(reason) = rejection.audit_reason() {
            error = error.with_reason(reason);
        }
        if let Some(bearer) = rejection.www_authenticate() {
            error = error.with_header(WWW_AUTHENTICATE, self.challenges.dpop_of_bearer(&bearer));
        }
        error.with_source(rejection)
    }

    /// A request with no credential: the bearer challenge, and the DPoP one
    /// beside it (RFC 9449 section 7.1).
    pub(crate) fn with_dpop_challenge(&self, error: ApiError) -> ApiError {
        error.with_header(WWW_AUTHENTICATE, self.challenges.bare.clone())
    }
}
