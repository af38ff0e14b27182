//! `SHIELDWALL_TLS_CERT` / `SHIELDWALL_TLS_KEY`: the PEM files read into a
//! rustls server configuration (aws-lc-rs provider, TLS 1.3 and 1.2, ALPN
//! `h2` then `http/1.1`).
//!
//! Every failure names the variable of the file at fault and never quotes
//! the key file's content.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use zeroize::Zeroizing;

use crate::env::{EnvError, bad};

const CERT: &str = "SHIELDWALL_TLS_CERT";
const KEY: &str = "SHIELDWALL_TLS_KEY";

/// The protocols offered by ALPN, preferred first.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Reads the certificate chain at `cert` and the private key at `key` (PEM)
/// into a server configuration.
pub(crate) fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, EnvError> {
    let chain = read_chain(cert)?;
    let key_der = read_key(key)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    provider
        .key_provider
        .load_private_key(key_der.clone_key())
        .map_err(|_| {
            bad(
                KEY,
                format!(
                    "{} holds a private key rustls cannot use (RSA, ECDSA P-256/P-384 or Ed25519 are)",
                    key.display()
                ),
            )
        })?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(CERT, format!("no TLS version available: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => bad(
                KEY,
                format!(
                    "{} is not the private key of the certificate in {CERT}",
                    key.display()
                ),
            ),
            other => bad(
                CERT,
                format!("{} is not a usable certificate: {other}", cert.display()),
            ),
        })?;
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, EnvError> {
    let bytes = std::fs::read(path)
        .map_err(|e| bad(CERT, format!("cannot read {}: {e}", path.display())))?;
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| bad(CERT, format!("{} is not valid PEM", path.display())))?;
    if chain.is_empty() {
        return Err(bad(
            CERT,
            format!("{} holds no PEM CERTIFICATE", path.display()),
        ));
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, EnvError> {
    // The file is a secret: wiped from memory once parsed.
    let bytes = Zeroizing::new(
        std::fs::read(path)
            .map_err(|e| bad(KEY, format!("cannot read {}: {e}", path.display())))?,
    );
    // The PEM error is not repeated: it could quote the file.
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => bad(
            KEY,
            format!(
                "{} holds no PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)",
                path.display()
            ),
        ),
        _ => bad(KEY, format!("{} is not valid PEM", path.display())),
    })
}

#[cfg(test)]
mod tests {
    use shieldwall_testkit::TempDir;
    use shieldwall_testkit::tls::self_signed;

    use super::*;

    fn err(cert: &Path, key: &Path) -> EnvError {
        server_config(cert, key).unwrap_err()
    }

    #[test]
    fn unreadable_or_non_pem_files_name_their_variable() {
        let dir = TempDir::new("demo-tls-bad");
        let missing = dir.path("missing.pem");
        let text = dir.file("text.pem", "not a certificate\n");
        let broken = dir.file(
            "broken.pem",
            "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        );
        let secret_key = dir.file(
            "broken-key.pem",
            "-----BEGIN PRIVATE KEY-----\nhunter2hunter2!!\n-----END PRIVATE KEY-----\n",
        );
        assert_eq!(err(&missing, &text).var, CERT);
        assert_eq!(err(&text, &text).var, CERT);
        assert_eq!(err(&broken, &text).var, CERT);
        let Some((cert, key)) = self_signed(&dir, "") else {
            return;
        };
        assert_eq!(err(&cert, &missing).var, KEY);
        assert_eq!(err(&cert, &text).var, KEY);
        // A certificate file in place of the key holds no key.
        assert_eq!(err(&cert, &cert).var, KEY);
        let line = err(&cert, &secret_key).to_string();
        assert!(line.starts_with("SHIELDWALL_TLS_KEY: "), "{line}");
        assert!(!line.contains("hunter2"), "{line}");
        // The key in place of the certificate holds no certificate.
        assert_eq!(err(&key, &key).var, CERT);
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let dir = TempDir::new("demo-tls-mismatch");
        let (Some((cert, _)), Some((_, other_key))) =
            (self_signed(&dir, "a-"), self_signed(&dir, "b-"))
        else {
            return;
        };
        let e = err(&cert, &other_key);
        assert_eq!(e.var, KEY, "{e}");
    }

    #[test]
    fn a_matching_pair_gives_a_config_with_alpn() {
        let dir = TempDir::new("demo-tls-good");
        let Some((cert, key)) = self_signed(&dir, "") else {
            return;
        };
        let config = server_config(&cert, &key).unwrap();
        assert_eq!(
            config.alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }
}
