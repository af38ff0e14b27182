//! The demo's configuration: every variable of DEMO_API.md, from the
//! environment over the `SHIELDWALL_CONFIG` file, parsed and checked.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use shieldwall_core::{Secret, TrustedProxies};
use shieldwall_ratelimit::{FailureMode, Quota};
use shieldwall_redis::RedisConfig;
use shieldwall_tokens::introspection::{IntrospectionError, Introspector};
use shieldwall_tokens::oidc::Discovery;

use crate::entries::{parse_origins, parse_signing_keys, parse_users};
use crate::env::{EnvError, Source, bad};
use crate::layers::Layers;

/// Where a secret came from (printed at start; the secret never is).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Generated at start.
    Random,
    /// Given in the environment.
    Environment,
    /// Given in the `SHIELDWALL_CONFIG` file.
    File,
    /// The documented default.
    Default,
}

impl Origin {
    /// A short description.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Random => "random, made at start",
            Self::Environment => "from the environment",
            Self::File => "from the configuration file",
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
    /// `SHIELDWALL_METRICS_ADDR`: where `GET /metrics` is served (off when unset).
    pub metrics_addr: Option<SocketAddr>,
    /// `SHIELDWALL_OIDC_ISSUER`: the identity provider discovered at start,
    /// for tokens whose `aud` is `SHIELDWALL_JWT_AUDIENCE`.
    pub oidc: Option<Discovery>,
    /// `SHIELDWALL_INTROSPECTION_URL` with `SHIELDWALL_INTROSPECTION_CLIENT`:
    /// where opaque tokens are introspected (2 s timeout).
    pub introspection: Option<Introspector>,
}

/// `REDIS_URL` (one server) or `REDIS_CLUSTER_NODES` (seed nodes of a
/// Redis Cluster), not both. No message repeats a URL: it may hold a password.
fn redis_config<S: Source + ?Sized>(l: &Layers<'_, S>) -> Result<Option<RedisConfig>, EnvError> {
    const NODES: &str = "REDIS_CLUSTER_NODES";
    let url = l.typed::<RedisConfig>("REDIS_URL")?;
    let Some(nodes) = l.entries(NODES)? else {
        return Ok(url);
    };
    if url.is_some() {
        return Err(bad(NODES, "set REDIS_URL or REDIS_CLUSTER_NODES, not both"));
    }
    let nodes: Vec<&String> = nodes.iter().filter(|node| !node.is_empty()).collect();
    RedisConfig::cluster(nodes)
        .map(Some)
        .map_err(|err| bad(NODES, err.to_string()))
}

impl DemoConfig {
    /// Whether tokens may come from an identity provider (discovery or
    /// introspection), and so may be DPoP-bound.
    pub fn external_tokens(&self) -> bool {
        self.oidc.is_some() || self.introspection.is_some()
    }
}

const DEFAULT_USERS: [&str; 2] = [
    "alice@example.com:alice-password-1",
    "bob@example.com:bob-password-2",
];
const DEFAULT_CORS: [&str; 2] = ["https://myapp.com", "https://admin.myapp.com"];

/// How long the introspection endpoint has to answer (DEMO_API.md).
const INTROSPECTION_TIMEOUT: Duration = Duration::from_secs(2);

impl DemoConfig {
    /// Reads every variable, over the file `SHIELDWALL_CONFIG` names when it
    /// is set; the first bad value stops with an error naming its variable,
    /// or the file and its key.
    pub fn from_source<S: Source + ?Sized>(env: &S) -> Result<Self, EnvError> {
        Self::from_layers(&Layers::from_env(env)?)
    }

    pub(crate) fn from_layers<S: Source + ?Sized>(l: &Layers<'_, S>) -> Result<Self, EnvError> {
        Self::read(l).map_err(|err| l.blame(err))
    }

