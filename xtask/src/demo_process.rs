//! A demo server (release build) as the load commands run it: pinned to
//! the first core, audit off, logging at `warn`, limits out of reach, its
//! address read from its banner; and alice's credentials, fetched with
//! `curl`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::load::{HIGH, Server};
use crate::{Result, json, root};

/// Starts `target/release/BINARY` with `env` on top of the load settings,
/// and waits for its `listening on http://ADDR` line.
pub(crate) fn start(binary: &str, env: &[(&str, &str)]) -> Result<(Server, String)> {
    let path = root().join("target/release").join(binary);
    let mut command = Command::new("taskset");
    command
        .args(["-c", "0"])
        .arg(&path)
        .env("SHIELDWALL_ADDR", "127.0.0.1:0")
        .env("SHIELDWALL_AUDIT", "off")
        // Quiet, as the tables say: no request span kept by the demo's
        // log subscriber (`cargo xtask load-telemetry` measures that).
        .env("SHIELDWALL_LOG", "warn")
        .env("SHIELDWALL_LIMIT_PUBLIC", HIGH)
        .env("SHIELDWALL_LIMIT_AUTH", HIGH)
        .env("SHIELDWALL_LIMIT_USER", HIGH)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", path.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let server = Server(child);
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| e.to_string())?;
        if let Some(addr) = line.strip_prefix("listening on http://") {
            return Ok((server, addr.trim().to_owned()));
        }
    }
    Err(format!("{binary} never printed its address"))
}

fn curl(args: &[&str]) -> Result<json::Value> {
    let output = Command::new("curl")
        .args(["-s", "--max-time", "10"])
        .args(args)
        .output()
        .map_err(|e| format!("cannot run curl: {e}"))?;
    json::parse(&String::from_utf8_lossy(&output.stdout))
}

/// A bearer token of alice, and a new API key of hers (scopes
/// `users:read` and `transfers:write`).
pub(crate) fn credentials(addr: &str) -> Result<(String, String)> {
    let login = curl(&[
        "-H",
        "content-type: application/json",
        "-d",
        r#"{"email":"alice@example.com","password":"alice-password-1"}"#,
        &format!("http://{addr}/api/v1/auth/login"),
    ])?;
    let token = login
        .get("access_token")
        .and_then(json::Value::as_str)
        .ok_or("login gave no token")?
        .to_owned();
    let created = curl(&[
        "-H",
        "content-type: application/json",
        "-d",
        r#"{"name":"load","scopes":["users:read","transfers:write"]}"#,
        "-H",
        &format!("authorization: Bearer {token}"),
        &format!("http://{addr}/api/v1/protected/keys"),
    ])?;
    let key = created
        .get("key")
        .and_then(json::Value::as_str)
        .ok_or("no key created")?
        .to_owned();
    Ok((token, key))
}
