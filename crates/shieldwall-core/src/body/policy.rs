//! `BodyPolicy`: every rule a route puts on its JSON bodies, in one value
//! checked when built.

use std::num::NonZeroUsize;

use shieldwall_errors::ApiError;
use shieldwall_sanitize::KeyPolicy;

use super::{BodyConfigError, DEFAULT_BODY_LIMIT, DEFAULT_MAX_DEPTH, MAX_DEPTH, body_too_large};

/// How a route accepts JSON bodies: the one source of every body rule.
///
/// | setting | default | range |
/// |---|---|---|
/// | [`limit`](BodyPolicyBuilder::limit): size in bytes, declared and read (413) | 64 KiB | at least 1 |
/// | [`max_depth`](BodyPolicyBuilder::max_depth): objects or arrays nested (400) | 32 | 1 to [`MAX_DEPTH`] (128) |
/// | [`allow_non_object_bodies`](BodyPolicyBuilder::allow_non_object_bodies): a top-level array or scalar | refused (400) | |
/// | [`keys`](BodyPolicyBuilder::keys): NoSQL operator and prototype keys | [`KeyPolicy::Reject`] (400) | |
///
/// Always: `application/json` or `application/*+json` in UTF-8 (else 415),
/// UTF-8 throughout, no key twice in any object (400).
///
/// The adapters find it in the request extensions (axum:
/// `.layer(Extension(policy))`) or `app_data` (actix-web:
/// `.app_data(policy)`), the defaults where a route sets none; their `Json<T>`,
/// `OptionalJson<T>` and `Valid<Json<T>>` all read that one value. The key
/// rule is applied where the body is cleaned: by `Valid<Json<T>>` (through
/// [`BodyPolicy::parse_with_key_rule`]); `Json<T>` reads keys as data.
///
/// ```
/// use shieldwall_core::{BodyConfigError, BodyPolicy, KeyPolicy};
///
/// let policy = BodyPolicy::builder()
///     .limit(1024 * 1024)
///     .max_depth(8)
///     .keys(KeyPolicy::Strip)
///     .build()?;
/// assert_eq!((policy.limit(), policy.max_depth()), (1024 * 1024, 8));
/// assert_eq!(BodyPolicy::default().limit(), 64 * 1024);
///
/// // Out of range: refused when built, naming the setting.
/// let err = BodyPolicy::builder().max_depth(500).build().unwrap_err();
/// assert_eq!(err, BodyConfigError::MaxDepth(500));
/// assert_eq!(err.setting(), "max_depth");
/// # Ok::<(), BodyConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyPolicy {
    pub(super) limit: NonZeroUsize,
    /// Within `1..=MAX_DEPTH`: only `build` and `default` make a policy.
    pub(super) max_depth: usize,
    pub(super) objects_only: bool,
    pub(super) keys: KeyPolicy,
}

impl Default for BodyPolicy {
    fn default() -> Self {
        Self {
            limit: DEFAULT_BODY_LIMIT,
            max_depth: DEFAULT_MAX_DEPTH,
            objects_only: true,
            keys: KeyPolicy::Reject,
        }
    }
}

impl BodyPolicy {
    /// A builder holding the defaults.
    pub fn builder() -> BodyPolicyBuilder {
        BodyPolicyBuilder::default()
    }

    /// The size limit in bytes.
    #[must_use]
    pub fn limit(&self) -> usize {
        self.limit.get()
    }

    /// The nesting limit.
    #[must_use]
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// Whether a top-level array or scalar is accepted.
    #[must_use]
    pub fn allows_non_object_bodies(&self) -> bool {
        !self.objects_only
    }

    /// What happens to operator and prototype keys.
    #[must_use]
    pub fn keys(&self) -> KeyPolicy {
        self.keys
    }

    /// 413 `PAYLOAD_TOO_LARGE`.
    #[must_use]
    pub fn too_large(&self) -> ApiError {
        body_too_large(self.limit.get())
    }
}

/// Builds a [`BodyPolicy`]: each setter sets one setting and nothing else;
/// [`BodyPolicyBuilder::build`] checks the ranges.
#[must_use]
#[derive(Clone, Copy, Debug)]
pub struct BodyPolicyBuilder {
    limit: usize,
    max_depth: usize,
    objects_only: bool,
    keys: KeyPolicy,
}