    fn read<S: Source + ?Sized>(l: &Layers<'_, S>) -> Result<Self, EnvError> {
        let addr =
            address(l, "SHIELDWALL_ADDR")?.unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080)));
        let metrics_addr = address(l, "SHIELDWALL_METRICS_ADDR")?;
        let redis = redis_config(l)?;

        const SECRET: &str = "SHIELDWALL_JWT_SECRET";
        let (jwt_secret, jwt_secret_origin) = match l.typed_text::<Secret>(SECRET)? {
            Some(secret) if secret.len() < 32 => {
                return Err(bad(
                    SECRET,
                    format!(
                        "is {} bytes; an HS256 secret must have at least 32",
                        secret.len()
                    ),
                ));
            }
            Some(secret) => (secret, l.origin(SECRET)?),
            None => (random_secret(), Origin::Random),
        };
        let jwt_issuer = text(l, "SHIELDWALL_JWT_ISSUER", "shieldwall-demo")?;
        let jwt_audience = text(l, "SHIELDWALL_JWT_AUDIENCE", "shieldwall-demo-api")?;
        let jwt_ttl = seconds(l, "SHIELDWALL_JWT_TTL_SECS", 900, 1, 86_400)?;
        let jwt_leeway = seconds(l, "SHIELDWALL_JWT_LEEWAY_SECS", 30, 0, 300)?;

        const USERS: &str = "SHIELDWALL_DEMO_USERS";
        let users = match l.entries(USERS)? {
            Some(entries) => parse_users(&entries)?,
            None => parse_users(&DEFAULT_USERS.map(String::from))?,
        };
        let users_origin = l.origin(USERS)?;
        const KEYS: &str = "SHIELDWALL_SIGNING_KEYS";
        let (signing_keys, signing_keys_origin) = match l.entries(KEYS)? {
            Some(entries) => (parse_signing_keys(&entries, &users)?, l.origin(KEYS)?),
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

        let quota = |var: &'static str, default: &str| -> Result<Quota, EnvError> {
            match l.typed_text::<Quota>(var)? {
                Some(quota) => Ok(quota),
                None => default.parse().map_err(|e| bad(var, format!("{e}"))),
            }
        };
        let limit_public = quota("SHIELDWALL_LIMIT_PUBLIC", "100/15m")?;
        let limit_auth = quota("SHIELDWALL_LIMIT_AUTH", "5/15m")?;
        let limit_user = quota("SHIELDWALL_LIMIT_USER", "60/1m")?;

        let trusted_proxies = l
            .typed::<TrustedProxies>("SHIELDWALL_TRUSTED_PROXIES")?
            .unwrap_or_default();
        let cors_origins = match l.entries("SHIELDWALL_CORS_ORIGINS")? {
            Some(entries) => parse_origins(&entries)?,
            None => parse_origins(&DEFAULT_CORS.map(String::from))?,
        };
        let require_https = l.flag("SHIELDWALL_REQUIRE_HTTPS")?.unwrap_or(false);
        let tls = match (
            l.text("SHIELDWALL_TLS_CERT")?,
            l.text("SHIELDWALL_TLS_KEY")?,
        ) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(l.bad_beside(
                    "SHIELDWALL_TLS_KEY",
                    "SHIELDWALL_TLS_CERT",
                    "must be set with SHIELDWALL_TLS_CERT (tls_key with tls_cert)",
                ));
            }
            (None, Some(_)) => {
                return Err(l.bad_beside(
                    "SHIELDWALL_TLS_CERT",
                    "SHIELDWALL_TLS_KEY",
                    "must be set with SHIELDWALL_TLS_KEY (tls_cert with tls_key)",
                ));
            }
            (Some(cert), Some(key)) => Some(crate::tls::server_config(
                Path::new(&cert),
                Path::new(&key),
            )?),
        };
        let audit = match l.text("SHIELDWALL_AUDIT")? {
            None => AuditTarget::Stdout,
            Some(value) => match value.to_ascii_lowercase().as_str() {
                "stdout" => AuditTarget::Stdout,
                "off" => AuditTarget::Off,
                "redis" if redis.is_none() => {
                    return Err(bad(
                        "SHIELDWALL_AUDIT",
                        "`redis` needs REDIS_URL or REDIS_CLUSTER_NODES",
                    ));
                }
                "redis" => AuditTarget::Redis,
                _ => AuditTarget::File(PathBuf::from(value)),
            },
        };
        let on_store_error = l
            .typed_text::<FailureMode>("SHIELDWALL_RATE_LIMIT_ON_STORE_ERROR")?
            .unwrap_or_default();
        let oidc = l
            .text(OIDC_ISSUER)?
            .map(|issuer| {
                Discovery::new(&issuer, &jwt_audience).map_err(|e| bad(OIDC_ISSUER, e.to_string()))
            })
            .transpose()?;
        let introspection = introspection(l, &jwt_audience, oidc.as_ref())?;

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
            metrics_addr,
            oidc,
            introspection,
        })
    }
}

