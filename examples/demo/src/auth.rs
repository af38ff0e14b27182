//! Login, logout and "who am I": the framework-free parts.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use shieldwall_core::{Bulkhead, Principal};
use shieldwall_errors::{ApiError, ErrorCode, FieldError, Rejection};
use shieldwall_tokens::{BearerGuard, Issuer, Revocations, VerifiedToken};

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

/// Users, the token issuer, the bearer guard, and the bound on password
/// hashes in flight.
#[derive(Debug)]
pub struct Auth {
    users: Arc<Users>,
    issuer: Issuer,
    bearer: BearerGuard<Revocations>,
    hashing: Bulkhead,
}

impl Auth {
    /// Puts the parts together.
    pub fn new(users: Users, issuer: Issuer, bearer: BearerGuard<Revocations>) -> Self {
        Self {
            users: Arc::new(users),
            issuer,
            bearer,
            // Each Argon2id hash holds 19 MiB and a core for ~20 ms: one per
            // core at a time, a caller waits at most a second, then 503.
            hashing: Bulkhead::per_core(),
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

    /// Checks the credentials (Argon2id, off the async threads, at most one
    /// hash per core at a time: past a short wait 503 `SERVICE_UNAVAILABLE`
    /// with `Retry-After`) and issues a token. A wrong email and a wrong
    /// password get the same answer after the same work.
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
            return Err(ApiError::invalid_fields().with_field_errors(errors));
        }
        let users = Arc::clone(&self.users);
        let user_id = self
            .hashing
            .run_blocking(move || {
                users
                    .authenticate(&request.email, request.password.as_bytes())
                    .map(|u| u.id.clone())
            })
            .await?;
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

    /// Revokes the caller's token (the one the bearer guard verified) for as
    /// long as the verifier would accept it.
    pub async fn logout(&self, principal: &Principal) -> Result<(), ApiError> {
        // The bearer guard attached this principal; without its token the
        // route was wired without the guard.
        let token = VerifiedToken::of(principal)
            .ok_or_else(|| ApiError::internal("logout without a verified bearer token"))?;
        self.user_id(principal)?;
        self.bearer
            .verifier()
            .revoke(&token)
            .await
            .map_err(Rejection::into_api_error)
    }

    /// The caller's user id: a token's `sub` must be a demo user's (an
    /// identity provider's token may name anyone), else 401
    /// `INVALID_TOKEN`.
    pub fn user_id<'p>(&self, principal: &'p Principal) -> Result<&'p str, ApiError> {
        match self.users.by_id(principal.id()) {
            Some(_) => Ok(principal.id()),
            None => Err(unknown_user()),
        }
    }

    /// The caller.
    pub fn me(&self, principal: &Principal) -> Result<Me, ApiError> {
        let user = self.users.by_id(principal.id()).ok_or_else(unknown_user)?;
        Ok(Me {
            id: user.id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
        })
    }
}

/// A verified token whose `sub` is no demo user.
fn unknown_user() -> ApiError {
    ApiError::new(ErrorCode::InvalidToken).with_detail("the token's user does not exist")
}
