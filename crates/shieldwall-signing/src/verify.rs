//! `Verifier`: the checks, in two steps. `prepare` is synchronous and reads
//! the request (parse, policy, signature base, digest); `finish` is
//! asynchronous (key lookup, verification, then the nonce).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shieldwall_core::telemetry::{self, StoreKind};
use shieldwall_core::{Clock, LogThrottle, RequestView, SystemClock};

use crate::rebuild::rebuild;
use crate::select::{parse_inputs, parse_signatures, select, signature_of};
use crate::sf::Inputs;
use crate::{
    Algorithm, KeyResolver, NonceStore, Reason, SignaturePolicy, SignatureRejection,
    VerifiedSignature, digest, fields,
};

/// Checks signed requests against a [`SignaturePolicy`], with keys from a
/// [`KeyResolver`] and nonces remembered in a [`NonceStore`].
///
/// [`SignatureGuard`](crate::SignatureGuard) runs it on a route; call it
/// directly to verify elsewhere (a webhook consumer, a queue).
pub struct Verifier<K, N> {
    policy: Arc<SignaturePolicy>,
    keys: K,
    nonces: N,
    clock: Arc<dyn Clock>,
    store_log: Arc<LogThrottle>,
}

impl<K: Clone, N: Clone> Clone for Verifier<K, N> {
    fn clone(&self) -> Self {
        Self {
            policy: Arc::clone(&self.policy),
            keys: self.keys.clone(),
            nonces: self.nonces.clone(),
            clock: Arc::clone(&self.clock),
            store_log: Arc::clone(&self.store_log),
        }
    }
}

impl<K, N> std::fmt::Debug for Verifier<K, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// A request whose signature passed every check that needs no store: what
/// [`Verifier::finish`] completes. Owns its data (`Send`).
#[derive(Debug)]
pub struct PendingSignature {
    ids: KeyIdAndNonce,
    algorithm: Option<Algorithm>,
    base: String,
    signature: Vec<u8>,
    label: String,
    created: i64,
    expires: Option<i64>,
    owner: Option<Option<String>>,
}

impl PendingSignature {
    /// The `keyid` the signature names (not yet looked up).
    #[must_use]
    pub fn key_id(&self) -> &str {
        self.ids.key_id()
    }

    /// The signature base that was rebuilt from the request.
    #[must_use]
    pub fn signature_base(&self) -> &str {
        &self.base
    }

    /// Also requires the key to belong to `owner` (the principal an earlier
    /// guard identified); `None`, no principal, fails with
    /// [`Reason::OwnerMismatch`].
    #[must_use]
    pub fn expect_owner(mut self, owner: Option<&str>) -> Self {
        self.owner = Some(owner.map(str::to_owned));
        self
    }
}

/// The `keyid` and the nonce in one allocation, the `keyid` first; that
/// part becomes the verified signature's `key_id`, without a copy.
struct KeyIdAndNonce {
    text: String,
    key_len: usize,
}

impl KeyIdAndNonce {
    fn new(key_id: &str, nonce: &str) -> Self {
        let mut text = String::with_capacity(key_id.len() + nonce.len());
        text.push_str(key_id);
        text.push_str(nonce);
        Self {
            text,
            key_len: key_id.len(),
        }
    }

    fn key_id(&self) -> &str {
        self.text.get(..self.key_len).unwrap_or_default()
    }

    fn nonce(&self) -> &str {
        self.text.get(self.key_len..).unwrap_or_default()
    }

    fn into_key_id(mut self) -> String {
        self.text.truncate(self.key_len);
        self.text
    }
}

impl std::fmt::Debug for KeyIdAndNonce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyIdAndNonce")
            .field("key_id", &self.key_id())
            .field("nonce", &self.nonce())
            .finish()
    }
}

fn seconds(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn time(unix_seconds: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(unix_seconds).unwrap_or(0))
}

impl<K: KeyResolver, N: NonceStore> Verifier<K, N> {
    /// A verifier on the system clock.
    pub fn new(policy: SignaturePolicy, keys: K, nonces: N) -> Self {
        Self {
            policy: Arc::new(policy),
            keys,
            nonces,
            clock: Arc::new(SystemClock::new()),
            store_log: Arc::new(LogThrottle::new(Duration::from_secs(10))),
        }
    }

    /// Reads time from `clock` (a manual clock in tests).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The policy.
    #[must_use]
    pub fn policy(&self) -> &SignaturePolicy {
        &self.policy
    }

    /// The key resolver.
    #[must_use]
    pub fn keys(&self) -> &K {
        &self.keys
    }

    /// The nonce store.
    #[must_use]
    pub fn nonces(&self) -> &N {
        &self.nonces
    }

    /// What can be decided from the head before the body is read: both
    /// headers present ([`Reason::SignatureMissing`] otherwise) and within
    /// the size limit ([`Reason::HeaderTooLarge`]), without parsing them.
    pub fn precheck<R: RequestView + ?Sized>(&self, request: &R) -> Result<(), SignatureRejection> {
        let limit = self.policy.max_header_bytes;
        let input = fields::combined_len(request, "signature-input", limit);
        let signature = fields::combined_len(request, "signature", limit);
        match (input, signature) {
            (Some(a), Some(b)) if a > limit || b > limit => Err(Reason::HeaderTooLarge.into()),
            (Some(_), Some(_)) => Ok(()),
            _ => Err(Reason::SignatureMissing.into()),
        }
    }

