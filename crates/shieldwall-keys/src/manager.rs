//! `ApiKeys`: create, list, revoke, rotate and verify keys over a store.

use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use shieldwall_core::telemetry::{self, StoreKind};
use shieldwall_core::{Clock, LogThrottle, Scopes, StoreError, SystemClock};

use crate::recorder::UseRecorder;
use crate::{
    KeyConfigError, KeyDigest, KeyErrorKind, KeyFormat, KeyHasher, KeyRecord, KeyRejection,
    KeyStore, ParsedKey, RevealOnce,
};

/// What a new key should be.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct NewKey {
    /// The owner (a user id).
    pub owner: String,
    /// A name the owner chose.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Lifetime; `None` for a key that does not expire.
    pub expires_in: Option<Duration>,
}

impl NewKey {
    /// A key for `owner`, named `name`, with `scopes`, without expiry.
    #[must_use]
    pub fn new(
        owner: impl Into<String>,
        name: impl Into<String>,
        scopes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            owner: owner.into(),
            name: name.into(),
            scopes: scopes.into_iter().map(Into::into).collect(),
            expires_in: None,
        }
    }

    /// Expires after `lifetime`.
    #[must_use]
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.expires_in = Some(lifetime);
        self
    }
}

/// A key just made: the only time the key itself is seen. Not `Clone`;
/// `Debug` hides the key.
#[non_exhaustive]
#[derive(Debug)]
pub struct CreatedKey {
    /// The key, to show the owner once: `created.key.reveal()`.
    pub key: RevealOnce,
    /// What was stored.
    pub record: Arc<KeyRecord>,
}

/// API keys over a store: format, hashing, verification, last-use batching.
/// Cheap to clone.
pub struct ApiKeys<S> {
    inner: Arc<Inner<S>>,
}

impl<S> Clone for ApiKeys<S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<S> std::fmt::Debug for ApiKeys<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeys")
            .field("format", &self.inner.format)
            .finish_non_exhaustive()
    }
}

struct Inner<S> {
    store: S,
    format: KeyFormat,
    hasher: KeyHasher,
    clock: Arc<dyn Clock>,
    uses: UseRecorder,
    dummy: KeyDigest,
    store_log: LogThrottle,
}

/// Builds [`ApiKeys`].
#[must_use]
pub struct ApiKeysBuilder<S> {
    store: S,
    format: KeyFormat,
    hasher: KeyHasher,
    clock: Arc<dyn Clock>,
    flush_every: Option<Duration>,
}

impl<S> std::fmt::Debug for ApiKeysBuilder<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeysBuilder").finish_non_exhaustive()
    }
}

impl<S: KeyStore> ApiKeysBuilder<S> {
    /// How secrets are digested (default SHA-256; a pepper is better).
    pub fn hasher(mut self, hasher: KeyHasher) -> Self {
        self.hasher = hasher;
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// How often last uses are written (default 10 s); `None` writes only on
    /// [`ApiKeys::flush_last_used`].
    pub fn flush_last_used_every(mut self, every: Option<Duration>) -> Self {
        self.flush_every = every;
        self
    }

    /// The manager. Inside a Tokio runtime, starts the last-use flush task,
    /// which ends when the last clone is dropped.
    pub fn build(self) -> ApiKeys<S> {
        let dummy = self.hasher.digest(&[0_u8; crate::SECRET_LEN]);
        let keys = ApiKeys {
            inner: Arc::new(Inner {
                store: self.store,
                format: self.format,
                hasher: self.hasher,
                clock: self.clock,
                uses: UseRecorder::default(),
                dummy,
                store_log: LogThrottle::new(Duration::from_secs(10)),
            }),
        };
        if let (Some(every), Ok(runtime)) =
            (self.flush_every, tokio::runtime::Handle::try_current())
        {
            runtime.spawn(flush_loop(Arc::downgrade(&keys.inner), every));
        }
        keys
    }
}

async fn flush_loop<S: KeyStore>(inner: Weak<Inner<S>>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(inner) = inner.upgrade() else { return };
        if let Err(error) = flush(&inner).await
            && inner.store_log.allow()
        {
            tracing::warn!(%error, "writing key last-use times failed; they will be retried");
        }
    }
}

