//! `Verifier`: the strict JWT check.

use std::sync::Arc;
use std::time::Duration;

use shieldwall_core::{Clock, LogThrottle, Principal, StoreError, SystemClock};

use crate::cache::TokenCache;
use crate::claims::{self, Rules};
use crate::compact::{self, DEFAULT_MAX_TOKEN_LEN};
use crate::date::system_time;
use crate::verified::Facts;
use crate::{
    Algorithm, KeySet, KeySource, MemoryRevocations, NumericDate, RevocationStore,
    TokenConfigError, TokenErrorKind, TokenRejection, VerifiedToken,
};

/// How long a revocation is kept past the last second at which the verifier
/// would accept the token: instances whose clocks disagree by up to this much
/// still see it.
pub const REVOCATION_MARGIN: Duration = Duration::from_secs(60);

/// The largest clock leeway a verifier accepts (300 s); revocations are kept
/// past it whatever this verifier's own leeway, so that every verifier
/// sharing the store refuses the token for as long as it would accept it.
const MAX_LEEWAY_SECS: i64 = 300;

/// Verifies bearer tokens. Cheap to clone.
///
/// In order: length (8 KiB by default) before any decoding; compact JWS in
/// strict base64url; a header that names no key material (`jku`, `jwk`,
/// `x5u`, `x5c`) and no `crit`; an allowed `alg`; the key chosen by `kid` from
/// the configured set, bound to that same `alg`; the signature; then the
/// claims (`exp`, `iat`, `jti`, `sub` required, `nbf` when present, `iss` and
/// `aud` when configured, types checked, a maximum age, 30 s leeway); then
/// revocation, failing closed when the store cannot answer. `TOKEN_EXPIRED`
/// and `TOKEN_REVOKED` are only said once the signature verified.
///
/// ```
/// use shieldwall_core::Secret;
/// use shieldwall_tokens::{Algorithm, Issuer, KeySet, MemoryRevocations, SigningKey, Verifier, VerifyingKey};
///
/// let secret = Secret::from(vec![42_u8; 32]);
/// let issuer = Issuer::builder(SigningKey::hmac(Algorithm::HS256, &secret)?)
///     .issuer("auth.example")
///     .audience("api.example")
///     .build()?;
/// let verifier = Verifier::builder(KeySet::new([VerifyingKey::hmac(Algorithm::HS256, &secret)?])?, MemoryRevocations::new())
///     .issuer("auth.example")
///     .audience("api.example")
///     .build()?;
///
/// let issued = issuer.issue("user-7", &["users:read"])?;
/// # futures_util::FutureExt::now_or_never(async {
/// let token = verifier.verify(issued.token()).await.unwrap();
/// assert_eq!(token.subject(), "user-7");
/// assert_eq!(token.scopes(), ["users:read"]);
/// # }).unwrap();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Verifier<R = MemoryRevocations> {
    inner: Arc<Inner<R>>,
}

impl<R> Clone for Verifier<R> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<R> Verifier<R> {
    fn has_introspector(&self) -> bool {
        #[cfg(feature = "introspection")]
        return self.inner.introspector.is_some();
        #[cfg(not(feature = "introspection"))]
        false
    }
}

impl<R> std::fmt::Debug for Verifier<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("allowed", &self.inner.allowed)
            .field("rules", &self.inner.rules)
            .field("other_issuers", &self.inner.others)
            .finish_non_exhaustive()
    }
}

struct Inner<R> {
    keys: KeySource,
    allowed: Vec<Algorithm>,
    rules: Rules,
    max_len: usize,
    revocations: R,
    clock: Arc<dyn Clock>,
    cache: Option<TokenCache>,
    realm: Option<Arc<str>>,
    store_log: LogThrottle,
    #[cfg(feature = "introspection")]
    introspector: Option<crate::introspection::Introspector>,
    /// The verifiers of other issuers, each requiring its one `iss`.
    others: Vec<Verifier<R>>,
}

