//! What the two demo servers (`example-axum-api`, `example-actix-api`) share:
//! the environment of DEMO_API.md parsed and checked, start-up, the banner,
//! and the framework-free parts of the routes. The servers themselves only
//! wire routes into their framework.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a demo program's start-up banner and errors"
)]
#![allow(
    clippy::exhaustive_structs,
    clippy::exhaustive_enums,
    reason = "the demo servers' own library, not a published API"
)]

mod audit;
mod auth;
mod config;
mod directory;
mod entries;
mod env;
mod file;
#[cfg(test)]
mod file_tests;
mod keys;
mod layers;
mod limits;
mod logging;
mod metrics;
mod openapi;
mod routes;
mod signing;
mod stacks;
mod tls;
mod transfers;
mod users;
mod web;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use shieldwall_core::{ClientIpResolver, Perimeter};
use shieldwall_keys::{
    AnyKeyStore, ApiKeys, KeyFormat, MemoryKeyStore, RedisKeyStore, RedisKeyStoreConfig,
};
use shieldwall_ratelimit::FailureMode;
use shieldwall_redis::Redis;
use shieldwall_signing::{AnyNonceStore, MemoryNonceStore, RedisNonceStore};
use shieldwall_tokens::dpop::DpopPolicy;
use shieldwall_tokens::{
    Algorithm, BearerGuard, Issuer, KeySet, MemoryRevocations, RedisRevocations, Revocations,
    SigningKey, Verifier, VerifyingKey,
};

pub use audit::AUDIT_STREAM;
pub use auth::{Auth, LoginRequest, Me, TokenResponse};
pub use config::{AuditTarget, DemoConfig, DemoUser, Origin, RequestSigningKey};
pub use directory::{CreateUserRequest, Directory, DirectoryUser, UserPage};
pub use env::{EnvError, ProcessEnv, Source};
pub use keys::{
    ALLOWED_SCOPES, CreateKeyRequest, CreatedKeyResponse, DEFAULT_SCOPES, KeyView, Keys,
};
pub use limits::{Limiter, Limits};
pub use metrics::serve_metrics;
pub use openapi::{OPENAPI_PATH, OpenApiJson, document as openapi_document};
pub use routes::{CURRENT_VERSION, health, unmatched};
pub use shieldwall_validate::Pagination;
pub use signing::TransferSignatures;
pub use stacks::{ApiGuards, KeyRoute, Logout, One, RouteGuards, SignedIn, TransferRoute, Two};
pub use transfers::{Transfer, TransferRequest, Transfers};
pub use users::{User, Users};

/// Everything a server needs once the environment checked out.
#[derive(Debug)]
pub struct Demo {
    /// The configuration.
    pub config: DemoConfig,
    /// The Redis handle when `REDIS_URL` or `REDIS_CLUSTER_NODES` is set.
    pub redis: Option<Redis>,
    /// Users, tokens, the bearer guard.
    pub auth: Arc<Auth>,
    /// API keys and their guards.
    pub keys: Arc<Keys>,
    /// The `/api/v1/users` directory.
    pub directory: Arc<Directory>,
    /// The rate limits.
    pub limits: Limits,
    /// CORS for the configured origins: outside every other guard.
    pub cors: shieldwall_cors::CorsPolicy,
    /// The security headers, handed to the perimeter.
    pub headers: shieldwall_headers::SecurityHeaders,
    /// The API versions (path `/api/vN/`), inside the public limit.
    pub versions: shieldwall_versioning::VersionPolicy,
    /// The request signatures of `POST /api/v1/transfers`.
    pub signatures: Arc<TransferSignatures>,
    /// The transfers recorded.
    pub transfers: Arc<Transfers>,
    /// Audit events (`SHIELDWALL_AUDIT`), unless `off`.
    pub auditor: Option<shieldwall_audit::Auditor>,
    /// The OpenAPI document of `GET /openapi.json`, serialized once.
    pub openapi: OpenApiJson,
    /// The Prometheus recorder, when `SHIELDWALL_METRICS_ADDR` is set.
    pub metrics: Option<shieldwall_metrics::Prometheus>,
}

