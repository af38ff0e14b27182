//! `cargo xtask`: the workspace's automation. CI runs `cargo xtask ci`.
//!
//! - `ci`: fmt check, unused dependencies (`cargo machete`), the MSRV check,
//!   clippy (warnings denied, all targets and features), the tests exactly as
//!   `cargo xtask test` runs them, the JWT backends each alone, the feature
//!   checks, docs (warnings denied), `cargo deny check bans licenses sources`,
//!   and `bench --quick`.
//! - `test [ARGS]`: starts a throwaway `redis-server` and a throwaway
//!   3-primary Redis Cluster on free loopback ports, builds the example
//!   servers, runs every test with the server's URL in
//!   `SHIELDWALL_TEST_REDIS_URL` and the cluster's seed nodes in
//!   `SHIELDWALL_TEST_REDIS_CLUSTER`, stops them. `ARGS` go to `cargo test`.
//! - `lint`, `doc`, `deny`: one step of `ci` each.
//! - `machete`: fails on a dependency no source uses (`cargo machete`).
//! - `msrv`: fails when the declared `rust-version` is below what a package of
//!   `Cargo.lock`, the edition or a language feature in our code needs. It does
//!   not build with that toolchain (none but stable is installed).
//! - `backends`: the tests of `shieldwall-tokens` with each JWT backend alone.
//! - `features`: `cargo check` of each published crate without its default
//!   features and with them, and of the facade with each feature alone.
//! - `redis [--cluster]`: starts a `redis-server` (or a 3-primary Redis
//!   Cluster) for development and prints its URL (its seed nodes).
//! - `dev-cert`: writes a self-signed certificate and key for `localhost` to
//!   `target/dev-cert/` (with `openssl`) and prints the `SHIELDWALL_TLS_CERT` /
//!   `SHIELDWALL_TLS_KEY` exports that make the demo servers speak HTTPS.
//! - `load [layers | demo | instances]`: builds the bench and demo servers in release and
//!   measures them with `wrk` on loopback. `layers`: the bench server's hello
//!   route behind one layer or guard at a time (memory and Redis), and the
//!   anchor stacks, beside the bare route; `demo`: the demo's full stack
//!   (`/health`, `/me`, `/users`, a signed transfer) on memory and Redis
//!   beside the same handlers without layers, with latency percentiles and
//!   Redis commands per request. Both without an argument; `load-demo` is
//!   `load demo`. `instances`: `/me` on 1, 2 and 3 demo instances at once,
//!   on one Redis and on a 3-primary cluster, with Redis's CPU time per
//!   request.
//! - `load-telemetry`: the demo servers under `wrk`, metrics and tracing off
//!   and on, interleaved (what they cost the full stack).
//! - `fuzz --minutes N`: the property tests of the parsers of attacker
//!   bytes, again and again with many cases, for N minutes.
//! - `soak [--minutes N]`: both demo servers under a mixed load (valid and
//!   invalid keys and tokens, signed transfers, millions of client
//!   addresses) for N minutes (10): each minute's throughput, latency,
//!   answers by status class and resident memory; fails on a 5xx.
//! - `bench [--quick]`: every criterion benchmark, then a table of each
//!   median beside its group's anchor from the same run
//!   (`target/bench-summary.md`); `--quick` (in `ci`) proves they build and
//!   run.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool"
)]

mod bench;
mod demo_process;
mod dev_cert;
mod fuzz;
mod json;
mod load;
mod load_demo;
mod load_instances;
mod matrix;
mod metadata;
mod msrv;
mod redis;
mod redis_cluster;
mod soak;
mod telemetry_load;

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

type Result<T = ()> = std::result::Result<T, String>;