/// Builds a [`Verifier`]; every setting is checked by [`VerifierBuilder::build`].
#[must_use]
pub struct VerifierBuilder<R> {
    keys: KeySource,
    allowed: Option<Vec<Algorithm>>,
    rules: Rules,
    max_len: usize,
    revocations: R,
    clock: Arc<dyn Clock>,
    cache_capacity: usize,
    realm: Option<String>,
    #[cfg(feature = "introspection")]
    introspector: Option<crate::introspection::Introspector>,
    others: Vec<Verifier<R>>,
}

impl<R> std::fmt::Debug for VerifierBuilder<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifierBuilder").finish_non_exhaustive()
    }
}

fn check_text(value: &str, what: &'static str) -> Result<(), TokenConfigError> {
    if value.is_empty() || value.len() > 256 || value.chars().any(char::is_control) {
        return Err(TokenConfigError::InvalidValue(what));
    }
    Ok(())
}

/// The checks of every setting but the keys and algorithms: `build` runs
/// them, and so does a [`VerifierSettings`](crate::VerifierSettings) read
/// from a file.
pub(crate) fn check_settings(
    rules: &Rules,
    realm: Option<&str>,
    max_len: usize,
) -> Result<(), TokenConfigError> {
    for issuer in &rules.issuers {
        check_text(issuer, "issuer")?;
    }
    for audience in &rules.audiences {
        check_text(audience, "audience")?;
    }
    if let Some(realm) = realm {
        check_text(realm, "realm")?;
        if realm.contains(['"', '\\']) || !realm.is_ascii() {
            return Err(TokenConfigError::InvalidValue(
                "realm (ASCII without quotes or backslashes)",
            ));
        }
    }
    if max_len < 64 {
        return Err(TokenConfigError::InvalidValue(
            "maximum token length (at least 64 bytes)",
        ));
    }
    if rules.leeway > MAX_LEEWAY_SECS {
        return Err(TokenConfigError::InvalidValue("leeway (at most 300 s)"));
    }
    Ok(())
}

pub(crate) fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

