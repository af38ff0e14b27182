//! A plain tokio program that depends only on `shieldwall` and shows what the
//! crates do today without a web framework: resolve a client behind proxies,
//! run a guard, render a problem, keep a secret out of logs, and (with
//! `REDIS_URL`) check that Redis answers.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example program that prints what it shows"
)]

use std::process::ExitCode;

use shieldwall::redis::{Redis, RedisConfig};
use shieldwall::{
    ApiError, ClientIpResolver, Decision, ErrorCode, Grant, Guard, IpGrouping, Principal,
    RequestView, Secret, Step, TrustedProxies, run_guard,
};

/// Lets requests through that carry the right `X-Token`.
struct TokenGuard {
    token: Secret,
}

impl Guard for TokenGuard {
    type Input = Vec<u8>;

    fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<Vec<u8>> {
        match request.single_header("x-token") {
            Ok(Some(token)) => Step::Decide(token.to_vec()),
            Ok(None) => Step::Done(Decision::reject(ErrorCode::ApiKeyRequired)),
            Err(_) => Step::Done(Decision::reject(ErrorCode::MalformedRequest)),
        }
    }

    async fn decide(&self, token: Vec<u8>) -> Decision {
        if self.token.ct_eq(&token) {
            Decision::allow(Grant::new().with_principal(Principal::service("batch-job")))
        } else {
            Decision::reject(ErrorCode::InvalidApiKey)
        }
    }
}

fn request(token: Option<&str>) -> shieldwall::http::Request<()> {
    let mut builder = shieldwall::http::Request::builder().uri("/reports");
    if let Some(token) = token {
        builder = builder.header("x-token", token);
    }
    builder.body(()).unwrap_or_default()
}

#[tokio::main]
async fn main() -> ExitCode {
    // 1. The client behind a trusted proxy, read right to left.
    let proxies: TrustedProxies = match "10.0.0.0/8".parse() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let resolver = ClientIpResolver::builder().trusted_proxies(proxies).build();
    let peer = std::net::IpAddr::from([10, 0, 0, 2]);
    let client = resolver.resolve_from_values(peer, [&b"6.6.6.6, 2001:db8:1:2::99"[..]]);
    println!("client behind the proxy: {client}");
    println!("its rate-limit key: {}", IpGrouping::default().key(client));

    // 2. A guard, run without any framework.
    let guard = TokenGuard {
        token: Secret::from("s3cr3t-token"),
    };
    println!("the guard's secret in a log line: {:?}", guard.token);
    for (label, token) in [
        ("no token", None),
        ("a wrong token", Some("wrong")),
        ("the right token", Some("s3cr3t-token")),
    ] {
        let outcome = match run_guard(&guard, &request(token)).await {
            Decision::Continue(grant) => format!(
                "continue as {:?}",
                grant.principal.map(|p| p.id().to_owned())
            ),
            Decision::Reject(err) => format!("reject: {}", err.code()),
            Decision::Respond(response) => format!("respond {}", response.status()),
        };
        println!("{label}: {outcome}");
    }

    // 3. An error as the client sees it: the internal cause stays inside.
    let err = ApiError::internal(std::io::Error::other("connection to db:5432 refused"));
    let response = err.to_response(Some("req-1"));
    println!(
        "{} {}",
        response.status(),
        String::from_utf8_lossy(response.body())
    );

    // 4. Redis, when REDIS_URL is set.
    if let Ok(url) = std::env::var("REDIS_URL") {
        let config = match RedisConfig::new(&url) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("REDIS_URL: {e}");
                return ExitCode::from(2);
            }
        };
        match Redis::connect(&config).await {
            Ok(redis) => match redis.health().await {
                Ok(rtt) => println!("redis: PING answered in {rtt:?}"),
                Err(e) => println!("redis: unhealthy: {e}"),
            },
            Err(e) => println!("redis: unreachable: {e}"),
        }
    }
    ExitCode::SUCCESS
}
