//! The discovery document: fetched within a time and a size, then read for
//! `issuer`, `jwks_uri` and the signing algorithms, nothing else.

use serde::Deserialize;

use crate::Algorithm;

/// The largest discovery document read (providers serve a few KiB).
pub(crate) const MAX_DOCUMENT: usize = 64 * 1024;

/// The fields discovery reads. A field named twice is refused (serde's
/// derive), a missing one or one of another type too; the others are
/// skipped.
#[derive(Deserialize)]
struct Raw {
    issuer: String,
    jwks_uri: String,
    id_token_signing_alg_values_supported: Vec<String>,
}

/// What the document says.
#[derive(Debug)]
pub(crate) struct Document {
    pub(crate) issuer: String,
    pub(crate) jwks_uri: String,
    /// The asymmetric algorithms it lists that this crate knows, in its
    /// order, without repeats.
    pub(crate) algorithms: Vec<Algorithm>,
}

/// Whether `alg` verifies with a public key. HS* never does here: its
/// "key" would be whatever the JWKS or the document says.
pub(crate) fn is_asymmetric(alg: Algorithm) -> bool {
    !matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}

/// Reads a document's body.
pub(crate) fn parse(body: &[u8]) -> Result<Document, String> {
    // The derive would also read `Raw` from an array: only an object is taken.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(
            if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
                "not a JSON object"
            } else {
                "not JSON"
            }
            .to_owned(),
        );
    }
    let raw: Raw = serde_json::from_slice(body).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            "not JSON".to_owned()
        } else {
            // serde_json quotes what it found, escaped: keep it short.
            let message = e.to_string();
            super::error::cut(&message).0.to_owned()
        }
    })?;
    let mut algorithms = Vec::new();
    for name in &raw.id_token_signing_alg_values_supported {
        // `none`, HS*, and names this crate does not know are skipped.
        if let Some(alg) = Algorithm::from_name(name)
            && is_asymmetric(alg)
            && !algorithms.contains(&alg)
        {
            algorithms.push(alg);
        }
    }
    Ok(Document {
        issuer: raw.issuer,
        jwks_uri: raw.jwks_uri,
        algorithms,
    })
}

/// GETs `url` with `client` (its timeout and redirect policy), at most
/// [`MAX_DOCUMENT`] bytes.
pub(crate) async fn fetch(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, String> {
    let mut response = client
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| format!("request failed: {}", e.without_url()))?;
    let status = response.status();
    if status.is_redirection() {
        return Err(format!(
            "status {} (redirects are not followed)",
            status.as_u16()
        ));
    }
    if status != reqwest::StatusCode::OK {
        return Err(format!("status {}", status.as_u16()));
    }
    if response
        .content_length()
        .is_some_and(|len| len > MAX_DOCUMENT as u64)
    {
        return Err("larger than 64 KiB".to_owned());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("body: {}", e.without_url()))?
    {
        if body.len() + chunk.len() > MAX_DOCUMENT {
            return Err("larger than 64 KiB".to_owned());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_asymmetric_algorithms_are_kept() {
        let doc = parse(
            br#"{"issuer": "https://a.example", "jwks_uri": "https://a.example/k", "other": [1],
                 "id_token_signing_alg_values_supported":
                   ["none", "HS256", "HS512", "RS256", "ES256", "RS256", "es256", "ES512", "EdDSA"]}"#,
        )
        .unwrap();
        assert_eq!(doc.issuer, "https://a.example");
        assert_eq!(doc.jwks_uri, "https://a.example/k");
        assert_eq!(
            doc.algorithms,
            [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA]
        );
    }

    #[test]
    fn a_document_that_is_not_what_it_should_be_is_an_error() {
        for (body, needle) in [
            (&b"<html>"[..], "not JSON"),
            (b"", "not JSON"),
            (b"[]", "not a JSON object"),
            (br#"["https://a", "https://a/k", ["RS256"]]"#, "not a JSON object"),
            (b"null", "not a JSON object"),
            (b"{", "not JSON"),
            (
                br#"{"issuer": "x", "jwks_uri": "y", "id_token_signing_alg_values_supported": []} x"#,
                "not JSON",
            ),
            (br#"{"issuer": "x", "jwks_uri": "y"}"#, "missing field"),
            (
                br#"{"issuer": 1, "jwks_uri": "y", "id_token_signing_alg_values_supported": []}"#,
                "invalid type",
            ),
            (
                br#"{"issuer": "x", "jwks_uri": "y", "id_token_signing_alg_values_supported": "RS256"}"#,
                "invalid type",
            ),
            (
                br#"{"issuer": "x", "jwks_uri": "y", "id_token_signing_alg_values_supported": [1]}"#,
                "invalid type",
            ),
            (
                br#"{"issuer": "x", "issuer": "z", "jwks_uri": "y", "id_token_signing_alg_values_supported": []}"#,
                "duplicate field",
            ),
        ] {
            let err = parse(body).unwrap_err();
            assert!(err.contains(needle), "{body:?}: {err}");
        }
        let huge = format!(
            r#"{{"issuer": ["{}"], "jwks_uri": "y", "id_token_signing_alg_values_supported": []}}"#,
            "a".repeat(10_000)
        );
        assert!(parse(huge.as_bytes()).unwrap_err().len() < 300);
    }
}
