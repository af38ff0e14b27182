//! `Signer`: signs an `http::Request` for clients and tests.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderName, HeaderValue};
use sfv::{DictSerializer, Integer, KeyRef, RefBareItem, StringRef};
use sha2::Sha256;
use shieldwall_core::{Clock, RequestView, Secret, SystemClock};

use crate::authority::normalize_authority;
use crate::base::{self, BaseError, Target};
use crate::component::{Component, parse_list};
use crate::key::{MIN_HMAC_SECRET_LEN, is_key_id};
use crate::policy::DEFAULT_COMPONENTS;
use crate::{Algorithm, Scheme, SignError, SigningConfigError, digest, params};

const SIGNATURE_INPUT: HeaderName = HeaderName::from_static("signature-input");
const SIGNATURE: HeaderName = HeaderName::from_static("signature");
const CONTENT_DIGEST: HeaderName = HeaderName::from_static("content-digest");

/// Signs requests: sets `Content-Digest` (SHA-256 of the body, when
/// `content-digest` is covered), `Signature-Input` (the covered components
/// with `created`, a random 128-bit `nonce`, `keyid` and `alg`) and
/// `Signature`, replacing earlier values of the three.
///
/// By default it covers [`DEFAULT_COMPONENTS`] under label `sig1`. The
/// target URI is the request's absolute URI, or its `Host` header with
/// [`Signer::default_scheme`] (`https` unless set).
///
/// `Debug` never shows the key.
///
/// ```
/// use shieldwall_core::Secret;
/// use shieldwall_signing::Signer;
///
/// let body = br#"{"to":"bob","amount":5,"currency":"EUR"}"#;
/// let mut request = http::Request::post("https://api.example.com/api/v1/transfers")
///     .header("content-type", "application/json")
///     .body(body.to_vec())?;
/// Signer::hmac_sha256("key-1", Secret::from(vec![7; 32]))?.sign(&mut request, body)?;
/// assert!(request.headers()["signature-input"].to_str()?.starts_with(
///     r#"sig1=("@method" "@target-uri" "content-digest" "content-type");created="#
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Signer {
    key_id: String,
    key: SignerKey,
    label: String,
    components: Vec<Component<'static>>,
    expires_in: Option<Duration>,
    tag: Option<String>,
    nonce: bool,
    alg: bool,
    default_scheme: Scheme,
    clock: Arc<dyn Clock>,
}

enum SignerKey {
    HmacSha256(Hmac<Sha256>),
    Ed25519(ed25519_dalek::SigningKey),
}

impl SignerKey {
    fn algorithm(&self) -> Algorithm {
        match self {
            Self::HmacSha256(_) => Algorithm::HmacSha256,
            Self::Ed25519(_) => Algorithm::Ed25519,
        }
    }

    fn sign(&self, base: &[u8]) -> Vec<u8> {
        match self {
            Self::HmacSha256(mac) => {
                let mut mac = mac.clone();
                mac.update(base);
                mac.finalize().into_bytes().to_vec()
            }
            Self::Ed25519(key) => {
                use ed25519_dalek::Signer as _;
                key.sign(base).to_bytes().to_vec()
            }
        }
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key_id", &self.key_id)
            .field("algorithm", &self.key.algorithm())
            .field("label", &self.label)
            .field(
                "components",
                &self
                    .components
                    .iter()
                    .map(Component::name)
                    .collect::<Vec<_>>(),
            )
            .field("expires_in", &self.expires_in)
            .field("tag", &self.tag)
            .field("nonce", &self.nonce)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl Signer {
    fn new(key_id: String, key: SignerKey) -> Result<Self, SigningConfigError> {
        if !is_key_id(&key_id) {
            return Err(SigningConfigError::KeyId);
        }
        Ok(Self {
            key_id,
            key,
            label: "sig1".to_owned(),
            components: parse_list(DEFAULT_COMPONENTS)?,
            expires_in: None,
            tag: None,
            nonce: true,
            alg: true,
            default_scheme: Scheme::Https,
            clock: Arc::new(SystemClock::new()),
        })
    }

    /// An `hmac-sha256` signer with a secret of at least 32 bytes.
    pub fn hmac_sha256(
        key_id: impl Into<String>,
        secret: Secret,
    ) -> Result<Self, SigningConfigError> {
        if secret.len() < MIN_HMAC_SECRET_LEN {
            return Err(SigningConfigError::WeakSecret { len: secret.len() });
        }
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose())
            .map_err(|_| SigningConfigError::WeakSecret { len: secret.len() })?;
        Self::new(key_id.into(), SignerKey::HmacSha256(mac))
    }

    /// An `ed25519` signer with a 32-byte private key (the seed).
    pub fn ed25519(
        key_id: impl Into<String>,
        private_key: Secret,
    ) -> Result<Self, SigningConfigError> {
        let seed: &[u8; 32] = private_key
            .expose()
            .try_into()
            .map_err(|_| SigningConfigError::Ed25519PrivateKey)?;
        Self::new(
            key_id.into(),
            SignerKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(seed)),
        )
    }

    /// The public key of an `ed25519` signer, to give to the verifier.
    #[must_use]
    pub fn ed25519_public_key(&self) -> Option<[u8; 32]> {
        match &self.key {
            SignerKey::Ed25519(key) => Some(key.verifying_key().to_bytes()),
            SignerKey::HmacSha256(_) => None,
        }
    }

    /// Signs under `label` instead of `sig1`.
    pub fn label(mut self, label: &str) -> Result<Self, SigningConfigError> {
        if KeyRef::from_str(label).is_err() {
            return Err(SigningConfigError::Label(label.to_owned()));
        }
        label.clone_into(&mut self.label);
        Ok(self)
    }

