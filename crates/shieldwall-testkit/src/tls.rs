//! Throwaway TLS material made with `openssl`.

use std::path::PathBuf;
use std::process::Command;

use crate::TempDir;

/// A self-signed EC P-256 certificate for `127.0.0.1` (valid one day) and its
/// key, written to `<prefix>cert.pem` and `<prefix>key.pem` in `dir`, as
/// `(cert, key)`.
///
/// `None`, after saying so on stderr, when `openssl` is not installed: the
/// caller skips its test. Panics when `openssl` fails.
#[allow(clippy::print_stderr, reason = "a skipped test says why")]
pub fn self_signed(dir: &TempDir, prefix: &str) -> Option<(PathBuf, PathBuf)> {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("skipped: `openssl` is not installed (it makes the test certificate)");
        return None;
    }
    let cert = dir.path(&format!("{prefix}cert.pem"));
    let key = dir.path(&format!("{prefix}key.pem"));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .arg("ec_paramgen_curve:P-256")
        .args(["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl req failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some((cert, key))
}
