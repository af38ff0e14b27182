//! The demo's configuration: every variable of DEMO_API.md, parsed and checked.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use shieldwall_core::{Secret, TrustedProxies};
use shieldwall_ratelimit::{FailureMode, Quota};
use shieldwall_redis::RedisConfig;

use crate::env::{EnvError, Source, bad};

/// Where a secret came from (printed at start; the secret never is).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Generated at start.
    Random,
    /// Given in the environment.
    Environment,
    /// The documented default.
    Default,
}

impl Origin {
    /// A short description.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Random => "random, made at start",
            Self::Environment => "from the environment",
            Self::Default => "the documented default",
        }
    }
}

/// A seeded user.
#[derive(Clone, Debug)]
pub struct DemoUser {
    /// Email, also the login.
    pub email: String,
    /// Password (hashed at start once the login route exists).
    pub password: Secret,
}

/// An HMAC request-signing key.
#[derive(Clone, Debug)]
pub struct RequestSigningKey {
    /// The `keyid` a signature names.
    pub key_id: String,
    /// The owner's email.
    pub owner: String,
    /// The HMAC secret.
    pub secret: Secret,
}

/// Where audit events go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditTarget {
    /// Standard output, one JSON line per request.
    Stdout,
    /// Nowhere.
    Off,
    /// A JSON-lines file.
    File(PathBuf),
    /// A Redis stream on `REDIS_URL`.
    Redis,
}

/// The demo's configuration.
#[derive(Clone, Debug)]
pub struct DemoConfig {
    /// `SHIELDWALL_ADDR`.
    pub addr: SocketAddr,
    /// `REDIS_URL`.
    pub redis: Option<RedisConfig>,
    /// `SHIELDWALL_JWT_SECRET`.
    pub jwt_secret: Secret,
    /// Where the JWT secret came from.
    pub jwt_secret_origin: Origin,
    /// `SHIELDWALL_JWT_ISSUER`.
    pub jwt_issuer: String,
    /// `SHIELDWALL_JWT_AUDIENCE`.
    pub jwt_audience: String,
    /// `SHIELDWALL_JWT_TTL_SECS`.
    pub jwt_ttl: Duration,
    /// `SHIELDWALL_JWT_LEEWAY_SECS`.
    pub jwt_leeway: Duration,
    /// `SHIELDWALL_DEMO_USERS`.
    pub users: Vec<DemoUser>,
    /// Where the users came from.
    pub users_origin: Origin,
    /// `SHIELDWALL_SIGNING_KEYS`.
    pub signing_keys: Vec<RequestSigningKey>,
    /// Where the signing keys came from.
    pub signing_keys_origin: Origin,
    /// `SHIELDWALL_LIMIT_PUBLIC`.
    pub limit_public: Quota,
    /// `SHIELDWALL_LIMIT_AUTH`.
    pub limit_auth: Quota,
    /// `SHIELDWALL_LIMIT_USER`.
    pub limit_user: Quota,
    /// `SHIELDWALL_TRUSTED_PROXIES`.
    pub trusted_proxies: TrustedProxies,
    /// `SHIELDWALL_CORS_ORIGINS`.
    pub cors_origins: Vec<String>,
    /// `SHIELDWALL_REQUIRE_HTTPS`.
    pub require_https: bool,
    /// `SHIELDWALL_TLS_CERT` and `SHIELDWALL_TLS_KEY`, loaded: when set, the
    /// servers speak TLS themselves (ALPN `h2` and `http/1.1`).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// `SHIELDWALL_AUDIT`.
    pub audit: AuditTarget,
    /// `SHIELDWALL_RATE_LIMIT_ON_STORE_ERROR`: what a rate limit does when its
    /// store is unreachable.
    pub on_store_error: FailureMode,
}

const DEFAULT_USERS: &str = "alice@example.com:alice-password-1,bob@example.com:bob-password-2";
const DEFAULT_CORS: &str = "https://myapp.com,https://admin.myapp.com";