impl<R: RevocationStore> VerifierBuilder<R> {
    /// The algorithms accepted (default: those of the configured keys; a JWKS
    /// source needs an explicit list).
    pub fn allow_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.allowed = Some(algorithms.into_iter().collect());
        self
    }

    /// Requires `iss` to be this value (call again to accept several).
    pub fn issuer(mut self, issuer: &str) -> Self {
        self.rules.issuers.push(issuer.to_owned());
        self
    }

    /// Requires `aud` to hold this value (call again to accept several).
    pub fn audience(mut self, audience: &str) -> Self {
        self.rules.audiences.push(audience.to_owned());
        self
    }

    /// Clock leeway for `exp`, `nbf` and `iat` (default 30 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.rules.leeway = seconds(leeway);
        self
    }

    /// Refuses tokens issued longer ago than this (default 24 h; `None`: no limit).
    pub fn max_age(mut self, max_age: Option<Duration>) -> Self {
        self.rules.max_age = max_age.map(seconds);
        self
    }

    /// The longest token accepted, checked before decoding (default 8 KiB).
    pub fn max_token_len(mut self, bytes: usize) -> Self {
        self.max_len = bytes;
        self
    }

    /// Whether `iat` must be present (default true).
    pub fn require_iat(mut self, required: bool) -> Self {
        self.rules.require_iat = required;
        self
    }

    /// Whether `jti` must be present (default true; a token without one is
    /// revoked under a digest of itself, [`VerifiedToken::revocation_id`]).
    pub fn require_jti(mut self, required: bool) -> Self {
        self.rules.require_jti = required;
        self
    }

    /// Whether `sub` must be present (default true).
    pub fn require_sub(mut self, required: bool) -> Self {
        self.rules.require_sub = required;
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// How many verified tokens to remember (default 10 000; 0 turns the cache off).
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity;
        self
    }

    /// The `realm` of `WWW-Authenticate` answers (default: none).
    pub fn realm(mut self, realm: &str) -> Self {
        self.realm = Some(realm.to_owned());
        self
    }

    /// Sends every bearer value that is not a compact JWS to `introspector`
    /// (RFC 7662, feature `introspection`); JWS tokens keep this verifier's
    /// keys and rules. An introspected token then passes the same
    /// revocation check (by its `jti`, when the answer has one).
    #[cfg(feature = "introspection")]
    pub fn introspection(mut self, introspector: crate::introspection::Introspector) -> Self {
        self.introspector = Some(introspector);
        self
    }

    /// Also accepts the tokens of another issuer, verified by `other`: a
    /// token whose `iss` is `other`'s one required issuer goes to `other`
    /// (its keys, algorithms, audience and rules, say those of an identity
    /// provider found by discovery); every other token to this verifier,
    /// which must require issuers of its own. The `iss` read to choose is
    /// only a pointer: the chosen verifier then checks the signature and
    /// every claim, `iss` included, so a token cannot borrow another
    /// issuer's keys. Revocations and the `realm` are this verifier's (the
    /// revocation store `other` was built with is not consulted), and a
    /// revocation is kept for as long as the loosest of them accepts the
    /// token. Call again for several issuers.
    pub fn accept_issuer(mut self, other: Verifier<R>) -> Self {
        self.others.push(other);
        self
    }

    /// The verifier.
    pub fn build(self) -> Result<Verifier<R>, TokenConfigError> {
        let allowed = match (self.allowed, self.keys.static_algorithms()) {
            (Some(allowed), _) => allowed,
            (None, Some(of_keys)) => of_keys,
            (None, None) => {
                return Err(TokenConfigError::Algorithms(
                    "a JWKS source needs allow_algorithms",
                ));
            }
        };
        if allowed.is_empty() {
            return Err(TokenConfigError::Algorithms("no algorithm is allowed"));
        }
        if let Some(of_keys) = self.keys.static_algorithms()
            && of_keys.iter().any(|alg| !allowed.contains(alg))
        {
            return Err(TokenConfigError::Algorithms(
                "a key is bound to an algorithm that is not allowed",
            ));
        }
        check_settings(&self.rules, self.realm.as_deref(), self.max_len)?;
        check_others(&self.rules, &self.others)?;
        Ok(Verifier {
            inner: Arc::new(Inner {
                keys: self.keys,
                allowed,
                rules: self.rules,
                max_len: self.max_len,
                revocations: self.revocations,
                clock: self.clock,
                cache: (self.cache_capacity > 0).then(|| TokenCache::new(self.cache_capacity)),
                realm: self.realm.map(Arc::from),
                store_log: LogThrottle::new(Duration::from_secs(10)),
                #[cfg(feature = "introspection")]
                introspector: self.introspector,
                others: self.others,
            }),
        })
    }
}

/// Each other issuer's verifier requires exactly one issuer, none of this
/// verifier's nor another's, and has no others or introspector of its own:
/// one token, one verifier.
fn check_others<R>(rules: &Rules, others: &[Verifier<R>]) -> Result<(), TokenConfigError> {
    if others.is_empty() {
        return Ok(());
    }
    if rules.issuers.is_empty() {
        return Err(TokenConfigError::InvalidValue(
            "issuer: a verifier that accepts other issuers must require its own",
        ));
    }
    let mut seen: Vec<&str> = rules.issuers.iter().map(String::as_str).collect();
    for other in others {
        let [issuer] = other.inner.rules.issuers.as_slice() else {
            return Err(TokenConfigError::InvalidValue(
                "accept_issuer: the other verifier must require exactly one issuer",
            ));
        };
        if seen.contains(&issuer.as_str()) {
            return Err(TokenConfigError::InvalidValue(
                "accept_issuer: an issuer is accepted twice",
            ));
        }
        seen.push(issuer);
        if !other.inner.others.is_empty() || other.has_introspector() {
            return Err(TokenConfigError::InvalidValue(
                "accept_issuer: the other verifier has other issuers or an introspector of its own",
            ));
        }
    }
    Ok(())
}

impl<R: RevocationStore> Verifier<R> {
    /// A builder over these keys and this revocation store.
    pub fn builder(keys: impl Into<KeySource>, revocations: R) -> VerifierBuilder<R> {
        VerifierBuilder {
            keys: keys.into(),
            allowed: None,
            rules: Rules::default(),
            max_len: DEFAULT_MAX_TOKEN_LEN,
            revocations,
            clock: Arc::new(SystemClock::new()),
            cache_capacity: 10_000,
            realm: None,
            #[cfg(feature = "introspection")]
            introspector: None,
            others: Vec::new(),
        }
    }