async fn flush<S: KeyStore>(inner: &Inner<S>) -> Result<(), StoreError> {
    let uses = inner.uses.take();
    if uses.is_empty() {
        return Ok(());
    }
    let result = inner.store.touch_last_used(&uses).await;
    if result.is_err() {
        // Put them back for the next flush.
        for (id, at) in uses {
            inner.uses.record(&id, at);
        }
    }
    result
}

impl<S: KeyStore> ApiKeys<S> {
    /// A builder over `store` for keys of `format`.
    pub fn builder(store: S, format: KeyFormat) -> ApiKeysBuilder<S> {
        ApiKeysBuilder {
            store,
            format,
            hasher: KeyHasher::sha256(),
            clock: Arc::new(SystemClock::new()),
            flush_every: Some(Duration::from_secs(10)),
        }
    }

    /// The key format.
    #[must_use]
    pub fn format(&self) -> &KeyFormat {
        &self.inner.format
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &S {
        &self.inner.store
    }

    /// Makes and stores a key; the key itself is returned once
    /// ([`RevealOnce`]) and never stored. Every scope must be a scope token
    /// ([`Scopes`]), else [`KeyConfigError::Scope`].
    pub async fn create(&self, new: NewKey) -> Result<CreatedKey, CreateError> {
        // Stored as `Scopes` writes them (sorted, each once): the memory and
        // Redis stores then hold, and list, the same scopes.
        let scopes: Vec<String> = Scopes::new(&new.scopes)
            .map_err(|e| CreateError::Config(KeyConfigError::Scope(e)))?
            .iter()
            .map(str::to_owned)
            .collect();
        let now = self.inner.clock.now();
        let (key, id) = self.inner.format.generate_text();
        let parsed = self.inner.format.parse(key.as_bytes()).map_err(|_| {
            CreateError::Store(StoreError::new(
                "key store",
                "a generated key did not parse",
            ))
        })?;
        let record = KeyRecord::new(
            id,
            self.inner.hasher.digest(parsed.secret()),
            new.owner,
            new.name,
            scopes,
            now,
            new.expires_in.map(|d| now + d),
            None,
            None,
        );
        let record = Arc::new(record);
        self.inner
            .store
            .insert((*record).clone())
            .await
            .map_err(CreateError::Store)?;
        Ok(CreatedKey {
            key: RevealOnce::new(key),
            record,
        })
    }

    /// The owner's keys, newest first.
    pub async fn list(&self, owner: &str) -> Result<Vec<Arc<KeyRecord>>, StoreError> {
        self.inner.store.list_for_owner(owner).await
    }

    /// Revokes the owner's key `id`; `false` when there is no such key of
    /// this owner (another owner's key is not revealed).
    pub async fn revoke(&self, owner: &str, id: &str) -> Result<bool, StoreError> {
        match self.inner.store.find(id).await? {
            Some(record) if record.owner == owner => {
                self.inner.store.revoke(id, self.inner.clock.now()).await
            }
            _ => Ok(false),
        }
    }

    /// Makes a new key with the same owner, name and scopes; the old one
    /// keeps working until `grace` has passed (or its own expiry, if
    /// sooner). `None` when there is no such active key of this owner.
    pub async fn rotate(
        &self,
        owner: &str,
        id: &str,
        grace: Duration,
    ) -> Result<Option<CreatedKey>, CreateError> {
        let now = self.inner.clock.now();
        let Some(old) = self
            .inner
            .store
            .find(id)
            .await
            .map_err(CreateError::Store)?
        else {
            return Ok(None);
        };
        if old.owner != owner || !old.is_active(now) {
            return Ok(None);
        }
        let remaining = old.expires_at.and_then(|at| at.duration_since(now).ok());
        let mut new = NewKey::new(owner, old.name.clone(), old.scopes.clone());
        new.expires_in = remaining;
        let created = self.create(new).await?;
        self.inner
            .store
            .expire_by(id, now + grace)
            .await
            .map_err(CreateError::Store)?;
        Ok(Some(created))
    }

    /// Verifies a presented key: shape first (no store call), then one store
    /// lookup, the digest compared in constant time, revocation and expiry.
    /// Unknown id, wrong secret, revoked and expired get one answer.
    pub async fn verify(&self, presented: &[u8]) -> Result<Arc<KeyRecord>, KeyRejection> {
        let parsed =
            self.inner.format.parse(presented).map_err(|_| {
                KeyRejection::new(KeyErrorKind::Malformed, "not the shape of a key")
            })?;
        self.verify_parsed(&parsed).await
    }

    /// [`ApiKeys::verify`] for a key already parsed.
    pub async fn verify_parsed(&self, parsed: &ParsedKey) -> Result<Arc<KeyRecord>, KeyRejection> {
        let found = self.inner.store.find(parsed.id()).await;
        self.judge(parsed, found)
    }

    /// [`ApiKeys::verify_parsed`] without waiting, when the store can
    /// find the record in this process (memory, a cache hit): the same
    /// checks on the same record. `None` when only the store's round trip
    /// can tell.
    pub(crate) fn verify_in_process(
        &self,
        parsed: &ParsedKey,
    ) -> Option<Result<Arc<KeyRecord>, KeyRejection>> {
        let found = self.inner.store.find_in_process(parsed.id())?;
        Some(self.judge(parsed, found))
    }

    /// The presented secret against what the store found.
    fn judge(
        &self,
        parsed: &ParsedKey,
        found: Result<Option<Arc<KeyRecord>>, StoreError>,
    ) -> Result<Arc<KeyRecord>, KeyRejection> {
        let found = match found {
            Ok(found) => found,
            Err(error) => {
                telemetry::store_error(StoreKind::Keys);
                if self.inner.store_log.allow() {
                    tracing::error!(%error, "key store unavailable; refusing API keys until it answers");
                }
                return Err(KeyRejection::new(
                    KeyErrorKind::StoreUnavailable,
                    "key store unavailable",
                ));
            }
        };
        let digest = self.inner.hasher.digest(parsed.secret());
        // The same work for an unknown id as for a known one.
        let expected = found.as_ref().map_or(&self.inner.dummy, |r| &r.digest);
        let matches = digest.ct_eq(expected);
        let now = self.inner.clock.now();
        match found {
            Some(record) if matches && record.is_active(now) => {
                self.inner.uses.record(&record.id, now);
                Ok(record)
            }
            // One answer; the audit log tells the causes apart (a revoked
            // key in use may be a stolen one).
            found => {
                let cause = match found {
                    None => "unknown_key",
                    Some(_) if !matches => "wrong_secret",
                    Some(record) if record.revoked_at.is_some() => "key_revoked",
                    Some(_) => "key_expired",
                };
                Err(
                    KeyRejection::new(KeyErrorKind::Invalid, "unknown, wrong, revoked or expired")
                        .with_cause(cause),
                )
            }
        }
    }

    /// Writes the pending last-use times now (the background task does it
    /// every interval; call this at shutdown).
    pub async fn flush_last_used(&self) -> Result<(), StoreError> {
        flush(&self.inner).await
    }

    /// The time now, by this manager's clock.
    #[must_use]
    pub fn now(&self) -> SystemTime {
        self.inner.clock.now()
    }
}

/// Creating a key failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// The request was refused (a scope outside the rules).
    #[error(transparent)]
    Config(KeyConfigError),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}