impl Demo {
    /// The outermost layer's policy: trusted proxies from the environment
    /// (whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed), the
    /// security headers on every answer, HTTPS enforcement when asked for.
    pub fn perimeter(&self) -> Perimeter {
        let perimeter = Perimeter::new()
            .client_ip_resolver(
                ClientIpResolver::builder()
                    .trusted_proxies(self.config.trusted_proxies.clone())
                    .build(),
            )
            .response_headers(self.headers.clone());
        let perimeter = match &self.metrics {
            Some(_) => perimeter.observer(shieldwall_metrics::RequestMetrics::new()),
            None => perimeter,
        };
        match &self.auditor {
            Some(auditor) => perimeter.observer(auditor.clone()),
            None => perimeter,
        }
    }
}

/// Reads the environment, starts logging, connects to Redis when asked.
/// On a bad value prints one line naming the variable and returns the exit code.
pub async fn prepare() -> Result<Demo, ExitCode> {
    let config = DemoConfig::from_source(&ProcessEnv).map_err(|err| {
        eprintln!("{err}");
        ExitCode::from(2)
    })?;
    logging::init().map_err(|message| {
        eprintln!("{message}");
        ExitCode::from(2)
    })?;
    // Before anything counts.
    let metrics = metrics::install(config.metrics_addr).map_err(|message| {
        eprintln!("{message}");
        ExitCode::from(2)
    })?;
    let redis = match &config.redis {
        Some(redis_config) => match Redis::connect(redis_config).await {
            Ok(redis) => Some(redis),
            Err(err) => {
                let var = if redis_config.is_cluster() {
                    "REDIS_CLUSTER_NODES"
                } else {
                    "REDIS_URL"
                };
                eprintln!("{var}: cannot reach Redis ({err})");
                return Err(ExitCode::from(2));
            }
        },
        None => None,
    };
    let auth = build_auth(&config, redis.as_ref())
        .await
        .map_err(|message| {
            eprintln!("{message}");
            ExitCode::from(2)
        })?;
    let keys = build_keys(redis.as_ref()).map_err(|message| {
        eprintln!("{message}");
        ExitCode::from(2)
    })?;
    let limits = Limits::build(&config, redis.as_ref()).map_err(|message| {
        eprintln!("{message}");
        ExitCode::from(2)
    })?;
    let cors = web::cors(&config).map_err(|e| {
        eprintln!("SHIELDWALL_CORS_ORIGINS: {e}");
        ExitCode::from(2)
    })?;
    let headers = web::security_headers(&config).map_err(|e| {
        eprintln!("SHIELDWALL_REQUIRE_HTTPS: {e}");
        ExitCode::from(2)
    })?;
    let versions = web::versions().map_err(|e| {
        eprintln!("API versions: {e}");
        ExitCode::from(2)
    })?;
    let seeded: Vec<(String, String, String)> = config
        .users
        .iter()
        .filter_map(|u| auth.users().authenticate_email(&u.email))
        .map(|u| (u.id.clone(), u.email.clone(), u.name.clone()))
        .collect();
    let directory = Directory::seeded(&seeded, std::time::SystemTime::now());
    let auditor = audit::auditor(&config.audit, redis.as_ref()).map_err(|message| {
        eprintln!("{message}");
        ExitCode::from(2)
    })?;
    let signatures =
        signing::transfer_signatures(&config, auth.users(), redis.as_ref()).map_err(|message| {
            eprintln!("{message}");
            ExitCode::from(2)
        })?;
    let openapi = OpenApiJson::build(&config).map_err(|message| {
        eprintln!("{message}");
        ExitCode::from(2)
    })?;
    Ok(Demo {
        config,
        redis,
        auth: Arc::new(auth),
        keys: Arc::new(keys),
        directory: Arc::new(directory),
        limits,
        cors,
        headers,
        versions,
        signatures: Arc::new(signatures),
        transfers: Arc::new(Transfers::default()),
        auditor,
        openapi,
        metrics,
    })
}

fn build_keys(redis: Option<&Redis>) -> Result<Keys, String> {
    let store = match redis {
        Some(redis) => AnyKeyStore::Redis(RedisKeyStore::new(
            redis.clone(),
            RedisKeyStoreConfig::default(),
        )),
        None => AnyKeyStore::Memory(MemoryKeyStore::new()),
    };
    let format = KeyFormat::new("sk").map_err(|e| format!("API key format: {e}"))?;
    Keys::new(ApiKeys::builder(store, format).build())
}