const OIDC_ISSUER: &str = "SHIELDWALL_OIDC_ISSUER";
const INTROSPECTION_URL: &str = "SHIELDWALL_INTROSPECTION_URL";
const INTROSPECTION_CLIENT: &str = "SHIELDWALL_INTROSPECTION_CLIENT";

/// The introspector of `SHIELDWALL_INTROSPECTION_URL` and
/// `SHIELDWALL_INTROSPECTION_CLIENT` (`id:secret`, read as a secret: never
/// echoed), both or neither. An answer that names an audience must hold
/// the demo's, and one that names an issuer must be the OIDC issuer when
/// one is configured; RFC 7662 makes both optional, so an answer without
/// them passes (DEMO_API.md asks only `active` and a demo user's `sub`).
fn introspection<S: Source + ?Sized>(
    l: &Layers<'_, S>,
    audience: &str,
    oidc: Option<&Discovery>,
) -> Result<Option<Introspector>, EnvError> {
    let (url, client) = match (
        l.text(INTROSPECTION_URL)?,
        l.typed_text::<Secret>(INTROSPECTION_CLIENT)?,
    ) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(l.bad_beside(
                INTROSPECTION_CLIENT,
                INTROSPECTION_URL,
                "must be set with SHIELDWALL_INTROSPECTION_URL \
                 (introspection_client with introspection_url)",
            ));
        }
        (None, Some(_)) => {
            return Err(l.bad_beside(
                INTROSPECTION_URL,
                INTROSPECTION_CLIENT,
                "must be set with SHIELDWALL_INTROSPECTION_CLIENT \
                 (introspection_url with introspection_client)",
            ));
        }
        (Some(url), Some(client)) => (url, client),
    };
    let not_a_client = || {
        bad(
            INTROSPECTION_CLIENT,
            "must be `client-id:secret`, both non-empty",
        )
    };
    let bytes = client.expose();
    let colon = bytes
        .iter()
        .position(|&b| b == b':')
        .ok_or_else(not_a_client)?;
    let (id, secret) = (bytes.get(..colon), bytes.get(colon + 1..));
    let (Some(id), Some(secret)) = (id, secret) else {
        return Err(not_a_client());
    };
    let id = std::str::from_utf8(id).map_err(|_| not_a_client())?;
    if id.is_empty() || secret.is_empty() {
        return Err(not_a_client());
    }
    let mut builder = Introspector::builder(&url, id, Secret::new(secret.to_vec()))
        .timeout(INTROSPECTION_TIMEOUT)
        .audience(audience)
        .allow_missing_iss_and_aud();
    if let Some(discovery) = oidc {
        builder = builder.issuer(discovery.issuer());
    }
    builder.build().map(Some).map_err(|e| match e {
        IntrospectionError::InvalidValue(_) => bad(INTROSPECTION_CLIENT, e.to_string()),
        _ => bad(INTROSPECTION_URL, e.to_string()),
    })
}

fn random_secret() -> Secret {
    let bytes: [u8; 32] = rand::random();
    Secret::new(bytes.to_vec())
}

fn address<S: Source + ?Sized>(
    l: &Layers<'_, S>,
    var: &'static str,
) -> Result<Option<SocketAddr>, EnvError> {
    l.text(var)?
        .map(|v| {
            v.parse().map_err(|_| {
                bad(
                    var,
                    format!(
                        "`{}` is not an address like 127.0.0.1:8080",
                        v.chars().take(64).collect::<String>().escape_debug()
                    ),
                )
            })
        })
        .transpose()
}

fn text<S: Source + ?Sized>(
    l: &Layers<'_, S>,
    var: &'static str,
    default: &str,
) -> Result<String, EnvError> {
    let value = l.text(var)?.unwrap_or_else(|| default.to_owned());
    if value.len() > 256 || value.chars().any(char::is_control) {
        return Err(bad(
            var,
            "must be at most 256 characters without control characters",
        ));
    }
    Ok(value)
}