impl Default for BodyPolicyBuilder {
    fn default() -> Self {
        let defaults = BodyPolicy::default();
        Self {
            limit: defaults.limit.get(),
            max_depth: defaults.max_depth,
            objects_only: defaults.objects_only,
            keys: defaults.keys,
        }
    }
}

impl BodyPolicyBuilder {
    /// Accepts bodies up to `bytes` (at least 1; default 64 KiB).
    pub fn limit(mut self, bytes: usize) -> Self {
        self.limit = bytes;
        self
    }

    /// Accepts bodies nested up to `depth` objects or arrays (1 to
    /// [`MAX_DEPTH`]; default 32).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Accepts a top-level array or scalar too. By default only a JSON object
    /// is accepted: serde reads a struct from an array by position, which
    /// would let `["a@example.com","pw"]` pass as a login and slip past every
    /// rule written about key names.
    pub fn allow_non_object_bodies(mut self) -> Self {
        self.objects_only = false;
        self
    }

    /// What `Valid<Json<T>>` does with operator and prototype keys (default:
    /// reject with 400).
    pub fn keys(mut self, keys: KeyPolicy) -> Self {
        self.keys = keys;
        self
    }

    /// Checks the ranges: a size limit of zero or a nesting limit of zero or
    /// over [`MAX_DEPTH`] is refused, naming the setting (nothing is clamped).
    pub fn build(self) -> Result<BodyPolicy, BodyConfigError> {
        let limit = NonZeroUsize::new(self.limit).ok_or(BodyConfigError::Limit(self.limit))?;
        if !(1..=MAX_DEPTH).contains(&self.max_depth) {
            return Err(BodyConfigError::MaxDepth(self.max_depth));
        }
        Ok(BodyPolicy {
            limit,
            max_depth: self.max_depth,
            objects_only: self.objects_only,
            keys: self.keys,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_starts_from_the_defaults() {
        let built = BodyPolicy::builder().build().unwrap();
        assert_eq!(built, BodyPolicy::default());
        assert_eq!(built.limit(), 64 * 1024);
        assert_eq!(built.max_depth(), 32);
        assert!(!built.allows_non_object_bodies());
        assert_eq!(built.keys(), KeyPolicy::Reject);
    }

    #[test]
    fn each_range_error_names_its_setting() {
        let err = BodyPolicy::builder().limit(0).build().unwrap_err();
        assert_eq!(err, BodyConfigError::Limit(0));
        assert_eq!(err.setting(), "limit");
        assert!(err.to_string().contains("`limit`"), "{err}");

        for depth in [0, MAX_DEPTH + 1, 500, usize::MAX] {
            let err = BodyPolicy::builder().max_depth(depth).build().unwrap_err();
            assert_eq!(err, BodyConfigError::MaxDepth(depth));
            assert_eq!(err.setting(), "max_depth");
            assert!(err.to_string().contains("`max_depth`"), "{err}");
        }
        // A depth over the maximum is an error, never clamped to it.
        assert!(BodyPolicy::builder().max_depth(129).build().is_err());
        // The edges of each range are accepted as given.
        let edges = BodyPolicy::builder()
            .limit(1)
            .max_depth(MAX_DEPTH)
            .build()
            .unwrap();
        assert_eq!((edges.limit(), edges.max_depth()), (1, MAX_DEPTH));
        assert_eq!(
            BodyPolicy::builder()
                .max_depth(1)
                .build()
                .unwrap()
                .max_depth(),
            1
        );
    }

    #[test]
    fn a_setter_sets_its_setting_and_nothing_else() {
        // The issue's bug: `with_limit` rebuilt the JSON rules from the
        // defaults, dropping whatever else had been set.
        let policy = BodyPolicy::builder()
            .allow_non_object_bodies()
            .keys(KeyPolicy::Strip)
            .limit(100)
            .max_depth(4)
            .limit(200)
            .build()
            .unwrap();
        assert_eq!(policy.limit(), 200);
        assert_eq!(policy.max_depth(), 4);
        assert!(policy.allows_non_object_bodies());
        assert_eq!(policy.keys(), KeyPolicy::Strip);

        // And in the other order: the depth set last holds the limit set first.
        let policy = BodyPolicy::builder()
            .max_depth(4)
            .limit(200)
            .max_depth(6)
            .build()
            .unwrap();
        assert_eq!((policy.limit(), policy.max_depth()), (200, 6));
        assert!(!policy.allows_non_object_bodies());
        assert_eq!(policy.keys(), KeyPolicy::Reject);
    }
}