    /// The revocation store.
    #[must_use]
    pub fn revocations(&self) -> &R {
        &self.inner.revocations
    }

    /// The `realm` of this verifier's answers.
    #[must_use]
    pub fn realm(&self) -> Option<&Arc<str>> {
        self.inner.realm.as_ref()
    }

    fn now(&self) -> i64 {
        i64::try_from(self.inner.clock.unix_seconds()).unwrap_or(i64::MAX)
    }

    /// Verifies `token` completely: signature, claims, revocation.
    pub async fn verify(&self, token: &str) -> Result<VerifiedToken, TokenRejection> {
        let verifier = self.for_issuer_of(token).unwrap_or(self);
        let checked = match verifier.verify_inner(token).await {
            Ok(verified) => self.check_revocation(&verified).await.map(|()| verified),
            Err(refused) => Err(refused),
        };
        checked.map_err(|e| e.with_realm(self.inner.realm.clone()))
    }

    /// [`Verifier::verify`] without waiting, when it can be answered in
    /// this process: a token in the cache, verified with the current keys,
    /// whose revocation the store answers from memory. `None` otherwise
    /// (the caller then awaits `verify`). Never a different answer than
    /// `verify` would give: the same cache, time check and revocation.
    pub(crate) fn verify_cached(
        &self,
        token: &str,
    ) -> Option<Result<VerifiedToken, TokenRejection>> {
        // Other issuers and opaque tokens take `verify`'s routing.
        if !self.inner.others.is_empty() {
            return None;
        }
        #[cfg(feature = "introspection")]
        if self.inner.introspector.is_some() {
            return None;
        }
        let cache = self.inner.cache.as_ref()?;
        let (_, generation) = self.inner.keys.current();
        // Not counted until answered from: when this gives up, `verify`'s
        // own lookup is the one counted.
        let hit = cache
            .peek(token)
            .filter(|hit| hit.generation() == generation)?;
        let answer = self
            .inner
            .revocations
            .is_revoked_in_process(hit.revocation_id())?;
        cache.count_hit();
        let checked = self
            .recheck_time(&hit, self.now())
            .and_then(|()| self.revocation_answer(answer))
            .map(|()| hit);
        Some(checked.map_err(|e| e.with_realm(self.inner.realm.clone())))
    }

    /// The other issuer's verifier a compact JWS names by its (unverified)
    /// `iss`, if any: a pointer only, the chosen verifier checks everything.
    /// A token one of them verified before is found in its cache first,
    /// without reading the payload.
    fn for_issuer_of(&self, token: &str) -> Option<&Self> {
        if self.inner.others.is_empty() {
            return None;
        }
        let cached = |v: &Self| v.inner.cache.as_ref().is_some_and(|c| c.contains(token));
        if cached(self) {
            return None;
        }
        if let Some(other) = self.inner.others.iter().find(|other| cached(other)) {
            return Some(other);
        }
        claims::with_unverified_issuer(token, self.inner.max_len, |issuer| {
            self.inner
                .others
                .iter()
                .find(|other| other.inner.rules.issuers.iter().any(|i| i == issuer))
        })
        .flatten()
    }

    /// Revokes a verified token for as long as any verifier could accept it.
    ///
    /// The revocation is kept until [`Verifier::revocation_horizon`]: past
    /// `exp` by the largest leeway a verifier accepts (300 s; a token is
    /// accepted until `exp + leeway`) and by [`REVOCATION_MARGIN`]. It is
    /// stored under the token's `jti`, or for a token without one under a
    /// digest of the token ([`VerifiedToken::revocation_id`]).
    pub async fn revoke(&self, token: &VerifiedToken) -> Result<(), StoreError> {
        let until = self.revocation_horizon(token);
        self.inner
            .revocations
            .revoke(token.revocation_id(), until)
            .await
    }