fn seconds<S: Source + ?Sized>(
    l: &Layers<'_, S>,
    var: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<Duration, EnvError> {
    let value = l.number(var)?.unwrap_or(default);
    if !(min..=max).contains(&value) {
        return Err(bad(var, format!("must be between {min} and {max} seconds")));
    }
    Ok(Duration::from_secs(value))
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
            ("SHIELDWALL_OIDC_ISSUER", "http://id.example.com"),
            (
                "SHIELDWALL_OIDC_ISSUER",
                "https://user:hunter2@id.example.com",
            ),
            ("SHIELDWALL_OIDC_ISSUER", "id.example.com"),
            (
                "SHIELDWALL_INTROSPECTION_URL",
                "https://id.example.com/introspect",
            ),
            ("SHIELDWALL_INTROSPECTION_CLIENT", "api:hunter2hunter2"),
            ("REDIS_CLUSTER_NODES", "redis://127.0.0.1:7000/3"),
            (
                "REDIS_CLUSTER_NODES",
                "redis://:hunter2@127.0.0.1:7000,http://:hunter2@x",
            ),
            ("SHIELDWALL_METRICS_ADDR", "localhost:9100"),
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
            // A variable that needs another names the missing one.
            let expected_var = match *var {
                "SHIELDWALL_TLS_CERT" => "SHIELDWALL_TLS_KEY",
                "SHIELDWALL_INTROSPECTION_URL" => "SHIELDWALL_INTROSPECTION_CLIENT",
                "SHIELDWALL_INTROSPECTION_CLIENT" => "SHIELDWALL_INTROSPECTION_URL",
                other => other,
            };
            assert_eq!(err.var, expected_var, "{var}={value}: {line}");
            assert!(line.starts_with(&format!("{expected_var}: ")), "{line}");
            assert!(!line.contains('\n'), "{line}");
            assert!(!line.contains("hunter2"), "{line}");
        }
    }

    #[test]
    fn redis_is_one_server_or_a_cluster_never_both() {
        const NODES: &str = "redis://127.0.0.1:7000, redis://127.0.0.1:7001";
        let c = parse(&[("REDIS_CLUSTER_NODES", NODES)]).unwrap();
        assert!(c.redis.is_some_and(|r| r.is_cluster()));
        let c = parse(&[("REDIS_URL", "redis://127.0.0.1:6379")]).unwrap();
        assert!(c.redis.is_some_and(|r| !r.is_cluster()));
        let err = parse(&[
            ("REDIS_URL", "redis://:hunter2@127.0.0.1:6379"),
            ("REDIS_CLUSTER_NODES", NODES),
        ])
        .unwrap_err();
        assert_eq!(err.var, "REDIS_CLUSTER_NODES");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn the_introspection_client_is_checked_and_never_echoed() {
        const URL: &str = "SHIELDWALL_INTROSPECTION_URL";
        const CLIENT: &str = "SHIELDWALL_INTROSPECTION_CLIENT";
        let good_url = "https://id.example.com/introspect";
        let cases = [
            (good_url, "hunter2hunter2", CLIENT),
            (good_url, ":hunter2hunter2", CLIENT),
            (good_url, "api:", CLIENT),
            (good_url, "a\u{7}pi:hunter2hunter2", CLIENT),
            (
                "http://id.example.com/introspect",
                "api:hunter2hunter2",
                URL,
            ),
            ("ftp://id.example.com/introspect", "api:hunter2hunter2", URL),
            (
                "https://api:hunter2@id.example.com/i",
                "api:hunter2hunter2",
                URL,
            ),
        ];
        for (url, client, expected) in cases {
            let err = parse(&[(URL, url), (CLIENT, client)]).unwrap_err();
            let line = err.to_string();
            assert_eq!(err.var, expected, "{url} {client}: {line}");
            assert!(!line.contains("hunter2"), "{line}");
        }
        let c = parse(&[(URL, good_url), (CLIENT, "api:hunter2:with:colons")]).unwrap();
        let introspector = c.introspection.unwrap();
        assert_eq!(introspector.endpoint(), good_url);
        assert!(!format!("{introspector:?}").contains("hunter2"));
        assert!(c.oidc.is_none());
    }

    #[test]
    fn an_oidc_issuer_is_taken_for_the_demo_s_audience() {
        let c = parse(&[
            (
                "SHIELDWALL_OIDC_ISSUER",
                "https://id.example.com/realms/demo",
            ),
            ("SHIELDWALL_JWT_AUDIENCE", "my-api"),
        ])
        .unwrap();
        assert!(c.external_tokens());
        assert!(format!("{:?}", c.oidc.unwrap()).contains("my-api"));
        // Loopback `http://` for local testing.
        assert!(parse(&[("SHIELDWALL_OIDC_ISSUER", "http://127.0.0.1:9000")]).is_ok());
        assert!(!parse(&[]).unwrap().external_tokens());
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
