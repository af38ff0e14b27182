//! One verifier for the service's own HS256 tokens and an identity
//! provider's ES256/RS256 tokens (`VerifierBuilder::accept_issuer`), the
//! provider a real HTTP peer on loopback: each token goes to its issuer's
//! keys and rules, never another's; revocations are the outer verifier's.
#![cfg(feature = "oidc")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use shieldwall_core::Secret;
use shieldwall_testkit::auth_server::{AUDIENCE, AuthServer, es256_twin};
use shieldwall_tokens::oidc::Discovery;
use shieldwall_tokens::{
    Algorithm, Issuer, KeySet, MemoryRevocations, SigningKey, TokenConfigError, TokenErrorKind,
    Verifier, VerifyingKey,
};

const OWN: &str = "https://api.example";
const SECRET: [u8; 32] = [7; 32];

fn own_builder(
    revocations: MemoryRevocations,
) -> shieldwall_tokens::VerifierBuilder<MemoryRevocations> {
    let key = VerifyingKey::hmac(Algorithm::HS256, &Secret::from(SECRET.to_vec())).unwrap();
    Verifier::builder(KeySet::new([key]).unwrap(), revocations)
        .issuer(OWN)
        .audience(AUDIENCE)
}

fn own_issuer() -> Issuer {
    let key = SigningKey::hmac(Algorithm::HS256, &Secret::from(SECRET.to_vec())).unwrap();
    Issuer::builder(key)
        .issuer(OWN)
        .audience(AUDIENCE)
        .build()
        .unwrap()
}

/// The service's verifier accepting the provider's tokens too (whose
/// revocations are the service's: the provider verifier's store is not
/// consulted).
async fn both(server: &AuthServer, max_age: Option<Duration>) -> Verifier {
    let discovered = Discovery::new(server.issuer(), AUDIENCE)
        .unwrap()
        .load()
        .await
        .unwrap();
    let provider = discovered
        .verifier(MemoryRevocations::new())
        .max_age(max_age)
        .require_jti(false)
        .build()
        .unwrap();
    own_builder(MemoryRevocations::new())
        .accept_issuer(provider)
        .build()
        .unwrap()
}

async fn refused(verifier: &Verifier, token: &str) -> TokenErrorKind {
    verifier.verify(token).await.unwrap_err().kind()
}

#[tokio::test]
async fn each_issuer_s_tokens_are_verified_by_its_own_keys() {
    let server = AuthServer::start();
    let verifier = both(&server, Some(Duration::from_secs(86_400))).await;

    let own = own_issuer().issue("user-1", &["a"]).unwrap();
    let verified = verifier.verify(own.token()).await.unwrap();
    assert_eq!(verified.subject(), "user-1");
    assert_eq!(verified.algorithm(), Some(Algorithm::HS256));

    for kid in ["es256-1", "rs256-1"] {
        let token = server.token(kid).subject("user-2").scope("x y").mint();
        let verified = verifier.verify(&token).await.unwrap();
        assert_eq!(verified.subject(), "user-2");
        assert_eq!(verified.scopes(), ["x", "y"]);
        assert_eq!(verified.kid(), Some(kid));
    }
}