    /// Covers these components, in this order.
    pub fn components<I, S>(mut self, components: I) -> Result<Self, SigningConfigError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.components = parse_list(components)?;
        Ok(self)
    }

    /// Adds `expires`, this long after `created`.
    #[must_use]
    pub fn expires_in(mut self, after: Duration) -> Self {
        self.expires_in = Some(after);
        self
    }

    /// Adds a `tag` parameter.
    pub fn tag(mut self, tag: &str) -> Result<Self, SigningConfigError> {
        if !is_key_id(tag) || tag.len() > 128 {
            return Err(SigningConfigError::Tag);
        }
        self.tag = Some(tag.to_owned());
        Ok(self)
    }

    /// Sends no `nonce`: such a signature can be replayed within its window,
    /// and a shieldwall verifier refuses it. For interoperability tests (RFC
    /// 9421's own examples have none).
    #[must_use]
    pub fn without_nonce_insecure(mut self) -> Self {
        self.nonce = false;
        self
    }

    /// Sends no `alg` parameter (the verifier takes the key's algorithm).
    #[must_use]
    pub fn without_alg(mut self) -> Self {
        self.alg = false;
        self
    }

    /// The scheme of a request whose URI has none (default `https`).
    #[must_use]
    pub fn default_scheme(mut self, scheme: Scheme) -> Self {
        self.default_scheme = scheme;
        self
    }

    /// Reads `created` from `clock` (a manual clock in tests).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Signs `request`, whose body is `body` (the exact bytes that will be sent).
    pub fn sign<B>(&self, request: &mut http::Request<B>, body: &[u8]) -> Result<(), SignError> {
        let covers_digest = self
            .components
            .iter()
            .any(|c| c.is_header("content-digest"));
        if covers_digest {
            let value = HeaderValue::try_from(digest::sha256_value(body))
                .map_err(|_| SignError::InvalidValue("content-digest".to_owned()))?;
            request.headers_mut().insert(CONTENT_DIGEST, value);
        }
        let created = i64::try_from(self.clock.unix_seconds()).unwrap_or(i64::MAX);
        let expires = self.expires_in.map(|after| {
            created.saturating_add(i64::try_from(after.as_secs()).unwrap_or(i64::MAX))
        });
        let nonce = self
            .nonce
            .then(|| URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>()));

        fn string(value: &str) -> Result<&StringRef, SignError> {
            StringRef::from_str(value).map_err(|_| SignError::InvalidValue("parameter".to_owned()))
        }
        let invalid = |what: &str| SignError::InvalidValue(what.to_owned());
        let integer = |value: i64| Integer::try_from(value).map_err(|_| invalid("created"));
        let mut params: Vec<(&KeyRef, RefBareItem<'_>)> = Vec::with_capacity(6);
        params.push((
            sfv::key_ref("created"),
            RefBareItem::Integer(integer(created)?),
        ));
        if let Some(expires) = expires {
            params.push((
                sfv::key_ref("expires"),
                RefBareItem::Integer(integer(expires)?),
            ));
        }
        if let Some(nonce) = &nonce {
            params.push((sfv::key_ref("nonce"), RefBareItem::String(string(nonce)?)));
        }
        params.push((
            sfv::key_ref("keyid"),
            RefBareItem::String(string(&self.key_id)?),
        ));
        if self.alg {
            params.push((
                sfv::key_ref("alg"),
                RefBareItem::String(string(self.key.algorithm().as_str())?),
            ));
        }
        if let Some(tag) = &self.tag {
            params.push((sfv::key_ref("tag"), RefBareItem::String(string(tag)?)));
        }

        let scheme = match request.uri().scheme_str() {
            Some("http") => Scheme::Http,
            Some("https") => Scheme::Https,
            _ => self.default_scheme,
        };
        let authority = if self.components.iter().any(Component::needs_authority) {
            let raw = match request.uri().authority() {
                Some(authority) => Some(authority.as_str().as_bytes()),
                None => request.single_header("host").ok().flatten(),
            };
            let raw = raw.ok_or(SignError::MissingAuthority)?;
            Some(
                normalize_authority(raw, scheme)
                    .ok_or_else(|| invalid("@authority"))?
                    .into_owned(),
            )
        } else {
            None
        };
        let target = Target {
            scheme,
            authority: authority.as_deref(),
        };
        let name = |index: usize| {
            self.components
                .get(index)
                .map_or_else(String::new, |c| c.name().to_owned())
        };
        let mut signature_params = String::with_capacity(192);
        params::serialize_params(
            &mut signature_params,
            &self.components,
            params.iter().copied(),
        );
        let signature_base = base::build(
            &*request,
            &target,
            &self.components,
            &signature_params,
            None,
        )
        .map(|base| base.text)
        .map_err(|error| match error {
            BaseError::MissingHeader(i) => SignError::MissingHeader(name(i)),
            BaseError::InvalidValue(i) => SignError::InvalidValue(name(i)),
            BaseError::MissingAuthority => SignError::MissingAuthority,
        })?;
        let signature = self.key.sign(signature_base.as_bytes());

        let mut input = format!("{}=", self.label);
        input.push_str(&signature_params);
        let label = KeyRef::from_str(&self.label).map_err(|_| invalid("label"))?;
        let mut output = DictSerializer::new();
        let _ = output.bare_item(label, signature.as_slice());
        let output = output.finish().unwrap_or_default();
        let headers = request.headers_mut();
        headers.insert(
            SIGNATURE_INPUT,
            HeaderValue::try_from(input).map_err(|_| invalid("signature-input"))?,
        );
        headers.insert(
            SIGNATURE,
            HeaderValue::try_from(output).map_err(|_| invalid("signature"))?,
        );
        Ok(())
    }
}