    /// Revokes the token whose `jti` and `exp` are these (a token not at
    /// hand, say one named by an audit record), for as long as this verifier
    /// could accept it.
    pub async fn revoke_jti(&self, jti: &str, expires_at: NumericDate) -> Result<(), StoreError> {
        let until = self.horizon(expires_at.unix_seconds(), None);
        self.inner.revocations.revoke(jti, system_time(until)).await
    }

    /// Until when a revocation of `token` must be kept: one second after the
    /// last second at which a verifier accepts it on time alone (`exp` plus
    /// the largest leeway, 300 s, or this verifier's maximum age from `iat`
    /// plus that leeway, the earlier), plus [`REVOCATION_MARGIN`]. A store
    /// that forgets a revocation earlier lets the token back in; the largest
    /// leeway rather than this verifier's covers every verifier sharing the
    /// store, whatever its own leeway.
    #[must_use]
    pub fn revocation_horizon(&self, token: &VerifiedToken) -> std::time::SystemTime {
        // An introspected token (no algorithm) is not held to a maximum age.
        let iat = token.algorithm().and_then(|_| token.issued_at_unix());
        system_time(self.horizon(token.expires_at_unix(), iat))
    }

    fn horizon(&self, exp: i64, iat: Option<i64>) -> i64 {
        // The largest leeway any verifier accepts, not this one's: another
        // verifier on the same store (another instance, an identity
        // provider's verifier beside the app's own) may allow more.
        let leeway = MAX_LEEWAY_SECS;
        let by_exp = exp.saturating_add(leeway);
        // The loosest maximum age of the verifiers a token may go to.
        let mut max_age = self.inner.rules.max_age;
        for other in &self.inner.others {
            max_age = match (max_age, other.inner.rules.max_age) {
                (Some(mine), Some(theirs)) => Some(mine.max(theirs)),
                _ => None,
            };
        }
        let by_age = match (iat, max_age) {
            (Some(iat), Some(max_age)) => iat.saturating_add(max_age).saturating_add(leeway),
            _ => i64::MAX,
        };
        by_exp
            .min(by_age)
            .saturating_add(1)
            .saturating_add(seconds(REVOCATION_MARGIN))
    }

    /// Everything but revocation, which [`Verifier::verify`] checks once
    /// with this verifier's store whichever issuer's verifier ran this.
    async fn verify_inner(&self, token: &str) -> Result<VerifiedToken, TokenRejection> {
        // Opaque tokens go to the introspector: one without a dot at once (a
        // JWS's first dot ends its short header, so this costs a JWS next to
        // nothing), one with dots once the JWS path found it malformed.
        #[cfg(feature = "introspection")]
        if let Some(introspector) = &self.inner.introspector
            && !token.as_bytes().contains(&b'.')
        {
            return self.introspected(introspector, token).await;
        }
        let now = self.now();
        let (keys, generation) = self.inner.keys.current();
        if let Some(cache) = &self.inner.cache
            && let Some(hit) = cache.get(token)
            && hit.generation() == generation
        {
            self.recheck_time(&hit, now)?;
            return Ok(hit);
        }
        let first = self.verify_with(&keys, generation, token, now);
        // A value with dots that the JWS path found malformed: opaque unless
        // shaped as a JWS (a good JWS never pays for this test).
        #[cfg(feature = "introspection")]
        if let Err(refused) = &first
            && refused.kind() == TokenErrorKind::Malformed
            && let Some(introspector) = &self.inner.introspector
            && !crate::introspection::is_compact_jws(token)
        {
            return self.introspected(introspector, token).await;
        }
        let verified = match first {
            Err(e)
                if e.kind() == TokenErrorKind::UnknownKey
                    && self.inner.keys.refresh_for_unknown_kid().await =>
            {
                let (keys, generation) = self.inner.keys.current();
                self.verify_with(&keys, generation, token, now)?
            }
            other => other?,
        };
        if let Some(cache) = &self.inner.cache {
            cache.insert(token, &verified, now);
        }
        Ok(verified)
    }

