//! `bench-server FRAMEWORK STACK`: one `GET /hello` route for `cargo xtask
//! load` to measure with wrk. FRAMEWORK is `axum` or `actix`; STACK is
//! `bare` (the route alone), `perimeter` (shieldwall's outermost layer:
//! request id, error rendering), `shieldwall` (the perimeter with the
//! security headers, and CORS for `https://myapp.com`), or `anchor` (the
//! route behind the stack a team would otherwise assemble for the same work:
//! tower-http's `CorsLayer` and `SetResponseHeader`, or actix-cors and
//! `DefaultHeaders`). Prints `listening on http://ADDR`.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark server's one line"
)]

mod actix;
mod axum_server;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use shieldwall_cors::CorsPolicy;
use shieldwall_headers::SecurityHeaders;

/// What sits in front of the route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stack {
    Bare,
    Perimeter,
    Shieldwall,
    Anchor,
}

/// The origin the load sends, allowed by both CORS stacks.
pub(crate) const ORIGIN: &str = "https://myapp.com";
pub(crate) const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];
pub(crate) const ALLOW_HEADERS: [&str; 3] = ["content-type", "authorization", "x-api-key"];
pub(crate) const EXPOSE_HEADERS: [&str; 4] = [
    "x-request-id",
    "ratelimit",
    "ratelimit-policy",
    "retry-after",
];
pub(crate) const MAX_AGE: Duration = Duration::from_secs(86_400);
/// The headers of shieldwall's JSON-API preset, for the anchors to set.
pub(crate) const SECURITY_HEADERS: [(&str, &str); 6] = [
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

pub(crate) fn cors() -> Result<CorsPolicy, String> {
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

pub(crate) fn headers() -> Result<SecurityHeaders, String> {
    SecurityHeaders::json_api()
        .no_store_under("/hello")
        .build()
        .map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let stack = match args.get(1).map(String::as_str) {
        Some("bare") => Stack::Bare,
        Some("perimeter") => Stack::Perimeter,
        Some("shieldwall") => Stack::Shieldwall,
        Some("anchor") => Stack::Anchor,
        _ => {
            eprintln!("usage: bench-server <axum|actix> <bare|perimeter|shieldwall|anchor>");
            return ExitCode::from(2);
        }
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let outcome = match args.first().map(String::as_str) {
        Some("axum") => axum_server::run(addr, stack),
        Some("actix") => actix::run(addr, stack),
        _ => Err("the framework is axum or actix".to_owned()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench-server: {message}");
            ExitCode::FAILURE
        }
    }
}
