//! `BodyPolicy`: how a validated JSON body is read.

use std::num::NonZeroUsize;

use serde::de::DeserializeOwned;
use serde_json::Value;
use shieldwall_core::{JsonBody, field_error};
use shieldwall_errors::{ApiError, ErrorCode};
use shieldwall_sanitize::{KeyPolicy, Sanitize, is_forbidden_key, strip_forbidden_keys};
use validator::Validate;

use crate::check::check;

/// How a validated JSON body is read: core's [`JsonBody`] rules (JSON media
/// type or 415, size limit or 413, UTF-8, nesting depth, no duplicate key
/// at any depth, objects only) and what to do with NoSQL operator and
/// prototype keys (rejected by default). The adapters' `Valid<Json<T>>`
/// finds it in the request extensions (axum) or `app_data` (actix-web).
///
/// ```
/// use shieldwall_validate::{BodyPolicy, Sanitize, Validate};
///
/// #[derive(serde::Deserialize, Validate)]
/// struct Search { #[validate(length(max = 50))] name: String }
/// impl Sanitize for Search {}
///
/// let policy = BodyPolicy::default();
/// let ok: Search = policy.parse(br#"{"name": "ada"}"#).unwrap();
/// assert_eq!(ok.name, "ada");
/// let err = policy.parse::<Search>(br#"{"name": {"$ne": null}}"#).err().unwrap();
/// assert_eq!(err.code().as_str(), "VALIDATION_FAILED");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BodyPolicy {
    json: JsonBody,
    keys: KeyPolicy,
}

impl From<JsonBody> for BodyPolicy {
    fn from(json: JsonBody) -> Self {
        Self {
            json,
            keys: KeyPolicy::default(),
        }
    }
}

impl BodyPolicy {
    /// The policy of a route: its own `BodyPolicy` if it set one, else its
    /// `JsonBody` (size and depth) with the default key policy, else the
    /// defaults. The adapters call this with what they find on the request.
    #[must_use]
    pub fn for_route(policy: Option<&Self>, json: Option<&JsonBody>) -> Self {
        match (policy, json) {
            (Some(policy), _) => *policy,
            (None, Some(json)) => Self::from(*json),
            (None, None) => Self::default(),
        }
    }

    /// Bodies up to `limit` bytes (default 64 KiB).
    #[must_use]
    pub fn with_limit(mut self, limit: NonZeroUsize) -> Self {
        self.json = JsonBody::with_limit(limit).with_max_depth(self.max_depth());
        self
    }

    /// Nesting up to `depth` (default 32).
    #[must_use]
    pub fn with_max_depth(mut self, depth: NonZeroUsize) -> Self {
        self.json = self.json.with_max_depth(depth);
        self
    }

    /// What to do with operator and prototype keys (default: reject).
    #[must_use]
    pub fn with_keys(mut self, keys: KeyPolicy) -> Self {
        self.keys = keys;
        self
    }

    /// The JSON rules (for the adapters' checks before the body is read).
    #[must_use]
    pub fn json(&self) -> &JsonBody {
        &self.json
    }

    fn max_depth(&self) -> NonZeroUsize {
        NonZeroUsize::new(self.json.max_depth()).unwrap_or(NonZeroUsize::MIN)
    }

    /// Reads, validates and cleans a body already read in full.
    pub fn parse<T>(&self, body: &[u8]) -> Result<T, ApiError>
    where
        T: DeserializeOwned + Validate + Sanitize,
    {
        let mut value: T = match self.keys {
            KeyPolicy::Allow => self.json.parse(body)?,
            KeyPolicy::Strip => {
                self.json.screen(body, None)?;
                let mut tree: Value =
                    serde_json::from_slice(body).map_err(|e| malformed().with_source(e))?;
                strip_forbidden_keys(&mut tree);
                from_tree(tree)?
            }
            // Reject, and whatever a later version adds: the safe answer.
            _ => self.json.parse_checking_keys(body, &is_forbidden_key)?,
        };
        check(&mut value, || serde_json::from_slice(body).ok())?;
        Ok(value)
    }
}

fn malformed() -> ApiError {
    ApiError::new(ErrorCode::MalformedRequest).with_detail("the request body is not valid JSON")
}

/// A value from a tree already screened, with the field named on error.
fn from_tree<T: DeserializeOwned>(tree: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(tree).map_err(|err| {
        let message = err.inner().to_string();
        ApiError::invalid_fields().with_field_error(field_error(err.path(), &message))
    })
}
