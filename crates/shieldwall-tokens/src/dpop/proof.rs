//! The proof check: what a request says ([`ProofInput`]), then the proof
//! against it, the access token and the bound key, then its `jti` in the
//! replay store.

use std::fmt;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use sha2::{Digest, Sha256};
use shieldwall_core::RequestView;
use shieldwall_core::telemetry::{self, StoreKind};
use subtle::ConstantTimeEq;

use super::htu::{self, Origin};
use super::jwk::Jwk;
use super::{DpopErrorKind, DpopPolicy, DpopRejection, MAX_PROOF_LEN};
use crate::json::{Any, SeenKeys, Text, duplicate};
use crate::{Algorithm, MAX_JTI_LEN, NumericDate};

/// What a request says for its DPoP proof: the `DPoP` header, the method,
/// and the URI the proof must name. Read by [`DpopPolicy::read_request`];
/// owned, so it can wait for the token's verification.
pub struct ProofInput {
    proof: String,
    method: String,
    /// `None`: the policy's public origin.
    origin: Option<Origin>,
    path: String,
}

impl fmt::Debug for ProofInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The proof is left out: with its token, it is a credential until its
        // `jti` is used.
        f.debug_struct("ProofInput")
            .field("method", &self.method)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The header parameters read: `typ`, `alg`, `jwk`, and whether `crit` is
/// there (no extension is understood, so none may be critical).
#[derive(Default)]
struct Header<'de> {
    typ: Option<Any<'de>>,
    alg: Option<Any<'de>>,
    jwk: Option<Jwk<'de>>,
    crit: bool,
}

impl<'de> Deserialize<'de> for Header<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(HeaderVisitor)
    }
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = Header<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut header = Header::default();
        let mut seen = SeenKeys::new();
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            if !seen.insert(&key) {
                return Err(duplicate());
            }
            match key.as_ref() {
                "typ" => header.typ = Some(map.next_value()?),
                "alg" => header.alg = Some(map.next_value()?),
                "jwk" => header.jwk = Some(map.next_value()?),
                name => {
                    header.crit |= name == "crit";
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(header)
    }
}

/// The claims read (RFC 9449 section 4.2), their types not yet judged.
#[derive(Default)]
struct Claims<'de> {
    jti: Option<Any<'de>>,
    htm: Option<Any<'de>>,
    htu: Option<Any<'de>>,
    iat: Option<Any<'de>>,
    ath: Option<Any<'de>>,
}

impl<'de> Deserialize<'de> for Claims<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ClaimsVisitor)
    }
}

struct ClaimsVisitor;

impl<'de> Visitor<'de> for ClaimsVisitor {
    type Value = Claims<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a DPoP proof's claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut claims = Claims::default();
        let mut seen = SeenKeys::new();
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            if !seen.insert(&key) {
                return Err(duplicate());
            }
            let slot = match key.as_ref() {
                "jti" => &mut claims.jti,
                "htm" => &mut claims.htm,
                "htu" => &mut claims.htu,
                "iat" => &mut claims.iat,
                "ath" => &mut claims.ath,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = Some(map.next_value()?);
        }
        Ok(claims)
    }
}

fn text<'a>(value: Option<&'a Any<'_>>) -> Option<&'a str> {
    match value {
        Some(Any::Text(s)) => Some(s),
        _ => None,
    }
}

/// Whether `encoded` is the unpadded base64url of exactly `expected`,
/// compared in constant time.
fn same_digest(encoded: &str, expected: &[u8; 32]) -> bool {
    let mut decoded = [0_u8; 33];
    match URL_SAFE_NO_PAD.decode_slice(encoded, &mut decoded) {
        Ok(32) => decoded
            .get(..32)
            .is_some_and(|d| bool::from(d.ct_eq(expected))),
        _ => false,
    }
}

/// A proof that passed every check but the replay store.
struct Checked {
    jti: String,
    iat: i64,
}

