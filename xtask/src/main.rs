//! `cargo xtask`: the workspace's automation. CI runs `cargo xtask ci`.
//!
//! - `ci`: fmt check, clippy (warnings denied, all targets and features), the
//!   tests exactly as `cargo xtask test` runs them, docs (warnings denied),
//!   `cargo deny check bans licenses sources`.
//! - `test [ARGS]`: starts a throwaway `redis-server` on a free loopback port,
//!   builds the example servers, runs every test with the server's URL in
//!   `SHIELDWALL_TEST_REDIS_URL`, stops the server. `ARGS` go to `cargo test`.
//! - `lint`, `doc`, `deny`: one step of `ci` each.
//! - `redis`: starts a `redis-server` for development and prints its URL.
//! - `dev-cert`: writes a self-signed certificate and key for `localhost` to
//!   `target/dev-cert/` (with `openssl`) and prints the `SHIELDWALL_TLS_CERT` /
//!   `SHIELDWALL_TLS_KEY` exports that make the demo servers speak HTTPS.
//! - `load`: builds the bench server in release and measures it with `wrk` on
//!   loopback: each stack beside the bare route of the same framework.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool"
)]

mod dev_cert;
mod load;
mod redis;

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

type Result<T = ()> = std::result::Result<T, String>;

const USAGE: &str = "usage: cargo xtask <ci | test [CARGO TEST ARGS] | lint | doc | deny | redis | dev-cert | load>";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("test") => test(args.get(1..).unwrap_or_default()),
        Some("lint") => lint(),
        Some("doc") => doc(),
        Some("deny") => deny(),
        Some("redis") => redis::serve_for_development(),
        Some("dev-cert") => dev_cert::generate(&root()),
        Some("load") => load::run(),
        _ => Err(USAGE.to_owned()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn cargo() -> Command {
    let mut command = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root());
    command
}

/// Runs a step and times it.
fn step(name: &str, command: &mut Command) -> Result {
    println!("xtask: {name}: {command:?}");
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("{name}: cannot run: {e}"))?;
    println!("xtask: {name}: {:.1?}", started.elapsed());
    if status.success() {
        Ok(())
    } else {
        Err(format!("{name} failed ({status})"))
    }
}

fn ci() -> Result {
    let started = Instant::now();
    step("fmt", cargo().args(["fmt", "--all", "--check"]))?;
    lint()?;
    test(&[])?;
    doc()?;
    deny()?;
    println!("xtask: ci passed in {:.1?}", started.elapsed());
    Ok(())
}

fn lint() -> Result {
    step(
        "clippy",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ]),
    )
}

fn doc() -> Result {
    step(
        "doc",
        cargo()
            .args(["doc", "--workspace", "--no-deps", "--all-features"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )
}

fn deny() -> Result {
    let present = Command::new("cargo-deny")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        return Err("cargo-deny is not installed: `cargo install --locked cargo-deny`".to_owned());
    }
    // `advisories` needs the advisory database, which cannot be fetched offline.
    step(
        "deny",
        cargo().args(["deny", "check", "bans", "licenses", "sources"]),
    )
}

fn test(extra: &[String]) -> Result {
    let server = redis::TestServer::start()?;
    println!("xtask: test redis-server at {}", server.url());
    // The end-to-end tests start the example servers as processes.
    step(
        "build example servers",
        cargo().args([
            "build",
            "-p",
            "example-axum-api",
            "-p",
            "example-actix-api",
            "-p",
            "example-single-crate",
        ]),
    )?;
    step(
        "test",
        cargo()
            .args(["test", "--workspace", "--all-features"])
            .args(extra)
            .env("SHIELDWALL_TEST_REDIS_URL", server.url()),
    )
}