const USAGE: &str = "usage: cargo xtask <ci | test [CARGO TEST ARGS] | lint | doc | deny | machete | msrv | backends | features | redis [--cluster] | dev-cert | load [layers | demo | instances] | load-telemetry | load-demo | bench [--quick] | fuzz --minutes N | soak [--minutes N]>";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("test") => test(args.get(1..).unwrap_or_default()),
        Some("lint") => lint(),
        Some("doc") => doc(),
        Some("deny") => deny(),
        Some("machete") => machete(),
        Some("msrv") => msrv::check(),
        Some("backends") => matrix::backends(),
        Some("features") => matrix::features(),
        Some("redis") => redis::serve_for_development(args.get(1..).unwrap_or_default()),
        Some("dev-cert") => dev_cert::generate(&root()),
        Some("load") => {
            load::require_tools().and_then(|()| load::run(args.get(1..).unwrap_or_default()))
        }
        Some("load-telemetry") => load::require_tools().and_then(|()| telemetry_load::run()),
        Some("load-demo") => load::require_tools().and_then(|()| load::run(&["demo".to_owned()])),
        Some("bench") => bench::run(args.get(1..).unwrap_or_default()),
        Some("soak") => {
            load::require_tools().and_then(|()| soak::run(args.get(1..).unwrap_or_default()))
        }
        Some("fuzz") => fuzz::run(args.get(1..).unwrap_or_default()),
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

/// Builds `packages` in release (the servers the load commands drive).
fn build_release(packages: &[&str]) -> Result {
    let mut command = cargo();
    command.args(["build", "--release"]);
    for package in packages {
        command.args(["-p", package]);
    }
    step(
        &format!("build {} (release)", packages.join(", ")),
        &mut command,
    )
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

/// Runs a step with its output held back: one line when it passes; its
/// output and what failed when it fails, or when a compiler warned (a line
/// of the output starts with `warning`). Returns stdout and the time taken.
fn quiet(name: &str, command: &mut Command) -> Result<(String, Duration)> {
    let started = Instant::now();
    let output = command
        .output()
        .map_err(|e| format!("{name}: cannot run: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let warned = stdout
        .lines()
        .chain(stderr.lines())
        .any(|line| line.starts_with("warning"));
    if output.status.success() && !warned {
        return Ok((stdout, started.elapsed()));
    }
    eprint!("{stdout}{stderr}");
    let why = if output.status.success() {
        "warned (warnings fail this step; see above)".to_owned()
    } else {
        format!("failed ({}; see above)", output.status)
    };
    Err(format!("{name}: {why}\n  command: {command:?}"))
}

fn ci() -> Result {
    let started = Instant::now();
    step("fmt", cargo().args(["fmt", "--all", "--check"]))?;
    machete()?;
    msrv::check()?;
    lint()?;
    test(&[])?;
    matrix::backends()?;
    matrix::features()?;
    doc()?;
    deny()?;
    bench::run(&["--quick".to_owned()])?;
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

fn machete() -> Result {
    let present = Command::new("cargo-machete")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        return Err(
            "cargo-machete is not installed: `cargo install --locked cargo-machete`".to_owned(),
        );
    }
    let name = "unused dependencies (cargo machete)";
    let (_, took) = quiet(
        name,
        // Run directly: as `cargo machete` under `cargo run` it reads its
        // own name as a path to analyze.
        Command::new("cargo-machete")
            .arg("--skip-target-dir")
            .current_dir(root()),
    ).map_err(|e| {
        format!(
            "{e}\n  remove each dependency listed above from its Cargo.toml; if one is used in a way \
             cargo-machete cannot see (only through a macro, say), list it under \
             `[package.metadata.cargo-machete] ignored` with a comment that says why"
        )
    })?;
    println!("xtask: {name}: none ({took:.1?})");
    Ok(())
}

fn test(extra: &[String]) -> Result {
    let server = redis::TestServer::start()?;
    println!("xtask: test redis-server at {}", server.url());
    let cluster = redis_cluster::start()?;
    println!("xtask: test Redis Cluster at {}", cluster.seed_list());
    // The end-to-end tests start the example servers (and the `shieldwall` command) as processes.
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
            // The `shieldwall` command, run by tests/e2e_cli.rs.
            "-p",
            "shieldwall-cli",
        ]),
    )?;
    step(
        "test",
        cargo()
            .args(["test", "--workspace", "--all-features"])
            .args(extra)
            .env("SHIELDWALL_TEST_REDIS_URL", server.url())
            .env("SHIELDWALL_TEST_REDIS_CLUSTER", cluster.seed_list()),
    )
}
