//! `bench-server FRAMEWORK STACK`: one `GET /hello` route for `cargo xtask
//! load` to measure with wrk. FRAMEWORK is `axum` or `actix`; STACK is
//! `bare` (the route alone), `floor` (the route alone, sending the header
//! lines of `shieldwall` from statics), `perimeter` (shieldwall's outermost layer:
//! request id, error rendering), `shieldwall` (the perimeter with the
//! security headers, and CORS for `https://myapp.com`), or `anchor` (the
//! route behind the stack a team would otherwise assemble for the same work:
//! tower-http's `CorsLayer` and `SetResponseHeader`, or actix-cors and
//! `DefaultHeaders`), or `audit` (the perimeter with audit events to a
//! JSON-lines file, `BENCH_AUDIT_FILE` or one in the temporary directory).
//! Prints `listening on http://ADDR`.
#![allow(clippy::print_stderr, reason = "a benchmark server's errors")]

use std::net::SocketAddr;
use std::process::ExitCode;

use example_bench_server::{Stack, actix, axum_server};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let stack = match args.get(1).map(String::as_str) {
        Some("bare") => Stack::Bare,
        Some("floor") => Stack::Floor,
        Some("perimeter") => Stack::Perimeter,
        Some("shieldwall") => Stack::Shieldwall,
        Some("anchor") => Stack::Anchor,
        Some("audit") => Stack::Audit,
        _ => {
            eprintln!(
                "usage: bench-server <axum|actix> <bare|floor|perimeter|shieldwall|anchor|audit>"
            );
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
