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

/// A throwaway CA and a certificate it issued for `127.0.0.1` and
/// `localhost` (EC P-256, one day), for a server whose clients verify it
/// against the CA (rustls refuses a self-signed CA as a server's own
/// certificate): `(ca, cert, key)`, PEM files in `dir`.
///
/// `None`, after saying so on stderr, when `openssl` is not installed.
/// Panics when `openssl` fails.
#[allow(clippy::print_stderr, reason = "a skipped test says why")]
pub fn ca_and_leaf(dir: &TempDir) -> Option<(PathBuf, PathBuf, PathBuf)> {
    let (ca, ca_key) = self_signed(dir, "ca-")?;
    let key = dir.path("leaf-key.pem");
    let request = dir.path("leaf.csr");
    let cert = dir.path("leaf-cert.pem");
    let extensions = dir.path("leaf.ext");
    std::fs::write(
        &extensions,
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .expect("the extensions file is written");
    let runs: [Vec<std::ffi::OsString>; 2] = [
        vec![
            "req".into(),
            "-newkey".into(),
            "ec".into(),
            "-pkeyopt".into(),
            "ec_paramgen_curve:P-256".into(),
            "-nodes".into(),
            "-subj".into(),
            "/CN=127.0.0.1".into(),
            "-keyout".into(),
            key.clone().into(),
            "-out".into(),
            request.clone().into(),
        ],
        vec![
            "x509".into(),
            "-req".into(),
            "-in".into(),
            request.into(),
            "-CA".into(),
            ca.clone().into(),
            "-CAkey".into(),
            ca_key.into(),
            "-CAcreateserial".into(),
            "-days".into(),
            "1".into(),
            "-extfile".into(),
            extensions.into(),
            "-out".into(),
            cert.clone().into(),
        ],
    ];
    for args in runs {
        let out = Command::new("openssl")
            .args(&args)
            .current_dir(dir.path(""))
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl {:?} failed: {}",
            args.first(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Some((ca, cert, key))
}
