//! Signed transfers for the load (`bench-server signing-keys`, `bench-server
//! sign-transfers`): wrk cannot compute an HMAC per request, so the requests
//! are signed before the run, each with its own nonce, and the load script
//! sends each once.

use std::io::Write;

use base64::Engine;
use shieldwall_core::Secret;
use shieldwall_signing::{Scheme, Signer};

/// The key id the demo is given for the load.
const KEY_ID: &str = "bench-key";
/// Its owner: the demo's first default user.
const OWNER: &str = "alice@example.com";
/// Its secret (a benchmark's, never a deployment's).
const SECRET: &[u8; 32] = b"bench-transfer-signing-secret-32";
/// The body of every transfer.
pub const BODY: &str = r#"{"to":"bob","amount":1250,"currency":"EUR"}"#;

/// The value of `SHIELDWALL_SIGNING_KEYS` that makes the demo accept these
/// signatures.
pub fn signing_keys() -> String {
    let secret = base64::engine::general_purpose::STANDARD.encode(SECRET);
    format!("{KEY_ID}:{OWNER}:{secret}")
}

/// Writes `count` signed `POST /api/v1/transfers` to `addr` to `out`, one
/// per line: `Content-Digest`, `Signature-Input` and `Signature`, tab
/// separated (the body is [`BODY`]).
pub fn sign_transfers(addr: &str, count: usize, out: &mut impl Write) -> Result<(), String> {
    let signer = Signer::hmac_sha256(KEY_ID, Secret::new(SECRET.to_vec()))
        .map_err(|e| e.to_string())?
        .default_scheme(Scheme::Http);
    let url = format!("http://{addr}/api/v1/transfers");
    for _ in 0..count {
        let mut request = http::Request::post(&url)
            .header("host", addr)
            .header("content-type", "application/json")
            .body(())
            .map_err(|e| e.to_string())?;
        signer
            .sign(&mut request, BODY.as_bytes())
            .map_err(|e| e.to_string())?;
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .ok_or_else(|| format!("the signer wrote no {name}"))
        };
        writeln!(
            out,
            "{}\t{}\t{}",
            header("content-digest")?,
            header("signature-input")?,
            header("signature")?
        )
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}
