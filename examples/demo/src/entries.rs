//! The list settings (`SHIELDWALL_DEMO_USERS`, `SHIELDWALL_SIGNING_KEYS`,
//! `SHIELDWALL_CORS_ORIGINS`), entry by entry: a variable's comma-separated
//! entries and a file's array go through the same checks. No error repeats a
//! password or a secret.

use std::collections::HashSet;

use base64::Engine;
use shieldwall_core::Secret;

use crate::config::{DemoUser, RequestSigningKey};
use crate::env::{EnvError, bad};

/// `SHIELDWALL_DEMO_USERS`: `email:password` entries.
pub(crate) fn parse_users(entries: &[String]) -> Result<Vec<DemoUser>, EnvError> {
    const VAR: &str = "SHIELDWALL_DEMO_USERS";
    let mut users = Vec::new();
    let mut seen = HashSet::new();
    for (index, entry) in entries.iter().map(|e| e.trim()).enumerate() {
        let (email, password) = entry
            .split_once(':')
            .ok_or_else(|| bad(VAR, format!("entry {} is not email:password", index + 1)))?;
        let email = email.trim().to_ascii_lowercase();
        let valid_email = email.len() <= 255
            && email
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if !valid_email {
            return Err(bad(
                VAR,
                format!("entry {} does not start with a valid email", index + 1),
            ));
        }
        if password.len() < 8 {
            return Err(bad(
                VAR,
                format!("the password of {email} is shorter than 8 characters"),
            ));
        }
        if !seen.insert(email.clone()) {
            return Err(bad(VAR, format!("{email} appears twice")));
        }
        users.push(DemoUser {
            email,
            password: Secret::from(password),
        });
    }
    if users.is_empty() {
        return Err(bad(VAR, "names no user"));
    }
    Ok(users)
}

/// `SHIELDWALL_SIGNING_KEYS`: `keyid:owner-email:base64-secret` entries.
pub(crate) fn parse_signing_keys(
    entries: &[String],
    users: &[DemoUser],
) -> Result<Vec<RequestSigningKey>, EnvError> {
    const VAR: &str = "SHIELDWALL_SIGNING_KEYS";
    let mut keys = Vec::new();
    let mut seen = HashSet::new();
    for (index, entry) in entries.iter().map(|e| e.trim()).enumerate() {
        let n = index + 1;
        let mut parts = entry.splitn(3, ':');
        let (Some(key_id), Some(owner), Some(secret)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad(
                VAR,
                format!("entry {n} is not keyid:owner-email:base64-secret"),
            ));
        };
        let id_ok = !key_id.is_empty()
            && key_id.len() <= 64
            && key_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !id_ok {
            return Err(bad(
                VAR,
                format!("entry {n}: the keyid must be 1 to 64 of A-Z a-z 0-9 - _ ."),
            ));
        }
        let owner = owner.trim().to_ascii_lowercase();
        if !users.iter().any(|u| u.email == owner) {
            return Err(bad(VAR, format!("entry {n}: the owner is not a demo user")));
        }
        let secret = base64::engine::general_purpose::STANDARD
            .decode(secret.trim())
            .map_err(|_| bad(VAR, format!("entry {n}: the secret is not valid base64")))?;
        if secret.len() < 32 {
            return Err(bad(
                VAR,
                format!(
                    "entry {n}: the secret is {} bytes; at least 32 are needed",
                    secret.len()
                ),
            ));
        }
        if !seen.insert(key_id.to_owned()) {
            return Err(bad(VAR, format!("entry {n}: keyid {key_id} appears twice")));
        }
        keys.push(RequestSigningKey {
            key_id: key_id.to_owned(),
            owner,
            secret: Secret::new(secret),
        });
    }
    Ok(keys)
}

/// `SHIELDWALL_CORS_ORIGINS`: exact origins, written as browsers send them.
pub(crate) fn parse_origins(entries: &[String]) -> Result<Vec<String>, EnvError> {
    const VAR: &str = "SHIELDWALL_CORS_ORIGINS";
    let mut origins = Vec::new();
    for origin in entries.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
        // Exactly as a browser sends it: the CORS crate's serialization.
        let serialized =
            shieldwall_cors::serialize_origin(origin).map_err(|e| bad(VAR, e.to_string()))?;
        if serialized != origin {
            return Err(bad(
                VAR,
                format!(
                    "`{origin}` is not written as a browser sends it (`{serialized}`: lowercase, \
                     no default port)"
                ),
            ));
        }
        origins.push(serialized);
    }
    if origins.is_empty() {
        return Err(bad(VAR, "at least one origin"));
    }
    Ok(origins)
}