/// Variables of DEMO_API.md whose concern this version does not have yet.
/// Set, they would be ignored: the server refuses to start instead of
/// running without what was asked for.
pub(crate) const NOT_YET_SUPPORTED: [&str; 6] = [
    "SHIELDWALL_OIDC_ISSUER",
    "SHIELDWALL_INTROSPECTION_URL",
    "SHIELDWALL_INTROSPECTION_CLIENT",
    "REDIS_CLUSTER_NODES",
    "SHIELDWALL_METRICS_ADDR",
    "SHIELDWALL_CONFIG",
];

impl DemoConfig {
    /// Reads every variable; the first bad one stops with an error naming it.
    pub fn from_source<S: Source + ?Sized>(env: &S) -> Result<Self, EnvError> {
        for var in NOT_YET_SUPPORTED {
            if env.get(var)?.is_some() {
                return Err(bad(var, "is not supported by this version yet"));
            }
        }
        let addr = match env.get("SHIELDWALL_ADDR")? {
            Some(v) => v.parse().map_err(|_| {
                bad(
                    "SHIELDWALL_ADDR",
                    format!("`{v}` is not an address like 127.0.0.1:8080"),
                )
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        let redis = env
            .get("REDIS_URL")?
            .map(|url| RedisConfig::new(&url).map_err(|e| bad("REDIS_URL", e.to_string())))
            .transpose()?;

        let (jwt_secret, jwt_secret_origin) = match env.get("SHIELDWALL_JWT_SECRET")? {
            Some(secret) if secret.len() < 32 => {
                return Err(bad(
                    "SHIELDWALL_JWT_SECRET",
                    format!(
                        "is {} bytes; an HS256 secret must have at least 32",
                        secret.len()
                    ),
                ));
            }
            Some(secret) => (Secret::from(secret), Origin::Environment),
            None => (random_secret(), Origin::Random),
        };
        let jwt_issuer = text(env, "SHIELDWALL_JWT_ISSUER", "shieldwall-demo")?;
        let jwt_audience = text(env, "SHIELDWALL_JWT_AUDIENCE", "shieldwall-demo-api")?;
        let jwt_ttl = seconds(env, "SHIELDWALL_JWT_TTL_SECS", 900, 1, 86_400)?;
        let jwt_leeway = seconds(env, "SHIELDWALL_JWT_LEEWAY_SECS", 30, 0, 300)?;

        let (users_text, users_origin) = match env.get("SHIELDWALL_DEMO_USERS")? {
            Some(v) => (v, Origin::Environment),
            None => (DEFAULT_USERS.to_owned(), Origin::Default),
        };
        let users = parse_users(&users_text)?;
        let (signing_keys, signing_keys_origin) = match env.get("SHIELDWALL_SIGNING_KEYS")? {
            Some(v) => (parse_signing_keys(&v, &users)?, Origin::Environment),
            None => {
                let owner = users.first().map(|u| u.email.clone()).unwrap_or_default();
                let key = RequestSigningKey {
                    key_id: "demo-hmac-1".to_owned(),
                    owner,
                    secret: random_secret(),
                };
                (vec![key], Origin::Random)
            }
        };

        let limit =
            |var: &'static str, default: &str| -> Result<Quota, EnvError> {
                env.get(var)?.as_deref().unwrap_or(default).parse().map_err(
                    |e: shieldwall_ratelimit::RateLimitConfigError| bad(var, e.to_string()),
                )
            };
        let limit_public = limit("SHIELDWALL_LIMIT_PUBLIC", "100/15m")?;
        let limit_auth = limit("SHIELDWALL_LIMIT_AUTH", "5/15m")?;
        let limit_user = limit("SHIELDWALL_LIMIT_USER", "60/1m")?;

        let trusted_proxies = env
            .get("SHIELDWALL_TRUSTED_PROXIES")?
            .unwrap_or_default()
            .parse()
            .map_err(|e: shieldwall_core::ClientIpConfigError| {
                bad("SHIELDWALL_TRUSTED_PROXIES", e.to_string())
            })?;
        let cors_origins = parse_origins(
            &env.get("SHIELDWALL_CORS_ORIGINS")?
                .unwrap_or_else(|| DEFAULT_CORS.to_owned()),
        )?;
        let require_https = match env
            .get("SHIELDWALL_REQUIRE_HTTPS")?
            .map(|v| v.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(bad("SHIELDWALL_REQUIRE_HTTPS", "must be true or false")),
        };
        let tls = match (
            env.get("SHIELDWALL_TLS_CERT")?,
            env.get("SHIELDWALL_TLS_KEY")?,
        ) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(bad(
                    "SHIELDWALL_TLS_KEY",
                    "must be set with SHIELDWALL_TLS_CERT",
                ));
            }
            (None, Some(_)) => {
                return Err(bad(
                    "SHIELDWALL_TLS_CERT",
                    "must be set with SHIELDWALL_TLS_KEY",
                ));
            }
            (Some(cert), Some(key)) => Some(crate::tls::server_config(
                Path::new(&cert),
                Path::new(&key),
            )?),
        };
        let audit = match env.get("SHIELDWALL_AUDIT")? {
            None => AuditTarget::Stdout,
            Some(value) => match value.to_ascii_lowercase().as_str() {
                "stdout" => AuditTarget::Stdout,
                "off" => AuditTarget::Off,
                "redis" if redis.is_none() => {
                    return Err(bad("SHIELDWALL_AUDIT", "`redis` needs REDIS_URL"));
                }
                "redis" => AuditTarget::Redis,
                _ => AuditTarget::File(PathBuf::from(value)),
            },
        };
        let on_store_error = match env.get("SHIELDWALL_RATE_LIMIT_ON_STORE_ERROR")? {
            None => FailureMode::Closed,
            Some(value) => value
                .parse()
                .map_err(|e| bad("SHIELDWALL_RATE_LIMIT_ON_STORE_ERROR", format!("{e}")))?,
        };

        Ok(Self {
            addr,
            redis,
            jwt_secret,
            jwt_secret_origin,
            jwt_issuer,
            jwt_audience,
            jwt_ttl,
            jwt_leeway,
            users,
            users_origin,
            signing_keys,
            signing_keys_origin,
            limit_public,
            limit_auth,
            limit_user,
            trusted_proxies,
            cors_origins,
            require_https,
            tls,
            audit,
            on_store_error,
        })
    }
}

