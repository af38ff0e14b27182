//! `SignaturePolicy`: what a signature must cover and carry to be accepted.

use std::sync::Arc;
use std::time::Duration;

use crate::authority::normalize_authority;
use crate::component::{Component, parse_list};
use crate::{Algorithm, Scheme, SigningConfigError};

/// The components the demo API requires on transfers.
pub const DEFAULT_COMPONENTS: [&str; 4] =
    ["@method", "@target-uri", "content-digest", "content-type"];
/// How far `created` may be from the server clock, either way.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(300);
/// How much longer than the window a nonce is remembered, for instances whose clocks disagree.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(30);
/// The most bytes of `Signature-Input`, `Signature` or `Content-Digest` read.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 4096;

const MAX_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);
const MAX_CLOCK_SKEW: Duration = Duration::from_secs(60 * 60);
const HEADER_BYTES: std::ops::RangeInclusive<usize> = 256..=65536;

/// What a signature must cover and carry: checked when built, shared by
/// every request.
///
/// - **Components**: the signature must cover at least these (by identifier:
///   `@target-uri` does not stand in for `@path`). Default:
///   [`DEFAULT_COMPONENTS`].
/// - **`created`**: required, at most `window` before or after the server
///   clock (default 300 s). **`expires`**, when present, must not have passed.
/// - **`keyid`** and **`nonce`** (16 to 128 characters): required.
/// - **`alg`**: optional; when present it must be the key's algorithm, and
///   the key's algorithm must be among `algorithms` (default: both).
/// - **`tag`**: required and equal when one is configured.
/// - **Label**: with one configured, only that entry is verified; without,
///   the one entry that meets this policy is (see the crate docs).
/// - **Scheme and authority** of `@target-uri`, `@scheme`, `@authority`: by
///   default the scheme is `https` when the request came over TLS (this
///   server's listener, or a trusted proxy's `X-Forwarded-Proto`) and the
///   authority is the `Host` header. Behind a proxy that rewrites `Host`, or
///   on HTTP/2 where there is no `Host` header, set them here.
///
/// ```
/// use std::time::Duration;
/// use shieldwall_signing::{Scheme, SignaturePolicy};
///
/// let policy = SignaturePolicy::builder()
///     .window(Duration::from_secs(120))
///     .authority("api.example.com")
///     .scheme(Scheme::Https)
///     .build()?;
/// assert_eq!(policy.window(), Duration::from_secs(120));
/// assert!(SignaturePolicy::builder().require_components(["Content-Type"]).build().is_err());
/// # Ok::<(), shieldwall_signing::SigningConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct SignaturePolicy {
    pub(crate) required: Arc<[Component<'static>]>,
    pub(crate) label: Option<Arc<str>>,
    pub(crate) window: Duration,
    pub(crate) clock_skew: Duration,
    algorithms: u8,
    pub(crate) tag: Option<Arc<str>>,
    pub(crate) authority: Option<Arc<str>>,
    pub(crate) scheme: Option<Scheme>,
    pub(crate) max_header_bytes: usize,
}

impl SignaturePolicy {
    /// A builder with the defaults (the demo API's policy).
    pub fn builder() -> SignaturePolicyBuilder {
        SignaturePolicyBuilder::default()
    }

    /// The components a signature must cover.
    pub fn required_components(&self) -> impl Iterator<Item = &str> {
        self.required.iter().map(Component::name)
    }

    /// The configured label, if any.
    #[must_use]
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// How far `created` may be from the clock.
    #[must_use]
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The margin added to how long nonces are remembered.
    #[must_use]
    pub fn clock_skew(&self) -> Duration {
        self.clock_skew
    }

    /// Whether keys of `algorithm` are accepted.
    #[must_use]
    pub fn allows(&self, algorithm: Algorithm) -> bool {
        self.algorithms & algorithm.bit() != 0
    }

    /// The size limit of the signature headers.
    #[must_use]
    pub fn max_header_bytes(&self) -> usize {
        self.max_header_bytes
    }
}

/// Builds a [`SignaturePolicy`]; [`SignaturePolicyBuilder::build`] checks everything.
#[must_use]
#[derive(Clone, Debug)]
pub struct SignaturePolicyBuilder {
    components: Vec<String>,
    label: Option<String>,
    window: Duration,
    clock_skew: Duration,
    algorithms: Vec<Algorithm>,
    tag: Option<String>,
    authority: Option<String>,
    scheme: Option<Scheme>,
    max_header_bytes: usize,
}

impl Default for SignaturePolicyBuilder {
    fn default() -> Self {
        Self {
            components: DEFAULT_COMPONENTS.iter().map(|&c| c.to_owned()).collect(),
            label: None,
            window: DEFAULT_WINDOW,
            clock_skew: DEFAULT_CLOCK_SKEW,
            algorithms: Algorithm::ALL.to_vec(),
            tag: None,
            authority: None,
            scheme: None,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
        }
    }
}

impl SignaturePolicyBuilder {
    /// The components every signature must cover (replaces the default):
    /// lowercase header names and `@method`, `@target-uri`, `@authority`,
    /// `@scheme`, `@path`, `@query`, `@request-target`.
    pub fn require_components<I, S>(mut self, components: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.components = components.into_iter().map(Into::into).collect();
        self
    }

    /// Verifies only the signature with this label.
    pub fn label(mut self, label: &str) -> Self {
        self.label = Some(label.to_owned());
        self
    }

    /// How far `created` may be from the server clock, either way (1 s to 1 day).
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// How much longer than the window nonces are remembered (at most an
    /// hour): at least the largest difference between the clocks of the
    /// instances that share a nonce store.
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// The algorithms whose keys are accepted.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Requires a `tag` parameter equal to `tag` (an application's own
    /// signatures, not another protocol's).
    pub fn tag(mut self, tag: &str) -> Self {
        self.tag = Some(tag.to_owned());
        self
    }

