//! `shieldwall sign`: the `Content-Digest`, `Signature-Input` and
//! `Signature` header lines of a request, made by shieldwall-signing's
//! `Signer` with the components the demo's transfer route requires
//! (`"@method" "@target-uri" "content-digest" "content-type"`, `created`,
//! a random `nonce`, `keyid`, `alg="hmac-sha256"`).

use std::io::Read as _;

use http::header::CONTENT_TYPE;
use shieldwall_signing::Signer;

use crate::cli::SignArgs;
use crate::failure::Failure;
use crate::{output, secret};

/// The header lines printed, in this order.
const PRINTED: [&str; 3] = ["Content-Digest", "Signature-Input", "Signature"];

fn read_body(args: &SignArgs) -> Result<Vec<u8>, Failure> {
    let Some(path) = &args.body else {
        return Ok(Vec::new());
    };
    if path.as_os_str() == "-" {
        let mut body = Vec::new();
        std::io::stdin()
            .read_to_end(&mut body)
            .map_err(|e| Failure::caused("--body: cannot read stdin", &e))?;
        return Ok(body);
    }
    std::fs::read(path).map_err(|e| Failure::caused(&format!("--body {}", path.display()), &e))
}

fn request(args: &SignArgs) -> Result<http::Request<()>, Failure> {
    let method = http::Method::from_bytes(args.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| Failure::new("--method: not an HTTP method"))?;
    let uri: http::Uri = args
        .url
        .parse()
        .map_err(|_| Failure::new("--url: not a URL"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.authority().is_none() {
        return Err(Failure::new(
            "--url: must be an absolute http:// or https:// URL",
        ));
    }
    http::Request::builder()
        .method(method)
        .uri(uri)
        .header(CONTENT_TYPE, args.content_type.as_str())
        .body(())
        .map_err(|_| Failure::new("--content-type: not a valid header value"))
}

pub(crate) fn sign(args: &SignArgs) -> Result<(), Failure> {
    let secret = secret::base64(&args.secret_env)?;
    let signer = Signer::hmac_sha256(args.keyid.as_str(), secret)
        .map_err(|e| Failure::caused("--keyid/--secret-env", &e))?;
    let body = read_body(args)?;
    let mut request = request(args)?;
    signer
        .sign(&mut request, &body)
        .map_err(|e| Failure::caused("cannot sign the request", &e))?;
    for name in PRINTED {
        let value = request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Failure::new(format!("the signer set no {name} header")))?;
        output::line(&format!("{name}: {value}"))?;
    }
    Ok(())
}