fn random_secret() -> Secret {
    let bytes: [u8; 32] = rand::random();
    Secret::new(bytes.to_vec())
}

fn text<S: Source + ?Sized>(env: &S, var: &'static str, default: &str) -> Result<String, EnvError> {
    let value = env.get(var)?.unwrap_or_else(|| default.to_owned());
    if value.len() > 256 || value.chars().any(char::is_control) {
        return Err(bad(
            var,
            "must be at most 256 characters without control characters",
        ));
    }
    Ok(value)
}

fn seconds<S: Source + ?Sized>(
    env: &S,
    var: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<Duration, EnvError> {
    let value = match env.get(var)? {
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map_err(|_| bad(var, format!("`{v}` is not a whole number of seconds")))?,
        None => default,
    };
    if !(min..=max).contains(&value) {
        return Err(bad(var, format!("must be between {min} and {max} seconds")));
    }
    Ok(Duration::from_secs(value))
}

fn parse_users(text: &str) -> Result<Vec<DemoUser>, EnvError> {
    const VAR: &str = "SHIELDWALL_DEMO_USERS";
    let mut users = Vec::new();
    let mut seen = HashSet::new();
    for (index, entry) in text.split(',').map(str::trim).enumerate() {
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

fn parse_signing_keys(text: &str, users: &[DemoUser]) -> Result<Vec<RequestSigningKey>, EnvError> {
    const VAR: &str = "SHIELDWALL_SIGNING_KEYS";
    let mut keys = Vec::new();
    let mut seen = HashSet::new();
    for (index, entry) in text.split(',').map(str::trim).enumerate() {
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

fn parse_origins(text: &str) -> Result<Vec<String>, EnvError> {
    const VAR: &str = "SHIELDWALL_CORS_ORIGINS";
    let mut origins = Vec::new();
    for origin in text.split(',').map(str::trim).filter(|o| !o.is_empty()) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(vars: &[(&str, &str)]) -> Result<DemoConfig, EnvError> {
        DemoConfig::from_source(vars)
    }

    #[test]
    fn defaults_follow_the_contract() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.addr, "127.0.0.1:8080".parse().unwrap());
        assert!(c.redis.is_none());
        assert_eq!(c.jwt_secret.len(), 32);
        assert_eq!(c.jwt_secret_origin, Origin::Random);
        assert_eq!(
            (c.jwt_issuer.as_str(), c.jwt_audience.as_str()),
            ("shieldwall-demo", "shieldwall-demo-api")
        );
        assert_eq!((c.jwt_ttl.as_secs(), c.jwt_leeway.as_secs()), (900, 30));
        let emails: Vec<&str> = c.users.iter().map(|u| u.email.as_str()).collect();
        assert_eq!(emails, ["alice@example.com", "bob@example.com"]);
        assert!(c.users[0].password.ct_eq(b"alice-password-1"));
        assert_eq!(c.signing_keys.len(), 1);
        assert_eq!(c.signing_keys[0].owner, "alice@example.com");
        assert_eq!(
            (
                c.limit_public.count().get(),
                c.limit_public.window().as_secs()
            ),
            (100, 900)
        );
        assert_eq!(
            (c.limit_auth.count().get(), c.limit_auth.window().as_secs()),
            (5, 900)
        );
        assert_eq!(
            (c.limit_user.count().get(), c.limit_user.window().as_secs()),
            (60, 60)
        );
        assert!(c.trusted_proxies.is_empty());
        assert_eq!(
            c.cors_origins,
            ["https://myapp.com", "https://admin.myapp.com"]
        );
        assert!(!c.require_https);
        assert_eq!(c.audit, AuditTarget::Stdout);
        assert_eq!(c.on_store_error, FailureMode::Closed);
    }

    #[test]
    fn every_bad_value_names_its_variable_and_never_echoes_a_secret() {
        let cases: &[(&str, &str)] = &[
            ("SHIELDWALL_ADDR", "localhost"),
            ("REDIS_URL", "http://x"),
            ("SHIELDWALL_OIDC_ISSUER", "https://id.example.com"),
            (
                "SHIELDWALL_INTROSPECTION_URL",
                "https://id.example.com/introspect",
            ),
            ("SHIELDWALL_INTROSPECTION_CLIENT", "api:hunter2hunter2"),
            ("REDIS_CLUSTER_NODES", "redis://127.0.0.1:7000"),
            ("SHIELDWALL_METRICS_ADDR", "127.0.0.1:9100"),
            ("SHIELDWALL_CONFIG", "/etc/shieldwall.toml"),
            ("SHIELDWALL_JWT_SECRET", "short-hunter2"),
            ("SHIELDWALL_JWT_TTL_SECS", "0"),
            ("SHIELDWALL_JWT_TTL_SECS", "ten"),
            ("SHIELDWALL_JWT_LEEWAY_SECS", "3600"),
            ("SHIELDWALL_JWT_ISSUER", "a\nb"),
            ("SHIELDWALL_DEMO_USERS", "alice@example.com"),
            ("SHIELDWALL_DEMO_USERS", "alice@example.com:short"),
            ("SHIELDWALL_DEMO_USERS", "a@b.c:password1,A@b.c:password2"),
            ("SHIELDWALL_DEMO_USERS", "not-an-email:password1"),
            (
                "SHIELDWALL_SIGNING_KEYS",
                "k1:alice@example.com:hunter2hunter2",
            ),
            (
                "SHIELDWALL_SIGNING_KEYS",
                "k1:mallory@example.com:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            ),
            (
                "SHIELDWALL_SIGNING_KEYS",
                "k 1:alice@example.com:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            ),
            ("SHIELDWALL_SIGNING_KEYS", "k1:alice@example.com:AAAA"),
            ("SHIELDWALL_LIMIT_PUBLIC", "100"),
            ("SHIELDWALL_LIMIT_AUTH", "0/1m"),
            ("SHIELDWALL_LIMIT_USER", "5/1d"),
            ("SHIELDWALL_TRUSTED_PROXIES", "10.0.0.0/8,nope"),
            ("SHIELDWALL_CORS_ORIGINS", "*"),
            ("SHIELDWALL_CORS_ORIGINS", "https://myapp.com/path"),
            ("SHIELDWALL_CORS_ORIGINS", "HTTPS://MyApp.com"),
            ("SHIELDWALL_CORS_ORIGINS", "https://myapp.com:443"),
            ("SHIELDWALL_CORS_ORIGINS", "http://myapp.com:80"),
            ("SHIELDWALL_CORS_ORIGINS", "https://user@myapp.com"),
            ("SHIELDWALL_CORS_ORIGINS", "https://[::1"),
            ("SHIELDWALL_REQUIRE_HTTPS", "yes"),
            ("SHIELDWALL_TLS_CERT", "/tmp/cert.pem"),
            ("SHIELDWALL_AUDIT", "redis"),
            ("SHIELDWALL_RATE_LIMIT_ON_STORE_ERROR", "sometimes"),
        ];
        for (var, value) in cases {
            let err = parse(&[(var, value)]).unwrap_err();
            let line = err.to_string();
            let expected_var = if *var == "SHIELDWALL_TLS_CERT" {
                "SHIELDWALL_TLS_KEY"
            } else {
                var
            };
            assert_eq!(err.var, expected_var, "{var}={value}: {line}");
            assert!(line.starts_with(&format!("{expected_var}: ")), "{line}");
            assert!(!line.contains('\n'), "{line}");
            assert!(!line.contains("hunter2"), "{line}");
        }
    }

    #[test]
    fn good_values_are_taken() {
        let c = parse(&[
            ("SHIELDWALL_ADDR", "127.0.0.1:0"),
            ("SHIELDWALL_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            (
                "SHIELDWALL_DEMO_USERS",
                "Carol@Example.com:pass:with:colons",
            ),
            (
                "SHIELDWALL_SIGNING_KEYS",
                "carol-1:carol@example.com:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            ),
            ("SHIELDWALL_TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
            (
                "SHIELDWALL_CORS_ORIGINS",
                "http://localhost:3000, http://[::1]:8080, https://[2001:db8::1]",
            ),
            ("SHIELDWALL_REQUIRE_HTTPS", "FALSE"),
            ("SHIELDWALL_AUDIT", "/tmp/audit.jsonl"),
            ("SHIELDWALL_RATE_LIMIT_ON_STORE_ERROR", "memory"),
        ])
        .unwrap();
        assert_eq!(c.jwt_secret_origin, Origin::Environment);
        assert_eq!(c.users[0].email, "carol@example.com");
        assert!(c.users[0].password.ct_eq(b"pass:with:colons"));
        assert_eq!(c.signing_keys[0].secret.len(), 32);
        assert!(!c.require_https);
        assert_eq!(c.audit, AuditTarget::File("/tmp/audit.jsonl".into()));
        assert_eq!(c.on_store_error, FailureMode::Memory);
        assert_eq!(
            c.cors_origins,
            [
                "http://localhost:3000",
                "http://[::1]:8080",
                "https://[2001:db8::1]"
            ]
        );
        let stdout = parse(&[("SHIELDWALL_AUDIT", "STDOUT")]).unwrap();
        assert_eq!(stdout.audit, AuditTarget::Stdout);
    }

    #[test]
    fn tls_files_come_in_pairs_and_a_bad_file_names_its_variable() {
        assert!(parse(&[]).unwrap().tls.is_none());
        let key_alone = parse(&[("SHIELDWALL_TLS_KEY", "/tmp/key.pem")]).unwrap_err();
        assert_eq!(key_alone.var, "SHIELDWALL_TLS_CERT", "{key_alone}");
        let missing = "/nonexistent/shieldwall/cert.pem";
        let unreadable = parse(&[
            ("SHIELDWALL_TLS_CERT", missing),
            ("SHIELDWALL_TLS_KEY", "/nonexistent/shieldwall/key.pem"),
        ])
        .unwrap_err();
        assert_eq!(unreadable.var, "SHIELDWALL_TLS_CERT", "{unreadable}");
        assert!(unreadable.to_string().contains(missing), "{unreadable}");
    }
}
