//! `Issuer`: access tokens with `jti`, `iat`, `exp`, `iss`, `aud`, `sub`, `scope`.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use shieldwall_core::{Clock, ScopeError, Scopes, SystemClock};
use shieldwall_errors::{ErrorCode, Rejection};

use crate::{SigningKey, TokenConfigError};

/// Issues access tokens (RFC 9068 shape: `typ: at+jwt`, a space-separated `scope`).
pub struct Issuer {
    key: SigningKey,
    issuer: Option<String>,
    audience: Option<String>,
    ttl: Duration,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("key", &self.key)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// Builds an [`Issuer`].
#[must_use]
pub struct IssuerBuilder {
    issuer: Issuer,
}

impl std::fmt::Debug for IssuerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.issuer.fmt(f)
    }
}

impl IssuerBuilder {
    /// The `iss` of issued tokens.
    pub fn issuer(mut self, issuer: &str) -> Self {
        self.issuer.issuer = Some(issuer.to_owned());
        self
    }

    /// The `aud` of issued tokens.
    pub fn audience(mut self, audience: &str) -> Self {
        self.issuer.audience = Some(audience.to_owned());
        self
    }

    /// The lifetime of issued tokens (default 15 minutes).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.issuer.ttl = ttl;
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.issuer.clock = Arc::new(clock);
        self
    }

    /// The issuer.
    pub fn build(self) -> Result<Issuer, TokenConfigError> {
        for value in [&self.issuer.issuer, &self.issuer.audience]
            .into_iter()
            .flatten()
        {
            if value.is_empty() || value.len() > 256 || value.chars().any(char::is_control) {
                return Err(TokenConfigError::InvalidValue("issuer or audience"));
            }
        }
        if self.issuer.ttl.is_zero() || self.issuer.ttl > Duration::from_secs(7 * 24 * 3600) {
            return Err(TokenConfigError::InvalidValue("ttl (1 s to 7 days)"));
        }
        Ok(self.issuer)
    }
}

/// A token just issued. `Debug` does not print the token.
#[derive(Clone)]
pub struct IssuedToken {
    token: String,
    jti: String,
    expires_at: SystemTime,
    expires_in: u64,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token", &"[REDACTED]")
            .field("jti", &self.jti)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

impl IssuedToken {
    /// The compact JWS, for the client.
    #[must_use]
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The `jti`.
    #[must_use]
    pub fn jti(&self) -> &str {
        &self.jti
    }

    /// Seconds until expiry.
    #[must_use]
    pub fn expires_in(&self) -> u64 {
        self.expires_in
    }

    /// When it expires.
    #[must_use]
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }
}

/// Issuing failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// A scope is not a scope token (RFC 6749 3.3: visible ASCII without space, `"` or `\`).
    #[error(transparent)]
    InvalidScope(#[from] ScopeError),
    /// The subject is empty, longer than 256 bytes, or holds control characters.
    #[error("the subject is empty, too long or holds control characters")]
    InvalidSubject,
    /// The backend refused to sign.
    #[error("signing failed")]
    Signing,
}

impl Rejection for IssueError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InternalError
    }

    fn detail(&self) -> Option<Cow<'static, str>> {
        None
    }
}

impl Issuer {
    /// A builder signing with `key`.
    pub fn builder(key: SigningKey) -> IssuerBuilder {
        IssuerBuilder {
            issuer: Self {
                key,
                issuer: None,
                audience: None,
                ttl: Duration::from_secs(900),
                clock: Arc::new(SystemClock::new()),
            },
        }
    }

    /// The lifetime of issued tokens.
    #[must_use]
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Issues a token for `subject` with `scopes` (in its `scope` claim,
    /// sorted, without repeats).
    pub fn issue(&self, subject: &str, scopes: &[&str]) -> Result<IssuedToken, IssueError> {
        self.issue_with(subject, scopes, Map::new())
    }

    /// Issues a token with extra claims (registered claims in `extra` are overwritten).
    pub fn issue_with(
        &self,
        subject: &str,
        scopes: &[&str],
        extra: Map<String, Value>,
    ) -> Result<IssuedToken, IssueError> {
        if subject.is_empty() || subject.len() > 256 || subject.chars().any(char::is_control) {
            return Err(IssueError::InvalidSubject);
        }
        let scopes = Scopes::new(scopes)?;
        let now = self.clock.unix_seconds();
        let ttl = self.ttl.as_secs();
        let jti = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
        let mut claims = extra;
        claims.insert("sub".into(), json!(subject));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + ttl));
        claims.insert("jti".into(), json!(jti));
        if let Some(iss) = &self.issuer {
            claims.insert("iss".into(), json!(iss));
        }
        if let Some(aud) = &self.audience {
            claims.insert("aud".into(), json!(aud));
        }
        if !scopes.is_empty() {
            claims.insert("scope".into(), json!(scopes.as_str()));
        }
        let mut header = Map::new();
        header.insert("alg".into(), json!(self.key.alg.as_str()));
        header.insert("typ".into(), json!("at+jwt"));
        if let Some(kid) = &self.key.kid {
            header.insert("kid".into(), json!(kid));
        }
        let header = serde_json::to_vec(&header).map_err(|_| IssueError::Signing)?;
        let claims = serde_json::to_vec(&claims).map_err(|_| IssueError::Signing)?;
        let mut token = URL_SAFE_NO_PAD.encode(header);
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(claims));
        let signature = self.key.sign(token.as_bytes()).ok_or(IssueError::Signing)?;
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Ok(IssuedToken {
            token,
            jti,
            expires_at: self.clock.now() + self.ttl,
            expires_in: ttl,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Algorithm;
    use shieldwall_core::Secret;

    fn issuer() -> Issuer {
        Issuer::builder(SigningKey::hmac(Algorithm::HS256, &Secret::from(vec![9; 32])).unwrap())
            .issuer("i")
            .audience("a")
            .build()
            .unwrap()
    }

    #[test]
    fn issued_tokens_carry_every_registered_claim() {
        let issued = issuer()
            .issue("u1", &["users:read", "users:write"])
            .unwrap();
        let payload = issued.token().split('.').nth(1).unwrap();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        for claim in ["sub", "iat", "exp", "jti", "iss", "aud", "scope"] {
            assert!(claims.get(claim).is_some(), "{claim}");
        }
        assert_eq!(claims["scope"], "users:read users:write");
        assert_eq!(issued.expires_in(), 900);
        assert!(!format!("{issued:?}").contains(issued.token()));
        assert_ne!(issuer().issue("u1", &[]).unwrap().jti(), issued.jti());
    }

    #[test]
    fn bad_scopes_and_subjects_are_refused() {
        assert!(matches!(
            issuer().issue("u1", &["a b"]),
            Err(IssueError::InvalidScope(_))
        ));
        assert!(matches!(
            issuer().issue("u1", &["a\"b"]),
            Err(IssueError::InvalidScope(_))
        ));
        assert!(matches!(
            issuer().issue("", &[]),
            Err(IssueError::InvalidSubject)
        ));
        assert!(matches!(
            issuer().issue("a\nb", &[]),
            Err(IssueError::InvalidSubject)
        ));
    }
}
