//! The authorization server's signing keys: made in process, published as
//! JWKs, and used to sign what a test mints.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::elliptic_curve::Generate;
use p256::pkcs8::{EncodePublicKey, LineEnding};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

/// The kind of a signing key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAlg {
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, a 2048-bit key.
    Rs256,
}

impl KeyAlg {
    /// The JOSE `alg` name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
        }
    }
}

enum Private {
    Es256(p256::ecdsa::SigningKey),
    Rs256(rsa::pkcs1v15::SigningKey<sha2::Sha256>),
}

/// A key pair of the server, named by its `kid`.
pub(crate) struct IssuerKey {
    pub(crate) kid: String,
    pub(crate) alg: KeyAlg,
    private: Private,
    /// The public JWK, as the JWKS lists it.
    pub(crate) jwk: Value,
    /// The public key as SPKI PEM.
    pub(crate) pem: String,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl IssuerKey {
    /// A fresh key pair from the operating system's generator.
    pub(crate) fn generate(alg: KeyAlg, kid: &str) -> Self {
        let mut rng = rand::rng();
        let (private, jwk, pem) = match alg {
            KeyAlg::Es256 => {
                let key = p256::ecdsa::SigningKey::generate_from_rng(&mut rng);
                let public = key.verifying_key();
                let point = public.to_sec1_point(false);
                let x = point.x().expect("an uncompressed point has x");
                let y = point.y().expect("an uncompressed point has y");
                let jwk = json!({
                    "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
                    "x": b64(x), "y": b64(y),
                });
                let pem = public
                    .to_public_key_pem(LineEnding::LF)
                    .expect("a P-256 public key encodes");
                (Private::Es256(key), jwk, pem)
            }
            KeyAlg::Rs256 => {
                let key = rsa::PrivateKey::new(&mut rng, 2048).expect("an RSA key pair");
                let public = key.to_public_key();
                let jwk = json!({
                    "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                    "n": b64(&public.n_bytes()), "e": b64(&public.e_bytes()),
                });
                let pem = public
                    .to_public_key_pem(LineEnding::LF)
                    .expect("an RSA public key encodes");
                (
                    Private::Rs256(rsa::pkcs1v15::SigningKey::new(key)),
                    jwk,
                    pem,
                )
            }
        };
        Self {
            kid: kid.to_owned(),
            alg,
            private,
            jwk,
            pem,
        }
    }

    /// The JWS signature of `input` (ES256: `r || s`, 64 bytes).
    pub(crate) fn sign(&self, input: &[u8]) -> Vec<u8> {
        match &self.private {
            Private::Es256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(input);
                signature.to_bytes().to_vec()
            }
            Private::Rs256(key) => key.sign(input).to_vec(),
        }
    }
}