    /// An opaque token, checked by `introspector`.
    #[cfg(feature = "introspection")]
    async fn introspected(
        &self,
        introspector: &crate::introspection::Introspector,
        token: &str,
    ) -> Result<VerifiedToken, TokenRejection> {
        introspector.verify(token, self.inner.max_len).await
    }

    /// Everything but revocation, against `keys`.
    fn verify_with(
        &self,
        keys: &KeySet,
        generation: u64,
        token: &str,
        now: i64,
    ) -> Result<VerifiedToken, TokenRejection> {
        let parsed = compact::parse(token, self.inner.max_len)?;
        if !self.inner.allowed.contains(&parsed.alg) {
            return Err(TokenRejection::new(
                TokenErrorKind::Algorithm,
                "alg not allowed",
            ));
        }
        let key = keys.select(parsed.kid.as_deref()).ok_or_else(|| {
            TokenRejection::new(TokenErrorKind::UnknownKey, "no key for this kid")
        })?;
        if key.alg != parsed.alg {
            return Err(TokenRejection::new(
                TokenErrorKind::Algorithm,
                "alg is not the key's algorithm",
            ));
        }
        if !key.verify(parsed.signing_input, parsed.signature.as_bytes()) {
            return Err(TokenRejection::new(
                TokenErrorKind::Signature,
                "signature does not verify",
            ));
        }
        let payload = compact::decode(parsed.payload)?;
        let checked = claims::check(&claims::read(&payload)?, &self.inner.rules, now)?;
        // The payload parsed as JSON, so it is UTF-8; handlers read it with `Claims<T>`.
        let claims_json = String::from_utf8(payload)
            .map_err(|_| TokenRejection::new(TokenErrorKind::Claims, "the claims are not UTF-8"))?;
        let (facts, credential) = Facts {
            revocation_id: crate::verified::revocation_id(
                checked.jti.as_deref(),
                parsed.signing_input,
            ),
            jti: checked.jti,
            exp: checked.exp,
            iat: checked.iat,
            alg: Some(parsed.alg),
            kid: key.kid.clone(),
            generation,
            jkt: checked.jkt,
        }
        .into_credential();
        let principal = Principal::from_token(
            checked.sub.unwrap_or_default(),
            checked.scopes,
            Arc::from(claims_json),
            Some(credential),
        );
        Ok(VerifiedToken::new(principal, facts))
    }

    /// For a cached token: time has moved since it was verified.
    fn recheck_time(&self, token: &VerifiedToken, now: i64) -> Result<(), TokenRejection> {
        let rules = &self.inner.rules;
        if now > token.expires_at_unix().saturating_add(rules.leeway) {
            return Err(TokenRejection::new(
                TokenErrorKind::Expired,
                "exp is in the past",
            ));
        }
        if let (Some(iat), Some(max_age)) = (token.issued_at_unix(), rules.max_age)
            && now.saturating_sub(iat) > max_age.saturating_add(rules.leeway)
        {
            return Err(TokenRejection::new(
                TokenErrorKind::Expired,
                "older than the maximum age",
            ));
        }
        Ok(())
    }

    async fn check_revocation(&self, token: &VerifiedToken) -> Result<(), TokenRejection> {
        let answer = self
            .inner
            .revocations
            .is_revoked(token.revocation_id())
            .await;
        self.revocation_answer(answer)
    }

    /// What the revocation store's answer means for the token.
    fn revocation_answer(&self, answer: Result<bool, StoreError>) -> Result<(), TokenRejection> {
        match answer {
            Ok(false) => Ok(()),
            Ok(true) => Err(TokenRejection::new(
                TokenErrorKind::Revoked,
                "jti is revoked",
            )),
            Err(err) => {
                shieldwall_core::telemetry::store_error(
                    shieldwall_core::telemetry::StoreKind::Revocations,
                );
                if self.inner.store_log.allow() {
                    tracing::error!(error = %err, cause = ?std::error::Error::source(&err).map(ToString::to_string),
                        "revocation store unavailable; refusing tokens until it answers");
                }
                Err(TokenRejection::new(
                    TokenErrorKind::StoreUnavailable,
                    "revocation store unavailable",
                ))
            }
        }
    }
}