#[tokio::test]
async fn a_token_cannot_borrow_the_other_issuer_s_keys() {
    let server = AuthServer::start();
    let verifier = both(&server, Some(Duration::from_secs(86_400))).await;

    // The provider's `iss`, signed with the service's own HS256 secret: the
    // provider's verifier takes no HS256.
    let forged = server.token("es256-1").hs256_with(&SECRET).mint();
    assert_eq!(refused(&verifier, &forged).await, TokenErrorKind::Algorithm);

    // The service's `iss`, signed with the provider's key: the service's
    // verifier knows no such key or algorithm.
    let borrowed = server.token("es256-1").claim("iss", json!(OWN)).mint();
    assert!(matches!(
        refused(&verifier, &borrowed).await,
        TokenErrorKind::Algorithm | TokenErrorKind::UnknownKey
    ));

    // An issuer neither trusts goes to the service's verifier, which
    // requires its own `iss`.
    let stranger = server
        .token("es256-1")
        .claim("iss", json!("https://elsewhere.example"))
        .mint();
    assert!(verifier.verify(&stranger).await.is_err());

    // The provider's tokens for another audience.
    let other_audience = server.token("es256-1").audience("another-api").mint();
    assert_eq!(
        refused(&verifier, &other_audience).await,
        TokenErrorKind::Claims
    );

    // Two `iss` members: no issuer is chosen, and the service's verifier
    // refuses the payload.
    let header = base64url(br#"{"alg":"ES256","kid":"es256-1"}"#);
    let payload =
        base64url(format!(r#"{{"iss":"{}","iss":"{OWN}","sub":"u"}}"#, server.issuer()).as_bytes());
    let twice = format!("{header}.{payload}.c2ln");
    assert!(verifier.verify(&twice).await.is_err());
}

#[tokio::test]
async fn a_revocation_covers_the_other_issuer_s_tokens_until_they_expire() {
    let server = AuthServer::start();
    // The provider's verifier has no maximum age, the service's has 24 h.
    let verifier = both(&server, None).await;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let issued_at = now - 2 * 86_400;
    let expires_at = now + 3600;
    let token = server
        .token("es256-1")
        .claim("iat", json!(issued_at))
        .claim("exp", json!(expires_at))
        .mint();
    let verified = verifier.verify(&token).await.unwrap();
    // Kept past `exp`, not cut at the service's 24 h from `iat` (which
    // would have let the token back in at once).
    let horizon = verifier
        .revocation_horizon(&verified)
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(horizon > expires_at, "{horizon} <= {expires_at}");
    verifier.revoke(&verified).await.unwrap();
    assert_eq!(refused(&verifier, &token).await, TokenErrorKind::Revoked);
}

#[tokio::test]
async fn bad_combinations_are_build_errors() {
    let server = AuthServer::start();
    let discovered = Discovery::new(server.issuer(), AUDIENCE)
        .unwrap()
        .load()
        .await
        .unwrap();
    let provider = || {
        discovered
            .verifier(MemoryRevocations::new())
            .build()
            .unwrap()
    };
    let invalid = |result: Result<Verifier, TokenConfigError>| {
        matches!(result.unwrap_err(), TokenConfigError::InvalidValue(_))
    };

    // The outer verifier must require an issuer of its own.
    let key = VerifyingKey::hmac(Algorithm::HS256, &Secret::from(SECRET.to_vec())).unwrap();
    let no_issuer = Verifier::builder(KeySet::new([key]).unwrap(), MemoryRevocations::new())
        .accept_issuer(provider())
        .build();
    assert!(invalid(no_issuer));

    // The same issuer twice, or as the outer one's own.
    let twice = own_builder(MemoryRevocations::new())
        .accept_issuer(provider())
        .accept_issuer(provider())
        .build();
    assert!(invalid(twice));
    let same = own_builder(MemoryRevocations::new())
        .issuer(server.issuer())
        .accept_issuer(provider())
        .build();
    assert!(invalid(same));

    // Another HS256 verifier, for the two cases below.
    let middle = || {
        Verifier::builder(
            KeySet::new([
                VerifyingKey::hmac(Algorithm::HS256, &Secret::from(vec![9; 32])).unwrap(),
            ])
            .unwrap(),
            MemoryRevocations::new(),
        )
    };

    // The other verifier must require exactly one issuer.
    let loose = own_builder(MemoryRevocations::new())
        .accept_issuer(middle().build().unwrap())
        .build();
    assert!(invalid(loose));

    // Nested: an accepted verifier that accepts others.
    let nested = own_builder(MemoryRevocations::new())
        .accept_issuer(
            middle()
                .issuer("https://middle.example")
                .accept_issuer(provider())
                .build()
                .unwrap(),
        )
        .build();
    assert!(invalid(nested));
}

#[tokio::test]
async fn a_token_without_jti_is_revoked_under_its_digest() {
    let server = AuthServer::start();
    let verifier = both(&server, None).await;
    let token = server.token("es256-1").subject("u1").without("jti").mint();
    let sibling = server.token("es256-1").subject("u2").without("jti").mint();
    let verified = verifier.verify(&token).await.unwrap();
    assert_eq!(verified.jti(), None);
    let id = verified.revocation_id();
    assert!(id.starts_with("#sha256:") && id.len() == 8 + 43, "{id}");
    assert!(!id.contains(&token));
    verifier.revoke(&verified).await.unwrap();
    assert_eq!(refused(&verifier, &token).await, TokenErrorKind::Revoked);
    // The same token with its ECDSA signature written the other valid way
    // (s as n - s): another string, the same signed content, still revoked.
    let twin = es256_twin(&token);
    assert_ne!(twin, token);
    assert_eq!(refused(&verifier, &twin).await, TokenErrorKind::Revoked);
    // Another token without jti is another digest.
    assert!(verifier.verify(&sibling).await.is_ok());
}

fn base64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
