//! `shieldwall token inspect`: a token's header and claims, read without
//! trusting them; with `--secret-env`, verified by shieldwall-tokens'
//! verifier under the demo's rules (HS256, issuer, audience, leeway).

use std::io::Read as _;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use shieldwall_tokens::{
    Algorithm, DEFAULT_MAX_TOKEN_LEN, KeySet, MemoryRevocations, Verifier, VerifyingKey,
};

use crate::cli::InspectArgs;
use crate::failure::Failure;
use crate::{output, secret};

/// The header and claims of a JWS in compact form, decoded, not verified.
fn decode(token: &str) -> Result<(Value, Value), Failure> {
    if token.len() > DEFAULT_MAX_TOKEN_LEN {
        return Err(Failure::new(format!(
            "TOKEN: longer than {DEFAULT_MAX_TOKEN_LEN} bytes"
        )));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Failure::new(
            "TOKEN: not a JWS in compact form (three base64url parts separated by dots)",
        ));
    };
    let part = |name: &str, text: &str| -> Result<Value, Failure> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| Failure::new(format!("TOKEN: the {name} is not base64url")))?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(value @ Value::Object(_)) => Ok(value),
            _ => Err(Failure::new(format!(
                "TOKEN: the {name} is not a JSON object"
            ))),
        }
    };
    Ok((part("header", header)?, part("claims", claims)?))
}

fn read_token(argument: &str) -> Result<String, Failure> {
    if argument != "-" {
        return Ok(argument.trim().to_owned());
    }
    let mut text = String::new();
    std::io::stdin()
        .take(DEFAULT_MAX_TOKEN_LEN as u64 + 2)
        .read_to_string(&mut text)
        .map_err(|e| Failure::caused("TOKEN: cannot read stdin", &e))?;
    Ok(text.trim().to_owned())
}

async fn verify(token: &str, var: &str, args: &InspectArgs) -> Result<(), Failure> {
    let secret = secret::raw(var)?;
    let key = VerifyingKey::hmac(Algorithm::HS256, &secret)
        .map_err(|e| Failure::caused(&format!("--secret-env: {var}"), &e))?;
    let keys = KeySet::new([key]).map_err(|e| Failure::caused("verifier", &e))?;
    let verifier = Verifier::builder(keys, MemoryRevocations::new())
        .issuer(&args.issuer)
        .audience(&args.audience)
        .leeway(Duration::from_secs(args.leeway_secs))
        .build()
        .map_err(|e| Failure::caused("--issuer/--audience", &e))?;
    verifier
        .verify(token)
        .await
        .map(|_| ())
        .map_err(|rejection| {
            Failure::new(format!(
                "the token is not valid: {} ({:?})",
                rejection.reason(),
                rejection.kind()
            ))
        })
}

pub(crate) async fn inspect(args: InspectArgs) -> Result<(), Failure> {
    let token = read_token(&args.token)?;
    let (header, claims) = decode(&token)?;
    let verified = match &args.secret_env {
        Some(var) => {
            verify(&token, var, &args).await?;
            true
        }
        None => false,
    };
    let answer = serde_json::json!({
        "header": header,
        "claims": claims,
        "verified": verified,
    });
    output::line(&answer.to_string())
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn a_token_decodes_without_being_trusted() {
        // {"alg":"none"} . {"sub":"u1"} . (no signature)
        let (header, claims) = decode("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1MSJ9.").unwrap();
        assert_eq!(header["alg"], "none");
        assert_eq!(claims["sub"], "u1");
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            "!!.eyJzdWIiOiJ1MSJ9.x",
            "eyJhbGciOiJub25lIn0.WzFd.x",
        ] {
            let error = decode(bad).unwrap_err().to_string();
            assert!(error.starts_with("TOKEN: "), "{bad}: {error}");
        }
    }
}