impl DpopPolicy {
    fn refuse(&self, kind: DpopErrorKind, reason: &'static str) -> DpopRejection {
        let challenge = match kind {
            DpopErrorKind::Proof | DpopErrorKind::Replayed => Some(self.challenges.proof.clone()),
            DpopErrorKind::Token => Some(self.challenges.token.clone()),
            DpopErrorKind::StoreUnavailable => None,
        };
        DpopRejection::new(kind, reason, challenge)
    }

    pub(super) fn refuse_token(&self, reason: &'static str) -> DpopRejection {
        self.refuse(DpopErrorKind::Token, reason)
    }

    fn invalid(&self, reason: &'static str) -> DpopRejection {
        self.refuse(DpopErrorKind::Proof, reason)
    }

    /// Reads what `request` says for its proof: the one `DPoP` header (at
    /// most [`MAX_PROOF_LEN`] bytes), the method, the path, and, when the
    /// policy takes the origin from the request, its scheme and host.
    pub fn read_request<V: RequestView + ?Sized>(
        &self,
        request: &V,
    ) -> Result<ProofInput, DpopRejection> {
        let proof = match request.single_header("dpop") {
            Err(_) => return Err(self.invalid("two DPoP headers")),
            Ok(None) => return Err(self.invalid("no DPoP header")),
            Ok(Some(proof)) => proof,
        };
        if proof.len() > MAX_PROOF_LEN {
            return Err(self.invalid("the DPoP header is longer than the limit"));
        }
        let proof =
            std::str::from_utf8(proof).map_err(|_| self.invalid("the DPoP header is not text"))?;
        let origin = match &self.inner.origin {
            Some(_) => None,
            None => {
                let https = request
                    .context()
                    .map_or_else(|| request.arrived_over_tls(), |c| c.is_https());
                let authority = request
                    .authority()
                    .ok_or_else(|| self.invalid("no Host to check htu against"))?;
                Some(
                    Origin::of_request(https, authority)
                        .ok_or_else(|| self.invalid("the Host is not a host"))?,
                )
            }
        };
        Ok(ProofInput {
            proof: proof.to_owned(),
            method: request.method().to_owned(),
            origin,
            path: request.path().to_owned(),
        })
    }

    /// Checks a proof for `access_token`, bound to the key whose RFC 7638
    /// thumbprint is `jkt` (the token's `cnf.jkt`), then remembers its
    /// `jti`. In order: a compact JWS; `typ` `dpop+jwt`; an allowed
    /// asymmetric `alg`; a public `jwk` that fits it; its thumbprint equal
    /// to `jkt`; the signature under it; `htm` the request's method, `htu`
    /// its URI (RFC 9449 section 4.3); `iat` at most the maximum age old and
    /// at most the clock skew ahead; `ath` the token's hash; a `jti` of 1 to
    /// 256 bytes never seen within the window (nothing is stored before the
    /// signature verified). Each refusal is
    /// [`DpopErrorKind::Proof`], but a replay ([`DpopErrorKind::Replayed`])
    /// and a store that cannot answer ([`DpopErrorKind::StoreUnavailable`]).
    pub async fn verify_proof(
        &self,
        input: &ProofInput,
        access_token: &str,
        jkt: &str,
    ) -> Result<(), DpopRejection> {
        let now = self.inner.clock.now();
        let now_ms = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let checked = self.check(input, access_token, jkt, now_ms.div_euclid(1000))?;
        let until_ms = checked
            .iat
            .saturating_add(self.inner.max_age)
            .saturating_add(self.inner.clock_skew)
            .saturating_mul(1000);
        let ttl = Duration::from_millis(
            u64::try_from(until_ms.saturating_sub(now_ms).max(1000)).unwrap_or(u64::MAX),
        );
        let key_id = format!("dpop:{jkt}");
        match self.inner.store.remember(&key_id, &checked.jti, ttl).await {
            Ok(true) => Ok(()),
            Ok(false) => {
                Err(self.refuse(DpopErrorKind::Replayed, "the proof's jti was seen before"))
            }
            Err(error) => {
                telemetry::store_error(StoreKind::Nonces);
                if self.inner.store_log.allow() {
                    tracing::error!(%error, "DPoP replay store unavailable; refusing DPoP requests until it answers");
                }
                Err(self.refuse(DpopErrorKind::StoreUnavailable, "replay store unavailable"))
            }
        }
    }

