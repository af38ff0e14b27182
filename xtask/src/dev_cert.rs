//! `cargo xtask dev-cert`: a self-signed certificate for trying the demo
//! servers over HTTPS on this machine (`openssl req -x509`, EC P-256,
//! `localhost` and `127.0.0.1`, 30 days).

use std::path::Path;
use std::process::Command;

use crate::Result;

const INSTALL_HINT: &str = "openssl is not installed: `apt-get update && apt-get install -y openssl` \
     (Debian/Ubuntu) or `brew install openssl` (macOS)";

/// Writes `target/dev-cert/cert.pem` and `key.pem`, then prints the two
/// variables to export on stdout (so `eval "$(cargo xtask dev-cert)"` works)
/// and everything else on stderr.
pub(crate) fn generate(root: &Path) -> Result {
    let dir = root.join("target").join("dev-cert");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec"])
        .args(["-pkeyopt", "ec_paramgen_curve:P-256"])
        .args(["-nodes", "-days", "30", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .map_err(|e| format!("cannot run openssl ({e}); {INSTALL_HINT}"))?;
    if !out.status.success() {
        return Err(format!(
            "openssl req failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    restrict_to_owner(&key)?;
    eprintln!(
        "xtask: wrote {} and {} (self-signed for localhost and 127.0.0.1, 30 days; for development only)",
        cert.display(),
        key.display()
    );
    eprintln!(
        "xtask: export these, start a demo server, then: curl --cacert {} https://localhost:8080/health",
        cert.display()
    );
    println!("export SHIELDWALL_TLS_CERT={}", shell_quoted(&cert));
    println!("export SHIELDWALL_TLS_KEY={}", shell_quoted(&key));
    Ok(())
}

/// `path` in single quotes for a POSIX shell.
fn shell_quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

#[cfg(unix)]
fn restrict_to_owner(path: &Path) -> Result {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("cannot restrict {} to its owner: {e}", path.display()))
}

#[cfg(not(unix))]
fn restrict_to_owner(_path: &Path) -> Result {
    Ok(())
}
