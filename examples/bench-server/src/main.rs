//! `bench-server FRAMEWORK STACK`: the servers `cargo xtask load` measures
//! with wrk. FRAMEWORK is `axum` or `actix`; STACK one of
//! [`Stack::ALL`](example_bench_server::Stack): the `GET /hello` route bare,
//! behind one shieldwall layer or guard (`perimeter`, `headers`, `cors`,
//! `ip-limit`, `api-key`, `bearer`, `audit`), behind CORS and the headers
//! together (`shieldwall`), or behind the stacks a team would otherwise
//! assemble (`anchor`: tower-http's `CorsLayer` and `SetResponseHeader`, or
//! actix-cors and `DefaultHeaders`; `limit-anchor`: governor or a Redis
//! window by hand); or `handlers`, the demo's routes without any layer. The
//! stacks built from the demo read its environment (`REDIS_URL` puts their
//! stores on Redis). Prints `header NAME: VALUE` when each request must carry
//! a credential, then `listening on http://ADDR`.
//!
//! `bench-server signing-keys` prints the `SHIELDWALL_SIGNING_KEYS` of the
//! signed-transfer load; `bench-server sign-transfers ADDR COUNT FILE` writes
//! COUNT transfers to ADDR signed with it, one per line.
#![allow(
    clippy::print_stderr,
    clippy::print_stdout,
    reason = "a benchmark server's errors and its one line of output"
)]

use std::net::SocketAddr;
use std::process::ExitCode;

use example_bench_server::{Stack, actix, axum_server, signed};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("signing-keys") => {
            println!("{}", signed::signing_keys());
            Ok(())
        }
        Some("sign-transfers") => sign_transfers(&args),
        Some(framework) => match args.get(1).and_then(|name| Stack::from_name(name)) {
            Some(stack) => serve(framework, stack),
            None => Err(usage()),
        },
        None => Err(usage()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench-server: {message}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> String {
    let names: Vec<&str> = Stack::ALL.iter().map(|(name, _)| *name).collect();
    format!(
        "usage: bench-server <axum|actix> <{}> | signing-keys | sign-transfers ADDR COUNT FILE",
        names.join("|")
    )
}

fn serve(framework: &str, stack: Stack) -> Result<(), String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], 0));
    match framework {
        "axum" => axum_server::run(addr, stack),
        "actix" => actix::run(addr, stack),
        _ => Err("the framework is axum or actix".to_owned()),
    }
}

/// `sign-transfers ADDR COUNT FILE`.
fn sign_transfers(args: &[String]) -> Result<(), String> {
    let [_, addr, count, file] = args else {
        return Err(usage());
    };
    let count = count.parse().map_err(|_| usage())?;
    let file = std::fs::File::create(file).map_err(|e| format!("{file}: {e}"))?;
    let mut out = std::io::BufWriter::new(file);
    signed::sign_transfers(addr, count, &mut out)?;
    std::io::Write::flush(&mut out).map_err(|e| e.to_string())
}
