//! The demo servers' settings that the command must agree with
//! (`examples/demo`, documented in docs/DEMO_API.md). The demo is not a
//! published crate, so they are restated here; the end-to-end test
//! (`crates/shieldwall-testkit/tests/e2e_cli.rs`) fails if they drift.

/// The key format's prefix: keys look like `sk_...`.
pub(crate) const KEY_PREFIX: &str = "sk";

/// The scopes of a key created without `--scope`.
pub(crate) const DEFAULT_SCOPES: [&str; 2] = ["users:read", "users:write"];

/// The name of a key created without `--name`.
pub(crate) const DEFAULT_KEY_NAME: &str = "default";

/// `SHIELDWALL_JWT_ISSUER`'s default.
pub(crate) const JWT_ISSUER: &str = "shieldwall-demo";

/// `SHIELDWALL_JWT_AUDIENCE`'s default.
pub(crate) const JWT_AUDIENCE: &str = "shieldwall-demo-api";

/// `SHIELDWALL_JWT_LEEWAY_SECS`'s default.
pub(crate) const JWT_LEEWAY_SECS: &str = "30";
