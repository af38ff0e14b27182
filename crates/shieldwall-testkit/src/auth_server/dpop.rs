//! DPoP (RFC 9449) on the client's side, for tests: an ES256 key pair and
//! its RFC 7638 thumbprint ([`DpopKey`]), tokens bound to it
//! ([`TokenBuilder::bound_to`]), and proofs with any part changed
//! ([`ProofBuilder`]): a symmetric `alg`, the private key in `jwk`, another
//! key's `jwk`, another `htm` or `htu`, no or a wrong `ath`, an old `iat`,
//! a `jti` used before.
//!
//! ```no_run
//! use shieldwall_testkit::auth_server::{AuthServer, DpopKey};
//!
//! let server = AuthServer::start();
//! let key = DpopKey::generate();
//! let token = server.token("es256-1").bound_to(&key).mint();
//! let proof = key
//!     .proof("GET", "https://api.example.test/me")
//!     .access_token(&token)
//!     .sign();
//! // Authorization: DPoP <token>, DPoP: <proof>
//! # drop(proof);
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use p256::ecdsa::signature::Signer;
use p256::elliptic_curve::Generate;
use serde_json::{Map, Value, json};
use sha2::Digest;

use super::TokenBuilder;
use super::token::now;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The base64url SHA-256 of `bytes`: a thumbprint, or a token's `ath`.
#[must_use]
pub fn sha256_b64(bytes: &[u8]) -> String {
    b64(&sha2::Sha256::digest(bytes))
}

/// A client's DPoP key: an ES256 key pair made in process.
#[derive(Clone)]
pub struct DpopKey {
    key: p256::ecdsa::SigningKey,
    x: String,
    y: String,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopKey")
            .field("thumbprint", &self.thumbprint())
            .finish_non_exhaustive()
    }
}

impl DpopKey {
    /// A fresh key pair from the operating system's generator.
    #[must_use]
    pub fn generate() -> Self {
        let key = p256::ecdsa::SigningKey::generate_from_rng(&mut rand::rng());
        let point = key.verifying_key().to_sec1_point(false);
        let x = b64(point.x().expect("an uncompressed point has x"));
        let y = b64(point.y().expect("an uncompressed point has y"));
        Self { key, x, y }
    }

    /// The public JWK: `{"kty":"EC","crv":"P-256","x":...,"y":...}`.
    #[must_use]
    pub fn public_jwk(&self) -> Value {
        json!({ "kty": "EC", "crv": "P-256", "x": self.x, "y": self.y })
    }

    /// The JWK with the private key in it (`d`): what a proof must never carry.
    #[must_use]
    pub fn private_jwk(&self) -> Value {
        let mut jwk = self.public_jwk();
        jwk["d"] = json!(b64(&self.key.to_bytes()));
        jwk
    }

    /// The RFC 7638 thumbprint: base64url SHA-256 of
    /// `{"crv":"P-256","kty":"EC","x":"...","y":"..."}`, the `cnf.jkt` of a
    /// token bound to this key.
    #[must_use]
    pub fn thumbprint(&self) -> String {
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            self.x, self.y
        );
        sha256_b64(canonical.as_bytes())
    }

    /// A good proof for a request of `method` to `htu`, to change and sign:
    /// header `{"typ":"dpop+jwt","alg":"ES256","jwk":<public>}`, claims
    /// `jti` (fresh), `htm`, `htu`, `iat` (now). No `ath` until
    /// [`ProofBuilder::access_token`] sets it.
    pub fn proof(&self, method: &str, htu: &str) -> ProofBuilder {
        let mut header = Map::new();
        header.insert("typ".into(), json!("dpop+jwt"));
        header.insert("alg".into(), json!("ES256"));
        header.insert("jwk".into(), self.public_jwk());
        let mut claims = Map::new();
        claims.insert("jti".into(), json!(fresh_jti()));
        claims.insert("htm".into(), json!(method));
        claims.insert("htu".into(), json!(htu));
        claims.insert("iat".into(), json!(now()));
        ProofBuilder {
            header,
            claims,
            signer: ProofSigner::Key(self.key.clone()),
        }
    }
}

fn fresh_jti() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let random: u64 = rand::random();
    format!(
        "proof-{}-{random:016x}",
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

impl TokenBuilder {
    /// `cnf.jkt` of `key`: a token bound to it (RFC 9449 section 6).
    pub fn bound_to(self, key: &DpopKey) -> Self {
        self.cnf_jkt(&key.thumbprint())
    }
}

enum ProofSigner {
    Key(p256::ecdsa::SigningKey),
    Hs256(Vec<u8>),
}

/// A DPoP proof to sign; every part can be changed.
#[must_use]
pub struct ProofBuilder {
    header: Map<String, Value>,
    claims: Map<String, Value>,
    signer: ProofSigner,
}

impl ProofBuilder {
    /// `ath`: the base64url SHA-256 of `token`.
    pub fn access_token(self, token: &str) -> Self {
        let ath = sha256_b64(token.as_bytes());
        self.claim("ath", json!(ath))
    }

    /// Sets a claim (any JSON value), replacing one of that name.
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.claims.insert(name.to_owned(), value);
        self
    }

    /// Removes a claim.
    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// `jti`.
    pub fn jti(self, jti: &str) -> Self {
        self.claim("jti", json!(jti))
    }

    /// `iat`, `seconds` ago (negative: in the future).
    pub fn issued_ago(self, seconds: i64) -> Self {
        let now = i64::try_from(now()).expect("a time in range");
        self.claim("iat", json!(now - seconds))
    }

    /// Sets a header parameter, replacing one of that name.
    pub fn header(mut self, name: &str, value: Value) -> Self {
        self.header.insert(name.to_owned(), value);
        self
    }

    /// Removes a header parameter.
    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Another key's public JWK in the header (signed by this key still).
    pub fn jwk_of(self, other: &DpopKey) -> Self {
        self.header("jwk", other.public_jwk())
    }

    /// The private key in the header's `jwk` (`d`).
    pub fn private_key_in_jwk(self) -> Self {
        let jwk = match &self.signer {
            ProofSigner::Key(key) => {
                let mut jwk = self.header.get("jwk").cloned().unwrap_or(json!({}));
                jwk["d"] = json!(b64(&key.to_bytes()));
                jwk
            }
            ProofSigner::Hs256(_) => json!({}),
        };
        self.header("jwk", jwk)
    }

    /// Signed by `other`, the header still naming this key.
    pub fn signed_by(mut self, other: &DpopKey) -> Self {
        self.signer = ProofSigner::Key(other.key.clone());
        self
    }

    /// `alg: HS256`, keyed with `secret` (a symmetric proof).
    pub fn hs256_with(mut self, secret: &[u8]) -> Self {
        self.header.insert("alg".into(), json!("HS256"));
        self.signer = ProofSigner::Hs256(secret.to_vec());
        self
    }

    /// The compact JWS, for the `DPoP` header.
    #[must_use]
    pub fn sign(self) -> String {
        let header = serde_json::to_vec(&Value::Object(self.header)).expect("JSON");
        let claims = serde_json::to_vec(&Value::Object(self.claims)).expect("JSON");
        let input = format!("{}.{}", b64(&header), b64(&claims));
        let signature = match &self.signer {
            ProofSigner::Key(key) => {
                let signature: p256::ecdsa::Signature = key.sign(input.as_bytes());
                signature.to_bytes().to_vec()
            }
            ProofSigner::Hs256(secret) => {
                let mut mac =
                    hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).expect("any key length");
                mac.update(input.as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
        };
        format!("{input}.{}", b64(&signature))
    }
}