    /// Every check that needs no store, on the head and the raw body bytes:
    /// the headers parsed as structured fields, the entry chosen, the policy
    /// (components, `created`, `expires`, `keyid`, `nonce`, `alg`, `tag`),
    /// the signature base rebuilt and `Content-Digest` checked when covered.
    pub fn prepare<R: RequestView + ?Sized>(
        &self,
        request: &R,
        body: &[u8],
    ) -> Result<PendingSignature, SignatureRejection> {
        self.prepare_at(request, body, seconds(self.clock.now()))
            .map_err(SignatureRejection::from)
    }

    fn prepare_at<R: RequestView + ?Sized>(
        &self,
        request: &R,
        body: &[u8],
        now: i64,
    ) -> Result<PendingSignature, Reason> {
        let policy = &*self.policy;
        let limit = policy.max_header_bytes;
        let (Some(inputs), Some(signatures)) = (
            fields::combined(request, "signature-input", limit)?,
            fields::combined(request, "signature", limit)?,
        ) else {
            return Err(Reason::SignatureMissing);
        };
        let mut parsed = Inputs::default();
        parse_inputs(&inputs, &mut parsed)?;
        let signatures = parse_signatures(&signatures)?;
        let input = select(&parsed, policy, now)?;
        let signature = signature_of(signatures, input.label)?;
        let digest_at = input
            .components()
            .iter()
            .position(|c| c.is_header("content-digest"));
        let base = rebuild(request, policy, input, digest_at)?;
        if let Some(range) = base.captured {
            // The value as the base holds it: every line, trimmed, combined.
            let value = base.text.get(range).unwrap_or_default();
            if value.len() > limit {
                return Err(Reason::HeaderTooLarge);
            }
            digest::check(value.as_bytes(), body)?;
        }
        let base = base.text;
        let (Some(created), Some(key_id), Some(nonce)) =
            (input.created(), input.key_id(), input.nonce())
        else {
            // `check_policy` made sure of all three.
            return Err(Reason::MalformedSignatureInput);
        };
        Ok(PendingSignature {
            ids: KeyIdAndNonce::new(key_id, nonce),
            algorithm: input.algorithm()?,
            base,
            signature,
            label: input.label.to_owned(),
            created,
            expires: input.expires(),
            owner: None,
        })
    }

    /// Completes a prepared verification: the key looked up and bound to
    /// its algorithm, the signature verified (HMAC in constant time), the
    /// owner compared when asked, and only then the nonce remembered, for as
    /// long as the signature could be accepted anywhere.
    pub async fn finish(
        &self,
        pending: PendingSignature,
    ) -> Result<VerifiedSignature, SignatureRejection> {
        let key = match self.keys.resolve(pending.ids.key_id()).await {
            Ok(Some(key)) if key.id() == pending.ids.key_id() => key,
            Ok(_) => return Err(Reason::UnknownKey.into()),
            Err(error) => {
                telemetry::store_error(StoreKind::SigningKeys);
                if self.store_log.allow() {
                    tracing::error!(%error, "signing key store unavailable; refusing signed requests until it answers");
                }
                return Err(SignatureRejection::store(
                    Reason::KeyStoreUnavailable,
                    error,
                ));
            }
        };
        let algorithm = key.algorithm();
        if !self.policy.allows(algorithm) || pending.algorithm.is_some_and(|a| a != algorithm) {
            return Err(Reason::WrongAlgorithm.into());
        }
        if !key.verify(pending.base.as_bytes(), &pending.signature) {
            return Err(Reason::BadSignature.into());
        }
        if let Some(owner) = &pending.owner
            && owner.as_deref() != Some(key.owner())
        {
            return Err(Reason::OwnerMismatch.into());
        }
        let ttl = self.nonce_ttl(pending.created, pending.expires);
        match self
            .nonces
            .remember_nonce(key.id(), pending.ids.nonce(), ttl)
            .await
        {
            Ok(true) => {}
            Ok(false) => return Err(Reason::NonceReplayed.into()),
            Err(error) => {
                telemetry::store_error(StoreKind::Nonces);
                if self.store_log.allow() {
                    tracing::error!(%error, "nonce store unavailable; refusing signed requests until it answers");
                }
                return Err(SignatureRejection::store(
                    Reason::NonceStoreUnavailable,
                    error,
                ));
            }
        }
        Ok(VerifiedSignature {
            key_id: pending.ids.into_key_id(),
            owner: key.owner().to_owned(),
            algorithm,
            label: pending.label,
            created: time(pending.created),
            expires: pending.expires.map(time),
        })
    }

    /// [`Verifier::prepare`] then [`Verifier::finish`].
    pub async fn verify<R: RequestView + ?Sized>(
        &self,
        request: &R,
        body: &[u8],
    ) -> Result<VerifiedSignature, SignatureRejection> {
        let pending = self.prepare(request, body)?;
        self.finish(pending).await
    }

    /// How long the nonce must be remembered: until the last second the
    /// signature can be accepted (`created + window`, or `expires` when
    /// earlier: a signature is refused once either is past), plus the clock
    /// skew margin for instances whose clocks run behind, from now. A
    /// client's far `expires` does not keep a nonce longer.
    fn nonce_ttl(&self, created: i64, expires: Option<i64>) -> Duration {
        let window = i64::try_from(self.policy.window.as_secs()).unwrap_or(i64::MAX);
        let skew = i64::try_from(self.policy.clock_skew.as_secs()).unwrap_or(i64::MAX);
        let last_accepted = created.saturating_add(window);
        let horizon = expires.map_or(last_accepted, |e| e.min(last_accepted));
        let until_ms = i128::from(horizon.saturating_add(skew)) * 1000;
        let now_ms = self
            .clock
            .now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i128::try_from(d.as_millis()).unwrap_or(i128::MAX));
        let ttl_ms = (until_ms - now_ms).max(1000);
        Duration::from_millis(u64::try_from(ttl_ms).unwrap_or(u64::MAX))
    }
}
