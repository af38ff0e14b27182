//! `/api/v1/protected/keys`: the framework-free parts.

use std::borrow::Cow;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use shieldwall_core::rfc3339;
use shieldwall_errors::{ApiError, ErrorCode, FieldError, Rejection};
use shieldwall_keys::{AnyKeyStore, ApiKeyGuard, ApiKeys, CreateError, KeyRecord, NewKey};
use shieldwall_validate::rules;

/// The scopes a key may hold.
pub const ALLOWED_SCOPES: [&str; 3] = ["users:read", "users:write", "transfers:write"];
/// The scopes of a key created without `scopes`.
pub const DEFAULT_SCOPES: [&str; 2] = ["users:read", "users:write"];

/// `POST /api/v1/protected/keys` body (optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    /// A name (1 to 100 visible characters: no control, bidi-override or
    /// invisible character; default `default`).
    pub name: Option<String>,
    /// Scopes (of [`ALLOWED_SCOPES`]; default [`DEFAULT_SCOPES`]).
    pub scopes: Option<Vec<String>>,
    /// Lifetime in days (1 to 365; default: no expiry).
    pub expires_in_days: Option<u32>,
}

/// The answer to creating a key: the only time `key` is shown.
#[derive(Debug, Serialize)]
pub struct CreatedKeyResponse {
    /// Public id.
    pub id: String,
    /// The key.
    pub key: String,
    /// Public display prefix (`sk_<id>`).
    pub prefix: String,
    /// Name.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, or null.
    pub expires_at: Option<String>,
}

/// A key in a listing (never the key).
#[derive(Debug, Serialize)]
pub struct KeyView {
    /// Public id.
    pub id: String,
    /// Public display prefix.
    pub prefix: String,
    /// Name.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, or null.
    pub expires_at: Option<String>,
    /// RFC 3339, or null.
    pub last_used_at: Option<String>,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// What is wrong with a key's name: its length (1 to 100 characters, not
/// only spaces), and any invisible character, by the rule user emails
/// follow (`rules::visible`: control, bidi-override, zero-width and other
/// invisible characters). Refused rather than removed: a key's name is how
/// its owner tells keys apart when revoking one, and `invoice\u{202e}gpj.exe`
/// shown as `invoiceexe.jpg` is a trap; the client is told, and nothing it
/// did not send is stored.
fn name_errors(name: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if name.trim().is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::new(
            "name",
            "length",
            "must have a length between 1 and 100",
        ));
    }
    if let Err(error) = rules::visible(name) {
        let message = error
            .message
            .unwrap_or(Cow::Borrowed("must not contain invisible characters"));
        errors.push(FieldError::new("name", error.code, message));
    }
    errors
}

/// The demo's API keys and their guards.
#[derive(Debug)]
pub struct Keys {
    keys: ApiKeys<AnyKeyStore>,
    users_read: ApiKeyGuard<AnyKeyStore>,
    users_write: ApiKeyGuard<AnyKeyStore>,
    transfers_write: ApiKeyGuard<AnyKeyStore>,
}

fn store_error(error: shieldwall_core::StoreError) -> ApiError {
    error.into_api_error()
}

impl Keys {
    /// Keys over `keys`, with the guards of the user routes.
    pub fn new(keys: ApiKeys<AnyKeyStore>) -> Result<Self, String> {
        let guard = |scope: &str| {
            ApiKeyGuard::new(keys.clone())
                .require_scopes([scope])
                .map_err(|e| format!("API key scope {scope}: {e}"))
        };
        Ok(Self {
            users_read: guard("users:read")?,
            users_write: guard("users:write")?,
            transfers_write: guard("transfers:write")?,
            keys,
        })
    }

    /// The guard of `GET /api/v1/users` (scope `users:read`).
    pub fn users_read(&self) -> ApiKeyGuard<AnyKeyStore> {
        self.users_read.clone()
    }

    /// The guard of `POST /api/v1/users` (scope `users:write`).
    pub fn users_write(&self) -> ApiKeyGuard<AnyKeyStore> {
        self.users_write.clone()
    }

    /// The guard of `POST /api/v1/transfers` (scope `transfers:write`).
    pub fn transfers_write(&self) -> ApiKeyGuard<AnyKeyStore> {
        self.transfers_write.clone()
    }

    fn view(&self, record: &KeyRecord) -> KeyView {
        KeyView {
            id: record.id.clone(),
            prefix: self.keys.format().display_prefix(&record.id),
            name: record.name.clone(),
            scopes: record.scopes.clone(),
            created_at: rfc3339(record.created_at),
            expires_at: record.expires_at.map(rfc3339),
            last_used_at: record.last_used_at.map(rfc3339),
            revoked: record.revoked_at.is_some(),
        }
    }