    /// Everything but the replay store.
    fn check(
        &self,
        input: &ProofInput,
        access_token: &str,
        jkt: &str,
        now: i64,
    ) -> Result<Checked, DpopRejection> {
        let proof = input.proof.as_str();
        let malformed = || self.invalid("not a compact JWS");
        let (header_b64, rest) = proof.split_once('.').ok_or_else(malformed)?;
        let (payload_b64, signature_b64) = rest.split_once('.').ok_or_else(malformed)?;
        if signature_b64.contains('.') || signature_b64.is_empty() {
            return Err(malformed());
        }
        let header_bytes = URL_SAFE_NO_PAD
            .decode(header_b64)
            .map_err(|_| malformed())?;
        let header: Header<'_> = serde_json::from_slice(&header_bytes).map_err(|_| {
            self.invalid("the header is not a JSON object with unique keys and a JWK")
        })?;
        if header.crit {
            return Err(self.invalid("the header has critical extensions"));
        }
        if !text(header.typ.as_ref()).is_some_and(|t| t.eq_ignore_ascii_case("dpop+jwt")) {
            return Err(self.invalid("typ is not dpop+jwt"));
        }
        let alg = text(header.alg.as_ref())
            .and_then(Algorithm::from_name)
            .filter(|alg| self.inner.algorithms.contains(alg))
            .ok_or_else(|| self.invalid("alg is not an allowed asymmetric algorithm"))?;
        let key = header
            .jwk
            .as_ref()
            .ok_or_else(|| self.invalid("no jwk"))?
            .public_key(alg)
            .map_err(|reason| self.invalid(reason))?;
        if !same_digest(jkt, &key.thumbprint()) {
            return Err(self.invalid("the jwk's thumbprint is not the token's cnf.jkt"));
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature_b64)
            .map_err(|_| malformed())?;
        let signing_input = proof
            .as_bytes()
            .get(..header_b64.len() + 1 + payload_b64.len())
            .ok_or_else(malformed)?;
        if !key.verify(alg, signing_input, &signature) {
            return Err(self.invalid("the signature does not verify under the jwk"));
        }
        let payload = URL_SAFE_NO_PAD
            .decode(payload_b64)
            .map_err(|_| malformed())?;
        let claims: Claims<'_> = serde_json::from_slice(&payload)
            .map_err(|_| self.invalid("the claims are not a JSON object with unique names"))?;
        if text(claims.htm.as_ref()) != Some(input.method.as_str()) {
            return Err(self.invalid("htm is not the request's method"));
        }
        let origin = input
            .origin
            .as_ref()
            .or(self.inner.origin.as_ref())
            .ok_or_else(|| self.invalid("no origin"))?;
        if !text(claims.htu.as_ref()).is_some_and(|htu| htu::matches(htu, origin, &input.path)) {
            return Err(self.invalid("htu is not the request's URI"));
        }
        let iat = match claims.iat.as_ref() {
            Some(Any::Number(n)) => NumericDate::from_number(n).map(NumericDate::unix_seconds),
            _ => None,
        }
        .ok_or_else(|| self.invalid("no iat, or not a NumericDate"))?;
        if iat > now.saturating_add(self.inner.clock_skew) {
            return Err(self.invalid("iat is in the future"));
        }
        if now.saturating_sub(iat) > self.inner.max_age {
            return Err(self.invalid("iat is older than the maximum age"));
        }
        let token_hash: [u8; 32] = Sha256::digest(access_token.as_bytes()).into();
        if !text(claims.ath.as_ref()).is_some_and(|ath| same_digest(ath, &token_hash)) {
            return Err(self.invalid("ath is missing or not the token's hash"));
        }
        let jti = text(claims.jti.as_ref())
            .filter(|jti| !jti.is_empty() && jti.len() <= MAX_JTI_LEN)
            .ok_or_else(|| self.invalid("no jti, or empty or too long"))?;
        Ok(Checked {
            jti: jti.to_owned(),
            iat,
        })
    }
}