/// The `X-Total-Count` and `X-Page-Count` headers of a page, as text (the
/// two servers speak different `http` versions).
pub fn page_headers(page: &UserPage) -> [(String, String); 2] {
    shieldwall_validate::page_headers(page.total, page.limit).map(|(name, value)| {
        (
            name.as_str().to_owned(),
            value.to_str().unwrap_or_default().to_owned(),
        )
    })
}

async fn build_auth(config: &DemoConfig, redis: Option<&Redis>) -> Result<Auth, String> {
    let secret_error =
        |e: shieldwall_tokens::TokenConfigError| format!("SHIELDWALL_JWT_SECRET: {e}");
    let signing = SigningKey::hmac(Algorithm::HS256, &config.jwt_secret).map_err(secret_error)?;
    let verifying =
        VerifyingKey::hmac(Algorithm::HS256, &config.jwt_secret).map_err(secret_error)?;
    let issuer = Issuer::builder(signing)
        .issuer(&config.jwt_issuer)
        .audience(&config.jwt_audience)
        .ttl(config.jwt_ttl)
        .build()
        .map_err(|e| format!("SHIELDWALL_JWT_TTL_SECS: {e}"))?;
    let revocations = match redis {
        Some(redis) => Revocations::Redis(RedisRevocations::new(redis.clone())),
        None => Revocations::Memory(MemoryRevocations::new()),
    };
    let keys = KeySet::new([verifying]).map_err(secret_error)?;
    let mut verifier = Verifier::builder(keys, revocations)
        .issuer(&config.jwt_issuer)
        .audience(&config.jwt_audience)
        .leeway(config.jwt_leeway);
    if let Some(discovery) = &config.oidc {
        verifier = verifier.accept_issuer(identity_provider(config, discovery).await?);
    }
    if let Some(introspector) = &config.introspection {
        verifier = verifier.introspection(introspector.clone());
    }
    let verifier = verifier
        .build()
        .map_err(|e| format!("SHIELDWALL_JWT_ISSUER: {e}"))?;
    let mut bearer = BearerGuard::new(verifier);
    if config.external_tokens() {
        bearer = bearer.dpop(dpop_policy(redis)?);
    }
    let users = Users::hash(&config.users)
        .ok_or("SHIELDWALL_DEMO_USERS: the passwords could not be hashed")?;
    Ok(Auth::new(users, issuer, bearer))
}

/// The verifier of `SHIELDWALL_OIDC_ISSUER`'s tokens: its document read and
/// its keys loaded now (start-up stops when it cannot be), `jti` optional
/// (providers often write none; such a token is revoked by its digest).
async fn identity_provider(
    config: &DemoConfig,
    discovery: &shieldwall_tokens::oidc::Discovery,
) -> Result<Verifier<Revocations>, String> {
    let discovered = discovery
        .clone()
        .load()
        .await
        .map_err(|e| format!("SHIELDWALL_OIDC_ISSUER: {e}"))?;
    // Revocations are the outer verifier's (`accept_issuer`): this store is
    // never consulted.
    discovered
        .verifier(Revocations::Memory(MemoryRevocations::new()))
        .leeway(config.jwt_leeway)
        .require_jti(false)
        .build()
        .map_err(|e| format!("SHIELDWALL_OIDC_ISSUER: {e}"))
}

/// DPoP proofs for provider tokens bound by `cnf.jkt`: their `jti`s in the
/// request-signing nonce store (Redis when `REDIS_URL` is set, so a replay
/// is refused on every instance). `htu` is checked against the origin each
/// request came to (TLS or a trusted proxy's `X-Forwarded-Proto` for the
/// scheme, `Host` for the rest): the demo has no public-origin setting, and
/// its replay store and tokens are its own.
fn dpop_policy(redis: Option<&Redis>) -> Result<DpopPolicy, String> {
    let nonces = match redis {
        Some(redis) => AnyNonceStore::Redis(RedisNonceStore::new(redis.clone())),
        None => AnyNonceStore::Memory(MemoryNonceStore::new()),
    };
    DpopPolicy::builder(nonces)
        .origin_from_host_header_insecure()
        .build()
        .map_err(|e| format!("DPoP: {e}"))
}

