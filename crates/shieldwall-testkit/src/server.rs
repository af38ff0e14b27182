//! Starts an example server as a process and finds its address.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::{Observed, TestRequest, client};

/// How long a server may take to print its address.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The rate limits a started server gets unless the test sets them.
pub const GENEROUS_LIMIT: &str = "100000/1m";

/// A running example server; killed when dropped.
#[derive(Debug)]
pub struct ServerProcess {
    name: String,
    child: Child,
    addr: SocketAddr,
    scheme: &'static str,
    output: Arc<Mutex<Vec<String>>>,
}

/// The path of an example server binary: `$SHIELDWALL_E2E_<NAME>_BIN` when set,
/// else `<target dir>/<profile>/<binary>` next to the running test.
pub fn binary(binary: &str) -> PathBuf {
    let var = format!(
        "SHIELDWALL_E2E_{}_BIN",
        binary
            .trim_start_matches("example-")
            .replace('-', "_")
            .to_ascii_uppercase()
    );
    if let Some(path) = std::env::var_os(&var) {
        return PathBuf::from(path);
    }
    // Test binaries live in <target>/<profile>/deps/.
    let exe = std::env::current_exe().unwrap_or_default();
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    profile_dir.join(binary)
}

impl ServerProcess {
    /// Starts `binary` with `SHIELDWALL_ADDR=127.0.0.1:0` and `env`, and waits for
    /// its `listening on http://ADDR` line (`https://ADDR` when the server
    /// speaks TLS; [`scheme`](Self::scheme) tells which).
    ///
    /// Every test talks from 127.0.0.1, so the rate limits default to
    /// [`GENEROUS_LIMIT`] here; a test of the limits sets its own in `env`.
    pub fn start(binary: &Path, env: &[(&str, &str)]) -> Result<Self, String> {
        let name = binary
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !binary.exists() {
            return Err(format!(
                "{} does not exist: run `cargo xtask test`, which builds the example servers first \
                 (or `cargo build -p {name}`)",
                binary.display()
            ));
        }
        let mut command = Command::new(binary);
        clean_env(&mut command);
        for var in [
            "SHIELDWALL_LIMIT_PUBLIC",
            "SHIELDWALL_LIMIT_AUTH",
            "SHIELDWALL_LIMIT_USER",
        ] {
            command.env(var, GENEROUS_LIMIT);
        }
        command
            .env("SHIELDWALL_ADDR", "127.0.0.1:0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        let output = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let output = Arc::clone(&output);
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let addr = listening_on(&line);
                    // Keep the line before signalling, so a reader woken by the
                    // address finds everything printed up to it.
                    if let Ok(mut lines) = output.lock() {
                        lines.push(line);
                    }
                    if let Some(addr) = addr {
                        let _ = tx.send(addr);
                    }
                }
            });
        }
        let (scheme, addr) = match rx.recv_timeout(START_TIMEOUT) {
            Ok((scheme, addr)) => (
                scheme,
                addr.parse()
                    .map_err(|_| format!("{name} printed a bad address {addr:?}"))?,
            ),
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().ok();
                let lines = output.lock().map(|l| l.join("\n")).unwrap_or_default();
                return Err(format!(
                    "{name} did not print its address ({status:?}); output:\n{lines}"
                ));
            }
        };
        Ok(Self {
            name,
            child,
            addr,
            scheme,
            output,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http` or `https`, as its `listening on` line said.
    pub fn scheme(&self) -> &'static str {
        self.scheme
    }

    /// `SCHEME://ADDR` followed by `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme, self.addr)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The binary's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Everything it printed so far.
    pub fn output(&self) -> Vec<String> {
        self.output.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends a request over plain HTTP; an error for a server that speaks
    /// HTTPS (the raw client has no TLS: send with [`client::send`] to see a
    /// TLS port refuse plain HTTP).
    pub fn send(&self, request: &TestRequest) -> Result<Observed, String> {
        if self.scheme != "http" {
            return Err(format!(
                "{} speaks {}; the raw client speaks plain HTTP only",
                self.name, self.scheme
            ));
        }
        client::send(self.addr, request)
            .map_err(|e| format!("{}: {} {}: {e}", self.name, request.method, request.target))
    }

    /// Logs in to the demo API and returns `Bearer <token>`.
    pub fn bearer(&self, email: &str, password: &str) -> Result<String, String> {
        let body = serde_json::json!({"email": email, "password": password}).to_string();
        let answer = self.send(&TestRequest::post("/api/v1/auth/login").json(&body))?;
        match answer
            .json()
            .as_ref()
            .and_then(|json| json["access_token"].as_str())
        {
            Some(token) if answer.status == 200 => Ok(format!("Bearer {token}")),
            _ => Err(format!(
                "{}: login as {email} answered {} {}",
                self.name,
                answer.status,
                answer.text()
            )),
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The scheme and address of a `listening on SCHEME://ADDR` line.
fn listening_on(line: &str) -> Option<(&'static str, String)> {
    let rest = line.strip_prefix("listening on ")?;
    ["https", "http"].into_iter().find_map(|scheme| {
        rest.strip_prefix(scheme)
            .and_then(|r| r.strip_prefix("://"))
            .map(|addr| (scheme, addr.trim().to_owned()))
    })
}

/// Removes the demo's variables that the developer's shell may hold, so that
/// only what a test sets reaches the server.
fn clean_env(command: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("SHIELDWALL_") || key == "REDIS_URL" {
            command.env_remove(key.as_ref());
        }
    }
}

/// Runs a program that must refuse to start, and returns its exit status and output.
pub fn run_to_exit(binary: &Path, env: &[(&str, &str)]) -> Result<(Option<i32>, String), String> {
    let mut command = Command::new(binary);
    clean_env(&mut command);
    command
        .env("SHIELDWALL_ADDR", "127.0.0.1:0")
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    // A server that starts instead of refusing would never exit: stop it.
    let deadline = std::time::Instant::now() + START_TIMEOUT;
    while child.try_wait().map_err(|e| e.to_string())?.is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "{} was expected to exit but still ran after {START_TIMEOUT:?}",
                binary.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("cannot read {}: {e}", binary.display()))?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((out.status.code(), text))
}

#[cfg(test)]
mod tests {
    use super::listening_on;

    #[test]
    fn the_listening_line_gives_scheme_and_address() {
        assert_eq!(
            listening_on("listening on http://127.0.0.1:8080"),
            Some(("http", "127.0.0.1:8080".to_owned()))
        );
        assert_eq!(
            listening_on("listening on https://[::1]:8443 "),
            Some(("https", "[::1]:8443".to_owned()))
        );
        assert_eq!(listening_on("listening on ftp://127.0.0.1:21"), None);
        assert_eq!(listening_on("metrics on http://127.0.0.1:9000"), None);
    }
}
