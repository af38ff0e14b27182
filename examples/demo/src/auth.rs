//! Login, logout and "who am I": the framework-free parts.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use shieldwall_core::{Principal, claims_of};
use shieldwall_errors::{ApiError, ErrorCode, FieldError, Rejection};
use shieldwall_tokens::{
    BearerGuard, Issuer, RegisteredClaims, RevocationStore, Revocations, Verifier,
};

use crate::users::Users;

/// `POST /api/v1/auth/login` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The email.
    pub email: String,
    /// The password.
    pub password: String,
}

/// `POST /api/v1/auth/login` answer.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    /// The bearer token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// `GET /api/v1/protected/me` answer.
#[derive(Debug, Serialize)]
pub struct Me {
    /// User id.
    pub id: String,
    /// Email.
    pub email: String,
    /// Display name.
    pub name: String,
}

/// Users, the token issuer and the bearer guard.
#[derive(Debug)]
pub struct Auth {
    users: Arc<Users>,
    issuer: Issuer,
    bearer: BearerGuard<Revocations>,
}

impl Auth {
    /// Puts the parts together.
    pub fn new(users: Users, issuer: Issuer, verifier: Verifier<Revocations>) -> Self {
        Self {
            users: Arc::new(users),
            issuer,
            bearer: BearerGuard::new(verifier),
        }
    }

    /// The guard of the Bearer routes.
    pub fn bearer(&self) -> BearerGuard<Revocations> {
        self.bearer.clone()
    }

    /// The users.
    pub fn users(&self) -> &Users {
        &self.users
    }

    /// Checks the credentials (Argon2id, off the async threads) and issues a
    /// token. A wrong email and a wrong password get the same answer after the
    /// same work.
    pub async fn login(&self, request: LoginRequest) -> Result<TokenResponse, ApiError> {
        let mut errors = Vec::new();
        if request.email.is_empty() || request.email.len() > 255 {
            errors.push(FieldError::new(
                "email",
                "length",
                "must be 1 to 255 characters",
            ));
        }
        if request.password.is_empty() || request.password.len() > 1024 {
            errors.push(FieldError::new(
                "password",
                "length",
                "must be 1 to 1024 characters",
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::new(ErrorCode::ValidationFailed)
                .with_detail("the request body has invalid fields")
                .with_field_errors(errors));
        }
        let users = Arc::clone(&self.users);
        let user_id = tokio::task::spawn_blocking(move || {
            users
                .authenticate(&request.email, request.password.as_bytes())
                .map(|u| u.id.clone())
        })
        .await
        .map_err(ApiError::internal)?;
        let Some(user_id) = user_id else {
            return Err(ApiError::new(ErrorCode::InvalidCredentials)
                .with_detail("the email or password is wrong"));
        };
        let issued = self
            .issuer
            .issue(&user_id, &[])
            .map_err(Rejection::into_api_error)?;
        Ok(TokenResponse {
            access_token: issued.token().to_owned(),
            token_type: "Bearer",
            expires_in: issued.expires_in(),
        })
    }

    /// Revokes the caller's token until it expires.
    pub async fn logout(&self, principal: &Principal) -> Result<(), ApiError> {
        let claims: RegisteredClaims = claims_of(Some(principal))?;
        let Some(jti) = claims.jti else {
            return Err(ApiError::new(ErrorCode::InvalidToken));
        };
        let until = std::time::UNIX_EPOCH
            + std::time::Duration::from_secs(u64::try_from(claims.exp).unwrap_or(0));
        self.bearer
            .verifier()
            .revocations()
            .revoke(&jti, until)
            .await
            .map_err(Rejection::into_api_error)
    }

    /// The caller.
    pub fn me(&self, principal: &Principal) -> Result<Me, ApiError> {
        let user = self.users.by_id(principal.id()).ok_or_else(|| {
            ApiError::new(ErrorCode::InvalidToken).with_detail("the token's user no longer exists")
        })?;
        Ok(Me {
            id: user.id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
        })
    }
}