    /// Creates a key for `owner`.
    pub async fn create(
        &self,
        owner: &str,
        request: Option<CreateKeyRequest>,
    ) -> Result<CreatedKeyResponse, ApiError> {
        let request = request.unwrap_or_default();
        let mut errors = Vec::new();
        let name = request.name.unwrap_or_else(|| "default".to_owned());
        errors.extend(name_errors(&name));
        let scopes = request
            .scopes
            .unwrap_or_else(|| DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect());
        if scopes.is_empty() {
            errors.push(FieldError::new(
                "scopes",
                "length",
                "must hold at least one scope",
            ));
        }
        for (index, scope) in scopes.iter().enumerate() {
            if !ALLOWED_SCOPES.contains(&scope.as_str()) {
                errors.push(FieldError::new(
                    format!("scopes[{index}]"),
                    "one_of",
                    "must be users:read, users:write or transfers:write",
                ));
            }
        }
        if let Some(days) = request.expires_in_days
            && !(1..=365).contains(&days)
        {
            errors.push(FieldError::new(
                "expires_in_days",
                "range",
                "must be 1 to 365",
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::invalid_fields().with_field_errors(errors));
        }
        let mut new = NewKey::new(owner, name, scopes);
        if let Some(days) = request.expires_in_days {
            new = new.expires_in(Duration::from_secs(u64::from(days) * 86_400));
        }
        let created = self.keys.create(new).await.map_err(|e| match e {
            CreateError::Store(e) => store_error(e),
            other => ApiError::internal(other),
        })?;
        let view = self.view(&created.record);
        Ok(CreatedKeyResponse {
            id: view.id,
            key: created.key.reveal(),
            prefix: view.prefix,
            name: view.name,
            scopes: view.scopes,
            created_at: view.created_at,
            expires_at: view.expires_at,
        })
    }

    /// Writes the last-use times still held in memory (at shutdown: they
    /// are otherwise written in batches, and a stopping process would lose
    /// the last batch).
    pub async fn flush_last_used(&self) {
        if let Err(error) = self.keys.flush_last_used().await {
            tracing::warn!(%error, "the keys' last-use times could not be written at shutdown");
        }
    }

    /// `owner`'s keys.
    pub async fn list(&self, owner: &str) -> Result<Vec<KeyView>, ApiError> {
        let records = self.keys.list(owner).await.map_err(store_error)?;
        Ok(records.iter().map(|r| self.view(r)).collect())
    }

    /// Revokes `owner`'s key `id`: 404 for an unknown id or another owner's key.
    pub async fn delete(&self, owner: &str, id: &str) -> Result<(), ApiError> {
        let well_formed =
            id.len() == shieldwall_keys::ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric());
        if !well_formed || !self.keys.revoke(owner, id).await.map_err(store_error)? {
            return Err(ApiError::new(ErrorCode::NotFound).with_detail("no such key"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(name: &str) -> Vec<(String, String)> {
        name_errors(name)
            .into_iter()
            .map(|e| (e.field.into_owned(), e.code.into_owned()))
            .collect()
    }

    #[test]
    fn key_names_are_visible_text_of_1_to_100_characters() {
        for ok in [
            "default",
            "CI deploy key",
            "clé de test",
            "報告",
            &"n".repeat(100),
        ] {
            assert!(name_errors(ok).is_empty(), "{ok:?}");
        }
        let invisible = || vec![("name".to_owned(), "invisible_character".to_owned())];
        for bad in [
            "invoice\u{202e}gpj.exe",
            "ad\u{200b}min",
            "a\u{2066}b\u{2069}",
            "tab\there",
            "new\nline",
            "nul\0",
            "\u{feff}bom",
            "soft\u{ad}hyphen",
        ] {
            assert_eq!(codes(bad), invisible(), "{bad:?}");
        }
        let length = || vec![("name".to_owned(), "length".to_owned())];
        assert_eq!(codes(""), length());
        assert_eq!(codes("   "), length());
        assert_eq!(codes(&"n".repeat(101)), length());
        assert_eq!(
            codes("\t"),
            vec![
                ("name".to_owned(), "length".to_owned()),
                ("name".to_owned(), "invisible_character".to_owned())
            ]
        );
        // The message is the rule's own, and never the submitted name.
        let error = name_errors("invoice\u{202e}gpj.exe").remove(0);
        assert_eq!(
            error.message,
            "must not contain invisible or control characters"
        );
    }
}
