//! Secrets come from environment variables named on the command line,
//! never from the command line itself (argv is visible to every user of
//! the machine and lands in shell history).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use shieldwall_core::Secret;
use zeroize::Zeroizing;

use crate::failure::Failure;

fn read(var: &str) -> Result<Zeroizing<String>, Failure> {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Ok(Zeroizing::new(value)),
        Ok(_) | Err(std::env::VarError::NotPresent) => Err(Failure::new(format!(
            "--secret-env: the variable {var} is not set"
        ))),
        Err(std::env::VarError::NotUnicode(_)) => Err(Failure::new(format!(
            "--secret-env: the variable {var} is not UTF-8"
        ))),
    }
}

/// The bytes of `var` as they are (as the demo reads `SHIELDWALL_JWT_SECRET`).
pub(crate) fn raw(var: &str) -> Result<Secret, Failure> {
    let value = read(var)?;
    Ok(Secret::from(value.as_bytes()))
}

/// `var` decoded from standard base64 (as the demo reads the secrets of
/// `SHIELDWALL_SIGNING_KEYS`).
pub(crate) fn base64(var: &str) -> Result<Secret, Failure> {
    let value = read(var)?;
    let bytes = STANDARD
        .decode(value.trim())
        .map_err(|_| Failure::new(format!("--secret-env: {var} is not valid base64")))?;
    Ok(Secret::new(bytes))
}
