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
    principal.filter(|p| p.key_id().is_some()).ok_or_else(|| {
        ApiError::internal(
            "no API key principal on this request: is the route behind its API key guard?",
        )
    })
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
}