/// What a server does once it stopped serving: the audit queue is written,
/// and the keys' last-use times.
pub async fn shutdown(demo: &Demo) {
    demo.keys.flush_last_used().await;
    if let Some(auditor) = &demo.auditor {
        let _ = auditor.shutdown().await;
    }
}

/// A listen failure, as one line naming the variable.
pub fn cannot_listen(addr: SocketAddr, err: &std::io::Error) -> ExitCode {
    eprintln!("SHIELDWALL_ADDR: cannot listen on {addr}: {err}");
    ExitCode::from(2)
}

/// Prints what the server uses, then `listening on http://ADDR` (or
/// `https://` when TLS is configured; last, so that a program waiting for that
/// line has everything before it).
pub fn announce(demo: &Demo, framework: &str, addr: SocketAddr) {
    let c = &demo.config;
    let stores = match &demo.redis {
        Some(redis) if redis.is_cluster() => "redis cluster (REDIS_CLUSTER_NODES)",
        Some(_) => "redis (REDIS_URL)",
        None => "memory",
    };
    println!("shieldwall demo API on {framework}");
    println!("stores: {stores}");
    // With their ids: what `shieldwall keys create --owner` takes.
    let users: Vec<String> = c
        .users
        .iter()
        .enumerate()
        .map(|(index, u)| format!("{} ({})", u.email, users::user_id(index)))
        .collect();
    println!(
        "demo users: {} (passwords: {})",
        users.join(", "),
        c.users_origin.describe()
    );
    println!("jwt secret: {}", c.jwt_secret_origin.describe());
    if let Some(discovery) = &c.oidc {
        println!(
            "identity provider: {} (OpenID Connect discovery; its tokens for {} on /api/v1/protected)",
            discovery.issuer(),
            c.jwt_audience
        );
    }
    if let Some(introspector) = &c.introspection {
        println!(
            "token introspection: {} (opaque tokens; client secret from the configuration)",
            introspector.endpoint()
        );
    }
    if c.external_tokens() {
        println!("dpop: tokens bound by cnf.jkt need `Authorization: DPoP` and a DPoP proof");
    }
    for key in &c.signing_keys {
        println!(
            "signing key {} for {}: {}",
            key.key_id,
            key.owner,
            c.signing_keys_origin.describe()
        );
    }
    let on_store_error = match c.on_store_error {
        FailureMode::Closed => "closed (503)",
        FailureMode::Memory => "memory (count locally)",
        _ => c.on_store_error.as_str(),
    };
    println!(
        "rate limits: public {} per client IP on /api, auth {} per client IP on /api/v1/auth, \
         user {} per user on /api/v1/protected; on store error: {on_store_error}",
        c.limit_public, c.limit_auth, c.limit_user
    );
    println!("cors origins: {}", c.cors_origins.join(", "));
    println!(
        "security headers: on every answer; https required: {}",
        c.require_https
    );
    println!(
        "request signing: POST /api/v1/transfers needs an RFC 9421 signature by a key of the API \
         key's owner; nonces {}",
        match &demo.redis {
            Some(redis) if redis.is_cluster() => "in the redis cluster (REDIS_CLUSTER_NODES)",
            Some(_) => "in redis (REDIS_URL)",
            None => "in memory",
        }
    );
    let audit = match &c.audit {
        AuditTarget::Off => "off".to_owned(),
        AuditTarget::Stdout => "stdout (JSON lines)".to_owned(),
        AuditTarget::File(path) => format!("{} (JSON lines)", path.display()),
        AuditTarget::Redis => format!("redis stream `{AUDIT_STREAM}` (REDIS_URL)"),
    };
    println!("audit events: {audit}");
    if !c.trusted_proxies.is_empty() {
        let proxies: Vec<String> = c
            .trusted_proxies
            .networks()
            .iter()
            .map(ToString::to_string)
            .collect();
        println!("trusted proxies: {}", proxies.join(", "));
    }
    let scheme = if c.tls.is_some() {
        println!("tls: on (SHIELDWALL_TLS_CERT, SHIELDWALL_TLS_KEY), HTTP/2 and HTTP/1.1 by ALPN");
        "https"
    } else {
        "http"
    };
    println!("listening on {scheme}://{addr}");
}
