#![allow(clippy::print_stdout, reason = "a benchmark server's one line")]
//! The servers `cargo xtask load` measures (see `src/main.rs`), as a library
//! so that the in-process benchmark (`benches/stack.rs`) builds the same apps.

pub mod actix;
pub mod anchor_limit;
pub mod axum_server;
mod fixture;
pub mod signed;

pub use fixture::Fixture;

use std::time::Duration;

use shieldwall_cors::CorsPolicy;
use shieldwall_headers::SecurityHeaders;

/// What sits in front of the route.
#[allow(clippy::exhaustive_enums, reason = "a benchmark's own list")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stack {
    /// The route alone.
    Bare,
    /// The route alone, answering with the very header lines the
    /// `shieldwall` stack adds (static values, set by the handler): what
    /// those bytes cost on the wire with no layer deciding anything.
    Floor,
    /// shieldwall's outermost layer.
    Perimeter,
    /// The perimeter with the JSON-API security headers.
    Headers,
    /// The perimeter with the CORS guard.
    Cors,
    /// The perimeter with the security headers, and CORS.
    Shieldwall,
    /// tower-http or actix-cors and default headers.
    Anchor,
    /// shieldwall's outermost layer with audit events to a JSON-lines file
    /// ([`audit_file`]).
    Audit,
    /// The perimeter with the demo's per-address rate limit (memory, or
    /// Redis when `REDIS_URL` is set).
    IpLimit,
    /// A per-address limit a team would otherwise assemble: tower_governor
    /// (axum) or governor in a `wrap_fn` (actix-web) on memory; on Redis
    /// (`REDIS_URL`) a fixed window by hand (`INCR` and `EXPIRE` in one
    /// pipeline on one multiplexed connection), on both frameworks.
    LimitAnchor,
    /// The perimeter with the demo's API key guard (scope `users:read`; the
    /// key store in memory, or on Redis).
    ApiKey,
    /// The perimeter with the demo's bearer guard (HS256, revocations in
    /// memory or on Redis).
    Bearer,
    /// The demo's routes (`/health`, `/api/v1/protected/me`,
    /// `/api/v1/users`, `/api/v1/transfers`) with the same handler work and
    /// no shieldwall layer: the anchor of the demo's full stack.
    Handlers,
}

impl Stack {
    /// Every stack with its command-line name.
    pub const ALL: [(&'static str, Self); 13] = [
        ("bare", Self::Bare),
        ("floor", Self::Floor),
        ("perimeter", Self::Perimeter),
        ("headers", Self::Headers),
        ("cors", Self::Cors),
        ("shieldwall", Self::Shieldwall),
        ("anchor", Self::Anchor),
        ("audit", Self::Audit),
        ("ip-limit", Self::IpLimit),
        ("limit-anchor", Self::LimitAnchor),
        ("api-key", Self::ApiKey),
        ("bearer", Self::Bearer),
        ("handlers", Self::Handlers),
    ];

    /// The stack of a command-line name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, stack)| *stack)
    }
}

/// The lines `cargo xtask load` reads when a server is up: the header each
/// request must carry (when the stack needs one), then the address.
pub fn announce(fixture: Option<&Fixture>, addr: std::net::SocketAddr) {
    if let Some(header) = fixture.and_then(|f| f.header.as_deref()) {
        println!("header {header}");
    }
    println!("listening on http://{addr}");
}

/// The JSON-lines file of the `audit` stack: `BENCH_AUDIT_FILE`, else a
/// file of this process in the temporary directory.
pub fn audit_file() -> std::path::PathBuf {
    std::env::var_os("BENCH_AUDIT_FILE").map_or_else(
        || std::env::temp_dir().join(format!("bench-audit-{}.jsonl", std::process::id())),
        std::path::PathBuf::from,
    )
}

/// The perimeter of the `audit` stack: its auditor writes to
/// [`audit_file`]. Call it inside the server's Tokio runtime (the writer is
/// spawned there).
pub fn audited_perimeter() -> Result<shieldwall_core::Perimeter, String> {
    let sink = shieldwall_audit::JsonLinesSink::open(audit_file()).map_err(|e| e.to_string())?;
    let auditor = shieldwall_audit::Auditor::builder()
        .sink(sink)
        .build()
        .map_err(|e| e.to_string())?;
    Ok(shieldwall_core::Perimeter::new().observer(auditor))
}

/// The origin the load sends, allowed by both CORS stacks.
pub const ORIGIN: &str = "https://myapp.com";
/// The methods both CORS stacks allow.
pub const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];
/// The request headers both CORS stacks allow.
pub const ALLOW_HEADERS: [&str; 3] = ["content-type", "authorization", "x-api-key"];
/// The headers both CORS stacks expose.
pub const EXPOSE_HEADERS: [&str; 4] = [
    "x-request-id",
    "ratelimit",
    "ratelimit-policy",
    "retry-after",
];
/// The preflight max age of both CORS stacks.
pub const MAX_AGE: Duration = Duration::from_secs(86_400);
/// The headers of shieldwall's JSON-API preset, for the anchors to set.
pub const SECURITY_HEADERS: [(&str, &str); 6] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
    ("cross-origin-resource-policy", "same-origin"),
    ("cache-control", "no-store"),
];

/// The header lines the `shieldwall` stack adds to an allowed `GET`
/// (besides `X-Request-Id`), for the `floor` stack to send as statics.
pub const FLOOR_HEADERS: [(&str, &str); 10] = [
    ("vary", "origin"),
    ("access-control-allow-origin", ORIGIN),
    ("access-control-allow-credentials", "true"),
    (
        "access-control-expose-headers",
        "x-request-id, ratelimit, ratelimit-policy, retry-after",
    ),
    SECURITY_HEADERS[0],
    SECURITY_HEADERS[1],
    SECURITY_HEADERS[2],
    SECURITY_HEADERS[3],
    SECURITY_HEADERS[4],
    SECURITY_HEADERS[5],
];

/// The CORS policy of the `shieldwall` stack.
pub fn cors() -> Result<CorsPolicy, String> {
    CorsPolicy::builder()
        .allow_origins([ORIGIN])
        .allow_methods(METHODS)
        .allow_headers(ALLOW_HEADERS)
        .expose_headers(EXPOSE_HEADERS)
        .allow_credentials()
        .max_age(MAX_AGE)
        .build()
        .map_err(|e| e.to_string())
}

/// The security headers of the `shieldwall` stack.
pub fn headers() -> Result<SecurityHeaders, String> {
    SecurityHeaders::json_api()
        .no_store_under("/hello")
        .build()
        .map_err(|e| e.to_string())
}
