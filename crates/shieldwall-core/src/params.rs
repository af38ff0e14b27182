//! Path parameters: one rule for both adapters.

use shieldwall_errors::{ApiError, ErrorCode, Source};

/// The answer when a path parameter does not parse (`/items/abc` where an
/// integer id is expected): 404 `NOT_FOUND`, because such a path names no
/// resource. The parser's message, which quotes the path, is kept as the
/// internal source only.
#[must_use]
pub fn path_not_found(source: impl Into<Source>) -> ApiError {
    ApiError::new(ErrorCode::NotFound).with_source(source)
}

/// The principal a guard attached, or 500: a handler that asks for one on a
/// route without its guard is a server mistake, and guessing would let an
/// unauthenticated request through.
pub fn principal_of(principal: Option<crate::Principal>) -> Result<crate::Principal, ApiError> {
    principal.ok_or_else(|| {
        ApiError::internal("no principal on this request: is the route behind its guard?")
    })
}

/// The principal of an API key (owner, key id, scopes), or 500 when the
/// route's guard is not an API key guard.
pub fn api_key_principal_of(
    principal: Option<crate::Principal>,
) -> Result<crate::Principal, ApiError> {
    api_key_principal(principal).ok_or_else(|| {
        ApiError::internal(
            "no API key principal on this request: is the route behind its API key guard?",
        )
    })
}

/// The principal, when an API key identified it: what `Option<ApiKey>`
/// reads on both adapters. `None` on a route without a guard, for a request
/// its guard let through anonymously, and for a principal of another kind
/// (a bearer token's, on a route that takes either).
#[must_use]
pub fn api_key_principal(principal: Option<crate::Principal>) -> Option<crate::Principal> {
    principal.filter(|p| p.key_id().is_some())
}

/// The verified token's claims as `T`, when a guard attached claims that
/// read as `T`: what `Option<Claims<T>>` gives on both adapters, exactly
/// [`claims_of`]`(..).ok()`.
///
/// `None` when no guard attached claims (no guard, an anonymous request, an
/// API key's principal) **and** when the attached claims lack what `T`
/// needs. The second follows actix-web, whose `Option<T>` extractor turns
/// every error of `T` into `None` and cannot be changed from outside; axum's
/// is made to match, so that one handler means the same on both. Where a
/// token lacking a claim must be refused rather than treated as anonymous,
/// make that field of `T` an `Option` and refuse in the handler, or take
/// `Claims<T>` behind a guard that requires a token.
#[must_use]
pub fn optional_claims_of<T: serde::de::DeserializeOwned>(
    principal: Option<&crate::Principal>,
) -> Option<T> {
    let claims = principal?.claims_json()?;
    serde_json::from_str::<T>(claims).ok()
}

/// The verified token's claims as `T`.
///
/// 500 when no guard attached a principal with claims (the route lacks its
/// guard: a server mistake, not the client's); 401 `INVALID_TOKEN` when the
/// claims lack what `T` needs (the credential does not carry it). The
/// deserializer's message, which may quote claim values, stays in the logs.
pub fn claims_of<T: serde::de::DeserializeOwned>(
    principal: Option<&crate::Principal>,
) -> Result<T, ApiError> {
    let claims = principal
        .and_then(crate::Principal::claims_json)
        .ok_or_else(|| {
            ApiError::internal(
                "no verified claims on this request: is the route behind its bearer guard?",
            )
        })?;
    serde_json::from_str::<T>(claims).map_err(|e| {
        ApiError::new(ErrorCode::InvalidToken)
            .with_detail("the token lacks a claim this route needs")
            .with_source(e)
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::Principal;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Mine {
        sub: String,
        tenant: String,
    }

    #[test]
    fn claims_come_from_the_principal() {
        let json = r#"{"sub":"u1","tenant":"t9","extra":1}"#;
        let scopes = vec!["b".to_owned(), "a".to_owned(), "a".to_owned()];
        let p = Principal::from_token("u1".into(), scopes, Arc::from(json), None);
        let mine = claims_of::<Mine>(Some(&p)).unwrap();
        assert_eq!((mine.sub.as_str(), mine.tenant.as_str()), ("u1", "t9"));
        assert_eq!(p.scopes(), ["a", "b"]);
        let lacking =
            Principal::from_token("u1".into(), Vec::new(), Arc::from(r#"{"sub":"u1"}"#), None);
        let code = |r: Result<Mine, ApiError>| r.unwrap_err().code();
        assert_eq!(code(claims_of(Some(&lacking))), ErrorCode::InvalidToken);
        assert_eq!(code(claims_of(None)), ErrorCode::InternalError);
        assert_eq!(
            code(claims_of(Some(&Principal::user("u1")))),
            ErrorCode::InternalError
        );
    }

    #[test]
    fn optional_claims_are_claims_of_without_its_errors() {
        let fits = Principal::from_token(
            "u1".into(),
            Vec::new(),
            Arc::from(r#"{"sub":"u1","tenant":"t9"}"#),
            None,
        );
        let lacking =
            Principal::from_token("u1".into(), Vec::new(), Arc::from(r#"{"sub":"u1"}"#), None);
        let key = Principal::api_key("owner", "k1");
        for principal in [Some(&fits), Some(&lacking), Some(&key), None] {
            assert_eq!(
                optional_claims_of::<Mine>(principal),
                claims_of::<Mine>(principal).ok()
            );
        }
        assert!(optional_claims_of::<Mine>(Some(&fits)).is_some());
    }

    #[test]
    fn an_api_key_principal_is_one_with_a_key_id() {
        let key = Principal::api_key("owner", "k1");
        assert_eq!(api_key_principal(Some(key.clone())), Some(key.clone()));
        assert_eq!(api_key_principal(Some(Principal::user("u1"))), None);
        assert_eq!(api_key_principal(None), None);
        assert_eq!(api_key_principal_of(Some(key.clone())).unwrap(), key);
        assert_eq!(
            api_key_principal_of(Some(Principal::user("u1")))
                .unwrap_err()
                .code(),
            ErrorCode::InternalError
        );
    }
}