    /// The authority `@authority` and `@target-uri` use, instead of the `Host` header.
    pub fn authority(mut self, authority: &str) -> Self {
        self.authority = Some(authority.to_owned());
        self
    }

    /// The scheme `@scheme` and `@target-uri` use, instead of how the request arrived.
    pub fn scheme(mut self, scheme: Scheme) -> Self {
        self.scheme = Some(scheme);
        self
    }

    /// The most bytes read of `Signature-Input`, `Signature` and
    /// `Content-Digest` each, all lines together (256 to 65536; default 4096).
    pub fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.max_header_bytes = bytes;
        self
    }

    /// Checks the configuration.
    pub fn build(self) -> Result<SignaturePolicy, SigningConfigError> {
        let required = parse_list(&self.components)?;
        if let Some(label) = &self.label
            && sfv::KeyRef::from_str(label).is_err()
        {
            return Err(SigningConfigError::Label(label.clone()));
        }
        if self.window.as_secs() == 0 || self.window > MAX_WINDOW {
            return Err(SigningConfigError::Window);
        }
        if self.clock_skew > MAX_CLOCK_SKEW {
            return Err(SigningConfigError::ClockSkew);
        }
        let algorithms = self.algorithms.iter().fold(0, |bits, a| bits | a.bit());
        if algorithms == 0 {
            return Err(SigningConfigError::NoAlgorithms);
        }
        if let Some(tag) = &self.tag
            && (!crate::key::is_key_id(tag) || tag.len() > 128)
        {
            return Err(SigningConfigError::Tag);
        }
        let authority = match &self.authority {
            None => None,
            Some(raw) => {
                let normalized =
                    normalize_authority(raw.as_bytes(), self.scheme.unwrap_or(Scheme::Https))
                        .ok_or_else(|| SigningConfigError::Authority(raw.clone()))?;
                Some(Arc::from(&*normalized))
            }
        };
        if !HEADER_BYTES.contains(&self.max_header_bytes) {
            return Err(SigningConfigError::MaxHeaderBytes(self.max_header_bytes));
        }
        Ok(SignaturePolicy {
            required: Arc::from(required),
            label: self.label.map(Arc::from),
            window: Duration::from_secs(self.window.as_secs().max(1)),
            clock_skew: Duration::from_secs(self.clock_skew.as_secs()),
            algorithms,
            tag: self.tag.map(Arc::from),
            authority,
            scheme: self.scheme,
            max_header_bytes: self.max_header_bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_demo_policy() {
        let policy = SignaturePolicy::builder().build().unwrap();
        assert_eq!(
            policy.required_components().collect::<Vec<_>>(),
            DEFAULT_COMPONENTS
        );
        assert_eq!(policy.window(), DEFAULT_WINDOW);
        assert!(policy.allows(Algorithm::HmacSha256) && policy.allows(Algorithm::Ed25519));
        assert_eq!(policy.label(), None);
    }

    #[test]
    fn nonsensical_configurations_are_refused() {
        let b = SignaturePolicy::builder;
        assert_eq!(
            b().require_components(Vec::<String>::new())
                .build()
                .unwrap_err(),
            SigningConfigError::NoComponents
        );
        assert_eq!(
            b().require_components(["@status"]).build().unwrap_err(),
            SigningConfigError::Component("@status".into())
        );
        assert_eq!(
            b().require_components(["@signature-params"])
                .build()
                .unwrap_err(),
            SigningConfigError::Component("@signature-params".into())
        );
        assert_eq!(
            b().require_components(["@method", "@method"])
                .build()
                .unwrap_err(),
            SigningConfigError::DuplicateComponent("@method".into())
        );
        assert_eq!(
            b().label("Sig1").build().unwrap_err(),
            SigningConfigError::Label("Sig1".into())
        );
        assert_eq!(
            b().window(Duration::ZERO).build().unwrap_err(),
            SigningConfigError::Window
        );
        assert_eq!(
            b().window(Duration::from_millis(500)).build().unwrap_err(),
            SigningConfigError::Window
        );
        assert_eq!(
            b().window(Duration::from_secs(86_401)).build().unwrap_err(),
            SigningConfigError::Window
        );
        assert_eq!(
            b().clock_skew(Duration::from_secs(3601))
                .build()
                .unwrap_err(),
            SigningConfigError::ClockSkew
        );
        assert_eq!(
            b().algorithms([]).build().unwrap_err(),
            SigningConfigError::NoAlgorithms
        );
        assert_eq!(b().tag("").build().unwrap_err(), SigningConfigError::Tag);
        assert_eq!(b().tag("a b").build().unwrap_err(), SigningConfigError::Tag);
        assert_eq!(
            b().authority("user@host").build().unwrap_err(),
            SigningConfigError::Authority("user@host".into())
        );
        assert_eq!(
            b().authority("exa mple.com").build().unwrap_err(),
            SigningConfigError::Authority("exa mple.com".into())
        );
        assert_eq!(
            b().max_header_bytes(100).build().unwrap_err(),
            SigningConfigError::MaxHeaderBytes(100)
        );
    }

    #[test]
    fn a_fixed_authority_is_kept_normalized() {
        let policy = SignaturePolicy::builder()
            .authority("API.example.com:8443")
            .build()
            .unwrap();
        assert_eq!(policy.authority.as_deref(), Some("api.example.com:8443"));
        let policy = SignaturePolicy::builder()
            .authority("api.example.com:443")
            .build()
            .unwrap();
        assert_eq!(policy.authority.as_deref(), Some("api.example.com"));
    }
}
